"""End to end: examples/echo_client.py (wsframe alone, client role) against real servers.

The client does its handshake with ``request_headers`` / ``check_response``
(and ``wsframe.deflate.offer`` / ``accept_response``), masks its frames and
runs the closing handshake.  It is checked against two independent servers:
websockets' asyncio server (with and without permessage-deflate) and
examples/echo_server.py.  Every server runs on 127.0.0.1 with an ephemeral
port; every wait is bounded.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

pytest.importorskip("websockets")

from _integration_support import load_example
from wsframe.errors import HandshakeError

echo_client = load_example("echo_client")
echo_server = load_example("echo_server")

TIMEOUT = 20.0
MESSAGES: list[str | bytes] = [
    "hello",
    "",
    "h\u00e9llo w\u00f6rld \u20ac \U0001f600",
    "x" * 70000,
    b"\x00\x01\xff",
    b"",
    bytes(range(256)) * 300,
]


async def _websockets_server(run: Callable[[str], Awaitable[Any]], **kwargs: Any) -> Any:
    from websockets.asyncio.server import serve

    async def handler(ws: Any) -> None:
        async for message in ws:
            await ws.send(message)

    async with serve(handler, "127.0.0.1", 0, ping_interval=None, **kwargs) as server:
        port = server.sockets[0].getsockname()[1]
        return await asyncio.wait_for(run(f"ws://127.0.0.1:{port}/"), TIMEOUT)


async def _example_server(run: Callable[[str], Awaitable[Any]]) -> Any:
    server = await echo_server.serve("127.0.0.1", 0)
    try:
        port = server.sockets[0].getsockname()[1]
        return await asyncio.wait_for(run(f"ws://127.0.0.1:{port}/"), TIMEOUT)
    finally:
        server.close()
        await asyncio.wait_for(server.wait_closed(), 10)


async def _session(uri: str, compression: bool) -> Any:
    client = await echo_client.Client.connect(uri, compression=compression)
    for message in MESSAGES:
        await client.send(message)
        assert await client.recv() == message
    await client.ping(b"are you there")
    assert await client.recv(pongs=True) == b"are you there"
    await client.close(4000, "bye")
    assert (client.close_code, client.close_reason) == (4000, "bye")
    return client


@pytest.mark.parametrize("compression", [True, False])
def test_wsframe_client_against_websockets_server(compression: bool) -> None:
    client = asyncio.run(_websockets_server(lambda uri: _session(uri, compression)))
    if compression:
        assert client.extensions is not None and client.extensions.startswith("permessage-deflate")
        assert client.params is not None
    else:
        assert client.extensions is None and client.params is None


def test_wsframe_client_against_websockets_server_declining_compression() -> None:
    client = asyncio.run(_websockets_server(lambda uri: _session(uri, True), compression=None))
    assert client.extensions is None and client.params is None


@pytest.mark.parametrize("compression", [True, False])
def test_wsframe_client_against_example_server(compression: bool) -> None:
    client = asyncio.run(_example_server(lambda uri: _session(uri, compression)))
    assert (client.params is not None) is compression


def test_wsframe_client_subprotocol_negotiation() -> None:
    async def run(uri: str) -> Any:
        client = await echo_client.Client.connect(uri, subprotocols=("v2.echo", "v1.echo"))
        await client.close()
        return client

    client = asyncio.run(_websockets_server(run, subprotocols=["v1.echo"]))
    assert client.subprotocol == "v1.echo"


def test_wsframe_client_refuses_a_non_websocket_answer() -> None:
    async def run(uri: str) -> None:
        await echo_client.Client.connect(uri.replace("/", "/", 1))

    async def plain_http(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi")
        await writer.drain()
        writer.close()

    async def go() -> None:
        server = await asyncio.start_server(plain_http, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            with pytest.raises(HandshakeError, match="200 instead of 101"):
                await asyncio.wait_for(run(f"ws://127.0.0.1:{port}/"), TIMEOUT)
        finally:
            server.close()

    asyncio.run(go())


def test_wsframe_client_gets_1009_from_the_example_server() -> None:
    async def run(uri: str) -> None:
        client = await echo_client.Client.connect(uri, compression=False)
        await client.send(b"\x00" * (2**20 + 1))
        with pytest.raises(echo_client.ConnectionClosed) as info:
            await client.recv()
        assert info.value.code == 1009

    asyncio.run(_example_server(run))
