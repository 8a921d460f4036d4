"""Pure-Python reference for WebSocket framing (RFC 6455 §5, §7.4; RFC 7692 §6).

This module is the executable specification of :mod:`wsframe.frames`: the
compiled backend must agree with it on every input.  The encoders live in
:mod:`wsframe._reference.encoding` and are re-exported here.  Each protocol rule is a
small function that cites the RFC and raises :class:`ProtocolError` with the
close code the RFC asks for.

Base framing (RFC 6455 §5.2)::

     0                   1                   2                   3
     0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
    +-+-+-+-+-------+-+-------------+-------------------------------+
    |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
    |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
    |N|V|V|V|       |S|             |   (if payload len==126/127)   |
    | |1|2|3|       |K|             |                               |
    +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
    |     Extended payload length continued, if payload len == 127  |
    + - - - - - - - - - - - - - - - +-------------------------------+
    |                               |Masking-key, if MASK set to 1  |
    +-------------------------------+-------------------------------+
    | Masking-key (continued)       |          Payload Data         |
    +-------------------------------- - - - - - - - - - - - - - - - +
"""

from __future__ import annotations

import operator
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import _rules
from .._api import FRAMES_API
from .._args import (
    SizeLimit,
    byte_view,
    check_assembler,
    check_inflater,
    check_rsv_allowed,
    concurrent_use,
    not_a_frame,
)
from .._keys import new_mask as new_mask
from .._plan import defined_opcode
from .._rules import DEFAULT_MAX_SIZE as DEFAULT_MAX_SIZE
from .._rules import OPCODES, SMALL_FRAGMENT
from .._rules import CloseCode as CloseCode
from .._rules import Opcode as Opcode
from .._rules import encode_close as encode_close
from .._rules import is_valid_close_code as is_valid_close_code
from .._rules import parse_close as parse_close
from ..errors import ProtocolError
from .encoding import encode_frame as encode_frame
from .encoding import encode_header as encode_header
from .encoding import encode_message as encode_message
from .encoding import encode_message_bytes as encode_message_bytes
from .mask import apply_mask
from .utf8 import Utf8State

if TYPE_CHECKING:
    from ..deflate import Inflater

__all__ = list(FRAMES_API)


# ---------------------------------------------------------------------------
# Headers


@dataclass(frozen=True, slots=True)
class FrameHeader:
    """A parsed frame header (RFC 6455 §5.2).

    ``length`` is the payload length; ``mask`` the 4-byte masking key or None;
    ``header_size`` the number of bytes the header occupies (2 to 14).
    """

    fin: bool
    rsv1: bool
    rsv2: bool
    rsv3: bool
    opcode: Opcode
    masked: bool
    length: int
    mask: bytes | None
    header_size: int

    @property
    def rsv(self) -> int:
        """The RSV bits as a 3-bit number: 4 = RSV1, 2 = RSV2, 1 = RSV3."""
        return self.rsv1 << 2 | self.rsv2 << 1 | self.rsv3


def _check(error: ProtocolError | None) -> None:
    # A policy of wsframe._rules said no.  The local is cleared as the error
    # leaves: its traceback holds this frame, and a frame holding the error
    # would keep both (and the caller's buffer views) alive until the cyclic
    # GC runs, so that a caller could not resize the buffer it parsed.
    if error is not None:
        try:
            raise error
        finally:
            error = None


def _check_minimal_length(length: int, size: int) -> None:
    # RFC 6455 §5.2: the minimal number of bytes MUST encode the length: a
    # 16-bit length below 126 or a 64-bit length below 65536 is non-minimal.
    if (size == 2 and length < 126) or (size == 8 and length < 0x10000):
        raise _rules.non_minimal_length(size * 8)


def _check_length_msb(first_byte: int) -> None:
    # RFC 6455 §5.2: with a 64-bit length "the most significant bit MUST be 0".
    if first_byte & 0x80:
        raise _rules.length_msb()


