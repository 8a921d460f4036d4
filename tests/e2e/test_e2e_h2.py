"""End to end: examples/h2_echo_server.py driven by an HTTP/2 client built on ``h2``.

Each test starts the example on an ephemeral loopback port with a
self-signed certificate made for the run (``cryptography``), connects with
TLS and ALPN ``h2``, and checks what RFC 8441 asks of the server: the
SETTINGS_ENABLE_CONNECT_PROTOCOL setting (§3), the extended CONNECT handshake
(§4-§5), WebSocket messages on the stream (text, a 100 KB binary message,
compressed ones), the closing handshake ended by END_STREAM both ways and
RST_STREAM as an abort (§5-§6), HTTP/2 flow control both ways with windows
smaller than a message, and the HTTP/1.1 Upgrade path on the same port.
The server side's view comes from ``serve(..., record=...)``.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

pytest.importorskip("h2")
pytest.importorskip("cryptography")

from h2.errors import ErrorCodes
from h2.settings import SettingCodes

from _h2_support import TIMEOUT, H2Client, _Stream, self_signed_certificate
from _integration_support import load_example
from wsframe import deflate
from wsframe.errors import HandshakeError
from wsframe.frames import Opcode, encode_close, encode_frame, new_mask, parse_close
from wsframe.handshake import check_connect_response, connect_request_headers

h2_echo_server = load_example("h2_echo_server")
MAX_SIZE = 2**20


@pytest.fixture(scope="module")
def certificate() -> Iterator[tuple[str, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        certfile, keyfile, _ = self_signed_certificate(tmp)
        yield certfile, keyfile


Scenario = Callable[[H2Client, list[Any], int], Awaitable[None]]


def run(certificate: tuple[str, str], scenario: Scenario, **client: Any) -> list[Any]:
    """Start the server, connect one client, run ``scenario``; return the server's records."""

    async def go() -> list[Any]:
        record: list[Any] = []
        server = await h2_echo_server.serve(
            ssl_context=h2_echo_server.tls_context(*certificate), max_size=MAX_SIZE, record=record
        )
        port = server.sockets[0].getsockname()[1]
        connection = H2Client(**client)
        try:
            await connection.connect(port, certificate[0])
            await scenario(connection, record, port)
        finally:
            await connection.close()
            server.close()
        return record

    return asyncio.run(asyncio.wait_for(go(), 4 * TIMEOUT))


def close_frame(code: int, reason: str = "") -> bytes:
    return encode_frame(Opcode.CLOSE, encode_close(code, reason), mask=new_mask())


# --------------------------------------------------------------------------- handshake


def test_settings_advertise_extended_connect(certificate: tuple[str, str]) -> None:
    async def scenario(client: H2Client, record: list[Any], port: int) -> None:
        # RFC 8441 §3: SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 in the server's SETTINGS.
        assert client.settings[SettingCodes.ENABLE_CONNECT_PROTOCOL] == 1

    run(certificate, scenario)


def test_page_is_served_over_http2(certificate: tuple[str, str]) -> None:
    async def scenario(client: H2Client, record: list[Any], port: int) -> None:
        headers, body = await client.get(h2_echo_server.PAGE_PATH)
        assert dict(headers)[":status"] == "200"
        assert dict(headers)["content-type"].startswith("text/html")
        assert b"new WebSocket(" in body and b"wss" in body
        headers, _ = await client.get("/nowhere")
        assert dict(headers)[":status"] == "404"

    run(certificate, scenario)


def test_extended_connect_handshake(certificate: tuple[str, str]) -> None:
    async def scenario(client: H2Client, record: list[Any], port: int) -> None:
        ws = await client.websocket("/chat?room=1")
        assert ws.response == [(":status", "200")]  # no accept value, no extension
        assert ws.params is None
        (seen,) = record
        assert dict(seen.headers)[":protocol"] == "websocket"
        assert dict(seen.headers)[":path"] == "/chat?room=1"
        assert seen.extensions is None and seen.outcome == "open"

    run(certificate, scenario)


