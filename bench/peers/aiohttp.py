"""aiohttp's compiled mask, compiled WebSocket reader and frame writer, without an event loop.

``WebSocketReader.feed_data`` parses synchronously and pushes messages to a
``WebSocketDataQueue``; the queue only touches its loop when a reader waits,
so a queue built with ``loop=None`` and a stub protocol collects every message
in its ``_buffer`` deque, which is what is read back here. The writer's
synchronous core (``_write_websocket_frame``, ``_send_compressed_frame_sync``)
writes to a stub transport; ``send_frame`` would add a coroutine per frame, and
for payloads over 16 KiB aiohttp compresses in a thread executor, so what is
timed here is the least aiohttp can spend.
"""

from __future__ import annotations

import importlib
import importlib.machinery
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .base import Impl, Prepared, Unavailable, safe_import

__all__ = ["AiohttpImpl"]

_QUEUE_LIMIT = 2**30  # the queue doubles it into a C unsigned int


def _taker(queue: Any) -> Callable[[], Any]:
    """The next message of ``queue``, as ``await queue.read()`` gives it to aiohttp's
    ``receive()``: with a message waiting, the coroutine finishes without suspending."""
    read = queue.read

    def take() -> Any:
        coro = read()
        try:
            coro.send(None)
        except StopIteration as done:
            return done.value
        coro.close()
        raise RuntimeError("no message waiting")

    return take


class _PausableProtocol:
    """The attributes aiohttp's queue and writer read from their protocol."""

    def __init__(self) -> None:
        self._reading_paused = False
        self._paused = False

    def pause_reading(self) -> None:
        self._reading_paused = True

    def resume_reading(self) -> None:
        self._reading_paused = False


class _Transport:
    """A transport that keeps what is written (or only the last few writes)."""

    def __init__(self, keep: int | None = None) -> None:
        self.written: deque[bytes] = deque(maxlen=keep)
        self.write = self.written.append

    def is_closing(self) -> bool:
        return False


