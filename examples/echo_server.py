"""An asyncio WebSocket echo server written on wsframe alone.

Run::

    python examples/echo_server.py --port 8765
    # ws://127.0.0.1:8765/ echoes; http://127.0.0.1:8765/echo.html is a test page

Each step uses one wsframe API:

- the opening handshake: :func:`wsframe.handshake.check_request` validates the
  upgrade request (RFC 6455 §4.2.1; a bad one gets the 400 or 426 it carries),
  :func:`wsframe.deflate.respond` answers a permessage-deflate offer (RFC
  7692), :func:`wsframe.handshake.response_headers` builds the 101;
- frames: :class:`wsframe.frames.FrameDecoder` (RSV1 allowed when
  compression was agreed), messages: :class:`wsframe.frames.MessageAssembler`
  with an :class:`wsframe.deflate.Inflater`; replies:
  :func:`wsframe.frames.encode_message` with a :class:`wsframe.deflate.Deflater`;
- pings are answered with pongs, the closing handshake echoes the peer's code
  (RFC 6455 §5.5.1), protocol violations close with the code wsframe reports
  (1002, 1007, 1009 above ``--max-size``);
- the TCP connection ends as RFC 6455 §7.1.1 describes: the server closes
  first, by half-closing (FIN after its Close frame), then reads until the
  client's FIN (bounded by a timeout) so that no unread input turns the close
  into a reset; browsers then report ``wasClean`` for every close code (after a
  1009 only when little of the oversized message remained to be sent: see
  docs/server-guide.md, section 6).

A plain GET of ``/echo.html`` (no Upgrade) returns a small page that opens a
WebSocket to the server that served it; the browser test loads it.
``h2_echo_server.py`` serves the same page and the same echo over HTTP/2 (and
this handler for HTTP/1.1 clients on the same TLS port).

:func:`serve` is also importable (the end-to-end tests use it).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import re
import sys
from collections.abc import Iterable

from wsframe.deflate import DeflateParams, Deflater, Inflater, respond
from wsframe.errors import HandshakeError, ProtocolError
from wsframe.frames import (
    FrameDecoder,
    MessageAssembler,
    Opcode,
    encode_close,
    encode_frame,
    encode_message,
    parse_close,
)
from wsframe.handshake import check_request, response_headers

__all__ = ["PAGE", "PAGE_PATH", "Codec", "handle_connection", "main", "read_request", "serve"]

log = logging.getLogger("wsframe.examples.echo")

MAX_REQUEST = 64 * 1024  # bytes of HTTP request head we accept (StreamReader limit)
CLOSE_TIMEOUT = 5.0  # seconds to wait for the client's FIN after our Close frame
HANDSHAKE_TIMEOUT = 10.0  # seconds to receive the request head
READ_SIZE = 256 * 1024
PAGE_PATH = "/echo.html"

_REQUEST_LINE = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) HTTP/1\.([1-9])\Z")
_REASONS = {200: "OK", 400: "Bad Request", 426: "Upgrade Required", 431: "Request Header Fields Too Large"}


# ------------------------------------------------------------------ HTTP (the caller's part)


def read_request(head: bytes) -> tuple[str, str, list[tuple[bytes, bytes]]]:
    """Split an HTTP/1.1 request head into method, target and header pairs.

    Just enough HTTP for the example: ``wsframe.handshake`` judges the
    WebSocket fields; this only checks the request line's shape (RFC 6455
    §4.2.1 item 1: HTTP/1.1 or higher) and the header lines' syntax.

    Raises:
        HandshakeError: (400) a malformed request line or header line.
    """
    lines = head.split(b"\r\n")
    match = _REQUEST_LINE.match(lines[0])
    if match is None:
        raise HandshakeError(f"bad request line {lines[0][:80]!r} (expected METHOD /path HTTP/1.1)")
    headers: list[tuple[bytes, bytes]] = []
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(b":")
        # RFC 9112 §5.1-5.2: no whitespace before the colon; obs-fold is refused.
        if not sep or not name or name != name.strip() or line[:1] in (b" ", b"\t"):
            raise HandshakeError(f"bad header line {line[:80]!r}")
        headers.append((name, value))
    return match[1].decode("ascii"), match[2].decode("ascii", "replace"), headers


def _http_response(
    status: int,
    headers: Iterable[tuple[str, str]] = (),
    body: bytes = b"",
    *,
    content_type: str = "text/plain; charset=utf-8",
) -> bytes:
    """A complete HTTP/1.1 response that ends the connection (``Connection: close``)."""
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}", "Connection: close"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


# ------------------------------------------------------------------ compression, in one place


class Codec:
    """The frame decoder, message assembler and encoder of one connection.

    All that permessage-deflate changes lives here: with an agreement
    (:class:`wsframe.deflate.DeflateParams`) the decoder allows RSV1, the
    assembler inflates as frames arrive (wire and inflated bytes both bounded
    by ``max_size``: a deflate bomb gets 1009), and data messages are
    compressed on the way out (control frames never are).
    """

    def __init__(self, params: DeflateParams | None, max_size: int | None) -> None:
        self.decoder = FrameDecoder(max_frame_size=max_size, rsv_allowed=4 if params else 0)
        # decode_text=False: text comes back as validated UTF-8 bytes, ready to echo.
        self.assembler = MessageAssembler(
            max_message_size=max_size,
            decode_text=False,
            inflater=Inflater(params) if params else None,
        )
        self.deflater = Deflater(params) if params else None

    def encode(self, opcode: Opcode, data: bytes | str) -> list[bytes]:
        """One data message's frames, compressed when agreed (RSV1 on the first)."""
        payload = data.encode("utf-8") if isinstance(data, str) else data
        return encode_message(opcode, payload, deflater=self.deflater)

    def receive(self, data: bytes) -> tuple[list[bytes], bool]:
        """React to bytes from the client; independent of the transport.

        Returns:
            ``(frames, done)``: the frames to send (echoes, pongs, a Close),
            and whether this side has sent its Close (then the caller ends
            the transport as its protocol says: a TCP half-close here,
            END_STREAM over HTTP/2 in ``h2_echo_server.py``).  Nothing more
            is read once ``done``.
        """
        out: list[bytes] = []
        try:
            for frame in self.decoder.feed(data):
                message = self.assembler.add(frame)
                if message is None:
                    continue  # a fragment of a longer message
                opcode = message.opcode
                if opcode == Opcode.TEXT or opcode == Opcode.BINARY:
                    out += self.encode(opcode, message.data)
                elif opcode == Opcode.PING:
                    # RFC 6455 §5.5.3: a Pong with the Ping's payload.
                    out.append(encode_frame(Opcode.PONG, message.data))
                elif opcode == Opcode.CLOSE:
                    code, reason = parse_close(message.data)
                    # RFC 6455 §5.5.1: answer with a Close, echoing the code.
                    reply = b"" if code == 1005 else encode_close(code, reason)
                    out.append(encode_frame(Opcode.CLOSE, reply))
                    return out, True
        except ProtocolError as exc:
            # RFC 6455 §7.1.7: fail the connection with the code wsframe chose.
            log.info("closing with %d: %s", exc.code, exc)
            reason = str(exc).encode("utf-8")[:120].decode("utf-8", "ignore")
            out.append(encode_frame(Opcode.CLOSE, encode_close(exc.code, reason)))
            return out, True
        return out, False