@pytest.mark.parametrize(
    ("version", "status", "header"),
    [
        ([("sec-websocket-version", "8")], "426", [("sec-websocket-version", "13")]),
        ([], "400", []),
    ],
)
def test_bad_extended_connect_is_refused(
    certificate: tuple[str, str], version: list[tuple[str, str]], status: str, header: list[tuple[str, str]]
) -> None:
    async def scenario(client: H2Client, record: list[Any], port: int) -> None:
        headers = [
            (":method", "CONNECT"),
            (":protocol", "websocket"),
            (":scheme", "https"),
            (":path", "/"),
            (":authority", "localhost"),
            *version,
        ]
        stream_id = client.request(headers, end_stream=False)
        response = await client.response(stream_id)
        assert dict(response)[":status"] == status
        assert set(header) <= set(response)
        with pytest.raises(HandshakeError) as info:
            check_connect_response(response)
        assert info.value.status == int(status)
        assert await client.body(stream_id)  # the reason, then END_STREAM
        assert record == []

    run(certificate, scenario)


def test_unknown_protocol_is_501(certificate: tuple[str, str]) -> None:
    async def scenario(client: H2Client, record: list[Any], port: int) -> None:
        stream_id = client.request(
            [
                (":method", "CONNECT"),
                (":protocol", "webtransport"),
                (":scheme", "https"),
                (":path", "/"),
                (":authority", "localhost"),
            ],
            end_stream=False,
        )
        assert dict(await client.response(stream_id))[":status"] == "501"

    run(certificate, scenario)


# --------------------------------------------------------------------------- messages


def test_text_binary_100kb_and_ping(certificate: tuple[str, str]) -> None:
    async def scenario(client: H2Client, record: list[Any], port: int) -> None:
        ws = await client.websocket()
        for text in ["hello", "", "h\u00e9llo \u20ac \U0001f600"]:
            await ws.send(Opcode.TEXT, text.encode())
            message = await ws.recv()
            assert message is not None and (message.opcode, message.data) == (Opcode.TEXT, text)
        payload = os.urandom(100 * 1000)  # incompressible, larger than every default window
        await ws.send(Opcode.BINARY, payload, fragment_size=30000)
        message = await ws.recv()
        assert message is not None and (message.opcode, message.data) == (Opcode.BINARY, payload)
        await client.send(ws.stream_id, encode_frame(Opcode.PING, b"ping!", mask=new_mask()))
        message = await ws.recv()
        assert message is not None and (message.opcode, message.data) == (Opcode.PONG, b"ping!")

    run(certificate, scenario)


def test_permessage_deflate_is_negotiated_and_used(certificate: tuple[str, str]) -> None:
    async def scenario(client: H2Client, record: list[Any], port: int) -> None:
        ws = await client.websocket(extensions=deflate.offer())
        assert ws.params is not None
        assert record[0].extensions == dict(ws.response)["sec-websocket-extensions"]
        text = "The quick brown fox jumps over the lazy dog. " * 5000  # 225 KB
        await ws.send(Opcode.TEXT, text.encode())
        message = await ws.recv()
        assert message is not None and message.data == text and message.compressed
        assert ws.stream.received < len(text) // 20  # it came back compressed

    run(certificate, scenario)


# --------------------------------------------------------------------------- flow control


@pytest.mark.parametrize("window", [100, 1000, 16384])
def test_flow_control_windows_smaller_than_a_message(certificate: tuple[str, str], window: int) -> None:
    # Server -> client: the client's stream window is `window` bytes; h2 in the client
    # refuses DATA beyond it (FlowControlError), so the 100 KB echo must come in pieces,
    # each sent after a WINDOW_UPDATE.  Client -> server: the server's windows are
    # 65535 bytes; 200 KB arrive only if the server hands the window back as it processes.
    async def scenario(client: H2Client, record: list[Any], port: int) -> None:
        ws = await client.websocket()
        payload = os.urandom(100 * 1000)
        for _ in range(2):
            await ws.send(Opcode.BINARY, payload)
        for _ in range(2):
            message = await ws.recv()
            assert message is not None and message.data == payload
        assert ws.stream.largest_frame <= window
        assert client.window_updates > 0  # the server acknowledged what it received

    run(certificate, scenario, window=window)


