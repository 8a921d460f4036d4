"""Compressed messages: wsframe against aiohttp and the bare compressor, one run.

Run with ``python -m bench.deflate_hotpath`` (``--repeats N``, ``--zlib NAME``).
Every figure is measured in the same process, interleaved (each round times
every contender once, in turn), and the median over the rounds is reported
with its spread (min..max), so the ratios compare like with like on a shared
machine.

Measured, same zlib backend, level 1, window 15, context takeover:

* compress + frame of one text message: wsframe's ``encode_message`` with a
  :class:`wsframe.deflate.Deflater`, aiohttp's
  ``WebSocketWriter._send_compressed_frame_sync`` (a reused compressor), and
  the bare compressor call (``compress`` + ``flush(Z_SYNC_FLUSH)``), which no
  framing code can beat;
* decode of the same compressed frames to ``str``: wsframe's ``FrameDecoder``
  + ``MessageAssembler(inflater=Inflater(...))`` against aiohttp's compiled
  reader, and the bare decompressor (``decompressobj.decompress`` of each
  payload + trailer, bytes only: the inflate work both readers cannot avoid);
* broadcast: one message to 1,000 recipients without context takeover,
  compressed once (``Deflater`` + ``encode_message_bytes``) or once per
  recipient (a Deflater per connection).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import wsframe
from wsframe import frames
from wsframe.deflate import DeflateParams, Deflater, Inflater

KiB = 1024
TEXT = 1  # RFC 6455 §5.2


def _chat(size: int) -> bytes:
    """JSON chat messages, concatenated into a JSON list of about ``size`` bytes."""
    items = []
    total = 2
    i = 0
    while total < size:
        item = json.dumps(
            {
                "type": "message",
                "room": f"room-{i % 7}",
                "user": f"user{i % 13}",
                "id": 1000 + i,
                "text": f"hello there, this is message number {i}",
                "ts": 1765000000 + i,
            }
        )
        items.append(item)
        total += len(item) + 1
        i += 1
    return ("[" + ",".join(items) + "]").encode()


def _payloads(size: int, count: int) -> list[bytes]:
    """``count`` different messages of about ``size`` bytes (no two identical)."""
    base = _chat(size)
    return [base.replace(b'"id": 1000', b'"id": %d' % (2000 + n), 1) for n in range(count)]


# The clock of every timing: wall time by default; ``--clock cpu`` reads this
# thread's CPU time instead, which leaves out the time the process waited for
# a core on a shared machine (page faults and allocator work still count).
_clock = time.perf_counter


def _best(fn: Callable[[], Any], per: int, target: float = 0.15) -> float:
    """Seconds per item of ``fn`` (which handles ``per`` items), one timing window."""
    loops = 1
    while True:
        t0 = _clock()
        for _ in range(loops):
            fn()
        dt = _clock() - t0
        if dt >= target:
            return dt / (loops * per)
        loops *= 2


class _Transport:
    def __init__(self) -> None:
        self.written: deque[bytes] = deque(maxlen=4)
        self.write = self.written.append

    def is_closing(self) -> bool:
        return False


class _Protocol:
    _reading_paused = False
    _paused = False

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def _contenders(zname: str, size: int) -> tuple[dict[str, Callable[[], Any]], dict[str, Callable[[], Any]], int]:
    import importlib
    import zlib as stdzlib

    from aiohttp import compression_utils
    from aiohttp._websocket import reader_c, writer

    zmod = stdzlib if zname == "zlib" else importlib.import_module(zname)
    compression_utils.set_zlib_backend(zmod)
    count = 64
    payloads = _payloads(size, count)
    params = DeflateParams()

    # --- compress + frame
    deflater = Deflater(params, client=False, level=1, zlib=zmod)
    encode = frames.encode_message_bytes

    def wsf() -> None:
        d = deflater
        for p in payloads:
            encode(TEXT, p, deflater=d)

    w = writer.WebSocketWriter(_Protocol(), _Transport(), use_mask=False, compress=15)
    send = w._send_compressed_frame_sync

    def aio() -> None:
        for p in payloads:
            send(p, TEXT, None)

    c = zmod.compressobj(1, zmod.DEFLATED, -15)
    cc, cf, sync = c.compress, c.flush, zmod.Z_SYNC_FLUSH

    def bare() -> None:
        for p in payloads:
            cc(p)
            cf(sync)

    compress = {"wsframe": wsf, "aiohttp": aio, "bare compressor": bare}

    # --- decode (server side): the same masked client frames for both readers
    d2 = Deflater(params, client=True, level=1, zlib=zmod)
    wires = [encode(TEXT, p, deflater=d2, masked=True) for p in payloads]
    expected = [p.decode() for p in payloads]

    def wsf_dec() -> list[str]:
        feed = frames.FrameDecoder(rsv_allowed=4).feed
        add = frames.MessageAssembler(inflater=Inflater(params, client=False, zlib=zmod)).add
        out = []
        for wire in wires:
            for f in feed(wire):
                m = add(f)
                if m is not None:
                    out.append(m.data)
        return out

    from bench.peers.aiohttp import _QUEUE_LIMIT, _PausableProtocol, _taker

    def aio_dec() -> list[str]:
        queue = reader_c.WebSocketDataQueue(_PausableProtocol(), _QUEUE_LIMIT, loop=None)
        reader = reader_c.WebSocketReader(queue, 2**22, compress=True, decode_text=True)
        feed, take = reader.feed_data, _taker(queue)
        out = []
        for wire in wires:
            feed(wire)
            out.append(take().data)
        return out

    # The floor under both readers: the same compressed payloads inflated by
    # the decompressor alone (no framing, no validation, no str).
    bodies = [
        bytes(f.payload) + b"\x00\x00\xff\xff" for wire in wires for f in frames.FrameDecoder(rsv_allowed=4).feed(wire)
    ]

    def bare_dec() -> list[bytes]:
        dec = zmod.decompressobj(-15).decompress
        return [dec(b, 1 << 22) for b in bodies]

    assert wsf_dec() == expected, "wsframe decode"
    assert aio_dec() == expected, "aiohttp decode"
    assert [b.decode() for b in bare_dec()] == expected, "bare decompressor"
    decode = {"wsframe": wsf_dec, "aiohttp": aio_dec, "bare decompressor": bare_dec}
    return compress, decode, count


def _broadcast(zname: str, recipients: int = 1000) -> dict[str, Callable[[], Any]]:
    import importlib
    import zlib as stdzlib

    zmod = stdzlib if zname == "zlib" else importlib.import_module(zname)
    params = DeflateParams(server_no_context_takeover=True, client_no_context_takeover=True)
    payload = _chat(300)
    encode = frames.encode_message_bytes
    shared = Deflater(params, client=False, level=1, zlib=zmod)
    per_conn = [Deflater(params, client=False, level=1, zlib=zmod) for _ in range(recipients)]
    once_wire = encode(TEXT, payload, deflater=shared)
    assert all(encode(TEXT, payload, deflater=d) == once_wire for d in per_conn[:3])

    def once() -> None:
        wire = encode(TEXT, payload, deflater=shared)
        sink = []
        for _ in range(recipients):
            sink.append(wire)  # stands for transport.write(wire)

    def each() -> None:
        sink = []
        for d in per_conn:
            sink.append(encode(TEXT, payload, deflater=d))

    return {"compress once": once, "per connection": each}


def _round(table: dict[str, Callable[[], Any]], per: int, rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {k: [] for k in table}
    for _ in range(rounds):
        for name, fn in table.items():  # interleaved
            times[name].append(_best(fn, per))
    return times


def _faults(fn: Callable[[], Any], per: int, loops: int = 10) -> float:
    """Minor page faults per item of ``fn``: pages the system handed out on
    first touch (fresh heap after glibc gave memory back), which cost more
    than the work itself for large messages on some machines."""
    import resource

    fn()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(loops):
        fn()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / (loops * per)


def _fmt(ts: list[float]) -> str:
    return f"{statistics.median(ts) * 1e6:8.2f} µs ({min(ts) * 1e6:.2f}..{max(ts) * 1e6:.2f})"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--zlib", default="zlib_ng.zlib_ng")
    ap.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall: elapsed time; cpu: this thread's CPU time (steadier on a loaded machine)",
    )
    args = ap.parse_args(argv)
    global _clock
    _clock = time.thread_time if args.clock == "cpu" else time.perf_counter

    cpu = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"# {platform.python_implementation()} {platform.python_version()}, CPU {cpu}")
    print(f"# wsframe {wsframe.__version__} backend {wsframe.backend}")
    print(
        f"# zlib backend {args.zlib}, level 1, window 15, context takeover; "
        f"median of {args.repeats} interleaved rounds (min..max), {args.clock} clock"
    )
    for size, label in ((300, "~300 B chat"), (4 * KiB, "4 KiB"), (64 * KiB, "64 KiB")):
        compress, decode, per = _contenders(args.zlib, size)
        ct = _round(compress, per, args.repeats)
        dt = _round(decode, per, args.repeats)
        m = {k: statistics.median(v) for k, v in ct.items()}
        print(f"\n## {label}")
        for k, v in ct.items():
            print(f"compress+frame {k:16s} {_fmt(v)}")
        print(
            f"  wsframe vs aiohttp {m['aiohttp'] / m['wsframe']:.2f}x; "
            f"wsframe / bare compressor {m['wsframe'] / m['bare compressor']:.2f}"
        )
        dm = {k: statistics.median(v) for k, v in dt.items()}
        for k, v in dt.items():
            print(f"decode to str  {k:16s} {_fmt(v)}  {_faults(decode[k], per):5.1f} page faults/message")
        print(
            f"  wsframe vs aiohttp {dm['aiohttp'] / dm['wsframe']:.2f}x; "
            f"wsframe / bare decompressor {dm['wsframe'] / dm['bare decompressor']:.2f}"
        )
    bt = _round(_broadcast(args.zlib), 1, args.repeats)
    bm = {k: statistics.median(v) for k, v in bt.items()}
    print("\n## broadcast, ~300 B to 1,000 recipients, no context takeover")
    for k, v in bt.items():
        print(f"{k:16s} {statistics.median(v) * 1e3:8.3f} ms ({min(v) * 1e3:.3f}..{max(v) * 1e3:.3f})")
    print(f"  compress once is {bm['per connection'] / bm['compress once']:.0f}x faster")


if __name__ == "__main__":
    main()
