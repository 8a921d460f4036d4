"""Exercise a WebSocket echo server with the real ``websockets`` client.

Run against either example server::

    python examples/echo_check.py ws://127.0.0.1:8765/
    python examples/echo_check.py ws://127.0.0.1:8000/ --max-size 1048576

Each scenario opens its own connection (asyncio client of websockets >= 14)
and checks one behaviour: text and binary echo, a fragmented message, 1 MiB
messages, ping/pong, the closing handshake with a code and a reason, invalid
UTF-8 (the server must close with 1007) and an oversized message (1009).
The end-to-end tests import :data:`SCENARIOS` and :func:`run_scenario`.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, ConnectionClosedError

__all__ = ["SCENARIOS", "run_scenario", "main"]

TIMEOUT = 20.0  # seconds for any one scenario

Scenario = Callable[[Any, int], Awaitable[None]]


async def _echo(ws: Any, message: str | bytes) -> None:
    await ws.send(message)
    reply = await ws.recv()
    assert type(reply) is type(message), (type(reply), type(message))
    assert reply == message, "echo differs"


async def text(ws: Any, max_size: int) -> None:
    """Text messages, ASCII and not, including empty."""
    for message in ["hello", "", "h\u00e9llo w\u00f6rld \u20ac \U0001f600", "x" * 70000]:
        await _echo(ws, message)


async def binary(ws: Any, max_size: int) -> None:
    """Binary messages, including every byte value and empty."""
    for message in [b"\x00\x01\xff", b"", bytes(range(256)) * 300]:
        await _echo(ws, message)


async def fragmented(ws: Any, max_size: int) -> None:
    """A fragmented text message (RFC 6455 §5.4) comes back whole."""
    parts = ["frag", "mented ", "\u20ac", " message"]
    await ws.send(parts)  # websockets sends an iterable as fragments
    assert await ws.recv() == "".join(parts)
    await ws.send([b"\x01" * 1000, b"\x02" * 3000])
    assert await ws.recv() == b"\x01" * 1000 + b"\x02" * 3000


async def one_mib(ws: Any, max_size: int) -> None:
    """Messages of exactly the limit (1 MiB) are echoed."""
    await _echo(ws, bytes(range(256)) * (max_size // 256))
    await _echo(ws, "a" * max_size)


async def ping_pong(ws: Any, max_size: int) -> None:
    """A ping is answered by a pong with the same payload (RFC 6455 §5.5.2-3)."""
    for payload in [b"", b"ping-1", b"\xff" * 125]:
        waiter = await ws.ping(payload)
        await asyncio.wait_for(waiter, TIMEOUT)
    await _echo(ws, "still open")


async def close_code_reason(ws: Any, max_size: int) -> None:
    """The closing handshake echoes our code and reason (RFC 6455 §5.5.1)."""
    await ws.close(4001, "bye now")
    assert ws.close_code == 4001, ws.close_code
    assert ws.close_reason == "bye now", ws.close_reason


async def invalid_utf8(ws: Any, max_size: int) -> None:
    """A text message that is not UTF-8 gets close 1007 (RFC 6455 §8.1)."""
    await ws.send(b"valid prefix \xff\xfe", text=True)  # sent as-is, unvalidated
    await _expect_close(ws, 1007)


async def oversized(ws: Any, max_size: int) -> None:
    """A message over the limit gets close 1009 (RFC 6455 §7.4.1)."""
    await ws.send(b"\x00" * (max_size + 1))
    await _expect_close(ws, 1009)


async def _expect_close(ws: Any, code: int) -> None:
    try:
        reply = await asyncio.wait_for(ws.recv(), TIMEOUT)
    except ConnectionClosedError as exc:
        assert exc.rcvd is not None, "server closed TCP without a Close frame"
        assert exc.rcvd.code == code, f"server closed with {exc.rcvd.code}, expected {code}"
    except ConnectionClosed as exc:  # pragma: no cover - 1000/1001 would be wrong
        raise AssertionError(f"server closed normally ({exc}), expected {code}") from exc
    else:
        raise AssertionError(f"server answered {reply!r:.60} instead of closing with {code}")


SCENARIOS: dict[str, Scenario] = {
    "text": text,
    "binary": binary,
    "fragmented": fragmented,
    "one_mib": one_mib,
    "ping_pong": ping_pong,
    "close_code_reason": close_code_reason,
    "invalid_utf8": invalid_utf8,
    "oversized": oversized,
}


async def run_scenario(uri: str, name: str, *, max_size: int = 2**20, compression: str | None = None) -> None:
    """Open a connection to ``uri`` and run one scenario on it, within TIMEOUT.

    Args:
        uri: ``ws://host:port/``.
        name: a key of :data:`SCENARIOS`.
        max_size: the server's frame/message limit.
        compression: ``"deflate"`` to offer permessage-deflate, None not to.

    Raises:
        AssertionError: the server misbehaved.
        TimeoutError: the scenario took longer than TIMEOUT.
    """

    async def go() -> None:
        async with connect(
            uri,
            max_size=max_size,
            compression=compression,
            open_timeout=TIMEOUT,
            close_timeout=TIMEOUT,
            ping_interval=None,
        ) as ws:
            await SCENARIOS[name](ws, max_size)

    await asyncio.wait_for(go(), TIMEOUT * 2)


def main(argv: list[str] | None = None) -> None:
    """Run every scenario against the given server; exit 1 if any fails."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("uri")
    parser.add_argument("--max-size", type=int, default=2**20)
    parser.add_argument("--compression", choices=["deflate"], default=None)
    args = parser.parse_args(argv)
    failed = 0
    for name in SCENARIOS:
        try:
            asyncio.run(run_scenario(args.uri, name, max_size=args.max_size, compression=args.compression))
        except Exception as exc:  # report and go on with the next scenario
            failed += 1
            print(f"FAIL {name}: {type(exc).__name__}: {exc}")
        else:
            print(f"ok   {name}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
