"""Publish a saved model folder to the Hugging Face Hub in one commit.

`plan_push` checks the folder before anything leaves the machine: it must load as a model (the same
strict `from_pretrained` users will run) and carry a model card whose metadata parses. Only an
allow-list travels (`RELEASE_NAMES` and the card's top-level *.png images), each the folder's own
regular file: a pickle, a hidden file (temp files, the `.checkpoints` folder), a subfolder or
anything else is left out and listed with the reason, and an allow-listed name that is a symbolic
link is refused (a link renamed metrics.json could publish ~/.cache/huggingface/token). `push`
copies the files without following links, re-checking each, then creates the repo (and branch) if
needed and uploads the copy with `upload_folder`. The token is huggingface_hub's own business
(HF_TOKEN or the saved login): this module never reads it except to make sure it cannot appear in
an error message.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import CONFIG_NAME
from .errors import EmotionBiLSTMError, ModelLoadError, first_line
from .folder_reads import CARD_NAME, FILE_LIMITS, METRICS_NAME, PICKLE_SUFFIXES, TOKENIZER_NAME, WEIGHTS_NAME
from .model import EmotionBiLSTM
from .safe_read import read_bounded

DEFAULT_COMMIT_MESSAGE = "Upload emotion-bilstm model"
# What a release carries, besides the card's images (IMAGE_SUFFIX files at the top level).
RELEASE_NAMES = (WEIGHTS_NAME, CONFIG_NAME, TOKENIZER_NAME, CARD_NAME, METRICS_NAME)
IMAGE_SUFFIX = ".png"


class HubError(EmotionBiLSTMError):
    """The Hub could not be reached, refused the upload, or the repo id is malformed."""


@dataclass
class PushPlan:
    """What `push` would upload: checked, listed, and with the card's metadata parsed."""

    folder: Path
    repo_id: str
    files: list[tuple[str, int]]
    skipped: list[str] = field(default_factory=list)
    card_metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def total_bytes(self) -> int:
        return sum(size for _, size in self.files)


def is_release_file(name: str) -> bool:
    return name in RELEASE_NAMES or (name.endswith(IMAGE_SUFFIX) and not name.startswith("."))


def release_files(folder: Path) -> tuple[list[tuple[str, int]], list[str]]:
    """(name, size) of the allow-listed files to upload, and the entries left out with the reason.

    An allow-listed name that is a symbolic link or no regular file is refused, not skipped: the
    release would silently lack an essential file, or the link would publish what it points at.
    """
    files, skipped = [], []
    for entry in sorted(folder.iterdir()):
        name, mode = entry.name, os.lstat(entry).st_mode
        if name.startswith("."):
            skipped.append(f"{name} (hidden)")
        elif is_release_file(name):
            if stat.S_ISLNK(mode):
                raise ModelLoadError(
                    f"{folder}: {name} is a symbolic link; a release carries only the folder's own files "
                    "(put the file itself there)"
                )
            if not stat.S_ISREG(mode):
                raise ModelLoadError(f"{folder}: {name} is not a regular file; refusing to publish it")
            files.append((name, os.lstat(entry).st_size))
        elif name.lower().endswith(PICKLE_SUFFIXES):
            skipped.append(f"{name} (a pickle: never published)")
        elif stat.S_ISLNK(mode):
            skipped.append(f"{name} (symbolic link)")
        elif stat.S_ISDIR(mode):
            skipped.append(f"{name}/ (folder)")
        elif not stat.S_ISREG(mode):
            skipped.append(f"{name} (not a regular file)")
        else:
            skipped.append(f"{name} (not part of a model release)")
    return files, skipped


def check_repo_id(repo_id: str) -> None:
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(repo_id)
    except HFValidationError as exc:
        raise HubError(f"{repo_id!r} is not a valid repo id: {first_line(exc)}") from None
    if repo_id.count("/") != 1:
        raise HubError(f"{repo_id!r} is not a valid repo id: write it as OWNER/NAME")


