"""The reversible patch machinery shared by the integrations (no peer needed)."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from wsframe.integrations._patching import (
    MISSING,
    Patch,
    PatchSet,
    Unsupported,
    check,
    fields,
    has,
    in_series,
    kind,
    signature,
)


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
    with pytest.warns(RuntimeWarning, match="Unsupported: not the tested version.*untouched"):
        assert patches.install() is False
    try:
        assert core.helper() == "original"
        assert not patches.active()
    finally:
        patches.uninstall()


def test_missing_required_attribute_warns_and_rolls_back(fake_package: str) -> None:
    core = __import__(f"{fake_package}.core", fromlist=["x"])
    patches = PatchSet(
        [
            Patch(f"{fake_package}.core", "helper", lambda o, m: lambda: "patched"),
            Patch(f"{fake_package}.core", "Nope.method", lambda o, m: o),
        ]
    )
    with pytest.warns(RuntimeWarning, match="could not patch.*AttributeError"):
        assert patches.install() is False
    assert not patches.installed  # rolled back
    assert patches._finder is None  # and its import hook removed
    assert core.helper() == "original"


def test_failure_inside_an_import_never_breaks_the_import(fake_package: str) -> None:
    # A factory that fails while the peer is being imported (as the wsproto
    # integration once did with wsproto 1.2: ImportError from a partially
    # initialised module) must leave the import working and the module whole.
    def broken(original: Any, module: Any) -> Any:
        raise ImportError("cannot import name 'X' from partially initialized module")

    patches = PatchSet(
        [
            Patch(f"{fake_package}.core", "helper", lambda o, m: lambda: "patched"),
            Patch(f"{fake_package}.core", "Thing.method", broken),
        ]
    )
    assert patches.install() is True
    try:
        with pytest.warns(RuntimeWarning, match="could not patch.*ImportError.*left untouched"):
            core = __import__(f"{fake_package}.core", fromlist=["x"])
        assert core.helper() == "original"  # the module's patches were undone
        assert core.Thing().method() == "original method"
        assert not patches.applied_to(f"{fake_package}.core")
        assert not patches.installed and patches._finder is None  # all or nothing
    finally:
        patches.uninstall()


def _fake_distribution(tmp_path: Path, name: str, version: str) -> None:
    info = tmp_path / f"{name}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")


@pytest.mark.parametrize("imported_first", [False, True])
@pytest.mark.parametrize(
    ("version", "ok"),
    [("1.3.2", True), ("1.3.10.post1", True), ("1.3", False), ("1.4.0", False), ("1.3.5rc1", False), ("20", False)],
)
def test_version_gate(fake_package: str, tmp_path: Path, imported_first: bool, version: str, ok: bool) -> None:
    _fake_distribution(tmp_path, fake_package, version)
    calls: list[Any] = []
    if imported_first:
        core = __import__(f"{fake_package}.core", fromlist=["x"])
    patches = PatchSet(
        [Patch(f"{fake_package}.core", "helper", lambda o, m: calls.append(o) or (lambda: "patched"))],
        distribution=fake_package,
        series=">=1.3.2,<1.4",
    )
    try:
        if ok:
            assert patches.install() is True
        else:
            with pytest.warns(RuntimeWarning, match=f"{fake_package} {version} is outside the series"):
                assert patches.install() is False
            assert patches._finder is None  # no import hook either
        if not imported_first:
            core = __import__(f"{fake_package}.core", fromlist=["x"])
        assert core.helper() == ("patched" if ok else "original")
        assert bool(calls) == ok  # an unsupported version's code is never even read
    finally:
        patches.uninstall()


def test_version_gate_without_metadata(fake_package: str) -> None:
    patches = PatchSet(
        [Patch(f"{fake_package}.core", "helper", lambda o, m: lambda: "patched")],
        distribution=fake_package,
        series=">=1.0",
    )
    with pytest.warns(RuntimeWarning, match="not installed"):
        assert patches.install() is False
    core = __import__(f"{fake_package}.core", fromlist=["x"])
    assert core.helper() == "original"


@pytest.mark.parametrize(
    ("version", "series", "inside"),
    [
        ("1.2.0", ">=1.2,<1.4", True),
        ("1.2", ">=1.2,<1.4", True),
        ("1.3.2", ">=1.2,<1.4", True),
        ("1.4", ">=1.2,<1.4", False),
        ("1.1.9", ">=1.2,<1.4", False),
        ("16.1", ">=16.1,<18", True),
        ("17.4.1+local", ">=16.1,<18", True),
        ("17.0rc1", ">=16.1,<18", False),  # pre-releases are never inside
        ("17.0.dev3", ">=16.1,<18", False),
        ("26.11.1", ">=26.7,<27", True),
        ("26.6.2", ">=26.7,<27", False),
        ("2.0", "==2", True),
        ("2.0", "!=2.0.0", False),
        ("3", ">2,<=3", True),
        ("not a version", ">=1", False),
    ],
)
def test_in_series(version: str, series: str, inside: bool) -> None:
    assert in_series(version, series) is inside


def test_in_series_rejects_a_malformed_series() -> None:
    with pytest.raises(ValueError, match="not a version series clause"):
        in_series("1.0", ">=1.0,~=2")


def test_probe_constructors_name_what_failed(fake_package: str) -> None:
    core = __import__(f"{fake_package}.core", fromlist=["x"])
    name = f"{fake_package}.core"
    passing = [
        *has(name, "helper", "Thing.method"),
        signature(name, "Thing.method", ["self"]),
        signature(name, "helper", []),
        kind(name, "Thing", type),
        check(name, "always", lambda m: None),
    ]
    assert [p.failure(core) for p in passing] == [None] * len(passing)
    assert has(name, "Thing.nope")[0].failure(core) == f"probe failed: {name}.Thing.nope: missing"
    assert signature(name, "Thing.method", ["self", "x"]).failure(core) == (
        f"probe failed: {name}.Thing.method: parameters (self), expected (self, x)"
    )
    assert kind(name, "helper", type).failure(core) == (f"probe failed: {name}.helper: is a function")
    failure = fields(name, "Thing", ["a"]).failure(core)
    assert failure is not None and failure.startswith(f"probe failed: {name}.Thing: fields None")
    assert check(name, "the answer", lambda m: False).failure(core) == "probe failed: the answer"
    assert check(name, "boom", lambda m: 1 / 0).failure(core) == (
        "probe failed: boom: ZeroDivisionError: division by zero"
    )


def test_failed_probe_before_install_touches_nothing(fake_package: str) -> None:
    core = __import__(f"{fake_package}.core", fromlist=["x"])
    patches = make_set(fake_package)
    patches.probes = [*has(f"{fake_package}.core", "helper", "Thing.gone")]
    with pytest.warns(RuntimeWarning, match=r"probe failed: .*\.core\.Thing\.gone: missing; left untouched"):
        assert patches.install() is False
    assert patches._finder is None and not patches.installed
    assert core.helper() == "original"


def test_failed_probe_at_import_undoes_everything(fake_package: str) -> None:
    # install() first: core passes its probes and is patched when imported;
    # user fails its probe when imported later, so core is restored too, and
    # the helper user imported (core's replacement) is put back in user.
    patches = make_set(fake_package)
    patches.probes = [
        *has(f"{fake_package}.core", "helper"),
        check(f"{fake_package}.user", "user has no marker", lambda m: hasattr(m, "marker")),
    ]
    assert patches.install() is True
    try:
        core = __import__(f"{fake_package}.core", fromlist=["x"])
        assert core.helper() == "patched" and patches.active()
        with pytest.warns(RuntimeWarning, match="probe failed: user has no marker; left untouched"):
            user = __import__(f"{fake_package}.user", fromlist=["x"])
        assert core.helper() == "original" and user.helper() == "original"
        assert core.Thing().method() == "original method"
        assert not patches.installed and patches._finder is None
        assert patches._finder not in sys.meta_path
    finally:
        patches.uninstall()


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
