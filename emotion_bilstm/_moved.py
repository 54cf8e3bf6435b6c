"""Old module paths keep working: `import emotion_bilstm.scoring` gives the module that now does its job.

The package's modules were renamed after their jobs (issue 27). Code that imported an old path, a
user's or ours, gets the new module under the old name too, with a DeprecationWarning naming the new
path. An entry applies only once its new module exists, so a half-moved tree still imports.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

PACKAGE = "emotion_bilstm"
HERE = Path(__file__).parent

# old name -> new name, both below the package
MOVED = {
    "averaging": "training.ema",
    "auxiliary": "training.goemotions_head",
    "batching": "training.sampling",
    "choices": "enums",
    "cleaning": "data.hygiene",
    "doctor": "data.data_check",
    "fast_lstm": "engines",
    "files": "atomic",
    "goemotions": "data.goemotions",
    "inference": "stream",
    "render": "cli.render",
    "robustness": "data.robustness",
    "scoring": "engines",
    "settings": "training.settings",
    "vectors": "training.vectors",
}


class _Alias(importlib.abc.Loader):
    """Loads an old name as the module of its new name (the same object, not a copy)."""

    def __init__(self, new: str) -> None:
        self.new = new

    def create_module(self, spec: Any) -> ModuleType:
        module = importlib.import_module(self.new)
        self.spec = module.__spec__  # the import system sets the old name's spec on it: put back below
        return module

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self.spec  # already executed under its new name


class MovedModules(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        prefix, _, old = fullname.partition(".")
        if prefix != PACKAGE or old not in MOVED:
            return None
        # Looked up on disk, not imported: importing the new module's parent package here could import
        # the very module being redirected (a cycle) or torch (start-up time).
        place = HERE.joinpath(*MOVED[old].split("."))
        if not (place.with_suffix(".py").is_file() or (place / "__init__.py").is_file()):
            return None  # not moved yet in this tree: the old module is found as usual
        new = f"{PACKAGE}.{MOVED[old]}"
        warnings.warn(f"{fullname} moved to {new}; import it from there", DeprecationWarning, stacklevel=2)
        return importlib.util.spec_from_loader(fullname, _Alias(new))


def install() -> None:
    if not any(isinstance(finder, MovedModules) for finder in sys.meta_path):
        sys.meta_path.insert(0, MovedModules())
