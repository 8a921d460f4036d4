"""The one place that decides which implementation backs the public modules.

``WSFRAME_PURE_PYTHON=1`` (read once, at import) forces the pure-Python
reference in ``wsframe._reference``.  Otherwise the compiled modules in
``wsframe._speedups`` are used when they were built; when they were not (no
compiler at install time, PyPy, ...) the reference is used silently.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType

__all__ = ["backend", "mask", "utf8", "frames", "FORCED_PURE"]

FORCED_PURE = os.environ.get("WSFRAME_PURE_PYTHON", "").strip().lower() not in (
    "",
    "0",
    "false",
    "no",
)


def _load() -> tuple[str, ModuleType, ModuleType, ModuleType]:
    if not FORCED_PURE:
        try:
            compiled = [
                importlib.import_module(f"wsframe._speedups.{name}")
                for name in ("_mask", "_utf8", "_frames")
            ]
        except ImportError:
            pass
        else:
            return "c", compiled[0], compiled[1], compiled[2]
    from ._reference import frames as _frames_py
    from ._reference import mask as _mask_py
    from ._reference import utf8 as _utf8_py

    return "python", _mask_py, _utf8_py, _frames_py


backend, mask, utf8, frames = _load()
