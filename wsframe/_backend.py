"""The one place that decides which implementation backs the public modules.

``WSFRAME_PURE_PYTHON=1`` (read once, at import) forces the pure-Python
reference in ``wsframe._reference``.  Otherwise the compiled modules in
``wsframe._speedups`` are used when they can be imported.

When they cannot, the reference is used and ``reason`` (exposed as
``wsframe.backend_reason``) says why.  If the build recorded in
``_build_info.json`` (written by setup.py) was meant to include the compiled
backend, import also issues a ``RuntimeWarning`` with that reason: a failed C
build must not go unnoticed (pip hides the build's own messages).  No warning
when the pure backend was asked for: ``WSFRAME_PURE_PYTHON=1`` at run time, or
``WSFRAME_PURE_PYTHON_BUILD=1`` at build time.
"""

from __future__ import annotations

import importlib
import json
import os
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = [
    "backend",
    "mask",
    "utf8",
    "frames",
    "FORCED_PURE",
    "COMPILED_MODULES",
    "reason",
    "build_info",
]

#: The compiled modules, one per ``wsframe/_speedups/*.pyx`` (the one list: setup.py
#: builds every .pyx, `make build` checks every .pyx was built, and
#: tests/package/test_package.py holds this tuple to the .pyx files).
COMPILED_MODULES = ("_mask", "_utf8", "_frames")

FORCED_PURE = os.environ.get("WSFRAME_PURE_PYTHON", "").strip().lower() not in (
    "",
    "0",
    "false",
    "no",
)

_BUILD_INFO = Path(__file__).with_name("_build_info.json")


def _read_build_info() -> dict[str, Any] | None:
    """The build outcome setup.py recorded, or None (a source tree that was never built).

    Returns:
        A dict with ``compiled`` (bool), ``intended`` (bool: a pure build was asked for)
        and ``reason`` (str), or None when there is no readable record.
    """
    try:
        data = json.loads(_BUILD_INFO.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {
        "compiled": bool(data.get("compiled")),
        "intended": bool(data.get("intended")),
        "reason": str(data.get("reason") or ""),
    }


#: The build record (see ``_read_build_info``), or None when there is none.
build_info = _read_build_info()


def _load() -> tuple[str, str, ModuleType, ModuleType, ModuleType]:
    """Pick the implementation; warn when an expected compiled backend is missing.

    Returns:
        ``(backend, reason, mask, utf8, frames)``.
    """
    if FORCED_PURE:
        why = "WSFRAME_PURE_PYTHON is set"
    else:
        try:
            compiled = [
                importlib.import_module(f"wsframe._speedups.{name}")
                for name in COMPILED_MODULES
            ]
        except ImportError as exc:
            why, expected = _why_not_compiled(exc)
            if expected:
                warnings.warn(
                    f"wsframe: the compiled backend is not available ({why}); using the "
                    "much slower pure-Python backend. Reinstall with a C compiler and "
                    "`pip install -v` to see the build log, or set WSFRAME_PURE_PYTHON=1 "
                    "to choose the pure-Python backend and silence this warning.",
                    RuntimeWarning,
                    stacklevel=2,
                )
        else:
            return "c", "the compiled modules are loaded", compiled[0], compiled[1], compiled[2]
    from ._reference import frames as _frames_py
    from ._reference import mask as _mask_py
    from ._reference import utf8 as _utf8_py

    return "python", why, _mask_py, _utf8_py, _frames_py


def _why_not_compiled(exc: ImportError) -> tuple[str, bool]:
    """Explain a failed import of the compiled modules.

    Args:
        exc: the ImportError raised by the first compiled module that failed.

    Returns:
        ``(reason, expected)``: ``expected`` is True when the build meant to include the
        compiled backend (so its absence deserves a warning).
    """
    info = build_info
    if info is None:
        return f"no compiled modules and no build record ({exc})", False
    if info["compiled"]:
        return f"built, but the compiled modules cannot be imported: {exc}", True
    if info["intended"]:
        return f"built without C extensions on purpose ({info['reason']})", False
    return f"the C build failed: {info['reason']}", True


backend, reason, mask, utf8, frames = _load()
