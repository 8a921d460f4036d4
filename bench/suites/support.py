"""Helpers shared by the pytest-benchmark suites (``bench/suites/test_*.py``).

The suites reuse the runner's implementations, workloads and oracles, at
small sizes: ``pytest bench --benchmark-disable`` runs every case once as a
correctness check (fast enough for CI), ``pytest bench --benchmark-only``
times them for regression tracking (compare runs with
``--benchmark-autosave`` / ``--benchmark-compare``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

from ..peers import NOTHING, Impl, Prepared, Unavailable, implementations
from ..workloads import WORKLOADS, Case, Workload

__all__ = ["check", "impl_params", "run_case", "timed", "workload"]


@functools.cache
def _loaded() -> tuple[tuple[Impl, str | None], ...]:
    """Every implementation with None (loaded) or the reason it is unavailable."""
    out: list[tuple[Impl, str | None]] = []
    for impl in implementations():
        try:
            impl.load()
        except Unavailable as exc:
            out.append((impl, str(exc)))
        else:
            out.append((impl, None))
    return tuple(out)


def impl_params(op: str) -> list[Any]:
    """``pytest.param`` per implementation having ``op``; unavailable ones are skipped."""
    params = []
    for impl, reason in _loaded():
        if not impl.supports(op):
            continue
        reason = reason or impl.op_unavailable(op)
        marks = [pytest.mark.skip(reason=f"{impl.name}: {reason}")] if reason else []
        params.append(pytest.param(impl, id=impl.name.replace(" ", "_"), marks=marks))
    return params


def workload(name: str) -> Workload:
    """The workload called ``name``.

    Raises:
        KeyError: if there is none.
    """
    for w in WORKLOADS:
        if w.name == name:
            return w
    raise KeyError(name)


def timed(prepared: Prepared) -> Callable[[], None]:
    """The exact statement the runner times, as a zero-argument function."""
    body = "\n".join("    " + line for line in prepared.stmt.splitlines())
    namespace = dict(prepared.ns)
    exec(compile(f"def _timed():\n{body}\n", "<bench stmt>", "exec"), namespace)
    return namespace["_timed"]  # type: ignore[no-any-return]


def check(w: Workload, prepared: Prepared, case: Case) -> None:
    """Assert that the implementation's output equals the oracle's.

    Raises:
        AssertionError: on a wrong result.
    """
    got = prepared.run()
    if prepared.expected is not NOTHING:
        assert got == prepared.expected
        return
    if w.normalize is not None:
        got = w.normalize(got)
    assert got == case.expected, f"{w.name}: wrong result"


def run_case(benchmark: Any, impl: Impl, name: str, size: int) -> None:
    """Check one implementation on one workload and size, then benchmark it."""
    w = workload(name)
    case = w.build(size)
    try:
        prepared = getattr(impl, w.op)(*case.args)
    except Unavailable as exc:  # a wsframe API this build lacks: shown as a skip
        pytest.skip(f"{impl.name}: not available: {exc}")
    check(w, prepared, case)
    benchmark.group = f"{name} {case.label}"
    benchmark.extra_info["bytes_per_call"] = case.nbytes
    benchmark(timed(prepared))
    check(w, prepared, case)  # the timed calls must not have broken its state
