"""The C timing harnesses (bench/transcode_time.c, bench/validate_time.c) still build
against the kernel headers, warning-free, and run: their figures are quoted in
BENCHMARKS.md and docs/, so a header change must not silently break them."""

from __future__ import annotations

import platform
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bench.inputs import text

ROOT = Path(__file__).resolve().parents[2]
CC = shutil.which("cc") or shutil.which("gcc")

pytestmark = [
    pytest.mark.skipif(CC is None, reason="no C compiler"),
    pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="x86-64 levels"),
]


def _build(tmp_path: Path, name: str) -> Path:
    exe = tmp_path / name
    subprocess.run(
        [
            CC,
            "-O1",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-I",
            str(ROOT / "wsframe" / "_speedups"),
            "-I",
            str(ROOT / "bench"),
            str(ROOT / "bench" / f"{name}.c"),
            "-o",
            str(exe),
        ],
        check=True,
    )
    return exe


@pytest.fixture
def json_file(tmp_path: Path) -> Path:
    path = tmp_path / "json.bin"
    path.write_bytes(text("json_intl", 4096))
    return path


def test_validate_time(tmp_path: Path, json_file: Path) -> None:
    exe = _build(tmp_path, "validate_time")
    out = subprocess.run([str(exe), str(json_file), "sse4"], capture_output=True, text=True)
    if out.returncode == 2 and "not supported" in out.stderr:
        pytest.skip("no SSE4 here")
    assert out.returncode == 0, out.stderr
    assert re.search(
        r"sse4 n=4096: utf8_blocks median [\d.]+ ns, min [\d.]+ ns; "
        r"utf8_scan_blocks median [\d.]+ ns",
        out.stdout,
    ), out.stdout
    # a level without a vector validator, and a bad option, are refused
    assert subprocess.run([str(exe), str(json_file), "scalar"], capture_output=True).returncode == 2
    assert subprocess.run([str(exe), str(json_file), "sse4", "x"], capture_output=True).returncode == 2


def test_transcode_time(tmp_path: Path, json_file: Path) -> None:
    exe = _build(tmp_path, "transcode_time")
    out = subprocess.run([str(exe), str(json_file), "checked"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert re.search(r"checked n=4096 UCS-4: median [\d.]+ ns", out.stdout), out.stdout
