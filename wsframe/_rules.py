"""The protocol's constants, policy and error wording, written once for both backends.

Everything in this module is shared: the pure-Python reference
(:mod:`wsframe._reference`) and the compiled modules (:mod:`wsframe._speedups`)
import it, and neither restates what is here.  The compiled side turns the
policies into lookup tables at import (the close codes, the opcode table, the
fragmentation-order table), so a rule written here is the rule that runs in C.

What lives here:

- limits: :data:`DEFAULT_MAX_SIZE`, :data:`MAX_CONTROL_PAYLOAD`,
  :data:`MAX_CLOSE_REASON`, :data:`MAX_PAYLOAD_LENGTH`;
- :class:`Opcode`, :class:`CloseCode` and :data:`OPCODES`;
- policies: :func:`is_valid_close_code`, :func:`fragmentation_error`,
  :func:`parse_close` (the Close body rule);
- one factory per error, so that each message is worded once (the names say
  which rule failed; every factory returns the exception, the caller raises);
- helpers both backends need: :func:`byte_view`, :func:`mask_key`,
  :func:`defined_opcode`, :func:`check_encode`, :func:`fragment_message`,
  :func:`encode_close`, :func:`new_mask`, :func:`check_limit`.
"""

from __future__ import annotations

import enum
import operator
import os
import threading
from collections.abc import Callable
from typing import Any, Protocol

from .errors import InvalidUTF8, PayloadTooBig, ProtocolError

__all__ = [
    "DEFAULT_MAX_SIZE",
    "MAX_CONTROL_PAYLOAD",
    "MAX_CLOSE_REASON",
    "MAX_PAYLOAD_LENGTH",
    "Opcode",
    "CloseCode",
    "OPCODES",
    "is_valid_close_code",
    "fragmentation_error",
    "parse_close",
    "encode_close",
    "byte_view",
    "mask_key",
    "defined_opcode",
    "check_encode",
    "check_limit",
    "plan_message",
    "fragment_message",
    "new_mask",
    "FRAMES_API",
]

#: The public names of :mod:`wsframe.frames`, which each backend's frames
#: module exports (the compiled one takes its ``__all__`` from here; the
#: reference and the public module spell it out for the type checker, and
#: tests/package/test_package.py holds them to this list).
FRAMES_API = (
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
    "encode_message_bytes",
    "new_mask",
    "parse_close",
    "encode_close",
    "is_valid_close_code",
    "MessageAssembler",
    "DEFAULT_MAX_SIZE",
)

# ---------------------------------------------------------------------------
# Limits

#: Default ``max_frame_size`` / ``max_message_size``: 1 MiB, as websockets.
DEFAULT_MAX_SIZE = 2**20

#: RFC 6455 §5.5: "All control frames MUST have a payload length of 125 bytes
#: or less".
MAX_CONTROL_PAYLOAD = 125

#: RFC 6455 §5.5.1: a Close body is a 2-byte code and a reason, within the
#: 125 bytes of a control frame.
MAX_CLOSE_REASON = MAX_CONTROL_PAYLOAD - 2

#: RFC 6455 §5.2: a 64-bit length has its most significant bit clear.
MAX_PAYLOAD_LENGTH = 2**63 - 1


# ---------------------------------------------------------------------------
# Opcodes and close codes


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


#: Opcode value -> member, for the defined opcodes only (RFC 6455 §5.2).
OPCODES: dict[int, Opcode] = {int(op): op for op in Opcode}


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
# Errors from the peer (ProtocolError and subclasses): one factory each.


def opcode_name(opcode: int) -> str:
    """The name of a defined opcode, for messages."""
    return OPCODES[opcode].name


def reserved_opcode(opcode: int) -> ProtocolError:
    # RFC 6455 §5.2: "If an unknown opcode is received, the receiving endpoint
    # MUST _Fail the WebSocket Connection_" (1002, §7.4.1).
    return ProtocolError(f"reserved opcode {opcode:#x}", 1002)


