"""Measurements behind the defaults of wsframe.deflate (docs/deflate.md).

    python -m bench.deflate_tables memory     # bytes per compressor / decompressor
    python -m bench.deflate_tables speed      # level x backend: µs per message, ratio
    python -m bench.deflate_tables overhead   # Python around zlib vs websockets 17
    python -m bench.deflate_tables idle       # RSS per idle connection, 10,000 of them

Not one of ``python -m bench``'s workloads: a one-off table generator whose output
is pasted into docs/deflate.md.  Timings are medians of several repeats on a
shared machine; read them as ratios.
"""

from __future__ import annotations

import gc
import json
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from wsframe.deflate import (
    BACKENDS,
    DeflateParams,
    Deflater,
    Inflater,
    zlib_backend,
)


def backends() -> list[str]:
    out = []
    for name in BACKENDS:
        try:
            zlib_backend(name)
        except ImportError:
            continue
        out.append(name)
    return out


def chat_messages(n: int, seed: int = 7) -> list[bytes]:
    """~300 B JSON chat messages, different but alike (as a chat room's)."""
    rng = random.Random(seed)
    words = (
        "the of and to in is you that it he was for on are as with his they at be this "
        "have from or one had by word but not what all were we when your can said there "
        "use an each which she do how their if will up other about out many then them "
        "these so some her would make like him into time has look"
    ).split()
    users = [f"user{rng.randrange(10000)}" for _ in range(50)]
    out = []
    for i in range(n):
        text = " ".join(rng.choice(words) for _ in range(rng.randrange(20, 35)))
        msg = {
            "type": "message",
            "id": 100000 + i,
            "channel": f"room-{rng.randrange(20)}",
            "user": rng.choice(users),
            "ts": 1764560000.0 + i * 0.37,
            "text": text,
            "reactions": [],
        }
        out.append(json.dumps(msg).encode())
    return out


def median_time(fn: Callable[[], object], number: int, repeat: int = 7) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return statistics.median(times)


# ---------------------------------------------------------------------------


def memory() -> None:
    """Allocated (tracemalloc) and resident (RSS delta) bytes per object.

    Allocated: what the object and its zlib state malloc'ed (CPython's zlib,
    zlib-ng's and isal's bindings allocate through PyMem, so tracemalloc
    sees them).  Resident: pages actually touched, measured in a fresh
    subprocess per row over 300 objects (large zlib buffers are mmap'ed and
    only the touched part costs RAM).  Both after 20 chat messages.
    """
    import subprocess

    msgs = chat_messages(20)
    print(
        "backend  bits memLevel  deflater_alloc  inflater_alloc  "
        "deflater_rss  inflater_rss   (KiB per object, after 20 chat messages)"
    )
    for name in backends():
        for bits in (9, 12, 15):
            for mem_level in (1, 5, 8, 9):
                if name != "zlib" and mem_level not in (5, 8):
                    continue
                params = DeflateParams(False, False, bits, bits)
                row: list[object] = [name, bits, mem_level]
                for kind in ("deflater", "inflater"):
                    row.append(_alloc(kind, params, name, mem_level, msgs) / 1024)
                for kind in ("deflater", "inflater"):
                    out = subprocess.run(
                        [sys.executable, __file__, "_rss", kind, name, str(bits), str(mem_level)],
                        capture_output=True,
                        text=True,
                        check=True,
                    ).stdout
                    row.append(float(out) / 1024)
                print("{:8} {:4} {:8}  {:14.1f}  {:14.1f}  {:12.1f}  {:12.1f}".format(*row))


def _make(kind: str, params: DeflateParams, name: str, mem_level: int, msgs: list[bytes]) -> object:
    if kind == "deflater":
        d = Deflater(params, mem_level=mem_level, zlib=name)
        for m in msgs:
            d.compress(m)
        return d
    comp = Deflater(params, zlib="zlib")
    payloads = [comp.compress(m) for m in msgs]
    i = Inflater(params, zlib=name)
    for p in payloads:
        i.feed(p, fin=True)
    return i


