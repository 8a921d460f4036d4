"""docs/server-guide.md's HTTP/2 section runs as written.

Its code blocks (fenced ``python h2``), concatenated in order, are a whole
program: this test writes them to a file, runs it in a subprocess on an
ephemeral loopback port with a self-signed certificate made for the run, and
drives it with the ``h2``-based client of ``_h2_support``: the extended CONNECT
handshake with permessage-deflate, echoes larger than every flow-control
window, the closing handshake ended by END_STREAM, a 1009, RST_STREAM, and a
refused handshake.  The server process is killed at the end of the module.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tempfile
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

pytest.importorskip("h2")
pytest.importorskip("cryptography")

from h2.errors import ErrorCodes

from _h2_support import TIMEOUT, H2Client, self_signed_certificate
from _integration_support import ROOT, checkout_env
from wsframe import deflate
from wsframe.frames import Opcode, encode_close, encode_frame, new_mask, parse_close

GUIDE = os.path.join(ROOT, "docs", "server-guide.md")
MAX_SIZE = 2**20  # the guide's MAX_MESSAGE
STARTUP_TIMEOUT = 30.0


def guide_code() -> str:
    """The HTTP/2 section's code blocks, in order."""
    with open(GUIDE, encoding="utf-8") as f:
        text = f.read()
    blocks = re.findall(r"^```python h2\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)
    assert len(blocks) >= 3, "the guide's HTTP/2 section lost its code blocks"
    return "\n\n".join(blocks)


def test_guide_code_compiles_and_uses_the_documented_api() -> None:
    code = guide_code()
    compile(code, GUIDE, "exec")
    for name in [
        "check_connect_request",
        "connect_response_headers",
        "respond",
        "ENABLE_CONNECT_PROTOCOL",
        "local_flow_control_window",
        "acknowledge_received_data",
        "end_stream",
        "StreamReset",
    ]:
        assert name in code, name


@pytest.fixture(scope="module")
def guide_server() -> Iterator[tuple[int, str]]:
    with tempfile.TemporaryDirectory() as tmp:
        certfile, keyfile, _ = self_signed_certificate(tmp)
        path = os.path.join(tmp, "guide_h2.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(guide_code())
        proc = subprocess.Popen(
            [sys.executable, path, "0", certfile, keyfile],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=checkout_env(),
        )
        try:
            lines: list[str] = []
            reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
            reader.start()
            reader.join(STARTUP_TIMEOUT)
            assert lines, f"the guide's HTTP/2 server printed nothing in {STARTUP_TIMEOUT}s"
            match = re.match(r"listening on port (\d+)", lines[0])
            assert match, f"the guide's HTTP/2 server said {lines[0]!r}"
            yield int(match[1]), certfile
        finally:
            proc.kill()
            proc.wait(timeout=10)


def run(guide_server: tuple[int, str], scenario: Callable[[H2Client], Awaitable[None]], **client: Any) -> None:
    async def go() -> None:
        connection = H2Client(**client)
        try:
            await connection.connect(*guide_server)
            await scenario(connection)
        finally:
            await connection.close()

    asyncio.run(asyncio.wait_for(go(), 4 * TIMEOUT))


@pytest.mark.parametrize("window", [1000, 65535])
def test_guide_h2_echo_with_deflate_and_small_windows(guide_server: tuple[int, str], window: int) -> None:
    async def scenario(client: H2Client) -> None:
        ws = await client.websocket(extensions=deflate.offer())
        assert ws.params is not None  # permessage-deflate agreed
        for opcode, payload in [
            (Opcode.TEXT, "h\u00e9llo".encode()),
            (Opcode.BINARY, os.urandom(100_000)),
            (Opcode.TEXT, b"compressible " * 20_000),
        ]:
            await ws.send(opcode, payload)
            message = await ws.recv()
            assert message is not None and message.opcode == opcode
            assert message.data == (payload.decode() if opcode == Opcode.TEXT else payload)
        assert ws.stream.largest_frame <= window
        plain = await client.websocket()
        assert plain.params is None
        await plain.send(Opcode.BINARY, b"\x00\xff")
        message = await plain.recv()
        assert message is not None and message.data == b"\x00\xff"

    run(guide_server, scenario, window=window)


def test_guide_h2_close_then_end_stream(guide_server: tuple[int, str]) -> None:
    async def scenario(client: H2Client) -> None:
        ws = await client.websocket()
        await client.send(ws.stream_id, encode_frame(Opcode.CLOSE, encode_close(1000, "bye"), mask=new_mask()))
        message = await ws.recv()
        assert message is not None and parse_close(message.data) == (1000, "bye")
        assert await ws.recv() is None and ws.stream.ended and ws.stream.reset is None

    run(guide_server, scenario)


def test_guide_h2_oversized_is_1009_and_rst_stream_aborts_one(guide_server: tuple[int, str]) -> None:
    async def scenario(client: H2Client) -> None:
        big, aborted, other = await client.websocket(), await client.websocket(), await client.websocket()
        await big.send(Opcode.BINARY, os.urandom(MAX_SIZE + 1))
        message = await big.recv()
        assert message is not None and parse_close(message.data)[0] == 1009
        assert await big.recv() is None and big.stream.ended
        await client.send(aborted.stream_id, encode_frame(Opcode.TEXT, b"half", mask=new_mask())[:4])
        client.h2.reset_stream(aborted.stream_id, ErrorCodes.CANCEL)
        await other.send(Opcode.TEXT, b"still here")
        message = await other.recv()
        assert message is not None and message.data == "still here"

    run(guide_server, scenario)


def test_guide_h2_refuses_a_bad_version_with_426(guide_server: tuple[int, str]) -> None:
    async def scenario(client: H2Client) -> None:
        stream_id = client.request(
            [
                (":method", "CONNECT"),
                (":protocol", "websocket"),
                (":scheme", "https"),
                (":path", "/"),
                (":authority", "localhost"),
                ("sec-websocket-version", "8"),
            ],
            end_stream=False,
        )
        response = await client.response(stream_id)
        assert (":status", "426") in response and ("sec-websocket-version", "13") in response

    run(guide_server, scenario)
