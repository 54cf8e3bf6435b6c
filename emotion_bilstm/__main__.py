"""`python -m emotion_bilstm` is the CLI (so `accelerate launch -m emotion_bilstm train ...` works)."""

from .cli import main

if __name__ == "__main__":
    main()
