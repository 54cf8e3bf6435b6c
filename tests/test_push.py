"""`emo-cli push`: the checks before upload, the upload itself, dry runs, offline failures, tokens."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hub_cache import lay_out_hub_cache
from typer.testing import CliRunner

from emotion_bilstm.cli import app
from emotion_bilstm.errors import ModelLoadError
from emotion_bilstm.hub import HubError, plan_push, push, scrub_token

MODEL_FILES = {"README.md", "config.json", "metrics.json", "model.safetensors", "tokenizer.json"}
FAKE_TOKEN = "hf_FakeTokenForTests0123456789abcdef"
EMO_CLI = str(Path(sys.executable).with_name("emo-cli"))


class RecordingHfApi:
    """A recording stand-in for huggingface_hub.HfApi: it talks to no server.

    It records every call with its arguments and, for `upload_folder`, the name and bytes of each
    file in the folder at the moment of the call (the folder is a temporary copy that disappears).
    """

    def __init__(self, fail_with: Exception | None = None) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.uploaded: dict[str, bytes] = {}
        self.fail_with = fail_with

    def create_repo(self, repo_id: str, **kwargs: Any) -> str:
        self.calls.append(("create_repo", {"repo_id": repo_id, **kwargs}))
        if self.fail_with is not None:
            raise self.fail_with
        return f"https://huggingface.co/{repo_id}"

    def create_branch(self, repo_id: str, **kwargs: Any) -> None:
        self.calls.append(("create_branch", {"repo_id": repo_id, **kwargs}))

    def upload_folder(self, **kwargs: Any) -> Any:
        self.calls.append(("upload_folder", kwargs))
        folder = Path(kwargs["folder_path"])
        self.uploaded = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}

        class Commit:
            commit_url = f"https://huggingface.co/{kwargs['repo_id']}/commit/0123abcd"

        return Commit()


@pytest.fixture
def release_dir(trained_model_dir: Path, tmp_path: Path) -> Path:
    """A trained model folder with the litter a real run folder may hold beside the model."""
    folder = tmp_path / "release"
    shutil.copytree(trained_model_dir, folder)
    (folder / ".checkpoints").mkdir()
    (folder / ".checkpoints" / "state.safetensors").write_bytes(b"not for upload")
    (folder / ".model.safetensors.tmp-123").write_bytes(b"half-written")
    (folder / "notes").mkdir()
    (folder / "notes" / "todo.txt").write_text("private")
    secret = tmp_path / "outside-secret.txt"
    secret.write_text("outside the folder")
    (folder / "link.txt").symlink_to(secret)
    return folder


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_push_uploads_only_the_model_files_in_one_commit(release_dir: Path) -> None:
    api = RecordingHfApi()
    plan = plan_push(release_dir, "someone/emotion-bilstm")
    url = push(plan, private=True, revision="v1", commit_message="Release v1", api=api)

    assert [name for name, _ in api.calls] == ["create_repo", "create_branch", "upload_folder"]
    create_repo, create_branch, upload = (kwargs for _, kwargs in api.calls)
    assert create_repo == {"repo_id": "someone/emotion-bilstm", "repo_type": "model", "private": True, "exist_ok": True}
    assert create_branch["branch"] == "v1" and create_branch["exist_ok"] is True
    assert upload["revision"] == "v1" and upload["commit_message"] == "Release v1"
    assert upload["repo_id"] == "someone/emotion-bilstm"
    own_files = {p.name for p in release_dir.iterdir() if p.is_file() and not p.is_symlink() and p.name[0] != "."}
    assert own_files >= MODEL_FILES  # training may add more (a reliability diagram): they go up too
    assert set(api.uploaded) == own_files  # no hidden files, no .checkpoints, no symlink, no subfolder
    for name, content in api.uploaded.items():
        assert content == (release_dir / name).read_bytes()
    assert url.endswith("/commit/0123abcd")
    assert sorted(plan.skipped) == sorted(
        [".checkpoints (hidden)", ".model.safetensors.tmp-123 (hidden)", "link.txt (symbolic link)", "notes/ (folder)"]
    )


def test_push_to_main_creates_no_branch(trained_model_dir: Path) -> None:
    api = RecordingHfApi()
    push(plan_push(trained_model_dir, "someone/emo"), api=api)
    assert [name for name, _ in api.calls] == ["create_repo", "upload_folder"]
    upload = api.calls[-1][1]
    assert upload["revision"] is None and upload["commit_message"]
    assert api.calls[0][1]["private"] is False


def test_what_push_uploads_loads_back_by_repo_id_from_the_hub_cache(trained_model_dir: Path, tmp_path: Path) -> None:
    """Upload to the stand-in, lay the uploaded bytes out as the Hub cache, load by repo id offline (for real)."""
    api = RecordingHfApi()
    push(plan_push(trained_model_dir, "someone/emo"), api=api)
    cache = tmp_path / "hub-cache"
    lay_out_hub_cache(cache, "someone/emo", api.uploaded)

    texts = ["i feel so terrified tonight", "i am thrilled and delighted"]
    script = (
        "import json, sys; from emotion_bilstm import EmotionBiLSTM; "
        "m = EmotionBiLSTM.from_pretrained('someone/emo'); "
        "print(json.dumps({'pred': m.predict(json.loads(sys.argv[1])), 'summary': m.training_summary is not None}))"
    )
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(cache), "HF_ENDPOINT": "http://127.0.0.1:9"}
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps(texts)], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout)

    from emotion_bilstm import EmotionBiLSTM

    assert loaded["pred"] == EmotionBiLSTM.from_pretrained(trained_model_dir).predict(texts)
    assert loaded["summary"] is True  # metrics.json came through the cache too


def test_push_refuses_a_folder_that_does_not_load(trained_model_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(trained_model_dir, broken)
    (broken / "tokenizer.json").unlink()
    with pytest.raises(ModelLoadError, match=r"tokenizer\.json is missing"):
        plan_push(broken, "someone/emo")

    result = CliRunner().invoke(app, ["push", str(broken), "--repo-id", "someone/emo"])
    assert result.exit_code == 2
    assert "tokenizer.json is missing" in result.output and "Traceback" not in result.output


def test_push_refuses_a_folder_without_its_model_card(trained_model_dir: Path, tmp_path: Path) -> None:
    no_card = tmp_path / "no-card"
    shutil.copytree(trained_model_dir, no_card)
    (no_card / "README.md").unlink()
    with pytest.raises(ModelLoadError, match=r"README\.md \(the model card\) is missing"):
        plan_push(no_card, "someone/emo")


@pytest.mark.parametrize("repo_id", ["no-owner", "a/b/c", "bad id/name", "owner/na..me"])
def test_push_refuses_malformed_repo_ids(trained_model_dir: Path, repo_id: str) -> None:
    with pytest.raises(HubError, match="not a valid repo id"):
        plan_push(trained_model_dir, repo_id)


def test_dry_run_lists_files_sizes_and_card_metadata_and_uploads_nothing(
    release_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import huggingface_hub

    def no_api(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a dry run must not create an HfApi")

    monkeypatch.setattr(huggingface_hub, "HfApi", no_api)
    result = CliRunner().invoke(app, ["push", str(release_dir), "--repo-id", "someone/emo", "--dry-run"])
    assert result.exit_code == 0, result.output
    for name in MODEL_FILES:
        size = (release_dir / name).stat().st_size
        assert name in result.output and f"{size:,}" in result.output
    assert "pipeline_tag: text-classification" in result.output
    assert "dair-ai/emotion" in result.output and "split: validation" in result.output
    assert "left out: .checkpoints (hidden)" in result.output
    assert "nothing was uploaded" in result.output


def test_push_without_network_fails_with_one_line_and_never_shows_the_token(trained_model_dir: Path) -> None:
    """For real: a subprocess pointed at a closed localhost port, with a token in HF_TOKEN."""
    env = {**os.environ, "HF_TOKEN": FAKE_TOKEN, "HF_ENDPOINT": f"http://127.0.0.1:{closed_port()}"}
    env.pop("HF_HUB_OFFLINE", None)
    result = subprocess.run(
        [EMO_CLI, "push", str(trained_model_dir), "--repo-id", "someone/emo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1 and "cannot reach the Hub" in error_lines[0]
    assert "Traceback" not in result.stderr
    assert FAKE_TOKEN not in result.stdout + result.stderr


def test_hub_errors_never_echo_the_token(trained_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import huggingface_hub

    monkeypatch.setenv("HF_TOKEN", FAKE_TOKEN)
    leaky = RecordingHfApi(fail_with=RuntimeError(f"bad header Authorization: Bearer {FAKE_TOKEN}"))
    monkeypatch.setattr(huggingface_hub, "HfApi", lambda *a, **k: leaky)
    result = CliRunner().invoke(app, ["push", str(trained_model_dir), "--repo-id", "someone/emo"])
    assert result.exit_code == 2
    assert "could not push someone/emo" in result.output
    assert FAKE_TOKEN not in result.output
    assert leaky.calls and leaky.calls[0][0] == "create_repo"  # the stand-in really was the one called


def test_scrub_token_removes_token_shaped_strings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "plain-secret-value")
    scrubbed = scrub_token("x plain-secret-value y hf_abcdefghijklmnop z")
    assert "plain-secret-value" not in scrubbed and "hf_abcdefghijklmnop" not in scrubbed
    assert scrubbed.startswith("x ") and scrubbed.endswith(" z")


def test_push_in_offline_mode_says_so(trained_model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub.errors import OfflineModeIsEnabled

    api = RecordingHfApi(fail_with=OfflineModeIsEnabled("offline"))
    with pytest.raises(HubError, match="HF_HUB_OFFLINE is set"):
        push(plan_push(trained_model_dir, "someone/emo"), api=api)
