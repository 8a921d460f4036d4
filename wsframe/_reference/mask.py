"""Pure-Python reference for XOR masking (RFC 6455 §5.3).

RFC 6455 §5.3: octet ``i`` of the transformed data is octet ``i`` of the
original data XOR octet ``i MOD 4`` of the masking key.  Masking and unmasking
are the same operation.

To process a payload that arrives in pieces, pass the number of payload bytes
already processed as ``offset``: only ``offset % 4`` (the *phase*) matters.
"""

from __future__ import annotations

import operator
from typing import Any

from .._api import MASK_API
from .._args import byte_view, check_no_objects, mask_key

__all__ = list(MASK_API)


def _xor(view: memoryview, key: bytes) -> bytes:
    """XOR ``view`` with ``key`` repeated: one big-integer XOR, linear time."""
    length = len(view)
    if length == 0:
        return b""
    keystream = (key * (length // 4 + 1))[:length]
    value = int.from_bytes(view, "little") ^ int.from_bytes(keystream, "little")
    return value.to_bytes(length, "little")


def apply_mask(data: Any, mask: Any, offset: int = 0) -> bytes:
    """Return ``data`` XOR-ed with the 4-byte ``mask``, starting at phase ``offset % 4``.

    Args:
        data: any C-contiguous buffer (bytes, bytearray, memoryview, array, ...).
        mask: any 4-byte buffer, the masking key.
        offset: how many bytes of the payload precede ``data``.

    Raises:
        TypeError: ``data`` or ``mask`` is not a buffer.
        ValueError: ``mask`` is not 4 bytes, or ``data`` is not C-contiguous.
    """
    key = mask_key(mask, offset)
    return _xor(byte_view(data), key)


def apply_mask_inplace(buffer: Any, mask: Any, offset: int = 0) -> None:
    """XOR the writable ``buffer`` with ``mask`` in place, starting at phase ``offset % 4``.

    Raises:
        TypeError: ``buffer`` is read-only, not a buffer, or a buffer of Python
            object references (item format ``O``); ``mask`` not a buffer.
        ValueError: ``mask`` is not 4 bytes, or ``buffer`` is not C-contiguous.
    """
    key = mask_key(mask, offset)
    view = byte_view(buffer, "buffer")
    if view.readonly:
        raise TypeError("buffer must be writable (got a read-only buffer)")
    check_no_objects(memoryview(buffer).format, "buffer")
    view[:] = _xor(view, key)


class Masker:
    """Stateful masker: :meth:`process` continues the key phase across calls.

    ``offset`` counts the bytes processed since creation or the last
    :meth:`reset`; the phase of the next byte is ``offset % 4``.

    Not thread-safe: one Masker per payload stream.
    """

    __slots__ = ("_key", "_offset")

    def __init__(self, mask: Any) -> None:
        self._key = mask_key(mask)
        self._offset = 0

    @property
    def offset(self) -> int:
        """Bytes processed since creation or :meth:`reset` (any int may be set)."""
        return self._offset

    @offset.setter
    def offset(self, value: int) -> None:
        # Refuse a non-integer here, not at the next process(): the compiled
        # masker does the same, and a late error would point at the wrong line.
        self._offset = operator.index(value)

    @property
    def mask(self) -> bytes:
        """The 4-byte masking key."""
        return self._key

    def process(self, data: Any) -> bytes:
        """Return ``data`` masked at the current phase and advance :attr:`offset`."""
        view = byte_view(data)
        out = _xor(view, mask_key(self._key, self._offset))
        self._offset += len(view)
        return out

    def reset(self) -> None:
        """Start again at phase 0 (offset 0)."""
        self._offset = 0
