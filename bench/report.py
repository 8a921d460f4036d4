"""Terminal tables, the Markdown report and the headline ratios."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from .result import Result
    from .timing import Settings
    from .workloads import Workload

__all__ = [
    "TARGETS",
    "headline",
    "markdown",
    "print_environment",
    "print_group",
    "print_headline",
    "print_implementations",
    "print_workload_header",
]

KiB = 1024
MiB = 1024 * KiB

# The speed targets of the compiled backend (issue 3), checked on every run:
# (what, workload, size or None for "the size of this run", implementation,
#  compared with, minimum speed ratio).
TARGETS: tuple[tuple[str, str, int | None, str, str, float], ...] = (
    ("apply_mask_inplace 16 B vs aiohttp", "mask.inplace", 16, "wsframe[c]", "aiohttp", 1.0),
    ("apply_mask_inplace 16 KiB vs aiohttp", "mask.inplace", 16 * KiB, "wsframe[c]",
     "aiohttp", 2.5),
    ("apply_mask_inplace 1 MiB vs bytes() copy", "mask.inplace", MiB, "wsframe[c]",
     "bytes() copy", 0.9),
    ("apply_mask 16 B vs websockets", "mask.copy", 16, "wsframe[c]", "websockets", 2.0),
    ("apply_mask 16 KiB vs websockets", "mask.copy", 16 * KiB, "wsframe[c]", "websockets", 2.0),
    ("is_valid 64 KiB ASCII vs bytes.decode", "utf8.ascii", 64 * KiB, "wsframe[c]",
     "CPython decode", 4.0),
    *(
        (f"is_valid 64 KiB {kind} vs bytes.decode", f"utf8.{kind}", 64 * KiB, "wsframe[c]",
         "CPython decode", 10.0)
        for kind in ("2byte", "3byte", "4byte", "mixed")
    ),
    ("FrameDecoder 16 B text frames vs aiohttp reader_c", "frames.decode.text16", None,
     "wsframe[c]", "aiohttp", 3.0),
    ("FrameDecoder 16 B text frames vs wsproto", "frames.decode.text16", None, "wsframe[c]",
     "wsproto", 50.0),
)
FRAMES_PER_S_TARGET = 3e6  # list(FrameDecoder().feed(buf)), 16 B masked text frames


# ------------------------------------------------------------------ number formatting


def fmt_ns(ns: float | None) -> str:
    """Nanoseconds with a sensible unit."""
    if ns is None:
        return "-"
    if ns < 1e3:
        return f"{ns:.1f} ns"
    if ns < 1e6:
        return f"{ns / 1e3:.2f} us"
    if ns < 1e9:
        return f"{ns / 1e6:.2f} ms"
    return f"{ns / 1e9:.2f} s"


def fmt_gbps(gbps: float | None) -> str:
    """GB/s with three significant digits."""
    if gbps is None:
        return "-"
    return f"{gbps:.3g}"


def fmt_rate(per_s: float | None) -> str:
    """Items per second in millions."""
    return "-" if per_s is None else f"{per_s / 1e6:.3g} M"


def fmt_ratio(ratio: float | None) -> str:
    """A speed ratio like 2.5x."""
    if ratio is None:
        return "-"
    return f"{ratio:.3g}x" if ratio < 100 else f"{ratio:.0f}x"


# ------------------------------------------------------------------ terminal


def compiled_summary(modules: dict[str, str]) -> str:
    """"compiled modules built", or which of them are missing."""
    missing = [name.rsplit(".", 1)[-1] for name, status in modules.items() if status != "ok"]
    if not missing:
        return "compiled modules built"
    if len(missing) == len(modules):
        return "c backend not built"
    return f"c backend partly built (missing {', '.join(missing)})"


def print_environment(env: dict[str, Any], settings: Settings, out: TextIO) -> None:
    """The header: machine, interpreter, wsframe backend and SIMD level, method."""
    ws = env["wsframe"]
    out.write("wsframe benchmarks (python -m bench)\n")
    out.write(f"  machine : {env['cpu_model']} x{env['cpu_count']}, {env['platform']}\n")
    out.write(f"  simd    : {' '.join(env['cpu_flags_simd']) or 'unknown'}\n")
    out.write(f"  python  : {env['python_implementation']} {env['python']}\n")
    out.write(
        f"  wsframe : {env['versions'].get('wsframe')}, active backend {ws['active_backend']}, "
        f"{compiled_summary(ws['compiled_modules'])}, SIMD level {ws['simd_level'] or 'n/a'}\n"
    )
    out.write(
        f"  method  : {settings.name}: rounds of >= {settings.round_time * 1e3:g} ms, "
        f"{settings.rounds} rounds, GC off while timing; min and median per call\n"
    )


def print_implementations(listing: list[dict[str, Any]], out: TextIO) -> None:
    """Which implementations run, which are skipped and why."""
    out.write("implementations:\n")
    for entry in listing:
        version = entry.get("version") or ""
        if entry["status"] == "ok":
            out.write(f"  {entry['name']:20} {version:10} {entry.get('detail', '')}\n")
        else:
            out.write(f"  {entry['name']:20} {version:10} skipped: {entry['reason']}\n")


def print_workload_header(workload: Workload, out: TextIO) -> None:
    """Title and column names of one workload's table."""
    out.write(f"\n== {workload.name}: {workload.title}\n")
    out.write(
        f"{'size':14} {'implementation':20} {'min/call':>11} {'median':>11} "
        f"{'GB/s':>7} {'frames/s':>9} {'vs best peer':>12}\n"
    )
    out.flush()


