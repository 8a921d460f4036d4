"""Echo round trips per second through uvicorn (--ws wsproto), with and without wsframe.

Run::

    python -m bench.uvicorn_roundtrip                       # 20000 round trips
    python -m bench.uvicorn_roundtrip --messages 5000 --size 1024 --window 50

Two ``examples/uvicorn_echo.py`` server processes are started on 127.0.0.1
(ephemeral ports), one with the wsproto integration installed and one with
``--no-wsframe``, and for each the websockets asyncio client
(without compression unless ``--compression deflate``) sends ``--messages``
text messages of ``--size`` bytes, keeping up to ``--window`` messages in
flight (1 = strict ping-pong), and receives every echo.  Both servers run
side by side and the runs alternate.  Reported: round trips per second (best
of ``--repeat`` runs) and, on Linux, the server process's CPU time per round
trip, which is steadier on a shared machine.  Client and server share the
machine, so the client's own cost bounds the wall-clock speedup.
:func:`run_benchmark` returns the numbers for a harness (bench/).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import time

__all__ = ["run_benchmark", "main"]

#: The checkout: bench/ lives directly below it, the echo server in examples/.
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _start_server(wsframe_on: bool) -> tuple[subprocess.Popen[str], str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    args = [sys.executable, os.path.join(ROOT, "examples", "uvicorn_echo.py"), "--port", "0"]
    if not wsframe_on:
        args.append("--no-wsframe")
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # "LISTENING host port wsframe=.. backend=.."
    if not line.startswith("LISTENING"):
        proc.kill()
        raise RuntimeError(f"server did not start: {line!r}")
    _, host, port, *_ = line.split()
    return proc, f"ws://{host}:{port}/"


async def _round_trips(uri: str, messages: int, size: int, window: int, compression: str | None) -> float:
    from websockets.asyncio.client import connect

    payload = "x" * size
    async with connect(uri, compression=compression, ping_interval=None, open_timeout=30) as ws:
        for _ in range(100):  # warm up
            await ws.send(payload)
            await ws.recv()
        start = time.perf_counter()
        sent = received = 0
        while received < messages:
            while sent < messages and sent - received < window:
                await ws.send(payload)
                sent += 1
            reply = await ws.recv()
            if len(reply) != size:
                raise AssertionError("bad echo")
            received += 1
        return time.perf_counter() - start


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of process ``pid`` (Linux /proc), else None."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_benchmark(
    messages: int = 20000,
    size: int = 32,
    window: int = 1,
    repeat: int = 3,
    compression: str | None = None,
) -> dict[str, float]:
    """Return round trips/s and server CPU per message, without and with wsframe.

    Keys: ``without``, ``with`` (round trips/s, best run), ``speedup``, and
    on Linux ``cpu_us_without``, ``cpu_us_with`` (server process CPU time
    per round trip, in microseconds, summed over all runs: steadier than
    wall time on a loaded machine) and ``cpu_ratio``.  Both servers run at
    the same time and the runs alternate between them, so that a change in
    the machine's load affects both alike.
    """
    servers = {label: _start_server(on) for label, on in (("without", False), ("with", True))}
    try:
        best: dict[str, float] = {}
        cpu: dict[str, float] = {label: 0.0 for label in servers}
        for _ in range(repeat):
            for label, (proc, uri) in servers.items():
                before = _cpu_seconds(proc.pid)
                elapsed = asyncio.run(_round_trips(uri, messages, size, window, compression))
                after = _cpu_seconds(proc.pid)
                best[label] = min(best.get(label, elapsed), elapsed)
                if before is not None and after is not None:
                    cpu[label] += after - before
    finally:
        for proc, _uri in servers.values():
            proc.terminate()
            proc.wait(timeout=10)
    rates = {label: messages / elapsed for label, elapsed in best.items()}
    rates["speedup"] = rates["with"] / rates["without"]
    if cpu["with"] > 0 and cpu["without"] > 0:
        # Includes the 100 warm-up round trips of each run.
        per_run = repeat * (messages + 100)
        rates["cpu_us_without"] = cpu["without"] / per_run * 1e6
        rates["cpu_us_with"] = cpu["with"] / per_run * 1e6
        rates["cpu_ratio"] = cpu["without"] / cpu["with"]
    return rates


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=20000)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--window", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--compression", choices=["deflate"], default=None)
    args = parser.parse_args(argv)
    r = run_benchmark(args.messages, args.size, args.window, args.repeat, args.compression)
    print(
        f"uvicorn echo, {args.messages} x {args.size} B text, window {args.window},"
        f" compression {args.compression}:"
        f" without wsframe {r['without']:,.0f} round trips/s,"
        f" with wsframe {r['with']:,.0f} round trips/s: x{r['speedup']:.2f}"
    )
    if "cpu_ratio" in r:
        print(
            f"  server CPU per round trip: without {r['cpu_us_without']:.1f} us,"
            f" with {r['cpu_us_with']:.1f} us: x{r['cpu_ratio']:.2f}"
        )


if __name__ == "__main__":
    main()
