"""A WebSocket echo server over HTTP/2 (RFC 8441) and HTTP/1.1, on one TLS port.

Run::

    python examples/h2_echo_server.py --port 8443 --certfile cert.pem --keyfile key.pem
    # https://127.0.0.1:8443/echo.html is the test page; wss://127.0.0.1:8443/ echoes

TLS with ALPN picks the protocol of each connection:

- ``h2``: the ``h2`` package does the HTTP/2 framing (HPACK, streams, flow
  control); the server advertises SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (RFC
  8441 §3), so a browser that loaded the page over HTTP/2 opens its WebSocket
  as an extended CONNECT on a new stream of the same connection.
  :func:`wsframe.handshake.check_connect_request` validates it (RFC 8441 §4-§5),
  :func:`wsframe.deflate.respond` answers a permessage-deflate offer, and
  :func:`wsframe.handshake.connect_response_headers` builds the 200.  The
  stream then carries WebSocket frames, handled by the same
  :class:`echo_server.Codec` as over TCP (decoder, assembler, inflater and
  deflater, the same limits: 1009 above ``--max-size``).
- ``http/1.1`` (or no ALPN): ``echo_server.handle_connection``, the Upgrade
  handshake of RFC 6455, unchanged.

HTTP/2 flow control is honoured both ways: the server never sends more than
the peer's stream and connection windows allow (``h2`` would refuse), queues
the rest until a WINDOW_UPDATE, and hands the window back for what it has
processed - but not while its own queue for that stream is above
``HIGH_WATER``, so a client that sends without reading is slowed by its own
window rather than filling the server's memory.

The end of a WebSocket (RFC 8441 §5, "the HTTP/2 stream closure is also
analogous to the TCP connection closure"): after its Close frame the server
ends the stream with END_STREAM (the half-close), drops what the client still
sends until the client's END_STREAM, and resets the stream (RST_STREAM,
CANCEL) if that does not come within ``CLOSE_TIMEOUT``.  An RST_STREAM from
the client aborts its WebSocket at once; other streams go on.

:func:`serve` and :func:`tls_context` are importable (the tests use them);
``serve(..., record=[])`` appends one :class:`StreamRecord` per WebSocket, so
that tests can see from the server side what each browser WebSocket was.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import logging
import os
import ssl
import sys

from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.errors import ErrorCodes
from h2.events import (
    ConnectionTerminated,
    DataReceived,
    RemoteSettingsChanged,
    RequestReceived,
    StreamEnded,
    StreamReset,
    WindowUpdated,
)
from h2.exceptions import NoSuchStreamError, StreamIDTooLowError
from h2.exceptions import ProtocolError as H2ProtocolError
from h2.settings import SettingCodes, Settings

from wsframe.deflate import respond
from wsframe.errors import HandshakeError
from wsframe.handshake import check_connect_request, connect_response_headers

# The HTTP/1.1 example beside this file (examples/ is not a package): its page, its
# per-connection codec and its whole HTTP/1.1 connection handler are reused as they are.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import echo_server

__all__ = ["PAGE_PATH", "StreamRecord", "main", "serve", "tls_context"]

log = logging.getLogger("wsframe.examples.h2_echo")

PAGE_PATH = echo_server.PAGE_PATH
CLOSE_TIMEOUT = echo_server.CLOSE_TIMEOUT  # seconds for the client's END_STREAM after ours
# Seconds a connection may stay without a stream of ours (before its first request, or
# once its streams are done): the HTTP/1.1 path's bound on a request head.
IDLE_TIMEOUT = echo_server.HANDSHAKE_TIMEOUT
READ_SIZE = 256 * 1024
HIGH_WATER = 4 * 2**20  # bytes queued for one stream above which its window is not handed back
MAX_CONCURRENT_STREAMS = 100


@dataclasses.dataclass
class StreamRecord:
    """What the server saw of one WebSocket over HTTP/2 (for tests and logs).

    Attributes:
        stream_id: the HTTP/2 stream.
        headers: the extended CONNECT's header list, as received.
        extensions: the sec-websocket-extensions value answered (None: no compression).
        after_page: whether this HTTP/2 connection had served the page before
            (a browser's WebSocket on the connection of the page that opened it).
        close_code: the code of the Close frame the server sent, once sent.
        outcome: ``"open"``; then ``"closed"`` (END_STREAM both ways), ``"reset"``
            (the client's RST_STREAM) or ``"timeout"`` (the server reset the stream).
    """

    stream_id: int
    headers: list[tuple[str, str]]
    extensions: str | None
    after_page: bool = False
    close_code: int | None = None
    outcome: str = "open"


class _Stream:
    """One stream's outgoing queue, and its WebSocket when it carries one."""

    def __init__(self, codec: echo_server.Codec | None = None, record: StreamRecord | None = None) -> None:
        self.codec = codec
        self.record = record
        self.outbox = bytearray()
        self.end_after = False  # END_STREAM once the outbox is sent
        self.done = False  # our Close is queued: what the client still sends is dropped
        self.unacked = 0  # received bytes not yet handed back (the queue was above HIGH_WATER)
        self.local_ended = self.remote_ended = False  # END_STREAM sent / received
        self.timer: asyncio.TimerHandle | None = None


class _Connection:
    """One HTTP/2 connection: the page, and one WebSocket per extended CONNECT stream."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        max_size: int | None,
        compression: bool,
        record: list[StreamRecord] | None,
    ) -> None:
        self.reader, self.writer = reader, writer
        self.max_size, self.compression, self.record = max_size, compression, record
        self.h2 = H2Connection(H2Configuration(client_side=False, header_encoding=None))
        # RFC 8441 §3: SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 in the server's first SETTINGS.
        self.h2.local_settings = Settings(
            client=False,
            initial_values={
                SettingCodes.MAX_CONCURRENT_STREAMS: MAX_CONCURRENT_STREAMS,
                SettingCodes.ENABLE_CONNECT_PROTOCOL: 1,
            },
        )
        self.streams: dict[int, _Stream] = {}
        self.page_served = False

    async def run(self) -> None:
        self.h2.initiate_connection()
        self._send()
        try:
            while True:
                # No WebSocket open: a client that sends no request (not even the
                # preface) is let go after IDLE_TIMEOUT, with a GOAWAY.
                timeout = None if self.streams else IDLE_TIMEOUT
                try:
                    data = await asyncio.wait_for(self.reader.read(READ_SIZE), timeout)
                except asyncio.TimeoutError:
                    log.info("no request in %ss, closing the connection", IDLE_TIMEOUT)
                    self.h2.close_connection()
                    self._send()
                    break
                if not data:
                    break
                try:
                    events = self.h2.receive_data(data)
                except H2ProtocolError as exc:  # h2 has queued a GOAWAY
                    log.info("HTTP/2 protocol error: %s", exc)
                    self._send()
                    break
                for event in events:
                    if isinstance(event, ConnectionTerminated):
                        return
                    try:
                        self._dispatch(event)
                    except (NoSuchStreamError, StreamIDTooLowError) as exc:
                        # The client reset the stream in the same read as this event
                        # (its StreamReset follows; h2 may have forgotten the stream
                        # already): nothing to answer on it, and the connection's
                        # other streams go on (RFC 9113 §5.4.2).
                        log.info("stream %s was reset before it could be answered", exc.stream_id)
                self._flush_all()
                await self.writer.drain()
        except OSError:  # a reset, a TLS error, a network gone: the client is gone
            pass
        finally:
            for stream in self.streams.values():
                if stream.timer is not None:
                    stream.timer.cancel()
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()

    # ------------------------------------------------------------------ events

    def _dispatch(self, event: object) -> None:
        if isinstance(event, RequestReceived):
            self._request(event.stream_id, event.headers or [])
        elif isinstance(event, DataReceived):
            self._data(event.stream_id, event.data or b"", event.flow_controlled_length or 0)
        elif isinstance(event, StreamEnded):
            self._ended(event.stream_id)
        elif isinstance(event, StreamReset):
            # RFC 8441 §5: an RST_STREAM stands for a TCP reset: the WebSocket is aborted.
            stream = self.streams.pop(event.stream_id, None)
            if stream is not None:
                log.info("stream %d reset by the client (code %s)", event.stream_id, event.error_code)
                self._forget(stream, "reset")
        elif isinstance(event, (WindowUpdated, RemoteSettingsChanged)):
            pass  # _flush_all, after every batch, sends what the new windows allow

    def _request(self, stream_id: int, raw: list[tuple[bytes, bytes]]) -> None:
        headers = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in raw]
        pseudo = dict(item for item in headers if item[0].startswith(":"))
        if pseudo.get(":method") != "CONNECT":
            self._page(stream_id, pseudo)
            return
        if pseudo.get(":protocol", "websocket").lower() != "websocket":
            # RFC 9220 §3 / RFC 8441: an extended CONNECT for a protocol we do not speak.
            self._respond(stream_id, 501, b"only :protocol websocket is served here\n")
            return
        try:
            request = check_connect_request(headers)  # RFC 8441 §4-§5
            # RFC 7692: accept the first acceptable permessage-deflate offer, if any.
            agreement = respond(request.extensions) if self.compression and request.extensions else None
        except HandshakeError as exc:
            log.info("refused extended CONNECT (%d): %s", exc.status, exc)
            self._respond(stream_id, exc.status, f"{exc}\n".encode(), list(exc.headers))
            return
        params, extensions = agreement if agreement is not None else (None, None)
        record = StreamRecord(stream_id, headers, extensions, after_page=self.page_served)
        if self.record is not None:
            self.record.append(record)
        self.streams[stream_id] = _Stream(echo_server.Codec(params, self.max_size), record)
        # The 200 opens the WebSocket (no END_STREAM: the stream now carries its frames).
        self.h2.send_headers(stream_id, connect_response_headers(extensions=extensions))

    def _data(self, stream_id: int, data: bytes, flow_controlled: int) -> None:
        stream = self.streams.get(stream_id)
        if stream is None or stream.codec is None or stream.done:
            # Nothing to do with it (after our Close, or a request body): hand the window back.
            self.h2.acknowledge_received_data(flow_controlled, stream_id)
            return
        frames, stream.done = stream.codec.receive(data)
        for frame in frames:
            stream.outbox += frame
        if stream.done:
            self._close_sent(stream_id, stream, frames[-1])
        stream.unacked += flow_controlled
        self._hand_back(stream_id, stream)

    def _ended(self, stream_id: int) -> None:
        """The client's END_STREAM: its half of the stream is closed."""
        stream = self.streams.get(stream_id)
        if stream is None:
            return
        stream.remote_ended = True
        if stream.codec is not None and not stream.done:
            # RFC 6455 §7.1.5 via RFC 8441 §5: the "TCP connection" closed without a Close (1006).
            log.info("stream %d ended without a closing handshake (1006)", stream_id)
            stream.done = stream.end_after = True
        # _flush ends our side too, and forgets the stream once both sides are closed.

    # ------------------------------------------------------------------ closing

    def _close_sent(self, stream_id: int, stream: _Stream, close_frame: bytes) -> None:
        """Our Close is queued: END_STREAM after it, and a deadline for the client's."""
        if stream.record is not None:
            payload = close_frame[2:]  # a server's Close: 2-byte header, unmasked, <= 125 bytes
            stream.record.close_code = int.from_bytes(payload[:2], "big") if payload else 1005
        stream.end_after = True
        stream.timer = asyncio.get_running_loop().call_later(CLOSE_TIMEOUT, self._expire, stream_id)

    def _expire(self, stream_id: int) -> None:
        stream = self.streams.pop(stream_id, None)
        if stream is None:
            return
        stream.timer = None
        log.info("stream %d: no END_STREAM from the client in %ss, resetting it", stream_id, CLOSE_TIMEOUT)
        with contextlib.suppress(H2ProtocolError):
            self.h2.reset_stream(stream_id, ErrorCodes.CANCEL)
        self._forget(stream, "timeout")
        self._send()

    def _forget(self, stream: _Stream, outcome: str) -> None:
        if stream.timer is not None:
            stream.timer.cancel()
            stream.timer = None
        if stream.record is not None:
            stream.record.outcome = outcome

    # ------------------------------------------------------------------ sending

    def _page(self, stream_id: int, pseudo: dict[str, str]) -> None:
        if pseudo.get(":method") == "GET" and pseudo.get(":path") == PAGE_PATH:
            body = echo_server.PAGE.encode("utf-8")
            self._respond(stream_id, 200, body, content_type="text/html; charset=utf-8")
            self.page_served = True
        else:
            self._respond(stream_id, 404, b"not found\n")

    def _respond(
        self,
        stream_id: int,
        status: int,
        body: bytes,
        headers: list[tuple[str, str]] | None = None,
        *,
        content_type: str = "text/plain; charset=utf-8",
    ) -> None:
        """A whole response; the body goes out as the windows allow, then END_STREAM."""
        self.h2.send_headers(
            stream_id,
            [
                (":status", str(status)),
                *(headers or []),
                ("content-type", content_type),
                ("content-length", str(len(body))),
            ],
            end_stream=not body,
        )
        if body:
            stream = self.streams[stream_id] = _Stream()
            stream.outbox += body
            stream.end_after = True

    def _hand_back(self, stream_id: int, stream: _Stream) -> None:
        """Acknowledge processed input unless this stream's queue is too long."""
        if stream.unacked and len(stream.outbox) <= HIGH_WATER:
            self.h2.acknowledge_received_data(stream.unacked, stream_id)
            stream.unacked = 0

    def _flush_all(self) -> None:
        for stream_id, stream in list(self.streams.items()):
            self._flush(stream_id, stream)
        self._send()

    def _flush(self, stream_id: int, stream: _Stream) -> None:
        """Send what the peer's windows allow (RFC 9113 §5.2); END_STREAM when due."""
        while stream.outbox:
            size = min(self.h2.local_flow_control_window(stream_id), self.h2.max_outbound_frame_size)
            if size <= 0:
                break  # wait for a WINDOW_UPDATE
            chunk = bytes(stream.outbox[:size])
            del stream.outbox[:size]
            self.h2.send_data(stream_id, chunk)
        if stream.codec is not None:
            self._hand_back(stream_id, stream)
        if stream.outbox:
            return
        if stream.end_after and not stream.local_ended:
            self.h2.end_stream(stream_id)
            stream.local_ended = True
        if stream.codec is None:
            if stream.local_ended:
                self.streams.pop(stream_id, None)  # a page or an error: done
        elif stream.local_ended and stream.remote_ended:
            # END_STREAM both ways: the WebSocket's orderly end (RFC 8441 §5).
            self.streams.pop(stream_id, None)
            self._forget(stream, "closed")

    def _send(self) -> None:
        data = self.h2.data_to_send()
        if data:
            self.writer.write(data)


def tls_context(certfile: str, keyfile: str | None = None) -> ssl.SSLContext:
    """A server TLS context offering ``h2`` and ``http/1.1`` by ALPN (RFC 7301).

    RFC 9113 §9.2: HTTP/2 over TLS uses TLS 1.2 or later.
    """
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile, keyfile)
    context.set_alpn_protocols(["h2", "http/1.1"])
    return context


async def serve(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    ssl_context: ssl.SSLContext,
    max_size: int | None = 2**20,
    compression: bool = True,
    record: list[StreamRecord] | None = None,
) -> asyncio.base_events.Server:
    """Start the server; ``port=0`` picks a free port.

    Args:
        ssl_context: from :func:`tls_context` (ALPN decides HTTP/2 or HTTP/1.1).
        max_size: limit for each frame and each message, compressed or
            inflated (close 1009 above it); None disables it.
        compression: negotiate permessage-deflate when the client offers it.
        record: when a list, one :class:`StreamRecord` per HTTP/2 WebSocket is appended.
    """

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        tls = writer.get_extra_info("ssl_object")
        if tls is not None and tls.selected_alpn_protocol() == "h2":
            connection = _Connection(reader, writer, max_size=max_size, compression=compression, record=record)
            await connection.run()
        else:
            await echo_server.handle_connection(reader, writer, max_size=max_size, compression=compression)

    return await asyncio.start_server(handler, host, port, ssl=ssl_context, limit=echo_server.MAX_REQUEST)


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--certfile", required=True, help="PEM certificate (chain)")
    parser.add_argument("--keyfile", help="PEM private key (if not in --certfile)")
    parser.add_argument("--max-size", type=int, default=2**20, help="bytes; 0 = no limit")
    parser.add_argument("--no-compression", action="store_true", help="decline permessage-deflate")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)

    async def run() -> None:
        server = await serve(
            args.host,
            args.port,
            ssl_context=tls_context(args.certfile, args.keyfile),
            max_size=args.max_size or None,
            compression=not args.no_compression,
        )
        host, port = server.sockets[0].getsockname()[:2]
        print(
            f"listening on https://{host}:{port}{PAGE_PATH} (HTTP/2 and HTTP/1.1; wss://{host}:{port}/)",
            file=sys.stderr,
            flush=True,
        )
        async with server:
            await server.serve_forever()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
