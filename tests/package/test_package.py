"""Tests for the package surface: backend selection, version, exports, typing."""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.metadata
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import wsframe
from wsframe._backend import COMPILED_MODULES

PUBLIC_NAMES: dict[str, set[str]] = {
    "wsframe.mask": {"apply_mask", "apply_mask_inplace", "Masker"},
    "wsframe.utf8": {"is_valid", "find_invalid", "Utf8Validator", "InvalidUTF8"},
    "wsframe.handshake": {"accept_key"},
    "wsframe.errors": {"ProtocolError", "InvalidUTF8", "PayloadTooBig"},
    "wsframe.frames": {
        "Opcode",
        "CloseCode",
        "FrameHeader",
        "parse_header",
        "Frame",
        "FrameDecoder",
        "encode_frame",
        "encode_header",
        "encode_message",
        "new_mask",
        "parse_close",
        "encode_close",
        "MessageAssembler",
        "Message",
    },
}

_PROBE = """
import json, wsframe, importlib
out = {"backend": wsframe.backend, "modules": {}}
for mod in %r:
    m = importlib.import_module(mod)
    out["modules"][mod] = sorted(m.__all__)
print(json.dumps(out))
"""


def _probe(env_value: str | None) -> dict[str, object]:
    """Import wsframe in a fresh interpreter with WSFRAME_PURE_PYTHON set/unset."""
    env = dict(os.environ)
    env.pop("WSFRAME_PURE_PYTHON", None)
    if env_value is not None:
        env["WSFRAME_PURE_PYTHON"] = env_value
    # Import the same wsframe this process imported.
    pkg_parent = str(Path(wsframe.__file__).resolve().parents[1])
    env["PYTHONPATH"] = pkg_parent + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE % (sorted(PUBLIC_NAMES),)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def _speedups_present() -> bool:
    return all(importlib.util.find_spec(f"wsframe._speedups.{name}") is not None for name in COMPILED_MODULES)


def test_backend_is_c_or_python() -> None:
    assert wsframe.backend in ("c", "python")


def test_backend_matches_expectation_from_environment() -> None:
    # CI sets WSFRAME_EXPECT_BACKEND so a silently failed build cannot pass
    # as "the compiled run".
    expected = os.environ.get("WSFRAME_EXPECT_BACKEND")
    if not expected:
        pytest.skip("WSFRAME_EXPECT_BACKEND not set")
    assert wsframe.backend == expected


def test_backend_follows_wsframe_pure_python_env() -> None:
    forced = os.environ.get("WSFRAME_PURE_PYTHON", "").strip().lower()
    if forced in ("", "0", "false", "no"):
        pytest.skip("WSFRAME_PURE_PYTHON not set in this run")
    assert wsframe.backend == "python"


@pytest.mark.parametrize("value", ["1", "true", "yes"])
def test_wsframe_pure_python_forces_reference(value: str) -> None:
    assert _probe(value)["backend"] == "python"


@pytest.mark.parametrize("value", [None, "", "0"])
def test_without_wsframe_pure_python_compiled_backend_is_used_when_built(
    value: str | None,
) -> None:
    assert _probe(value)["backend"] == ("c" if _speedups_present() else "python")


def test_both_backends_expose_the_same_public_names() -> None:
    pure = _probe("1")["modules"]
    default = _probe(None)["modules"]
    assert pure == default
    assert isinstance(pure, dict)
    for mod, names in PUBLIC_NAMES.items():
        assert names <= set(pure[mod]), mod


@pytest.mark.parametrize("module_name", sorted(PUBLIC_NAMES))
def test_public_module_all_names_exist(module_name: str) -> None:
    module = importlib.import_module(module_name)
    assert PUBLIC_NAMES[module_name] <= set(module.__all__)
    for name in module.__all__:
        assert hasattr(module, name), f"{module_name}.{name} in __all__ but missing"


def test_package_all_names_exist() -> None:
    for name in wsframe.__all__:
        assert hasattr(wsframe, name), f"wsframe.{name} in __all__ but missing"
    for name in ("__version__", "backend", "ProtocolError", "InvalidUTF8", "PayloadTooBig"):
        assert name in wsframe.__all__


@pytest.mark.parametrize("module_name", ["wsframe.mask", "wsframe.utf8"])
def test_public_callables_are_documented(module_name: str) -> None:
    module = importlib.import_module(module_name)
    for name in module.__all__:
        obj = getattr(module, name)
        assert (obj.__doc__ or "").strip(), f"{module_name}.{name} has no docstring"


def test_version_is_pep440() -> None:
    assert isinstance(wsframe.__version__, str)
    assert re.fullmatch(
        r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?(\+[a-z0-9.]+)?",
        wsframe.__version__,
    ), wsframe.__version__


def test_version_matches_installed_distribution() -> None:
    try:
        dist = importlib.metadata.distribution("wsframe")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("wsframe is not installed (running from the source tree)")
    assert dist.version == wsframe.__version__


