"""Timing method used by ``python -m bench``.

A noisy, shared, two-core VM punishes naive timing, so every measurement
follows the same recipe:

1. *Warm-up*: the operation has already run once for the correctness check;
   calibration then runs it again, which warms caches, the branch predictors
   and (on PyPy) the JIT.
2. *Calibration*: like :meth:`timeit.Timer.autorange`, the loop count grows
   (1, 2, 5, 10, 20, 50, ...) until one round lasts at least ``round_time``
   seconds, so the clock's resolution and the loop's own overhead are
   negligible.
3. *Rounds*: ``rounds`` rounds of that many calls each (the last
   calibration run, which already has that length, counts as the first), with the garbage
   collector disabled while a round runs (``timeit`` does this) and a
   ``gc.collect()`` between rounds so no collection lands inside one. The
   implementations compared on one input take their rounds in turn
   (:class:`Timed`), so a burst of load on a shared machine hits them all.
4. *Statistics*: the minimum per-call time (the least disturbed round, the
   figure that best reflects the code) and the median (what a typical round
   saw) are both kept.

The statement timed is compiled by :mod:`timeit` into a tight ``for`` loop that
calls the implementation directly (``f(a0, a1)``), so no adapter function sits
between the loop and the code being measured unless the implementation needs
one to express the operation.
"""

from __future__ import annotations

import gc
import statistics
import timeit
from dataclasses import dataclass
from typing import Any

__all__ = ["Settings", "Measurement", "QUICK", "FULL", "Timed", "measure", "make_timer"]


@dataclass(frozen=True)
class Settings:
    """How hard to measure.

    Attributes:
        name: "quick" or "full".
        round_time: minimum duration of one round, in seconds.
        rounds: number of timed rounds per case.
        slow_rounds: rounds used instead when one call takes longer than
            ``slow_call`` seconds (a 100k-frame decode with a pure-Python
            peer can take seconds per call).
        slow_call: threshold for ``slow_rounds``, in seconds.
        max_call: an implementation whose single call took longer than this
            is not run at the larger sizes of the same workload.
    """

    name: str
    round_time: float
    rounds: int
    slow_rounds: int
    slow_call: float
    max_call: float


QUICK = Settings("quick", round_time=0.002, rounds=3, slow_rounds=2, slow_call=0.05, max_call=0.25)
FULL = Settings("full", round_time=0.05, rounds=7, slow_rounds=3, slow_call=0.5, max_call=3.0)


@dataclass(frozen=True)
class Measurement:
    """Per-call timings of one case, in nanoseconds."""

    min_ns: float
    median_ns: float
    rounds: int
    loops: int
    samples_ns: tuple[float, ...]


def make_timer(stmt: str, namespace: dict[str, Any]) -> timeit.Timer:
    """Compile ``stmt`` into a timeit loop whose globals are ``namespace``.

    Args:
        stmt: Python statement(s) to time, e.g. ``"f(a0, a1)"``.
        namespace: the names the statement uses.

    Raises:
        SyntaxError: if ``stmt`` is not valid Python.
    """
    return timeit.Timer(stmt, globals=dict(namespace))


def _calibrate(timer: timeit.Timer, round_time: float) -> tuple[int, float]:
    """Return ``(loops, seconds)`` for the first loop count reaching ``round_time``."""
    loops = 1
    while True:
        for factor in (1, 2, 5):
            number = loops * factor
            elapsed = timer.timeit(number)
            if elapsed >= round_time:
                return number, elapsed
        loops *= 10


class Timed:
    """A calibrated statement whose rounds can be interleaved with others'.

    The runner calibrates every implementation of one workload and size, then
    runs their rounds in turn (round 1 of each, round 2 of each, ...), so a
    burst of load from a neighbour on a shared machine hits all of them rather
    than one, and the ratios between them stay meaningful.
    """

    def __init__(self, stmt: str, namespace: dict[str, Any], settings: Settings) -> None:
        """Compile and calibrate ``stmt``.

        Args:
            stmt: the statement to time (see :func:`make_timer`).
            namespace: the names it uses.
            settings: round length and count.

        Raises:
            Exception: whatever the statement raises.
        """
        self.timer = make_timer(stmt, namespace)
        self.loops, first = _calibrate(self.timer, settings.round_time)
        slow = first / self.loops >= settings.slow_call
        self.rounds = settings.slow_rounds if slow else settings.rounds
        # The calibration run that reached the round length is a full round,
        # already warm (the correctness check and the shorter runs came first).
        self.samples: list[float] = [first / self.loops * 1e9]

    def round(self) -> None:
        """Time one more round (GC off), if this case still needs one."""
        if len(self.samples) >= self.rounds:
            return
        gc.collect()
        gc_was_enabled = gc.isenabled()
        gc.disable()  # timeit disables it too; be explicit about the method
        try:
            self.samples.append(self.timer.timeit(self.loops) / self.loops * 1e9)
        finally:
            if gc_was_enabled:
                gc.enable()

    def result(self) -> Measurement:
        """Min and median per call over the rounds run so far."""
        if not self.samples:
            raise RuntimeError("no round was timed")
        return Measurement(
            min_ns=min(self.samples),
            median_ns=statistics.median(self.samples),
            rounds=len(self.samples),
            loops=self.loops,
            samples_ns=tuple(self.samples),
        )


def measure(stmt: str, namespace: dict[str, Any], settings: Settings) -> Measurement:
    """Calibrate and time ``stmt`` alone (all rounds in a row).

    Args:
        stmt: the statement to time (see :func:`make_timer`).
        namespace: the names it uses.
        settings: round length and count.

    Raises:
        Exception: whatever the statement raises.
    """
    timed = Timed(stmt, namespace, settings)
    for _ in range(timed.rounds):
        timed.round()
    return timed.result()
