"""emo-cli: classify, train, evaluate and publish emotion models from the command line.

This package only parses arguments and prints; the library does the work. Heavy imports (torch,
datasets, accelerate) happen inside the commands that need them, so `emo-cli --help` is instant.

  _app.py      the typer app, its commands in help order, `main`
  boundary.py  the one error boundary: whatever ends a command is one `error:` line and an exit code
  _options.py  shared options, and `train`'s options derived from TrainConfig's fields
  _shared.py   the consoles, loading `--model`
  classify.py  classify, predict, explain
  train.py     train, evaluate, calibrate
  publish.py   push
  data.py      data check
  render.py    the reports as rich tables
"""

from ._app import app, main

__all__ = ["app", "main"]
