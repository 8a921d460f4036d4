"""A real browser as the test client: headless Chromium against examples/echo_server.py.

The example server runs on 127.0.0.1 (ephemeral port) in the test's event
loop; Chromium (Debian's ``chromium``; ``tools/install_browser.sh`` installs
it) runs headless with ``--remote-debugging-port=0`` and a throw-away
profile.  The test reads the DevTools endpoint from the profile's
``DevToolsActivePort`` file, attaches to the page target with websockets'
client, navigates to the server's test page and runs a JavaScript scenario
with ``Runtime.evaluate`` (``awaitPromise``, ``returnByValue``), which
returns what the browser saw: the negotiated extensions, the echoes, and each
close event's code and ``wasClean``.

Everything is bounded: a timeout on the browser start, on each DevTools
call, inside the JavaScript (each wait), and on the whole test; the browser's
process group is killed in a ``finally``.

The same browser runs the same scenario over HTTP/2 against
examples/h2_echo_server.py: the page over ``https://`` (a self-signed
certificate made for the run, trusted by its key's hash with
``--ignore-certificate-errors-spki-list``; no other certificate check is
relaxed), and the page's WebSockets as extended CONNECTs (RFC 8441) on the
connection that brought the page; the server's records show that they
arrived that way, with permessage-deflate, and which close codes it sent.
Once more with ``--disable-http2``: the same port then serves the page and
the WebSockets over HTTP/1.1 and TLS.

Where no browser is found the test skips, saying how to get one; it never
installs anything itself (CI installs Chromium beforehand with
``tools/install_browser.sh``).  On CI (``CI`` set, on Linux, where that script
runs) or with ``WSFRAME_REQUIRE_BROWSER=1`` the missing browser is a failure
instead
(``WSFRAME_REQUIRE_BROWSER=0`` allows the skip again).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from typing import Any

import pytest

pytest.importorskip("websockets")

from websockets.exceptions import WebSocketException

from _integration_support import load_example

echo_server = load_example("echo_server")

MAX_SIZE = 2**20  # the server's max_message_size; the oversized messages are 1 byte more
START_TIMEOUT = 30.0  # seconds for the browser to open its DevTools endpoint
CALL_TIMEOUT = 60.0  # seconds for any one DevTools call
TEST_TIMEOUT = 120.0  # seconds for the whole test
JS_WAIT_MS = 20000  # each wait inside the page
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def _find_browser() -> str | None:
    explicit = os.environ.get("WSFRAME_BROWSER")
    if explicit:
        return shutil.which(explicit) or (explicit if os.path.exists(explicit) else None)
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    return None


def _browser_required() -> bool:
    """A missing browser fails the test on CI (Linux: .ci/run installs Chromium first)
    or when ``WSFRAME_REQUIRE_BROWSER=1``; elsewhere it skips."""
    required = os.environ.get("WSFRAME_REQUIRE_BROWSER")
    if required in ("0", "1"):
        return required == "1"
    on_ci = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
    return on_ci and sys.platform.startswith("linux")


def _browser_or_skip() -> str:
    browser = _find_browser()
    if browser is not None:
        return browser
    # Never install from here: a test does not change the machine it runs on.
    reason = (
        "no Chromium/Chrome found on PATH: install one (Debian/Ubuntu, as root: "
        "`bash tools/install_browser.sh`) or point WSFRAME_BROWSER at it"
    )
    if _browser_required():
        pytest.fail(reason)
    pytest.skip(reason)


class Browser:
    """Headless Chromium with a DevTools connection to its page target."""

    def __init__(self, path: str, extra_args: tuple[str, ...] = ()) -> None:
        self.path = path
        self.extra_args = extra_args
        self.profile = tempfile.mkdtemp(prefix="wsframe-chromium-")
        self.proc: subprocess.Popen[bytes] | None = None
        self.ws: Any = None
        self._next_id = 0

    def _launch(self) -> int:
        """Start the browser; return its DevTools port (blocking: run in a thread)."""
        args = [
            self.path,
            "--headless",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-extensions",
            "--no-first-run",
            "--no-default-browser-check",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--user-data-dir={self.profile}",
            *self.extra_args,
            "about:blank",
        ]
        if getattr(os, "geteuid", lambda: 1)() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.path} exited with {self.proc.returncode} at start")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.path} opened no DevTools port in {START_TIMEOUT}s")
            try:
                with open(port_file) as f:
                    first = f.readline().strip()
                if first:
                    return int(first)
            except (FileNotFoundError, ValueError):
                pass
            time.sleep(0.1)

    async def start(self) -> None:
        port = await asyncio.to_thread(self._launch)
        targets = await asyncio.to_thread(self._get_json, f"http://127.0.0.1:{port}/json/list")
        page = next(t for t in targets if t.get("type") == "page")
        from websockets.asyncio.client import connect

        self.ws = await connect(
            page["webSocketDebuggerUrl"],
            max_size=None,
            open_timeout=CALL_TIMEOUT,
            close_timeout=5,
            ping_interval=None,
            compression=None,
        )

    @staticmethod
    def _get_json(url: str) -> Any:
        with urllib.request.urlopen(url, timeout=CALL_TIMEOUT) as response:
            return json.load(response)

    async def call(self, method: str, **params: Any) -> Any:
        """One DevTools command; events in between are skipped."""
        self._next_id += 1
        ident = self._next_id
        await self.ws.send(json.dumps({"id": ident, "method": method, "params": params}))

        async def answer() -> Any:
            while True:
                message = json.loads(await self.ws.recv())
                if message.get("id") == ident:
                    if "error" in message:
                        raise RuntimeError(f"{method}: {message['error']}")
                    return message["result"]

        return await asyncio.wait_for(answer(), CALL_TIMEOUT)

    async def evaluate(self, expression: str) -> Any:
        result = await self.call("Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True)
        if "exceptionDetails" in result:
            details = result["exceptionDetails"]
            text = details.get("exception", {}).get("description") or details.get("text")
            raise AssertionError(f"the page's script failed: {text}")
        return result["result"].get("value")

    async def stop(self) -> None:
        if self.ws is not None:
            # The browser may already be gone.
            with contextlib.suppress(OSError, asyncio.TimeoutError, WebSocketException):
                await asyncio.wait_for(self.ws.close(), 5)
        if self.proc is not None and self.proc.poll() is None:
            # Our own process group (start_new_session): the browser and its helpers.
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:  # pragma: no cover
                pass
        shutil.rmtree(self.profile, ignore_errors=True)


# The page's scenario.  Each wait is bounded (JS_WAIT_MS); the result is plain JSON.
SCENARIO = """
(async () => {
  const WAIT = %(wait)d, MAX = %(max)d;
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/`;
  const bounded = (promise, what) => Promise.race([promise, new Promise((_, reject) =>
      setTimeout(() => reject(new Error(`timed out: ${what}`)), WAIT))]);
  const open = () => bounded(new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => resolve(ws);
    ws.onerror = () => reject(new Error("WebSocket error while opening"));
  }), "open");
  const closed = (ws) => bounded(new Promise((resolve) => {
    ws.onclose = (e) => resolve({code: e.code, reason: e.reason, wasClean: e.wasClean});
  }), "close");
  const echo = (ws, data) => {
    const reply = bounded(new Promise((resolve, reject) => {
      ws.onmessage = (e) => resolve(e.data);
      ws.onclose = (e) => reject(new Error(`closed ${e.code} ${e.reason}`));
    }), "echo");
    ws.send(data);
    return reply;
  };
  const noise = (n, seed) => {  // xorshift32: incompressible bytes, reproducible
    const out = new Uint8Array(n);
    let x = seed >>> 0 || 1;
    for (let i = 0; i < n; i++) {
      x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
      out[i] = x & 255;
    }
    return out;
  };
  const same = (a, b) => {
    const x = new Uint8Array(a), y = new Uint8Array(b);
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
    return true;
  };
  const r = {};
  const ws = await open();
  r.extensions = ws.extensions;
  r.text = (await echo(ws, "hello, wsframe")) === "hello, wsframe";
  const multi = "h\\u00e9llo w\\u00f6rld \\u20ac \\u65e5\\u672c\\u8a9e \\ud83d\\ude00 \\u0639\\u0631\\u0628\\u064a";
  r.multibyte = (await echo(ws, multi)) === multi;
  const bytes = new Uint8Array(256).map((_, i) => i);
  const reply = await echo(ws, bytes);
  r.binary = reply instanceof ArrayBuffer && same(reply, bytes.buffer);
  const big = noise(512 * 1024, 12345);
  const bigReply = await echo(ws, big);
  r.big = bigReply.byteLength === big.length && same(bigReply, big.buffer);
  const bigText = "The quick brown fox jumps over the lazy dog. ".repeat(7000);
  r.compressible = (await echo(ws, bigText)) === bigText;
  r.compressibleLength = bigText.length;
  const normal = closed(ws);
  ws.close(1000, "done");
  r.normalClose = await normal;

  // Over the limit on the wire: 1009 as soon as the frame header says so.
  const ws2 = await open();
  const over = closed(ws2);
  ws2.send(noise(MAX + 1, 777));
  r.oversized = await over;

  // Over the limit only once inflated (a compressed "bomb" of MAX + 1 bytes).
  const ws3 = await open();
  const over3 = closed(ws3);
  ws3.send("a".repeat(MAX + 1));
  r.oversizedInflated = await over3;
  const navigation = performance.getEntriesByType("navigation")[0];
  r.pageProtocol = navigation ? navigation.nextHopProtocol : null;
  return r;
})()
"""


async def _run() -> dict[str, Any]:
    browser = Browser(_browser_or_skip())
    server = await echo_server.serve("127.0.0.1", 0, max_size=MAX_SIZE)
    try:
        port = server.sockets[0].getsockname()[1]
        await browser.start()
        await browser.call("Page.enable")
        await browser.call("Page.navigate", url=f"http://127.0.0.1:{port}{echo_server.PAGE_PATH}")
        # Wait until the page (served by the example server) is loaded.
        for _ in range(200):
            state = await browser.evaluate("document.readyState + ' ' + location.href")
            if state.startswith("complete http://127.0.0.1"):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"the test page did not load: {state}")
        result: dict[str, Any] = await browser.evaluate(SCENARIO % {"wait": JS_WAIT_MS, "max": MAX_SIZE})
        return result
    finally:
        await browser.stop()
        server.close()
        await asyncio.wait_for(server.wait_closed(), 10)


def _check_scenario(result: dict[str, Any]) -> None:
    # RFC 7692: Chromium offers permessage-deflate; the server accepts it.
    assert "permessage-deflate" in result["extensions"], result
    assert result["text"] is True
    assert result["multibyte"] is True
    assert result["binary"] is True
    assert result["big"] is True  # 512 KiB of incompressible bytes
    assert result["compressible"] is True
    assert result["compressibleLength"] > 300_000
    assert result["normalClose"] == {"code": 1000, "reason": "done", "wasClean": True}
    # RFC 6455 §7.4.1: 1009 for a message too big to process, and a clean close
    # (the server closes first, §7.1.1, after draining what the browser still sends).
    assert result["oversized"]["code"] == 1009, result["oversized"]
    assert result["oversized"]["wasClean"] is True, result["oversized"]
    assert result["oversizedInflated"]["code"] == 1009, result["oversizedInflated"]
    assert result["oversizedInflated"]["wasClean"] is True, result["oversizedInflated"]


def test_chromium_against_the_example_server() -> None:
    result = asyncio.run(asyncio.wait_for(_run(), TEST_TIMEOUT))
    _check_scenario(result)
    assert result["pageProtocol"] == "http/1.1"


async def _run_tls(path: str, *flags: str) -> tuple[dict[str, Any], list[Any]]:
    from _h2_support import self_signed_certificate

    h2_echo_server = load_example("h2_echo_server")
    record: list[Any] = []
    with tempfile.TemporaryDirectory() as tmp:
        certfile, keyfile, spki = self_signed_certificate(tmp)
        server = await h2_echo_server.serve(
            ssl_context=h2_echo_server.tls_context(certfile, keyfile), max_size=MAX_SIZE, record=record
        )
    # Trust exactly this certificate's key (Chromium needs --user-data-dir for this flag,
    # which Browser always gives).
    browser = Browser(path, (f"--ignore-certificate-errors-spki-list={spki}", *flags))
    try:
        port = server.sockets[0].getsockname()[1]
        await browser.start()
        await browser.call("Page.enable")
        await browser.call("Page.navigate", url=f"https://127.0.0.1:{port}{h2_echo_server.PAGE_PATH}")
        for _ in range(200):
            state = await browser.evaluate("document.readyState + ' ' + location.href")
            if state.startswith("complete https://127.0.0.1"):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"the test page did not load over https: {state}")
        result: dict[str, Any] = await browser.evaluate(SCENARIO % {"wait": JS_WAIT_MS, "max": MAX_SIZE})
        # The page's close event can fire before the browser's last END_STREAM or RST_STREAM
        # reaches the server: give each closed stream's ending time to arrive (bounded).
        await _settled(record)
        return result, record
    finally:
        await browser.stop()
        server.close()


async def _settled(record: list[Any], timeout: float = 10.0) -> None:
    """Wait until every stream the server has sent a Close on has ended (closed, reset, timeout)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(seen.outcome != "open" for seen in record if seen.close_code is not None):
            return
        await asyncio.sleep(0.02)


def test_chromium_websocket_over_http2() -> None:
    pytest.importorskip("h2")
    pytest.importorskip("cryptography")
    result, record = asyncio.run(asyncio.wait_for(_run_tls(_browser_or_skip()), TEST_TIMEOUT))
    _check_scenario(result)
    assert result["pageProtocol"] == "h2"  # the page came over HTTP/2
    # The server's view: the page's own WebSocket (opened on load, still open), then the
    # scenario's three; each an extended CONNECT (RFC 8441 §4-§5) on the HTTP/2 connection
    # that served the page, with permessage-deflate, closed with the codes the page saw.
    assert len(record) == 4, record
    for seen in record:
        headers = dict(seen.headers)
        assert (headers[":method"], headers[":protocol"]) == ("CONNECT", "websocket"), seen
        assert seen.after_page, seen
        assert seen.extensions is not None and seen.extensions.startswith("permessage-deflate"), seen
    assert [seen.close_code for seen in record] == [None, 1000, 1009, 1009]
    # The browser's close handshake ends with END_STREAM both ways (RFC 8441 §5).  After a
    # 1009 it is still sending the oversized message: Chromium then resets the stream
    # (RST_STREAM) once it has our Close and END_STREAM, which the server takes as the end.
    assert record[1].outcome == "closed", record[1]
    assert {seen.outcome for seen in record[2:]} <= {"closed", "reset"}, record


def test_chromium_http11_on_the_http2_servers_port() -> None:
    # --disable-http2: Chromium offers only http/1.1 by ALPN, so the same port serves the
    # page and the WebSockets over HTTP/1.1 (the Upgrade handshake, over TLS).
    pytest.importorskip("h2")
    pytest.importorskip("cryptography")
    result, record = asyncio.run(asyncio.wait_for(_run_tls(_browser_or_skip(), "--disable-http2"), TEST_TIMEOUT))
    _check_scenario(result)
    assert result["pageProtocol"] == "http/1.1"
    assert record == []  # no HTTP/2 stream


def test_no_browser_skips_with_the_reason_and_installs_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WSFRAME_BROWSER", "/nonexistent/chromium")
    monkeypatch.delenv("WSFRAME_REQUIRE_BROWSER", raising=False)
    monkeypatch.delenv("CI", raising=False)

    def no_commands(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"the browser test ran a command: {args}")

    # Whatever the user is (root or not) and has (apt-get or not): no command runs.
    monkeypatch.setattr(subprocess, "run", no_commands)
    monkeypatch.setattr(subprocess, "Popen", no_commands)
    assert _find_browser() is None
    with pytest.raises(pytest.skip.Exception, match="tools/install_browser.sh"):
        _browser_or_skip()


@pytest.mark.parametrize(
    ("env", "platform"),
    [({"WSFRAME_REQUIRE_BROWSER": "1"}, "darwin"), ({"CI": "true"}, "linux")],
)
def test_no_browser_fails_where_one_is_required(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], platform: str
) -> None:
    monkeypatch.setenv("WSFRAME_BROWSER", "/nonexistent/chromium")
    monkeypatch.delenv("WSFRAME_REQUIRE_BROWSER", raising=False)
    monkeypatch.delenv("CI", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(sys, "platform", platform)
    with pytest.raises(pytest.fail.Exception, match="no Chromium"):
        _browser_or_skip()
