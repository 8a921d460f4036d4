"""The protocol's constants, policies and error wording, written once for both backends.

Everything in this module is shared: the pure-Python reference
(:mod:`wsframe._reference`) and the compiled modules (:mod:`wsframe._speedups`)
import it, and neither restates what is here.  The compiled side turns every
policy into a lookup table at import (defined opcodes, control-frame FIN and
length, RSV bits, the mask bit, fragmentation order, close codes), so a rule
written here is the rule that runs in C.

What lives here:

- limits: :data:`DEFAULT_MAX_SIZE`, :data:`MAX_CONTROL_PAYLOAD`,
  :data:`MAX_CLOSE_REASON`, :data:`MAX_PAYLOAD_LENGTH`;
- :class:`Opcode`, :class:`CloseCode` and :data:`OPCODES`;
- the header and message policies, one function each, returning None or the
  :class:`~wsframe.errors.ProtocolError` to raise: :func:`opcode_error`,
  :func:`control_fin_error`, :func:`control_length_error`, :func:`rsv_error`,
  :func:`mask_error`, :func:`fragmentation_error`;
- the Close body: :func:`is_valid_close_code`, :func:`parse_close`,
  :func:`encode_close`;
- one factory per other error from the peer, so that each message is worded
  once (the names say which rule failed; the caller raises), inflating's
  included.

Beside it, at the same level: :mod:`wsframe._args` (arguments of local calls),
:mod:`wsframe._plan` (what may be encoded; a message cut into frames),
:mod:`wsframe._keys` (masking keys) and :mod:`wsframe._api` (public names).
"""

from __future__ import annotations

import enum
import operator
from typing import Any

from ._args import byte_view
from .errors import InvalidUTF8, PayloadTooBig, ProtocolError

__all__ = [
    "DEFAULT_MAX_SIZE",
    "MAX_CONTROL_PAYLOAD",
    "MAX_CLOSE_REASON",
    "MAX_PAYLOAD_LENGTH",
    "Opcode",
    "CloseCode",
    "OPCODES",
    "opcode_error",
    "control_fin_error",
    "control_length_error",
    "rsv_error",
    "mask_error",
    "fragmentation_error",
    "is_valid_close_code",
    "parse_close",
    "encode_close",
]

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

#: A message's fragments shorter than this are copied into one growing buffer
#: while the message is incomplete, and empty ones are dropped: held as objects
#: of their own, a peer's tiny or empty fragments would cost ~40-50 bytes each
#: beyond the bytes that ``max_message_size`` counts (an unbounded amount for
#: empty ones).  Larger fragments are kept as they came (no copy), which costs
#: under 10% on top of their bytes.
SMALL_FRAGMENT = 512


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

#: Close code value -> member, for every code CloseCode names.
_CLOSE_CODES: dict[int, CloseCode] = {int(code): code for code in CloseCode}

_PROTOCOL_ERROR = CloseCode.PROTOCOL_ERROR
_TOO_BIG = CloseCode.MESSAGE_TOO_BIG


def opcode_name(opcode: int) -> str:
    """The name of a defined opcode, for messages."""
    return OPCODES[opcode].name


# ---------------------------------------------------------------------------
# Header policies (RFC 6455 §5.1-§5.5, RFC 7692 §6.1): None, or the error.
# The compiled decoder evaluates each one for every value of its arguments at
# import and keeps the verdicts as tables; it calls the function again only to
# build the error it reports.


def opcode_error(opcode: int) -> ProtocolError | None:
    """RFC 6455 §5.2: "If an unknown opcode is received, the receiving endpoint
    MUST _Fail the WebSocket Connection_" (1002, §7.4.1)."""
    if opcode in OPCODES:
        return None
    return ProtocolError(f"reserved opcode {opcode:#x}", _PROTOCOL_ERROR)


def control_fin_error(opcode: int, fin: bool) -> ProtocolError | None:
    """RFC 6455 §5.5: "All control frames ... MUST NOT be fragmented."
    (``opcode`` is a defined one.)"""
    if opcode < 8 or fin:
        return None
    return ProtocolError(f"fragmented control frame ({opcode_name(opcode)})", _PROTOCOL_ERROR)


def control_length_error(opcode: int, length: int) -> ProtocolError | None:
    """RFC 6455 §5.5: a control frame carries at most 125 bytes (``length``
    may be the 7-bit length field: 126 and 127 mean more).  (``opcode`` is a
    defined one.)"""
    if opcode < 8 or length <= MAX_CONTROL_PAYLOAD:
        return None
    return ProtocolError(
        f"control frame ({opcode_name(opcode)}) payload of {length} bytes exceeds {MAX_CONTROL_PAYLOAD}",
        _PROTOCOL_ERROR,
    )


