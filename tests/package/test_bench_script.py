"""tools/bench.sh installs only when the install is not current, quietly.

``PYTHON`` points at a stand-in interpreter: ``-m pip`` is recorded instead of run and
``-m bench`` prints a line; everything else (bench.sh's own check of the install) runs
this interpreter with the checkout on ``PYTHONPATH``, as an editable install would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    shutil.which("bash") is None or not (REPO / "tools" / "bench.sh").is_file(),
    reason="needs bash and the checkout's tools/bench.sh",
)

STAND_IN = """#!/bin/sh
if [ "$1" = "-m" ] && [ "$2" = "pip" ]; then echo "pip $*" >>"$PIP_LOG"; exit 0; fi
if [ "$1" = "-m" ] && [ "$2" = "bench" ]; then echo "bench ran"; exit 0; fi
exec "{python}" "$@"
"""


def _run(tmp_path: Path, **extra: str) -> tuple[str, list[str]]:
    python = tmp_path / "python"
    if not python.exists():
        python.write_text(STAND_IN.format(python=sys.executable))
        python.chmod(0o755)
    log = tmp_path / "pip.log"
    log.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("WSFRAME_")}
    env.update(
        PYTHON=str(python),
        PIP_LOG=str(log),
        PYTHONPATH=str(REPO),
        WSFRAME_BENCH_STAMP_DIR=str(tmp_path / "stamps"),
        **extra,
    )
    out = subprocess.run(
        ["bash", str(REPO / "tools" / "bench.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    pip_calls = log.read_text().splitlines() if log.exists() else []
    return out.stdout, pip_calls


def test_bench_installs_once_then_only_when_something_changed(tmp_path: Path) -> None:
    out, pip_calls = _run(tmp_path)
    assert len(pip_calls) == 1 and "-e .[bench]" in pip_calls[0], pip_calls
    assert "-q" in pip_calls[0].split()
    assert out.splitlines()[-1] == "bench ran"

    out, pip_calls = _run(tmp_path)  # nothing changed: no pip at all
    assert pip_calls == []
    assert "the install is current" in out and out.splitlines()[-1] == "bench ran"

    # What the install depended on changed (as after editing a .pyx or pyproject.toml).
    (stamp,) = (tmp_path / "stamps").iterdir()
    stamp.write_text("0" * 64 + " c\n")
    _out, pip_calls = _run(tmp_path)
    assert len(pip_calls) == 1

    _out, pip_calls = _run(tmp_path, WSFRAME_BENCH_REINSTALL="1")
    assert len(pip_calls) == 1