def print_group(group: list[Result], out: TextIO) -> None:
    """The rows of one workload at one size."""
    for r in group:
        if r.status == "ok":
            rate = fmt_rate(r.items_per_s) if r.items > 1 else ""
            out.write(
                f"{r.label:14} {r.impl:20} {fmt_ns(r.min_ns):>11} {fmt_ns(r.median_ns):>11} "
                f"{fmt_gbps(r.gbps):>7} {rate:>9} {fmt_ratio(r.ratio_to_best_peer):>12}\n"
            )
        else:
            out.write(f"{r.label:14} {r.impl:20} {r.status}: {r.reason}\n")
    out.flush()


# ------------------------------------------------------------------ headline


def _find(results: list[Result], workload: str, size: int | None, impl: str) -> Result | None:
    for r in results:
        if r.workload == workload and r.impl == impl and (size is None or r.size == size):
            return r
    return None


def headline(results: list[Result]) -> list[dict[str, Any]]:
    """The issue-3 targets, each with the measured ratio (None when not measured)."""
    rows: list[dict[str, Any]] = []
    ran = {r.workload for r in results}
    for what, workload, size, impl, other, need in TARGETS:
        if workload not in ran:
            continue
        a, b = _find(results, workload, size, impl), _find(results, workload, size, other)
        ratio = None
        if a and b and a.status == b.status == "ok" and a.min_ns and b.min_ns:
            ratio = b.min_ns / a.min_ns
        rows.append({
            "what": what, "workload": workload, "size": size if size else (a.size if a else None),
            "impl": impl, "against": other, "target": f">= {need:g}x",
            "ratio": ratio, "met": None if ratio is None else ratio >= need,
        })
    decode = _find(results, "frames.decode.text16", None, "wsframe[c]")
    rate = decode.items_per_s if decode and decode.status == "ok" else None
    rows.append({
        "what": "FrameDecoder 16 B masked text frames, frames/s", "workload":
        "frames.decode.text16", "size": decode.size if decode else None, "impl": "wsframe[c]",
        "against": None, "target": f">= {FRAMES_PER_S_TARGET / 1e6:g} M/s",
        "ratio": rate, "met": None if rate is None else rate >= FRAMES_PER_S_TARGET,
    })
    if "frames.decode.text16" not in ran:
        rows.pop()
    # wsframe[c] against the fastest peer, per workload: the range over sizes.
    spans: dict[str, list[float]] = defaultdict(list)
    for r in results:
        if r.impl == "wsframe[c]" and r.status == "ok" and r.ratio_to_best_peer:
            spans[r.workload].append(r.ratio_to_best_peer)
    for workload, ratios in spans.items():
        rows.append({
            "what": f"{workload}: wsframe[c] / best peer, over sizes", "workload": workload,
            "size": None, "impl": "wsframe[c]", "against": "best peer", "target": None,
            "ratio": min(ratios), "ratio_max": max(ratios), "met": None,
        })
    return rows


def _headline_text(row: dict[str, Any]) -> str:
    if row["target"] is None:
        return f"{fmt_ratio(row['ratio'])} .. {fmt_ratio(row['ratio_max'])}"
    if row["ratio"] is None:
        return f"not measured (target {row['target']})"
    value = fmt_rate(row["ratio"]) + "/s" if row["against"] is None else fmt_ratio(row["ratio"])
    verdict = "met" if row["met"] else "NOT met"
    return f"{value} (target {row['target']}: {verdict})"


def print_headline(rows: list[dict[str, Any]], out: TextIO) -> None:
    """The targets and the wsframe/best-peer ranges, after the tables."""
    out.write("\n== headline (speed ratio = other's time / wsframe[c]'s time, min of rounds)\n")
    for row in rows:
        out.write(f"  {row['what']:58} {_headline_text(row)}\n")


# ------------------------------------------------------------------ Markdown