def rsv_error(rsv: int, opcode: int, rsv_allowed: int) -> ProtocolError | None:
    """The RSV bits (``rsv``: 4 = RSV1, 2 = RSV2, 1 = RSV3) of a frame with a
    defined ``opcode`` when the negotiated extensions define ``rsv_allowed``.

    RFC 6455 §5.2: "If a nonzero value is received and none of the negotiated
    extensions defines the meaning of such a nonzero value, the receiving
    endpoint MUST _Fail the WebSocket Connection_."  RFC 7692 §6.1: RSV1 marks
    the first frame of a compressed data message ("per-message compressed"):
    on a control or continuation frame it fails the connection even when the
    extension was negotiated.
    """
    unexpected = rsv & ~rsv_allowed & 7
    if unexpected:
        names = [name for bit, name in ((4, "RSV1"), (2, "RSV2"), (1, "RSV3")) if unexpected & bit]
        return ProtocolError(f"reserved bit {'/'.join(names)} set without an extension", _PROTOCOL_ERROR)
    if rsv & 4 and (opcode == Opcode.CONTINUATION or opcode >= 8):
        return ProtocolError(f"RSV1 set on a {opcode_name(opcode)} frame", _PROTOCOL_ERROR)
    return None


def mask_error(masked: bool, client: bool) -> ProtocolError | None:
    """RFC 6455 §5.1: "a client MUST mask all frames that it sends to the
    server"; "A server MUST NOT mask any frames that it sends to the client";
    the receiver (``client``: this side is the client) closes with 1002."""
    if bool(masked) != bool(client):
        return None
    if client:
        return ProtocolError("masked frame from the server", _PROTOCOL_ERROR)
    return ProtocolError("unmasked frame from the client", _PROTOCOL_ERROR)


def non_minimal_length(bits: int) -> ProtocolError:
    # RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length".
    below = 126 if bits == 16 else 0x10000
    return ProtocolError(f"non-minimal {bits}-bit encoding of a payload length below {below}", _PROTOCOL_ERROR)


def length_msb() -> ProtocolError:
    # RFC 6455 §5.2: with a 64-bit length "the most significant bit MUST be 0".
    return ProtocolError("64-bit payload length with the most significant bit set", _PROTOCOL_ERROR)


def fragmentation_error(opcode: int, in_message: bool) -> ProtocolError | None:
    """The fragmentation-order rule (RFC 6455 §5.4): None if a data frame with
    ``opcode`` may come now, else the error.

    A fragmented message is a TEXT or BINARY frame with FIN clear, then zero or
    more CONTINUATION frames, the last one with FIN set; control frames may be
    injected in between, data frames may not.
    """
    if opcode == Opcode.CONTINUATION and not in_message:
        return ProtocolError("continuation frame without a message to continue", _PROTOCOL_ERROR)
    if opcode in (Opcode.TEXT, Opcode.BINARY) and in_message:
        return ProtocolError(
            f"{opcode_name(opcode)} frame inside a fragmented message (expected CONTINUATION)",
            _PROTOCOL_ERROR,
        )
    return None


# ---------------------------------------------------------------------------
# Errors from the peer: one factory each (the caller raises).


def frame_too_big(length: int, limit: object) -> PayloadTooBig:
    # max_frame_size is judged on the declared length, before the payload is
    # buffered; 1009 "message too big" (RFC 6455 §7.4.1).
    return PayloadTooBig(f"frame payload of {length} bytes exceeds the limit of {limit} bytes", _TOO_BIG)


def message_too_big(size: int, limit: object) -> PayloadTooBig:
    # RFC 6455 §7.4.1: 1009 for a message too big to process.
    return PayloadTooBig(f"message of at least {size} bytes exceeds the limit of {limit} bytes", _TOO_BIG)


def inflated_too_big(limit: object) -> PayloadTooBig:
    # RFC 7692 §8 leaves the bound to the implementation; the inflated size of
    # a message counts against max_message_size as its wire size does.
    return PayloadTooBig(f"message inflates to more than the limit of {limit} bytes", _TOO_BIG)


def inflated_past_ratio(ratio: object, compressed: int, slack: int) -> PayloadTooBig:
    # The cap on CPU amplification (Inflater(max_ratio=)): many small bombs
    # each under the size limit still cost ratio x their wire size.
    return PayloadTooBig(
        f"message inflates to more than {ratio} x its compressed size ({compressed} bytes) + {slack} bytes",
        _TOO_BIG,
    )


