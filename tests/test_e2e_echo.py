"""End to end: examples/echo_server.py (wsframe alone) against the real websockets client.

Each test starts the server on 127.0.0.1 with an ephemeral port inside its own
event loop, runs one scenario of examples/echo_check.py with a bounded
timeout, and stops the server.
"""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("websockets")

from _integration_support import load_example  # noqa: E402

echo_server = load_example("echo_server")
echo_client = load_example("echo_check")

MAX_SIZE = 2**20


async def _with_server(coro_factory) -> None:  # type: ignore[no-untyped-def]
    server = await echo_server.serve("127.0.0.1", 0, max_size=MAX_SIZE)
    try:
        port = server.sockets[0].getsockname()[1]
        await coro_factory(f"ws://127.0.0.1:{port}/")
    finally:
        server.close()
        await asyncio.wait_for(server.wait_closed(), 10)


@pytest.mark.parametrize("client_wsframe", ["plain-client", "wsframe-client"])
@pytest.mark.parametrize("scenario", list(echo_client.SCENARIOS))
def test_scenario(scenario: str, client_wsframe: str) -> None:
    """Each scenario; the client also runs with wsframe's websockets integration."""
    import wsframe.integrations.websockets as ws_integ

    if client_wsframe == "wsframe-client":
        ws_integ.install()
    try:
        asyncio.run(
            _with_server(lambda uri: echo_client.run_scenario(uri, scenario, max_size=MAX_SIZE))
        )
    finally:
        ws_integ.uninstall()


def test_client_offering_compression_gets_plain_connection() -> None:
    """permessage-deflate is offered by default and declined: echo still works."""

    async def check(uri: str) -> None:
        from websockets.asyncio.client import connect

        async with connect(uri, open_timeout=10, close_timeout=10) as ws:
            assert ws.response.headers.get("Sec-WebSocket-Extensions") is None
            await ws.send("plain")
            assert await asyncio.wait_for(ws.recv(), 10) == "plain"

    asyncio.run(_with_server(check))


def test_bad_handshake_gets_400() -> None:
    async def check(uri: str) -> None:
        port = int(uri.rsplit(":", 1)[1].strip("/"))
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        status = await asyncio.wait_for(reader.readline(), 10)
        assert status.startswith(b"HTTP/1.1 400"), status
        writer.close()

    asyncio.run(_with_server(check))


def test_accept_key_and_parse_request() -> None:
    """RFC 6455 §1.3's example key, through the server's request parser."""
    head = (
        b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
        b"Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13"
    )
    headers = echo_server.parse_upgrade_request(head)
    from wsframe.handshake import accept_key

    assert accept_key(headers["sec-websocket-key"]) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    with pytest.raises(echo_server.HandshakeError):
        echo_server.parse_upgrade_request(head.replace(b"13", b"8"))
