"""The zlib backends permessage-deflate can run on, and which one ``zlib=None`` means.

Three bindings share zlib's API (``compressobj``, ``decompressobj``,
``error``, the constants): the standard library's ``zlib``, ``zlib_ng.zlib_ng``
(zlib-ng, 2-4x faster compression) and ``isal.isal_zlib`` (Intel ISA-L).  A
CPython built against zlib-ng in compatibility mode says so in
``zlib.ZLIBNG_VERSION``: its standard ``zlib`` is then the fast one already.

The protocols below are what the codec uses of a backend, so that the codec
is typed against them rather than ``Any``.
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType
from typing import Protocol

__all__ = [
    "BACKENDS",
    "Compressor",
    "Decompressor",
    "backend_name",
    "import_backend",
    "zlib_backend",
]

#: The backends wsframe knows by name, and the module each name imports.
BACKENDS: dict[str, str] = {
    "zlib": "zlib",
    "zlib-ng": "zlib_ng.zlib_ng",
    "isal": "isal.isal_zlib",
}
_PACKAGES = {"zlib": "(standard library)", "zlib-ng": "zlib-ng", "isal": "isal"}
# What a module passed as zlib= must have.
_API = (
    "compressobj",
    "decompressobj",
    "error",
    "DEFLATED",
    "Z_SYNC_FLUSH",
    "Z_FULL_FLUSH",
    "Z_DEFAULT_STRATEGY",
)


class Compressor(Protocol):
    """A ``compressobj()``: what :class:`wsframe.deflate.Deflater` calls."""

    def compress(self, data: bytes | bytearray | memoryview, /) -> bytes: ...

    def flush(self, mode: int = ..., /) -> bytes: ...


class Decompressor(Protocol):
    """A ``decompressobj()``: what :class:`wsframe.deflate.Inflater` calls."""

    @property
    def eof(self) -> bool: ...

    @property
    def unconsumed_tail(self) -> bytes: ...

    def decompress(self, data: bytes | bytearray | memoryview, /, max_length: int = ...) -> bytes: ...


def _stdlib_is_zlib_ng() -> bool:
    import zlib

    return hasattr(zlib, "ZLIBNG_VERSION")


def _preference() -> tuple[str, ...]:
    """The order ``zlib=None`` tries, without ``$WSFRAME_ZLIB``: fastest first.

    The standard library's zlib first when CPython links zlib-ng (no extra
    package needed), else the zlib-ng package, else the standard library.
    isal is never picked by default: it inflates small messages more slowly
    than zlib (docs/deflate.md).
    """
    return ("zlib",) if _stdlib_is_zlib_ng() else ("zlib-ng", "zlib")


def import_backend(name: str) -> ModuleType:
    """The module of backend ``name`` (a key of :data:`BACKENDS`).

    Raises:
        ValueError: an unknown name.
        ImportError: the backend's package is not installed (says what to install).
    """
    try:
        dotted = BACKENDS[name]
    except KeyError:
        raise ValueError(f"unknown zlib backend {name!r}; choose one of {', '.join(BACKENDS)}") from None
    try:
        return importlib.import_module(dotted)
    except ImportError as exc:
        raise ImportError(
            f"zlib backend {name!r} needs the {_PACKAGES[name]!r} package, "
            f"which is not installed ({exc}); pip install {_PACKAGES[name]}"
        ) from exc


_default_cache: dict[str | None, ModuleType] = {}


def _default(env: str | None) -> ModuleType:
    module = _default_cache.get(env)
    if module is None:
        if env is not None:
            try:
                module = import_backend(env)
            except ValueError as exc:
                raise ValueError(f"WSFRAME_ZLIB: {exc}") from None
        else:
            for name in _preference():
                try:
                    module = import_backend(name)
                    break
                except ImportError:
                    continue
            assert module is not None  # the standard library's zlib
        _default_cache[env] = module
    return module


def zlib_backend(zlib: ModuleType | str | None = None) -> ModuleType:
    """Resolve the zlib module that :class:`Inflater`/:class:`Deflater` use.

    Args:
        zlib: ``None`` for the default (``$WSFRAME_ZLIB`` if set, else the
            standard library's zlib when CPython links zlib-ng, else zlib-ng
            when installed, else the standard library's zlib); a name from
            :data:`BACKENDS` (``"zlib"``, ``"zlib-ng"``, ``"isal"``); or a
            module with zlib's API (``compressobj``, ``decompressobj``,
            ``error``, constants).

    Raises:
        ValueError: an unknown backend name (also from ``$WSFRAME_ZLIB``).
        ImportError: the named backend's package is not installed.
        TypeError: an object that is not a module with zlib's API.
    """
    if zlib is None:
        return _default(os.environ.get("WSFRAME_ZLIB") or None)
    if isinstance(zlib, str):
        return import_backend(zlib)
    if not isinstance(zlib, ModuleType) or not all(hasattr(zlib, a) for a in _API):
        raise TypeError(f"zlib must be None, a backend name or a module with zlib's API, not {zlib!r}")
    return zlib


def backend_name(zlib: ModuleType) -> str:
    """The :data:`BACKENDS` name of a zlib module, else its ``__name__``."""
    for name, dotted in BACKENDS.items():
        if zlib.__name__ == dotted:
            return name
    return zlib.__name__
