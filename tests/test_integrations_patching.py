"""The reversible patch machinery shared by the integrations (no peer needed)."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wsframe.integrations._patching import MISSING, Patch, PatchSet, Unsupported


@pytest.fixture
def fake_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A throw-away package ``wsf_fake_<n>`` with a module and a dependent module."""
    name = f"wsf_fake_{abs(hash(str(tmp_path))) % 10**8}"
    pkg = tmp_path / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "core.py").write_text(
        textwrap.dedent(
            """
            def helper():
                return "original"

            class Thing:
                def method(self):
                    return "original method"
            """
        )
    )
    (pkg / "user.py").write_text(f"from {name}.core import helper\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield name
    for mod in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        del sys.modules[mod]


def make_set(name: str, calls: list[Any] | None = None) -> PatchSet:
    def helper_factory(original: Any, module: Any) -> Any:
        if calls is not None:
            calls.append(original)
        return lambda: "patched"

    def method_factory(original: Any, module: Any) -> Any:
        return lambda self: "patched method"

    return PatchSet(
        [
            Patch(f"{name}.core", "helper", helper_factory),
            Patch(f"{name}.core", "Thing.method", method_factory),
            Patch(f"{name}.user", "helper", helper_factory),
            Patch(f"{name}.core", "absent", helper_factory, optional=True),
        ]
    )


def test_install_after_import(fake_package: str) -> None:
    core = __import__(f"{fake_package}.core", fromlist=["x"])
    patches = make_set(fake_package)
    patches.install()
    patches.install()  # idempotent
    try:
        assert core.helper() == "patched"
        assert core.Thing().method() == "patched method"
        assert not hasattr(core, "absent")  # optional and missing: skipped
        assert patches.active()
    finally:
        patches.uninstall()
    patches.uninstall()
    assert core.helper() == "original"
    assert core.Thing().method() == "original method"
    assert not patches.active()


def test_install_before_import_restores_names_imported_from_patched_module(
    fake_package: str,
) -> None:
    calls: list[Any] = []
    patches = make_set(fake_package, calls)
    patches.install()
    try:
        user = __import__(f"{fake_package}.user", fromlist=["x"])
        core = sys.modules[f"{fake_package}.core"]
        assert user.helper() == "patched" and core.helper() == "patched"
        # user.helper was imported already patched; its true original is core's.
        assert calls[-1] is calls[0] and calls[0] is not MISSING
    finally:
        patches.uninstall()
    assert user.helper() == "original"
    assert user.helper is core.helper


def test_unsupported_leaves_code_alone_with_a_warning(fake_package: str) -> None:
    def refuse(original: Any, module: Any) -> Any:
        raise Unsupported("not the tested version")

    core = __import__(f"{fake_package}.core", fromlist=["x"])
    patches = PatchSet([Patch(f"{fake_package}.core", "helper", refuse)])
    with pytest.warns(RuntimeWarning, match="not the tested version"):
        patches.install()
    try:
        assert core.helper() == "original"
        assert not patches.active()
    finally:
        patches.uninstall()


def test_missing_required_attribute_raises(fake_package: str) -> None:
    __import__(f"{fake_package}.core", fromlist=["x"])
    patches = PatchSet([Patch(f"{fake_package}.core", "Nope.method", lambda o, m: o)])
    with pytest.raises(AttributeError):
        patches.install()
    assert not patches.installed  # rolled back
    assert patches._finder is None  # and its import hook removed


def test_package_exposes_submodules_and_wsaccel_names_lazily() -> None:
    import wsframe.integrations as integrations
    from wsframe.integrations import autobahn as autobahn_integration

    assert integrations.wsproto.install is not None
    assert integrations.websockets.uninstall is not None
    assert integrations.Utf8Validator is autobahn_integration.Utf8Validator
    assert integrations.create_xor_masker is autobahn_integration.create_xor_masker
    assert set(integrations.__all__) >= {"wsproto", "websockets", "autobahn", "XorMaskerSimple"}
    with pytest.raises(AttributeError):
        integrations.no_such_integration  # noqa: B018
