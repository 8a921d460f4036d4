"""aiohttp's ``WebSocketReader`` decoding with wsframe (see the package doc)."""

from __future__ import annotations

import importlib
import weakref
from typing import Any

from ... import _backend
from ...errors import PayloadTooBig, ProtocolError
from ...frames import FrameDecoder, parse_header
from ...utf8 import Utf8Validator
from ...utf8 import decode as _utf8_decode
from ._members import MemberInflater

#: The name the replaced classes carry (the public module).
PUBLIC_MODULE = __name__.rpartition(".")[0]

_TEXT, _BINARY, _CONT, _CLOSE, _PING, _PONG = 1, 2, 0, 8, 9, 10
#: Below this many bytes a text payload is decoded by ``bytes.decode``.
_SHORT_TEXT = 512


class _Feed:
    """The loop of one connection: :meth:`feed` decodes the complete frames
    of a read with ``decoder`` and delivers, with ``queue.feed_data(msg,
    size)``, each one that is a whole uncompressed text or binary message, as
    aiohttp builds it (``message``, or ``text_bytes`` for text when not
    ``text``: aiohttp's ``decode_text``); with an ``inflater`` (a :class:`MemberInflater`),
    also each whole compressed message, its payload replaced by
    ``inflater.feed(payload, fin=True, max_size=bound)``.  ``kinds`` is
    ``(message, text_bytes, text_kind, binary_kind)``.  It stops at the
    first other frame, at a frame that arrives while ``queue._size`` is over
    ``queue._limit``, at text that is not UTF-8, or at a ProtocolError.

    The queue's size is read once a call: while the loop runs nothing else
    touches the queue (its consumer runs on the same event loop), so each
    message adds what the queue adds for it, the payload size plus the
    per-message overhead the queue charges (learnt from the first message).

    The reference of the compiled loop (``_AiohttpFeed`` in
    ``wsframe/_speedups/_aiohttp.pxi``), used with the pure-Python backend.
    """

    def __init__(self, decoder: Any, queue: Any, kinds: tuple[Any, ...], text: bool, inflater: Any, bound: Any) -> None:
        self._decoder = decoder
        self._queue = queue
        self._feed = queue.feed_data
        self._message, self._text_bytes, self._text_kind, self._binary_kind = kinds
        self._decode_text = text
        self._inflate = None if inflater is None else inflater.feed
        self._inflate_max = bound
        self._limit = queue._limit
        self._overhead = -1

    def feed(self, data: Any) -> tuple[int, int, Any]:
        """Returns ``(count, kind, obj)``: ``count`` frames delivered, then
        ``kind`` 0 (no complete frame left), 1 (``obj`` is a frame for the
        caller), 2 (``obj`` is a frame not delivered: the queue is over its
        limit), 3 (``obj`` is the ProtocolError the decoder raised), 4
        (``obj`` is a compressed text frame, inflated, whose text is not
        UTF-8) or 5 (``obj`` is the ProtocolError ``inflate`` raised)."""
        count = 0
        size = -1
        queue, feed, inflate = self._queue, self._feed, self._inflate
        tuple_new = tuple.__new__
        try:
            for frame in self._decoder.feed(data):
                if size < 0:
                    size = queue._size
                if size > self._limit:
                    return count, 2, frame
                op = frame.opcode
                if not frame.fin or (op != _TEXT and op != _BINARY):
                    return count, 1, frame
                payload = frame.payload
                if frame.rsv1:
                    # A whole compressed message (RFC 7692 §6.1: RSV1).
                    if inflate is None:
                        return count, 1, frame
                    try:
                        payload = inflate(payload, fin=True, max_size=self._inflate_max)
                    except ProtocolError as exc:
                        return count, 5, exc
                if op == _BINARY:
                    msg: Any = tuple_new(self._message, (self._binary_kind, payload, ""))
                elif not self._decode_text:
                    msg = tuple_new(self._text_bytes, (self._text_kind, payload, ""))
                else:
                    try:
                        text = payload.decode() if len(payload) < _SHORT_TEXT else _utf8_decode(payload)
                    except (ProtocolError, UnicodeDecodeError):
                        return count, 4 if frame.rsv1 else 1, frame
                    msg = tuple_new(self._message, (self._text_kind, text, ""))
                n = len(payload)
                feed(msg, n)
                count += 1
                if self._overhead < 0:
                    self._overhead = queue._size - size - n
                size += n + self._overhead
        except ProtocolError as exc:
            return count, 3, exc
        return count, 0, None


