"""Helpers shared by the wsframe test suite.

Everything here is an *oracle* or a *locator*: independent, obviously-correct
re-statements of the rules (built on CPython's own UTF-8 decoder and on plain
integer XOR), plus the code that finds the shared conformance data.  Nothing
here imports a wsframe backend, so the same helpers serve both backends.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "REPO_ROOT",
    "shared_dir",
    "conformance_path",
    "load_autobahn",
    "autobahn_cases",
    "cpython_utf8_start",
    "utf8_prefix_viable",
    "utf8_fail_index",
    "xor_mask_reference",
    "buffer_variants",
    "BUFFER_KINDS",
]

#: The repository root: ``tests/`` lives directly below it.
REPO_ROOT = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------------------
# Locating ../shared (the conformance data lives beside the repository).
# ---------------------------------------------------------------------------


def _git_toplevel(start: Path) -> Path | None:
    """Return ``git rev-parse --show-toplevel`` for *start*, or None."""
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"],
            cwd=start,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0 or not out.stdout.strip():
        return None
    return Path(out.stdout.strip())


@functools.lru_cache(maxsize=None)
def shared_dir() -> Path | None:
    """Find the ``shared`` directory that sits next to the repository.

    Looked up, in order: ``$WSFRAME_SHARED_DIR``; ``<git top-level>/../shared``;
    ``<tests/..>/../shared``.  Returns None when none of them holds a
    ``conformance`` folder (e.g. a clone copied elsewhere).
    """
    candidates: list[Path] = []
    env = os.environ.get("WSFRAME_SHARED_DIR")
    if env:
        candidates.append(Path(env))
    top = _git_toplevel(REPO_ROOT)
    if top is not None:
        candidates.append(top.parent / "shared")
    candidates.append(REPO_ROOT.parent / "shared")
    for cand in candidates:
        if (cand / "conformance").is_dir():
            return cand.resolve()
    return None


def conformance_path(name: str) -> Path | None:
    """Path of ``shared/conformance/<name>``, or None if it cannot be found.

    Raises:
        FileNotFoundError: the file is missing and ``$WSFRAME_REQUIRE_CONFORMANCE``
            is ``1`` (CI sets it so missing data fails instead of skipping).
    """
    base = shared_dir()
    path = base / "conformance" / name if base is not None else None
    if path is not None and path.is_file():
        return path
    if os.environ.get("WSFRAME_REQUIRE_CONFORMANCE") == "1":
        raise FileNotFoundError(
            f"conformance file {name!r} not found next to {REPO_ROOT} "
            "(set WSFRAME_SHARED_DIR to the folder holding conformance/)"
        )
    return None


@functools.lru_cache(maxsize=None)
def load_autobahn() -> dict[str, Any] | None:
    """Load ``autobahn_cases.json`` (cached), or None if it is not available."""
    path = conformance_path("autobahn_cases.json")
    if path is None:
        return None
    with path.open("r", encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def autobahn_cases(kind: str) -> list[dict[str, Any]]:
    """All cases of one ``kind`` ("utf8", "frames", "close"); [] if unavailable."""
    data = load_autobahn()
    if data is None:
        return []
    return [case for case in data["cases"] if case.get("kind") == kind]


# ---------------------------------------------------------------------------
# UTF-8 oracles, all derived from CPython's strict decoder.
# ---------------------------------------------------------------------------


def cpython_utf8_start(data: bytes) -> int:
    """``UnicodeDecodeError.start`` of strict decoding, or -1 if *data* is valid."""
    try:
        data.decode("utf-8", "strict")
    except UnicodeDecodeError as exc:
        return exc.start
    return -1


def utf8_prefix_viable(prefix: bytes) -> bool:
    """True if *prefix* can still be extended into well-formed UTF-8.

    CPython's one-shot decoder reports a truncated final sequence as
    "unexpected end of data" and every other problem (bad lead byte, bad
    continuation, overlong, surrogate, > U+10FFFF: Unicode Table 3-7 second
    byte ranges included) differently, so a prefix is viable exactly when it
    decodes or its only problem is that it ends mid-sequence.
    """
    try:
        prefix.decode("utf-8", "strict")
    except UnicodeDecodeError as exc:
        return exc.reason == "unexpected end of data" and exc.end == len(prefix)
    return True


def utf8_fail_index(data: bytes) -> int | None:
    """Index of the first byte after which *data* can no longer become valid.

    That is the byte whose arrival must make a fail-fast validator raise.
    None when every prefix is viable (valid, or only truncated at the end).
    """
    start = cpython_utf8_start(data)
    if start < 0:
        return None
    # The offending byte is at most 3 bytes after the start of the ill-formed
    # sequence (a 4-byte sequence fails at its last byte at the latest).
    for i in range(start, min(len(data), start + 4)):
        if not utf8_prefix_viable(data[: i + 1]):
            return i
    return None


# ---------------------------------------------------------------------------
# Masking oracle (RFC 6455 §5.3): j-th octet XOR mask[(offset + j) % 4].
# ---------------------------------------------------------------------------


def xor_mask_reference(data: bytes, mask: bytes, offset: int = 0) -> bytes:
    """RFC 6455 §5.3 masking as big-integer XOR (fast enough for MiB inputs)."""
    if len(mask) != 4:
        raise AssertionError("oracle needs a 4-byte mask")
    n = len(data)
    if n == 0:
        return b""
    phase = offset % 4
    key = (mask * (n // 4 + 2))[phase : phase + n]
    value = int.from_bytes(data, "little") ^ int.from_bytes(key, "little")
    return value.to_bytes(n, "little")


# ---------------------------------------------------------------------------
# Buffer flavours: the same raw bytes presented through different objects.
# ---------------------------------------------------------------------------


def _as_array(code: str, raw: bytes) -> array[Any]:
    arr: array[Any] = array(code)
    arr.frombytes(raw)
    return arr


def _sliced_memoryview(raw: bytes) -> memoryview:
    # A contiguous view into the middle of a larger buffer: the backend must
    # honour the view's start and length, not the underlying object's.
    padded = b"\xaa\x55\xaa" + raw + b"\x55\xaa\x55\xaa\x55"
    return memoryview(padded)[3 : 3 + len(raw)]


#: name -> (factory, predicate telling whether the raw length is representable)
BUFFER_KINDS: dict[str, tuple[Callable[[bytes], Any], Callable[[int], bool]]] = {
    "bytes": (bytes, lambda n: True),
    "bytearray": (bytearray, lambda n: True),
    "memoryview": (lambda raw: memoryview(raw), lambda n: True),
    "memoryview-sliced": (_sliced_memoryview, lambda n: True),
    "memoryview-readonly": (lambda raw: memoryview(bytearray(raw)).toreadonly(), lambda n: True),
    "array-B": (lambda raw: _as_array("B", raw), lambda n: True),
    "array-H": (lambda raw: _as_array("H", raw), lambda n: n % array("H").itemsize == 0),
    "array-I": (lambda raw: _as_array("I", raw), lambda n: n % array("I").itemsize == 0),
    "memoryview-2d": (
        lambda raw: memoryview(bytearray(raw)).cast("B", (2, len(raw) // 2)),
        lambda n: n >= 2 and n % 2 == 0,
    ),
}


def buffer_variants(raw: bytes) -> Iterator[tuple[str, Any]]:
    """Yield ``(kind, object)`` for every buffer flavour that can hold *raw*."""
    for name, (factory, fits) in BUFFER_KINDS.items():
        if fits(len(raw)):
            yield name, factory(raw)
