"""PNG plots of a results document: one figure per workload family.

- A workload measured at two sizes or more is a line chart: median
  throughput against payload size (log-log), with the min-max of the rounds as
  error bars, one line per implementation.
- A workload measured at one size is a horizontal bar chart on a linear axis
  that starts at zero (bar lengths compare honestly), with the rounds' min-max
  as error bars and each bar labelled with its value and how many times faster
  wsframe[c] is.
- One legend per figure, below the panels, so no legend covers a line.

matplotlib is optional: without it the plots are skipped with a message.
"""

from __future__ import annotations

import math
import textwrap
from collections import defaultdict
from pathlib import Path
from typing import Any

__all__ = ["plot_all"]

_STYLE = {
    "wsframe[c]": {"color": "#d62728", "linewidth": 2.6, "marker": "o", "zorder": 5},
    "wsframe[python]": {"color": "#f08080", "linewidth": 1.2, "linestyle": "--", "marker": "."},
    "bytes() copy": {"color": "#555555", "linewidth": 1.2, "linestyle": ":", "marker": ""},
}
_PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")
# Families whose figure is items per second rather than GB/s, and what the items are.
_RATE_FAMILIES = {"frames-decode": "frames", "messages": "messages", "deflate": "messages", "integration": "messages"}


def _size_tick(n: float) -> str:
    for unit, scale in (("M", 1 << 20), ("K", 1 << 10)):
        if n >= scale and n % scale == 0:
            return f"{n / scale:g}{unit}"
    return f"{n:g}"


def _style(impl: str, colours: dict[str, str]) -> dict[str, Any]:
    if impl in _STYLE:
        return dict(_STYLE[impl])
    if impl.endswith("+wsframe"):  # a library with wsframe's integration installed
        return dict(_STYLE["wsframe[c]"])
    colour = colours.setdefault(impl, _PALETTE[len(colours) % len(_PALETTE)])
    return {"color": colour, "linewidth": 1.4, "marker": "s", "markersize": 3}


def _metric(family: str) -> tuple[str, str, str, str]:
    """(value key, low key, high key, axis label) of a family's figure."""
    if family in _RATE_FAMILIES:
        return "items_per_s", "items_min", "items_max", "per second (median, higher is better)"
    return "gbps", "gbps_min", "gbps_max", "GB/s (median, higher is better)"


def _with_rate_spread(r: dict[str, Any]) -> dict[str, Any]:
    """Add the min-max of items/s, derived from the rounds' min and max times."""
    r = dict(r)
    if r.get("items") and r.get("min_ns") and r.get("max_ns"):
        r["items_min"] = r["items"] / r["max_ns"] * 1e9
        r["items_max"] = r["items"] / r["min_ns"] * 1e9
    if r.get("gbps_min") is None and r.get("max_ns"):
        r["gbps_min"] = r["nbytes"] / r["max_ns"]
    if r.get("gbps_max") is None and r.get("min_ns"):
        r["gbps_max"] = r["nbytes"] / r["min_ns"]
    if r.get("max_ns") is None:  # a document from before the spread was recorded
        r["gbps_min"] = r["gbps_max"] = r.get("gbps")
    return r


def plot_all(doc: dict[str, Any], directory: Path) -> list[str]:
    """Draw one PNG per workload family into ``directory``.

    Returns:
        Lines to print: the files written, or why nothing was drawn.
    """
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return ["plots skipped: matplotlib is not installed (pip install matplotlib, or the project's 'bench' extra)"]

    families: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in doc["results"]:
        if r["status"] == "ok":
            families[r["family"]][r["workload"]].append(_with_rate_spread(r))
    titles = {w["name"]: w["title"] for w in doc["workloads"]}
    env = doc["environment"]
    caption = (
        f"{env['cpu_model']} x{env['cpu_count']}, {env['python_implementation']} "
        f"{env['python']}, SIMD {env['wsframe']['simd_level'] or 'n/a'}, "
        f"{doc['mode']} run {doc['created']}; median of the rounds, "
        "error bars = min-max of the rounds"
    )
    written: list[str] = []
    colours: dict[str, str] = {}
    for family, workloads in families.items():
        n = len(workloads)
        cols = min(n, 3 if n > 4 else 2 if n > 1 else 1)
        rows = math.ceil(n / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(6.8 * cols, 4.6 * rows + 0.9), squeeze=False)
        handles: dict[str, Any] = {}
        for ax, (name, rs) in zip(axes.flat, workloads.items()):
            if len({r["size"] for r in rs}) >= 2:
                handles.update(_lines(ax, rs, family, colours))
            else:
                handles.update(_bars(ax, rs, family, colours))
            title = textwrap.fill(titles.get(name, ""), 64 if cols > 1 else 100)
            ax.set_title(f"{name}\n{title}", fontsize=9)
        for ax in list(axes.flat)[n:]:
            ax.set_visible(False)
        fig.suptitle(f"wsframe vs peers: {family}", fontsize=12)
        legend_rows = math.ceil(len(handles) / 6)
        bottom = (0.35 + 0.22 * legend_rows) / fig.get_figheight()
        fig.legend(
            list(handles.values()),
            list(handles),
            loc="lower center",
            ncol=min(len(handles), 6),
            fontsize=8,
            frameon=False,
            bbox_to_anchor=(0.5, 0.25 / fig.get_figheight()),
        )
        fig.text(0.5, 0.05 / fig.get_figheight(), caption, ha="center", fontsize=7, color="#444444")
        fig.tight_layout(rect=(0, bottom, 1, 0.97))
        path = directory / f"{family}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(f"wrote {path}")
    if not written:
        written.append("plots skipped: no successful measurement to draw")
    return written


