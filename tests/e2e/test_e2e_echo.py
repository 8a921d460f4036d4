"""End to end: examples/echo_server.py (wsframe alone) against the real websockets client.

Each test starts the server on 127.0.0.1 with an ephemeral port inside its own
event loop, runs one scenario of examples/echo_check.py with a bounded
timeout, and stops the server.
"""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("websockets")

from _integration_support import load_example

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
        asyncio.run(_with_server(lambda uri: echo_client.run_scenario(uri, scenario, max_size=MAX_SIZE)))
    finally:
        ws_integ.uninstall()


def test_client_offering_compression_gets_permessage_deflate() -> None:
    """websockets offers permessage-deflate by default; the server accepts it (RFC 7692)."""

    async def check(uri: str) -> None:
        from websockets.asyncio.client import connect

        async with connect(uri, open_timeout=10, close_timeout=10) as ws:
            value = ws.response.headers.get("Sec-WebSocket-Extensions")
            assert value is not None and value.startswith("permessage-deflate"), value
            await ws.send("compressed " * 100)
            assert await asyncio.wait_for(ws.recv(), 10) == "compressed " * 100

    asyncio.run(_with_server(check))


async def _raw_request(uri: str, request: bytes) -> bytes:
    port = int(uri.rsplit(":", 1)[1].strip("/"))
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        writer.write(request)
        # The server closes first (RFC 6455 §7.1.1 applies its habit to HTTP errors too).
        return await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()


def test_bad_handshake_gets_400() -> None:
    async def check(uri: str) -> None:
        response = await _raw_request(uri, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert response.startswith(b"HTTP/1.1 400"), response
        assert b"missing Upgrade header" in response

    asyncio.run(_with_server(check))


def test_a_head_past_the_limit_gets_431() -> None:
    # RFC 6585 §5 (it used to be closed without an answer).
    async def check(uri: str) -> None:
        big = b"X-Filler: " + b"a" * (echo_server.MAX_REQUEST + 10) + b"\r\n"
        response = await _raw_request(uri, b"GET / HTTP/1.1\r\nHost: x\r\n" + big + b"\r\n")
        assert response.startswith(b"HTTP/1.1 431 "), response[:80]

    asyncio.run(_with_server(check))


class _Gone:
    """A stream whose read fails as asyncio's does when the network is gone."""

    def __init__(self, error: OSError) -> None:
        self.error = error

    async def readuntil(self, separator: bytes) -> bytes:
        return _UPGRADE

    async def read(self, n: int) -> bytes:
        raise self.error


class _Writer:
    def __init__(self) -> None:
        self.closed = False
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data

    def writelines(self, items: list[bytes]) -> None:
        for item in items:
            self.data += item

    async def drain(self) -> None:
        return None

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize("error", [TimeoutError(110, "ETIMEDOUT"), ConnectionResetError(), OSError(5, "EIO")])
def test_any_os_error_ends_the_connection_quietly(error: OSError) -> None:
    # Regression: only ConnectionError was caught, so ETIMEDOUT (a network gone) or a
    # TLS error (ssl.SSLError, an OSError) escaped as a traceback, the socket unclosed.
    writer = _Writer()
    asyncio.run(echo_server.handle_connection(_Gone(error), writer))  # type: ignore[arg-type]
    assert writer.data.startswith(b"HTTP/1.1 101 ") and writer.closed


_UPGRADE = (
    b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
    b"Connection: keep-alive, Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\n\r\n"
)


def test_other_version_gets_426_with_supported_version() -> None:
    async def check(uri: str) -> None:
        response = await _raw_request(uri, _UPGRADE.replace(b"Version: 13", b"Version: 8"))
        assert response.startswith(b"HTTP/1.1 426 Upgrade Required\r\n"), response
        assert b"\r\nSec-WebSocket-Version: 13\r\n" in response

    asyncio.run(_with_server(check))


def test_rfc6455_1_3_example_handshake_gets_101_with_accept() -> None:
    async def check(uri: str) -> None:
        port = int(uri.rsplit(":", 1)[1].strip("/"))
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(_UPGRADE)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        writer.close()
        assert head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n"), head
        assert b"\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n" in head
        assert b"Sec-WebSocket-Extensions" not in head  # none offered, none answered

    asyncio.run(_with_server(check))


def test_test_page_is_served_on_plain_get() -> None:
    async def check(uri: str) -> None:
        response = await _raw_request(uri, f"GET {echo_server.PAGE_PATH} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        head, _, body = response.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 200 OK"), head
        assert b"Content-Type: text/html" in head
        assert b"new WebSocket(" in body
        assert f"Content-Length: {len(body)}".encode() in head

    asyncio.run(_with_server(check))


@pytest.mark.parametrize(
    "head",
    [
        b"GET / HTTP/1.0\r\nHost: x",
        b"GET /\r\nHost: x",
        b"GET / HTTP/1.1\r\nHost : x",
        b"GET / HTTP/1.1\r\nHost: x\r\n folded",
        b"GET / HTTP/1.1\r\nno colon",
    ],
)
def test_read_request_refuses_malformed_http(head: bytes) -> None:
    from wsframe.errors import HandshakeError

    with pytest.raises(HandshakeError):
        echo_server.read_request(head)


def test_read_request_gives_pairs_for_check_request() -> None:
    from wsframe.handshake import accept_key, check_request

    method, target, headers = echo_server.read_request(_UPGRADE[:-4])
    assert (method, target) == ("GET", "/chat")
    assert accept_key(check_request(method, headers).key) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