@dataclass
class AiohttpImpl(Impl):
    """aiohttp's WebSocket internals.

    Attributes:
        zlib: module name of the zlib backend aiohttp is told to use
            (``aiohttp.compression_utils.set_zlib_backend``) for compression
            workloads; None keeps aiohttp's default.
        deflate_only: this instance takes part in the compression workloads only.
    """

    name: str = "aiohttp"
    dist: str | None = "aiohttp"
    zlib: str | None = "zlib_ng.zlib_ng"
    deflate_only: bool = False

    def load(self) -> None:
        try:
            mask = importlib.import_module("aiohttp._websocket.mask")
            reader = importlib.import_module("aiohttp._websocket.reader_c")
        except ImportError as exc:
            if safe_import("aiohttp") is None:
                raise Unavailable(f"not installed ({exc})") from None
            raise Unavailable(f"compiled extensions not built ({exc})") from None
        # An aiohttp built without its extensions may still import reader_c:
        # from its Python source (reader_c.py), several times slower.  Never
        # compare with that under the name of the compiled reader.
        for module in (mask, reader):
            if not str(getattr(module, "__file__", "")).endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)):
                raise Unavailable(f"{module.__name__} is not compiled ({getattr(module, '__file__', None)})")
        self.mask_fn = mask._websocket_mask_cython
        self.reader_cls = reader.WebSocketReader
        self.queue_cls = reader.WebSocketDataQueue
        self.writer_mod: Any = safe_import("aiohttp._websocket.writer")
        self.compression: Any = safe_import("aiohttp.compression_utils")
        self.zlib_mod: Any = safe_import(self.zlib) if self.zlib else None
        if self.deflate_only and self.zlib_mod is None:
            raise Unavailable(f"zlib backend {self.zlib} not installed")
        backend = self.zlib or "default zlib"
        if self.zlib and self.zlib_mod is None:
            backend = f"stdlib zlib ({self.zlib} not installed)"
        self.detail = (
            f"aiohttp WebSocketWriter, compression with {backend}"
            if self.deflate_only
            else f"aiohttp._websocket.mask (Cython), reader_c (Cython), writer; compression with {backend}"
        )

    def supports(self, op: str) -> bool:
        if self.deflate_only and op not in ("deflate_messages", "inflate_messages"):
            return False
        return super().supports(op)

    def op_unavailable(self, op: str) -> str | None:
        if op in ("encode_frame", "deflate_messages") and self.writer_mod is None:
            return "aiohttp._websocket.writer not importable"
        return None

    def _use_backend(self) -> None:
        """Point aiohttp's compression at :attr:`zlib` (a process-wide setting)."""
        if self.compression is None:
            return
        import zlib

        self.compression.set_zlib_backend(self.zlib_mod or zlib)

    # ------------------------------------------------------------ RFC 6455 §5.3

    def mask_inplace(self, data: bytes, key: bytes) -> Prepared:
        fn = self.mask_fn
        buf = bytearray(data)

        def run() -> bytes:
            fresh = bytearray(data)
            fn(key, fresh)
            return bytes(fresh)

        return Prepared("f(a1, a0)", {"f": fn, "a0": buf, "a1": key}, run)

    # ------------------------------------------------------------ reading

    def _reader(self, compress: bool = False) -> tuple[Any, Any]:
        queue = self.queue_cls(_PausableProtocol(), _QUEUE_LIMIT, loop=None)
        reader = self.reader_cls(queue, 2**22, compress=compress, decode_text=True)
        return queue, reader

    def _decode(self, chunks: Sequence[bytes]) -> Callable[[], list[Any]]:
        def decode() -> list[Any]:
            queue, reader = self._reader()
            for c in chunks:
                reader.feed_data(c)
            exc = queue.exception()
            if exc is not None:
                raise exc
            return list(queue._buffer)

        return decode

    def decode_frames(self, chunks: Sequence[bytes]) -> Prepared:
        decode = self._decode(chunks)

        def run() -> list[tuple[int, bool, bytes]]:
            out = []
            for msg, _size in decode():
                data = msg.data.encode("utf-8") if isinstance(msg.data, str) else bytes(msg.data)
                out.append((int(msg.type), True, data))
            return out

        note = "delivers whole messages; text decoded to str (validates UTF-8)"
        return Prepared("f()", {"f": decode}, run, note)

    def decode_messages(self, chunks: Sequence[bytes]) -> Prepared:
        decode = self._decode(chunks)

        def run() -> list[tuple[int, Any]]:
            return [(int(msg.type), msg.data) for msg, _size in decode()]

        return Prepared("f()", {"f": decode}, run, "WSMessage objects, text as str")

    def text_message(self, wire: bytes) -> Prepared:
        queue, reader = self._reader()
        feed, take = reader.feed_data, _taker(queue)

        def run() -> Any:
            feed(wire)
            return take().data

        # One connection's reader, message after message, each read as receive() does.
        return Prepared(
            "f(a0)\nd = t().data",
            {"f": feed, "t": take, "a0": wire},
            run,
            note="compiled reader_c -> WSMessage (text decoded to str)",
        )

    def inflate_messages(self, wires: Sequence[bytes], window_bits: int) -> Prepared:
        self._use_backend()

        def connection() -> Callable[[], list[Any]]:
            queue, reader = self._reader(compress=True)
            feed, take = reader.feed_data, _taker(queue)

            def messages() -> list[Any]:
                out = []
                for w in wires:
                    feed(w)
                    out.append(take().data)
                return out

            return messages

        timed = connection()
        timed()  # creates its decompressor now, with this backend
        return Prepared(
            "f()", {"f": timed}, lambda: connection()(), note=f"reader_c with compress=True ({self._backend_name()})"
        )

    # ------------------------------------------------------------ writing

    def _writer(self, masked: bool, compress: int = 0, keep: int | None = None, notakeover: bool = False) -> Any:
        transport = _Transport(keep)
        writer = self.writer_mod.WebSocketWriter(
            _PausableProtocol(), transport, use_mask=masked, compress=compress, notakeover=notakeover
        )
        return writer, transport

    def encode_frame(self, payload: bytes, masked: bool, opcode: int) -> Prepared:
        def run() -> bytes:
            writer, transport = self._writer(masked)
            writer._write_websocket_frame(payload, opcode, 0)
            return b"".join(transport.written)

        writer, _ = self._writer(masked, keep=4)
        note = "WebSocketWriter._write_websocket_frame (key from random.getrandbits)"
        return Prepared("f(a0, op, 0)", {"f": writer._write_websocket_frame, "a0": payload, "op": opcode}, run, note)

    def deflate_messages(self, payloads: Sequence[bytes]) -> Prepared:
        self._use_backend()
        text = 1  # RFC 6455 §5.2

        def run() -> list[bytes]:
            writer, transport = self._writer(False, compress=15)
            out = []
            for p in payloads:
                writer._send_compressed_frame_sync(p, text, None)
                out.append(b"".join(transport.written))
                transport.written.clear()
            return out

        writer, _ = self._writer(False, compress=15, keep=4)
        send = writer._send_compressed_frame_sync
        send(b"{}", text, None)  # creates its compressor now, with this backend
        stmt = "for p in a0:\n    f(p, op, None)"
        note = f"WebSocketWriter compress=15, level 1, {self._backend_name()}"
        return Prepared(stmt, {"f": send, "op": text, "a0": payloads}, run, note)

    def broadcast_message(self, payload: bytes, recipients: int) -> Prepared:
        # aiohttp has no compress-once path: each recipient's writer compresses
        # the message (without context takeover a fresh compressor per
        # message, as its writer does), so one writer sending it once per
        # recipient is the same work.
        self._use_backend()
        text = 1  # RFC 6455 §5.2

        def run() -> list[bytes]:
            writer, transport = self._writer(False, compress=15, notakeover=True)
            out = []
            for _ in range(recipients):
                writer._send_compressed_frame_sync(payload, text, None)
                out.append(b"".join(transport.written))
                transport.written.clear()
            return out

        writer, _ = self._writer(False, compress=15, keep=4, notakeover=True)
        stmt = "for _ in range(n):\n    f(a0, op, None)"
        note = f"one compression per recipient, no context takeover, {self._backend_name()}"
        ns = {"f": writer._send_compressed_frame_sync, "op": text, "a0": payload, "n": recipients}
        return Prepared(stmt, ns, run, note)

    def _backend_name(self) -> str:
        if self.zlib_mod is None:
            return "stdlib zlib"
        return str(self.zlib).split(".")[0].replace("_", "-")
