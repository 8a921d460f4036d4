"""docs/server-guide.md's code runs as written.

The guide's ``python`` code blocks, concatenated in order, are the whole
server.  This test writes them to a file, runs it in a subprocess on an
ephemeral loopback port (``python guide.py 0``), and drives it with the real
websockets client (offering permessage-deflate, as browsers do) through the
scenarios of examples/echo_check.py, plus the handshake refusals.  The
server process is killed at the end of the module.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator

import pytest

pytest.importorskip("websockets")

from _integration_support import ROOT, checkout_env, load_example

echo_check = load_example("echo_check")
GUIDE = os.path.join(ROOT, "docs", "server-guide.md")
MAX_SIZE = 2**20  # the guide's MAX_MESSAGE
STARTUP_TIMEOUT = 30.0


def guide_code() -> str:
    """The guide's python code blocks, in order."""
    with open(GUIDE, encoding="utf-8") as f:
        text = f.read()
    blocks = re.findall(r"^```python\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)
    assert len(blocks) >= 3, "the guide lost its code blocks"
    return "\n\n".join(blocks)


def test_guide_code_compiles_and_uses_the_documented_api() -> None:
    code = guide_code()
    compile(code, GUIDE, "exec")
    for name in [
        "check_request",
        "response_headers",
        "respond",
        "FrameDecoder",
        "MessageAssembler",
        "encode_message",
        "parse_close",
        "write_eof",
    ]:
        assert name in code, name


@pytest.fixture(scope="module")
def guide_server() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "guide_server.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(guide_code())
        proc = subprocess.Popen(
            [sys.executable, path, "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=checkout_env(),
        )
        try:
            assert proc.stdout is not None
            line = _readline(proc, STARTUP_TIMEOUT)
            match = re.match(r"listening on port (\d+)", line)
            assert match, f"the guide's server said {line!r}"
            yield f"ws://127.0.0.1:{match[1]}/"
        finally:
            proc.kill()
            proc.wait(timeout=10)


def _readline(proc: subprocess.Popen[str], timeout: float) -> str:
    import threading

    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.append(proc.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    if not lines:
        proc.kill()
        raise TimeoutError(f"the guide's server printed nothing in {timeout}s")
    return lines[0]


@pytest.mark.parametrize("compression", ["deflate", None])
@pytest.mark.parametrize("scenario", list(echo_check.SCENARIOS))
def test_guide_server_scenario(guide_server: str, scenario: str, compression: str | None) -> None:
    asyncio.run(echo_check.run_scenario(guide_server, scenario, max_size=MAX_SIZE, compression=compression))


def test_guide_server_negotiates_permessage_deflate(guide_server: str) -> None:
    from websockets.asyncio.client import connect

    async def go() -> None:
        async with connect(guide_server, open_timeout=10, close_timeout=10) as ws:
            value = ws.response.headers.get("Sec-WebSocket-Extensions")
            assert value is not None and value.startswith("permessage-deflate"), value
            await ws.send("z" * 10000)
            assert await asyncio.wait_for(ws.recv(), 10) == "z" * 10000

    asyncio.run(go())


@pytest.mark.parametrize(
    ("request_head", "status"),
    [
        (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"400"),
        (
            (
                b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: upgrade\r\n"
                b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 8\r\n\r\n"
            ),
            b"426",
        ),
    ],
)
def test_guide_server_refuses_bad_handshakes(guide_server: str, request_head: bytes, status: bytes) -> None:
    async def go() -> bytes:
        port = int(guide_server.rsplit(":", 1)[1].strip("/"))
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request_head)
        try:
            return await asyncio.wait_for(reader.read(), 10)
        finally:
            writer.close()

    response = asyncio.run(go())
    assert response.startswith(b"HTTP/1.1 " + status), response
    if status == b"426":
        assert b"\r\nSec-WebSocket-Version: 13\r\n" in response


# --- a client that vanishes (a browser tab closed): no exception escapes, finish() runs


class _RecordingWriter:
    """The server's StreamWriter, noting whether the guide's finish() closed it."""

    def __init__(self, writer: asyncio.StreamWriter) -> None:
        self._writer = writer
        self.closed = False

    def close(self) -> None:
        self.closed = True
        self._writer.close()

    def __getattr__(self, name: str) -> object:
        return getattr(self._writer, name)


UPGRADE = (
    b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


async def _vanish(when: str) -> dict[str, object]:
    """Run the guide's connection() in this process and reset the client's TCP
    connection (SO_LINGER 0: an RST, as when a browser's tab or process goes) at *when*.
    Returns what the handler did: ``escaped`` (an exception that left connection(),
    which asyncio would print with its traceback) and ``finished`` (finish() closed
    the socket)."""
    import socket
    import struct

    from wsframe.frames import Opcode, encode_frame, encode_message, new_mask

    guide: dict[str, object] = {"__name__": "server_guide"}
    exec(compile(guide_code(), GUIDE, "exec"), guide)
    outcome: dict[str, object] = {"escaped": None, "finished": False}
    done = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        recorder = _RecordingWriter(writer)
        try:
            await guide["connection"](reader, recorder)  # type: ignore[operator]
        except BaseException as exc:  # recorded: the test fails on it
            outcome["escaped"] = exc
        finally:
            outcome["finished"] = recorder.closed
            done.set()

    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(UPGRADE)
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert head.startswith(b"HTTP/1.1 101 "), head
        if when == "mid-message":
            # A text frame that declares 1000 bytes, of which 10 arrive.
            frame = encode_frame(Opcode.TEXT, b"x" * 1000, mask=new_mask())
            writer.write(frame[:20])
        elif when == "during-the-echo":
            # A whole 900 KiB message whose echo the client never reads.
            writer.writelines(encode_message(Opcode.BINARY, b"\x00" * (900 * 1024), masked=True))
        await writer.drain()
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
        # Bounds the wait only (a hang would be a failure): nothing here is timed.
        await asyncio.wait_for(done.wait(), 60)
    finally:
        server.close()
        await server.wait_closed()
    return outcome


@pytest.mark.parametrize("when", ["after-the-handshake", "mid-message", "during-the-echo"])
def test_guide_server_survives_a_client_that_vanishes(when: str) -> None:
    outcome = asyncio.run(_vanish(when))
    assert outcome["escaped"] is None, f"connection() raised {outcome['escaped']!r}"
    assert outcome["finished"] is True, "finish() did not close the socket"
