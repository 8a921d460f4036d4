"""The compiled ``decode``'s ASCII bet, at every SIMD level, against CPython's decoder.

Below a threshold the whole input is checked before the str is allocated; from it on
an input whose first 64 bytes are ASCII is copied into a 1-byte str while it is
checked (the level's vector kernel, or eight 8-byte words a step in plain C at the
scalar level), and a lost bet drops the copy and decodes from the start.  So the
lengths here straddle the threshold, the 64-byte steps, the vector widths and the
aligned-store start (1 KiB), and one foreign byte sits at each edge of the steps and
in the overlapping last word: a lost bet must still give CPython's str, or its error
position.
"""

from __future__ import annotations

import importlib
import textwrap

import pytest

from _support import run_at_simd_level

try:
    _COMPILED = importlib.import_module("wsframe._speedups._utf8")
except ImportError:
    _COMPILED = None

_SCRIPT = textwrap.dedent(
    r"""
    import sys
    from wsframe._speedups import _utf8
    from wsframe.errors import InvalidUTF8

    level = sys.argv[1]
    assert _utf8.simd_level == level, (_utf8.simd_level, level)

    def result(f, b):
        try:
            return ("ok", f(b))
        except (InvalidUTF8, UnicodeDecodeError) as exc:
            return ("err", getattr(exc, "position", getattr(exc, "start", None)))

    lengths = sorted({*range(184, 200), *range(248, 266), *range(376, 392), 511, 512, 513,
                      639, 640, 641, 1000, 1023, 1024, 1025, 1087, 1088, 1089, 4095, 4096,
                      4097, 65535, 65536, 65537})
    foreign = [b"\xc3\xa9", b"\xe4\xb8\xad", b"\xf0\x9f\x98\x80", b"\x80", b"\xff", b"\xc3"]
    for n in lengths:
        base = bytes(0x20 + (k * 7) % 0x5F for k in range(n))  # printable ASCII
        assert _utf8.decode(base) == base.decode(), n
        assert _utf8.decode(bytearray(base)) == base.decode(), n
        edges = {0, 1, 7, 8, 63, 64, 65, 127, 128, 191, 192, n // 2, n - 65, n - 64,
                 n - 9, n - 8, n - 7, n - 4, n - 2, n - 1}
        for p in sorted(q for q in edges if 0 <= q < n):
            for enc in foreign:
                data = (base[:p] + enc + base[p:])[:n]
                want = result(lambda b: b.decode("utf-8"), data)
                got = result(_utf8.decode, data)
                assert got == want, (n, p, enc, got[0], want[0], got[1:] if got[0] == "err" else "")
    print("OK", level)
    """
)


@pytest.mark.skipif(_COMPILED is None, reason="compiled backend not built")
@pytest.mark.parametrize("level", list(getattr(_COMPILED, "supported_levels", ())) or ["scalar"])
def test_ascii_bet_edges(level: str) -> None:
    run_at_simd_level(_SCRIPT, level)
