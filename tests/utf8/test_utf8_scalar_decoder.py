"""Tests for ``decode``'s one-pass scalar decoder (``wsf_dec_checked*``, ``wsf_str.h``).

The compiled ``decode`` validates and decodes in one pass, then allocates the
str once, for every non-ASCII input at the levels without a vector transcoder
(scalar, SSE2: 32-bit code points on the stack below 2048 bytes, on the heap
from there) and below 128 bytes at every level.  So lengths are swept across
those cutoffs, for text of each width and every str kind (UCS-1/2/4, checked
by size, not only by equality), with every kind of ill-formed sequence at
every position: a lone continuation, C0/C1 and F5..FF leads, overlongs
(E0 80, F0 8F), surrogates (ED A0), above U+10FFFF (F4 90), a wrong
continuation byte, and a truncation by the end of the input.  The oracle is
CPython's strict decoder (the text, ``UnicodeDecodeError.start`` and whether
its reason is "unexpected end of data"); the same checks run against the
reference backend.  Each level runs in its own interpreter (``WSFRAME_SIMD``).
"""

from __future__ import annotations

import importlib
import textwrap
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from _support import run_at_simd_level
from wsframe.errors import InvalidUTF8

_COMPILED: ModuleType | None
try:
    _COMPILED = importlib.import_module("wsframe._speedups._utf8")
except ImportError:  # the compiled backend is not built
    _COMPILED = None

# The checks, shared by the in-process tests and the per-level script: the
# script is this source text plus a driver, so both run exactly these rules.
_CHECKS = textwrap.dedent(
    r'''
    import sys

    # One character of each width (and each str kind) to build text from.
    CHARS = ["a", "é", "ÿ", "Ā", "Ж", "\u0800", "中", "\uffff", "\U00010000", "😀", "\U0010ffff"]

    # Ill-formed sequences, each (bytes, truncated?) as CPython reports them.
    BAD = [
        (b"\x80", False), (b"\xbf", False), (b"\xc0\x80", False), (b"\xc1\xbf", False),
        (b"\xc2\x41", False), (b"\xe0\x80\x80", False), (b"\xe0\x9f\xbf", False),
        (b"\xed\xa0\x80", False), (b"\xed\xbf\xbf", False), (b"\xe4\xb8\x41", False),
        (b"\xf0\x8f\xbf\xbf", False), (b"\xf4\x90\x80\x80", False),
        (b"\xf0\x9f\x98\x41", False), (b"\xf5\x80\x80\x80", False), (b"\xf8", False),
        (b"\xff", False),
    ]
    # Valid sequences cut short: truncated only when the end of the input follows.
    CUT = [b"\xc3", b"\xe4", b"\xe4\xb8", b"\xf0", b"\xf0\x9f", b"\xf0\x9f\x98"]

    def footprint(text):
        """The size of text + text: a new str of text's kind (a concatenation keeps the
        wider kind of its parts, so a str of too wide a kind shows), without the UTF-8
        copy CPython may have cached on a str (its one-character strs are shared)."""
        return sys.getsizeof(text + text)

    def verdict(decode, err_type, data):
        try:
            text = decode(data)
        except err_type as exc:
            msg = str(exc)
            truncated = msg.startswith("truncated UTF-8 sequence at byte ")
            assert truncated or msg.startswith("invalid UTF-8 at byte "), msg
            assert msg.endswith(f" at byte {exc.position}"), msg
            return ("err", exc.position, truncated)
        assert type(text) is str
        return ("ok", text, footprint(text))

    def oracle(data):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return ("err", exc.start, exc.reason == "unexpected end of data")
        return ("ok", text, footprint(text))

    def check(decode, err_type, data):
        got, want = verdict(decode, err_type, data), oracle(data)
        assert got == want, (data[:40], len(data), got[0], got[1] if got[0] == "err" else "", want[0])

    def text_of(char, nbytes):
        """About nbytes of UTF-8: char repeated, padded with ASCII to exactly nbytes."""
        enc = char.encode()
        k = nbytes // len(enc)
        return (enc * k + b"x" * (nbytes - k * len(enc))).decode()

    def run_checks(decode, err_type, lengths, every_position):
        for n in lengths:
            for char in CHARS:
                base = text_of(char, n)
                data = base.encode()
                check(decode, err_type, data)
                check(decode, err_type, data[1:])  # may start on a continuation
                # The widest character last, first, alone among ASCII.
                for other in ("ÿ", "Ā", "\uffff", "\U0010ffff"):
                    check(decode, err_type, (base[:-1] + other).encode())
                    check(decode, err_type, (other + base[1:]).encode())
                positions = range(len(data)) if every_position else {0, len(data) // 2, len(data) - 1}
                for p in positions:
                    if not 0 <= p < len(data):
                        continue
                    # Only at character starts: the rest of the data stays valid.
                    if (data[p] & 0xC0) == 0x80:
                        continue
                    head, tail = data[:p], data[p:]
                    for seq, _ in BAD:
                        check(decode, err_type, head + seq + tail)
                    for seq in CUT:
                        check(decode, err_type, head + seq)  # truncated by the end
                        check(decode, err_type, head + seq + tail)  # invalid
    '''
)

