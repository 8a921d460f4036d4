"""The pure-Python fallback is visible: a warning at import and ``wsframe.backend_reason``.

setup.py records the build's outcome in ``wsframe/_build_info.json``; ``wsframe._backend``
reads it.  Each case runs a fresh interpreter on a copy of the package's Python sources
(no compiled module in it), with a chosen build record.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import json, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import wsframe
print(json.dumps({
    "backend": wsframe.backend,
    "reason": wsframe.backend_reason,
    "warnings": [(w.category.__name__, str(w.message)) for w in caught
                 if "wsframe" in str(w.message)],
}))
"""


@pytest.fixture(scope="module")
def pure_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of wsframe/ with its Python files only (as a failed build installs it)."""
    root = tmp_path_factory.mktemp("fallback")
    shutil.copytree(
        REPO / "wsframe",
        root / "wsframe",
        ignore=shutil.ignore_patterns(
            "*.so", "*.pyd", "*.c", "_build_info.json", "__pycache__", "*.html"
        ),
    )
    return root


def _probe(root: Path, record: dict[str, Any] | None, **env: str) -> dict[str, Any]:
    info = root / "wsframe" / "_build_info.json"
    if record is None:
        info.unlink(missing_ok=True)
    else:
        info.write_text(json.dumps(record), encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if not k.startswith("WSFRAME_")}
    environ.update(env, PYTHONPATH=str(root))
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=root, env=environ, capture_output=True,
        text=True, timeout=60, check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def test_failed_build_warns_at_import_with_the_recorded_reason(pure_copy: Path) -> None:
    got = _probe(pure_copy, {"compiled": False, "intended": False,
                             "reason": "the C compiler failed: no cc"})
    assert got["backend"] == "python"
    assert "the C compiler failed: no cc" in got["reason"]
    assert len(got["warnings"]) == 1
    category, message = got["warnings"][0]
    assert category == "RuntimeWarning"
    assert "the C compiler failed: no cc" in message
    assert "WSFRAME_PURE_PYTHON=1" in message  # how to silence it on purpose


def test_built_but_unimportable_warns(pure_copy: Path) -> None:
    got = _probe(pure_copy, {"compiled": True, "intended": False, "reason": ""})
    assert got["backend"] == "python"
    assert "cannot be imported" in got["reason"]
    assert [w[0] for w in got["warnings"]] == ["RuntimeWarning"]


def test_forced_pure_at_run_time_is_silent(pure_copy: Path) -> None:
    got = _probe(pure_copy, {"compiled": False, "intended": False, "reason": "no cc"},
                 WSFRAME_PURE_PYTHON="1")
    assert got["backend"] == "python"
    assert got["reason"] == "WSFRAME_PURE_PYTHON is set"
    assert got["warnings"] == []


def test_intended_pure_build_is_silent(pure_copy: Path) -> None:
    got = _probe(pure_copy, {"compiled": False, "intended": True,
                             "reason": "WSFRAME_PURE_PYTHON_BUILD is set"})
    assert got["backend"] == "python"
    assert "on purpose" in got["reason"]
    assert got["warnings"] == []


def test_source_tree_never_built_is_silent(pure_copy: Path) -> None:
    got = _probe(pure_copy, None)
    assert got["backend"] == "python"
    assert "no build record" in got["reason"]
    assert got["warnings"] == []


def test_reason_when_compiled_backend_loads() -> None:
    import wsframe

    if wsframe.backend == "c":
        assert wsframe.backend_reason == "the compiled modules are loaded"
    else:
        assert wsframe.backend_reason


@pytest.mark.slow
def test_failed_c_build_makes_a_pure_wheel_with_its_reason(tmp_path: Path) -> None:
    # CC=false: the compiler fails at once.  The wheel must be py3-none-any (not a
    # cp3XX platform wheel that pip would cache and reuse on a machine that can
    # compile) and must carry the build record that makes the import warn.
    pytest.importorskip("Cython", reason="the C build path needs Cython in this environment")
    pytest.importorskip("wheel", reason="bdist_wheel needs the wheel package")
    src = tmp_path / "src"
    shutil.copytree(
        REPO, src,
        ignore=shutil.ignore_patterns(
            ".git", "build", "dist", "*.egg-info", "*.so", "*.c", "_build_info.json",
            "__pycache__", ".venv", "venv", "corpus", "artifacts", "out", "tests", "bench",
        ),
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("WSFRAME_")}
    env.update(CC="false", LDSHARED="false")
    out = subprocess.run(
        [sys.executable, "setup.py", "-q", "bdist_wheel", "-d", str(tmp_path / "dist")],
        cwd=src, env=env, capture_output=True, text=True, timeout=600, check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "building without C extensions" in out.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    assert wheel.name.endswith("-py3-none-any.whl"), wheel.name
    import zipfile

    with zipfile.ZipFile(wheel) as zf:
        record = json.loads(zf.read("wsframe/_build_info.json"))
        assert not [n for n in zf.namelist() if n.endswith((".so", ".pyd"))]
        wheel_meta = next(n for n in zf.namelist() if n.endswith(".dist-info/WHEEL"))
        assert "Root-Is-Purelib: true" in zf.read(wheel_meta).decode()
    assert record["compiled"] is False and record["intended"] is False
    assert record["reason"].startswith("the C compiler failed")