def _alloc(kind: str, params: DeflateParams, name: str, mem_level: int, msgs: list[bytes]) -> float:
    n = 50
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    keep = [_make(kind, params, name, mem_level, msgs) for _ in range(n)]
    used = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    del keep
    return used / n


def _rss_now() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096


def _rss(kind: str, params: DeflateParams, name: str, mem_level: int, msgs: list[bytes]) -> float:
    n = 300
    gc.collect()
    base = _rss_now()
    keep = [_make(kind, params, name, mem_level, msgs) for _ in range(n)]
    used = _rss_now() - base
    del keep
    gc.collect()
    return used / n


# ---------------------------------------------------------------------------


def speed() -> None:
    """µs per ~300 B chat message and compression ratio, per level/backend."""
    msgs = chat_messages(2000)
    raw = sum(map(len, msgs))
    print(f"{len(msgs)} chat messages, mean {raw / len(msgs):.0f} B, context takeover, window 15")
    print("backend  level memLevel  compress_us  inflate_us  ratio(out/in)")
    params = DeflateParams()
    for name in backends():
        levels = (0, 1, 2, 3) if name == "isal" else (1, 2, 3, 6, 9)
        for level in levels:
            for mem_level in (5, 8) if name == "zlib" else (8,):

                def run_compress(level: int = level, mem_level: int = mem_level, name: str = name) -> list[bytes]:
                    d = Deflater(params, level=level, mem_level=mem_level, zlib=name)
                    return [d.compress(m) for m in msgs]

                payloads = run_compress()
                comp = sum(map(len, payloads))

                def run_inflate(name: str = name, payloads: list[bytes] = payloads) -> None:
                    i = Inflater(params, zlib=name)
                    for p in payloads:
                        i.feed(p, fin=True, max_size=1 << 20)

                tc = median_time(run_compress, 1, 5) / len(msgs) * 1e6
                ti = median_time(run_inflate, 1, 5) / len(msgs) * 1e6
                print(f"{name:8} {level:5} {mem_level:8}  {tc:11.2f}  {ti:10.2f}  {comp / raw:.3f}")


# ---------------------------------------------------------------------------


def overhead() -> None:
    """Python around zlib: wsframe vs raw zlib calls vs websockets 17."""
    import zlib

    msgs = chat_messages(1000)
    params = DeflateParams()
    print(
        "per ~300 B chat message, context takeover, stdlib zlib, window 15, "
        "level 6 memLevel 8 for compression (same settings for all rows)"
    )

    # Raw zlib: the floor.
    def raw_compress() -> None:
        c = zlib.compressobj(6, zlib.DEFLATED, -15, 8)
        for m in msgs:
            (c.compress(m) + c.flush(zlib.Z_SYNC_FLUSH))[:-4]

    def wsf_compress() -> None:
        d = Deflater(params, level=6, mem_level=8, zlib="zlib")
        for m in msgs:
            d.compress(m)

    d = Deflater(params, level=6, mem_level=8, zlib="zlib")
    payloads = [d.compress(m) for m in msgs]

    def raw_inflate() -> None:
        dd = zlib.decompressobj(-15)
        for p in payloads:
            dd.decompress(p + b"\x00\x00\xff\xff", 1 << 20)

    def wsf_inflate() -> None:
        i = Inflater(params, zlib="zlib")
        for p in payloads:
            i.feed(p, fin=True, max_size=1 << 20)

    rows: list[tuple[str, Callable[[], None]]] = [
        ("raw zlib compress", raw_compress),
        ("wsframe Deflater.compress", wsf_compress),
        ("raw zlib decompress", raw_inflate),
        ("wsframe Inflater.feed(max_size=1 MiB)", wsf_inflate),
    ]
    try:
        from websockets.extensions.permessage_deflate import PerMessageDeflate
        from websockets.frames import Frame, Opcode

        frames = [Frame(Opcode.TEXT, m) for m in msgs]
        cframes = [Frame(Opcode.TEXT, p, rsv1=True) for p in payloads]

        def ws_encode() -> None:
            ext = PerMessageDeflate(False, False, 15, 15, {"level": 6, "memLevel": 8})
            for f in frames:
                ext.encode(f)

        def ws_decode() -> None:
            ext = PerMessageDeflate(False, False, 15, 15, {"level": 6, "memLevel": 8})
            for f in cframes:
                ext.decode(f, max_size=1 << 20)

        rows += [("websockets PerMessageDeflate.encode", ws_encode), ("websockets PerMessageDeflate.decode", ws_decode)]

        def ws_encode_default() -> None:
            # websockets 17's own server defaults: 12/12 windows, memLevel 5.
            ext = PerMessageDeflate(False, False, 12, 12, {"memLevel": 5})
            for f in frames:
                ext.encode(f)

        rows.append(("websockets encode, its defaults (12, ml5, L6)", ws_encode_default))
    except ImportError:
        print("(websockets not installed)")

    def wsf_default_compress() -> None:
        d = Deflater(params)
        for m in msgs:
            d.compress(m)

    dflt = Deflater(params)
    dflt_payloads = [dflt.compress(m) for m in msgs]

    def wsf_default_inflate() -> None:
        i = Inflater(params)
        for p in dflt_payloads:
            i.feed(p, fin=True, max_size=1 << 20)

    rows += [
        (f"wsframe defaults compress ({dflt.zlib_name}, L1, ml5)", wsf_default_compress),
        (f"wsframe defaults inflate ({dflt.zlib_name})", wsf_default_inflate),
    ]
    for label, fn in rows:
        t = median_time(fn, 1, 9) / len(msgs) * 1e6
        print(f"{label:48} {t:6.2f} µs")


