"""websockets: its C ``apply_mask``, the Sans-I/O protocol, ``Frame`` and permessage-deflate."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .base import Impl, Prepared, call, import_or_skip, safe_import

__all__ = ["WebsocketsImpl"]

# websockets' own server defaults (enable_server_permessage_deflate): windows of
# 12 bits both ways, memLevel 5, zlib's default level.
SERVER_WINDOW_BITS = 12
SERVER_COMPRESS_SETTINGS = {"memLevel": 5}


@dataclass
class WebsocketsImpl(Impl):
    """websockets' pieces, each driven the way its connection layer drives it."""

    name: str = "websockets"
    dist: str | None = "websockets"

    def load(self) -> None:
        self.frames_mod = import_or_skip("websockets.frames")
        self.protocol_mod = import_or_skip("websockets.protocol")
        self.streams_mod = import_or_skip("websockets.streams")
        self.pmd_mod = safe_import("websockets.extensions.permessage_deflate")
        self.speedups: Any = safe_import("websockets.speedups")
        self.detail = (
            "websockets.speedups.apply_mask (C); websockets.protocol.Protocol; "
            "Frame.parse / Frame.serialize; PerMessageDeflate"
        )

    def op_unavailable(self, op: str) -> str | None:
        if op == "mask_copy" and self.speedups is None:
            return "websockets.speedups not compiled"
        if op in ("deflate_messages", "inflate_messages") and self.pmd_mod is None:
            return "websockets.extensions.permessage_deflate not importable"
        return None

    def mask_copy(self, data: bytes, key: bytes) -> Prepared:
        return call(self.speedups.apply_mask, data, key)

    def _protocol_frames(self, chunks: Sequence[bytes]) -> Any:
        protocol_cls = self.protocol_mod.Protocol
        server = self.protocol_mod.Side.SERVER
        state = self.protocol_mod.State.OPEN

        def decode() -> list[Any]:
            proto = protocol_cls(server, state=state, max_size=None)
            out: list[Any] = []
            for c in chunks:
                proto.receive_data(c)
                out.extend(proto.events_received())
            return out

        return decode

    def decode_frames(self, chunks: Sequence[bytes]) -> Prepared:
        decode = self._protocol_frames(chunks)

        def run() -> list[tuple[int, bool, bytes]]:
            return [(int(f.opcode), bool(f.fin), bytes(f.data)) for f in decode()]

        note = "frames only: UTF-8 is checked later, by its connection layer"
        return Prepared("f()", {"f": decode}, run, note)

    def decode_messages(self, chunks: Sequence[bytes]) -> Prepared:
        frames = self._protocol_frames(chunks)
        text = self.frames_mod.Opcode.TEXT

        def decode() -> list[tuple[Any, Any]]:
            # What its connection layer does with each final frame: text decoded to str.
            return [(f.opcode, f.data.decode() if f.opcode is text else f.data) for f in frames()]

        def run() -> list[tuple[int, Any]]:
            return [(int(op), data) for op, data in decode()]

        note = "Protocol events + bytes.decode() of text, as its connection layer does"
        return Prepared("f()", {"f": decode}, run, note)

    def _parser(self, extensions: list[Any]) -> Any:
        """One message's wire bytes -> its Frame, through ``Frame.parse`` on a StreamReader."""
        parse = self.frames_mod.Frame.parse
        reader = self.streams_mod.StreamReader()
        feed, read_exact = reader.feed_data, reader.read_exact

        def frame(wire: bytes) -> Any:
            feed(wire)
            parser = parse(read_exact, mask=True, max_size=None, extensions=extensions)
            try:
                next(parser)
            except StopIteration as done:
                return done.value
            raise RuntimeError("incomplete frame")

        return frame

    def text_message(self, wire: bytes) -> Prepared:
        frame = self._parser([])

        def message(data: bytes) -> str:
            return frame(data).data.decode()  # type: ignore[no-any-return]

        return Prepared(
            "f(a0)",
            {"f": message, "a0": wire},
            lambda: message(wire),
            note="Frame.parse on a StreamReader + bytes.decode()",
        )

    def encode_frame(self, payload: bytes, masked: bool, opcode: int) -> Prepared:
        frame_cls = self.frames_mod.Frame
        op = self.frames_mod.Opcode(opcode)
        return Prepared(
            "F(op, a0).serialize(mask=m)",
            {"F": frame_cls, "op": op, "a0": payload, "m": masked},
            lambda: bytes(frame_cls(op, payload).serialize(mask=masked)),
        )

    def _server_pmd(self, window_bits: int = SERVER_WINDOW_BITS) -> Any:
        return self.pmd_mod.PerMessageDeflate(  # type: ignore[union-attr]
            False, False, window_bits, window_bits, dict(SERVER_COMPRESS_SETTINGS)
        )

    def deflate_messages(self, payloads: Sequence[bytes]) -> Prepared:
        frame_cls = self.frames_mod.Frame
        op = self.frames_mod.Opcode.TEXT

        def run() -> list[bytes]:
            ext = [self._server_pmd()]
            return [frame_cls(op, p).serialize(mask=False, extensions=ext) for p in payloads]

        stmt = "for p in a0:\n    F(op, p).serialize(mask=False, extensions=x)"
        ns = {"F": frame_cls, "op": op, "x": [self._server_pmd()], "a0": payloads}
        note = (
            f"PerMessageDeflate, its server defaults: window {SERVER_WINDOW_BITS} bits, "
            "memLevel 5, level 6, stdlib zlib"
        )
        return Prepared(stmt, ns, run, note)

    def inflate_messages(self, wires: Sequence[bytes], window_bits: int) -> Prepared:
        def connection() -> Any:
            frame = self._parser([self._server_pmd(window_bits)])

            def messages() -> list[str]:
                return [frame(w).data.decode() for w in wires]

            return messages

        note = "Frame.parse + PerMessageDeflate.decode + bytes.decode(), stdlib zlib"
        return Prepared("f()", {"f": connection()}, lambda: connection()(), note)

    def websockets_plain(self, chunks: Sequence[bytes]) -> Prepared:
        """Its Sans-I/O ``ServerProtocol`` (OPEN) without extensions."""
        return self.websockets_deflate(chunks, compressed=False)

    def websockets_deflate(self, chunks: Sequence[bytes], compressed: bool = True) -> Prepared:
        """Its Sans-I/O ``ServerProtocol`` (OPEN) with permessage-deflate at its defaults."""
        server_mod = import_or_skip("websockets.server")
        state = self.protocol_mod.State.OPEN
        text = self.frames_mod.Opcode.TEXT

        def messages() -> list[str]:
            proto = server_mod.ServerProtocol(state=state, max_size=None)
            if compressed:
                proto.extensions = [self._server_pmd()]  # as its handshake would agree
            out: list[str] = []
            for c in chunks:
                proto.receive_data(c)
                out.extend(f.data.decode() for f in proto.events_received() if f.opcode is text)
            return out

        note = (
            (
                "ServerProtocol + events_received(), PerMessageDeflate 12/12 (its server "
                "defaults), text decoded as its connection layer does"
            )
            if compressed
            else ("ServerProtocol + events_received(), no extension, text decoded as its connection layer does")
        )
        return Prepared("f()", {"f": messages}, messages, note)