def fragmented_control(opcode: int) -> ProtocolError:
    # RFC 6455 §5.5: "All control frames ... MUST NOT be fragmented."
    return ProtocolError(f"fragmented control frame ({opcode_name(opcode)})", 1002)


def control_too_long(opcode: int, length: int) -> ProtocolError:
    # RFC 6455 §5.5: control frames carry at most 125 bytes.
    return ProtocolError(
        f"control frame ({opcode_name(opcode)}) payload of {length} bytes exceeds "
        f"{MAX_CONTROL_PAYLOAD}",
        1002,
    )


def non_minimal_length(bits: int) -> ProtocolError:
    # RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length".
    below = 126 if bits == 16 else 0x10000
    return ProtocolError(
        f"non-minimal {bits}-bit encoding of a payload length below {below}", 1002
    )


def length_msb() -> ProtocolError:
    # RFC 6455 §5.2: with a 64-bit length "the most significant bit MUST be 0".
    return ProtocolError("64-bit payload length with the most significant bit set", 1002)


def reserved_bits(unexpected: int) -> ProtocolError:
    # RFC 6455 §5.2: RSV bits that no negotiated extension defines fail (1002).
    names = [name for bit, name in ((4, "RSV1"), (2, "RSV2"), (1, "RSV3")) if unexpected & bit]
    return ProtocolError(f"reserved bit {'/'.join(names)} set without an extension", 1002)


def rsv1_not_first(opcode: int) -> ProtocolError:
    # RFC 7692 §6.1: RSV1 marks the first frame of a compressed data message;
    # a control or continuation frame with RSV1 set fails the connection.
    return ProtocolError(f"RSV1 set on a {opcode_name(opcode)} frame", 1002)


def mask_bit_error(client: bool) -> ProtocolError:
    # RFC 6455 §5.1: a client masks every frame; a server masks none.
    if client:
        return ProtocolError("masked frame from the server", 1002)
    return ProtocolError("unmasked frame from the client", 1002)


def fragmentation_error(opcode: int, in_message: bool) -> ProtocolError | None:
    """The fragmentation-order rule (RFC 6455 §5.4): None if a data frame with
    ``opcode`` may come now, else the error.

    A fragmented message is a TEXT or BINARY frame with FIN clear, then zero or
    more CONTINUATION frames, the last one with FIN set; control frames may be
    injected in between, data frames may not.  The compiled decoder evaluates
    this function for every (opcode, in_message) pair at import.
    """
    if opcode == Opcode.CONTINUATION and not in_message:
        return ProtocolError("continuation frame without a message to continue", 1002)
    if opcode in (Opcode.TEXT, Opcode.BINARY) and in_message:
        return ProtocolError(
            f"{opcode_name(opcode)} frame inside a fragmented message (expected CONTINUATION)",
            1002,
        )
    return None


def frame_too_big(length: int, limit: object) -> PayloadTooBig:
    # max_frame_size is judged on the declared length, before the payload is
    # buffered; 1009 "message too big" (RFC 6455 §7.4.1).
    return PayloadTooBig(
        f"frame payload of {length} bytes exceeds the limit of {limit} bytes", 1009
    )


def message_too_big(size: int, limit: object) -> PayloadTooBig:
    # RFC 6455 §7.4.1: 1009 for a message too big to process.
    return PayloadTooBig(
        f"message of at least {size} bytes exceeds the limit of {limit} bytes", 1009
    )


def inflated_too_big(limit: object) -> PayloadTooBig:
    # RFC 7692 §8 leaves the bound to the implementation; the inflated size of
    # a message counts against max_message_size as its wire size does.
    return PayloadTooBig(
        f"message inflates to more than the limit of {limit} bytes", 1009
    )


def invalid_text(position: int) -> InvalidUTF8:
    # RFC 6455 §8.1: text must be UTF-8; 1007 at the start of the ill-formed
    # sequence, counted within the message.
    return InvalidUTF8(f"text payload is not valid UTF-8 at byte {position}", position)


