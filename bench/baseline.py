"""Before/after: this checkout against an earlier commit, on the same workloads.

``python -m bench.baseline REV`` exports commit ``REV`` of this repository
(``git archive``) into a scratch directory, puts this checkout's ``bench/`` in
it (so both sides run the same workloads and oracles), builds its compiled
backend in place, then runs ``python -m bench`` in the old tree and in this one
alternately, ``--repeat`` times each. A compiled module cannot be loaded twice
under one name, so the two sides cannot share a process; alternating the runs
and normalising each wsframe figure by a peer measured in the same run
(aiohttp by default, whose code does not change) keeps the comparison fair on
a machine whose load drifts.

The result, per workload and size: the speed-up ``before / after`` of
wsframe[c]'s median time (the median over the repeats), raw and normalised by
the peer (a cross-check), and the before/after goals of bench/goals.py read on the raw
speed-up.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .goals import BEFORE_AFTER_GOALS

__all__ = ["compare", "main"]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ONLY = "message.text,frames.encode.text16.masked,messages.text16"


def _run(cmd: list[str], cwd: Path) -> None:
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} (in {cwd}) failed:\n{done.stderr[-2000:]}")


def prepare(rev: str, directory: Path) -> Path:
    """Export ``rev`` into ``directory`` with this checkout's bench/, built in place."""
    tree = directory / f"wsframe-{rev}"
    if not (tree / "setup.py").exists():
        tree.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)
    shutil.rmtree(tree / "bench", ignore_errors=True)
    shutil.copytree(ROOT / "bench", tree / "bench", ignore=shutil.ignore_patterns("__pycache__"))
    _run([sys.executable, "setup.py", "build_ext", "--inplace", "-q"], tree)
    return tree


def _figures(path: Path, peer: str) -> dict[tuple[str, int], tuple[float, float | None]]:
    """(workload, size) -> (wsframe[c] median ns, the peer's median ns or None)."""
    doc = json.loads(path.read_text())
    out: dict[tuple[str, int], tuple[float, float | None]] = {}
    rows = {(r["workload"], r["size"], r["impl"]): r for r in doc["results"]}
    for (workload, size, impl), r in rows.items():
        if impl != "wsframe[c]" or r["status"] != "ok":
            continue
        other = rows.get((workload, size, peer))
        ref = other["median_ns"] if other and other["status"] == "ok" else None
        out[(workload, size)] = (r["median_ns"], ref)
    return out


def compare(before: list[Path], after: list[Path], peer: str) -> list[dict[str, Any]]:
    """Speed-ups of ``after`` over ``before`` from the runs' results.json files."""
    b_runs = [_figures(p, peer) for p in before]
    a_runs = [_figures(p, peer) for p in after]
    keys = sorted(set().union(*b_runs, *a_runs))
    rows = []
    for key in keys:
        b = [r[key] for r in b_runs if key in r]
        a = [r[key] for r in a_runs if key in r]
        if not a or not b:
            continue
        b_ns = statistics.median(x for x, _ in b)
        a_ns = statistics.median(x for x, _ in a)
        b_rel = [x / y for x, y in b if y]
        a_rel = [x / y for x, y in a if y]
        norm = statistics.median(b_rel) / statistics.median(a_rel) if b_rel and a_rel else None
        rows.append(
            {
                "workload": key[0],
                "size": key[1],
                "before_ns": b_ns,
                "after_ns": a_ns,
                "speedup": b_ns / a_ns,
                "speedup_normalised": norm,
                "repeats": min(len(a), len(b)),
            }
        )
    return rows


def _verdicts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = {(r["workload"], r["size"]): r for r in rows}
    out = []
    for what, workload, size, need, area in BEFORE_AFTER_GOALS:
        r = found.get((workload, size))
        if r is None:
            continue
        value = r["speedup"]
        out.append(
            {
                "what": what,
                "area": area,
                "need": need,
                "speedup": value,
                "normalised": r["speedup_normalised"],
                "met": value >= need if need > 1 else value > 1,
            }
        )
    return out


def markdown(rev: str, head: str, rows: list[dict[str, Any]], peer: str, command: str) -> str:
    """The comparison as Markdown."""
    lines = [
        f"Before/after: `{rev}` -> `{head}`, `{command}`; wsframe[c] median times "
        f"(median over the repeats); normalised = the speed-up of wsframe[c]'s time "
        f"relative to {peer}'s in the same run.",
        "",
        "| workload | size | before | after | speed-up | normalised |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for r in rows:
        norm = f"{r['speedup_normalised']:.2f}x" if r["speedup_normalised"] else "-"
        lines.append(
            f"| {r['workload']} | {r['size']} | {r['before_ns']:.0f} ns | "
            f"{r['after_ns']:.0f} ns | {r['speedup']:.2f}x | {norm} |"
        )
    verdicts = _verdicts(rows)
    if verdicts:
        lines += ["", "| goal | measured | normalised | area |", "| --- | --- | --- | --- |"]
        for v in verdicts:
            need = f">= {v['need']:g}x" if v["need"] > 1 else "> 1x"
            norm = f"{v['normalised']:.2f}x" if v["normalised"] else "-"
            lines.append(
                f"| {v['what']} ({need}) | {v['speedup']:.2f}x: "
                f"{'met' if v['met'] else 'NOT met'} | {norm} | {v['area']} |"
            )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command line; see the module docstring."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.baseline", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("rev", help="the earlier commit (e.g. a8354b6)")
    parser.add_argument("--only", default=DEFAULT_ONLY, help=f"workloads (default {DEFAULT_ONLY})")
    parser.add_argument("--peer", default="aiohttp", help="the yardstick run on both sides")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each side (default 3)")
    parser.add_argument("--quick", action="store_true", help="pass --quick to each run")
    parser.add_argument(
        "--output", type=Path, default=None, help="directory for the runs and baseline.md (default: a temp dir)"
    )
    parser.add_argument(
        "--workdir", type=Path, default=Path(tempfile.gettempdir()), help="where the earlier tree is exported and built"
    )
    args = parser.parse_args(argv)
    out = args.output or Path(tempfile.mkdtemp(prefix="wsframe-baseline-"))
    out.mkdir(parents=True, exist_ok=True)
    try:
        tree = prepare(args.rev, args.workdir)
    except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
        print(f"python -m bench.baseline: {exc}", file=sys.stderr)
        return 1
    impls = f"wsframe[c],{args.peer}"
    before: list[Path] = []
    after: list[Path] = []
    for n in range(args.repeat):
        for side, cwd, paths in (("before", tree, before), ("after", ROOT, after)):
            target = out / f"{side}-{n}"
            cmd = [
                sys.executable,
                "-m",
                "bench",
                "--only",
                args.only,
                "--impl",
                impls,
                "--output",
                str(target),
                "--no-plots",
            ] + (["--quick"] if args.quick else [])
            print(f"run {n + 1}/{args.repeat} {side}: {' '.join(cmd[1:])}", flush=True)
            _run(cmd, cwd)
            paths.append(target / "results.json")
    rows = compare(before, after, args.peer)
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    command = "python -m bench.baseline " + " ".join(argv if argv is not None else sys.argv[1:])
    text = markdown(args.rev, head or "HEAD", rows, args.peer, command)
    (out / "baseline.md").write_text(text)
    (out / "baseline.json").write_text(json.dumps({"rows": rows, "goals": _verdicts(rows)}, indent=1) + "\n")
    print(text)
    print(f"wrote {out / 'baseline.md'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
