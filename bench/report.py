"""Terminal tables, the Markdown report and the headline ratios."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any, TextIO

from .goals import EQUAL_WORK, FRAMES_PER_S_TARGET, TARGETS
from .result import paired_ratio

if TYPE_CHECKING:
    from .result import Result
    from .timing import Settings
    from .workloads import Workload

__all__ = [
    "headline",
    "markdown",
    "print_environment",
    "print_group",
    "print_headline",
    "print_implementations",
    "print_workload_header",
]

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
    """ "compiled modules built", or which of them are missing."""
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
        f"  method  : {settings.name}: {settings.rounds} interleaved rounds of >= "
        f"{settings.round_time * 1e3:g} ms, GC off while timing; median per call "
        "[min-max of the rounds]\n"
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
        f"{'size':14} {'implementation':20} {'median/call':>11} {'[min - max]':>21} "
        f"{'GB/s':>7} {'items/s':>8} {'vs best peer [range]':>22}\n"
    )
    out.flush()


def fmt_spread(r: Result | dict[str, Any]) -> str:
    """``[min - max]`` of the rounds' per-call times, in the unit of the median."""
    get = r.get if isinstance(r, dict) else lambda k: getattr(r, k)
    low, median, high = get("min_ns"), get("median_ns"), get("max_ns")
    if low is None or high is None or median is None:
        return "[-]"
    unit, scale = next(((u, f) for u, f in (("s", 1e9), ("ms", 1e6), ("us", 1e3)) if median >= f), ("ns", 1.0))

    def num(v: float) -> str:
        return f"{v:.3g}" if v < 1000 else f"{v:.0f}"

    return f"[{num(low / scale)} - {num(high / scale)} {unit}]"


def fmt_ratio_range(r: Result | dict[str, Any]) -> str:
    """``2.1x [1.9-2.4]``: the median of the per-round ratios and their range."""
    get = r.get if isinstance(r, dict) else lambda k: getattr(r, k)
    ratio = get("ratio_to_best_peer")
    if ratio is None:
        return "-"
    low, high = get("ratio_min"), get("ratio_max")
    if low is None or high is None:
        return fmt_ratio(ratio)
    return f"{fmt_ratio(ratio)} [{low:.3g}-{high:.3g}]"


