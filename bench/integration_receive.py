"""Receive-path benchmarks for the wsframe integrations (no network).

Run::

    python -m bench.integration_receive            # all, 100k frames
    python -m bench.integration_receive --frames 20000 --only wsproto

Each benchmark feeds the same byte stream (N masked client text frames of
10-20 bytes, "message 12345", as a server receives them) in reads of
``--read-size`` bytes (default 64 KiB), and consumes every event:

* ``wsproto``: a server ``wsproto.WSConnection`` (after the opening
  handshake) + ``events()``, with and without
  :func:`wsframe.integrations.wsproto.install`.
* ``websockets``: the Sans-I/O ``websockets.server.ServerProtocol`` (state
  OPEN) + ``events_received()``, with and without
  :func:`wsframe.integrations.websockets.install`.

The figure is the best of ``--repeat`` runs (the least disturbed by other
load), in frames per second; runs with and without wsframe alternate.
:func:`run_benchmarks` returns the numbers for a harness (bench/).
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable

__all__ = ["client_stream", "bench_wsproto", "bench_websockets", "run_benchmarks", "main"]


def client_stream(n: int, mask: bytes = b"\x9a\x3c\x51\xe7") -> bytes:
    """N masked text frames "message <i>" (RFC 6455 §5.2/§5.3), concatenated."""
    from wsframe.frames import Opcode, encode_frame

    return b"".join(encode_frame(Opcode.TEXT, f"message {i}".encode(), mask=mask) for i in range(n))


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


def bench_wsproto(chunks: list[bytes], expected: int) -> float:
    """Seconds for a server ``WSConnection`` to turn ``chunks`` into ``expected`` messages.

    The opening handshake is done first (not timed).
    """
    from wsproto import ConnectionType, WSConnection
    from wsproto.events import AcceptConnection, Request

    ws = WSConnection(ConnectionType.SERVER)
    ws.receive_data(
        b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
        b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        b"Sec-WebSocket-Version: 13\r\n\r\n"
    )
    (request,) = ws.events()
    assert isinstance(request, Request)
    ws.send(AcceptConnection())
    count = 0
    start = time.perf_counter()
    for chunk in chunks:
        ws.receive_data(chunk)
        for event in ws.events():
            # wsproto also reports the part of a frame cut by a read boundary.
            count += event.message_finished
    elapsed = time.perf_counter() - start
    if count != expected:
        raise AssertionError(f"wsproto produced {count} messages, expected {expected}")
    return elapsed


def bench_websockets(chunks: list[bytes], expected: int) -> float:
    """Seconds for websockets' ServerProtocol to parse ``chunks`` into frames."""
    from websockets.protocol import State
    from websockets.server import ServerProtocol

    proto = ServerProtocol(state=State.OPEN, max_size=None)
    count = 0
    start = time.perf_counter()
    for chunk in chunks:
        proto.receive_data(chunk)
        count += len(proto.events_received())
    elapsed = time.perf_counter() - start
    if count != expected:
        raise AssertionError(f"websockets produced {count} events, expected {expected}")
    return elapsed


def _best(fn: Callable[[], float], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        times.append(fn())
    return min(times)


def run_benchmarks(
    frames: int = 100_000, repeat: int = 5, only: str | None = None, read_size: int = 65536
) -> dict[str, dict[str, float]]:
    """Run the benchmarks; return ``{name: {"without": s, "with": s, "speedup": x}}``."""
    import wsframe

    chunks = _chunks(client_stream(frames), read_size)
    results: dict[str, dict[str, float]] = {}
    cases = [
        ("wsproto", "wsframe.integrations.wsproto", bench_wsproto),
        ("websockets", "wsframe.integrations.websockets", bench_websockets),
    ]
    for name, module_name, bench in cases:
        if only and name != only:
            continue
        try:
            __import__(name)
        except ImportError:
            continue
        integ = __import__(module_name, fromlist=["install"])
        without: list[float] = []
        with_: list[float] = []
        for _ in range(repeat):
            integ.uninstall()
            without.append(_best(lambda run=bench: run(chunks, frames), 1))
            integ.install()
            with_.append(_best(lambda run=bench: run(chunks, frames), 1))
        integ.uninstall()
        results[name] = {
            "without": min(without),
            "with": min(with_),
            "speedup": min(without) / min(with_),
            "frames": frames,
            "backend": wsframe.backend,  # type: ignore[dict-item]
        }
    return results


def main(argv: list[str] | None = None) -> None:
    """Command line entry point: print a small table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", choices=["wsproto", "websockets"])
    parser.add_argument("--read-size", type=int, default=65536, help="bytes per receive call")
    args = parser.parse_args(argv)
    import wsframe

    print(f"wsframe {wsframe.__version__} backend={wsframe.backend}, reads of {args.read_size} bytes")
    results = run_benchmarks(args.frames, args.repeat, args.only, args.read_size)
    for name, r in results.items():
        n = args.frames
        print(
            f"{name:11s} {n} small text frames: without {r['without'] * 1e3:8.1f} ms"
            f" ({n / r['without'] / 1e3:7.1f} k frames/s), with wsframe"
            f" {r['with'] * 1e3:8.1f} ms ({n / r['with'] / 1e3:7.1f} k frames/s):"
            f" x{r['speedup']:.2f}"
        )


if __name__ == "__main__":
    main()
