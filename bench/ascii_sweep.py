"""``utf8.decode`` of ASCII against ``bytes.decode`` at every length of the fine grid, for
a loaded machine: the fastest of many short interleaved rounds on each side.

    WSFRAME_SIMD=scalar python -m bench.ascii_sweep            # the whole grid
    WSFRAME_SIMD=avx2 python -m bench.ascii_sweep 320,448,1024
    WSFRAME_SIMD=sse4 python -m bench.ascii_sweep 16,64,127 cjk,emoji   # other kinds

One line per length (and kind, when given: any of ``inputs.DECODE_KINDS``): level,
length, wsframe's and CPython's fastest round (ns per call), their ratio (> 1: wsframe
faster) and the median of the per-round ratios.  The fastest
round is the least preempted one, so the ratio of the two holds up where the paired
rounds of ``python -m bench`` (a median) move with other processes' load.
"""

from __future__ import annotations

import gc
import statistics
import sys
import timeit

from wsframe._speedups import _utf8

from . import inputs
from .workloads import DECODE_FINE

ROUNDS = 21
ROUND_SECONDS = 0.0005


def rounds(data: bytes) -> tuple[list[float], list[float]]:
    """``ROUNDS`` interleaved rounds of ``utf8.decode(data)`` and ``data.decode()``: the
    ns per call of each round, wsframe's and CPython's (the output checked first)."""
    assert _utf8.decode(data) == data.decode()
    ours = timeit.Timer("f(a0)", globals={"f": _utf8.decode, "a0": data})
    peer = timeit.Timer("a0.decode()", globals={"a0": data})
    loops = max(1, int(ROUND_SECONDS / (min(peer.repeat(5, 20)) / 20)))
    mine: list[float] = []
    theirs: list[float] = []
    for _ in range(ROUNDS):
        mine.append(ours.timeit(loops) / loops * 1e9)
        theirs.append(peer.timeit(loops) / loops * 1e9)
    return mine, theirs


def main(argv: list[str]) -> None:
    lengths = [int(x) for x in argv[0].split(",")] if argv else list(DECODE_FINE)
    kinds = argv[1].split(",") if len(argv) > 1 else ["ascii"]
    gc.disable()
    for kind, n in [(k, n) for k in kinds for n in lengths]:
        mine, theirs = rounds(inputs.text(kind, n))
        paired = statistics.median(c / w for c, w in zip(theirs, mine))
        label = n if kinds == ["ascii"] else f"{kind} {n}"
        fastest = min(theirs) / min(mine)
        print(f"{_utf8.simd_level} {label} {min(mine):.1f} {min(theirs):.1f} {fastest:.3f} {paired:.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])