def test_pep561_py_typed_shipped() -> None:
    # PEP 561: the marker file must sit in the package directory...
    pkg_dir = Path(wsframe.__file__).resolve().parent
    assert (pkg_dir / "py.typed").is_file()
    # ...and, when installed, be part of the distribution's files.
    try:
        dist = importlib.metadata.distribution("wsframe")
    except importlib.metadata.PackageNotFoundError:
        return
    files = dist.files
    if files is None:  # pragma: no cover - metadata without RECORD
        pytest.skip("distribution does not list its files")
    assert any(str(f).replace("\\", "/") == "wsframe/py.typed" for f in files)


@pytest.mark.parametrize(
    ("public", "names", "extra"),
    [("frames", "FRAMES_API", ()), ("mask", "MASK_API", ("SIMD_API",)), ("utf8", "UTF8_API", ("SIMD_API",))],
)
def test_each_public_module_has_one_name_list(public: str, names: str, extra: tuple[str, ...]) -> None:
    """wsframe._api holds one list per public module: the public module and
    the reference export exactly it, the compiled module it and its extras,
    and the compiled module's stub spells out the same list."""
    import ast
    import importlib
    from pathlib import Path

    from wsframe import _api

    listed = list(getattr(_api, names))
    compiled_names = listed + [name for group in extra for name in getattr(_api, group)]
    assert list(importlib.import_module(f"wsframe.{public}").__all__) == listed
    assert list(importlib.import_module(f"wsframe._reference.{public}").__all__) == listed
    stub = Path(_api.__file__).with_name("_speedups") / f"_{public}.pyi"
    tree = ast.parse(stub.read_text(encoding="utf-8"))
    spelled = [
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
    ]
    assert spelled == [compiled_names], f"{stub.name}: __all__ must list {compiled_names}"
    compiled = pytest.importorskip(f"wsframe._speedups._{public}")
    assert list(compiled.__all__) == compiled_names


def test_no_compiled_module_imports_the_reference() -> None:
    """The specification is not a runtime library of the fast path."""
    import re
    from pathlib import Path

    speedups = Path(wsframe.__file__).parent / "_speedups"
    pattern = re.compile(r"^\s*(from|import|cimport)\s+[\w.]*_reference\b", re.M)
    for source in sorted(speedups.glob("*.pyx")) + sorted(speedups.glob("*.pxd")):
        assert not pattern.search(source.read_text()), source.name


def test_compiled_module_list_is_the_pyx_files() -> None:
    """wsframe._backend.COMPILED_MODULES is the one list of compiled modules: one per
    .pyx file, which setup.py builds and `make build` checks."""
    speedups = Path(wsframe.__file__).parent / "_speedups"
    assert sorted(COMPILED_MODULES) == sorted(p.stem for p in speedups.glob("*.pyx"))


def test_build_record_matches_the_compiled_modules_present() -> None:
    """A package whose build record says the C build did not happen holds no compiled
    module (a stale one would load while the record says otherwise), and one whose
    record says it did holds every module."""
    from wsframe import _backend

    info = _backend.build_info
    if info is None:
        pytest.skip("no build record (a source tree that was never built)")
    speedups = Path(wsframe.__file__).resolve().parent / "_speedups"
    present = sorted(
        name
        for name in COMPILED_MODULES
        for suffix in importlib.machinery.EXTENSION_SUFFIXES
        if (speedups / (name + suffix)).is_file()
    )
    if info["compiled"]:
        assert present == sorted(COMPILED_MODULES)
    else:
        assert present == [], f"compiled modules beside a record of {info['reason']!r}"
        assert wsframe.backend == "python"


def _requirement_name(requirement: str) -> str:
    """``"pytest>=8"`` -> ``"pytest"``; ``"zlib-ng; python_version..."`` -> ``"zlib-ng"``."""
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower()


def test_the_test_extra_is_what_the_suite_imports_unconditionally() -> None:
    """``pip install wsframe[test]`` adds exactly the third-party packages the tests import
    before any ``pytest.importorskip`` (so the suite runs with them alone), and pins none:
    the peer libraries, with their pins and dependencies, are the ``peers`` extra, which
    CI's ``ci`` extra includes."""
    import ast

    tomllib = pytest.importorskip("tomllib", reason="tomllib is in the stdlib from 3.11")
    tests_dir = Path(__file__).resolve().parents[1]
    pyproject = tests_dir.parent / "pyproject.toml"
    if not pyproject.is_file():
        pytest.skip("no pyproject.toml beside the tests")
    extras = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    local = {"wsframe", "conftest"} | {p.stem for p in tests_dir.rglob("_*.py")}
    unconditional: set[str] = set()
    for path in tests_dir.rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if "importorskip" in ast.unparse(node):
                break  # what follows may need a package the test extra leaves out
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top not in local | {"__future__"}:
                    unconditional.add(top)
    assert {_requirement_name(r) for r in extras["test"]} == unconditional
    assert not [r for r in extras["test"] if "==" in r]
    assert any(r.startswith("wsframe[test,peers") for r in extras["ci"])
