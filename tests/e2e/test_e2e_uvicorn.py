"""End to end: uvicorn (``--ws wsproto``) with wsframe's wsproto integration installed.

examples/uvicorn_echo.py runs in a subprocess (the server process installs
the integration before uvicorn imports wsproto) on 127.0.0.1 with an
ephemeral port; the real websockets client drives it through the scenarios
of examples/echo_check.py, with and without permessage-deflate.  The server
is stopped at the end of the module.
"""

from __future__ import annotations

import asyncio
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

pytest.importorskip("uvicorn")
pytest.importorskip("wsproto")
pytest.importorskip("websockets")

from _integration_support import ROOT, checkout_env, load_example

MAX_SIZE = 2**20
STARTUP_TIMEOUT = 30.0

echo_client = load_example("echo_check")


class Server:
    """The uvicorn example in a subprocess, with its stdout lines in a queue."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                os.path.join(ROOT, "examples", "uvicorn_echo.py"),
                "--port",
                "0",
                "--ws-max-size",
                str(MAX_SIZE),
                *args,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=checkout_env(),
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        line = self.next_line(STARTUP_TIMEOUT, prefix="LISTENING")
        _, host, port, wsframe_state, backend = line.split()
        self.uri = f"ws://{host}:{port}/"
        self.wsframe_state = wsframe_state
        self.backend = backend

    def _pump(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))

    def next_line(self, timeout: float, prefix: str) -> str:
        """The next stdout line starting with ``prefix`` (others are skipped)."""
        end = time.monotonic() + timeout
        while True:
            remaining = end - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no {prefix!r} line from the server within {timeout}s")
            try:
                line = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line.startswith(prefix):
                return line

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    srv = Server()
    try:
        yield srv
    finally:
        srv.stop()


def test_integration_installed_in_server_process(server: Server) -> None:
    assert server.wsframe_state == "wsframe=on"


@pytest.mark.parametrize("compression", [None, "deflate"])
@pytest.mark.parametrize("scenario", [name for name in echo_client.SCENARIOS if name != "invalid_utf8"])
def test_scenario(server: Server, scenario: str, compression: str | None) -> None:
    asyncio.run(echo_client.run_scenario(server.uri, scenario, max_size=MAX_SIZE, compression=compression))


@pytest.mark.parametrize("compression", [None, "deflate"])
def test_invalid_utf8_closes_with_1007(server: Server, compression: str | None) -> None:
    """wsproto (accelerated) reports 1007; uvicorn then drops the connection.

    uvicorn 0.54's wsproto backend, with or without wsframe, closes the TCP
    connection without sending a Close frame when wsproto fails the
    connection; the ASGI app receives ``websocket.disconnect`` with code 1007,
    which the example prints.
    """
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosedError

    async def go() -> None:
        async with connect(
            server.uri,
            compression=compression,
            open_timeout=10,
            close_timeout=10,
            ping_interval=None,
        ) as ws:
            await ws.send(b"ok \xff\xfe", text=True)
            with pytest.raises(ConnectionClosedError) as exc:
                await asyncio.wait_for(ws.recv(), 10)
            if exc.value.rcvd is not None:  # a future uvicorn may send it
                assert exc.value.rcvd.code == 1007

    asyncio.run(go())
    # Earlier tests' connections may still be reporting their own disconnects.
    assert server.next_line(10, prefix="DISCONNECT 1007") == "DISCONNECT 1007"
