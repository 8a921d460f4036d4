"""PNG plots of a results document: one figure per workload family.

Throughput against payload size, log-log, one line per implementation and one
panel per workload; the frame-decoding family, which has no size axis, is drawn
as bars of frames per second. matplotlib is optional: without it the plots
are skipped with a message.
"""

from __future__ import annotations

import math
from collections import defaultdict
from pathlib import Path
from typing import Any

__all__ = ["plot_all"]

_STYLE = {
    "wsframe[c]": {"color": "#d62728", "linewidth": 2.6, "marker": "o", "zorder": 5},
    "wsframe[python]": {"color": "#d62728", "linewidth": 1.2, "linestyle": "--", "marker": "."},
    "bytes() copy": {"color": "#555555", "linewidth": 1.2, "linestyle": ":", "marker": ""},
}
_PALETTE = ("#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
            "#bcbd22")


def _size_tick(n: float) -> str:
    for unit, scale in (("M", 1 << 20), ("K", 1 << 10)):
        if n >= scale:
            return f"{n / scale:g}{unit}"
    return f"{n:g}"


def _style(impl: str, colours: dict[str, str]) -> dict[str, Any]:
    if impl in _STYLE:
        return dict(_STYLE[impl])
    colour = colours.setdefault(impl, _PALETTE[len(colours) % len(_PALETTE)])
    return {"color": colour, "linewidth": 1.4, "marker": "s", "markersize": 3}


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
        return ["plots skipped: matplotlib is not installed (pip install matplotlib, "
                "or the project's 'bench' extra)"]

    families: dict[str, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in doc["results"]:
        if r["status"] == "ok":
            families[r["family"]][r["workload"]].append(r)
    titles = {w["name"]: w["title"] for w in doc["workloads"]}
    env = doc["environment"]
    caption = (f"{env['cpu_model']} x{env['cpu_count']}, {env['python_implementation']} "
               f"{env['python']}, SIMD {env['wsframe']['simd_level'] or 'n/a'}, "
               f"{doc['mode']} run {doc['created']}")
    written: list[str] = []
    colours: dict[str, str] = {}
    for family, workloads in families.items():
        n = len(workloads)
        cols = min(n, 3 if n > 4 else 2 if n > 1 else 1)
        rows = math.ceil(n / cols)
        fig, axes = plt.subplots(rows, cols, figsize=(6.2 * cols, 4.4 * rows), squeeze=False)
        for ax, (name, rs) in zip(axes.flat, workloads.items()):
            if family == "frames-decode":
                _bars(ax, rs, colours)
            else:
                _lines(ax, rs, colours)
            ax.set_title(f"{name}\n{titles.get(name, '')}", fontsize=9)
        for ax in list(axes.flat)[n:]:
            ax.set_visible(False)
        fig.suptitle(f"wsframe vs peers: {family}", fontsize=12)
        fig.text(0.5, 0.005, caption, ha="center", fontsize=7, color="#444444")
        fig.tight_layout(rect=(0, 0.02, 1, 0.97))
        path = directory / f"{family}.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(f"wrote {path}")
    if not written:
        written.append("plots skipped: no successful measurement to draw")
    return written


def _lines(ax: Any, rows: list[dict[str, Any]], colours: dict[str, str]) -> None:
    by_impl: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for r in rows:
        by_impl[r["impl"]].append((r["size"], r["gbps"]))
    for impl, points in by_impl.items():
        points.sort()
        xs, ys = zip(*points)
        ax.plot(xs, ys, label=impl, **_style(impl, colours))
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("payload size (bytes)")
    ax.set_ylabel("throughput (GB/s, higher is better)")
    ticks = sorted({r["size"] for r in rows})
    ax.set_xticks(ticks)
    ax.set_xticklabels([_size_tick(t) for t in ticks], fontsize=7)
    ax.grid(True, which="both", alpha=0.25)
    ax.legend(fontsize=7, loc="best")


def _bars(ax: Any, rows: list[dict[str, Any]], colours: dict[str, str]) -> None:
    rows = sorted(rows, key=lambda r: r["items_per_s"])
    names = [r["impl"] for r in rows]
    values = [r["items_per_s"] for r in rows]
    bar_colours = [_style(n, colours)["color"] for n in names]
    ax.barh(names, values, color=bar_colours)
    ax.set_xscale("log")
    from matplotlib.ticker import NullFormatter

    ax.xaxis.set_minor_formatter(NullFormatter())  # decade labels only: no overlap
    low = 10 ** math.floor(math.log10(min(values)))
    high = 10 ** math.ceil(math.log10(max(values) * 1.5))
    ax.set_xlim(low, high)
    ax.set_xlabel("frames per second (higher is better)")
    for y, v in enumerate(values):
        ax.text(v, y, f" {v / 1e6:.3g} M", va="center", fontsize=7)
    ax.grid(True, axis="x", which="both", alpha=0.25)
    ax.tick_params(axis="y", labelsize=8)
