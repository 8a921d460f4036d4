"""The pure-Python fallback is visible: a warning at import and ``wsframe.backend_reason``.

setup.py records the build's outcome in ``wsframe/_build_info.json``; ``wsframe._backend``
reads it.  Each case runs a fresh interpreter on a copy of the package's Python sources
(no compiled module in it), with a chosen build record.
"""

from __future__ import annotations

import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from typing import Any

import pytest

import wsframe

REPO = Path(__file__).resolve().parents[2]
#: The package under test: the source tree's, or the installed one when the tests run
#: from a copy of the checkout without it (tools/test_wheel.sh).
PACKAGE = Path(wsframe.__file__).resolve().parent


def _needs_the_checkout() -> None:
    """Skip a test that builds wsframe when the tests run without its sources."""
    if not ((REPO / "setup.py").is_file() and (REPO / "wsframe").is_dir()):
        pytest.skip("builds wsframe from its sources: needs the checkout, not an installed package")


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
        PACKAGE,
        root / "wsframe",
        ignore=shutil.ignore_patterns("*.so", "*.pyd", "*.c", "_build_info.json", "__pycache__", "*.html"),
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
        [sys.executable, "-c", PROBE],
        cwd=root,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def test_failed_build_warns_at_import_with_the_recorded_reason(pure_copy: Path) -> None:
    got = _probe(pure_copy, {"compiled": False, "intended": False, "reason": "the C compiler failed: no cc"})
    assert got["backend"] == "python"
    assert "the C compiler failed: no cc" in got["reason"]
    assert len(got["warnings"]) == 1
    category, message = got["warnings"][0]
    assert category == "RuntimeWarning"
    assert "the C compiler failed: no cc" in message
    assert "WSFRAME_PURE_PYTHON=1" in message  # how to silence it on purpose


def test_failed_build_warning_says_what_to_do(pure_copy: Path) -> None:
    # The warning is read on the machine that imports: it names a compiler to install
    # and the pip command that rebuilds (--no-cache-dir: else pip reuses the pure wheel).
    got = _probe(
        pure_copy, {"compiled": False, "intended": False, "reason": "the C compiler failed: `cc` exited with status 1"}
    )
    ((_category, message),) = got["warnings"]
    assert "Install a C compiler" in message
    assert "python -m pip install --force-reinstall --no-cache-dir" in message
    assert "`cc` exited with status 1" in message


class _FakeDistribution:
    def __init__(self, direct_url: dict[str, Any] | None) -> None:
        self._text = None if direct_url is None else json.dumps(direct_url)

    def read_text(self, name: str) -> str | None:
        assert name == "direct_url.json"
        return self._text


@pytest.mark.parametrize(
    ("direct_url", "source"),
    [
        # pip install /home/user/wsframe (PEP 610 dir_info)
        ({"url": "file:///home/user/ws%20frame", "dir_info": {}}, '"/home/user/ws frame"'),
        ({"url": "file:///home/user/wsframe", "dir_info": {"editable": True}}, "-e /home/user/wsframe"),
        (
            {"url": "https://example.org/wsframe.git", "vcs_info": {"vcs": "git", "commit_id": "abc"}},
            "git+https://example.org/wsframe.git",
        ),
        # installed from a wheel file: that wheel is the pure one and holds no sources;
        # an index install (no direct_url.json) likewise: build the index's sdist
        ({"url": "file:///tmp/wsframe-0.1.0-py3-none-any.whl", "archive_info": {}}, "--no-binary wsframe wsframe"),
        (None, "--no-binary wsframe wsframe"),
        # installed from a source distribution file: that file rebuilds
        ({"url": "file:///tmp/wsframe-0.1.0.tar.gz", "archive_info": {}}, "/tmp/wsframe-0.1.0.tar.gz"),
    ],
)
def test_reinstall_command_names_where_wsframe_came_from(
    monkeypatch: pytest.MonkeyPatch, direct_url: dict[str, Any] | None, source: str
) -> None:
    import importlib.metadata

    from wsframe import _backend

    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: _FakeDistribution(direct_url))
    assert _backend._reinstall_command() == ("python -m pip install --force-reinstall --no-cache-dir " + source)


def test_reinstall_command_in_a_source_tree_is_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    from wsframe import _backend

    def missing(name: str) -> Any:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    assert _backend._reinstall_command() == "python -m pip install --force-reinstall --no-cache-dir ."


