"""WebSocket framing (RFC 6455 §5): parse, decode, encode, reassemble.

See the docstrings of each name; the semantics are those of the reference
implementation in :mod:`wsframe._reference.frames`, which the compiled backend
follows exactly.  Constants, policies and error wording shared by both live in
:mod:`wsframe._rules`; ``__all__`` here is ``_rules.FRAMES_API``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _backend

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
    "encode_message_bytes",
    "new_mask",
    "parse_close",
    "encode_close",
    "is_valid_close_code",
    "MessageAssembler",
    "DEFAULT_MAX_SIZE",
]

if TYPE_CHECKING:
    from ._reference.frames import (
        DEFAULT_MAX_SIZE,
        CloseCode,
        Frame,
        FrameDecoder,
        FrameHeader,
        Message,
        MessageAssembler,
        Opcode,
        encode_close,
        encode_frame,
        encode_header,
        encode_message,
        encode_message_bytes,
        is_valid_close_code,
        new_mask,
        parse_close,
        parse_header,
    )
else:
    _impl = _backend.frames
    Opcode = _impl.Opcode
    CloseCode = _impl.CloseCode
    FrameHeader = _impl.FrameHeader
    Frame = _impl.Frame
    Message = _impl.Message
    parse_header = _impl.parse_header
    FrameDecoder = _impl.FrameDecoder
    encode_frame = _impl.encode_frame
    encode_header = _impl.encode_header
    encode_message = _impl.encode_message
    encode_message_bytes = _impl.encode_message_bytes
    DEFAULT_MAX_SIZE = _impl.DEFAULT_MAX_SIZE
    new_mask = _impl.new_mask
    parse_close = _impl.parse_close
    encode_close = _impl.encode_close
    is_valid_close_code = _impl.is_valid_close_code
    MessageAssembler = _impl.MessageAssembler
