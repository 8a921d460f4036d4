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
    for name in ["check_request", "response_headers", "respond", "FrameDecoder",
                 "MessageAssembler", "encode_message", "parse_close", "write_eof"]:
        assert name in code, name


@pytest.fixture(scope="module")
def guide_server() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "guide_server.py")
        with open(path, "w", encoding="utf-8") as f:
            f.write(guide_code())
        proc = subprocess.Popen(
            [sys.executable, path, "0"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, env=checkout_env(),
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
    asyncio.run(
        echo_check.run_scenario(guide_server, scenario, max_size=MAX_SIZE, compression=compression)
    )


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
