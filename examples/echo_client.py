"""A WebSocket client on wsframe alone (asyncio streams, no other library).

Run against any echo server::

    python examples/echo_client.py ws://127.0.0.1:8765/ "hello" "wörld"
    python examples/echo_client.py ws://127.0.0.1:8765/ --no-compression

Each step uses one wsframe API:

- the opening handshake (RFC 6455 §4.1): :func:`wsframe.handshake.new_key`,
  :func:`wsframe.handshake.request_headers` (offering permessage-deflate with
  :func:`wsframe.deflate.offer`), then :func:`wsframe.handshake.check_response`
  and :func:`wsframe.deflate.accept_response` on the server's answer;
- frames: :class:`wsframe.frames.FrameDecoder` ``(client=True)``,
  :class:`wsframe.frames.MessageAssembler` with an
  :class:`wsframe.deflate.Inflater`, :func:`wsframe.frames.encode_message`
  ``(masked=True)`` with a :class:`wsframe.deflate.Deflater` — a client masks
  every frame (RFC 6455 §5.3);
- the closing handshake (§7.1.2): send a Close, wait for the server's, then
  wait for the server to close TCP first (§7.1.1), bounded by a timeout.

:class:`Client` is importable (tests/e2e/test_e2e_client.py uses it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from urllib.parse import urlsplit

from wsframe.deflate import DeflateParams, Deflater, Inflater, accept_response, offer
from wsframe.errors import HandshakeError, ProtocolError
from wsframe.frames import (
    FrameDecoder,
    Message,
    MessageAssembler,
    Opcode,
    encode_close,
    encode_frame,
    encode_message,
    new_mask,
    parse_close,
)
from wsframe.handshake import check_response, new_key, request_headers

__all__ = ["Client", "ConnectionClosed", "main"]

TIMEOUT = 10.0
READ_SIZE = 256 * 1024
MAX_RESPONSE = 64 * 1024


class ConnectionClosed(Exception):
    """The connection is closed; ``code`` and ``reason`` are the server's Close."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"connection closed: {code} {reason!r}")
        self.code = code
        self.reason = reason


