"""aiohttp end to end, with and without ``wsframe.integrations.aiohttp``.

``python -m bench.aiohttp_server`` runs an aiohttp web server on loopback whose
handler counts messages with ``async for msg in ws``; a raw client (a blocking
socket in its own process) writes N masked frames right after the handshake.  The time
is the server's, from the first message to the N-th: wall time, the server
process's CPU time (which the other load on a shared machine disturbs less), and
its user-mode CPU time alone (without the kernel's share: the socket reads, and
the loopback's TCP work that the kernel bills to whichever process is running,
which swings most with the load).  Each measurement runs in
its own subprocess (the integration is installed, or not, before aiohttp is
imported there), plain and installed alternate, and each pair is repeated
(``--repeat``); the figures are medians, the ratio is plain / installed.

Workloads: 16 B, 1 KiB and 64 KiB text; ~300 B chat JSON on a permessage-deflate
connection (the client compresses with context takeover); the client send path
(``ws.send_str`` of 1 KiB text, masked); and the peak memory (tracemalloc) of the
server while it receives one 16 MiB message compressed in 64 KiB frames.

    python -m bench.aiohttp_server                 # everything, 3 repeats
    python -m bench.aiohttp_server --only text-16 --repeat 5

The reader alone (no server, no event loop), for callgrind: the difference
between two message counts, per message, is the reader's instructions::

    python -m bench.aiohttp_server --only text-16 --reader-only 20000   # writes the client's bytes once
    valgrind --tool=callgrind python -m bench.aiohttp_server --only text-16 --reader-only 20000 [--installed]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
import zlib
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: name -> (payload size or kind, number of messages)
WORKLOADS: dict[str, tuple[str, int]] = {
    "text-16": ("16", 100_000),
    "text-1k": ("1024", 50_000),
    "text-64k": ("65536", 2_000),
    "chat-deflate": ("chat", 50_000),
    "client-send-1k": ("send", 50_000),
    "memory-16m-deflate": ("memory", 1),
}


def _chat(rng: random.Random, i: int) -> bytes:
    words = ["hello", "yes", "no", "meeting", "later", "ok", "thanks", "lunch", "see", "you"]
    text = " ".join(rng.choice(words) for _ in range(rng.randint(20, 30)))
    return json.dumps(
        {
            "type": "message",
            "id": i,
            "room": "general",
            "user": f"user{rng.randint(1, 50)}",
            "ts": 1_700_000_000 + i,
            "text": text,
        }
    ).encode()


def _mask(payload: bytes, key: bytes) -> bytes:
    n = len(payload)
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "little") ^ int.from_bytes(k, "little")).to_bytes(n, "little")


def _frame(opcode: int, payload: bytes, *, fin: bool = True, rsv1: bool = False) -> bytes:
    key = os.urandom(4)
    first = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    n = len(payload)
    if n < 126:
        head = bytes([first, 0x80 | n])
    elif n < 65536:
        head = bytes([first, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([first, 0x80 | 127]) + n.to_bytes(8, "big")
    return head + key + _mask(payload, key)


def _stream(kind: str, count: int) -> tuple[bytes, bool]:
    """The client's bytes after the handshake, and whether it offers deflate."""
    rng = random.Random(1)
    if kind == "chat":
        comp = zlib.compressobj(1, zlib.DEFLATED, -15)
        frames = []
        for i in range(count):
            data = comp.compress(_chat(rng, i)) + comp.flush(zlib.Z_SYNC_FLUSH)
            frames.append(_frame(1, data[:-4], rsv1=True))
        return b"".join(frames), True
    if kind == "memory":
        text = "".join(rng.choice("0123456789abcdef ") for _ in range(1 << 16)).encode()
        message = (text * 256)[: 16 << 20]
        comp = zlib.compressobj(1, zlib.DEFLATED, -15)
        data = comp.compress(message) + comp.flush(zlib.Z_SYNC_FLUSH)
        data = data[:-4]
        step = 1 << 16
        parts = [data[i : i + step] for i in range(0, len(data), step)]
        frames = [_frame(1 if i == 0 else 0, p, fin=i == len(parts) - 1, rsv1=i == 0) for i, p in enumerate(parts)]
        return b"".join(frames), True
    size = int(kind)
    payload = (b"abcdefghijklmnopqrstuvwxyz012345" * (size // 32 + 1))[:size]
    one = _frame(1, payload)
    # Fresh keys cost time to build; a few distinct frames repeated are as good.
    distinct = [_frame(1, payload) for _ in range(64)] if size <= 1024 else [one]
    return b"".join(distinct[i % len(distinct)] for i in range(count)), False


def _client(port: int, path: str, deflate: bool) -> None:
    """The raw client (its own process, so that it never waits for the server's GIL)."""
    with open(path, "rb") as f:
        stream = f.read()
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    ext = "Sec-WebSocket-Extensions: permessage-deflate\r\n" if deflate else ""
    sock.sendall(
        (
            "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            f"Sec-WebSocket-Version: 13\r\n{ext}\r\n"
        ).encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(4096)
    sock.sendall(stream)
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass
    sock.close()


def _child(installed: bool, name: str) -> dict[str, Any]:
    if installed:
        import wsframe.integrations.aiohttp as integration

        if not integration.install():
            raise SystemExit("install() refused")
    import asyncio

    from aiohttp import web

    kind, count = WORKLOADS[name]
    if kind == "send":
        return _send_child(count, installed)
    stream, deflate = _stream(kind, count)
    result: dict[str, Any] = {}
    done = asyncio.Event()
    memory = kind == "memory"

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(compress=deflate, max_msg_size=(32 << 20) if memory else 4 << 20)
        await ws.prepare(request)
        n = 0
        first = first_cpu = first_user = 0.0
        if memory:
            import tracemalloc

            tracemalloc.start()
        size = 0
        async for msg in ws:
            size = len(msg.data) if memory else 0
            if n == 0:
                first = time.perf_counter()
                first_cpu = time.process_time()
                first_user = resource.getrusage(resource.RUSAGE_SELF).ru_utime
            n += 1
            if n == count:
                result["seconds"] = time.perf_counter() - first
                result["cpu_seconds"] = time.process_time() - first_cpu
                result["user_seconds"] = resource.getrusage(resource.RUSAGE_SELF).ru_utime - first_user
                break
        if memory:
            import tracemalloc

            result["peak_mib"] = tracemalloc.get_traced_memory()[1] / (1 << 20)
            result["message_mib"] = size / (1 << 20)
            tracemalloc.stop()
        result["count"] = n
        await ws.close()
        done.set()
        return ws

    async def main() -> None:
        app = web.Application()
        app.router.add_get("/", handler)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        client = subprocess.Popen(
            [sys.executable, "-m", "bench.aiohttp_server", "--client", str(port), path]
            + (["--deflate"] if deflate else []),
            cwd=ROOT,
            env=_env(),
        )
        await done.wait()
        client.kill()
        await runner.cleanup()
        client.wait()

    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".ws") as f:
        f.write(stream)
        f.flush()
        path = f.name
        asyncio.run(main())
    if result.get("count") != count:
        raise SystemExit(f"received {result.get('count')} of {count} messages")
    if memory:
        result["wire_mib"] = len(stream) / (1 << 20)
    else:
        result["us_per_msg"] = result["seconds"] / (count - 1) * 1e6
        result["cpu_us_per_msg"] = result["cpu_seconds"] / (count - 1) * 1e6
        result["user_us_per_msg"] = result["user_seconds"] / (count - 1) * 1e6
    return result


def _send_child(count: int, installed: bool) -> dict[str, Any]:
    """The client send path: ``ws.send_str`` of 1 KiB (masked) to a server that drops it."""
    import asyncio

    import aiohttp

    text = ("abcdefghijklmnopqrstuvwxyz012345" * 32)[:1024]
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    port = srv.getsockname()[1]

    def sink() -> None:
        conn, _ = srv.accept()
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(4096)
        key = [
            line.split(b":", 1)[1].strip()
            for line in data.split(b"\r\n")
            if line.lower().startswith(b"sec-websocket-key")
        ][0]
        import base64
        import hashlib

        accept = base64.b64encode(hashlib.sha1(key + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest())
        conn.sendall(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept + b"\r\n\r\n"
        )
        while conn.recv(1 << 20):
            pass
        conn.close()

    thread = threading.Thread(target=sink)
    thread.start()
    result: dict[str, Any] = {}

    async def main() -> None:
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(f"http://127.0.0.1:{port}/", autoclose=False) as ws:
                start, start_cpu = time.perf_counter(), time.process_time()
                for _ in range(count):
                    await ws.send_str(text)
                result["seconds"] = time.perf_counter() - start
                result["cpu_seconds"] = time.process_time() - start_cpu

    asyncio.run(main())
    thread.join()
    srv.close()
    result["us_per_msg"] = result["seconds"] / count * 1e6
    result["cpu_us_per_msg"] = result["cpu_seconds"] / count * 1e6
    return result


def _reader_only(installed: bool, name: str, count: int, read: int = 1 << 18) -> dict[str, Any]:
    """The reader alone, for callgrind: the workload's first ``count`` frames
    fed in reads of ``read`` bytes (256 KiB: the most asyncio's selector
    transport reads at once) to aiohttp's ``WebSocketReader`` (``installed``
    or not) on aiohttp's own queue (as a server builds them: limit 4 MiB, no
    event loop), the queue's buffer emptied after each read.  The difference
    of two counts' instructions, per message, is the reader's cost.  The
    client's bytes are built once and kept in a file in the temporary
    directory (building them, compression included, would be counted too):
    run each count once before counting it."""
    if installed:
        import wsframe.integrations.aiohttp as integration

        if not integration.install():
            raise SystemExit("install() refused")
    from aiohttp._websocket import reader

    kind = WORKLOADS[name][0]
    if not kind.isdigit() and kind != "chat":
        raise SystemExit(f"--reader-only takes a text or chat workload, not {name}")
    import tempfile

    path = os.path.join(tempfile.gettempdir(), f"wsframe-bench-aiohttp-{name}-{count}.ws")
    deflate = kind == "chat"
    if os.path.exists(path):
        with open(path, "rb") as f:
            stream = f.read()
    else:
        stream = _stream(kind, count)[0]
        with open(path, "wb") as f:
            f.write(stream)

    class Protocol:
        _reading_paused = False

        def pause_reading(self) -> None:
            self._reading_paused = True

        def resume_reading(self) -> None:
            self._reading_paused = False

    queue: Any = reader.WebSocketDataQueue(Protocol(), 1 << 30, loop=None)  # type: ignore[arg-type]
    parser = reader.WebSocketReader(queue, 4 << 20, deflate, True)
    buffered = queue._buffer
    got = 0
    start = time.process_time()
    for i in range(0, len(stream), read):
        parser.feed_data(stream[i : i + read])
        got += len(buffered)
        buffered.clear()
    if got != count:
        raise SystemExit(f"read {got} of {count} messages")
    return {"count": got, "cpu_seconds": time.process_time() - start, "reader": type(parser).__module__}


def _env() -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _run(installed: bool, name: str) -> dict[str, Any]:
    env = _env()
    out = subprocess.run(
        [sys.executable, "-m", "bench.aiohttp_server", "--child", name] + (["--installed"] if installed else []),
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=False,
    )
    if out.returncode:
        raise SystemExit(f"{name} (installed={installed}) failed:\n{out.stderr}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.aiohttp_server", description=__doc__)
    parser.add_argument("--only", action="append", choices=list(WORKLOADS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--installed", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--client", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--deflate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--reader-only",
        type=int,
        metavar="N",
        help="feed N frames of the one --only workload to the reader alone, in this process "
        "(with --installed: wsframe's), for callgrind; prints one JSON line",
    )
    parser.add_argument("--read-size", type=int, default=1 << 18, help="with --reader-only: bytes a read")
    args = parser.parse_args(argv)
    if args.reader_only:
        if not args.only or len(args.only) != 1:
            parser.error("--reader-only takes exactly one --only workload")
        print(json.dumps(_reader_only(args.installed, args.only[0], args.reader_only, args.read_size)))
        return 0
    if args.client:
        _client(int(args.client[0]), args.client[1], args.deflate)
        return 0
    if args.child:
        print(json.dumps(_child(args.installed, args.child)))
        return 0
    import aiohttp

    import wsframe

    print(
        f"aiohttp {aiohttp.__version__}, wsframe {wsframe.__version__} "
        f"backend={wsframe.backend}; medians of {args.repeat} alternating runs"
    )
    for name in args.only or list(WORKLOADS):
        plain: list[dict[str, Any]] = []
        fast: list[dict[str, Any]] = []
        for _ in range(args.repeat):
            plain.append(_run(False, name))
            fast.append(_run(True, name))
        if name.startswith("memory"):
            p = statistics.median(r["peak_mib"] for r in plain)
            f = statistics.median(r["peak_mib"] for r in fast)
            print(
                f"{name:22} peak traced memory: aiohttp {p:7.1f} MiB, with wsframe "
                f"{f:7.1f} MiB (message {plain[0]['message_mib']:.0f} MiB, "
                f"{plain[0]['wire_mib']:.1f} MiB on the wire)"
            )
            continue
        keys = [("us_per_msg", "wall"), ("cpu_us_per_msg", "cpu "), ("user_us_per_msg", "user")]
        for key, label in keys if "user_us_per_msg" in plain[0] else keys[:2]:
            p = statistics.median(r[key] for r in plain)
            f = statistics.median(r[key] for r in fast)
            ratios = [a[key] / b[key] for a, b in zip(plain, fast)]
            print(
                f"{name:16} {label} aiohttp {p:8.2f} us/msg  with wsframe {f:8.2f} us/msg  "
                f"x{p / f:5.2f} (per pair: {', '.join(f'{r:.2f}' for r in ratios)})"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
