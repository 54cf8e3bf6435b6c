"""Lay a model folder out the way huggingface_hub's cache stores a downloaded repo.

The Hub is unreachable in tests, so a repo id round trip is tested by building the cache by hand:

    HF_HUB_CACHE/models--OWNER--NAME/
        blobs/<sha256 of content>    (each file's bytes, content-addressed)
        refs/main                    (holds the commit sha)
        snapshots/<sha>/config.json  (relative symlinks to the blobs, as huggingface_hub makes them)

With `HF_HUB_OFFLINE=1` and `HF_HUB_CACHE` pointed there, `from_pretrained("OWNER/NAME")` resolves
through huggingface_hub's own cache lookup exactly as after a real download.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path


def lay_out_hub_cache(cache_dir: Path, repo_id: str, files: Path | dict[str, bytes], revision: str = "main") -> Path:
    """Put `files` (a folder's top-level files, or name -> content) in the cache as `repo_id`@`revision`.

    Returns the snapshot folder. The commit sha is derived from the content, so it is stable.
    """
    if isinstance(files, Path):
        files = {p.name: p.read_bytes() for p in sorted(files.iterdir()) if p.is_file()}
    sha = hashlib.sha1(b"".join(name.encode() + content for name, content in sorted(files.items()))).hexdigest()
    repo_folder = cache_dir / f"models--{repo_id.replace('/', '--')}"
    snapshot = repo_folder / "snapshots" / sha
    shutil.rmtree(snapshot, ignore_errors=True)
    snapshot.mkdir(parents=True)
    (repo_folder / "blobs").mkdir(exist_ok=True)
    for name, content in files.items():
        blob = repo_folder / "blobs" / hashlib.sha256(content).hexdigest()
        blob.write_bytes(content)
        (snapshot / name).symlink_to(os.path.relpath(blob, snapshot))
    (repo_folder / "refs").mkdir(exist_ok=True)
    (repo_folder / "refs" / revision).write_text(sha)
    return snapshot