def plan_push(folder: str | Path, repo_id: str) -> PushPlan:
    """Check that `folder` is a complete, loadable model with a model card; list what would go up."""
    from huggingface_hub import ModelCard

    check_repo_id(repo_id)
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelLoadError(f"{folder}: no such model folder")
    EmotionBiLSTM.from_pretrained(folder)  # raises ModelLoadError naming what is missing or broken
    files, skipped = release_files(folder)
    if CARD_NAME not in dict(files):
        raise ModelLoadError(f"{folder}: {CARD_NAME} (the model card) is missing; save the model with save_pretrained")
    text = read_bounded(folder / CARD_NAME, str(folder), FILE_LIMITS[CARD_NAME])
    try:
        card = ModelCard(text.decode("utf-8"))
    except Exception as exc:
        raise ModelLoadError(f"{folder}: {CARD_NAME} has no valid metadata block ({first_line(exc)})") from None
    metadata = card.data.to_dict()
    if not metadata:
        raise ModelLoadError(f"{folder}: {CARD_NAME} has no metadata block; save the model with save_pretrained")
    return PushPlan(folder=folder, repo_id=repo_id, files=files, skipped=skipped, card_metadata=metadata)


def push(
    plan: PushPlan,
    *,
    private: bool = False,
    revision: str | None = None,
    commit_message: str | None = None,
    api: Any = None,
) -> str:
    """Create the repo (and the branch) if needed, then upload the planned files in one commit.

    Returns the commit's URL. `api` is an `HfApi`; tests pass a recording stand-in.
    """
    from huggingface_hub import HfApi

    api = api if api is not None else HfApi()
    # Upload a copy holding exactly the planned files, so nothing else in the folder can slip in; it is
    # made first, so that a file refused now leaves no empty repo behind on the Hub.
    with tempfile.TemporaryDirectory(prefix="emo-push-") as staging:
        for name, size in plan.files:
            copy_own_file(plan.folder, name, size, Path(staging))
        try:
            api.create_repo(plan.repo_id, repo_type="model", private=private, exist_ok=True)
            if revision and revision != "main":
                api.create_branch(plan.repo_id, branch=revision, repo_type="model", exist_ok=True)
            commit = api.upload_folder(
                repo_id=plan.repo_id,
                repo_type="model",
                folder_path=staging,
                revision=revision,
                commit_message=commit_message or DEFAULT_COMMIT_MESSAGE,
            )
        except Exception as exc:
            raise HubError(describe_hub_error(plan.repo_id, exc)) from None
    return str(getattr(commit, "commit_url", commit))


def copy_own_file(folder: Path, name: str, size: int, staging: Path) -> None:
    """Copy `folder/name` into `staging`, checking it again as it is opened: a file swapped for a symbolic
    link (or a FIFO, or another size) since `plan_push` listed it is refused, never followed."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        if stat.S_ISLNK(os.lstat(folder / name).st_mode):  # O_NOFOLLOW's own check, where there is none
            raise ModelLoadError(f"{folder}: {name} became a symbolic link after it was checked; nothing was uploaded")
        fd = os.open(folder / name, flags)
    except OSError as exc:
        raise ModelLoadError(
            f"{folder}: {name} cannot be read for upload ({exc.strerror}); nothing was uploaded"
        ) from None
    with os.fdopen(fd, "rb") as source:
        opened = os.fstat(source.fileno())
        if not stat.S_ISREG(opened.st_mode) or opened.st_size != size:
            raise ModelLoadError(f"{folder}: {name} changed after it was checked; nothing was uploaded")
        with open(staging / name, "xb") as target:
            shutil.copyfileobj(source, target)


def describe_hub_error(repo_id: str, exc: BaseException) -> str:
    """One line a person can act on, with any token scrubbed out of it."""
    from huggingface_hub import constants
    from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled

    reason = first_line(exc)
    if isinstance(exc, OfflineModeIsEnabled):
        message = f"cannot push {repo_id}: HF_HUB_OFFLINE is set; unset it to publish"
    elif isinstance(exc, HfHubHTTPError):
        status = getattr(exc.response, "status_code", None)
        if status in (401, 403):
            message = (
                f"the Hub refused to write {repo_id} (HTTP {status}): set HF_TOKEN to a token with write access "
                "or run `hf auth login`"
            )
        else:
            message = f"the Hub refused the upload to {repo_id}: {reason}"
    elif _is_network_error(exc):
        message = f"cannot reach the Hub at {constants.ENDPOINT} to push {repo_id}: {reason}"
    else:
        message = f"could not push {repo_id}: {type(exc).__name__}: {reason}"
    return scrub_token(message)


def scrub_token(text: str) -> str:
    """Remove the token huggingface_hub would use, and anything shaped like a token, from `text`."""
    from huggingface_hub import get_token

    token = get_token()
    if token:
        text = text.replace(token, "***")
    return re.sub(r"hf_[A-Za-z0-9]{8,}", "hf_***", text)


def _is_network_error(exc: BaseException) -> bool:
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"ConnectError", "ConnectionError", "TimeoutException", "Timeout", "NetworkError", "OSError"})
