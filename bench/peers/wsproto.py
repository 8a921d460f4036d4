"""wsproto's FrameProtocol (pure Python)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .base import Impl, Prepared, import_or_skip

__all__ = ["WsprotoImpl"]


@dataclass
class WsprotoImpl(Impl):
    """wsproto's FrameProtocol (pure Python)."""

    name: str = "wsproto"
    dist: str | None = "wsproto"

    def load(self) -> None:
        self.fp = import_or_skip("wsproto.frame_protocol")
        self.detail = "wsproto.frame_protocol.FrameProtocol"

    def decode_frames(self, chunks: Sequence[bytes]) -> Prepared:
        protocol_cls = self.fp.FrameProtocol

        def decode() -> list[Any]:
            proto = protocol_cls(client=False, extensions=[])
            out: list[Any] = []
            for c in chunks:
                proto.receive_bytes(c)
                out.extend(proto.received_frames())
            return out

        def run() -> list[tuple[int, bool, bytes]]:
            # wsproto hands out a frame in parts when it straddles reads.
            out, parts = [], []
            for f in decode():
                p = f.payload
                parts.append(p.encode("utf-8") if isinstance(p, str) else bytes(p))
                if f.frame_finished:
                    out.append((int(f.opcode), bool(f.message_finished), b"".join(parts)))
                    parts = []
            return out

        note = "text payloads decoded to str (validates UTF-8)"
        return Prepared("f()", {"f": decode}, run, note)

    def decode_messages(self, chunks: Sequence[bytes]) -> Prepared:
        protocol_cls = self.fp.FrameProtocol

        def decode() -> list[tuple[Any, Any]]:
            # The frames' parts joined into messages, as an application of wsproto
            # must (its events carry message_finished; text parts are already str).
            proto = protocol_cls(client=False, extensions=[])
            out: list[tuple[Any, Any]] = []
            x = out.append
            parts: list[Any] = []
            for c in chunks:
                proto.receive_bytes(c)
                for f in proto.received_frames():
                    if f.message_finished and not parts:
                        x((f.opcode, f.payload))
                        continue
                    parts.append(f.payload)
                    if f.message_finished:
                        joined = "".join(parts) if isinstance(parts[0], str) else b"".join(parts)
                        x((f.opcode, joined))
                        parts = []
            return out

        def run() -> list[tuple[int, Any]]:
            return [(int(op), bytes(p) if isinstance(p, bytearray) else p) for op, p in decode()]

        note = "FrameProtocol frames joined into messages; text as str"
        return Prepared("f()", {"f": decode}, run, note)

    def text_message(self, wire: bytes) -> Prepared:
        proto = self.fp.FrameProtocol(client=False, extensions=[])
        receive, frames = proto.receive_bytes, proto.received_frames

        def message(data: bytes) -> Any:
            receive(data)
            for f in frames():
                return f.payload
            raise RuntimeError("no frame")

        return Prepared(
            "f(a0)",
            {"f": message, "a0": wire},
            lambda: message(wire),
            note="FrameProtocol.receive_bytes + received_frames (text as str)",
        )

    def encode_frame(self, payload: bytes, masked: bool, opcode: int) -> Prepared:
        proto = self.fp.FrameProtocol(client=masked, extensions=[])
        send = proto.send_data
        data: Any = payload.decode("utf-8") if opcode == 1 else payload  # str -> TEXT
        return Prepared("f(a0)", {"f": send, "a0": data}, lambda: bytes(send(data)))

    def wsproto_plain(self, chunks: Sequence[bytes]) -> Prepared:
        """A server ``WSConnection`` without extensions: every message's text."""
        return self.wsproto_deflate(chunks, compressed=False)

    def wsproto_deflate(self, chunks: Sequence[bytes], compressed: bool = True) -> Prepared:
        """A server ``WSConnection`` with permessage-deflate: every message's text.

        The opening handshake (the client offers ``permessage-deflate;
        client_max_window_bits``, the server accepts wsproto's defaults) is part
        of each call; it costs microseconds against the messages' milliseconds.
        """
        ws_mod = import_or_skip("wsproto")
        events = import_or_skip("wsproto.events")
        extensions = import_or_skip("wsproto.extensions")
        handshake = (
            b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
            b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            b"Sec-WebSocket-Version: 13\r\n"
            + (b"Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" if compressed else b"")
            + b"\r\n"
        )

        def messages() -> list[str]:
            ws = ws_mod.WSConnection(ws_mod.ConnectionType.SERVER)
            ws.receive_data(handshake)
            for _request in ws.events():
                pass
            accepted = [extensions.PerMessageDeflate()] if compressed else []
            ws.send(events.AcceptConnection(extensions=accepted))
            out: list[str] = []
            parts: list[str] = []
            for c in chunks:
                ws.receive_data(c)
                for e in ws.events():
                    if e.message_finished and not parts:
                        out.append(e.data)
                    else:  # a message cut by a read boundary comes in parts
                        parts.append(e.data)
                        if e.message_finished:
                            out.append("".join(parts))
                            parts = []
            return out

        note = (
            "WSConnection(SERVER) + events(), permessage-deflate (its own zlib inflate)"
            if compressed
            else "WSConnection(SERVER) + events(), no extension"
        )
        return Prepared("f()", {"f": messages}, messages, note)