def parse_header(data: Any, offset: int = 0) -> FrameHeader | None:
    """Parse the frame header at ``data[offset:]``.

    Returns None when more bytes are needed.  Raises as soon as the bytes that
    are present show an error that is one in any role and with any extension:
    reserved opcode, control frame with FIN clear or a length over 125, a
    64-bit length with its most significant bit set, a non-minimal length.
    RSV bits and the MASK bit are reported, not judged.

    Raises:
        ProtocolError: (1002) the header is invalid.
        ValueError: ``offset`` is negative or past the end of ``data``.
    """
    view = byte_view(data)
    offset = operator.index(offset)
    end = len(view)
    if not 0 <= offset <= end:
        raise ValueError(f"offset {offset} out of range for {end} bytes")
    available = end - offset
    if available < 1:
        return None
    b0 = view[offset]
    fin = bool(b0 & 0x80)
    _check(_rules.opcode_error(b0 & 0x0F))
    opcode = OPCODES[b0 & 0x0F]
    _check(_rules.control_fin_error(opcode, fin))
    if available < 2:
        return None
    b1 = view[offset + 1]
    masked = bool(b1 & 0x80)
    length = b1 & 0x7F
    _check(_rules.control_length_error(opcode, length))
    size = 2
    if length == 126:
        if available < 4:
            return None
        length = int.from_bytes(view[offset + 2 : offset + 4], "big")
        _check_minimal_length(length, 2)
        size = 4
    elif length == 127:
        if available < 3:
            return None
        _check_length_msb(view[offset + 2])
        if available < 8:
            return None
        # Six zero high bytes already prove the value is below 65536.
        if not any(view[offset + 2 : offset + 8]):
            _check_minimal_length(int.from_bytes(view[offset + 2 : offset + available], "big"), 8)
        if available < 10:
            return None
        length = int.from_bytes(view[offset + 2 : offset + 10], "big")
        _check_minimal_length(length, 8)
        size = 10
    mask = None
    if masked:
        if available < size + 4:
            return None
        mask = bytes(view[offset + size : offset + size + 4])
        size += 4
    return FrameHeader(
        fin=fin,
        rsv1=bool(b0 & 0x40),
        rsv2=bool(b0 & 0x20),
        rsv3=bool(b0 & 0x10),
        opcode=opcode,
        masked=masked,
        length=length,
        mask=mask,
        header_size=size,
    )


# ---------------------------------------------------------------------------
# Frames and decoding


