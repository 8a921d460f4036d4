"""Helpers for the WebSocket-over-HTTP/2 tests: a TLS certificate and an HTTP/2 client.

- :func:`self_signed_certificate` writes a fresh key and self-signed
  certificate for ``localhost`` / ``127.0.0.1`` (the ``cryptography``
  package) and returns the SPKI hash that Chromium's
  ``--ignore-certificate-errors-spki-list`` takes.
- :class:`H2Client` is an HTTP/2 client built on ``h2`` (the test's own, so
  that every frame the server sends can be checked): GET requests, and
  WebSockets opened by extended CONNECT (RFC 8441) with wsframe's client-side
  helpers.  It honours flow control as the tests tell it: its stream window
  (SETTINGS_INITIAL_WINDOW_SIZE) is chosen by the test, and it can stop
  handing the window back.  ``h2`` itself refuses DATA beyond the window
  it advertised (a FlowControlError), so a server that overran it fails the test.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import ipaddress
import os
import ssl
from dataclasses import dataclass, field
from typing import Any

import pytest

# Only the HTTP/2 tests import this module, after skipping where these are missing.
pytest.importorskip("h2")
pytest.importorskip("cryptography")

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.events import (
    ConnectionTerminated,
    DataReceived,
    PingAckReceived,
    RemoteSettingsChanged,
    ResponseReceived,
    StreamEnded,
    StreamReset,
    WindowUpdated,
)
from h2.settings import SettingCodes, Settings

from wsframe.deflate import Deflater, Inflater, accept_response
from wsframe.frames import FrameDecoder, Message, MessageAssembler, Opcode, encode_message
from wsframe.handshake import check_connect_response, connect_request_headers

__all__ = ["H2Client", "H2WebSocket", "TIMEOUT", "self_signed_certificate"]

TIMEOUT = 20.0  # seconds for any one wait


def self_signed_certificate(directory: str) -> tuple[str, str, str]:
    """Write ``cert.pem`` and ``key.pem`` (P-256, valid for a day) into ``directory``.

    Returns:
        ``(certfile, keyfile, spki)``: the paths, and the base64 SHA-256 of the
        certificate's SubjectPublicKeyInfo (Chromium's SPKI pin format).
    """
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = os.path.join(directory, "cert.pem"), os.path.join(directory, "key.pem")
    with open(certfile, "wb") as f:
        f.write(certificate.public_bytes(serialization.Encoding.PEM))
    with open(keyfile, "wb") as f:
        f.write(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return certfile, keyfile, base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")


@dataclass
class _Stream:
    headers: list[tuple[str, str]] | None = None
    data: asyncio.Queue[bytes | None] = field(default_factory=asyncio.Queue)  # None: END_STREAM
    ended: bool = False
    reset: int | None = None  # the RST_STREAM error code
    received: int = 0  # DATA bytes, flow-controlled
    largest_frame: int = 0
    response: asyncio.Event = field(default_factory=asyncio.Event)


class H2Client:
    """An HTTP/2 connection over TLS (ALPN h2) to 127.0.0.1."""

    def __init__(self, *, window: int = 65535, acknowledge: bool = True) -> None:
        self.window = window
        self.acknowledge = acknowledge
        config = H2Configuration(client_side=True, header_encoding="latin-1")
        self.h2 = H2Connection(config)
        # SETTINGS_INITIAL_WINDOW_SIZE: the window of each stream the server sends on.
        self.h2.local_settings = Settings(client=True, initial_values={SettingCodes.INITIAL_WINDOW_SIZE: window})
        self.streams: dict[int, _Stream] = {}
        self.settings: dict[int, int] = {}
        self.settings_received = asyncio.Event()
        self.window_updates = 0  # WINDOW_UPDATE frames from the server
        self.window_opened = asyncio.Event()
        self.pings: dict[bytes, asyncio.Event] = {}
        self.terminated: ConnectionTerminated | None = None
        self.closed = asyncio.Event()

    async def connect(self, port: int, cafile: str, alpn: str = "h2") -> None:
        context = ssl.create_default_context(cafile=cafile)
        context.set_alpn_protocols([alpn])
        self.reader, self.writer = await asyncio.wait_for(
            asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname="localhost"),
            TIMEOUT,
        )
        assert self.writer.get_extra_info("ssl_object").selected_alpn_protocol() == "h2"
        self.h2.initiate_connection()
        self._send()
        self.pump = asyncio.create_task(self._read())
        await asyncio.wait_for(self.settings_received.wait(), TIMEOUT)

    async def close(self) -> None:
        if not self.closed.is_set():
            self.h2.close_connection()
            self._send()
        self.writer.close()
        self.pump.cancel()
        try:
            await self.pump
        except (asyncio.CancelledError, Exception):
            pass

    def _send(self) -> None:
        data = self.h2.data_to_send()
        if data:
            self.writer.write(data)

    async def _read(self) -> None:
        try:
            while data := await self.reader.read(65536):
                for event in self.h2.receive_data(data):
                    self._event(event)
                self._send()
        finally:
            self.closed.set()
            for stream in self.streams.values():
                stream.data.put_nowait(None)
                stream.response.set()

    def _event(self, event: Any) -> None:
        if isinstance(event, RemoteSettingsChanged):
            self.settings.update({code: change.new_value for code, change in event.changed_settings.items()})
            self.settings_received.set()
            self.window_opened.set()
        elif isinstance(event, ResponseReceived):
            stream = self.streams[event.stream_id]
            stream.headers = list(event.headers)
            stream.response.set()
        elif isinstance(event, DataReceived):
            stream = self.streams[event.stream_id]
            stream.received += event.flow_controlled_length
            stream.largest_frame = max(stream.largest_frame, event.flow_controlled_length)
            stream.data.put_nowait(event.data)
            if self.acknowledge:
                self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, StreamEnded):
            self.streams[event.stream_id].ended = True
            self.streams[event.stream_id].data.put_nowait(None)
        elif isinstance(event, StreamReset):
            stream = self.streams[event.stream_id]
            stream.reset = event.error_code
            stream.data.put_nowait(None)
            stream.response.set()
        elif isinstance(event, WindowUpdated):
            self.window_updates += 1
            self.window_opened.set()
        elif isinstance(event, PingAckReceived):
            self.pings[event.ping_data].set()
        elif isinstance(event, ConnectionTerminated):
            self.terminated = event

    # ------------------------------------------------------------------ requests

    def request(self, headers: list[tuple[str, str]], *, end_stream: bool) -> int:
        stream_id = self.h2.get_next_available_stream_id()
        self.streams[stream_id] = _Stream()
        self.h2.send_headers(stream_id, headers, end_stream=end_stream)
        self._send()
        return stream_id

    async def response(self, stream_id: int) -> list[tuple[str, str]]:
        stream = self.streams[stream_id]
        await asyncio.wait_for(stream.response.wait(), TIMEOUT)
        assert stream.headers is not None, f"stream {stream_id} was reset ({stream.reset})"
        return stream.headers

    async def body(self, stream_id: int) -> bytes:
        """The rest of the stream's data, up to END_STREAM."""
        chunks = []
        while (chunk := await asyncio.wait_for(self.streams[stream_id].data.get(), TIMEOUT)) is not None:
            chunks.append(chunk)
        return b"".join(chunks)

    async def get(self, path: str) -> tuple[list[tuple[str, str]], bytes]:
        stream_id = self.request(
            [(":method", "GET"), (":scheme", "https"), (":authority", "localhost"), (":path", path)],
            end_stream=True,
        )
        return await self.response(stream_id), await self.body(stream_id)

    async def send(self, stream_id: int, data: bytes, *, end_stream: bool = False) -> None:
        """Send within the server's windows, waiting for WINDOW_UPDATEs (RFC 9113 §5.2)."""
        view = memoryview(data)
        while view:
            size = min(self.h2.local_flow_control_window(stream_id), self.h2.max_outbound_frame_size, len(view))
            if size <= 0:
                self.window_opened.clear()
                await asyncio.wait_for(self.window_opened.wait(), TIMEOUT)
                continue
            self.h2.send_data(stream_id, bytes(view[:size]))
            view = view[size:]
            self._send()
            await self.writer.drain()
        if end_stream:
            self.h2.end_stream(stream_id)
            self._send()

    async def sync(self) -> None:
        """A PING round trip: the server has processed everything sent before it."""
        payload = os.urandom(8)
        self.pings[payload] = asyncio.Event()
        self.h2.ping(payload)
        self._send()
        await asyncio.wait_for(self.pings[payload].wait(), TIMEOUT)

    async def websocket(
        self, path: str = "/", *, extensions: str | None = None, extra: list[tuple[str, str]] | None = None
    ) -> H2WebSocket:
        """Open a WebSocket by extended CONNECT; HandshakeError if the server refuses."""
        assert self.settings.get(SettingCodes.ENABLE_CONNECT_PROTOCOL) == 1, self.settings
        headers = connect_request_headers("localhost", path, extensions=extensions) + (extra or [])
        stream_id = self.request(headers, end_stream=False)
        response = await self.response(stream_id)
        _, answered = check_connect_response(response, extensions=extensions)
        params = accept_response(answered, extensions) if answered and extensions else None
        return H2WebSocket(self, stream_id, response, params)


