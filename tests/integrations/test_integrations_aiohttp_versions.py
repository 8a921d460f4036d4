"""wsframe.integrations.aiohttp under the version rule, on the installed release.

tools/integration_matrix.sh runs this file on the oldest and newest release of
each aiohttp series the integration supports and on one release outside them;
the main suite runs it on the current release.  What each release gets is
written here as facts about aiohttp, not read back from the probes: the
writer's internals are the ones replaced from 3.13.2, the reader's (the
queue exposing its fill level, the weak reference a stalled reader parks)
from 3.14.4.  In a fresh interpreter, with ``install()`` before and after
``import aiohttp``:

- a release inside the series: each part whose internals match is wsframe's
  in every module that binds it and is the one a real server / client
  exchange uses (echoed text, binary and compressed messages arrive intact);
  a part that does not match is aiohttp's own, refused with exactly one
  warning per ``install()`` naming its probe; ``uninstall()`` puts every
  class back;
- a release outside the series: one warning naming the series, nothing
  replaced, and the same exchange works on aiohttp's own classes.
"""

from __future__ import annotations

import ast
import importlib.metadata
import warnings

import pytest

from _integration_support import run_in_fresh_interpreter

pytest.importorskip("aiohttp")

import wsframe.integrations.aiohttp as integration
from wsframe.integrations._patching import in_series

_VERSION_TEXT = importlib.metadata.version("aiohttp")
_VERSION = tuple(int(p) for p in _VERSION_TEXT.split(".")[:3] if p.isdigit())
_INSIDE = in_series(_VERSION_TEXT, integration.SUPPORTED_SERIES)
#: The parts of aiohttp whose internals are those the integration replaces.
_READER_OK = _INSIDE and _VERSION >= (3, 14, 4)
_WRITER_OK = _INSIDE and _VERSION >= (3, 13, 2)

CHILD = """
import asyncio, importlib, sys, warnings
import wsframe.integrations.aiohttp as integ

READER_MODULES = {reader_modules!r}
WRITER_MODULES = {writer_modules!r}
OURS = integ.__name__


def ours(cls):
    return cls.__module__ == OURS


def bound(modules, name):
    # The modules of this release that bind the class: is it wsframe's?
    return {{m: ours(getattr(sys.modules[m], name)) for m in modules if hasattr(sys.modules.get(m), name)}}


def bindings():
    return bound(READER_MODULES, "WebSocketReader"), bound(WRITER_MODULES, "WebSocketWriter")


def install():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if {import_first}:
            import aiohttp.web, aiohttp.client, aiohttp.client_ws
        ok = integ.install()
        import aiohttp.web, aiohttp.client, aiohttp.client_ws
        # Every module that binds a class, imported after install() too.
        for name in set(READER_MODULES) | set(WRITER_MODULES):
            importlib.import_module(name)
    return ok, [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


async def exchange():
    from aiohttp import WSMsgType, web
    from aiohttp.test_utils import TestClient, TestServer

    used = {{}}

    async def echo(request):
        ws = web.WebSocketResponse(compress=True)
        await ws.prepare(request)
        used["server reader"] = ours(type(request.protocol._payload_parser))
        used["server writer"] = ours(type(ws._writer))
        async for msg in ws:
            if msg.type is WSMsgType.TEXT:
                await ws.send_str(msg.data)
            elif msg.type is WSMsgType.BINARY:
                await ws.send_bytes(msg.data, compress=9)
        return ws

    app = web.Application()
    app.router.add_get("/", echo)
    sent = ["hello", "h\\u00e9llo \\u20ac" * 3000, b"\\x00\\xff" * 40000, b""]
    got = []
    async with TestClient(TestServer(app)) as client:
        async with client.ws_connect("/", compress=15) as ws:
            used["client writer"] = ours(type(ws._writer))
            for item in sent:
                await (ws.send_str(item) if isinstance(item, str) else ws.send_bytes(item))
                got.append((await ws.receive(timeout=10)).data)
    assert got == sent, "echo differs"
    return used


ok, messages = install()
print("install", ok)
print("warnings", messages)
print("bindings", bindings())
print("used", asyncio.run(exchange()))
# A second install() after uninstall() judges afresh: the same warnings again.
integ.uninstall()
print("uninstalled", bindings())
ok2, messages2 = install()
print("again", ok2, messages2 == messages)
integ.uninstall()
"""


def _run(import_first: bool) -> dict[str, str]:
    out = run_in_fresh_interpreter(
        CHILD.format(
            reader_modules=list(integration._READER_MODULES),
            writer_modules=list(integration._WRITER_MODULES),
            import_first=import_first,
        )
    )
    assert out.returncode == 0, out.stderr
    return dict(line.split(" ", 1) for line in out.stdout.splitlines())


@pytest.mark.parametrize("import_first", [False, True], ids=["install-first", "import-first"])
def test_the_installed_release_under_the_version_rule(import_first: bool) -> None:
    result = _run(import_first)
    reader_bound, writer_bound = ast.literal_eval(result["bindings"])
    messages = ast.literal_eval(result["warnings"])
    used = ast.literal_eval(result["used"])
    assert result["uninstalled"].count("True") == 0, result["uninstalled"]
    assert result["again"] == f"{_INSIDE} True"
    if not _INSIDE:
        assert result["install"] == "False"
        assert len(messages) == 1, messages
        assert f"aiohttp {_VERSION_TEXT} is outside the series" in messages[0]
        assert integration.SUPPORTED_SERIES in messages[0]
    else:
        assert result["install"] == "True"
        expected = [] if _READER_OK else ["WebSocketReader left unaccelerated"]
        expected += [] if _WRITER_OK else ["WebSocketWriter left unaccelerated"]
        assert len(messages) == len(expected), messages
        for text, message in zip(expected, messages):
            assert f"aiohttp {_VERSION_TEXT}: {text}" in message and " failed: " in message, message
    # Six modules bind the reader, five the writer (those this release has).
    assert reader_bound and writer_bound
    assert set(reader_bound.values()) == {_READER_OK}, reader_bound
    assert set(writer_bound.values()) == {_WRITER_OK}, writer_bound
    assert used == {
        "server reader": _READER_OK,
        "server writer": _WRITER_OK,
        "client writer": _WRITER_OK,
    }


def test_a_refused_reader_warns_once_per_install(monkeypatch: pytest.MonkeyPatch) -> None:
    # aiohttp binds the reader in six modules: the refusal is judged (and
    # said) once per install(), and judged afresh after uninstall().
    import aiohttp.client
    import aiohttp.web_ws

    if not _INSIDE:
        pytest.skip(f"aiohttp {_VERSION_TEXT} is refused by its version before any probe")
    calls: list[None] = []

    def failing_probe() -> str:
        calls.append(None)
        return "WebSocketDataQueue.feed_data['self', 'data'] differs"

    original = aiohttp.web_ws.WebSocketReader
    monkeypatch.setattr(integration, "_reader_cls", None)
    monkeypatch.setattr(integration, "probe_reader", failing_probe)
    for _ in range(2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert integration.install()
            assert integration.install()  # idempotent: no new judgement
        try:
            refusals = [str(w.message) for w in caught if "WebSocketReader" in str(w.message)]
            assert len(refusals) == 1, refusals
            assert "probe_reader failed: WebSocketDataQueue.feed_data['self', 'data'] differs" in refusals[0]
            assert aiohttp.web_ws.WebSocketReader is original
            assert aiohttp.client.WebSocketReader.__module__ != integration.__name__
        finally:
            integration.uninstall()
        assert integration._reader_refused is None
    assert len(calls) == 2
