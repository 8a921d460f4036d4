"""``python -m bench --levels`` (or ``python -m bench.levels``): every SIMD level this CPU has.

The compiled backend picks its kernels once per process (``WSFRAME_SIMD``, read when
``wsframe._speedups._mask`` is imported), so each level is measured in its own
``python -m bench`` subprocess with ``WSFRAME_SIMD=<level>``. The levels take their
turns run after run (run 1 of every level, then run 2, ...), so each level sees the
machine's load of the same minutes; every subprocess times wsframe[c] and the peers in
one process (paired rounds, see :mod:`bench.runner`), and the table reports, per level,
the median over the runs of wsframe[c]'s ratio to the best peer, with the runs' range.

Output: a per-level Markdown table on stdout (and in ``DIR/levels.md`` with
``--output DIR``, beside each run's ``results.json``), headed by the machine (CPU
model, cores, Python), the command and the load average at the start and the end.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["DEFAULT_IMPLS", "DEFAULT_WORKLOADS", "cpu_model", "levels", "main", "summary", "tables"]

#: What the per-level tables cover by default: the transcoder over a length sweep and
#: on every text kind, and one text message wire -> str.
DEFAULT_WORKLOADS = (
    "decode.sweep.ascii,decode.latin1,decode.cyrillic,decode.cjk,decode.mixed,decode.emoji,"
    "decode.prose,decode.latin_prose,decode.json_intl,message.text.*"
)
#: wsframe's compiled backend and the peers of those workloads.
DEFAULT_IMPLS = "wsframe[[]c[]],CPython decode,aiohttp"


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), else what :mod:`platform` says."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def levels(root: Path) -> list[str]:
    """The SIMD levels this CPU supports, as the compiled backend of ``root`` lists them."""
    code = "from wsframe._speedups import _mask; print(' '.join(_mask.supported_levels))"
    env = dict(os.environ, PYTHONPATH=str(root))
    env.pop("WSFRAME_SIMD", None)
    env.pop("WSFRAME_PURE_PYTHON", None)
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=root, check=True, capture_output=True, text=True
    ).stdout
    return out.split()


def _load() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def _run_one(root: Path, level: str, bench_args: list[str], out_dir: Path) -> dict[str, Any]:
    env = dict(os.environ, WSFRAME_SIMD=level, PYTHONPATH=str(root))
    env.pop("WSFRAME_PURE_PYTHON", None)
    cmd = [sys.executable, "-m", "bench", *bench_args, "--no-plots", "--output", str(out_dir)]
    proc = subprocess.run(cmd, env=env, cwd=root, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"WSFRAME_SIMD={level} {' '.join(cmd)} failed:\n{proc.stderr[-2000:]}")
    with open(out_dir / "results.json", encoding="utf-8") as f:
        document: dict[str, Any] = json.load(f)
    got = document["environment"]["wsframe"].get("simd_level")
    if got != level:
        raise RuntimeError(f"asked for level {level}, the run used {got}")
    return document


def _rows(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (workload, size): wsframe[c]'s median time and its ratio to the best
    peer, median and range over the runs."""
    cells: dict[tuple[str, int], dict[str, Any]] = {}
    for doc in documents:
        for r in doc["results"]:
            if r["impl"] != "wsframe[c]" or r["status"] != "ok" or not r.get("ratio_to_best_peer"):
                continue
            cell = cells.setdefault(
                (r["workload"], r["size"]),
                {
                    "workload": r["workload"],
                    "size": r["size"],
                    "label": r["label"],
                    "peer": r["best_peer"],
                    "ratios": [],
                    "ns": [],
                },
            )
            cell["ratios"].append(r["ratio_to_best_peer"])
            cell["ns"].append(r["median_ns"])
    rows = []
    for cell in cells.values():
        cell["ratio"] = statistics.median(cell["ratios"])
        cell["median_ns"] = statistics.median(cell["ns"])
        rows.append(cell)
    return rows


def _cell(rows: list[dict[str, Any]], workload: str, size: int) -> dict[str, Any] | None:
    for r in rows:
        if r["workload"] == workload and r["size"] == size:
            return r
    return None


def _fmt(r: dict[str, Any]) -> str:
    return f"{r['ratio']:.2f} [{min(r['ratios']):.2f}-{max(r['ratios']):.2f}]"


def summary(by_level: dict[str, list[dict[str, Any]]]) -> str:
    """One line per level against the speed goals: the ASCII sweep's lowest ratio and
    the lengths below 1.0x, the lowest non-ASCII decode ratio at 1 KiB and 64 KiB, and
    the text message ratios (whatever of these the run measured)."""
    lines = [
        "| level | ASCII sweep: lowest (length) | lengths below 1.0x | non-ASCII 1 KiB: "
        "lowest (kind) | non-ASCII 64 KiB: lowest (kind) | message ascii 64 B / 448 B / "
        "1 KiB / 64 KiB | message mixed 64 B / 448 B / 1 KiB / 64 KiB |",
        "|---|---|---|---|---|---|---|",
    ]
    kinds = ("latin1", "cyrillic", "cjk", "mixed", "emoji", "prose", "latin_prose", "json_intl")
    for level, rows in by_level.items():
        # The default sweep, or the fine one (decode.fine.ascii) when that is what ran.
        sweep = [r for r in rows if r["workload"] in ("decode.sweep.ascii", "decode.fine.ascii")]
        low = min(sweep, key=lambda r: r["ratio"]) if sweep else None
        below = [str(r["size"]) for r in sorted(sweep, key=lambda r: r["size"]) if r["ratio"] < 1.0]
        cols = [
            f"{_fmt(low)} ({low['size']} B)" if low else "-",
            f"{len(below)} of {len(sweep)}: {', '.join(below) or '-'}",
        ]
        for size in (1024, 65536):
            found = [(k, c) for k in kinds if (c := _cell(rows, f"decode.{k}", size))]
            worst = min(found, key=lambda kc: kc[1]["ratio"]) if found else None
            cols.append(f"{_fmt(worst[1])} ({worst[0]})" if worst else "-")
        for kind in ("ascii", "mixed"):
            got = [_cell(rows, f"message.text.{kind}", s) for s in (64, 448, 1024, 65536)]
            cols.append(" / ".join(f"{c['ratio']:.2f}" if c else "-" for c in got))
        lines.append(f"| {level} | " + " | ".join(cols) + " |")
    return "\n".join(lines) + "\n"