#: The compiled loop with the C backend, else its reference above.
Feed: Any = getattr(_backend.frames, "_AiohttpFeed", _Feed)


class _InflaterAdapter:
    """aiohttp's ``ZLibDecompressor.decompress_sync`` on a wsframe Inflater.

    Used once a connection has been handed to aiohttp's own parser, so that the compression
    context (kept across messages) stays the one wsframe built.  When the hand-over happened
    inside a compressed message, aiohttp's buffer starts with a placeholder for the fragments
    already inflated: they are skipped and their output put back in front.
    """

    def __init__(self, owner: Any) -> None:
        self._owner = owner

    def decompress_sync(self, data: Any, max_length: int = 0) -> bytes:
        owner = self._owner
        skip, prefix = owner._wsf_skip, owner._wsf_prefix
        owner._wsf_skip, owner._wsf_prefix = 0, b""
        # aiohttp appends 00 00 ff ff; the Inflater appends it itself.
        out: bytes = owner._inflate(memoryview(data)[skip:-4], True)
        owner._wsf_out = 0
        return prefix + out if prefix else out


def aiohttp_zlib(backend: Any) -> Any:
    """The zlib module aiohttp is set to use (``set_zlib_backend``)."""
    return backend._zlib_backend


class _QueueProxy:
    """aiohttp's compiled data queue as aiohttp's pure-Python parser, run on
    the integration's reader after a hand-over, sees it: the queue itself,
    but for its ``_stalled_reader`` slot, read-only to Python, which the
    parser assigns (clears at every call, sets when it stalls) through the
    reader's ``_wsf_park``: the compiled base's own code, which parks the
    reader when the queue is over its mark and takes it off otherwise (the
    reader is held by a weak reference: it holds the proxy)."""

    def __init__(self, queue: Any, reader: Any) -> None:
        self._queue = queue
        self._reader = weakref.ref(reader)
        self.feed_data = queue.feed_data
        self.feed_eof = queue.feed_eof

    @property
    def _size(self) -> int:
        size: int = self._queue._size
        return size

    @property
    def _limit(self) -> int:
        limit: int = self._queue._limit
        return limit

    @property
    def _stalled_reader(self) -> Any:
        return self._queue._stalled_reader

    @_stalled_reader.setter
    def _stalled_reader(self, ref: Any) -> None:
        reader = self._reader()
        if reader is not None:
            reader._wsf_park()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._queue, name)


#: The reader's attributes: its own, the settings aiohttp's constructor
#: takes, and the state of aiohttp's pure-Python parser (which runs on the
#: reader after a hand-over), as slots.  An instance attribute of a Python
#: subclass of aiohttp's compiled reader lives in a dict that CPython 3.11
#: reads about seven times slower than a slot (67 ns against 9 ns a read
#: here; 20 ns for one of a subclass of the pure-Python reader).
_SLOTS = (
    "_wsf_queue",
    "_wsf_decoder",
    "_wsf_fallback",
    "_wsf_held",
    "_wsf_held_len",
    "_wsf_frag_op",
    "_wsf_buf",
    "_wsf_wire",
    "_wsf_out",
    "_wsf_comp",
    "_wsf_validator",
    "_wsf_inflater",
    "_wsf_skip",
    "_wsf_prefix",
    "_wsf_first",
    "_wsf_pending",
    "_wsf_stalled",
    "_wsf_prime",
    "_wsf_loop",
    "queue",
    "_max_msg_size",
    "_compress",
    "_decode_text",
    "_exc",
    "_weak_self",
    "_state",
    "_tail",
    "_partial",
    "_opcode",
    "_frame_fin",
    "_frame_opcode",
    "_payload_fragments",
    "_max_fragments",
    "_payload_buffer",
    "_frame_payload_len",
    "_has_mask",
    "_frame_mask",
    "_payload_bytes_to_read",
    "_payload_len_flag",
    "_compressed",
    "_decompressobj",
)