# ------------------------------------------------------------------ closing the TCP connection


async def _drain_until_eof(reader: asyncio.StreamReader) -> None:
    """Discard input until the peer closes its side."""
    while await reader.read(READ_SIZE):
        pass


async def _finish(writer: asyncio.StreamWriter, reader: asyncio.StreamReader) -> None:
    """End the TCP connection after our Close frame (RFC 6455 §7.1.1).

    The server closes first: a half-close (FIN after the Close frame) tells
    the client we are done while it may still be sending; what it still sends
    (the rest of an oversized message, its Close frame) is read and dropped
    until its FIN or CLOSE_TIMEOUT, so that closing a socket with unread data
    does not send a reset that would destroy our Close frame in flight.

    Over TLS (``h2_echo_server.py``'s HTTP/1.1 path) there is no half-close:
    ``close()`` sends TLS's close_notify, the TLS layer's own "no more data
    from me", and the transport reads until the peer answers with its own.
    """
    with contextlib.suppress(Exception):
        await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
            await asyncio.wait_for(_drain_until_eof(reader), CLOSE_TIMEOUT)
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()


# ------------------------------------------------------------------ one connection


async def handle_connection(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    *,
    max_size: int | None = 2**20,
    compression: bool = True,
) -> None:
    """Serve one client: handshake, then echo until the closing handshake.

    Args:
        reader, writer: the TCP stream.
        max_size: limit for each frame and each message, compressed or
            inflated (close 1009 above it); None disables it.
        compression: negotiate permessage-deflate when the client offers it.
    """
    try:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), HANDSHAKE_TIMEOUT)
    except asyncio.LimitOverrunError:
        # RFC 6585 §5: a head past MAX_REQUEST gets 431, then the connection ends.
        writer.write(_http_response(431, body=b"request head too large\n"))
        await _finish(writer, reader)
        return
    except (asyncio.IncompleteReadError, OSError, asyncio.TimeoutError):
        # The client went away (a reset, a TLS error, a network gone: every
        # OSError), or sent no complete head within HANDSHAKE_TIMEOUT.
        writer.close()
        return
    try:
        method, target, headers = read_request(head[:-4])
        if method == "GET" and target == PAGE_PATH and not any(name.lower() == b"upgrade" for name, _ in headers):
            writer.write(_http_response(200, body=PAGE.encode(), content_type="text/html; charset=utf-8"))
            await _finish(writer, reader)
            return
        request = check_request(method, headers)
        # RFC 7692 §5-7: accept the first acceptable permessage-deflate offer, if any.
        agreement = respond(request.extensions) if compression and request.extensions else None
    except HandshakeError as exc:
        log.info("refused handshake (%d): %s", exc.status, exc)
        writer.write(_http_response(exc.status, exc.headers, f"{exc}\n".encode()))
        await _finish(writer, reader)
        return
    params, extensions = agreement if agreement is not None else (None, None)
    head_lines = ["HTTP/1.1 101 Switching Protocols"] + [
        f"{name}: {value}" for name, value in response_headers(request.key, extensions=extensions)
    ]
    writer.write(("\r\n".join(head_lines) + "\r\n\r\n").encode("latin-1"))
    await _echo(reader, writer, Codec(params, max_size))