def test_server_waits_for_the_window(certificate: tuple[str, str]) -> None:
    # The client hands back no window: the server sends what the window allows (65535
    # bytes), keeps the rest, and sends it once the client acknowledges what it has.
    async def scenario(client: H2Client, record: list[Any], port: int) -> None:
        ws = await client.websocket()
        payload = os.urandom(100 * 1000)
        await ws.send(Opcode.BINARY, payload)
        await client.sync()
        first = []
        while ws.stream.data.qsize():
            first.append(ws.stream.data.get_nowait())
        assert sum(map(len, first)) == 65535  # exactly the window, not a byte more
        for chunk in first:
            ws.stream.data.put_nowait(chunk)
        client.acknowledge = True
        client.h2.acknowledge_received_data(65535, ws.stream_id)
        client._send()
        message = await ws.recv()
        assert message is not None and message.data == payload

    run(certificate, scenario, window=65535, acknowledge=False)


def test_a_client_that_does_not_read_is_slowed_by_its_own_window(
    certificate: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The server hands back no window for a stream whose queue is above HIGH_WATER (here
    # 10 KB).  The client's window is 1000 bytes and it does not read: the first 50 KB
    # echo stays queued, so none of the next 40 KB the client sends is handed back (h2
    # alone would hand it back: more than half the window was processed).
    monkeypatch.setattr(h2_echo_server, "HIGH_WATER", 10_000)

    async def scenario(client: H2Client, record: list[Any], port: int) -> None:
        ws = await client.websocket()
        initial = client.h2.local_flow_control_window(ws.stream_id)
        payloads = [os.urandom(50_000), os.urandom(40_000)]
        await ws.send(Opcode.BINARY, payloads[0])
        await client.sync()
        before = client.h2.local_flow_control_window(ws.stream_id)
        await ws.send(Opcode.BINARY, payloads[1])
        await client.sync()
        assert client.h2.local_flow_control_window(ws.stream_id) <= before - 40_000  # none came back
        # The client reads: the queue drains, and the window comes back.
        client.acknowledge = True
        client.h2.acknowledge_received_data(ws.stream.received, ws.stream_id)
        client._send()
        for payload in payloads:
            message = await ws.recv()
            assert message is not None and message.data == payload
        await client.sync()
        assert client.h2.local_flow_control_window(ws.stream_id) == initial

    run(certificate, scenario, window=1000, acknowledge=False)


# --------------------------------------------------------------------------- closing


def test_close_handshake_then_end_stream(certificate: tuple[str, str]) -> None:
    async def scenario(client: H2Client, record: list[Any], port: int) -> None:
        ws = await client.websocket()
        await client.send(ws.stream_id, close_frame(4001, "bye now"))
        message = await ws.recv()
        assert message is not None and message.opcode == Opcode.CLOSE
        assert parse_close(message.data) == (4001, "bye now")
        # RFC 8441 §5: END_STREAM after the closing handshake, as TCP's FIN.
        assert await ws.recv() is None and ws.stream.ended and ws.stream.reset is None
        await client.send(ws.stream_id, b"", end_stream=True)
        await client.sync()
        assert (record[0].close_code, record[0].outcome) == (4001, "closed")

    run(certificate, scenario)


def test_oversized_message_is_1009_then_end_stream(certificate: tuple[str, str]) -> None:
    async def scenario(client: H2Client, record: list[Any], port: int) -> None:
        ws = await client.websocket()
        other = await client.websocket()
        await ws.send(Opcode.BINARY, os.urandom(MAX_SIZE + 1))
        message = await ws.recv()
        assert message is not None and message.opcode == Opcode.CLOSE
        assert parse_close(message.data)[0] == 1009
        assert await ws.recv() is None and ws.stream.ended
        await client.send(ws.stream_id, close_frame(1009), end_stream=True)
        # The connection and its other WebSockets go on.
        await other.send(Opcode.TEXT, b"still here")
        message = await other.recv()
        assert message is not None and message.data == "still here"
        assert (record[0].close_code, record[0].outcome) == (1009, "closed")

    run(certificate, scenario)


def test_protocol_error_is_1002(certificate: tuple[str, str]) -> None:
    async def scenario(client: H2Client, record: list[Any], port: int) -> None:
        ws = await client.websocket()
        await client.send(ws.stream_id, encode_frame(Opcode.TEXT, b"unmasked"))  # RFC 6455 §5.1
        message = await ws.recv()
        assert message is not None and parse_close(message.data)[0] == 1002
        assert await ws.recv() is None and ws.stream.ended

    run(certificate, scenario)


def test_rst_stream_aborts_one_websocket(certificate: tuple[str, str]) -> None:
    async def scenario(client: H2Client, record: list[Any], port: int) -> None:
        ws = await client.websocket()
        other = await client.websocket()
        # Half a message, then RST_STREAM (RFC 8441 §5: the TCP reset of this WebSocket).
        frame = encode_frame(Opcode.BINARY, b"x" * 1000, mask=new_mask())
        await client.send(ws.stream_id, frame[:500])
        client.h2.reset_stream(ws.stream_id, ErrorCodes.CANCEL)
        client._send()
        await other.send(Opcode.TEXT, b"unaffected")
        message = await other.recv()
        assert message is not None and message.data == "unaffected"
        await client.sync()
        assert (record[0].close_code, record[0].outcome) == (None, "reset")
        assert record[1].outcome == "open"

    run(certificate, scenario)


def test_a_request_reset_in_the_same_write_leaves_the_connection_up(certificate: tuple[str, str]) -> None:
    # Regression: HEADERS and RST_STREAM in one read made the server's answer raise
    # StreamClosedError outside its handler, killing the whole connection.
    async def scenario(client: H2Client, record: list[Any], port: int) -> None:
        stream_id = client.h2.get_next_available_stream_id()
        client.streams[stream_id] = _Stream()
        client.h2.send_headers(stream_id, connect_request_headers("localhost", "/"))
        client.h2.reset_stream(stream_id, ErrorCodes.CANCEL)
        client._send()  # one write: both frames reach the server in one read
        ws = await client.websocket()
        await ws.send(Opcode.TEXT, b"after")
        message = await ws.recv()
        assert message is not None and message.data == "after"

    run(certificate, scenario)


def test_a_connection_without_a_request_is_closed(
    certificate: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A client that opens no stream is let go after IDLE_TIMEOUT, with a GOAWAY, as the
    # HTTP/1.1 path bounds the wait for a request head.
    monkeypatch.setattr(h2_echo_server, "IDLE_TIMEOUT", 0.2)

    async def scenario(client: H2Client, record: list[Any], port: int) -> None:
        await asyncio.wait_for(client.closed.wait(), TIMEOUT)
        assert client.terminated is not None and record == []

    run(certificate, scenario)


def test_end_stream_without_close_ends_ours(certificate: tuple[str, str]) -> None:
    async def scenario(client: H2Client, record: list[Any], port: int) -> None:
        ws = await client.websocket()
        await client.send(ws.stream_id, b"", end_stream=True)  # 1006: no closing handshake
        assert await ws.recv() is None and ws.stream.ended
        await client.sync()
        assert (record[0].close_code, record[0].outcome) == (None, "closed")

    run(certificate, scenario)


def test_no_end_stream_after_close_is_reset(certificate: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(h2_echo_server, "CLOSE_TIMEOUT", 0.2)

    async def scenario(client: H2Client, record: list[Any], port: int) -> None:
        ws = await client.websocket()
        await client.send(ws.stream_id, close_frame(1000))
        assert (await ws.recv()) is not None  # the Close
        assert await ws.recv() is None and ws.stream.ended  # END_STREAM; we never send ours
        await asyncio.wait_for(_until(lambda: ws.stream.reset is not None), TIMEOUT)
        assert ws.stream.reset == ErrorCodes.CANCEL
        assert record[0].outcome == "timeout"

    run(certificate, scenario)


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.01)


# --------------------------------------------------------------------------- HTTP/1.1


def test_http11_upgrade_on_the_same_port(certificate: tuple[str, str]) -> None:
    pytest.importorskip("websockets")
    from websockets.asyncio.client import connect

    async def scenario(client: H2Client, record: list[Any], port: int) -> None:
        context = ssl.create_default_context(cafile=certificate[0])
        context.set_alpn_protocols(["http/1.1"])
        async with connect(f"wss://localhost:{port}/", ssl=context, open_timeout=TIMEOUT) as ws:
            assert ws.response.headers["Sec-WebSocket-Extensions"].startswith("permessage-deflate")
            await ws.send("over HTTP/1.1")
            assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "over HTTP/1.1"
        assert record == []  # not an HTTP/2 stream

    run(certificate, scenario)