IDLE_CONFIGS: dict[str, DeflateParams] = {
    "no takeover, 15/15": DeflateParams(True, True, 15, 15),
    "no takeover, 12/12": DeflateParams(True, True, 12, 12),
    "takeover, 15/15": DeflateParams(),
    "takeover, 12/12": DeflateParams(False, False, 12, 12),
}


def idle() -> None:
    """Resident bytes per idle server-side connection (Deflater + Inflater).

    Each row runs in a fresh process: 10,000 connections (1,000 with context
    takeover), each after one
    message each way (the server compresses one chat message and inflates
    one from its client), all kept alive; the figure is the growth of the
    resident set divided by 10,000.  RSS, not tracemalloc: what matters is
    what the process holds, and it is measured the same way for every
    backend.
    """
    import subprocess

    print(
        "backend  configuration          KiB per idle connection (RSS growth over "
        "10,000 connections without takeover, 1,000 with)"
    )
    for name in backends():
        for label in IDLE_CONFIGS:
            out = subprocess.run(
                [sys.executable, __file__, "_idle", name, label],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            print(f"{name:8} {label:22} {float(out) / 1024:8.2f}")


def _idle_child() -> None:
    name, label = sys.argv[2], sys.argv[3]
    params = IDLE_CONFIGS[label]
    message = chat_messages(1)[0]
    peer = Deflater(params, client=True, zlib=name)
    payload = peer.compress(message)
    # With takeover a connection holds ~100-400 KiB: 1,000 of them are enough
    # (10,000 would need gigabytes on the 2-core machine).
    n = 10_000 if params.client_no_context_takeover else 1_000

    def connection() -> tuple[Deflater, Inflater]:
        d, i = Deflater(params, zlib=name), Inflater(params, zlib=name)
        d.compress(message)
        # Without takeover one payload inflates alone on every connection;
        # with takeover each connection's inflater needs its own peer stream.
        fresh = (
            payload if params.client_no_context_takeover else Deflater(params, client=True, zlib=name).compress(message)
        )
        assert i.feed(fresh, fin=True) == message
        return d, i

    warm = [connection() for _ in range(100)]  # imports, the pool, first arenas
    gc.collect()
    base = _rss_now()
    keep = [connection() for _ in range(n)]
    gc.collect()
    print((_rss_now() - base) / n)
    del warm, keep


def _rss_child() -> None:
    kind, name, bits, mem_level = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    params = DeflateParams(False, False, bits, bits)
    print(_rss(kind, params, name, mem_level, chat_messages(20)))


if __name__ == "__main__":
    {
        "_rss": _rss_child,
        "_idle": _idle_child,
        "idle": idle,
        "memory": memory,
        "speed": speed,
        "overhead": overhead,
    }[sys.argv[1]]()
