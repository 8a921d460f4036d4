"""The public names of :mod:`wsframe.frames`, :mod:`wsframe.mask` and
:mod:`wsframe.utf8`: one list per public module.

The public module takes its ``__all__`` from here, and so does each backend's
module (the compiled ones add ``simd_level`` and ``supported_levels``).  The
``.pyi`` stubs of the compiled modules cannot compute a list: they spell it out,
and tests/package/test_package.py holds every spelling to these lists.
"""

from __future__ import annotations

__all__ = ["FRAMES_API", "MASK_API", "UTF8_API", "SIMD_API"]

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

MASK_API = ("apply_mask", "apply_mask_inplace", "Masker")

UTF8_API = ("is_valid", "find_invalid", "decode", "Utf8Validator", "InvalidUTF8")

#: What the compiled mask and utf8 modules export beyond their public list.
SIMD_API = ("simd_level", "supported_levels")