_NS: dict[str, Any] = {}
exec(_CHECKS, _NS)  # our own source text, shared with the level script

# Lengths around the cutoffs: 8-byte words, 128 bytes (below it every level
# takes the one-pass decoder), 192 (the ASCII bet changes), 384 (where it did), 2048 (stack/heap).
_SHORT = list(range(0, 40)) + list(range(118, 138)) + [191, 192, 193, 255, 256, 383, 384, 385]
_LONG = [2040, 2046, 2047, 2048, 2049, 2056, 70001]


@pytest.fixture(params=["reference", "compiled"])
def decode(request: pytest.FixtureRequest) -> Callable[[Any], str]:
    """One backend's ``decode`` (the compiled one skipped when it is not built)."""
    if request.param == "reference":
        from wsframe._reference import utf8 as ref

        return ref.decode
    if _COMPILED is None:
        pytest.skip("compiled backend not built")
    return _COMPILED.decode  # type: ignore[no-any-return]


@pytest.mark.both_backends
def test_short_every_error_at_every_position(decode: Callable[[Any], str]) -> None:
    _NS["run_checks"](decode, InvalidUTF8, _SHORT[:40] + [127, 128, 129], True)


@pytest.mark.both_backends
def test_lengths_around_the_cutoffs(decode: Callable[[Any], str]) -> None:
    _NS["run_checks"](decode, InvalidUTF8, _SHORT + _LONG, False)


@pytest.mark.both_backends
def test_result_kind_matches_cpython(decode: Callable[[Any], str]) -> None:
    # The str kind follows the largest character even when another width is
    # far more common (a 1-byte str must not come out as 2 or 4 bytes).
    for n in (1, 7, 8, 9, 100, 127, 128, 500, 2047, 2048, 3000):
        for small, big in (("a", "é"), ("é", "Ā"), ("Ж", "\uffff"), ("中", "\U00010000"), ("é", "😀")):
            for text in (small * n + big, big + small * n, small * n):
                data = text.encode()
                assert decode(data) == text
                assert _NS["footprint"](decode(data)) == _NS["footprint"](text)


_LEVEL_SCRIPT = _CHECKS + textwrap.dedent(
    r"""
        from wsframe._speedups import _utf8
        from wsframe.errors import InvalidUTF8

        level = sys.argv[1]
        assert _utf8.simd_level == level, (_utf8.simd_level, level)
        short = list(range(0, 40)) + [127, 128, 129]
        run_checks(_utf8.decode, InvalidUTF8, short, True)
        lengths = list(range(118, 138)) + [191, 192, 193, 255, 256, 383, 384, 385, 2040, 2047, 2048, 2049, 70001]
        run_checks(_utf8.decode, InvalidUTF8, lengths, False)
        print("OK", level)
        """
)


@pytest.mark.skipif(_COMPILED is None, reason="compiled backend not built")
@pytest.mark.parametrize("level", list(getattr(_COMPILED, "supported_levels", ())) or ["scalar"])
def test_one_pass_at_level(level: str) -> None:
    run_at_simd_level(_LEVEL_SCRIPT, level)
