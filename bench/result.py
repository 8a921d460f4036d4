"""One measured figure: :class:`Result`, shared by the runner and the report."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Result", "paired_ratio"]


@dataclass
class Result:
    """One implementation on one workload at one size.

    ``status`` is "ok", "skipped" (with ``reason``: not installed, an operation
    it lacks, "not available" for a wsframe API this build does not have, or
    too slow), "mismatch" (its output differed from the oracle: not timed) or
    "error" (it raised).

    Times are per call, in nanoseconds, over the timed rounds: ``median_ns``
    is the figure reported, ``min_ns`` and ``max_ns`` its spread. The ratio
    to the fastest peer (the peer with the lowest median) is the median of the
    per-round ratios, ``ratio_min`` and ``ratio_max`` their extremes (round *i*
    of the peer against round *i* of this implementation: they ran back to
    back); see :func:`paired_ratio`.
    """

    workload: str
    family: str
    size: int
    label: str
    impl: str
    kind: str
    status: str
    reason: str = ""
    note: str = ""
    output_info: str = ""
    nbytes: int = 0
    items: int = 0
    min_ns: float | None = None
    median_ns: float | None = None
    max_ns: float | None = None
    rounds: int = 0
    loops: int = 0
    gbps: float | None = None
    gbps_min: float | None = None
    gbps_max: float | None = None
    items_per_s: float | None = None
    best_peer: str | None = None
    ratio_to_best_peer: float | None = None
    ratio_min: float | None = None
    ratio_max: float | None = None
    samples_ns: list[float] = field(default_factory=list)


def paired_ratio(
    times: list[float], other: list[float], fallback: float | None = None
) -> tuple[float | None, float | None, float | None]:
    """How many times faster ``times`` are than ``other``, round by round.

    Args:
        times: per-call times of the rounds of one implementation.
        other: the same of the implementation compared with, in the same order
            (round *i* of each ran back to back).
        fallback: the ratio to give when no pair can be formed.

    Returns:
        ``(median, min, max)`` of ``other[i] / times[i]``; ``(fallback, None,
        None)`` without pairs. The first round of each is its calibration run,
        taken alone, not back to back: it is left out when both have others.
    """
    import statistics

    if len(times) > 1 and len(other) > 1:
        times, other = times[1:], other[1:]
    pairs = [b / a for a, b in zip(times, other) if a > 0]
    if not pairs:
        return fallback, None, None
    return statistics.median(pairs), min(pairs), max(pairs)