def _cell(r: dict[str, Any], frames: bool) -> str:
    if r["status"] == "ok":
        if frames:
            return f"{fmt_rate(r['items_per_s'])}/s"
        return f"{fmt_gbps(r['gbps'])} ({fmt_ns(r['min_ns'])})"
    if r["status"] == "skipped":
        return "skipped" if "too slow" not in r["reason"] else "too slow"
    return "**WRONG**" if r["status"] == "mismatch" else "error"


def markdown(doc: dict[str, Any], *, level: int = 1, images: dict[str, str] | None = None) -> str:
    """Markdown of a results document: environment, headline, a table per workload.

    Args:
        doc: the ``results.json`` document.
        level: heading level of the title (2 to embed it in another document).
        images: optional family -> image path, shown above that family's tables.
    """
    env = doc["environment"]
    ws = env["wsframe"]
    h = "#" * level
    lines = [
        f"{h} wsframe benchmark results ({doc['mode']} run)",
        "",
        f"- command: `{doc['command']}` ({doc['created']}, {doc['duration_s']} s)",
        f"- machine: {env['cpu_model']}, {env['cpu_count']} logical CPUs, {env['platform']}",
        f"- SIMD flags: {' '.join(env['cpu_flags_simd']) or 'unknown'}",
        f"- Python: {env['python_implementation']} {env['python']} ({env['compiler']})",
        f"- wsframe {env['versions'].get('wsframe')} (commit {ws['git_commit'] or 'n/a'}), "
        f"active backend `{ws['active_backend']}`, {compiled_summary(ws['compiled_modules'])}, "
        f"SIMD level `{ws['simd_level'] or 'n/a'}`",
        "- versions: " + ", ".join(
            f"{k} {v}" for k, v in env["versions"].items() if v and k != "wsframe"
        ),
        f"- method: rounds of >= {doc['settings']['round_time'] * 1e3:g} ms, "
        f"{doc['settings']['rounds']} rounds, GC off while timing; figures use the "
        "fastest round (min); every output was checked against an oracle first",
        "",
        f"{h}# Implementations",
        "",
        "| implementation | version | what is measured |",
        "| --- | --- | --- |",
    ]
    for entry in doc["implementations"]:
        what = entry.get("detail") if entry["status"] == "ok" else f"skipped: {entry['reason']}"
        lines.append(f"| {entry['name']} | {entry.get('version') or ''} | {what} |")
    lines += ["", f"{h}# Headline", "",
              "Speed ratio = the other's time / wsframe[c]'s time (fastest rounds).", "",
              "| what | measured |", "| --- | --- |"]
    for row in doc["headline"]:
        lines.append(f"| {row['what']} | {_headline_text(row)} |")

    by_workload: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in doc["results"]:
        by_workload[r["workload"]].append(r)
    titles = {w["name"]: w["title"] for w in doc["workloads"]}
    family_seen: set[str] = set()
    for name, rows in by_workload.items():
        family = rows[0]["family"]
        if family not in family_seen:
            family_seen.add(family)
            lines += ["", f"{h}# {family}"]
            if images and family in images:
                lines += ["", f"![{family}]({images[family]})"]
        frames = family == "frames-decode"
        impls = list(dict.fromkeys(r["impl"] for r in rows))
        labels = list(dict.fromkeys(r["label"] for r in rows))
        unit = "frames per second" if frames else "GB/s (time per call)"
        lines += ["", f"{h}## {name}: {titles.get(name, '')}", "", f"Cells: {unit}.", ""]
        lines.append("| size | " + " | ".join(impls) + " | wsframe[c] / best peer |")
        lines.append("| --- " * (len(impls) + 2) + "|")
        cells = {(r["label"], r["impl"]): r for r in rows}
        for label in labels:
            row_cells = [_cell(cells[(label, i)], frames) if (label, i) in cells else ""
                         for i in impls]
            c = cells.get((label, "wsframe[c]"))
            ratio = fmt_ratio(c["ratio_to_best_peer"]) if c and c["status"] == "ok" else "-"
            if c and c.get("best_peer"):
                ratio += f" ({c['best_peer']})"
            lines.append(f"| {label} | " + " | ".join(row_cells) + f" | {ratio} |")
        notes: dict[str, list[str]] = defaultdict(list)
        for r in rows:
            text = r["note"] or ""
            if r["status"] != "ok" and r["reason"]:
                text = f"{r['status']}: {r['reason']}"
            if text and text not in notes[r["impl"]]:
                notes[r["impl"]].append(text)
        if any(notes.values()):
            lines.append("")
            lines += [f"- {impl}: {'; '.join(texts)}" for impl, texts in notes.items() if texts]
    lines.append("")
    return "\n".join(lines)