class Client:
    """One client connection: :meth:`connect`, :meth:`send`, :meth:`recv`, :meth:`close`.

    Attributes:
        subprotocol: the subprotocol the server chose, or None.
        extensions: the server's Sec-WebSocket-Extensions value, or None.
        params: the permessage-deflate agreement, or None.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self.subprotocol: str | None = None
        self.extensions: str | None = None
        self.params: DeflateParams | None = None
        self._decoder = FrameDecoder(client=True)
        self._assembler = MessageAssembler(max_message_size=None)
        self._deflater: Deflater | None = None
        self._messages: list[Message] = []
        self.close_code: int | None = None
        self.close_reason = ""
        self._close_sent = False

    @classmethod
    async def connect(
        cls,
        uri: str,
        *,
        subprotocols: tuple[str, ...] = (),
        compression: bool = True,
        max_size: int | None = 2**20,
    ) -> Client:
        """Open a TCP connection to ``ws://host:port/path`` and do the handshake.

        Args:
            uri: a ``ws://`` URI (``wss://`` is left out of this example).
            subprotocols: names to offer.
            compression: offer permessage-deflate.
            max_size: limit for frames and messages received (1009 above it).

        Raises:
            HandshakeError: the server's answer fails RFC 6455 §4.1 or RFC 7692 §7.1.
        """
        parts = urlsplit(uri)
        if parts.scheme != "ws" or not parts.hostname:
            raise ValueError(f"not a ws:// URI: {uri!r}")
        port = parts.port or 80
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(parts.hostname, port, limit=MAX_RESPONSE), TIMEOUT
        )
        self = cls(reader, writer)
        key = new_key()
        offered = offer() if compression else None
        host = parts.netloc.rpartition("@")[2]
        headers = request_headers(host, key=key, subprotocols=subprotocols, extensions=offered)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        lines = [f"GET {target} HTTP/1.1"] + [f"{name}: {value}" for name, value in headers]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), TIMEOUT)
            status, response = _read_response(head[:-4])
            self.subprotocol, self.extensions = check_response(
                status, response, key=key, subprotocols=subprotocols, extensions=offered
            )
            if self.extensions is not None and offered is not None:
                self.params = accept_response(self.extensions, offered)
            self._setup(max_size)
        except BaseException:
            writer.close()
            raise
        return self

    def _setup(self, max_size: int | None) -> None:
        """Everything compression changes: RSV1 allowed, inflating, deflating (RFC 7692)."""
        params = self.params
        self._decoder = FrameDecoder(client=True, max_frame_size=max_size, rsv_allowed=4 if params else 0)
        self._assembler = MessageAssembler(
            max_message_size=max_size,
            inflater=Inflater(params, client=True) if params else None,
        )
        self._deflater = Deflater(params, client=True) if params else None

    async def send(self, data: str | bytes) -> None:
        """Send one text (str) or binary (bytes) message, masked."""
        opcode = Opcode.TEXT if isinstance(data, str) else Opcode.BINARY
        payload = data.encode("utf-8") if isinstance(data, str) else data
        self._writer.writelines(encode_message(opcode, payload, masked=True, deflater=self._deflater))
        await self._writer.drain()

    async def ping(self, payload: bytes = b"") -> None:
        """Send a Ping (its Pong comes back through :meth:`recv`'s bookkeeping)."""
        self._writer.write(encode_frame(Opcode.PING, payload, mask=new_mask()))
        await self._writer.drain()

    async def recv(self, *, pongs: bool = False) -> str | bytes:
        """The next data message (or Pong payload with ``pongs=True``).

        Raises:
            ConnectionClosed: the server closed the connection.
            ProtocolError: the server broke RFC 6455 (we closed with its code).
        """
        while True:
            while self._messages:
                message = self._messages.pop(0)
                if message.opcode in (Opcode.TEXT, Opcode.BINARY):
                    return message.data
                if message.opcode == Opcode.PONG and pongs:
                    return message.data
                if message.opcode == Opcode.PING:
                    self._writer.write(encode_frame(Opcode.PONG, message.data, mask=new_mask()))
                elif message.opcode == Opcode.CLOSE:
                    await self._answer_close(message.data)
            data = await asyncio.wait_for(self._reader.read(READ_SIZE), TIMEOUT)
            if not data:
                raise ConnectionClosed(1006, "TCP closed without a Close frame")
            try:
                for frame in self._decoder.feed(data):
                    complete = self._assembler.add(frame)
                    if complete is not None:
                        self._messages.append(complete)
            except ProtocolError as exc:
                await self._fail(exc)
                raise

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """The closing handshake (RFC 6455 §7.1.2), then wait for the server's FIN."""
        self._writer.write(encode_frame(Opcode.CLOSE, encode_close(code, reason), mask=new_mask()))
        self._close_sent = True
        with contextlib.suppress(ConnectionClosed, asyncio.TimeoutError, ProtocolError, ConnectionError):
            while True:
                await self.recv()

    async def _answer_close(self, payload: bytes | str) -> None:
        code, reason = parse_close(payload if isinstance(payload, bytes) else payload.encode())
        if not self._close_sent:  # the server started the closing handshake: echo it
            self._close_sent = True
            self._writer.write(
                encode_frame(Opcode.CLOSE, b"" if code == 1005 else encode_close(code, reason), mask=new_mask())
            )
        self.close_code, self.close_reason = code, reason
        await self._wait_for_server_close()
        raise ConnectionClosed(code, reason)

    async def _fail(self, exc: ProtocolError) -> None:
        self._writer.write(encode_frame(Opcode.CLOSE, encode_close(exc.code), mask=new_mask()))
        self._close_sent = True
        self.close_code = exc.code
        await self._wait_for_server_close()

    async def _wait_for_server_close(self) -> None:
        # RFC 6455 §7.1.1: the server should close TCP first; don't wait forever.
        with contextlib.suppress(Exception):
            await self._writer.drain()
            await asyncio.wait_for(self._drain(), TIMEOUT)
        self._writer.close()
        with contextlib.suppress(Exception):
            await self._writer.wait_closed()

    async def _drain(self) -> None:
        while await self._reader.read(READ_SIZE):
            pass


def _read_response(head: bytes) -> tuple[int, list[tuple[bytes, bytes]]]:
    """Status code and header pairs of an HTTP/1.1 response head (the caller's part)."""
    lines = head.split(b"\r\n")
    version, _, rest = lines[0].partition(b" ")
    status = rest[:3]
    if not version.startswith(b"HTTP/1.") or not status.isdigit():
        raise HandshakeError(f"bad status line {lines[0][:80]!r}")
    headers = []
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep:
            raise HandshakeError(f"bad header line {line[:80]!r}")
        headers.append((name, value))
    return int(status), headers


async def _run(uri: str, messages: list[str], compression: bool) -> None:
    client = await Client.connect(uri, compression=compression)
    print(f"connected; extensions: {client.extensions or 'none'}")
    for text in messages:
        await client.send(text)
        reply = await client.recv()
        print(f"sent {text!r}, got {reply!r}")
    await client.close()
    print(f"closed: {client.close_code} {client.close_reason!r}")


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("uri")
    parser.add_argument("messages", nargs="*", default=["hello", "h\u00e9llo \u20ac"])
    parser.add_argument("--no-compression", action="store_true")
    args = parser.parse_args(argv)
    try:
        asyncio.run(_run(args.uri, args.messages, not args.no_compression))
    except (HandshakeError, ProtocolError, ConnectionClosed, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
