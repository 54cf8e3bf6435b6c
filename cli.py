"""Run the emo-cli app from a checkout without installing: `python cli.py classify file.txt`."""

from emotion_bilstm.cli import main

if __name__ == "__main__":
    main()
