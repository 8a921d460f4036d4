"""Receive path on a compressed connection (permessage-deflate), with and without wsframe.

Run::

    python -m bench.integration_deflate                # 100k messages, both
    python -m bench.integration_deflate --only wsproto --messages 20000

The stream: N client text messages of about 300 bytes of JSON (each one
different), compressed as a browser does (raw DEFLATE, 15-bit window, context
takeover, sync flush with the trailing ``00 00 ff ff`` removed, RSV1 set;
RFC 7692 §7.2.1), one frame each, masked, delivered in reads of
``--read-size`` bytes (default 64 KiB).  Every event is consumed:

* ``wsproto``: a server ``WSConnection`` that negotiated wsproto's
  ``PerMessageDeflate`` (handshake not timed), ``receive_data`` + ``events()``.
* ``websockets``: ``ServerProtocol`` in state OPEN with websockets'
  ``PerMessageDeflate`` (15/15 bits, context takeover), ``receive_data`` +
  ``events_received()``.

``--serialize`` measures websockets' ``Frame.serialize`` (16-byte text frame,
masked and unmasked) with and without the integration instead.

Figures are the best of ``--repeat`` runs, with and without the integration
alternating; the speedup is without / with.
"""

from __future__ import annotations

import argparse
import gc
import json
import time
import zlib
from collections.abc import Callable

__all__ = ["compressed_stream", "bench_wsproto", "bench_websockets", "main"]


def messages(n: int) -> list[bytes]:
    """N different JSON chat messages of about 300 bytes."""
    out = []
    for i in range(n):
        doc = {
            "type": "message",
            "id": i,
            "channel": f"room-{i % 17}",
            "user": {"id": 1000 + i % 97, "name": f"user{i % 97}", "status": "online"},
            "text": f"Hello everyone, this is message number {i} in the benchmark stream",
            "ts": 1700000000.0 + i * 0.137,
            "tags": ["chat", "bench", f"t{i % 5}"],
            "reply_to": None if i % 3 else i - 1,
        }
        out.append(json.dumps(doc).encode())
    return out


def compressed_stream(payloads: list[bytes], mask: bytes = b"\x9a\x3c\x51\xe7") -> bytes:
    """The payloads as compressed, masked client frames (RSV1 set)."""
    from wsframe.frames import Opcode, encode_frame

    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    frames = []
    for p in payloads:
        body = c.compress(p) + c.flush(zlib.Z_SYNC_FLUSH)
        assert body.endswith(b"\x00\x00\xff\xff")
        frames.append(encode_frame(Opcode.TEXT, body[:-4], rsv1=True, mask=mask))
    return b"".join(frames)


def bench_wsproto(chunks: list[bytes], expected: int) -> float:
    """Seconds for a server ``WSConnection`` with permessage-deflate to read ``chunks``."""
    from wsproto import ConnectionType, WSConnection
    from wsproto.events import AcceptConnection, Request
    from wsproto.extensions import PerMessageDeflate

    ws = WSConnection(ConnectionType.SERVER)
    ws.receive_data(
        b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n"
    )
    (request,) = ws.events()
    assert isinstance(request, Request)
    ws.send(AcceptConnection(extensions=[PerMessageDeflate()]))
    count = 0
    start = time.perf_counter()
    for chunk in chunks:
        ws.receive_data(chunk)
        for event in ws.events():
            count += event.message_finished
    elapsed = time.perf_counter() - start
    if count != expected:
        raise AssertionError(f"wsproto produced {count} messages, expected {expected}")
    return elapsed


def bench_websockets(chunks: list[bytes], expected: int) -> float:
    """Seconds for websockets' ``ServerProtocol`` with permessage-deflate to read ``chunks``."""
    from websockets.extensions.permessage_deflate import PerMessageDeflate
    from websockets.protocol import State
    from websockets.server import ServerProtocol

    proto = ServerProtocol(state=State.OPEN, max_size=2**20)
    proto.parser = proto.parse()  # restart the parser with the extension in place
    proto.extensions = [PerMessageDeflate(False, False, 15, 15)]
    next(proto.parser)
    count = 0
    start = time.perf_counter()
    for chunk in chunks:
        proto.receive_data(chunk)
        count += len(proto.events_received())
    elapsed = time.perf_counter() - start
    if count != expected:
        raise AssertionError(f"websockets produced {count} events, expected {expected}")
    return elapsed


def _run(
    name: str, bench: Callable[[list[bytes], int], float], chunks: list[bytes], n: int, repeat: int
) -> dict[str, float]:
    integ = __import__(f"wsframe.integrations.{name}", fromlist=["install"])
    without, with_ = [], []
    for _ in range(repeat):
        integ.uninstall()
        gc.collect()
        without.append(bench(chunks, n))
        integ.install()
        gc.collect()
        with_.append(bench(chunks, n))
    integ.uninstall()
    return {"without": min(without), "with": min(with_), "speedup": min(without) / min(with_)}


def bench_serialize(repeat: int = 5, number: int = 100_000) -> None:
    """websockets' ``Frame.serialize`` of a 16-byte text frame, with and without wsframe."""
    import timeit

    from websockets.frames import Frame, Opcode

    import wsframe.integrations.websockets as integ

    frame = Frame(Opcode.TEXT, b"0123456789abcdef")
    for mask in (True, False):
        times = {}
        for installed in (False, True):
            if installed:
                integ.install()
            else:
                integ.uninstall()
            best = min(timeit.repeat(lambda m=mask: frame.serialize(mask=m), number=number, repeat=repeat))
            times[installed] = best / number * 1e9
        integ.uninstall()
        print(
            f"Frame.serialize(mask={mask}) 16 B: websockets {times[False]:6.0f} ns,"
            f" with wsframe {times[True]:6.0f} ns: x{times[False] / times[True]:.2f}"
        )


def main(argv: list[str] | None = None) -> None:
    """Command line entry point: print one line per library."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", choices=["wsproto", "websockets"])
    parser.add_argument("--read-size", type=int, default=65536)
    parser.add_argument("--serialize", action="store_true", help="measure websockets' Frame.serialize instead")
    args = parser.parse_args(argv)
    if args.serialize:
        bench_serialize(args.repeat)
        return
    import wsframe
    from wsframe.deflate import backend_name, zlib_backend

    payloads = messages(args.messages)
    data = compressed_stream(payloads)
    chunks = [data[i : i + args.read_size] for i in range(0, len(data), args.read_size)]
    mean = sum(map(len, payloads)) / len(payloads)
    print(
        f"wsframe {wsframe.__version__} backend={wsframe.backend}"
        f" zlib={backend_name(zlib_backend())}: {args.messages} messages of {mean:.0f} B"
        f" ({len(data) / args.messages:.0f} B on the wire), reads of {args.read_size} B,"
        f" best of {args.repeat}"
    )
    for name, bench in (("wsproto", bench_wsproto), ("websockets", bench_websockets)):
        if args.only and name != args.only:
            continue
        r = _run(name, bench, chunks, args.messages, args.repeat)
        n = args.messages
        print(
            f"{name:11s} without {n / r['without'] / 1e3:7.1f} k msg/s,"
            f" with wsframe {n / r['with'] / 1e3:7.1f} k msg/s: x{r['speedup']:.2f}"
        )


if __name__ == "__main__":
    main()