def invalid_text(position: int) -> InvalidUTF8:
    # RFC 6455 §8.1: text must be UTF-8; 1007 at the start of the ill-formed
    # sequence, counted within the message.
    return InvalidUTF8(f"text payload is not valid UTF-8 at byte {position}", position)


def truncated_text(position: int) -> InvalidUTF8:
    # RFC 6455 §8.1: the message ended inside a code point.
    return InvalidUTF8(f"text payload is not valid UTF-8 at byte {position} (truncated sequence)", position)


def utf8_error(position: int, why: str, fail_index: int | None = None) -> InvalidUTF8:
    """The one wording of the UTF-8 validator's and decoder's errors:
    ``"<why> at byte <position>"`` (``why``: "invalid UTF-8" or "truncated UTF-8
    sequence"); ``fail_index`` is the byte that made the stream impossible."""
    return InvalidUTF8(f"{why} at byte {position}", position, fail_index=fail_index)


def corrupt_compressed(detail: object) -> ProtocolError:
    # RFC 7692 §7.2.2: data that does not inflate fails the connection (1002).
    return ProtocolError(f"corrupt compressed message: {detail}", _PROTOCOL_ERROR)


# ---------------------------------------------------------------------------
# The Close body (RFC 6455 §5.5.1, §7.4)


def is_valid_close_code(code: int) -> bool:
    """Whether ``code`` may appear in a Close frame — wsframe's one policy.

    Valid: 1000-1003 and 1007-1011 (RFC 6455 §7.4.1), 1012-1014 (registered
    with IANA later, §11.7), 3000-4999 (libraries, frameworks, applications;
    §7.4.2).  Invalid: 0-999 (unused), 1004 (reserved), 1005, 1006 and 1015
    (must not be sent in a Close frame, §7.4.1), 1016-2999 (reserved for future
    RFCs), 5000 and above (out of range).  Autobahn 7.7.x / 7.9.x agree.

    Raises:
        TypeError: ``code`` is not an int.
    """
    try:
        code = operator.index(code)
    except TypeError:
        raise TypeError(f"close code must be an int, not {type(code).__name__}") from None
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


def parse_close(payload: Any) -> tuple[int, str]:
    """Parse a Close frame's payload into ``(code, reason)`` (RFC 6455 §5.5.1).

    ``code`` is a :class:`CloseCode` member for every code it names (1000 is
    ``CloseCode.NORMAL_CLOSURE``), a plain ``int`` for the others (3000-4999,
    say).  An empty payload means no status code:
    ``(CloseCode.NO_STATUS_RCVD, "")`` (§7.1.5).

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
        raise ProtocolError("close frame payload of 1 byte (a code needs 2)", _PROTOCOL_ERROR)
    code = int.from_bytes(data[:2], "big")
    # RFC 6455 §7.4: only defined or registered codes may be sent.
    if not is_valid_close_code(code):
        raise ProtocolError(f"invalid close code {code}", _PROTOCOL_ERROR)
    try:
        reason = data[2:].decode("utf-8")
    except UnicodeDecodeError as exc:
        # RFC 6455 §5.5.1: "the data ... MUST be UTF-8" -> §8.1 close 1007.
        raise InvalidUTF8(f"close reason is not valid UTF-8 at byte {exc.start}", exc.start) from None
    return _CLOSE_CODES.get(code, code), reason


def encode_close(code: Any, reason: str = "") -> bytes:
    """Encode a Close frame's payload: the code, then the UTF-8 reason (RFC 6455 §5.5.1).

    Raises:
        ValueError: a code that may not be sent (see :func:`is_valid_close_code`)
            or a reason longer than 123 bytes once encoded.
        TypeError: ``code`` is not an int or ``reason`` not a str.
    """
    if not isinstance(reason, str):
        raise TypeError(f"reason must be a str, not {type(reason).__name__}")
    try:
        value = operator.index(code)
    except TypeError:
        raise TypeError(f"code must be an int, not {type(code).__name__}") from None
    if not is_valid_close_code(value):
        raise ValueError(f"invalid close code {value}")
    encoded = reason.encode("utf-8")
    # RFC 6455 §5.5: 125 bytes of payload at most, 2 of which are the code.
    if len(encoded) > MAX_CLOSE_REASON:
        raise ValueError(f"close reason of {len(encoded)} bytes exceeds {MAX_CLOSE_REASON}")
    return value.to_bytes(2, "big") + encoded
