"""Pure-Python reference for WebSocket framing (RFC 6455 §5, §7.4; RFC 7692 §6).

This module is the executable specification of :mod:`wsframe.frames`: the
compiled backend must agree with it on every input.  Each protocol rule is a
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

import enum
import operator
import os
import struct
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from ..errors import InvalidUTF8, PayloadTooBig, ProtocolError
from .mask import apply_mask, byte_view, mask_key
from .utf8 import Utf8State

__all__ = [
    "Opcode",
    "CloseCode",
    "FrameHeader",
    "Frame",
    "Message",
    "parse_header",
    "FrameDecoder",
    "encode_frame",
    "encode_header",
    "encode_message",
    "new_mask",
    "parse_close",
    "encode_close",
    "is_valid_close_code",
    "MessageAssembler",
    "DEFAULT_MAX_SIZE",
]

#: Default ``max_frame_size`` / ``max_message_size``: 1 MiB, as websockets.
DEFAULT_MAX_SIZE = 2**20


class Opcode(enum.IntEnum):
    """Frame opcodes (RFC 6455 §5.2, §11.8)."""

    CONTINUATION = 0x0
    TEXT = 0x1
    BINARY = 0x2
    CLOSE = 0x8
    PING = 0x9
    PONG = 0xA

    @property
    def is_control(self) -> bool:
        """Control frames have the most significant opcode bit set (RFC 6455 §5.5)."""
        return self >= 0x8

    @property
    def is_data(self) -> bool:
        """Text, binary and continuation frames carry message data (RFC 6455 §5.6)."""
        return self < 0x8


class CloseCode(enum.IntEnum):
    """Close status codes (RFC 6455 §7.4.1, IANA registry §11.7).

    Aliases give wsproto's names for the same values.
    """

    NORMAL_CLOSURE = 1000
    GOING_AWAY = 1001
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003
    NO_STATUS_RCVD = 1005
    ABNORMAL_CLOSURE = 1006
    INVALID_DATA = 1007
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    MANDATORY_EXTENSION = 1010
    INTERNAL_ERROR = 1011
    SERVICE_RESTART = 1012
    TRY_AGAIN_LATER = 1013
    BAD_GATEWAY = 1014
    TLS_HANDSHAKE = 1015
    # wsproto spellings
    INVALID_FRAME_PAYLOAD_DATA = 1007
    MANDATORY_EXT = 1010
    TLS_HANDSHAKE_FAILED = 1015


_OPCODES = {int(op): op for op in Opcode}


# ---------------------------------------------------------------------------
# Close codes (RFC 6455 §7.4)


def is_valid_close_code(code: int) -> bool:
    """Whether ``code`` may appear in a Close frame — wsframe's one policy.

    Valid: 1000-1003 and 1007-1011 (RFC 6455 §7.4.1), 1012-1014 (registered
    with IANA later, §11.7), 3000-4999 (libraries, frameworks, applications;
    §7.4.2).  Invalid: 0-999 (unused), 1004 (reserved), 1005, 1006 and 1015
    (must not be sent in a Close frame, §7.4.1), 1016-2999 (reserved for future
    RFCs), 5000 and above (out of range).  Autobahn 7.7.x / 7.9.x agree.
    """
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


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


def _check_opcode(opcode: int) -> Opcode:
    # RFC 6455 §5.2: opcodes 0x3-0x7 and 0xB-0xF are reserved; "if an unknown
    # opcode is received, the receiving endpoint MUST _Fail the WebSocket
    # Connection_" (close code 1002, §7.4.1).
    try:
        return _OPCODES[opcode]
    except KeyError:
        raise ProtocolError(f"reserved opcode {opcode:#x}", 1002) from None


def _check_control_fin(opcode: Opcode, fin: bool) -> None:
    # RFC 6455 §5.5: "All control frames ... MUST NOT be fragmented."
    if opcode.is_control and not fin:
        raise ProtocolError(f"fragmented control frame ({opcode.name})", 1002)


def _check_control_length(opcode: Opcode, length: int) -> None:
    # RFC 6455 §5.5: "All control frames MUST have a payload length of 125
    # bytes or less."
    if opcode.is_control and length > 125:
        raise ProtocolError(
            f"control frame ({opcode.name}) payload of {length} bytes exceeds 125",
            1002,
        )


def _check_minimal_length(length: int, size: int) -> None:
    # RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the
    # length" — a 16-bit length below 126 or a 64-bit length below 65536 is
    # a non-minimal encoding.
    if (size == 2 and length < 126) or (size == 8 and length < 0x10000):
        raise ProtocolError(
            f"non-minimal {size * 8}-bit encoding of a payload length below "
            f"{126 if size == 2 else 0x10000}",
            1002,
        )


def _check_length_msb(first_byte: int) -> None:
    # RFC 6455 §5.2: with a 64-bit length "the most significant bit MUST be 0".
    if first_byte & 0x80:
        raise ProtocolError("64-bit payload length with the most significant bit set", 1002)


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
    opcode = _check_opcode(b0 & 0x0F)
    _check_control_fin(opcode, fin)
    if available < 2:
        return None
    b1 = view[offset + 1]
    masked = bool(b1 & 0x80)
    length = b1 & 0x7F
    _check_control_length(opcode, length)
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

    def __post_init__(self) -> None:
        set_field = object.__setattr__  # the dataclass is frozen
        set_field(self, "opcode", _defined_opcode(self.opcode))
        if type(self.payload) is not bytes:
            set_field(self, "payload", bytes(byte_view(self.payload, "payload")))
        for name in ("fin", "rsv1", "rsv2", "rsv3"):
            set_field(self, name, bool(getattr(self, name)))


def parse_close(payload: Any) -> tuple[int, str]:
    """Parse a Close frame's payload into ``(code, reason)`` (RFC 6455 §5.5.1).

    An empty payload means no status code: ``(1005, "")`` (§7.1.5).

    Raises:
        ProtocolError: (1002) a 1-byte payload or a code that may not be sent
            (see :func:`is_valid_close_code`).
        InvalidUTF8: (1007) the reason is not UTF-8; ``position`` is the
            offset within the reason (§8.1).
    """
    data = bytes(byte_view(payload, "payload"))
    if not data:
        return CloseCode.NO_STATUS_RCVD, ""
    # RFC 6455 §5.5.1: a body, if present, starts with a 2-byte code; a single
    # byte cannot be one.
    if len(data) == 1:
        raise ProtocolError("close frame payload of 1 byte (a code needs 2)", 1002)
    code = int.from_bytes(data[:2], "big")
    # RFC 6455 §7.4: only defined or registered codes may be sent.
    if not is_valid_close_code(code):
        raise ProtocolError(f"invalid close code {code}", 1002)
    reason = data[2:]
    try:
        text = reason.decode("utf-8")
    except UnicodeDecodeError as exc:
        # RFC 6455 §5.5.1: "the data ... MUST be UTF-8" -> §8.1 close 1007.
        raise InvalidUTF8(
            f"close reason is not valid UTF-8 at byte {exc.start}", exc.start
        ) from None
    return code, text


class _Failed(Exception):
    """Internal marker: never escapes."""


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
    input is discarded.  Not thread-safe: one decoder per connection.
    """

    def __init__(
        self,
        *,
        client: bool = False,
        max_frame_size: int | None = DEFAULT_MAX_SIZE,
        rsv_allowed: int = 0,
        validate_utf8: bool = True,
    ) -> None:
        if max_frame_size is not None and max_frame_size < 0:
            raise ValueError("max_frame_size must be >= 0 or None")
        if not 0 <= rsv_allowed <= 7:
            raise ValueError("rsv_allowed must be a 3-bit mask (0..7)")
        self.client = client
        self.max_frame_size = max_frame_size
        self.rsv_allowed = rsv_allowed
        self.validate_utf8 = validate_utf8
        self._buffer = bytearray()  # unconsumed input
        self._pos = 0  # read position in _buffer
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
    def closed(self) -> bool:
        """True once a Close frame was decoded: further input is discarded."""
        return self._closed

    @property
    def buffered(self) -> int:
        """Bytes received but not yet part of a returned frame."""
        return len(self._buffer) - self._pos + len(self._payload) + (
            self._header.header_size if self._header is not None else 0
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
            self._buffer += view
            self._bytes_copied += len(view)
        return self._frames()

    def _frames(self) -> Iterator[Frame]:
        while True:
            if self._error is not None:
                raise self._error
            try:
                frame = self._next_frame()
            except ProtocolError as exc:
                self._error = exc
                self._buffer = bytearray()
                self._pos = 0
                raise
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
            self._check_rsv(b0, _OPCODES[b0 & 0x0F])
            self._check_mask_bit(bool(b1 & 0x80))
            self._check_fragmentation(_OPCODES[b0 & 0x0F])
            length = b1 & 0x7F
            if length < 126:
                self._check_size(length)
            elif length == 126 and available >= 4:
                self._check_size(int.from_bytes(self._buffer[self._pos + 2 : self._pos + 4], "big"))
            elif length == 127 and available >= 10:
                self._check_size(int.from_bytes(self._buffer[self._pos + 2 : self._pos + 10], "big"))
        elif available == 1:
            b0 = self._buffer[self._pos]
            self._check_rsv(b0, _OPCODES[b0 & 0x0F])
            self._check_fragmentation(_OPCODES[b0 & 0x0F])

    def _check_rsv(self, b0: int, opcode: Opcode) -> None:
        # RFC 6455 §5.2: "If a nonzero value is received and none of the
        # negotiated extensions defines the meaning of such a nonzero value,
        # the receiving endpoint MUST _Fail the WebSocket Connection_."
        rsv = (b0 >> 4) & 0x07
        unexpected = rsv & ~self.rsv_allowed
        if unexpected:
            names = [n for bit, n in ((4, "RSV1"), (2, "RSV2"), (1, "RSV3")) if unexpected & bit]
            raise ProtocolError(f"reserved bit {'/'.join(names)} set without an extension", 1002)
        # RFC 7692 §6.1: only the first frame of a message carries RSV1 ("per-
        # message compressed"); a control or continuation frame with RSV1 set
        # is an error even when the extension was negotiated.
        if rsv & 4 and opcode in (Opcode.CONTINUATION, Opcode.CLOSE, Opcode.PING, Opcode.PONG):
            raise ProtocolError(f"RSV1 set on a {opcode.name} frame", 1002)

    def _check_mask_bit(self, masked: bool) -> None:
        # RFC 6455 §5.1: "a client MUST mask all frames that it sends to the
        # server"; "A server MUST NOT mask any frames that it sends to the
        # client"; the receiver MUST close the connection (1002) otherwise.
        if self.client and masked:
            raise ProtocolError("masked frame from the server", 1002)
        if not self.client and not masked:
            raise ProtocolError("unmasked frame from the client", 1002)

    def _check_fragmentation(self, opcode: Opcode) -> None:
        # RFC 6455 §5.4: a fragmented message is a first frame (text/binary,
        # FIN clear) then continuation frames, the last one with FIN set;
        # control frames may be injected in between, data frames may not.
        if opcode is Opcode.CONTINUATION and not self._in_message:
            raise ProtocolError("continuation frame without a message to continue", 1002)
        if opcode in (Opcode.TEXT, Opcode.BINARY) and self._in_message:
            raise ProtocolError(
                f"{opcode.name} frame inside a fragmented message (expected CONTINUATION)",
                1002,
            )

    def _check_size(self, length: int) -> None:
        # max_frame_size is judged on the declared length, before the payload
        # is buffered; 1009 "message too big" (RFC 6455 §7.4.1).
        if self.max_frame_size is not None and length > self.max_frame_size:
            raise PayloadTooBig(
                f"frame payload of {length} bytes exceeds the limit of "
                f"{self.max_frame_size} bytes",
                1009,
            )

    def _start_frame(self, header: FrameHeader) -> None:
        b0 = self._buffer[self._pos]
        self._check_rsv(b0, header.opcode)
        self._check_mask_bit(header.masked)
        self._check_fragmentation(header.opcode)
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
            opcode.is_data
            and self._message_is_text
            and not self._message_compressed
            and self.validate_utf8
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
            raise InvalidUTF8(f"text payload is not valid UTF-8 at byte {position}", position)

    def _finish_frame(self, header: FrameHeader, payload: bytes) -> Frame:
        self._payload = bytearray()
        opcode = header.opcode
        if self._validating and header.fin and self._text.need:
            # RFC 6455 §8.1: the message ended inside a code point.
            raise InvalidUTF8(
                f"text payload is not valid UTF-8 at byte {self._text.start} "
                "(truncated sequence)",
                self._text.start,
            )
        if opcode is Opcode.CLOSE:
            parse_close(payload)  # RFC 6455 §5.5.1 / §7.4: raises on a bad body
            self._closed = True
            self._buffer = bytearray()
            self._pos = 0
        return Frame(opcode, payload, header.fin, header.rsv1, header.rsv2, header.rsv3)

    def _compact(self) -> None:
        # Drop consumed input once it is at least half of the buffer, so that
        # the amortised cost per byte stays constant.
        if self._pos and self._pos * 2 >= len(self._buffer):
            remaining = len(self._buffer) - self._pos
            del self._buffer[: self._pos]
            self._bytes_copied += remaining
            self._pos = 0


# ---------------------------------------------------------------------------
# Encoding


def _defined_opcode(opcode: int) -> Opcode:
    """The Opcode member for a local argument; ValueError if it is reserved
    (RFC 6455 §5.2), TypeError if it is not an int."""
    try:
        return _OPCODES[operator.index(opcode)]
    except KeyError:
        raise ValueError(f"reserved opcode {operator.index(opcode):#x}") from None


def _validate_encode(opcode: int, length: int, fin: bool) -> Opcode:
    op = _defined_opcode(opcode)
    # RFC 6455 §5.5: control frames are at most 125 bytes and not fragmented.
    if op.is_control and length > 125:
        raise ValueError(f"control frame payload of {length} bytes exceeds 125")
    if op.is_control and not fin:
        raise ValueError("control frames cannot be fragmented (fin=False)")
    if length < 0 or length > 0x7FFFFFFFFFFFFFFF:
        raise ValueError(f"payload length {length} out of range")
    return op


def encode_header(
    opcode: int,
    length: int,
    *,
    fin: bool = True,
    rsv1: bool = False,
    rsv2: bool = False,
    rsv3: bool = False,
    mask: Any = None,
) -> bytes:
    """Encode a frame header (with the masking key, if any) for a payload of ``length`` bytes.

    For scatter/gather writes: send the header, then the payload (masked with
    :func:`wsframe.mask.apply_mask` if ``mask`` is given).

    Raises:
        ValueError: reserved opcode, control frame over 125 bytes or with FIN
            clear, negative length, mask not 4 bytes.
    """
    op = _validate_encode(opcode, operator.index(length), fin)
    b0 = (fin << 7) | (rsv1 << 6) | (rsv2 << 5) | (rsv3 << 4) | op
    mask_bit = 0x80 if mask is not None else 0
    # RFC 6455 §5.2: the minimal length encoding.
    if length < 126:
        head = struct.pack("!BB", b0, mask_bit | length)
    elif length < 0x10000:
        head = struct.pack("!BBH", b0, mask_bit | 126, length)
    else:
        head = struct.pack("!BBQ", b0, mask_bit | 127, length)
    if mask is not None:
        head += mask_key(mask)
    return head


def encode_frame(
    opcode: int,
    payload: Any = b"",
    *,
    fin: bool = True,
    rsv1: bool = False,
    rsv2: bool = False,
    rsv3: bool = False,
    mask: Any = None,
) -> bytes:
    """Encode one frame; with ``mask`` (4 bytes) the payload is masked (RFC 6455 §5.3).

    Raises:
        TypeError: ``payload`` is a str or not a bytes-like object.
        ValueError: reserved opcode, control frame over 125 bytes or with FIN
            clear, mask not 4 bytes.
    """
    view = byte_view(payload, "payload")
    head = encode_header(
        opcode, len(view), fin=fin, rsv1=rsv1, rsv2=rsv2, rsv3=rsv3, mask=mask
    )
    body = apply_mask(view, mask) if mask is not None else bytes(view)
    return head + body


def new_mask() -> bytes:
    """A fresh masking key from the OS's cryptographic source (RFC 6455 §5.3:
    the key must be unpredictable)."""
    return os.urandom(4)


def encode_message(
    opcode: int,
    payload: Any,
    *,
    fragment_size: int | None = None,
    masked: bool = False,
) -> list[bytes]:
    """Encode a message as a correct fragment sequence (RFC 6455 §5.4).

    The first frame carries ``opcode``, the others CONTINUATION; only the last
    has FIN set.  ``fragment_size`` bounds each frame's payload (None: one
    frame).  With ``masked=True`` every frame gets a fresh key (§5.3).  A
    control opcode gives one frame (control frames cannot be fragmented).

    Raises:
        ValueError: CONTINUATION or reserved opcode, fragment_size < 1,
            control payload over 125 bytes.
        TypeError: ``payload`` is a str or not a bytes-like object.
    """
    return fragment_message(
        encode_frame, opcode, payload, fragment_size=fragment_size, masked=masked
    )


def fragment_message(
    encode: Callable[..., bytes],
    opcode: int,
    payload: Any,
    *,
    fragment_size: int | None,
    masked: bool,
) -> list[bytes]:
    """:func:`encode_message`'s fragmentation policy, with ``encode`` as the
    frame encoder, so that the compiled backend applies the very same policy
    with its own ``encode_frame``."""
    view = byte_view(payload, "payload")
    op = _defined_opcode(opcode)
    if op is Opcode.CONTINUATION:
        raise ValueError("a message cannot start with a CONTINUATION frame")
    if fragment_size is not None and fragment_size < 1:
        raise ValueError("fragment_size must be >= 1 or None")
    if op.is_control or fragment_size is None or len(view) <= fragment_size:
        pieces = [view]
    else:
        pieces = [view[i : i + fragment_size] for i in range(0, len(view), fragment_size)]
    frames = []
    last = len(pieces) - 1
    for index, piece in enumerate(pieces):
        frames.append(
            encode(
                op if index == 0 else Opcode.CONTINUATION,
                piece,
                fin=index == last,
                mask=new_mask() if masked else None,
            )
        )
    return frames


def encode_close(code: int, reason: str = "") -> bytes:
    """Encode a Close frame's payload: the code, then the UTF-8 reason (RFC 6455 §5.5.1).

    Raises:
        ValueError: a code that may not be sent (see :func:`is_valid_close_code`)
            or a reason longer than 123 bytes once encoded.
        TypeError: ``reason`` is not a str.
    """
    if not isinstance(reason, str):
        raise TypeError(f"reason must be a str, not {type(reason).__name__}")
    code = operator.index(code)
    if not is_valid_close_code(code):
        raise ValueError(f"invalid close code {code}")
    encoded = reason.encode("utf-8")
    # RFC 6455 §5.5: 125 bytes of payload at most, 2 of which are the code.
    if len(encoded) > 123:
        raise ValueError(f"close reason of {len(encoded)} bytes exceeds 123")
    return code.to_bytes(2, "big") + encoded


# ---------------------------------------------------------------------------
# Messages


@dataclass(frozen=True, slots=True)
class Message:
    """A complete message, or a control frame.

    ``data`` is a str for a text message (unless ``decode_text=False``), bytes
    otherwise; ``compressed`` is true for a per-message-compressed message
    (RFC 7692), whose ``data`` is the still-deflated bytes.
    """

    opcode: Opcode
    data: bytes | str
    compressed: bool = False


class MessageAssembler:
    """Reassembles data frames into messages (RFC 6455 §5.4).

    Args:
        max_message_size: largest message accepted, counting wire (possibly
            compressed) bytes.  None: no limit.  Default 1 MiB.
        decode_text: return text messages as str (else as validated bytes).

    :meth:`add` returns a :class:`Message` for a control frame at once and for
    the final frame of a data message; None for other fragments.  Not
    thread-safe.
    """

    def __init__(
        self, max_message_size: int | None = DEFAULT_MAX_SIZE, decode_text: bool = True
    ) -> None:
        if max_message_size is not None and max_message_size < 0:
            raise ValueError("max_message_size must be >= 0 or None")
        self.max_message_size = max_message_size
        self.decode_text = decode_text
        self._opcode: Opcode | None = None
        self._compressed = False
        self._chunks: list[bytes] = []
        self._size = 0
        self._text = Utf8State()

    @property
    def in_message(self) -> bool:
        """True while a fragmented message is incomplete."""
        return self._opcode is not None

    def add(self, frame: Frame) -> Message | None:
        """Add a frame; return the completed message or control frame, else None.

        Raises:
            ProtocolError: (1002) fragmentation out of order.
            PayloadTooBig: (1009) the message passes ``max_message_size``.
            InvalidUTF8: (1007) an uncompressed text message is not UTF-8.
        """
        opcode = _OPCODES[operator.index(frame.opcode)]
        payload = bytes(frame.payload)
        if opcode.is_control:
            return Message(opcode, payload)
        # RFC 6455 §5.4: continuation only inside a message, no nesting.
        if opcode is Opcode.CONTINUATION:
            if self._opcode is None:
                raise ProtocolError("continuation frame without a message to continue", 1002)
        else:
            if self._opcode is not None:
                raise ProtocolError(
                    f"{opcode.name} frame inside a fragmented message (expected CONTINUATION)",
                    1002,
                )
            self._opcode = opcode
            self._compressed = frame.rsv1
            self._chunks = []
            self._size = 0
            self._text = Utf8State()
        self._size += len(payload)
        if self.max_message_size is not None and self._size > self.max_message_size:
            size = self._size
            self._opcode = None
            self._chunks = []
            raise PayloadTooBig(
                f"message of at least {size} bytes exceeds the limit of "
                f"{self.max_message_size} bytes",
                1009,
            )
        text = self._opcode is Opcode.TEXT and not self._compressed
        if text:
            # RFC 6455 §8.1, failing as early as possible.
            position = self._text.scan(payload)
            if position >= 0:
                self._opcode = None
                self._chunks = []
                raise InvalidUTF8(f"text payload is not valid UTF-8 at byte {position}", position)
        self._chunks.append(payload)
        if not frame.fin:
            return None
        message_opcode, compressed = self._opcode, self._compressed
        data = b"".join(self._chunks)
        self._opcode = None
        self._chunks = []
        if text and self._text.need:
            raise InvalidUTF8(
                f"text payload is not valid UTF-8 at byte {self._text.start} "
                "(truncated sequence)",
                self._text.start,
            )
        assert message_opcode is not None
        if text and self.decode_text:
            return Message(message_opcode, data.decode("utf-8"))
        return Message(message_opcode, data, compressed)
