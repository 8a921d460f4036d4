"""Each integration checks its peer's version before touching it, in either import order.

For every peer that is installed, in a fresh interpreter, with ``install()``
called before and after the peer is imported:

- a supported version is patched and works (``active()``);
- a version outside ``SUPPORTED_SERIES`` (the installed one when it is not
  inside — tools/integration_matrix.sh runs this file in an environment with
  a release outside the series — or, always, a forced refusal), and a failed
  feature probe (forced), give one ``RuntimeWarning`` naming the series or
  the probe; the import works, the integration is not installed and every
  attribute it would patch is the peer's own.  With ``install()`` first, a
  probe of a module imported later refuses from inside that import.

This is the regression test for wsproto 1.2.0, where ``install()`` before
``import wsproto`` once made the import fail ("cannot import name
'PerMessageDeflate' from partially initialized module").
"""

from __future__ import annotations

import importlib.metadata

import pytest

from _integration_support import run_in_fresh_interpreter
from wsframe.integrations._patching import in_series

#: integration -> the modules it targets, in importing order
PEERS = {
    "wsproto": ["wsproto", "wsproto.connection", "wsproto.frame_protocol", "wsproto.extensions"],
    "websockets": [
        "websockets",
        "websockets.frames",
        "websockets.legacy.framing",
        "websockets.extensions.permessage_deflate",
        "websockets.server",
    ],
    "autobahn": [
        "autobahn",
        "autobahn.websocket.utf8validator",
        "autobahn.websocket.xormasker",
        "autobahn.websocket.protocol",
    ],
    "websocket_client": ["websocket", "websocket._utils", "websocket._abnf"],
}

#: integration -> its peer's distribution name
DISTRIBUTIONS = {"websocket_client": "websocket-client"}


def _installed(peer: str) -> str | None:
    try:
        return importlib.metadata.version(peer)
    except importlib.metadata.PackageNotFoundError:
        return None


# Runs in the child: prints one line "ok ..." or raises.
CHILD = """
import importlib, sys, warnings
import wsframe.integrations.{peer} as integ
from wsframe.integrations._patching import check

def own_code(patch):
    # The attribute as the peer defines it: not one of wsframe's objects.
    mod = sys.modules[patch.module]
    try:
        owner = patch.owner(mod)
    except AttributeError:
        return True
    value = owner.__dict__.get(patch.name) if isinstance(owner, type) else getattr(owner, patch.name, None)
    if value is None:
        return True
    func = getattr(value, "__func__", value)
    return not getattr(func, "__wsframe__", False) and not str(
        getattr(func, "__module__", "")).startswith("wsframe")

mode = {mode!r}
if mode == "forced-series":
    integ._patches.series = "<0"
elif mode == "forced-probe":
    # A probe of the last module imported fails: in the install-first order
    # the refusal comes from inside that import, after others were patched.
    target = [m for m in {modules!r} if m in integ._patches.modules][-1]
    integ._patches.probes.append(check(target, "a forced probe", lambda m: False))
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    if {import_first}:
        for name in {modules!r}:
            importlib.import_module(name)
    ok = integ.install()
    if not {import_first}:
        for name in {modules!r}:
            importlib.import_module(name)
messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
patches = integ._patches._patches
if integ.is_installed():
    assert ok and not messages, messages
    assert integ.active()
    assert not all(own_code(p) for p in patches), "nothing patched"
    integ.uninstall()
    assert all(own_code(p) for p in patches), "uninstall() left patches"
    print("ok patched")
else:
    # install() itself refuses, except when the failed probe's module is
    # imported after it.
    assert ok is (mode == "forced-probe" and not {import_first}), ok
    assert len(messages) == 1 and "left untouched" in messages[0], messages
    assert not integ.active()
    assert all(own_code(p) for p in patches), [p.path for p in patches if not own_code(p)]
    assert not any(type(f).__name__ == "_PatchingFinder" for f in sys.meta_path)
    print("ok refused", messages[0])
"""


@pytest.mark.parametrize("import_first", [False, True], ids=["install-first", "import-first"])
@pytest.mark.parametrize("mode", ["as-installed", "forced-series", "forced-probe"])
@pytest.mark.parametrize("peer", sorted(PEERS))
def test_version_rule_in_both_import_orders(peer: str, mode: str, import_first: bool) -> None:
    dist = DISTRIBUTIONS.get(peer, peer)
    version = _installed(dist)
    if version is None:
        pytest.skip(f"{peer} is not installed")
    integ = __import__(f"wsframe.integrations.{peer}", fromlist=["x"])
    inside = in_series(version, integ.SUPPORTED_SERIES)
    if mode == "forced-probe" and not inside:
        pytest.skip(f"{peer} {version} is refused by its version before any probe")
    modules = PEERS[peer]
    out = run_in_fresh_interpreter(CHILD.format(peer=peer, mode=mode, import_first=import_first, modules=modules))
    assert out.returncode == 0, out.stderr
    if inside and mode == "as-installed":
        assert out.stdout.startswith("ok patched"), out.stdout
    else:
        assert out.stdout.startswith("ok refused"), out.stdout
        if mode == "forced-probe":
            assert f"{dist} {version}: probe failed: a forced probe" in out.stdout
        elif mode == "forced-series":
            assert f"{dist} {version} is outside the series this integration supports (<0)" in out.stdout
        else:
            assert f"{dist} {version} is outside the series" in out.stdout
            assert integ.SUPPORTED_SERIES in out.stdout


def test_series_and_probes_are_declared() -> None:
    from wsframe.integrations import autobahn, websocket_client, websockets, wsproto

    for integ, peer in (
        (wsproto, "wsproto"),
        (websockets, "websockets"),
        (autobahn, "autobahn"),
        (websocket_client, "websocket-client"),
    ):
        assert integ._patches.distribution == peer
        assert integ._patches.series == integ.SUPPORTED_SERIES
        # Every module a patch targets is probed.
        probed = {probe.module for probe in integ._patches.probes}
        assert {patch.module for patch in integ._patches._patches} <= probed, peer


def test_the_real_probes_pass_on_the_installed_peers() -> None:
    # In a fresh interpreter: every probe of every installed peer inside its
    # series passes (the matrix runs this on the oldest and newest releases).
    code = """
    import importlib, importlib.metadata
    from wsframe.integrations._patching import in_series
    for peer, dist in (("wsproto", "wsproto"), ("websockets", "websockets"),
                       ("autobahn", "autobahn"), ("websocket_client", "websocket-client")):
        integ = importlib.import_module("wsframe.integrations." + peer)
        try:
            version = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            continue
        if not in_series(version, integ.SUPPORTED_SERIES):
            continue
        for probe in integ._patches.probes:
            failure = probe.failure(importlib.import_module(probe.module))
            assert failure is None, (peer, version, failure)
        print(peer, version, len(integ._patches.probes), "probes")
    """
    out = run_in_fresh_interpreter(code)
    assert out.returncode == 0, out.stderr