def test_built_but_unimportable_warns(pure_copy: Path) -> None:
    got = _probe(pure_copy, {"compiled": True, "intended": False, "reason": ""})
    assert got["backend"] == "python"
    assert "cannot be imported" in got["reason"]
    assert [w[0] for w in got["warnings"]] == ["RuntimeWarning"]
    # Built: no compiler is missing, so the advice is not to install one.
    ((_category, message),) = got["warnings"]
    assert "Install a C compiler" not in message and "Fix what the error names" in message


@pytest.mark.parametrize("value", ["off", "OFF", "no", "0", "false", ""])
def test_pure_python_switch_off_values(value: str) -> None:
    # The same values leave WSFRAME_PURE_PYTHON off at run time as setup.py's flags at
    # build time ("off" used to force the pure backend).
    script = "import wsframe._backend as b; print(b.FORCED_PURE)"
    env = {**os.environ, "WSFRAME_PURE_PYTHON": value}
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_forced_pure_at_run_time_is_silent(pure_copy: Path) -> None:
    got = _probe(pure_copy, {"compiled": False, "intended": False, "reason": "no cc"}, WSFRAME_PURE_PYTHON="1")
    assert got["backend"] == "python"
    assert got["reason"] == "WSFRAME_PURE_PYTHON is set"
    assert got["warnings"] == []


def test_intended_pure_build_is_silent(pure_copy: Path) -> None:
    got = _probe(pure_copy, {"compiled": False, "intended": True, "reason": "WSFRAME_PURE_PYTHON_BUILD is set"})
    assert got["backend"] == "python"
    assert "on purpose" in got["reason"]
    assert got["warnings"] == []


def test_source_tree_never_built_is_silent(pure_copy: Path) -> None:
    got = _probe(pure_copy, None)
    assert got["backend"] == "python"
    assert "no build record" in got["reason"]
    assert got["warnings"] == []


