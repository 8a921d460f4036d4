"""The report: medians with their spread, equal-work rows, goals, slower-than-peer notes."""

from __future__ import annotations

from typing import Any

from bench import report
from bench.result import Result


def _result(impl: str, kind: str, samples: list[float], workload: str = "mask.copy", size: int = 16) -> Result:
    ordered = sorted(samples)
    return Result(
        workload,
        "mask",
        size,
        f"{size} B",
        impl,
        kind,
        "ok",
        nbytes=size,
        min_ns=ordered[0],
        median_ns=ordered[len(ordered) // 2],
        max_ns=ordered[-1],
        samples_ns=samples,
        gbps=size / ordered[len(ordered) // 2],
    )


def test_target_uses_medians_and_the_fastest_of_several_peers() -> None:
    results = [
        _result("wsframe[c]", "wsframe", [10.0, 11.0, 12.0], "deflate.compress", 300),
        _result("aiohttp", "peer", [40.0, 41.0, 42.0], "deflate.compress", 300),
        _result("aiohttp[isal]", "peer", [20.0, 22.0, 24.0], "deflate.compress", 300),
    ]
    rows = [r for r in report.headline(results) if r["what"].startswith("compress + frame 300 B JSON vs aiohttp")]
    assert len(rows) == 1
    row = rows[0]
    assert row["against_used"] == "aiohttp[isal]"
    assert row["ratio"] == 2.0  # 22/11, 24/12 (the calibration rounds 20/10 left out)
    assert row["ratio_min"] == 2.0 and row["ratio_max"] == 2.0
    assert row["met"] is True  # goal: >= 1.5x


def test_equal_work_rows_come_first() -> None:
    results = [
        _result("wsframe[c]", "wsframe", [5.0, 6.0, 7.0], "messages.text16", 1000),
        _result("aiohttp", "peer", [9.0, 9.0, 9.0], "messages.text16", 1000),
    ]
    rows = report.headline(results)
    assert rows[0]["kind"] == "equal"
    assert rows[0]["ratio"] == (9 / 6 + 9 / 7) / 2  # rounds 2 and 3, paired


def _doc(results: list[Result]) -> dict[str, Any]:
    return {
        "command": "python -m bench",
        "created": "now",
        "duration_s": 1.0,
        "mode": "full",
        "settings": {"round_time": 0.05, "rounds": 3},
        "environment": {
            "cpu_model": "cpu",
            "cpu_count": 2,
            "platform": "p",
            "cpu_flags_simd": [],
            "python_implementation": "CPython",
            "python": "3.11",
            "compiler": "gcc",
            "versions": {},
            "load_average": [0.5, 0.5, 0.5],
            "wsframe": {"git_commit": None, "active_backend": "c", "simd_level": None, "compiled_modules": {}},
        },
        "implementations": [],
        "workloads": [{"name": "mask.copy", "title": "t"}],
        "results": [r.__dict__ for r in results],
        "headline": report.headline(results),
        "memory": [],
    }


def test_markdown_says_where_wsframe_is_slower() -> None:
    wsf = _result("wsframe[c]", "wsframe", [20.0, 21.0, 22.0])
    peer = _result("websockets", "peer", [10.0, 10.5, 11.0])
    for r in (wsf, peer):
        r.best_peer = "websockets"
        r.ratio_to_best_peer = 10.5 / (r.median_ns or 1)
        r.ratio_min, r.ratio_max = 0.45, 0.55
    text = report.markdown(_doc([wsf, peer]))
    assert "**0.5x [0.45-0.55]: slower than websockets**" in text
    assert "21.0 ns [20 - 22 ns]" in text  # the median with the rounds' min-max
