"""``python -m bench``: wsframe (both backends) against every installed peer.

For each workload and size, every implementation that has the operation is
prepared on the same input, run once and checked against the oracle, then
timed (see :mod:`bench.timing`). Results are printed as each size finishes,
and with ``--output DIR`` written to ``DIR/results.json``, ``DIR/results.md``
and PNG plots.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from dataclasses import asdict
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, TextIO

from . import environment, memory, report, timing
from .peers import NOTHING, Impl, Unavailable, implementations
from .result import Result, paired_ratio
from .workloads import FAMILIES, WORKLOADS, Workload, select

__all__ = ["main", "run"]


def _describe_mismatch(got: Any, expected: Any) -> str:
    """A short description of how an output differs from the oracle."""
    if isinstance(got, list) and isinstance(expected, list):
        if len(got) != len(expected):
            return f"{len(got)} items instead of {len(expected)}"
        for i, (a, b) in enumerate(zip(got, expected)):
            if a != b:
                return f"item {i} differs: {_short(a)} != {_short(b)}"
    return f"{_short(got)} != {_short(expected)}"


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _figures(result: Result, m: timing.Measurement) -> None:
    result.min_ns, result.median_ns, result.max_ns = m.min_ns, m.median_ns, max(m.samples_ns)
    result.rounds, result.loops = m.rounds, m.loops
    result.samples_ns = [round(s, 3) for s in m.samples_ns]
    result.gbps = result.nbytes / m.median_ns  # bytes per ns == GB/s
    result.gbps_min = result.nbytes / result.max_ns
    result.gbps_max = result.nbytes / m.min_ns
    if result.items:
        result.items_per_s = result.items / m.median_ns * 1e9


def _ratios(group: list[Result]) -> None:
    """Set each row's speed relative to the fastest peer of its group.

    The fastest peer is the one with the lowest median time. The ratio is the
    median of the per-round ratios (round *i* of the peer against round *i* of
    the row: the implementations take their rounds in turn, so a pair saw the
    same load), with their min and max as the spread.
    """
    peers = [r for r in group if r.kind == "peer" and r.status == "ok" and r.median_ns]
    if not peers:
        return
    best = min(peers, key=lambda r: r.median_ns or float("inf"))
    for r in group:
        if r.status == "ok" and r.median_ns:
            r.best_peer = best.impl
            r.ratio_to_best_peer, r.ratio_min, r.ratio_max = paired_ratio(
                r.samples_ns, best.samples_ns, (best.median_ns or 0) / r.median_ns
            )


class Progress:
    """One status line on a terminal (rewritten in place), silent otherwise."""

    def __init__(self, stream: TextIO, total: int) -> None:
        self.stream = stream
        self.total = total
        self.done = 0
        self.live = stream.isatty()
        self.start = time.perf_counter()

    def show(self, text: str) -> None:
        if self.live:
            elapsed = time.perf_counter() - self.start
            line = f"[{self.done}/{self.total} {elapsed:5.1f}s] {text}"
            self.stream.write("\r\x1b[2K" + line[:120])
            self.stream.flush()

    def clear(self) -> None:
        if self.live:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


def _prepare_one(
    impl: Impl,
    workload: Workload,
    case_args: tuple[Any, ...],
    expected: Any,
    result: Result,
    settings: timing.Settings,
) -> timing.Timed | None:
    """Set up, verify and calibrate one implementation; None when it cannot be timed.

    On failure ``result`` gets status "error" (it raised) or "mismatch" (wrong
    output: a benchmark of a wrong result is worthless, so it is not timed).
    """
    try:
        prepared = getattr(impl, workload.op)(*case_args)
    except Unavailable as exc:  # e.g. a wsframe API this build does not have yet
        result.status, result.reason = "skipped", f"not available: {exc}"
        return None
    except Exception as exc:
        result.status, result.reason = "error", f"setup: {type(exc).__name__}: {exc}"
        return None
    result.note = prepared.note
    want = expected if prepared.expected is NOTHING else prepared.expected
    try:
        got = raw = prepared.run()
        if workload.normalize is not None and prepared.expected is NOTHING:
            got = workload.normalize(got)
    except Exception as exc:
        result.status, result.reason = "error", f"{type(exc).__name__}: {exc}"
        return None
    if got != want:
        result.status = "mismatch"
        result.reason = "wrong result, not timed: " + _describe_mismatch(got, want)
        return None
    if workload.describe is not None and prepared.expected is NOTHING:
        # (an output of its own form, such as the bare compressor's, is not described)
        result.output_info = workload.describe(raw)
    del got, raw
    try:
        return timing.Timed(prepared.stmt, prepared.ns, settings)
    except Exception as exc:
        result.status, result.reason = "error", f"while timing: {type(exc).__name__}: {exc}"
        return None


def run(
    workloads: list[Workload],
    impls: list[Impl],
    settings: timing.Settings,
    *,
    quick: bool,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> list[Result]:
    """Run ``workloads`` on the loaded ``impls``; print each size's rows as it ends.

    Args:
        workloads: what to run.
        impls: implementations whose :meth:`~bench.peers.Impl.load` succeeded.
        settings: timing settings (quick or full).
        quick: use the workloads' quick sizes.
        out: where the table goes.
        err: where the progress line goes.
    """
    results: list[Result] = []
    total = sum(len(w.sizes(quick)) * sum(1 for i in impls if i.supports(w.op)) for w in workloads)
    progress = Progress(err, total)
    # Move everything alive now (modules, peers) out of the collector's sight:
    # the gc.collect() between rounds then costs microseconds, not milliseconds.
    gc.collect()
    gc.freeze()
    for workload in workloads:
        users = [i for i in impls if i.supports(workload.op)]
        if not users:
            continue
        report.print_workload_header(workload, out)
        workload_start = time.perf_counter()
        too_slow: dict[str, str] = {}
        for size in workload.sizes(quick):
            progress.show(f"{workload.name}: building input ({size})")
            case = workload.build(size)
            gc.collect()
            gc.freeze()
            group: list[Result] = []
            timers: list[tuple[Result, timing.Timed]] = []
            for impl in users:  # set up, verify and calibrate each implementation
                progress.show(f"{workload.name} {case.label}: {impl.name} (check, calibrate)")
                result = Result(
                    workload.name,
                    workload.family,
                    size,
                    case.label,
                    impl.name,
                    impl.kind,
                    status="skipped",
                    nbytes=case.nbytes,
                    items=case.items,
                )
                group.append(result)
                reason = impl.op_unavailable(workload.op) or too_slow.get(impl.name)
                if reason:
                    result.reason = reason
                    progress.done += 1
                    continue
                timer = _prepare_one(impl, workload, case.args, case.expected, result, settings)
                if timer is None:
                    progress.done += 1
                else:
                    timers.append((result, timer))
            for n in range(max((t.rounds for _, t in timers), default=0)):
                progress.show(f"{workload.name} {case.label}: round {n + 1}")
                for result, timer in timers:  # interleaved: round n of each in turn
                    if result.status == "error":
                        continue
                    try:
                        timer.round()
                    except Exception as exc:
                        result.status = "error"
                        result.reason = f"while timing: {type(exc).__name__}: {exc}"
            for result, timer in timers:
                progress.done += 1
                if result.status == "error":
                    continue
                result.status = "ok"
                _figures(result, timer.result())
                per_call = (result.min_ns or 0) / 1e9
                if per_call > settings.max_call:
                    too_slow[result.impl] = f"too slow for larger sizes ({per_call:.2f} s per call at {case.label})"
            del timers
            _ratios(group)
            progress.clear()
            report.print_group(group, out)
            results.extend(group)
            del case
            gc.unfreeze()  # let the next collection free this size's inputs
            gc.collect()
            gc.freeze()
        out.write(f"({workload.name}: {time.perf_counter() - workload_start:.1f} s)\n")
    progress.clear()
    gc.unfreeze()
    return results


def _load(patterns: list[str] | None, out: TextIO) -> tuple[list[Impl], list[dict[str, Any]]]:
    """Load the implementations matching ``patterns``; describe every one."""
    loaded: list[Impl] = []
    listing: list[dict[str, Any]] = []
    for impl in implementations():
        if patterns and not any(p == impl.name or fnmatchcase(impl.name, p) for p in patterns):
            continue
        entry: dict[str, Any] = {"name": impl.name, "kind": impl.kind}
        try:
            impl.load()
        except Unavailable as exc:
            entry.update(status="skipped", reason=str(exc), version=impl.version())
        else:
            entry.update(status="ok", detail=impl.detail, version=impl.version())
            loaded.append(impl)
        listing.append(entry)
    report.print_implementations(listing, out)
    return loaded, listing


def _split(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [p.strip() for v in values for p in v.split(",") if p.strip()]


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface of ``python -m bench``."""
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark wsframe (compiled and pure-Python backends) against the "
        "installed peers (websockets, aiohttp, wsaccel, wsproto, autobahn, CPython, "
        "simdutf) on identical inputs, checking every result before timing it.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="fewer sizes, 10k instead of 100k frames, short rounds (under 30 s)"
    )
    parser.add_argument(
        "--only",
        action="append",
        metavar="PATTERN",
        help="workloads to run: names, families or fnmatch patterns, "
        "comma-separated or repeated (e.g. mask,utf8.ascii, "
        "'frames.decode.*'); see --list",
    )
    parser.add_argument(
        "--impl",
        action="append",
        metavar="PATTERN",
        help="implementations to run (fnmatch on the names shown by --list)",
    )
    parser.add_argument(
        "--output", type=Path, metavar="DIR", help="write DIR/results.json, DIR/results.md and DIR/*.png"
    )
    parser.add_argument("--rounds", type=int, metavar="N", help="timed rounds per case (default: 3 quick, 7 full)")
    parser.add_argument("--no-plots", action="store_true", help="do not draw PNG plots")
    parser.add_argument("--list", action="store_true", help="list workloads and implementations, then exit")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point. Returns 0, or 1 when a wsframe result was wrong or raised, 2 on bad usage."""
    parser = build_parser()
    args = parser.parse_args(argv)
    out = sys.stdout
    try:
        workloads = select(_split(args.only))
    except ValueError as exc:
        parser.error(str(exc))
    if args.rounds is not None and args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.list:
        out.write("workload families: " + ", ".join(FAMILIES) + "\n")
        for w in WORKLOADS:
            out.write(f"  {w.name:32} {w.title}\n")
        _load(None, out)
        return 0

    patterns = _split(args.only)
    want_memory = memory.MEMORY_WORKLOAD in {w.name for w in workloads} or not patterns
    settings = timing.QUICK if args.quick else timing.FULL
    if args.rounds is not None:
        settings = timing.Settings(
            settings.name,
            settings.round_time,
            args.rounds,
            min(args.rounds, settings.slow_rounds),
            settings.slow_call,
            settings.max_call,
        )
    started = time.time()
    env = environment.describe()
    report.print_environment(env, settings, out)
    impls, listing = _load(_split(args.impl), out)
    results = run(workloads, impls, settings, quick=args.quick, out=out)
    memory_rows: list[dict[str, Any]] = []
    if want_memory:
        memory_rows = memory.measure(args.quick, str(Path(__file__).resolve().parent.parent))
        memory.print_table(memory_rows, out)
    elapsed = time.time() - started
    headline = report.headline(results)
    report.print_headline(headline, out)

    document = {
        "schema": 1,
        "created_unix": started,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "duration_s": round(elapsed, 1),
        "command": "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        "mode": settings.name,
        "settings": asdict(settings),
        "environment": env,
        "implementations": listing,
        "workloads": [
            {"name": w.name, "family": w.family, "title": w.title, "sizes": list(w.sizes(args.quick))}
            for w in workloads
        ],
        "results": [asdict(r) for r in results],
        "headline": headline,
        "memory": memory_rows,
    }
    if args.output is not None:
        directory: Path = args.output
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "results.json").write_text(json.dumps(document, indent=1) + "\n")
        (directory / "results.md").write_text(report.markdown(document))
        out.write(f"\nwrote {directory / 'results.json'} and {directory / 'results.md'}\n")
        if not args.no_plots:
            from . import plotting

            for line in plotting.plot_all(document, directory):
                out.write(line + "\n")
    out.write(f"done in {time.time() - started:.1f} s\n")

    bad = [r for r in results if r.kind == "wsframe" and r.status in ("mismatch", "error")]
    if bad:
        for r in bad:
            sys.stderr.write(f"FAILED {r.impl} {r.workload} {r.label}: {r.reason}\n")
        return 1
    return 0
