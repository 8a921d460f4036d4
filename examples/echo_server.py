"""A minimal asyncio WebSocket echo server written on wsframe alone.

Run::

    python examples/echo_server.py --port 8765        # ws://127.0.0.1:8765/

It does the opening handshake itself (RFC 6455 §4.2, using
:func:`wsframe.handshake.accept_key`), decodes frames with
:class:`wsframe.frames.FrameDecoder`, reassembles messages with
:class:`wsframe.frames.MessageAssembler`, answers pings, echoes text and
binary messages, and performs the closing handshake (§7).  Protocol
violations close the connection with the code wsframe reports: 1002 for
framing errors, 1007 for invalid UTF-8, 1009 for frames or messages above
``--max-size``.  No extension is negotiated.

:func:`serve` is also importable (the end-to-end tests use it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys

from wsframe.errors import ProtocolError
from wsframe.frames import (
    FrameDecoder,
    MessageAssembler,
    Opcode,
    encode_close,
    encode_frame,
    parse_close,
)
from wsframe.handshake import accept_key

__all__ = ["serve", "handle_connection", "main"]

log = logging.getLogger("wsframe.examples.echo")

MAX_REQUEST = 64 * 1024  # bytes of HTTP request head we accept (StreamReader limit)
CLOSE_TIMEOUT = 5.0  # seconds to wait for the peer after our Close frame
READ_SIZE = 256 * 1024


class HandshakeError(Exception):
    """The HTTP request is not a valid WebSocket upgrade (RFC 6455 §4.2.1)."""


def parse_upgrade_request(head: bytes) -> dict[str, str]:
    """Parse and check the client's opening handshake.

    Args:
        head: the request line and header fields, up to the blank line.

    Returns:
        The header fields, names lower-cased (repeated fields joined by ", ").

    Raises:
        HandshakeError: not a GET, not HTTP/1.1, or a required field is
            missing or wrong (RFC 6455 §4.2.1 items 1-6).
    """
    try:
        text = head.decode("latin-1")
    except UnicodeDecodeError as exc:  # pragma: no cover - latin-1 decodes anything
        raise HandshakeError("undecodable request") from exc
    lines = text.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or parts[0] != "GET" or parts[2] != "HTTP/1.1":
        raise HandshakeError(f"bad request line {lines[0]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise HandshakeError(f"bad header line {line!r}")
        name = name.strip().lower()
        value = value.strip()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    tokens = lambda name: {t.strip().lower() for t in headers.get(name, "").split(",")}  # noqa: E731
    if "websocket" not in tokens("upgrade"):
        raise HandshakeError("missing Upgrade: websocket")
    if "upgrade" not in tokens("connection"):
        raise HandshakeError("missing Connection: Upgrade")
    if headers.get("sec-websocket-version") != "13":
        raise HandshakeError("unsupported Sec-WebSocket-Version (need 13)")
    if "sec-websocket-key" not in headers:
        raise HandshakeError("missing Sec-WebSocket-Key")
    return headers


async def _drain_until_eof(reader: asyncio.StreamReader) -> None:
    """Discard input until the peer closes its side."""
    while await reader.read(READ_SIZE):
        pass


async def _finish(writer: asyncio.StreamWriter, reader: asyncio.StreamReader) -> None:
    """End the TCP connection after our Close frame (RFC 6455 §7.1.1).

    The server closes first; a half-close (FIN after the Close frame) lets
    the client read our Close frame even if it is still sending, and the
    remaining input is drained so that no RST destroys it.
    """
    with contextlib.suppress(Exception):
        await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
        await asyncio.wait_for(_drain_until_eof(reader), CLOSE_TIMEOUT)
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()


async def handle_connection(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    *,
    max_size: int | None = 2**20,
) -> None:
    """Serve one client: handshake, then echo until the closing handshake.

    Args:
        reader, writer: the TCP stream.
        max_size: limit for each frame and each message (close 1009 above it);
            None disables it.
    """
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        writer.close()
        return
    try:
        headers = parse_upgrade_request(head[:-4])
    except HandshakeError as exc:
        body = f"{exc}\n".encode()
        writer.write(
            b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\n"
            + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
            + body
        )
        await _finish(writer, reader)
        return
    # RFC 6455 §4.2.2 item 5: 101 with the accept key.
    writer.write(
        b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + f"Sec-WebSocket-Accept: {accept_key(headers['sec-websocket-key'])}\r\n\r\n".encode()
    )

    decoder = FrameDecoder(max_frame_size=max_size)
    # decode_text=False: text comes back as validated UTF-8 bytes, ready to echo.
    assembler = MessageAssembler(max_message_size=max_size, decode_text=False)
    try:
        while True:
            data = await reader.read(READ_SIZE)
            if not data:
                log.info("peer closed TCP without a closing handshake (1006)")
                writer.close()
                return
            for frame in decoder.feed(data):
                message = assembler.add(frame)
                if message is None:
                    continue  # a fragment of a longer message
                opcode = message.opcode
                if opcode == Opcode.TEXT or opcode == Opcode.BINARY:
                    writer.write(encode_frame(opcode, message.data))
                elif opcode == Opcode.PING:
                    # RFC 6455 §5.5.3: a Pong with the Ping's payload.
                    writer.write(encode_frame(Opcode.PONG, message.data))
                elif opcode == Opcode.CLOSE:
                    code, reason = parse_close(message.data)
                    # RFC 6455 §5.5.1: answer with a Close, echoing the code.
                    reply = b"" if code == 1005 else encode_close(code, reason)
                    writer.write(encode_frame(Opcode.CLOSE, reply))
                    await _finish(writer, reader)
                    return
            await writer.drain()
    except ProtocolError as exc:
        # RFC 6455 §7.1.7: fail the connection with the code wsframe chose.
        log.info("closing with %d: %s", exc.code, exc)
        reason = str(exc).encode("utf-8")[:120].decode("utf-8", "ignore")
        writer.write(encode_frame(Opcode.CLOSE, encode_close(exc.code, reason)))
        await _finish(writer, reader)
    except ConnectionError:
        writer.close()


async def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    max_size: int | None = 2**20,
) -> asyncio.base_events.Server:
    """Start the echo server; ``port=0`` picks a free port.

    Returns:
        The started :class:`asyncio.Server` (``server.sockets[0].getsockname()``
        gives the port; ``server.close()`` stops it).
    """
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await handle_connection(reader, writer, max_size=max_size)

    return await asyncio.start_server(handler, host, port, limit=MAX_REQUEST)


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--max-size", type=int, default=2**20, help="bytes; 0 = no limit")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)

    async def run() -> None:
        server = await serve(args.host, args.port, max_size=args.max_size or None)
        host, port = server.sockets[0].getsockname()[:2]
        print(f"listening on ws://{host}:{port}/", file=sys.stderr)
        async with server:
            await server.serve_forever()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
