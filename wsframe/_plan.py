"""What a local caller may ask to encode, and how a message becomes frames.

Both backends' encoders check their arguments here (:func:`defined_opcode`,
:func:`check_encode`) and take the cut of a message into frames from
:func:`plan_message` / :func:`message_frames`, which return the plan and call
nothing back: the backend encodes the frames it is given.  Mistakes are the
caller's: :class:`ValueError` / :class:`TypeError`, never a ProtocolError.
"""

from __future__ import annotations

import operator
from typing import Any, Protocol

from ._args import byte_view, check_limit
from ._rules import (
    MAX_CONTROL_PAYLOAD,
    MAX_PAYLOAD_LENGTH,
    OPCODES,
    Opcode,
    control_fin_error,
    control_length_error,
)

__all__ = ["defined_opcode", "check_encode", "fragment_step", "plan_message", "message_frames"]


class _Deflater(Protocol):
    min_size: int

    def compress(self, payload: Any) -> bytes: ...


def defined_opcode(opcode: Any) -> Opcode:
    """The Opcode member for a local argument.

    Raises:
        ValueError: a reserved opcode (RFC 6455 §5.2).
        TypeError: ``opcode`` is not an int.
    """
    try:
        value = operator.index(opcode)
    except TypeError:
        raise TypeError(f"opcode must be an int, not {type(opcode).__name__}") from None
    try:
        return OPCODES[value]
    except KeyError:
        raise ValueError(f"reserved opcode {value:#x}") from None


def check_encode(opcode: Any, length: int, fin: bool) -> Opcode:
    """Check the arguments of a frame to encode; return its Opcode member.

    The control-frame rules are the ones a peer's frame is judged by
    (:func:`wsframe._rules.control_length_error`, ``control_fin_error``).

    Raises:
        ValueError: reserved opcode, control frame over 125 bytes or with FIN
            clear (RFC 6455 §5.5), length out of 0..2**63-1 (§5.2).
        TypeError: ``opcode`` is not an int.
    """
    op = defined_opcode(opcode)
    if control_length_error(op, length) is not None:
        raise ValueError(f"control frame payload of {length} bytes exceeds {MAX_CONTROL_PAYLOAD}")
    if control_fin_error(op, bool(fin)) is not None:
        raise ValueError("control frames cannot be fragmented (fin=False)")
    if length < 0 or length > MAX_PAYLOAD_LENGTH:
        raise ValueError(f"payload length {length} out of range")
    return op


def fragment_step(fragment_size: Any) -> int | None:
    """``fragment_size`` as the int payload size of a fragment, or None (one
    frame): a size bound of any real number type, as the limits are.

    Raises:
        TypeError: not a real number.
        ValueError: below 1, or NaN.
    """
    try:
        size = check_limit(fragment_size, "fragment_size")
    except ValueError:
        size = 0
    if size is not None and size < 1:
        raise ValueError("fragment_size must be >= 1 or None")
    return size


def plan_message(
    opcode: Any,
    payload: Any,
    *,
    fragment_size: float | None,
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
        TypeError: ``payload`` is a str or not a bytes-like object, or an
            argument of the wrong type (``deflater`` without ``compress``).
    """
    # bytes and plain opcodes skip the general conversions (this runs per message).
    data: Any = payload if type(payload) is bytes else byte_view(payload, "payload")
    op = OPCODES.get(opcode) if type(opcode) in (int, Opcode) else None
    if op is None:
        op = defined_opcode(opcode)
    if op is Opcode.CONTINUATION:
        raise ValueError("a message cannot start with a CONTINUATION frame")
    if fragment_size is not None and (type(fragment_size) is not int or fragment_size < 1):
        fragment_size = fragment_step(fragment_size)
    compressed = False
    control = op >= 8
    if deflater is not None and not hasattr(deflater, "compress"):
        raise TypeError(f"deflater must be a wsframe.deflate.Deflater or None, not {type(deflater).__name__}")
    if deflater is not None and not control and len(data) >= deflater.min_size:
        data = deflater.compress(data)
        compressed = True
    if control or fragment_size is None or len(data) <= fragment_size:
        step = max(len(data), 1)
    else:
        step = operator.index(fragment_size)
    return op, data, compressed, step


def message_frames(
    opcode: Any,
    payload: Any,
    *,
    fragment_size: float | None,
    deflater: _Deflater | None = None,
) -> list[tuple[Opcode, Any, bool, bool]]:
    """The frames of :func:`plan_message`, as ``(opcode, payload, fin, rsv1)``:
    the first with the message's opcode and the others CONTINUATION, FIN on the
    last (RFC 6455 §5.4), RSV1 on the first of a compressed message (RFC 7692
    §6).  Each payload is a slice of one buffer (no copy); the caller encodes
    (and masks) each frame.

    Raises:
        the same as :func:`plan_message`.
    """
    op, data, compressed, step = plan_message(opcode, payload, fragment_size=fragment_size, deflater=deflater)
    if step >= len(data):  # one frame: the common case, without slicing
        return [(op, data, True, compressed)]
    view = memoryview(data)
    starts = range(0, len(view), step)
    last = starts[-1]
    return [
        (
            op if start == 0 else Opcode.CONTINUATION,
            view[start : start + step],
            start == last,
            compressed and start == 0,
        )
        for start in starts
    ]
