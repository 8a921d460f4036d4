"""WebSocket framing (RFC 6455 §5): parse, decode, encode, reassemble.

See the docstrings of each name; the semantics are those of the reference
implementation in :mod:`wsframe._reference.frames`, which the compiled backend
follows exactly.  Constants, policies and error wording shared by both live in
:mod:`wsframe._rules`; ``__all__`` here is ``_api.FRAMES_API``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _api, _backend

__all__ = list(_api.FRAMES_API)

if TYPE_CHECKING:
    from ._reference.frames import DEFAULT_MAX_SIZE as DEFAULT_MAX_SIZE
    from ._reference.frames import CloseCode as CloseCode
    from ._reference.frames import Frame as Frame
    from ._reference.frames import FrameDecoder as FrameDecoder
    from ._reference.frames import FrameHeader as FrameHeader
    from ._reference.frames import Message as Message
    from ._reference.frames import MessageAssembler as MessageAssembler
    from ._reference.frames import Opcode as Opcode
    from ._reference.frames import encode_close as encode_close
    from ._reference.frames import encode_frame as encode_frame
    from ._reference.frames import encode_header as encode_header
    from ._reference.frames import encode_message as encode_message
    from ._reference.frames import encode_message_bytes as encode_message_bytes
    from ._reference.frames import is_valid_close_code as is_valid_close_code
    from ._reference.frames import new_mask as new_mask
    from ._reference.frames import parse_close as parse_close
    from ._reference.frames import parse_header as parse_header
else:
    # The active backend's objects, under the names of the one list.
    globals().update({name: getattr(_backend.frames, name) for name in __all__})