class H2WebSocket:
    """The client side of one WebSocket on an HTTP/2 stream."""

    def __init__(self, client: H2Client, stream_id: int, response: list[tuple[str, str]], params: Any) -> None:
        self.client, self.stream_id, self.response, self.params = client, stream_id, response, params
        self.decoder = FrameDecoder(client=True, max_frame_size=None, rsv_allowed=4 if params else 0)
        self.assembler = MessageAssembler(
            max_message_size=None, inflater=Inflater(params, client=True) if params else None
        )
        self.deflater = Deflater(params, client=True) if params else None
        self.pending: list[Message] = []

    @property
    def stream(self) -> _Stream:
        return self.client.streams[self.stream_id]

    async def send(self, opcode: Opcode, payload: bytes, *, fragment_size: int | None = None) -> None:
        frames = encode_message(opcode, payload, masked=True, deflater=self.deflater, fragment_size=fragment_size)
        await self.client.send(self.stream_id, b"".join(frames))

    async def recv(self) -> Message | None:
        """The next message, or None at END_STREAM or RST_STREAM."""
        while not self.pending:
            data = await asyncio.wait_for(self.stream.data.get(), TIMEOUT)
            if data is None:
                return None
            for frame in self.decoder.feed(data):
                message = self.assembler.add(frame)
                if message is not None:
                    self.pending.append(message)
        return self.pending.pop(0)