def _ns(value: float) -> str:
    if value >= 1e6:
        return f"{value / 1e6:.2f} ms"
    if value >= 1e3:
        return f"{value / 1e3:.2f} us"
    return f"{value:.1f} ns"


def tables(by_level: dict[str, list[dict[str, Any]]], header: dict[str, Any]) -> str:
    """The Markdown report: the machine, the command, then one table per level."""
    lines = [
        f"Machine: {header['cpu']} ({header['cores']} cores), Python {header['python']}, "
        f"wsframe {header['commit']}; load average (1/5/15 min) {header['load_start']} at "
        f"the start, {header['load_end']} at the end.",
        "",
        f"Command: `{header['command']}` - per level `WSFRAME_SIMD=<level> python -m bench "
        f"{' '.join(header['bench_args'])}`, {header['runs']} runs per level, levels in turn.",
        "Ratio = best peer's time / wsframe[c]'s time (> 1: wsframe faster), paired rounds "
        "in one process; the median of the runs, [min - max] over the runs.",
        "",
        summary(by_level),
    ]
    for level, rows in by_level.items():
        lines += [
            f"#### Level `{level}`",
            "",
            "| workload | size | wsframe[c] | peer | ratio | runs |",
            "|---|---:|---:|---|---:|---|",
        ]
        for r in rows:
            spread = ", ".join(f"{x:.2f}" for x in sorted(r["ratios"]))
            lines.append(
                f"| {r['workload']} | {r['label']} | {_ns(r['median_ns'])} | "
                f"{r['peer']} | {r['ratio']:.2f}x | {spread} |"
            )
        lines.append("")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench --levels",
        description="Run python -m bench once per SIMD level this CPU has (WSFRAME_SIMD, "
        "one subprocess per level and run) and print per-level tables.",
    )
    parser.add_argument(
        "--only", default=DEFAULT_WORKLOADS, metavar="PATTERN", help=f"workloads (default: {DEFAULT_WORKLOADS})"
    )
    parser.add_argument(
        "--impl", default=DEFAULT_IMPLS, metavar="PATTERN", help=f"implementations (default: {DEFAULT_IMPLS})"
    )
    parser.add_argument(
        "--level", action="append", metavar="NAME", help="only these levels (default: every level the CPU has)"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per level (default 3)")
    parser.add_argument("--rounds", type=int, metavar="N", help="passed to python -m bench")
    parser.add_argument("--quick", action="store_true", help="passed to python -m bench")
    parser.add_argument(
        "--output", type=Path, metavar="DIR", help="keep every run's results.json and write DIR/levels.md"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns 0, or 1 when a run failed."""
    args = build_parser().parse_args(argv)
    if args.runs < 1:
        raise SystemExit("--runs must be at least 1")
    root = Path(__file__).resolve().parent.parent
    chosen = levels(root)
    if args.level:
        unknown = [lv for lv in args.level if lv not in chosen]
        if unknown:
            raise SystemExit(f"not supported by this CPU: {', '.join(unknown)}")
        chosen = [lv for lv in chosen if lv in args.level]
    bench_args = ["--only", args.only, "--impl", args.impl]
    if args.quick:
        bench_args.append("--quick")
    if args.rounds:
        bench_args += ["--rounds", str(args.rounds)]
    out = args.output or Path(tempfile.mkdtemp(prefix="wsframe-levels-"))
    header = {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "load_start": _load(),
        "bench_args": [repr(a) if " " in a or "[" in a else a for a in bench_args],
        "runs": args.runs,
        "command": "python -m bench --levels " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    documents: dict[str, list[dict[str, Any]]] = {lv: [] for lv in chosen}
    started = time.time()
    try:
        for run in range(args.runs):
            for level in chosen:
                target = out / level / f"run{run + 1}"
                target.mkdir(parents=True, exist_ok=True)
                sys.stderr.write(f"[{time.time() - started:6.0f}s] {level} run {run + 1}\n")
                documents[level].append(_run_one(root, level, bench_args, target))
    except RuntimeError as exc:
        sys.stderr.write(f"{exc}\n")
        return 1
    header["load_end"] = _load()
    commits = {doc["environment"]["wsframe"].get("git_commit") for docs in documents.values() for doc in docs}
    header["commit"] = ", ".join(sorted(str(c) for c in commits))
    text = tables({lv: _rows(docs) for lv, docs in documents.items()}, header)
    sys.stdout.write(text + "\n")
    (out / "levels.md").write_text(text + "\n", encoding="utf-8")
    sys.stderr.write(f"results in {out}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
