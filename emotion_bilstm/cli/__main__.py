"""`python -m emotion_bilstm.cli` runs emo-cli, as it did when the CLI was one module."""

from . import main

main()
