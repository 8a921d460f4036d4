"""Pure-Python reference for encoding frames and messages (RFC 6455 §5.2-§5.4,
RFC 7692 §6): the encoding half of :mod:`wsframe._reference.frames`, which
re-exports every name here (the compiled counterpart is
``wsframe/_speedups/_encoder.pxi``).
"""

from __future__ import annotations

import operator
import struct
from typing import TYPE_CHECKING, Any

from .._args import byte_view, mask_key
from .._keys import new_mask
from .._plan import check_encode, message_frames
from .mask import apply_mask

if TYPE_CHECKING:
    from ..deflate import Deflater

__all__ = ["encode_header", "encode_frame", "encode_message", "encode_message_bytes"]


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
    op = check_encode(opcode, operator.index(length), fin)
    # RFC 6455 §5.2: FIN, RSV1-3 (flags are truth-tested), then the opcode.
    b0 = (bool(fin) << 7) | (bool(rsv1) << 6) | (bool(rsv2) << 5) | (bool(rsv3) << 4) | op
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
    head = encode_header(opcode, len(view), fin=fin, rsv1=rsv1, rsv2=rsv2, rsv3=rsv3, mask=mask)
    body = apply_mask(view, mask) if mask is not None else bytes(view)
    return head + body


def encode_message(
    opcode: int,
    payload: Any,
    *,
    fragment_size: float | None = None,
    masked: bool = False,
    deflater: Deflater | None = None,
) -> list[bytes]:
    """Encode a message as a correct fragment sequence (RFC 6455 §5.4).

    The first frame carries ``opcode``, the others CONTINUATION; only the last
    has FIN set.  ``fragment_size`` bounds each frame's payload (None: one
    frame).  With ``masked=True`` every frame gets a fresh key (§5.3).  A
    control opcode gives one frame (control frames cannot be fragmented).
    With a ``deflater`` (:class:`wsframe.deflate.Deflater`) a data message of
    at least ``deflater.min_size`` bytes is compressed and RSV1 is set on its
    first frame only (RFC 7692 §6); ``fragment_size`` then bounds each frame's
    compressed payload.  Control frames are never compressed.

    Raises:
        ValueError: CONTINUATION or reserved opcode, fragment_size < 1,
            control payload over 125 bytes.
        TypeError: ``payload`` is a str or not a bytes-like object.
    """
    return [
        encode_frame(op, piece, fin=fin, rsv1=rsv1, mask=new_mask() if masked else None)
        for op, piece, fin, rsv1 in message_frames(opcode, payload, fragment_size=fragment_size, deflater=deflater)
    ]


def encode_message_bytes(
    opcode: int,
    payload: Any,
    *,
    fragment_size: float | None = None,
    masked: bool = False,
    deflater: Deflater | None = None,
) -> bytes:
    """:func:`encode_message`, as one contiguous ``bytes`` ready for one write.

    Encode once, send to many: the result of an unmasked (server-side)
    message may be written to any number of connections, as long as the
    frames mean the same on each of them, which holds exactly when

    - ``deflater`` is None (no compression), and every connection accepts the
      message's size and RSV bits; or
    - ``deflater`` is not None and the connections all negotiated
      permessage-deflate, and this deflater cannot carry context between
      messages (``server_no_context_takeover`` was agreed for a server, or the
      deflater is used for this message only): with context takeover each
      connection's compressor history differs, so each needs its own
      ``encode`` (RFC 7692 §7.2.1).

    A masked message (a client's) must never be reused: each frame needs a
    fresh, unpredictable key (RFC 6455 §5.3).

    Raises:
        the same as :func:`encode_message`.
    """
    return b"".join(encode_message(opcode, payload, fragment_size=fragment_size, masked=masked, deflater=deflater))