def print_group(group: list[Result], out: TextIO) -> None:
    """The rows of one workload at one size."""
    for r in group:
        if r.status == "ok":
            rate = fmt_rate(r.items_per_s) if r.items > 1 else ""
            info = f"  {r.output_info}" if r.output_info else ""
            out.write(
                f"{r.label:14} {r.impl:20} {fmt_ns(r.median_ns):>11} {fmt_spread(r):>21} "
                f"{fmt_gbps(r.gbps):>7} {rate:>8} {fmt_ratio_range(r):>22}{info}\n"
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


def _compare(
    results: list[Result], workload: str, size: int | None, impl: str, against: tuple[str, ...]
) -> dict[str, Any]:
    """``impl`` against the fastest of ``against``: the median per-round ratio and its range."""
    a = _find(results, workload, size, impl)
    others = [
        b
        for b in (_find(results, workload, size, o) for o in against)
        if b is not None and b.status == "ok" and b.median_ns
    ]
    row: dict[str, Any] = {
        "size": size if size else (a.size if a else None),
        "ratio": None,
        "ratio_min": None,
        "ratio_max": None,
        "against_used": None,
        "status": None,
    }
    if a is None or a.status != "ok" or not a.median_ns:
        row["status"] = a.reason if a is not None and a.reason else "not measured"
        return row
    if not others:
        row["status"] = f"{'/'.join(against)} not measured"
        return row
    b = min(others, key=lambda r: r.median_ns or float("inf"))
    ratio, low, high = paired_ratio(a.samples_ns, b.samples_ns, (b.median_ns or 0) / a.median_ns)
    row.update(ratio=ratio, against_used=b.impl, ratio_min=low, ratio_max=high)
    if a.output_info or b.output_info:  # e.g. the compression ratio each one reached
        row["info"] = f"{a.impl}: {a.output_info or '-'}; {b.impl}: {b.output_info or '-'}"
    return row


def headline(results: list[Result]) -> list[dict[str, Any]]:
    """Equal-work ratios, the speed goals with their verdicts, and wsframe/best-peer spans."""
    rows: list[dict[str, Any]] = []
    ran = {r.workload for r in results}
    for what, workload, other in EQUAL_WORK:
        if workload in ran:
            row = _compare(results, workload, None, "wsframe[c]", (other,))
            row.update(
                what=f"equal work: {what}",
                workload=workload,
                impl="wsframe[c]",
                against=other,
                target=None,
                met=None,
                area="equal work",
                kind="equal",
            )
            rows.append(row)
    for t in TARGETS:
        if t.workload not in ran:
            continue
        row = _compare(results, t.workload, t.size, t.impl, t.against)
        row.update(
            what=t.what,
            workload=t.workload,
            impl=t.impl,
            against="/".join(t.against),
            target=f">= {t.need:g}x",
            area=t.area,
            kind="target",
            met=None if row["ratio"] is None else row["ratio"] >= t.need,
        )
        rows.append(row)
    decode = _find(results, "frames.decode.text16", None, "wsframe[c]")
    if "frames.decode.text16" in ran:
        rate = decode.items_per_s if decode and decode.status == "ok" else None
        rows.append(
            {
                "what": "FrameDecoder 16 B masked text frames, frames/s (frame-only)",
                "workload": "frames.decode.text16",
                "size": decode.size if decode else None,
                "impl": "wsframe[c]",
                "against": None,
                "target": f">= {FRAMES_PER_S_TARGET / 1e6:g} M/s",
                "ratio": rate,
                "ratio_min": None,
                "ratio_max": None,
                "area": "compiled backend",
                "kind": "rate",
                "met": None if rate is None else rate >= FRAMES_PER_S_TARGET,
                "status": None,
            }
        )
    # wsframe[c] against the fastest peer, per workload: the range over sizes.
    spans: dict[str, list[float]] = defaultdict(list)
    for r in results:
        if r.impl == "wsframe[c]" and r.status == "ok" and r.ratio_to_best_peer:
            spans[r.workload].append(r.ratio_to_best_peer)
    for workload, ratios in spans.items():
        rows.append(
            {
                "what": f"{workload}: wsframe[c] / best peer, over sizes",
                "workload": workload,
                "size": None,
                "impl": "wsframe[c]",
                "against": "best peer",
                "target": None,
                "ratio": min(ratios),
                "ratio_max": max(ratios),
                "ratio_min": None,
                "met": None,
                "area": None,
                "kind": "span",
                "status": None,
            }
        )
    return rows


def _range(row: dict[str, Any]) -> str:
    if row.get("ratio_min") is None or row.get("ratio_max") is None:
        return ""
    return f" [{row['ratio_min']:.3g}-{row['ratio_max']:.3g}]"


def _headline_text(row: dict[str, Any]) -> str:
    kind = row.get("kind")
    if kind == "span":
        return f"{fmt_ratio(row['ratio'])} .. {fmt_ratio(row['ratio_max'])}"
    if row["ratio"] is None:
        why = row.get("status") or "not measured"
        return f"{why} (target {row['target']})" if row["target"] else why
    if kind == "rate":
        value = fmt_rate(row["ratio"]) + "/s"
    else:
        value = fmt_ratio(row["ratio"]) + _range(row)
        if row.get("against_used") and "/" in (row.get("against") or ""):
            value += f" (vs {row['against_used']})"
    if row.get("info"):
        value += f" ({row['info']})"
    if row["target"] is None:
        return value
    verdict = "met" if row["met"] else "NOT met"
    return f"{value} (target {row['target']}: {verdict})"


def print_headline(rows: list[dict[str, Any]], out: TextIO) -> None:
    """The equal-work ratios, the targets and the wsframe/best-peer ranges, after the tables."""
    out.write(
        "\n== headline (speed ratio = other's time / wsframe[c]'s time: median of the per-round ratios [their range])\n"
    )
    for row in rows:
        out.write(f"  {row['what']:66} {_headline_text(row)}\n")


# ------------------------------------------------------------------ Markdown


_RATE_FAMILIES = ("frames-decode", "messages", "deflate", "integration")


def _cell(r: dict[str, Any], rate: bool) -> str:
    if r["status"] == "ok":
        spread = fmt_spread(r)
        if rate:
            text = f"{fmt_rate(r['items_per_s'])}/s ({fmt_ns(r['median_ns'])} {spread})"
        else:
            text = f"{fmt_gbps(r['gbps'])} ({fmt_ns(r['median_ns'])} {spread})"
        if r.get("output_info"):
            text += f"; {r['output_info']}"
        return text
    if r["status"] == "skipped":
        if "too slow" in r["reason"]:
            return "too slow"
        return "not available" if r["reason"].startswith("not available") else "skipped"
    return "**WRONG**" if r["status"] == "mismatch" else "error"


def _ratio_cell(c: dict[str, Any] | None) -> str:
    """wsframe[c] against the best peer, saying so when it is slower."""
    if not c or c["status"] != "ok" or c.get("ratio_to_best_peer") is None:
        return "-"
    text = fmt_ratio_range(c)
    if c.get("best_peer"):
        if c["ratio_to_best_peer"] < 1:
            return f"**{text}: slower than {c['best_peer']}**"
        text += f" ({c['best_peer']})"
    return text


def _headline_table(rows: list[dict[str, Any]], kind: str, with_area: bool) -> list[str]:
    chosen = [r for r in rows if r.get("kind") == kind]
    if not chosen:
        return []
    head = "| what | measured |" + (" area |" if with_area else "")
    lines = [head, "| --- | --- |" + (" --- |" if with_area else "")]
    for row in chosen:
        area = f" {row.get('area') or ''} |" if with_area else ""
        lines.append(f"| {row['what']} | {_headline_text(row)} |{area}")
    return lines


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
    settings = doc["settings"]
    lines = [
        f"{h} wsframe benchmark results ({doc['mode']} run)",
        "",
        f"- command: `{doc['command']}` ({doc['created']}, {doc['duration_s']} s)",
        f"- machine: {env['cpu_model']}, {env['cpu_count']} logical CPUs, {env['platform']}"
        + (f", load average {env['load_average'][0]:.2f} at the start" if env.get("load_average") else ""),
        f"- SIMD flags: {' '.join(env['cpu_flags_simd']) or 'unknown'}",
        f"- Python: {env['python_implementation']} {env['python']} ({env['compiler']})",
        f"- wsframe {env['versions'].get('wsframe')} (commit {ws['git_commit'] or 'n/a'}), "
        f"active backend `{ws['active_backend']}`, {compiled_summary(ws['compiled_modules'])}, "
        f"SIMD level `{ws['simd_level'] or 'n/a'}`",
        "- versions: " + ", ".join(f"{k} {v}" for k, v in env["versions"].items() if v and k != "wsframe"),
        f"- method: {settings['rounds']} rounds of >= {settings['round_time'] * 1e3:g} ms per "
        "figure, the implementations of one figure taking their rounds in turn, GC off while "
        "timing; every figure is the **median** of its rounds with the [min - max] of the "
        "rounds; a ratio is the median of the per-round ratios (round i of each ran back to "
        "back) with their [range]; "
        "every output was checked against an oracle first",
        "",
        f"{h}# Implementations",
        "",
        "| implementation | version | what is measured |",
        "| --- | --- | --- |",
    ]
    for entry in doc["implementations"]:
        what = entry.get("detail") if entry["status"] == "ok" else f"skipped: {entry['reason']}"
        lines.append(f"| {entry['name']} | {entry.get('version') or ''} | {what} |")
    lines += [
        "",
        f"{h}# Headline",
        "",
        "Speed ratio = the other's time / wsframe[c]'s time: the median of the per-round ratios, with their [range].",
        "",
    ]
    equal = _headline_table(doc["headline"], "equal", False)
    if equal:
        lines += ["Equal work: frames to messages (text as `str`) on both sides.", "", *equal, ""]
    targets = _headline_table(doc["headline"], "target", True) + _headline_table(doc["headline"], "rate", True)
    if targets:
        lines += ["Speed goals (bench/goals.py; area: the part of wsframe each one is about).", "", *targets, ""]
    spans = _headline_table(doc["headline"], "span", False)
    if spans:
        lines += ["wsframe[c] against the fastest peer, lowest .. highest over the sizes.", "", *spans]

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
        rate = family in _RATE_FAMILIES
        impls = list(dict.fromkeys(r["impl"] for r in rows))
        labels = list(dict.fromkeys(r["label"] for r in rows))
        unit = (
            "items (frames or messages) per second, median time per call [min - max]"
            if rate
            else "GB/s, median time per call [min - max]"
        )
        lines += ["", f"{h}## {name}: {titles.get(name, '')}", "", f"Cells: {unit}.", ""]
        lines.append("| size | " + " | ".join(impls) + " | wsframe[c] / best peer |")
        lines.append("| --- " * (len(impls) + 2) + "|")
        cells = {(r["label"], r["impl"]): r for r in rows}
        for label in labels:
            row_cells = [_cell(cells[(label, i)], rate) if (label, i) in cells else "" for i in impls]
            ratio = _ratio_cell(cells.get((label, "wsframe[c]")))
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
    if doc.get("memory"):
        from .memory import markdown as memory_markdown

        lines += memory_markdown(doc["memory"], h)
    lines.append("")
    return "\n".join(lines)