def truncated_text(position: int) -> InvalidUTF8:
    # RFC 6455 §8.1: the message ended inside a code point.
    return InvalidUTF8(
        f"text payload is not valid UTF-8 at byte {position} (truncated sequence)", position
    )


def utf8_error(position: int, why: str, fail_index: int | None = None) -> InvalidUTF8:
    """The one wording of the UTF-8 validator's and decoder's errors:
    ``"<why> at byte <position>"`` (``why``: "invalid UTF-8" or "truncated UTF-8
    sequence"); ``fail_index`` is the byte that made the stream impossible."""
    return InvalidUTF8(f"{why} at byte {position}", position, fail_index=fail_index)


def parse_close(payload: Any) -> tuple[int, str]:
    """Parse a Close frame's payload into ``(code, reason)`` (RFC 6455 §5.5.1).

    An empty payload means no status code: ``(1005, "")`` (§7.1.5).

    Raises:
        ProtocolError: (1002) a 1-byte payload or a code that may not be sent
            (see :func:`is_valid_close_code`).
        InvalidUTF8: (1007) the reason is not UTF-8; ``position`` is the
            offset within the reason (§8.1).
        TypeError: ``payload`` is not a bytes-like object.
    """
    data = payload if type(payload) is bytes else bytes(byte_view(payload, "payload"))
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
    try:
        reason = data[2:].decode("utf-8")
    except UnicodeDecodeError as exc:
        # RFC 6455 §5.5.1: "the data ... MUST be UTF-8" -> §8.1 close 1007.
        raise InvalidUTF8(
            f"close reason is not valid UTF-8 at byte {exc.start}", exc.start
        ) from None
    return code, reason


# ---------------------------------------------------------------------------
# Arguments of local calls (ValueError / TypeError: the caller's mistake)


def byte_view(data: Any, what: str = "data") -> memoryview:
    """Return a flat, byte-format view of any C-contiguous buffer.

    Buffers are taken as their raw bytes whatever their item format, so
    ``array('I')`` is masked byte by byte like the memory it occupies.

    Raises:
        TypeError: ``data`` does not support the buffer protocol (``str`` included).
        ValueError: ``data`` is not C-contiguous.
    """
    if isinstance(data, str):
        raise TypeError(f"{what} must be a bytes-like object, not str")
    try:
        view = memoryview(data)
    except TypeError:
        raise TypeError(
            f"{what} must be a bytes-like object, not {type(data).__name__}"
        ) from None
    if not view.c_contiguous:
        raise ValueError(f"{what} must be a C-contiguous buffer")
    if view.format != "B" or view.ndim != 1:
        view = view.cast("B")
    return view


def mask_key(mask: Any, offset: int = 0) -> bytes:
    """Return the 4-byte key rotated so that its first byte applies at ``offset``.

    Raises:
        TypeError: ``mask`` is not a bytes-like object or ``offset`` not an int.
        ValueError: ``mask`` is not exactly 4 bytes long.
    """
    key = bytes(byte_view(mask, "mask"))
    if len(key) != 4:
        raise ValueError(f"mask must be 4 bytes long, got {len(key)}")
    # RFC 6455 §5.3: byte i of the payload uses key byte i MOD 4; a chunk that
    # starts at payload offset `offset` therefore starts at key byte offset % 4.
    phase = operator.index(offset) % 4
    return key[phase:] + key[:phase]


def defined_opcode(opcode: Any) -> Opcode:
    """The Opcode member for a local argument.

    Raises:
        ValueError: a reserved opcode (RFC 6455 §5.2).
        TypeError: ``opcode`` is not an int.
    """
    value = operator.index(opcode)
    try:
        return OPCODES[value]
    except KeyError:
        raise ValueError(f"reserved opcode {value:#x}") from None


