"""The runner itself: outputs, skipped peers, wrong results never timed."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bench import runner, timing
from bench.peers import Impl, Prepared, Unavailable, call
from bench.workloads import Workload, select

TINY = timing.Settings("test", round_time=0.0005, rounds=2, slow_rounds=1, slow_call=0.05, max_call=0.25)


@dataclass
class FakeMasker(Impl):
    """An implementation whose masking is whatever ``func`` does."""

    name: str = "fake"
    kind: str = "peer"
    func: Callable[[bytes, bytes], bytes] = lambda data, key: data

    def mask_copy(self, data: bytes, key: bytes) -> Prepared:
        return call(self.func, data, key)


@dataclass
class Missing(Impl):
    name: str = "missing-peer"

    def load(self) -> None:
        raise Unavailable("not installed (test)")


def _mask_copy() -> list[Workload]:
    return select(["mask.copy"])


def test_wrong_result_is_reported_and_not_timed() -> None:
    results = runner.run(_mask_copy(), [FakeMasker()], TINY, quick=True, out=io.StringIO(), err=io.StringIO())
    assert results and all(r.status == "mismatch" for r in results)
    assert all(r.min_ns is None and r.gbps is None for r in results)
    assert "wrong result" in results[0].reason


def test_correct_result_is_timed_with_ratio() -> None:
    from bench.inputs import xor_mask

    good = FakeMasker(name="good", func=xor_mask)
    slower = FakeMasker(name="slower", func=lambda d, k: xor_mask(bytes(d), k))
    results = runner.run(_mask_copy(), [good, slower], TINY, quick=True, out=io.StringIO(), err=io.StringIO())
    assert all(r.status == "ok" for r in results)
    for r in results:
        assert r.min_ns and r.median_ns and r.max_ns
        assert r.min_ns <= r.median_ns <= r.max_ns
        assert r.gbps == pytest.approx(r.nbytes / r.median_ns)
        assert r.gbps_min == pytest.approx(r.nbytes / r.max_ns)
        assert r.gbps_max == pytest.approx(r.nbytes / r.min_ns)
        assert r.best_peer in ("good", "slower") and r.ratio_to_best_peer
        assert r.ratio_min is not None and r.ratio_max is not None
        assert r.ratio_min <= r.ratio_to_best_peer <= r.ratio_max
    # the best peer of each size (lowest median) has ratio exactly 1 against itself
    for r in results:
        if r.impl == r.best_peer:
            assert r.ratio_to_best_peer == r.ratio_min == r.ratio_max == 1.0


def test_raising_implementation_is_an_error_row() -> None:
    def boom(data: bytes, key: bytes) -> bytes:
        raise RuntimeError("boom")

    results = runner.run(_mask_copy(), [FakeMasker(func=boom)], TINY, quick=True, out=io.StringIO(), err=io.StringIO())
    assert all(r.status == "error" and "boom" in r.reason for r in results)


def test_unavailable_operation_is_a_visible_skip() -> None:
    @dataclass
    class NotYet(Impl):
        name: str = "wsframe[new]"
        kind: str = "wsframe"

        def mask_copy(self, data: bytes, key: bytes) -> Prepared:
            raise Unavailable("wsframe.mask.apply_mask not available in this build")

    out = io.StringIO()
    results = runner.run(_mask_copy(), [NotYet()], TINY, quick=True, out=out, err=io.StringIO())
    assert results and all(r.status == "skipped" for r in results)
    assert all(r.reason.startswith("not available: wsframe.mask") for r in results)
    assert "skipped: not available: wsframe.mask.apply_mask" in out.getvalue()


def test_main_skips_missing_peer_and_writes_outputs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench.inputs import xor_mask

    monkeypatch.setattr(runner, "implementations", lambda: [FakeMasker(name="good", func=xor_mask), Missing()])
    code = runner.main(["--quick", "--rounds", "1", "--only", "mask.copy", "--output", str(tmp_path), "--no-plots"])
    assert code == 0
    out = capsys.readouterr().out
    assert "missing-peer" in out and "skipped: not installed (test)" in out
    doc: dict[str, Any] = json.loads((tmp_path / "results.json").read_text())
    assert doc["mode"] == "quick"
    assert {"cpu_flags", "versions", "wsframe"} <= set(doc["environment"])
    assert "simd_level" in doc["environment"]["wsframe"]
    assert [i["status"] for i in doc["implementations"]] == ["ok", "skipped"]
    assert {r["workload"] for r in doc["results"]} == {"mask.copy"}
    assert all(r["status"] == "ok" and r["gbps"] > 0 for r in doc["results"])
    assert "### mask.copy" in (tmp_path / "results.md").read_text()


def test_main_fails_when_wsframe_is_wrong(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "implementations", lambda: [FakeMasker(name="wsframe[fake]", kind="wsframe")])
    assert runner.main(["--quick", "--rounds", "1", "--only", "mask.copy"]) == 1


def test_bad_only_pattern_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as info:
        runner.main(["--only", "no-such-workload"])
    assert info.value.code == 2


def test_plots(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from bench import plotting
    from bench.inputs import xor_mask

    results = runner.run(
        _mask_copy(), [FakeMasker(name="good", func=xor_mask)], TINY, quick=True, out=io.StringIO(), err=io.StringIO()
    )
    doc = {
        "results": [r.__dict__ for r in results],
        "workloads": [{"name": "mask.copy", "title": "t"}],
        "environment": {
            "cpu_model": "cpu",
            "cpu_count": 1,
            "python_implementation": "CPython",
            "python": "3",
            "wsframe": {"simd_level": None},
        },
        "mode": "quick",
        "created": "now",
    }
    lines = plotting.plot_all(doc, tmp_path)
    assert (tmp_path / "mask.png").stat().st_size > 1000, lines


def test_publish_rewrites_only_the_marked_section(tmp_path: Path) -> None:
    from bench import publish
    from bench.inputs import xor_mask

    out = tmp_path / "out"
    out.mkdir()
    results = runner.run(
        _mask_copy(), [FakeMasker(name="good", func=xor_mask)], TINY, quick=True, out=io.StringIO(), err=io.StringIO()
    )
    doc = {
        "command": "python -m bench",
        "created": "now",
        "duration_s": 1.0,
        "mode": "full",
        "settings": {"round_time": 0.05, "rounds": 7},
        "environment": {
            "cpu_model": "cpu",
            "cpu_count": 2,
            "platform": "p",
            "cpu_flags_simd": ["avx2"],
            "python_implementation": "CPython",
            "python": "3.11",
            "compiler": "gcc",
            "versions": {"wsframe": "0.1.0"},
            "wsframe": {
                "git_commit": None,
                "active_backend": "c",
                "simd_level": "avx2",
                "compiled_modules": {"wsframe._speedups._mask": "ok"},
            },
        },
        "implementations": [{"name": "good", "status": "ok", "detail": "d", "version": None}],
        "workloads": [{"name": "mask.copy", "title": "t"}],
        "results": [r.__dict__ for r in results],
        "headline": [],
    }
    (out / "results.json").write_text(json.dumps(doc))
    (out / "mask.png").write_bytes(b"\x89PNG fake")
    target = tmp_path / "BENCHMARKS.md"
    target.write_text(f"intro\n{publish.BEGIN}\nold\n{publish.END}\noutro\n")
    publish.publish(out, target, tmp_path / "docs" / "bench")
    text = target.read_text()
    assert text.startswith("intro\n") and text.endswith(f"{publish.END}\noutro\n")
    assert "old" not in text and "##### mask.copy" in text
    assert "![mask](docs/bench/mask.png)" in text
    assert (tmp_path / "docs" / "bench" / "mask.png").exists()


def test_aiohttp_reader_must_be_its_compiled_extension(monkeypatch: pytest.MonkeyPatch) -> None:
    # An aiohttp built without its extensions imports reader_c from its Python
    # source: never timed under the name of the compiled reader.
    import importlib
    import types

    from bench.peers.aiohttp import AiohttpImpl

    pytest.importorskip("aiohttp")
    real_import = importlib.import_module

    def source_reader(name: str, *args: Any) -> Any:
        module = real_import(name, *args)
        if name == "aiohttp._websocket.reader_c":
            fake = types.ModuleType(name)
            fake.__dict__.update(vars(module))
            fake.__file__ = "/site-packages/aiohttp/_websocket/reader_c.py"
            return fake
        return module

    monkeypatch.setattr(importlib, "import_module", source_reader)
    with pytest.raises(Unavailable, match="reader_c is not compiled"):
        AiohttpImpl().load()