def reader_base() -> Any:
    """The aiohttp class the integration's reader extends: aiohttp's compiled
    ``WebSocketReader`` when aiohttp uses its compiled data queue, else its
    pure-Python one.

    The compiled queue's ``_stalled_reader`` slot (where a reader stalled
    past the high-water mark parks a weak reference to itself) is read-only
    to Python and assigned only by the compiled reader's ``_feed_data``, to
    the instance it runs on: an instance of a subclass can park itself
    there.  The pure-Python queue's slot is a plain attribute.
    """
    from aiohttp._websocket import reader, reader_py

    try:
        reader_c: Any = importlib.import_module("aiohttp._websocket.reader_c")
    except ImportError:  # aiohttp without its extensions
        return reader_py.WebSocketReader
    if reader.WebSocketDataQueue is reader_c.WebSocketDataQueue:
        return reader_c.WebSocketReader
    return reader_py.WebSocketReader


def build_reader_class() -> Any:
    from aiohttp import compression_utils
    from aiohttp._websocket import reader_py
    from aiohttp._websocket.models import (
        WebSocketError,
        WSCloseCode,
        WSMessage,
        WSMessageTextBytes,
        WSMsgType,
    )
    from aiohttp.compression_utils import ZLibBackend
    from aiohttp.helpers import set_exception

    base = reader_base()
    # aiohttp's own parser, which takes a connection over (_wsf_hand_over):
    # its pure-Python methods, run on this reader with its state as
    # attributes (on the compiled base, laid down at the hand-over).
    parser = reader_py.WebSocketReader
    compiled = base is not parser
    # The compiled base's parser, run on this reader only to put it on the
    # compiled queue's _stalled_reader slot and take it off (_wsf_stall).
    park = base._feed_data
    tuple_new = tuple.__new__
    msg_text, msg_binary = WSMsgType.TEXT, WSMsgType.BINARY
    msg_close, msg_ping, msg_pong = WSMsgType.CLOSE, WSMsgType.PING, WSMsgType.PONG
    too_big, invalid_text = WSCloseCode.MESSAGE_TOO_BIG, WSCloseCode.INVALID_TEXT
    empty_frame, empty_frame_error = (False, b""), (True, b"")
    read_header = reader_py.READ_HEADER
    op_not_set = reader_py.OP_CODE_NOT_SET
    compressed_true, compressed_false = reader_py.COMPRESSED_TRUE, reader_py.COMPRESSED_FALSE
    compressed_not_set = reader_py.COMPRESSED_NOT_SET
    utf8_decode = _utf8_decode
    # Frames whose header holds more than this must have failed in the
    # decoder on their first bytes (see _keep).
    hold = 256

    max_members = getattr(compression_utils, "MAX_DECOMPRESS_MEMBERS", 1024)

    def too_many_members() -> Exception:
        return WebSocketError(too_big, "Compressed message has too many deflate members")

    def invalid_utf8() -> Exception:
        return WebSocketError(invalid_text, "Invalid UTF-8 text message")

    def text_of(data: Any) -> str:
        """A whole text message's ``str``; not UTF-8 fails (RFC 6455 §8.1)."""
        try:
            return data.decode() if len(data) < _SHORT_TEXT else utf8_decode(data)
        except (ProtocolError, UnicodeDecodeError):
            raise invalid_utf8() from None

    def message_of(op: int, data: Any, decode_text: bool) -> Any:
        """aiohttp's message for a whole data message, built as aiohttp does."""
        if op != _TEXT:
            return tuple_new(WSMessage, (msg_binary, data, ""))
        if decode_text:
            return tuple_new(WSMessage, (msg_text, text_of(data), ""))
        return tuple_new(WSMessageTextBytes, (msg_text, data, ""))

    class WebSocketReader(base):  # type: ignore[misc, valid-type]
        """aiohttp's ``WebSocketReader`` decoding with wsframe (see the module doc)."""

        # A dict too where the base has none (the compiled one), for what
        # else is set on a reader (aiohttp's tests patch its methods).
        __slots__ = (*_SLOTS, "__dict__") if compiled else _SLOTS

        def __init__(self, queue: Any, max_msg_size: int, compress: bool, decode_text: bool) -> None:
            super().__init__(queue, max_msg_size, compress, decode_text)
            if compiled:
                # The compiled base keeps these in C fields, out of Python's
                # reach; the fast path reads them as attributes.
                self.queue = queue
                self._max_msg_size = max_msg_size
                self._compress = compress
                self._decode_text = decode_text
                self._exc: Any = None
            self._wsf_queue = queue
            self._wsf_decoder: Any = None  # built at the first byte (role from the mask bit)
            self._wsf_fallback = False  # aiohttp's own parser has the connection
            self._wsf_held: Any = b""  # the first bytes of the frame the decoder buffers
            self._wsf_held_len = 0
            self._wsf_frag_op = 0  # opcode of the fragmented message in progress
            self._wsf_buf = bytearray()  # its (inflated) payload so far
            self._wsf_wire = 0  # its wire bytes so far
            self._wsf_out = 0  # its inflated bytes so far
            self._wsf_comp = False  # it is compressed
            self._wsf_validator: Any = None
            self._wsf_inflater: Any = None
            self._wsf_skip = 0
            self._wsf_prefix = b""
            self._wsf_first = b""  # a first read of one byte
            self._wsf_pending: Any = None  # a frame decoded but not delivered (stall)
            self._wsf_stalled = False
            self._wsf_prime = b"\x00"  # see _wsf_park
            self._wsf_loop: Any = None  # the connection's Feed, built with the decoder

        # -- aiohttp's entry points ------------------------------------------

        def feed_data(self, data: Any) -> tuple[bool, bytes]:
            if self._exc is not None:
                return True, bytes(data)
            try:
                if self._wsf_fallback:
                    if type(data) is not bytes:
                        data = bytes(data)
                    self._feed_data(data)
                else:
                    self._wsf_feed(data)
            except Exception as exc:
                self._exc = exc
                set_exception(self._wsf_queue, exc)
                return empty_frame_error
            return empty_frame

        def _feed_data(self, data: bytes) -> None:
            # aiohttp's private parser entry points: whoever calls them
            # directly (aiohttp's parser tests do) gets aiohttp's own parser,
            # which then has the connection.
            if not self._wsf_fallback:
                self._wsf_hand_over(b"", 0)
            parser._feed_data(self, data)

        def _handle_frame(self, fin: bool, opcode: int, payload: Any, compressed: int) -> None:
            if not self._wsf_fallback:
                self._wsf_hand_over(b"", 0)
            parser._handle_frame(self, fin, opcode, payload, compressed)

        # -- the fast path ---------------------------------------------------

        def _wsf_start(self, data: Any) -> Any:
            max_size = self._max_msg_size
            dec = self._wsf_decoder = FrameDecoder(
                client=not (data[1] & 0x80),
                max_frame_size=max_size - 1 if max_size else None,
                rsv_allowed=4 if self._compress else 0,
                validate_utf8=False,
            )
            # Whole compressed messages are inflated by the loop too (outside
            # a fragmented message, what they hold so far is 0).
            inflater = self._wsf_get_inflater() if self._compress else None
            kinds = (WSMessage, WSMessageTextBytes, msg_text, msg_binary)
            self._wsf_loop = Feed(dec, self._wsf_queue, kinds, self._decode_text, inflater, max_size or None)
            return dec

        def _wsf_feed(self, data: Any) -> None:
            dec = self._wsf_decoder
            if dec is None:
                if self._wsf_first:
                    data = self._wsf_first + bytes(data)
                    self._wsf_first = b""
                if len(data) < 2:
                    self._wsf_first = bytes(data)
                    return
                dec = self._wsf_start(data)
            queue = self._wsf_queue
            count = 0
            pending = self._wsf_pending
            if pending is not None and queue._size > queue._limit:
                # Still over the mark: a read that arrives now is kept too.
                if data:
                    dec.feed(data)  # buffered, not iterated
                    self._wsf_keep(data, dec.buffered, True)
                return
            if self._wsf_stalled:
                self._wsf_unstall()
            try:
                if pending is not None:
                    self._wsf_pending = None
                    if self._wsf_deliver(pending):
                        self._wsf_hand_over(data, 0)
                        return
                loop_feed = self._wsf_loop.feed
                chunk = data
                while True:
                    # Whole uncompressed messages are delivered by the loop
                    # (compiled with the C backend); it stops at anything else.
                    delivered, kind, obj = loop_feed(chunk)
                    count += delivered
                    chunk = b""
                    if kind == 0:
                        break
                    if kind == 4:
                        raise invalid_utf8()
                    if kind == 5:
                        raise self._wsf_inflate_error(obj) from None
                    if kind == 3:
                        # wsframe refused the frame after the `count` it
                        # delivered: aiohttp's own parser judges it.
                        self._wsf_hand_over(data, count)
                        return
                    count += 1
                    if kind == 2:
                        # Over aiohttp's high-water mark with frames left:
                        # keep them and stop until the queue drains.
                        self._wsf_pending = obj
                        self._wsf_keep(data, dec.buffered, True)
                        self._wsf_stall()
                        return
                    if self._wsf_other(obj):
                        # aiohttp parses on after a Close frame: its parser
                        # takes what follows.
                        self._wsf_hand_over(data, count)
                        return
            except ProtocolError:
                self._wsf_hand_over(data, count)
                return
            buffered = dec.buffered
            self._wsf_keep(data, buffered, False)
            if buffered and queue._size > queue._limit:
                # Over the mark with only part of a frame left: aiohttp's
                # reader stalls on any bytes left, so the queue holds the
                # transport until it drains to half the mark.
                self._wsf_stall()

        def _wsf_other(self, frame: Any) -> bool:
            """Deliver a frame the loop did not; True after a Close frame."""
            op = frame.opcode
            queue_feed = self.queue.feed_data
            if op <= _BINARY and op and frame.fin and not frame.rsv1:
                # A whole uncompressed message the loop left: text that is
                # not UTF-8 (RFC 6455 §8.1), which fails here.
                payload = frame.payload
                queue_feed(tuple_new(WSMessage, (msg_text, text_of(payload), "")), len(payload))
                return False
            if op <= _BINARY and op and frame.fin and not self._wsf_frag_op:
                # A whole compressed message (RFC 7692 §6.1: RSV1).
                data_out = self._inflate(frame.payload, True)
                queue_feed(message_of(op, data_out, self._decode_text), len(data_out))
                return False
            return self._wsf_deliver(frame)

        def _wsf_deliver(self, frame: Any) -> bool:
            """Queue what one frame completes; True after a Close frame."""
            op = frame.opcode
            if op == _CLOSE:
                self._wsf_close(frame.payload)
                return True
            self._wsf_frame(op, frame.payload, frame.fin, frame.rsv1)
            return False

        def _wsf_stall(self) -> None:
            """Park on the queue's ``_stalled_reader`` (it is over its mark):
            the queue calls ``feed_data(b"")`` when it drains to half the
            mark, and resumes the transport only while the slot is empty."""
            self._wsf_stalled = True
            if compiled:
                self._wsf_park()
            else:
                self._wsf_queue._stalled_reader = self._weak_self

        def _wsf_park(self) -> None:
            """On the compiled queue's slot if the queue is over its mark,
            else off it.  Only compiled code assigns that slot: the base's
            _feed_data, run on this reader, parks it there when the queue is
            over its mark with bytes left to parse, and takes it off
            otherwise.  The first call leaves one byte in the base's parser
            (never a whole frame header), which every later call, with no
            new bytes, finds still there."""
            park(self, self._wsf_prime)
            self._wsf_prime = b""

        def _wsf_unstall(self) -> None:
            """Off the slot (the queue is at or below its mark)."""
            self._wsf_stalled = False
            if compiled:
                self._wsf_park()
            else:
                self._wsf_queue._stalled_reader = None

        def _wsf_keep(self, data: Any, buffered: int, stalled: bool) -> None:
            # The decoder holds `buffered` bytes.  A frame it could still
            # refuse is a header (at most 14 bytes) or a control frame (at
            # most 131): of a partial frame the first `hold` bytes are kept;
            # when stalled, all of them (complete frames not yet delivered).
            held: Any = self._wsf_held
            if not buffered:
                held = b""
            elif buffered <= len(data):
                if stalled and type(data) is bytes:
                    # A view, not a copy (bytes cannot change): the frames
                    # left after a stall are most of a read.
                    held = memoryview(data)[len(data) - buffered :]
                else:
                    region = data[len(data) - buffered :]
                    held = bytes(region if stalled or buffered <= hold else region[:hold])
            elif not data and self._wsf_held_len == len(held):
                # A resume after a stall (no new bytes): what is left is the
                # end of what was held, taken as a view (held is immutable).
                region = memoryview(held)[len(held) - buffered :]
                held = region if stalled else bytes(region if buffered <= hold else region[:hold])
            elif self._wsf_held_len == len(held):
                region = (bytes(held) + bytes(data))[-buffered:]
                held = region if stalled or buffered <= hold else region[:hold]
            # else: the prefix of a long frame that continues.
            self._wsf_held, self._wsf_held_len = held, buffered

        def _wsf_frame(self, op: int, payload: Any, fin: bool, rsv1: bool) -> None:
            """Every frame but a whole uncompressed data message and Close."""
            queue_feed = self.queue.feed_data
            if op == _PING or op == _PONG:
                # aiohttp hands control payloads over as a bytearray (at most 125 bytes).
                kind = msg_ping if op == _PING else msg_pong
                queue_feed(tuple_new(WSMessage, (kind, bytearray(payload), "")), len(payload))
                return
            # A data frame: the first of a message (op TEXT/BINARY) or a
            # continuation (the decoder checked the order, RFC 6455 §5.4).
            if op:
                self._wsf_frag_op = op
                self._wsf_comp = rsv1
                self._wsf_buf = bytearray()
                self._wsf_wire = self._wsf_out = 0
                self._wsf_validator = None
            wire = self._wsf_wire = self._wsf_wire + len(payload)
            if self._wsf_comp:
                payload = self._inflate(payload, fin)
            self._wsf_out += len(payload)
            text = self._wsf_frag_op == _TEXT and self._decode_text
            if not fin:
                if text:
                    # Fail fast on text that cannot become valid (RFC 6455 §8.1).
                    v = self._wsf_validator
                    if v is None:
                        v = self._wsf_validator = Utf8Validator()
                    try:
                        v.feed(payload)
                    except ProtocolError:
                        raise invalid_utf8() from None
                self._wsf_buf += payload
                max_size = self._max_msg_size
                if max_size:
                    # aiohttp refuses a frame whose length reaches the limit
                    # less what the message holds, before buffering it.
                    self._wsf_decoder.max_frame_size = max_size - 1 - wire
                return
            # One growing buffer, not a list joined at the end: the message
            # is held once (plus the str or bytes made of it).
            data: Any = self._wsf_buf
            if data:
                data += payload
            else:
                data = payload
            size = len(data)
            op = self._wsf_frag_op or op
            self._wsf_end_message()
            decode = self._decode_text
            msg = message_of(op, data if op == _TEXT and decode else bytes(data), decode)
            self.queue.feed_data(msg, size)

        def _wsf_end_message(self) -> None:
            self._wsf_frag_op = 0
            self._wsf_out = 0
            self._wsf_buf = bytearray()
            self._wsf_validator = None
            max_size = self._max_msg_size
            if max_size:
                self._wsf_decoder.max_frame_size = max_size - 1

        def _wsf_close(self, payload: bytes) -> None:
            # The decoder checked the payload with wsframe's close-code
            # policy, which accepts a subset of what aiohttp accepts.
            if payload:
                msg = tuple_new(
                    WSMessage,
                    (msg_close, int.from_bytes(payload[:2], "big"), payload[2:].decode("utf-8")),
                )
            else:
                msg = tuple_new(WSMessage, (msg_close, 0, ""))
            self.queue.feed_data(msg, 0)

        def _wsf_get_inflater(self) -> Any:
            inflater = self._wsf_inflater
            if inflater is None:
                # aiohttp's reader keeps one window across messages whatever
                # was negotiated (a peer that resets its own is compatible),
                # and inflates data after a final block as further members.
                inflater = self._wsf_inflater = MemberInflater(aiohttp_zlib(ZLibBackend), max_members, too_many_members)
            return inflater

        def _wsf_inflate_error(self, exc: ProtocolError) -> Exception:
            """What aiohttp raises for an inflater's error."""
            if isinstance(exc, PayloadTooBig):
                return WebSocketError(too_big, f"Decompressed message exceeds size limit {self._max_msg_size}")
            # What aiohttp's decompressor raises for corrupt data, in zlib's own
            # words (the inflater's error was raised while handling zlib's).
            cause = exc.__context__
            detail = str(cause) if cause is not None and not isinstance(cause, ProtocolError) else str(exc)
            error: Exception = ZLibBackend.error(detail)
            return error

        def _inflate(self, payload: Any, fin: bool) -> bytes:
            max_size = self._max_msg_size
            try:
                out: bytes = self._wsf_get_inflater().feed(
                    payload, fin=fin, max_size=max_size - self._wsf_out if max_size else None
                )
                return out
            except ProtocolError as exc:
                raise self._wsf_inflate_error(exc) from None

        def _wsf_hand_over(self, data: Any, count: int) -> None:
            """Give the rest of the stream, from the frame after the first
            ``count`` of this feed, to aiohttp's own parser (for good)."""
            held, held_len = self._wsf_held, self._wsf_held_len
            if not isinstance(data, bytes):
                data = bytes(data)
            if held_len == len(held):
                stream, pos = bytes(held) + data, 0
            else:
                # A long frame that began in an earlier feed: it was
                # delivered (the decoder cannot refuse it after its header).
                h: Any = parse_header(bytes(held))
                stream, pos = data, h.header_size + h.length - held_len
                count -= 1
            for _ in range(count):
                h = parse_header(stream, pos)
                pos += h.header_size + h.length
            rest = stream[pos:]
            self._wsf_pending = None
            if self._wsf_stalled:
                self._wsf_unstall()
            self._wsf_fallback = True
            if compiled:
                # aiohttp's parser's state, as its constructor lays it down,
                # on a queue it can run on (see _QueueProxy).
                exc = self._exc
                proxy: Any = _QueueProxy(self._wsf_queue, self)
                parser.__init__(self, proxy, self._max_msg_size, self._compress, self._decode_text)
                self._exc = exc
            self._wsf_held, self._wsf_held_len = b"", 0
            self._state = read_header
            self._tail = b""
            self._frame_fin = not self._wsf_frag_op
            self._opcode = self._wsf_frag_op or op_not_set
            if self._wsf_frag_op and self._wsf_comp:
                # aiohttp's buffer of the compressed fragments: a placeholder
                # of their size (its limit checks read it); their inflated
                # output goes back in front when the message ends.
                self._partial = bytearray(self._wsf_wire)
                self._wsf_skip = self._wsf_wire
                self._wsf_prefix = bytes(self._wsf_buf)
                self._compressed = compressed_true
            else:
                self._partial = bytearray(self._wsf_buf)
                self._wsf_skip, self._wsf_prefix = 0, b""
                self._compressed = compressed_false if self._wsf_frag_op else compressed_not_set
            if self._compress:
                self._decompressobj = _InflaterAdapter(self)
            self._wsf_buf = bytearray()
            if rest:
                self._feed_data(rest)

    WebSocketReader.__module__ = PUBLIC_MODULE
    WebSocketReader.__qualname__ = "WebSocketReader"
    return WebSocketReader
