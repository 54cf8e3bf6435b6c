"""What the commands share: the consoles they print on, loading `--model`, quietening datasets.

Commands call `load_model` through this module (`_shared.load_model(...)`), never a copy of the name,
so that a test replaces it for every command in one place.
"""

from __future__ import annotations

from typing import Any

from rich.console import Console

from ..console import stderr_console

out = Console()  # reports and tables
err = stderr_console()  # messages, notes, progress and the error line


def load_model(model: str | None, engine: str = "torch") -> Any:
    """The model of `--model`: a folder or Hub repo id, or (None) the one shipped in the package.

    `engine` "numpy": the light model (`emotion_bilstm.pipeline`, no torch imported), which serves
    predict, classify and evaluate; "torch": an `EmotionBiLSTM`, which can also explain and calibrate."""
    if engine == "numpy":
        from ..light import pipeline

        return pipeline(model)
    from ..model import EmotionBiLSTM, load_default

    return load_default() if model is None else EmotionBiLSTM.from_pretrained(model)


def engine_description(model: Any) -> str:
    """The engine that runs `model`, for logs: "numpy (...)" for the light model, else `engines.describe_engine`."""
    described = getattr(model, "engine_description", None)
    if described is not None:
        return described
    from ..engines import describe_engine

    return describe_engine(model)


def quiet_datasets() -> None:
    """datasets' own progress bars would interleave with ours."""
    from datasets.utils.logging import disable_progress_bar

    disable_progress_bar()