def _lines(ax: Any, rows: list[dict[str, Any]], family: str, colours: dict[str, str]) -> dict[str, Any]:
    key, low, high, label = _metric(family)
    by_impl: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        by_impl[r["impl"]].append(r)
    handles = {}
    for impl, points in by_impl.items():
        points.sort(key=lambda r: r["size"])
        xs = [r["size"] for r in points]
        style = _style(impl, colours)
        ys = [r[key] for r in points]
        (line,) = ax.plot(xs, ys, label=impl, **style)
        errors = [
            [max(0.0, y - (r.get(low) or y)) for y, r in zip(ys, points)],
            [max(0.0, (r.get(high) or y) - y) for y, r in zip(ys, points)],
        ]
        ax.errorbar(
            xs,
            ys,
            yerr=errors,
            fmt="none",
            ecolor=style["color"],
            elinewidth=0.9,
            capsize=2,
            alpha=0.7,
            zorder=style.get("zorder", 2),
        )
        handles[impl] = line
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("payload size (bytes)")
    ax.set_ylabel(f"{_RATE_FAMILIES.get(family, '')} {label}".strip(), fontsize=8)
    ticks = sorted({r["size"] for r in rows})
    ax.set_xticks(ticks)
    ax.set_xticklabels([_size_tick(t) for t in ticks], fontsize=7)
    ax.grid(True, which="both", alpha=0.25)
    return handles


def _fmt(value: float, family: str) -> str:
    if family in _RATE_FAMILIES:
        return f"{value / 1e6:.3g} M/s"
    return f"{value:.3g} GB/s"


def _bars(ax: Any, rows: list[dict[str, Any]], family: str, colours: dict[str, str]) -> dict[str, Any]:
    from matplotlib.patches import Patch

    key, low, high, label = _metric(family)
    sizes = sorted({r["size"] for r in rows})
    several = len(sizes) > 1
    ordered = sorted(rows, key=lambda r: (r["size"], r[key]))
    names = [f"{r['impl']} @ {r['label']}" if several else r["impl"] for r in ordered]
    values = [r[key] for r in ordered]
    errors = [
        [max(0.0, r[key] - (r.get(low) or r[key])) for r in ordered],
        [max(0.0, (r.get(high) or r[key]) - r[key]) for r in ordered],
    ]
    bar_colours = [_style(r["impl"], colours)["color"] for r in ordered]
    ax.barh(
        names, values, color=bar_colours, xerr=errors, error_kw={"ecolor": "#333333", "elinewidth": 0.8, "capsize": 2}
    )
    top = max((r.get(high) or r[key]) for r in ordered)
    ax.set_xlim(0, top * 1.6)  # linear from zero: lengths compare honestly
    ax.set_xlabel(f"{_RATE_FAMILIES.get(family, '')} {label}".strip(), fontsize=8)
    if family in _RATE_FAMILIES:
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v / 1e6:g}M"))
    # The row the others are compared with: wsframe[c], or the library with wsframe installed.
    leads = {r["size"]: r for r in rows if r["impl"] == "wsframe[c]" or r["impl"].endswith("+wsframe")}
    for y, r in enumerate(ordered):
        text = " " + _fmt(r[key], family)
        lead = leads.get(r["size"])
        if lead and lead is not r and r[key] > 0:
            ratio = lead[key] / r[key]
            shown = f"{ratio:.2g}" if ratio < 10 else f"{ratio:.0f}"
            text += f"  ({lead['impl']} {shown}x)"
        ax.text(r.get(high) or r[key], y, text, va="center", fontsize=7)
    ax.grid(True, axis="x", alpha=0.25)
    ax.tick_params(axis="y", labelsize=8)
    ax.tick_params(axis="x", labelsize=7)
    in_order = list(dict.fromkeys(r["impl"] for r in rows))
    return {impl: Patch(color=_style(impl, colours)["color"]) for impl in in_order}