@pytest.fixture(scope="module")
def checkout_and_install(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An unbuilt source checkout (setup.py, pyproject.toml, wsframe/ without compiled
    modules or build record) and, elsewhere, an "installed" copy of the package."""
    root = tmp_path_factory.mktemp("shadow")
    checkout, site = root / "checkout", root / "site-packages"
    ignore = shutil.ignore_patterns("*.so", "*.pyd", "*.c", "_build_info.json", "__pycache__", "*.html")
    shutil.copytree(PACKAGE, checkout / "wsframe", ignore=ignore)
    shutil.copytree(PACKAGE, site / "wsframe", ignore=ignore)
    for name in ("setup.py", "pyproject.toml"):
        shutil.copy2(REPO / name, checkout / name)
    return checkout, site


def _probe_in(cwd: Path, pythonpath: Path | None) -> dict[str, Any]:
    """Run the README's backend check as a user would: ``python -c`` in *cwd*, with
    *pythonpath* standing for the installed package (``-S``: this environment's own
    site-packages, which may hold an installed wsframe, stay out of it)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("WSFRAME_")}
    environ.pop("PYTHONPATH", None)
    if pythonpath is not None:
        environ["PYTHONPATH"] = str(pythonpath)
    out = subprocess.run(
        [sys.executable, "-S", "-c", PROBE],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def test_check_inside_the_checkout_says_the_source_tree_shadows_the_install(
    checkout_and_install: tuple[Path, Path],
) -> None:
    checkout, site = checkout_and_install
    got = _probe_in(checkout, site)
    assert got["backend"] == "python"
    reason = got["reason"]
    assert f"the source tree {checkout.resolve() / 'wsframe'}" in reason
    assert f"shadows the installed one in {site.resolve() / 'wsframe'}" in reason
    assert "run from another directory" in reason
    assert "build_ext --inplace" in reason


def test_check_outside_the_checkout_imports_the_install(
    checkout_and_install: tuple[Path, Path],
) -> None:
    checkout, site = checkout_and_install
    got = _probe_in(site.parent, site)
    assert "source tree" not in got["reason"]


def test_unbuilt_checkout_without_install_says_how_to_build(
    checkout_and_install: tuple[Path, Path],
) -> None:
    checkout, _site = checkout_and_install
    got = _probe_in(checkout, None)
    assert got["backend"] == "python"
    assert "is a source tree with no compiled modules" in got["reason"]
    assert "build_ext --inplace" in got["reason"]
    assert "python -m pip install ." in got["reason"]


def test_reason_when_compiled_backend_loads() -> None:
    if wsframe.backend == "c":
        assert wsframe.backend_reason == "the compiled modules are loaded"
    else:
        assert wsframe.backend_reason


def _source_copy(dest: Path) -> Path:
    """A copy of the checkout to build (its generated .c kept: Cython then skips them)."""
    shutil.copytree(
        REPO,
        dest,
        ignore=shutil.ignore_patterns(
            ".git",
            "build",
            "dist",
            "*.egg-info",
            "*.so",
            "*.pyd",
            "_build_info.json",
            "__pycache__",
            ".venv",
            "venv",
            "corpus",
            "artifacts",
            "out",
            "tests",
            "bench",
            "*.html",
        ),
    )
    return dest


def _build_env() -> dict[str, str]:
    """This environment without WSFRAME_* switches, with a compiler that fails at once,
    named by its absolute path (which must not reach the build record)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("WSFRAME_")}
    env.update(CC="/bin/false", LDSHARED="/bin/false")
    return env


def _this_interpreters_module(name: str) -> str:
    """``name`` + this interpreter's extension suffix (``_mask.cpython-311-...so``)."""
    return name + importlib.machinery.EXTENSION_SUFFIXES[0]


def _plant_stale(path: Path) -> None:
    """A compiled module from an earlier build, older than the sources (so setuptools
    rebuilds it instead of taking it as up to date)."""
    path.write_bytes(b"stale")
    os.utime(path, (0, 0))


@pytest.mark.slow
def test_failed_c_build_makes_a_pure_wheel_with_its_reason(tmp_path: Path) -> None:
    # A checkout built once before (pip install . leaves build/lib.<platform>-<tag>/ with
    # the compiled modules; an in-place build leaves them next to the .pyx), then a build
    # whose compiler fails.  The wheel must be py3-none-any (not a cp3XX platform wheel
    # that pip would cache and reuse on a machine that can compile), must hold no
    # compiled module (the stale ones would load while the record says the build
    # failed), and its build record must name no path of the build machine.
    _needs_the_checkout()
    pytest.importorskip("Cython", reason="the C build path needs Cython in this environment")
    src = _source_copy(tmp_path / "src")
    tag = f"{sysconfig.get_platform()}-{sys.implementation.cache_tag}"
    stale = [
        src / "build" / f"lib.{tag}" / "wsframe" / "_speedups",
        src / "build" / "lib" / "wsframe" / "_speedups",
        src / "wsframe" / "_speedups",
    ]
    for folder in stale:
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("_mask", "_utf8", "_frames"):
            _plant_stale(folder / _this_interpreters_module(name))
    out = subprocess.run(
        [sys.executable, "setup.py", "-q", "bdist_wheel", "-d", str(tmp_path / "dist")],
        cwd=src,
        env=_build_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "building without C extensions" in out.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    assert wheel.name.endswith("-py3-none-any.whl"), wheel.name
    with zipfile.ZipFile(wheel) as zf:
        record = json.loads(zf.read("wsframe/_build_info.json"))
        assert not [n for n in zf.namelist() if n.endswith((".so", ".pyd", ".dylib"))]
        wheel_meta = next(n for n in zf.namelist() if n.endswith(".dist-info/WHEEL"))
        assert "Root-Is-Purelib: true" in zf.read(wheel_meta).decode()
    assert record["compiled"] is False and record["intended"] is False
    assert record["reason"] == "the C compiler failed: `false` exited with status 1"
    # The full error, command line and all, is in the build's own log.
    assert "/bin/false" in out.stderr


@pytest.mark.slow
def test_failed_inplace_build_removes_this_interpreters_stale_modules(tmp_path: Path) -> None:
    # `setup.py build_ext --inplace` (or pip install -e .) whose compiler fails: the
    # modules an earlier in-place build left for this interpreter go (they would load
    # while the record says the build failed); another version's stay (not ours to judge).
    _needs_the_checkout()
    pytest.importorskip("Cython", reason="the C build path needs Cython in this environment")
    src = _source_copy(tmp_path / "src")
    speedups = src / "wsframe" / "_speedups"
    ours = speedups / _this_interpreters_module("_mask")
    other = speedups / "_mask.cpython-39-x86_64-linux-gnu.so"
    for path in (ours, other):
        _plant_stale(path)
    out = subprocess.run(
        [sys.executable, "setup.py", "-q", "build_ext", "--inplace"],
        cwd=src,
        env=_build_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert not ours.exists()
    assert other.exists()
    record = json.loads((src / "wsframe" / "_build_info.json").read_text(encoding="utf-8"))
    assert record == {
        "compiled": False,
        "intended": False,
        "reason": "the C compiler failed: `false` exited with status 1",
    }
