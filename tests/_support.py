"""Helpers shared by the wsframe test suite.

Everything here is an *oracle* or a *locator*: independent, obviously-correct
re-statements of the rules (built on CPython's own UTF-8 decoder and on plain
integer XOR), plus the code that loads the conformance data in ``tests/data``.  Nothing
here imports a wsframe backend, so the same helpers serve both backends.
"""

from __future__ import annotations

import functools
import json
import os
from array import array
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

__all__ = [
    "BUFFER_KINDS",
    "DATA_DIR",
    "REPO_ROOT",
    "autobahn_cases",
    "buffer_variants",
    "conformance_path",
    "cpython_utf8_start",
    "kuhn_items",
    "load_autobahn",
    "load_kuhn",
    "utf8_fail_index",
    "utf8_prefix_viable",
    "xor_mask_reference",
]

#: The repository root: ``tests/`` lives directly below it.
REPO_ROOT = Path(__file__).resolve().parents[1]

# ---------------------------------------------------------------------------
# The conformance data (tests/data, extracted by tools/extract_conformance.py).
# ---------------------------------------------------------------------------

#: Where the conformance vectors live: inside the repository, so a clone runs them all.
DATA_DIR = REPO_ROOT / "tests" / "data"


def conformance_path(name: str) -> Path | None:
    """Path of ``tests/data/<name>``, or None if the file is missing.

    Raises:
        FileNotFoundError: the file is missing and ``$WSFRAME_REQUIRE_CONFORMANCE``
            is ``1`` (CI sets it so missing data fails instead of skipping).
    """
    path = DATA_DIR / name
    if path.is_file():
        return path
    if os.environ.get("WSFRAME_REQUIRE_CONFORMANCE") == "1":
        raise FileNotFoundError(
            f"conformance file {path} not found "
            "(regenerate it with tools/extract_conformance.py)"
        )
    return None


def _load_json(name: str) -> dict[str, Any] | None:
    path = conformance_path(name)
    if path is None:
        return None
    with path.open("r", encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


@functools.cache
def load_autobahn() -> dict[str, Any] | None:
    """Load ``tests/data/autobahn_cases.json`` (cached), or None if it is missing."""
    return _load_json("autobahn_cases.json")


def autobahn_cases(kind: str) -> list[dict[str, Any]]:
    """All cases of one ``kind`` ("utf8", "frames", "close"); [] if unavailable."""
    data = load_autobahn()
    if data is None:
        return []
    return [case for case in data["cases"] if case.get("kind") == kind]


@functools.cache
def load_kuhn() -> dict[str, Any] | None:
    """Load ``tests/data/kuhn_utf8_sequences.json`` (cached), or None if it is missing."""
    return _load_json("kuhn_utf8_sequences.json")


def kuhn_items() -> list[dict[str, Any]]:
    """The test sequences of Markus Kuhn's UTF-8 stress test file; [] if unavailable."""
    data = load_kuhn()
    return [] if data is None else list(data["items"])


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
