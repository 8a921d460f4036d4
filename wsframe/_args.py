"""The arguments of local calls: conversion and checks shared by both backends.

A caller's mistake is a :class:`TypeError` or :class:`ValueError` raised at
the API boundary, worded here once; a peer's mistake is a
:class:`~wsframe.errors.ProtocolError` from :mod:`wsframe._rules`.  This module
knows nothing of the protocol: buffers, 4-byte keys, size limits, the
``rsv_allowed`` bit mask, and the signatures the compiled classes report to
:func:`inspect.signature`.
"""

from __future__ import annotations

import math
import numbers
import operator
import re
from inspect import Parameter, Signature
from typing import Any, TypeVar, overload

__all__ = [
    "byte_view",
    "check_no_objects",
    "MaskTypeError",
    "mask_key",
    "check_limit",
    "SizeLimit",
    "check_rsv_allowed",
    "not_a_frame",
    "check_inflater",
    "signature",
    "REQUIRED",
]

_T = TypeVar("_T")

#: The default of a required parameter, for :func:`signature`.
REQUIRED = Parameter.empty


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
        raise TypeError(f"{what} must be a bytes-like object, not {type(data).__name__}") from None
    if not view.c_contiguous:
        raise ValueError(f"{what} must be a C-contiguous buffer")
    if view.format != "B" or view.ndim != 1:
        if view.nbytes == 0:
            # (memoryview cannot cast a shape with a zero in it: an empty
            # buffer is no bytes, as writable as the one given)
            return memoryview(b"" if view.readonly else bytearray())
        view = view.cast("B")
    return view


def check_no_objects(item_format: str | None, what: str = "buffer") -> None:
    """Refuse to write into a buffer whose items are Python object references.

    Masking in place takes a buffer as its raw bytes whatever its item format
    (:func:`byte_view`), except format ``O`` (a NumPy ``dtype=object`` array, a
    ctypes ``py_object`` array, or a struct format with such a field): XORing a
    reference leaves a pointer that crashes the process when the object is
    next used. Field names (``:name:`` in a struct format) are not items.

    Raises:
        TypeError: ``item_format`` has an ``O`` item.
    """
    if item_format and "O" in re.sub(r":[^:]*:", "", item_format):
        raise TypeError(
            f"{what} holds Python object references (item format {item_format!r}): "
            "masking them in place would corrupt them"
        )


class MaskTypeError(TypeError, ValueError):
    """A masking key that is not a bytes-like object (``str``, ``int``, ``None``...).

    A ``TypeError``, as Python words a wrong type, and a ``ValueError``, as every
    other bad key is one (the masking API takes "any 4-byte buffer, else
    ValueError"): either ``except`` catches it.
    """


def mask_key(mask: Any, offset: int = 0) -> bytes:
    """Return the 4-byte key rotated so that its first byte applies at ``offset``.

    Raises:
        MaskTypeError: (a TypeError and a ValueError) ``mask`` is not a
            bytes-like object.
        TypeError: ``offset`` is not an int.
        ValueError: ``mask`` is not exactly 4 bytes long.
    """
    try:
        view = byte_view(mask, "mask")
    except TypeError as exc:
        raise MaskTypeError(str(exc)) from None
    key = bytes(view)
    if len(key) != 4:
        raise ValueError(f"mask must be 4 bytes long, got {len(key)}")
    # RFC 6455 §5.3: byte i of the payload uses key byte i MOD 4; a chunk that
    # starts at payload offset `offset` therefore starts at key byte offset % 4.
    phase = operator.index(offset) % 4
    return key[phase:] + key[:phase]


def check_limit(value: Any, name: str) -> int | None:
    """A size limit, as the ``int`` both backends compare sizes with.

    Any real number is a limit (``1e6`` is ``1000000``): sizes are whole
    bytes, so a size passes ``value`` exactly when it passes ``floor(value)``.
    ``None`` and infinity mean no limit (``None`` is returned).

    Raises:
        TypeError: not a real number (``str``, ``bool``, ``Decimal``...).
        ValueError: negative, or NaN.
    """
    if type(value) is int:
        if value < 0:
            raise ValueError(f"{name} must be >= 0 or None, got {value}")
        return value
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number or None, not {type(value).__name__}")
    if math.isnan(value):
        raise ValueError(f"{name} must be a number >= 0 or None, not NaN")
    if value < 0:
        raise ValueError(f"{name} must be >= 0 or None, got {value!r}")
    if math.isinf(value):
        return None
    return int(math.floor(value))


class SizeLimit:
    """A size-limit attribute of the reference's classes: any value
    :func:`check_limit` accepts may be assigned, and it is stored (and read
    back) as the int it returns, or None."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name
        self.slot = "_" + name

    @overload
    def __get__(self, obj: None, owner: type) -> SizeLimit: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> int | None: ...
    def __get__(self, obj: object, owner: type | None = None) -> SizeLimit | int | None:
        if obj is None:
            return self
        value: int | None = getattr(obj, self.slot)
        return value

    def __set__(self, obj: object, value: float | None) -> None:
        setattr(obj, self.slot, check_limit(value, self.name))


def check_rsv_allowed(value: Any) -> int:
    """``rsv_allowed``: a 3-bit mask (4 = RSV1, 2 = RSV2, 1 = RSV3), as an int.

    Raises:
        TypeError: not an int.
        ValueError: outside 0..7.
    """
    try:
        bits = operator.index(value)
    except TypeError:
        raise TypeError(f"rsv_allowed must be an int (a 3-bit mask), not {type(value).__name__}") from None
    if not 0 <= bits <= 7:
        raise ValueError(f"rsv_allowed must be a 3-bit mask (0..7), got {bits}")
    return bits


def concurrent_use() -> RuntimeError:
    """The error for a FrameDecoder fed from two threads at once (misuse: one
    decoder belongs to one connection), raised instead of garbling its state."""
    return RuntimeError("FrameDecoder used concurrently from several threads")


def not_a_frame(frame: Any) -> TypeError:
    """The error for an argument of :meth:`MessageAssembler.add` that is not a frame."""
    return TypeError(f"frame must be a Frame, not {type(frame).__name__}")


def check_assembler(assembler: _T) -> _T:
    """The ``assembler`` of :meth:`FrameDecoder.feed_messages`: an object with
    ``add()`` (a :class:`MessageAssembler`, or a subclass).

    Raises:
        TypeError: anything else, before any input is taken.
    """
    if not callable(getattr(assembler, "add", None)):
        raise TypeError(f"assembler must be a MessageAssembler, not {type(assembler).__name__}")
    return assembler


def check_inflater(inflater: _T) -> _T:
    """The ``inflater`` of a MessageAssembler: None or an object with ``feed()``
    (a :class:`wsframe.deflate.Inflater`).

    Raises:
        TypeError: anything else, at construction rather than at the first
            compressed message.
    """
    if inflater is not None and not callable(getattr(inflater, "feed", None)):
        raise TypeError(f"inflater must be a wsframe.deflate.Inflater or None, not {type(inflater).__name__}")
    return inflater


def signature(*params: tuple[str, Any, bool]) -> Signature:
    """A :class:`inspect.Signature` from ``(name, default, keyword_only)`` triples
    (:data:`REQUIRED`: no default), for the compiled classes: a C type's
    ``__init__`` has no text signature, so each carries an explicit
    ``__signature__``."""
    return Signature(
        [
            Parameter(
                name,
                Parameter.KEYWORD_ONLY if keyword_only else Parameter.POSITIONAL_OR_KEYWORD,
                default=default,
            )
            for name, default, keyword_only in params
        ]
    )
