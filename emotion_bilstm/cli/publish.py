"""The `push` command: publish a model folder to the Hugging Face Hub (the library's hub module does the work)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.markup import escape

from ._shared import err, out


def push(
    model_dir: Annotated[Path, typer.Argument(help="A saved model folder (from train or save_pretrained).")],
    repo_id: Annotated[str, typer.Option("--repo-id", help="Hub repository OWNER/NAME; created if it does not exist.")],
    private: Annotated[bool, typer.Option("--private", help="Create the repository as private.")] = False,
    revision: Annotated[
        Optional[str], typer.Option("--revision", help="Branch to commit to; created if needed. Default: main.")
    ] = None,
    commit_message: Annotated[Optional[str], typer.Option("--commit-message", help="The commit's message.")] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and list the files and card metadata; upload nothing.")
    ] = False,
) -> None:
    """Publish a model folder to the Hugging Face Hub in one commit.

    The folder must load as a model and hold its model card (README.md). Only the release's files are
    uploaded (model.safetensors, config.json, tokenizer.json, README.md, metrics.json, the card's
    images): never a pickle, a link or a subfolder; --dry-run lists what is left out. The token comes
    from HF_TOKEN or `hf auth login` and is never printed.

    [bold]emo-cli push runs/emo --repo-id me/emotion-bilstm --dry-run[/bold]\n
    [bold]emo-cli push runs/emo --repo-id me/emotion-bilstm --revision v1 --commit-message "Retrained"[/bold]
    """
    from ..hub import plan_push
    from ..hub import push as push_plan
    from .render import upload_plan

    plan = plan_push(model_dir, repo_id)
    if dry_run:
        upload_plan(plan, out)
        err.print("[yellow]dry run:[/yellow] nothing was uploaded")
        return
    err.print(f"uploading {len(plan.files)} files ({plan.total_bytes:,} bytes) to {escape(repo_id)} ...")
    url = push_plan(plan, private=private, revision=revision, commit_message=commit_message)
    err.print(f"[green]pushed[/green] {escape(url)}")