def check_encode(opcode: Any, length: int, fin: bool) -> Opcode:
    """Check the arguments of a frame to encode; return its Opcode member.

    Raises:
        ValueError: reserved opcode, control frame over 125 bytes or with FIN
            clear (RFC 6455 §5.5), length out of 0..2**63-1 (§5.2).
        TypeError: ``opcode`` is not an int.
    """
    op = defined_opcode(opcode)
    if op.is_control and length > MAX_CONTROL_PAYLOAD:
        raise ValueError(
            f"control frame payload of {length} bytes exceeds {MAX_CONTROL_PAYLOAD}"
        )
    if op.is_control and not fin:
        raise ValueError("control frames cannot be fragmented (fin=False)")
    if length < 0 or length > MAX_PAYLOAD_LENGTH:
        raise ValueError(f"payload length {length} out of range")
    return op


def check_limit(value: Any, name: str) -> None:
    """Check a size limit argument: None or a non-negative number.

    Raises:
        ValueError: a negative limit.
    """
    if value is not None and value < 0:
        raise ValueError(f"{name} must be >= 0 or None")


def check_rsv_allowed(value: Any) -> None:
    """Check ``rsv_allowed``: a 3-bit mask (4 = RSV1, 2 = RSV2, 1 = RSV3).

    Raises:
        ValueError: outside 0..7.
    """
    if not 0 <= value <= 7:
        raise ValueError("rsv_allowed must be a 3-bit mask (0..7)")


# ---------------------------------------------------------------------------
# Encoding helpers


class _Deflater(Protocol):
    min_size: int

    def compress(self, payload: Any) -> bytes: ...


def plan_message(
    opcode: Any,
    payload: Any,
    *,
    fragment_size: int | None,
    deflater: _Deflater | None = None,
) -> tuple[Opcode, Any, bool, int]:
    """How :func:`wsframe.frames.encode_message` cuts a message into frames.

    Returns ``(opcode, data, compressed, step)``: the message's Opcode member,
    the bytes to send (a buffer: compressed if ``compressed``), and the payload
    size of every frame but the last (``len(data)`` or more when the message is
    one frame).

    RFC 6455 §5.4: a control frame is never fragmented; a message never starts
    with CONTINUATION.  RFC 7692 §6: with a ``deflater`` a data message at
    least ``deflater.min_size`` bytes long is compressed as a whole (RSV1 on
    its first frame only); ``fragment_size`` then bounds each frame's
    compressed payload.  Control frames are never compressed (§6.1).

    Raises:
        ValueError: CONTINUATION or reserved opcode, fragment_size < 1.
        TypeError: ``payload`` is a str or not a bytes-like object.
    """
    # bytes and plain opcodes skip the general conversions (this runs per message).
    data: Any = payload if type(payload) is bytes else byte_view(payload, "payload")
    op = OPCODES.get(opcode) if type(opcode) in (int, Opcode) else None
    if op is None:
        op = defined_opcode(opcode)
    if op is Opcode.CONTINUATION:
        raise ValueError("a message cannot start with a CONTINUATION frame")
    if fragment_size is not None and fragment_size < 1:
        raise ValueError("fragment_size must be >= 1 or None")
    compressed = False
    control = op >= 8
    if deflater is not None and not control and len(data) >= deflater.min_size:
        data = deflater.compress(data)
        compressed = True
    if control or fragment_size is None or len(data) <= fragment_size:
        step = max(len(data), 1)
    else:
        step = operator.index(fragment_size)
    return op, data, compressed, step


