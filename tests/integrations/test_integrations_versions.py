"""Each integration checks its peer's version before touching it, in either import order.

For every peer that is installed, in a fresh interpreter, with ``install()``
called before and after the peer is imported:

- a supported version is patched and works (``active()``);
- a version outside ``SUPPORTED_VERSIONS`` (the installed one when it is not
  supported — tools/integration_matrix.sh runs this file in an environment
  with an unsupported release — or, always, a forced refusal) gives a
  ``RuntimeWarning``, ``install()`` returns False, the import works and every
  attribute the integration would patch is the peer's own.

This is the regression test for wsproto 1.2.0, where ``install()`` before
``import wsproto`` once made the import fail ("cannot import name
'PerMessageDeflate' from partially initialized module").
"""

from __future__ import annotations

import importlib.metadata

import pytest

from _integration_support import run_in_fresh_interpreter

#: peer -> (distribution, the modules its integration targets, importing order)
PEERS = {
    "wsproto": ["wsproto", "wsproto.connection", "wsproto.frame_protocol", "wsproto.extensions"],
    "websockets": ["websockets", "websockets.frames", "websockets.legacy.framing",
                   "websockets.extensions.permessage_deflate",
                   "websockets.server"],
    "autobahn": ["autobahn", "autobahn.websocket.utf8validator", "autobahn.websocket.xormasker",
                 "autobahn.websocket.protocol"],
}


def _installed(peer: str) -> str | None:
    try:
        return importlib.metadata.version(peer)
    except importlib.metadata.PackageNotFoundError:
        return None


# Runs in the child: prints one line "ok ..." or raises.
CHILD = """
import importlib, sys, warnings
import wsframe.integrations.{peer} as integ

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

if {force_refusal}:
    integ._patches.supported = ("0.0.0",)
if {import_first}:
    for name in {modules!r}:
        importlib.import_module(name)
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    ok = integ.install()
if not {import_first}:
    for name in {modules!r}:
        importlib.import_module(name)
messages = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]
patches = integ._patches._patches
if ok:
    assert not messages, messages
    assert integ.active() and integ.is_installed()
    assert not all(own_code(p) for p in patches), "nothing patched"
    integ.uninstall()
    assert all(own_code(p) for p in patches), "uninstall() left patches"
    print("ok patched")
else:
    assert len(messages) == 1 and "left untouched" in messages[0], messages
    assert not integ.is_installed() and not integ.active()
    assert all(own_code(p) for p in patches), [p.path for p in patches if not own_code(p)]
    assert not any(type(f).__name__ == "_PatchingFinder" for f in sys.meta_path)
    print("ok refused", messages[0])
"""


@pytest.mark.parametrize("import_first", [False, True], ids=["install-first", "import-first"])
@pytest.mark.parametrize("force_refusal", [False, True], ids=["as-installed", "forced-refusal"])
@pytest.mark.parametrize("peer", sorted(PEERS))
def test_version_gate_in_both_import_orders(peer: str, force_refusal: bool, import_first: bool) -> None:
    version = _installed(peer)
    if version is None:
        pytest.skip(f"{peer} is not installed")
    integ = __import__(f"wsframe.integrations.{peer}", fromlist=["x"])
    supported = version in integ.SUPPORTED_VERSIONS and not force_refusal
    modules = PEERS[peer]
    out = run_in_fresh_interpreter(
        CHILD.format(peer=peer, force_refusal=force_refusal, import_first=import_first,
                     modules=modules)
    )
    assert out.returncode == 0, out.stderr
    if supported:
        assert out.stdout.startswith("ok patched"), out.stdout
    else:
        assert out.stdout.startswith("ok refused"), out.stdout
        assert f"{peer} {version} is not a version this integration supports" in out.stdout


def test_supported_versions_are_declared() -> None:
    from wsframe.integrations import autobahn, websockets, wsproto

    for integ, peer in ((wsproto, "wsproto"), (websockets, "websockets"), (autobahn, "autobahn")):
        assert integ.SUPPORTED_VERSIONS, peer
        assert integ._patches.distribution == peer
        assert integ._patches.supported == integ.SUPPORTED_VERSIONS
