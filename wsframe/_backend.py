"""The one place that decides which implementation backs the public modules.

``WSFRAME_PURE_PYTHON=1`` (read once, at import) forces the pure-Python
reference in ``wsframe._reference``.  Otherwise the compiled modules in
``wsframe._speedups`` are used when they can be imported.

When they cannot, the reference is used and ``reason`` (exposed as
``wsframe.backend_reason``) says why, and what to do: in particular when wsframe was
imported from an unbuilt source checkout (run inside it, ``import wsframe`` finds
``./wsframe`` before the installed package).  If the build recorded in
``_build_info.json`` (written by setup.py) was meant to include the compiled
backend, import also issues a ``RuntimeWarning`` with that reason: a failed C
build must not go unnoticed (pip hides the build's own messages).  The warning says how
to get a compiler and gives the pip command that rebuilds, from this machine's facts only
(the build record holds no path of the build machine).  No warning
when the pure backend was asked for: ``WSFRAME_PURE_PYTHON=1`` at run time, or
``WSFRAME_PURE_PYTHON_BUILD=1`` at build time.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
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

#: The values that leave a switch off (the same set as setup.py's ``_flag``).
_OFF = ("", "0", "false", "no", "off")

FORCED_PURE = os.environ.get("WSFRAME_PURE_PYTHON", "").strip().lower() not in _OFF

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
            compiled = [importlib.import_module(f"wsframe._speedups.{name}") for name in COMPILED_MODULES]
        except ImportError as exc:
            why, expected = _why_not_compiled(exc)
            why += _source_tree_note()
            if expected:
                # A build that compiled needs no compiler: the import error says what
                # is wrong (a WSFRAME_SIMD that names no level, a module built for
                # another Python); a build that failed needs one.
                todo = (
                    f"Fix what the error names, or reinstall: `{_reinstall_command()}`."
                    if build_info is not None and build_info["compiled"]
                    else _what_to_do()
                )
                warnings.warn(
                    f"wsframe: the compiled backend is not available ({why}); using the "
                    f"much slower pure-Python backend. {todo} Or set "
                    "WSFRAME_PURE_PYTHON=1 to choose the pure-Python backend and silence "
                    "this warning.",
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


#: How to get a working C compiler (and Python's headers), by platform.
_COMPILER_HINTS = {
    "linux": " and Python's headers (Debian/Ubuntu: `apt-get install gcc python3-dev`; "
    "Fedora: `dnf install gcc python3-devel`)",
    "darwin": " (`xcode-select --install`)",
    "win32": " (Microsoft C++ Build Tools)",
}


def _what_to_do() -> str:
    """The advice of the import warning: install a compiler, then the pip command.

    Built from this machine's facts only (its platform, and where pip installed wsframe
    from, read from the installed distribution's ``direct_url.json``); never from the
    build machine's, which the build record does not hold.
    """
    platform = next((k for k in _COMPILER_HINTS if sys.platform.startswith(k)), "")
    hint = _COMPILER_HINTS.get(platform, "")
    command = _reinstall_command()
    where = " in the wsframe source checkout" if command.endswith(" .") else ""
    if command.endswith(" wsframe"):
        where = " from its source distribution"
    return (
        f"Install a C compiler{hint}, then rebuild{where}: `{command}` "
        "(--no-cache-dir: pip would otherwise reuse the pure wheel it built before; "
        "-v shows the build log)."
    )


def _reinstall_command() -> str:
    """``python -m pip install --force-reinstall --no-cache-dir <source>``.

    ``<source>`` is the directory, VCS URL or source distribution file wsframe was
    installed from when pip recorded one (PEP 610); ``--no-binary wsframe wsframe``
    (build it from the index's source distribution) for an install from an index or
    from a wheel file (a wheel holds no sources to rebuild); ``.`` (run in the wsframe
    source checkout) when no installed distribution is found (a source tree imported
    in place).
    """
    source = "."
    editable = False
    try:
        from importlib.metadata import PackageNotFoundError, distribution

        text = distribution("wsframe").read_text("direct_url.json")
    except (ImportError, PackageNotFoundError, OSError):
        text = None
    else:
        if not text:  # installed from an index: no direct_url.json
            source = "--no-binary wsframe wsframe"
    if text:
        try:
            record = json.loads(text)
        except ValueError:
            record = None
        if isinstance(record, dict) and isinstance(record.get("url"), str):
            url: str = record["url"]
            vcs = record.get("vcs_info")
            if isinstance(record.get("dir_info"), dict) and url.startswith("file://"):
                source = _file_path(url)
                editable = bool(record["dir_info"].get("editable"))
            elif isinstance(vcs, dict) and isinstance(vcs.get("vcs"), str):
                source = f"{vcs['vcs']}+{url}"
            elif isinstance(record.get("archive_info"), dict):
                # A source distribution file rebuilds; a wheel holds no sources.
                if url.startswith("file://") and url.endswith((".tar.gz", ".zip")):
                    source = _file_path(url)
                else:
                    source = "--no-binary wsframe wsframe"
    if " " in source and not source.startswith("--"):
        source = f'"{source}"'
    return "python -m pip install --force-reinstall --no-cache-dir " + (f"-e {source}" if editable else source)


def _file_path(url: str) -> str:
    """The local path of a ``file://`` URL (as pip records it, PEP 610)."""
    from urllib.parse import unquote, urlparse
    from urllib.request import url2pathname

    return url2pathname(unquote(urlparse(url).path))


def _source_tree_note() -> str:
    """Say so when wsframe was imported from a source checkout, and what to do.

    Run inside the checkout, ``python -c "import wsframe"`` imports ``./wsframe`` (the
    current directory comes first on ``sys.path``), not the installed package; an
    unbuilt source tree then reports the pure-Python backend.

    Returns:
        ``""`` outside a source tree, else ``"; ..."`` to append to the reason.
    """
    here = Path(__file__).resolve().parent
    root = here.parent
    if not ((root / "setup.py").is_file() and (root / "pyproject.toml").is_file()):
        return ""
    build = "`python setup.py build_ext --inplace` or `python -m pip install -e .`"
    for entry in sys.path:
        try:
            other = Path(entry or os.curdir).resolve() / "wsframe"
        except OSError:  # pragma: no cover - an unreadable sys.path entry
            continue
        if other != here and (other / "__init__.py").is_file():
            return (
                f"; this wsframe is the source tree {here}, which shadows the installed "
                f"one in {other} (Python looks in the current directory first): run "
                "from another directory to use the installed package, or build this "
                f"tree in place with {build}"
            )
    return (
        f"; {here} is a source tree with no compiled modules: build it in place with "
        f"{build}, or install it (`python -m pip install .`) and import wsframe from "
        "another directory"
    )


backend, reason, mask, utf8, frames = _load()
