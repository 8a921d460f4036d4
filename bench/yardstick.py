"""``python -m bench.yardstick SIMDUTF_CHECKOUT``: the transcoder against simdutf, per level.

How far a goal is from the state of the art: `simdutf <https://github.com/simdutf/simdutf>`_
is the fastest published UTF-8 transcoder, with one kernel per x86 level (westmere = SSE4.2,
haswell = AVX2, icelake = AVX-512 VBMI2).  This command times, on the bench's own inputs
(:func:`bench.inputs.text`):

- ``bytes.decode("utf-8")`` and ``wsframe.utf8.decode`` at every SIMD level this CPU has,
  each level in its own process (``WSFRAME_SIMD``), interleaved rounds as in
  :mod:`bench.ascii_sweep`, after one large allocation has raised glibc's mmap threshold
  as in any long-running process (CPython's decoder reallocates its buffer as it widens,
  which otherwise costs it page faults at 64 KiB of mixed text);
- simdutf's length + validating conversion to the str's width (Latin-1, UTF-16 or UTF-32)
  into a buffer allocated once, for every implementation this CPU runs, by
  ``bench/yardstick_simdutf.cpp`` compiled against the checkout's amalgamated header
  (made with the checkout's ``singleheader/amalgamate.py`` when missing).  simdutf is
  told the width and builds no str: the comparison flatters it.

Output: one Markdown table, ns per call (fastest round) and the speed ratio to
``bytes.decode`` (> 1 = faster).  simdutf is not a dependency and is fetched by hand::

    git clone --depth 1 https://github.com/simdutf/simdutf /tmp/simdutf
    python -m bench.yardstick /tmp/simdutf --kinds mixed,cjk,emoji --sizes 1024,65536
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from . import inputs
from .levels import cpu_model, levels

ROOT = Path(__file__).resolve().parent.parent


def _width(data: bytes) -> str:
    """The code unit simdutf converts to for the str ``data`` decodes to."""
    top = max(map(ord, data.decode("utf-8")), default=0)
    return "latin1" if top < 0x100 else "utf16" if top < 0x10000 else "utf32"


def _time_level(cases: list[tuple[str, int]]) -> None:
    """In a process with WSFRAME_SIMD set: print JSON {case: [wsframe_ns, cpython_ns]}."""
    from wsframe._speedups import _utf8

    from .ascii_sweep import rounds

    bytes(4 << 20).decode()  # a large free raises glibc's mmap threshold, as in a server
    gc.disable()
    out: dict[str, object] = {"level": _utf8.simd_level}
    for kind, size in cases:
        mine, theirs = rounds(inputs.text(kind, size))
        out[f"{kind}_{size}"] = [min(mine), min(theirs)]
    print(json.dumps(out))


def _build(checkout: Path, work: Path) -> Path:
    header = checkout / "singleheader"
    if not (header / "simdutf.cpp").exists():
        subprocess.run([sys.executable, "amalgamate.py"], cwd=header, check=True, capture_output=True)
    exe = work / "yardstick_simdutf"
    cxx = os.environ.get("CXX") or shutil.which("c++") or "g++"
    cmd = [cxx, "-O3", "-std=c++17", f"-I{header}", str(ROOT / "bench" / "yardstick_simdutf.cpp")]
    subprocess.run([*cmd, str(header / "simdutf.cpp"), "-o", str(exe)], check=True)
    return exe


def _simdutf(exe: Path, work: Path, cases: list[tuple[str, int]]) -> dict[str, dict[str, float]]:
    argv: list[str] = [str(exe)]
    for kind, size in cases:
        path = work / f"{kind}_{size}"
        data = inputs.text(kind, size)
        path.write_bytes(data)
        argv += [_width(data), str(path)]
    lines = subprocess.run(argv, check=True, capture_output=True, text=True).stdout.split("\n")
    table: dict[str, dict[str, float]] = {}
    for line in filter(None, lines):
        path, impl, fastest, _median = line.split()
        table.setdefault(Path(path).name, {})[impl] = float(fastest)
    return table


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.yardstick", description=__doc__.split("\n")[0])
    parser.add_argument("checkout", nargs="?", help="a simdutf source checkout")
    parser.add_argument("--kinds", default="latin1,cyrillic,cjk,emoji,mixed")
    parser.add_argument("--sizes", default="1024,65536")
    parser.add_argument("--time-level", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    cases = [(k, int(s)) for k in args.kinds.split(",") for s in args.sizes.split(",")]
    if args.time_level:
        _time_level(cases)
        return
    if args.checkout is None:
        parser.error("the simdutf checkout is required")
    per_level: dict[str, dict[str, list[float]]] = {}
    for level in levels(ROOT):
        env = dict(os.environ, WSFRAME_SIMD=level, PYTHONPATH=str(ROOT))
        env.pop("WSFRAME_PURE_PYTHON", None)
        cmd = [sys.executable, "-m", "bench.yardstick", "--time-level", "--kinds", args.kinds, "--sizes", args.sizes]
        per_level[level] = json.loads(subprocess.run(cmd, env=env, cwd=ROOT, check=True, capture_output=True).stdout)
    with tempfile.TemporaryDirectory() as tmp:
        simd = _simdutf(_build(Path(args.checkout), Path(tmp)), Path(tmp), cases)
    impls = sorted({i for row in simd.values() for i in row})
    print(
        f"{cpu_model()}, CPython {sys.version.split()[0]}; ns per call (the fastest of bench.ascii_sweep's rounds), "
        " x = bytes.decode's time / its (wsframe: in its own process)"
    )
    print()
    head = ["input", "bytes.decode"] + [f"wsframe {lv}" for lv in per_level] + [f"simdutf {i}" for i in impls]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for kind, size in cases:
        key = f"{kind}_{size}"
        cpython = statistics.median(per_level[lv][key][1] for lv in per_level)
        cells = [f"{kind} {size} B", f"{cpython:.0f}"]
        cells += [
            f"{per_level[lv][key][0]:.0f} ({per_level[lv][key][1] / per_level[lv][key][0]:.2f}x)" for lv in per_level
        ]
        cells += [f"{simd[key][i]:.0f} ({cpython / simd[key][i]:.2f}x)" if i in simd[key] else "-" for i in impls]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