@dataclass(frozen=True, slots=True)
class Frame:
    """A complete frame: ``payload`` is unmasked.

    A frame holds only what the wire can carry (RFC 6455 §5.2), so the
    constructor normalizes its arguments: ``opcode`` becomes the
    :class:`Opcode` member, ``payload`` bytes, each flag a bool.

    Raises:
        ValueError: a reserved opcode, or a non-contiguous payload buffer.
        TypeError: an opcode that is not an int, a payload that is not a
            bytes-like object (``str`` included).
    """

    opcode: Opcode
    payload: bytes
    fin: bool = True
    rsv1: bool = False
    rsv2: bool = False
    rsv3: bool = False
    # Private: set by FrameDecoder on a text frame whose payload it validated
    # as part of its message (RFC 6455 §8.1), so that MessageAssembler does not
    # validate the same bytes again.  Not part of the value (equality, repr).
    _text_valid: bool = field(default=False, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        set_field = object.__setattr__  # the dataclass is frozen
        set_field(self, "opcode", defined_opcode(self.opcode))
        if type(self.payload) is not bytes:
            set_field(self, "payload", bytes(byte_view(self.payload, "payload")))
        for name in ("fin", "rsv1", "rsv2", "rsv3"):
            set_field(self, name, bool(getattr(self, name)))


class FrameDecoder:
    """Streaming frame decoder enforcing RFC 6455 §5 for one side of a connection.

    Args:
        client: True when this decoder runs in a client: frames must arrive
            unmasked.  The default is the server side: frames must be masked.
        max_frame_size: largest payload accepted in any single frame (bytes);
            checked on the declared length before any payload is buffered.
            None: no limit.
        rsv_allowed: bit mask of the RSV bits negotiated extensions use
            (4 = RSV1, 2 = RSV2, 1 = RSV3).
        validate_utf8: validate text messages (close reasons are always
            validated).

    :meth:`feed` appends bytes and returns an iterator over the frames that
    are complete; it raises :class:`ProtocolError` at the first invalid input,
    after every good frame before it.  Once it raised, every later call raises
    the same error.  After a Close frame nothing more is yielded and further
    input is discarded.  One decoder per connection: a call that finds
    another thread inside the decoder raises RuntimeError rather than garble
    its state (as the compiled decoder does).
    """

    #: The limit as an int, or None; any real number may be assigned.
    max_frame_size = SizeLimit()

    def __init__(
        self,
        *,
        client: bool = False,
        max_frame_size: float | None = DEFAULT_MAX_SIZE,
        rsv_allowed: int = 0,
        validate_utf8: bool = True,
    ) -> None:
        self.client = client
        self.max_frame_size = max_frame_size
        self.rsv_allowed = rsv_allowed
        self.validate_utf8 = validate_utf8
        self._buffer = bytearray()  # unconsumed input
        self._pos = 0  # read position in _buffer
        self._busy = threading.Lock()  # held while a call changes the state
        self._header: FrameHeader | None = None  # header of the frame in progress
        self._payload = bytearray()  # unmasked payload of the frame in progress
        self._in_message = False  # inside a fragmented data message (§5.4)
        self._message_is_text = False
        self._message_compressed = False
        self._text = Utf8State()  # validation state of the current text message
        self._validating = False  # the frame in progress is validated text
        self._error: ProtocolError | None = None
        self._closed = False
        self._bytes_copied = 0  # instrumentation: bytes moved between buffers

    @property
    def rsv_allowed(self) -> int:
        """The RSV bits negotiated extensions use (4 = RSV1, 2 = RSV2, 1 = RSV3)."""
        return self._rsv_allowed

    @rsv_allowed.setter
    def rsv_allowed(self, value: int) -> None:
        self._rsv_allowed = check_rsv_allowed(value)

    @property
    def closed(self) -> bool:
        """True once a Close frame was decoded: further input is discarded."""
        return self._closed

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a returned frame."""
        return (
            len(self._buffer)
            - self._pos
            + len(self._payload)
            + (self._header.header_size if self._header is not None else 0)
        )

    def feed(self, data: Any) -> Iterator[Frame]:
        """Append ``data`` and return an iterator over the frames now complete.

        Raises:
            ProtocolError: immediately, if an earlier call raised one; else
                from the iterator, at the first invalid input.
            TypeError: ``data`` is not a bytes-like object.
        """
        if self._error is not None:
            raise self._error
        view = byte_view(data)
        if not self._closed and len(view):
            if not self._busy.acquire(blocking=False):
                raise concurrent_use()
            try:
                self._buffer += view
                self._bytes_copied += len(view)
            finally:
                self._busy.release()
        return self._frames()

    def feed_messages(self, data: Any, assembler: MessageAssembler) -> Iterator[Message]:
        """Append ``data`` and return an iterator over the messages now complete.

        The same as ``feed(data)`` with every frame passed to
        ``assembler.add()`` and the messages it returns yielded, control
        frames included, in order; errors are the same, raised after every
        message before them.  (The compiled backend takes a whole text
        message in one frame from the input to its ``str`` directly.)

        Raises:
            ProtocolError: immediately, if an earlier call raised one; else
                from the iterator, at the first invalid input (the decoder's
                or the assembler's errors).
            TypeError: ``data`` is not a bytes-like object, or ``assembler``
                has no ``add()`` (checked before any input is taken).
        """
        check_assembler(assembler)  # before any input is taken
        return _assembled(self.feed(data), assembler)

    def _frames(self) -> Iterator[Frame]:
        while True:
            if self._error is not None:
                raise self._error
            if not self._busy.acquire(blocking=False):
                raise concurrent_use()
            try:
                frame = self._next_frame()
            except ProtocolError as exc:
                self._error = exc
                self._buffer = bytearray()
                self._pos = 0
                raise
            finally:
                self._busy.release()
            if frame is None:
                return
            yield frame

    # -- the state machine -------------------------------------------------

    def _next_frame(self) -> Frame | None:
        if self._closed:
            self._buffer = bytearray()
            self._pos = 0
            return None
        if self._header is None:
            header = parse_header(self._buffer, self._pos)
            if header is None:
                self._check_partial_header()
                return None
            self._start_frame(header)
            self._pos += header.header_size
        frame = self._read_payload()
        if frame is not None:
            self._header = None
        return frame

    def _check_partial_header(self) -> None:
        """Judge what the bytes of an incomplete header already show."""
        available = len(self._buffer) - self._pos
        if available >= 2:
            b0 = self._buffer[self._pos]
            b1 = self._buffer[self._pos + 1]
            self._check_rsv(b0, OPCODES[b0 & 0x0F])
            _check(_rules.mask_error(bool(b1 & 0x80), self.client))
            _check(_rules.fragmentation_error(b0 & 0x0F, self._in_message))
            length = b1 & 0x7F
            if length < 126:
                self._check_size(length)
            elif length == 126 and available >= 4:
                self._check_size(int.from_bytes(self._buffer[self._pos + 2 : self._pos + 4], "big"))
            elif length == 127 and available >= 10:
                self._check_size(int.from_bytes(self._buffer[self._pos + 2 : self._pos + 10], "big"))
        elif available == 1:
            b0 = self._buffer[self._pos]
            self._check_rsv(b0, OPCODES[b0 & 0x0F])
            _check(_rules.fragmentation_error(b0 & 0x0F, self._in_message))

    def _check_rsv(self, b0: int, opcode: Opcode) -> None:
        _check(_rules.rsv_error((b0 >> 4) & 0x07, opcode, self._rsv_allowed))

    def _check_size(self, length: int) -> None:
        limit = self.max_frame_size
        if limit is not None and length > limit:
            raise _rules.frame_too_big(length, limit)

    def _start_frame(self, header: FrameHeader) -> None:
        b0 = self._buffer[self._pos]
        self._check_rsv(b0, header.opcode)
        _check(_rules.mask_error(header.masked, self.client))
        _check(_rules.fragmentation_error(header.opcode, self._in_message))
        self._check_size(header.length)
        opcode = header.opcode
        if opcode in (Opcode.TEXT, Opcode.BINARY):
            self._message_is_text = opcode is Opcode.TEXT
            # RFC 7692 §6: RSV1 on the first frame marks a compressed message;
            # its payload is not UTF-8 until inflated, so the caller validates.
            self._message_compressed = header.rsv1
            self._text = Utf8State()
            self._in_message = not header.fin
        elif opcode is Opcode.CONTINUATION:
            self._in_message = not header.fin
        self._validating = (
            opcode.is_data and self._message_is_text and not self._message_compressed and self.validate_utf8
        )
        self._header = header
        self._payload = bytearray()

    def _read_payload(self) -> Frame | None:
        header = self._header
        assert header is not None
        received = len(self._payload)
        end = min(len(self._buffer), self._pos + header.length - received)
        chunk = b""
        if end > self._pos:
            with memoryview(self._buffer) as whole, whole[self._pos : end] as piece:
                # RFC 6455 §5.3: unmask at the phase of this chunk's payload offset.
                if header.mask is not None:
                    chunk = apply_mask(piece, header.mask, received)
                else:
                    chunk = bytes(piece)
            self._bytes_copied += len(chunk)
            self._pos = end
            if self._validating:
                self._validate_text(chunk)
        self._compact()
        if received + len(chunk) < header.length:
            if chunk:
                self._payload += chunk
                self._bytes_copied += len(chunk)
            return None
        if received:
            # The payload arrived in several pieces: join them (one more copy).
            self._bytes_copied += len(chunk) + header.length
            self._payload += chunk
            chunk = bytes(self._payload)
        return self._finish_frame(header, chunk)

    def _validate_text(self, chunk: bytes) -> None:
        # RFC 6455 §8.1: text must be UTF-8; fail as soon as it cannot be
        # (1007), even before the frame is complete (Autobahn 6.4.x).
        position = self._text.scan(chunk)
        if position >= 0:
            raise _rules.invalid_text(position)

    def _finish_frame(self, header: FrameHeader, payload: bytes) -> Frame:
        self._payload = bytearray()
        opcode = header.opcode
        if self._validating and header.fin and self._text.need:
            # RFC 6455 §8.1: the message ended inside a code point.
            raise _rules.truncated_text(self._text.start)
        if opcode is Opcode.CLOSE:
            parse_close(payload)  # RFC 6455 §5.5.1 / §7.4: raises on a bad body
            self._closed = True
            self._buffer = bytearray()
            self._pos = 0
        frame = Frame(opcode, payload, header.fin, header.rsv1, header.rsv2, header.rsv3)
        if self._validating:
            object.__setattr__(frame, "_text_valid", True)
        return frame

    def _compact(self) -> None:
        # Drop consumed input once it is at least half of the buffer, so that
        # the amortised cost per byte stays constant.
        if self._pos and self._pos * 2 >= len(self._buffer):
            remaining = len(self._buffer) - self._pos
            del self._buffer[: self._pos]
            self._bytes_copied += remaining
            self._pos = 0


# ---------------------------------------------------------------------------
# Messages


@dataclass(frozen=True, slots=True)
class Message:
    """A complete message, or a control frame.

    ``data`` is a str for a text message (unless ``decode_text=False``), bytes
    otherwise.  ``compressed`` is true for a per-message-compressed message
    (RFC 7692): its ``data`` is the still-deflated bytes, unless the assembler
    has an inflater, which gives the inflated data.
    """

    opcode: Opcode
    data: bytes | str
    compressed: bool = False


def _assembled(frames: Iterator[Frame], assembler: MessageAssembler) -> Iterator[Message]:
    """The messages ``assembler`` completes from ``frames`` (feed_messages)."""
    add = assembler.add
    for frame in frames:
        message = add(frame)
        if message is not None:
            yield message


class MessageAssembler:
    """Reassembles data frames into messages (RFC 6455 §5.4).

    Args:
        max_message_size: largest message accepted (bytes), counting its wire
            (possibly compressed) bytes and, with an inflater, its inflated
            bytes too; each must stay within the limit.  None: no limit.
            Default 1 MiB.
        decode_text: return text messages as str (else as validated bytes).
        inflater: a :class:`wsframe.deflate.Inflater` for a connection that
            negotiated permessage-deflate: compressed messages are inflated
            frame by frame as they arrive, their text validated as it appears
            (RFC 7692 §6.2).  Without one, a compressed message comes back as
            its compressed bytes with ``Message.compressed`` true.

    :meth:`add` returns a :class:`Message` for a control frame at once and for
    the final frame of a data message; None for other fragments.  Text that a
    :class:`FrameDecoder` already validated is not validated again.  Not
    thread-safe.
    """

    #: The limit as an int, or None; any real number may be assigned.
    max_message_size = SizeLimit()

    def __init__(
        self,
        max_message_size: float | None = DEFAULT_MAX_SIZE,
        decode_text: bool = True,
        *,
        inflater: Inflater | None = None,
    ) -> None:
        self.max_message_size = max_message_size
        self.decode_text = decode_text
        self.inflater = check_inflater(inflater)
        self._opcode: Opcode | None = None
        self._compressed = False
        self._chunks: list[bytes | bytearray] = []  # the data so far (see _keep)
        self._size = 0  # wire bytes of the message so far
        self._inflated = 0  # inflated bytes of the message so far
        self._text = Utf8State()
        self._prevalidated = False  # every frame so far came validated

    @property
    def in_message(self) -> bool:
        """True while a fragmented message is incomplete."""
        return self._opcode is not None

    def _forget(self) -> None:
        self._opcode = None
        self._chunks = []

    def add(self, frame: Frame) -> Message | None:
        """Add a frame; return the completed message or control frame, else None.

        Raises:
            ProtocolError: (1002) fragmentation out of order, or corrupt
                compressed data.
            PayloadTooBig: (1009) the message passes ``max_message_size``
                (wire or inflated bytes).
            InvalidUTF8: (1007) a text message is not UTF-8 (``position`` is
                the offset in the message, inflated if it was compressed).
        """
        try:
            raw_opcode, raw_payload, fin, rsv1 = frame.opcode, frame.payload, frame.fin, frame.rsv1
        except AttributeError:
            raise not_a_frame(frame) from None
        opcode = defined_opcode(raw_opcode)
        payload = bytes(raw_payload)
        if opcode.is_control:
            return Message(opcode, payload)
        nesting = _rules.fragmentation_error(opcode, self._opcode is not None)
        if nesting is not None:
            raise self._ending(nesting)
        if opcode is not Opcode.CONTINUATION:
            self._opcode = opcode
            self._compressed = rsv1
            self._chunks = []
            self._size = 0
            self._inflated = 0
            self._text = Utf8State()
            self._prevalidated = True
        self._size += len(payload)
        limit = self.max_message_size
        if limit is not None and self._size > limit:
            size = self._size
            exc = self._ending(_rules.message_too_big(size, limit))
            self._forget()
            raise exc
        inflate = self._compressed and self.inflater is not None
        if inflate:
            chunk = self._inflate(payload, fin)
        else:
            chunk = payload
        text = self._opcode is Opcode.TEXT and (inflate or not self._compressed)
        if text:
            self._validate(chunk, getattr(frame, "_text_valid", False))
        if not fin:
            self._keep(chunk)
            return None
        message_opcode, compressed = self._opcode, self._compressed
        data = b"".join([*self._chunks, chunk]) if self._chunks else chunk
        self._forget()
        if text and not self._prevalidated and self._text.need:
            raise _rules.truncated_text(self._text.start)
        assert message_opcode is not None
        if text and self.decode_text:
            return Message(message_opcode, data.decode("utf-8"), compressed)
        return Message(message_opcode, data, compressed)

    def _ending(self, exc: ProtocolError) -> ProtocolError:
        """``exc`` ends the message being assembled: a compressed one
        ends its inflater's stream too (``Inflater._abandon``), whose next
        message may refer to bytes the inflater never took."""
        if self._opcode is not None and self._compressed and self.inflater is not None:
            abandon = getattr(self.inflater, "_abandon", None)
            if abandon is not None:
                abandon(exc)
        return exc

    def _keep(self, chunk: bytes) -> None:
        """Hold a fragment's data until the message is complete.

        Hostile memory: fragments below ``SMALL_FRAGMENT`` bytes go into one
        bytearray (empty ones nowhere), so what is held stays proportional to
        the message's bytes however finely a peer splits it.
        """
        if len(chunk) >= SMALL_FRAGMENT:
            self._chunks.append(chunk)
        elif chunk:
            if not self._chunks or type(self._chunks[-1]) is not bytearray:
                self._chunks.append(bytearray())
            self._chunks[-1] += chunk

    def _inflate(self, payload: bytes, fin: bool) -> bytes:
        assert self.inflater is not None
        limit = self.max_message_size
        budget = None if limit is None else limit - self._inflated
        try:
            chunk = self.inflater.feed(payload, fin=fin, max_size=budget)
        except ProtocolError:
            # The inflater words a size error with the message's whole
            # budget, which is max_message_size here (see Inflater.feed).
            self._forget()
            raise
        self._inflated += len(chunk)
        return chunk

    def _validate(self, chunk: bytes, prevalidated: bool) -> None:
        # RFC 6455 §8.1, failing as early as possible; bytes a FrameDecoder
        # validated (every frame of the message so far) are not scanned again.
        if self._prevalidated and prevalidated:
            return
        if self._prevalidated:
            # A frame that did not come validated after some that did: catch
            # the state up with the earlier chunks first.
            self._prevalidated = False
            for earlier in self._chunks:
                self._text.scan(earlier)
        position = self._text.scan(chunk)
        if position >= 0:
            exc = self._ending(_rules.invalid_text(position))
            self._forget()
            raise exc