def fragment_message(
    encode: Callable[..., bytes],
    opcode: Any,
    payload: Any,
    *,
    fragment_size: int | None,
    masked: bool,
    deflater: _Deflater | None = None,
    mask_source: Callable[[], bytes] | None = None,
) -> list[bytes]:
    """:func:`wsframe.frames.encode_message`: the frames of :func:`plan_message`,
    each encoded by ``encode`` (each backend's ``encode_frame``), the first
    with the message's opcode and the others CONTINUATION, FIN on the last
    (RFC 6455 §5.4); with ``masked`` each gets a fresh key from
    ``mask_source`` (default :func:`new_mask`; RFC 6455 §5.3)."""
    op, data, compressed, step = plan_message(
        opcode, payload, fragment_size=fragment_size, deflater=deflater
    )
    key = mask_source if mask_source is not None else new_mask
    if step >= len(data):  # one frame: the common case, without slicing
        return [encode(op, data, fin=True, rsv1=compressed, mask=key() if masked else None)]
    view = memoryview(data)
    starts = range(0, len(view), step)
    last = len(starts) - 1
    return [
        encode(
            op if index == 0 else Opcode.CONTINUATION,
            view[start : start + step],
            fin=index == last,
            rsv1=compressed and index == 0,
            mask=key() if masked else None,
        )
        for index, start in enumerate(starts)
    ]


def encode_close(code: Any, reason: str = "") -> bytes:
    """Encode a Close frame's payload: the code, then the UTF-8 reason (RFC 6455 §5.5.1).

    Raises:
        ValueError: a code that may not be sent (see :func:`is_valid_close_code`)
            or a reason longer than 123 bytes once encoded.
        TypeError: ``reason`` is not a str.
    """
    if not isinstance(reason, str):
        raise TypeError(f"reason must be a str, not {type(reason).__name__}")
    value = operator.index(code)
    if not is_valid_close_code(value):
        raise ValueError(f"invalid close code {value}")
    encoded = reason.encode("utf-8")
    # RFC 6455 §5.5: 125 bytes of payload at most, 2 of which are the code.
    if len(encoded) > MAX_CLOSE_REASON:
        raise ValueError(f"close reason of {len(encoded)} bytes exceeds {MAX_CLOSE_REASON}")
    return value.to_bytes(2, "big") + encoded


# ---------------------------------------------------------------------------
# Masking keys (RFC 6455 §5.3, §10.3)
#
# A masking key must be unpredictable to the application (a script in a
# browser) that chooses the payload: "The masking key needs to be
# unpredictable; thus, the masking key MUST be derived from a strong source of
# entropy" (§5.3), so that the payload cannot be chosen to look like another
# protocol on the wire (§10.3).  Bytes of os.urandom() taken 4 at a time from
# a block are exactly as unpredictable as 4 bytes asked for one by one: the
# kernel's CSPRNG output is indistinguishable from random however it is cut.
# What must not happen is that two keys are equal because they were served
# from the same bytes: the pool hands out every 4 bytes once (a lock makes
# the take atomic across threads), wipes them as it serves them, and a forked
# child drops the parent's pool (os.register_at_fork) so that parent and child
# never use the same keys.  The compiled backend keeps its pool in C with the
# same rules (see _speedups/_frames.pyx).

#: Bytes drawn from os.urandom() per refill: 1024 keys per system call.
KEY_POOL_SIZE = 4096

_key_lock = threading.Lock()
_key_pool = bytearray()
_key_pos = 0


def _drop_key_pool() -> None:
    global _key_pool, _key_pos
    _key_pool = bytearray()
    _key_pos = 0


def new_mask() -> bytes:
    """A fresh masking key from the OS's cryptographic source (RFC 6455 §5.3:
    the key must be unpredictable), served from a buffer of os.urandom()
    output refilled in blocks: no system call per frame, no key served
    twice, none shared with a forked child."""
    global _key_pool, _key_pos
    with _key_lock:
        if _key_pos + 4 > len(_key_pool):
            _key_pool = bytearray(os.urandom(KEY_POOL_SIZE))
            _key_pos = 0
        start = _key_pos
        key = bytes(_key_pool[start : start + 4])
        _key_pool[start : start + 4] = b"\0\0\0\0"
        _key_pos = start + 4
    return key


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_drop_key_pool)