async def _echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, codec: Codec) -> None:
    try:
        while True:
            data = await reader.read(READ_SIZE)
            if not data:
                log.info("peer closed TCP without a closing handshake (1006)")
                writer.close()
                return
            frames, done = codec.receive(data)
            writer.writelines(frames)
            if done:
                await _finish(writer, reader)
                return
            await writer.drain()
    except OSError:  # a reset, a TLS error, a network gone (ETIMEDOUT): the peer is gone
        writer.close()


async def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    max_size: int | None = 2**20,
    compression: bool = True,
) -> asyncio.base_events.Server:
    """Start the echo server; ``port=0`` picks a free port.

    Returns:
        The started :class:`asyncio.Server` (``server.sockets[0].getsockname()``
        gives the port; ``server.close()`` stops it).
    """

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await handle_connection(reader, writer, max_size=max_size, compression=compression)

    return await asyncio.start_server(handler, host, port, limit=MAX_REQUEST)


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--max-size", type=int, default=2**20, help="bytes; 0 = no limit")
    parser.add_argument("--no-compression", action="store_true", help="decline permessage-deflate")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)

    async def run() -> None:
        server = await serve(args.host, args.port, max_size=args.max_size or None, compression=not args.no_compression)
        host, port = server.sockets[0].getsockname()[:2]
        print(
            f"listening on ws://{host}:{port}/ (test page: http://{host}:{port}{PAGE_PATH})",
            file=sys.stderr,
            flush=True,
        )
        async with server:
            await server.serve_forever()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>wsframe echo</title></head>
<body>
<h1>wsframe echo server</h1>
<form id="form"><input id="input" size="40" value="hello"> <button>send</button></form>
<pre id="log"></pre>
<script>
"use strict";
const log = (line) => { document.getElementById("log").textContent += line + "\\n"; };
const ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/`);
ws.onopen = () => log(`open (extensions: ${ws.extensions || "none"})`);
ws.onmessage = (event) => log(`echo: ${event.data}`);
ws.onclose = (event) => log(`close ${event.code} ${event.reason} wasClean=${event.wasClean}`);
document.getElementById("form").onsubmit = (event) => {
  event.preventDefault();
  ws.send(document.getElementById("input").value);
};
</script>
</body></html>
"""


if __name__ == "__main__":
    main()
