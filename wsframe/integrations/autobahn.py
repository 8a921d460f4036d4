"""wsaccel-compatible UTF-8 validator and XOR maskers for autobahn, on wsframe.

Usage::

    import wsframe.integrations.autobahn as wsframe_autobahn
    wsframe_autobahn.install()     # before or after ``import autobahn``

or use the classes directly, as with wsaccel::

    from wsframe.integrations.autobahn import Utf8Validator, create_xor_masker

The API is the one autobahn (``autobahn.websocket.utf8validator`` /
``autobahn.websocket.xormasker``) and wsaccel share:

* :class:`Utf8Validator`: ``validate(buf) -> (valid, ends_on_codepoint,
  current_index, total_index)``, ``decode(byte) -> state``, ``reset()``.
* :class:`XorMaskerNull`, :class:`XorMaskerSimple` (alias
  ``XorMaskerShifted1``): ``process(data) -> bytes``, ``pointer()``,
  ``reset()``.
* :func:`create_xor_masker` ``(mask, length=None)``.

``install()`` replaces those names in ``autobahn.websocket.utf8validator``,
``autobahn.websocket.xormasker`` and ``autobahn.websocket.protocol`` (which
imports ``Utf8Validator``, ``XorMaskerNull`` and ``create_xor_masker`` by
name), whether autobahn uses its NVX (CFFI) or pure-Python implementations.
"""

from __future__ import annotations

from typing import Any

from .. import mask as _mask
from .. import utf8 as _utf8
from ..errors import InvalidUTF8
from ._patching import Patch, PatchSet, constant, entry_points

__all__ = [
    "UTF8_ACCEPT",
    "UTF8_REJECT",
    "Utf8Validator",
    "XorMaskerNull",
    "XorMaskerSimple",
    "XorMaskerShifted1",
    "create_xor_masker",
    "install",
    "uninstall",
    "is_installed",
    "active",
]

#: ``decode()`` result: the bytes so far end on a code point boundary.
UTF8_ACCEPT = 0
#: ``decode()`` result: the bytes so far can never be valid UTF-8.
UTF8_REJECT = 1


def _valid_prefix_length(seq: bytes) -> int:
    """How many bytes at the start of ``seq`` are a prefix of one valid sequence.

    ``seq`` starts at a lead byte.  The byte after the returned count is the
    one that makes the sequence ill-formed (Unicode Table 3-7, RFC 3629 §4):
    an autobahn/Hoehrmann validator rejects the stream on exactly that byte.
    """
    if not seq:
        return 0
    lead = seq[0]
    if 0xC2 <= lead <= 0xDF:
        ranges = [(0x80, 0xBF)]
    elif lead == 0xE0:
        ranges = [(0xA0, 0xBF), (0x80, 0xBF)]
    elif lead == 0xED:
        ranges = [(0x80, 0x9F), (0x80, 0xBF)]  # no UTF-16 surrogates
    elif 0xE1 <= lead <= 0xEF:
        ranges = [(0x80, 0xBF), (0x80, 0xBF)]
    elif lead == 0xF0:
        ranges = [(0x90, 0xBF), (0x80, 0xBF), (0x80, 0xBF)]
    elif 0xF1 <= lead <= 0xF3:
        ranges = [(0x80, 0xBF)] * 3
    elif lead == 0xF4:
        ranges = [(0x80, 0x8F), (0x80, 0xBF), (0x80, 0xBF)]  # <= U+10FFFF
    else:
        return 0  # ASCII never fails; 80..C1 and F5..FF are never valid leads
    count = 1
    for (lo, hi), byte in zip(ranges, seq[1:]):
        if not lo <= byte <= hi:
            break
        count += 1
    return count


class Utf8Validator:
    """Incremental UTF-8 validator with autobahn's (and wsaccel's) interface.

    Validation is wsframe's (:class:`wsframe.utf8.Utf8Validator`); this class
    only translates its result into autobahn's quadruple.  On failure,
    ``current_index`` is the index, within the chunk just given, of the first
    byte that makes the stream impossible to complete as valid UTF-8 (for
    ``b"\\xed\\xa0\\x80"`` after six valid bytes: ``(False, False, 1, 7)``),
    and ``total_index`` the same byte counted from the start of the stream.
    After a failure the validator stays failed until :meth:`reset`, reporting
    ``(False, False, 0, total_index)`` for further non-empty chunks.
    """

    __slots__ = ("_validator", "_index", "_failed", "_tail", "_codepoint")

    def __init__(self) -> None:
        self._validator = _utf8.Utf8Validator()
        self._index = 0
        self._failed = False
        self._tail = b""  # the incomplete sequence at the end of the stream
        self._codepoint = 0

    def reset(self) -> None:
        """Start validating a new stream."""
        self._validator.reset()
        self._index = 0
        self._failed = False
        self._tail = b""
        self._codepoint = 0

    @property
    def codepoint(self) -> int:
        """The code point completed by the last :meth:`decode` that returned 0."""
        return self._codepoint

    def validate(self, ba: Any) -> tuple[bool, bool, int, int]:
        """Validate the next chunk of the stream.

        Args:
            ba: a bytes-like object.

        Returns:
            ``(valid, ends_on_codepoint, current_index, total_index)``:
            ``valid`` is false as soon as the stream cannot be valid UTF-8;
            when it is true, ``current_index`` is ``len(ba)`` and
            ``total_index`` the number of bytes validated since
            :meth:`reset`.

        Raises:
            TypeError: ``ba`` is not a bytes-like object.
        """
        length = len(ba)
        if self._failed:
            if length == 0:
                return True, False, 0, self._index
            return False, False, 0, self._index
        validator = self._validator
        try:
            validator.feed(ba)
        except InvalidUTF8 as exc:
            return self._reject(ba, exc.position)
        self._index += length
        if validator.ends_on_codepoint:
            self._tail = b""
            return True, True, length, self._index
        # Keep the incomplete sequence (at most 3 bytes) for error positions.
        self._tail = (self._tail + bytes(ba[-3:]))[-3:] if length < 3 else bytes(ba[-3:])
        return True, False, length, self._index

    def _reject(self, ba: Any, position: int) -> tuple[bool, bool, int, int]:
        base = self._index
        tail = self._tail
        window = tail + bytes(ba[: max(0, position - base) + 4])
        start = position - (base - len(tail))
        reject_at = position + _valid_prefix_length(window[start : start + 4])
        self._failed = True
        self._index = reject_at
        return False, False, reject_at - base, reject_at

    def decode(self, b: int) -> int:
        """Eat one byte.

        Args:
            b: the byte value, 0..255.

        Returns:
            ``UTF8_ACCEPT`` (0) when the bytes so far end on a code point
            (:attr:`codepoint` holds it), ``UTF8_REJECT`` (1) when they can no
            longer be valid, otherwise a larger number: 2 + the count of
            continuation bytes still expected.

        Raises:
            ValueError: ``b`` is not in 0..255.
        """
        if not 0 <= b <= 255:
            raise ValueError(f"byte value out of range: {b}")
        ok, ends, _, _ = self.validate(bytes((b,)))
        if not ok:
            return UTF8_REJECT
        if b < 0x80:
            self._codepoint = b
        elif b >= 0xC0:
            self._codepoint = b & (0x1F if b < 0xE0 else 0x0F if b < 0xF0 else 0x07)
        else:
            self._codepoint = (self._codepoint << 6) | (b & 0x3F)
        if ends:
            return UTF8_ACCEPT
        tail = self._tail
        for back in range(1, len(tail) + 1):
            lead = tail[-back]
            if lead >= 0xC0:
                need = 1 if lead < 0xE0 else 2 if lead < 0xF0 else 3
                return 2 + need - (back - 1)
        return 2  # pragma: no cover - a pending sequence always has a lead


class _Masker:
    """The byte count of autobahn's maskers, which is also the key phase."""

    __slots__ = ("_ptr",)
    _ptr: int

    def pointer(self) -> int:
        """Bytes processed since creation or :meth:`reset`."""
        return self._ptr

    def reset(self) -> None:
        """Restart counting (and the key phase) at 0."""
        self._ptr = 0


class XorMaskerNull(_Masker):
    """The no-op masker of an unmasked frame; counts the bytes it passes through."""

    __slots__ = ()

    def __init__(self, mask: Any = None) -> None:
        self._ptr = 0

    def process(self, data: Any) -> Any:
        """Return ``data`` unchanged (and count it)."""
        self._ptr += len(data)
        return data


class XorMaskerSimple(_Masker):
    """XOR masker (RFC 6455 §5.3) that continues the key phase across calls.

    Args:
        mask: the 4-byte masking key.

    Raises:
        ValueError: ``mask`` is not 4 bytes long.
    """

    __slots__ = ("_mask",)

    def __init__(self, mask: Any) -> None:
        key = bytes(mask)
        if len(key) != 4:
            raise ValueError(f"mask must be 4 bytes long, got {len(key)}")
        self._mask = key
        self._ptr = 0

    def process(self, data: Any) -> bytes:
        """Return ``data`` XOR-ed with the key, continuing the phase.

        Raises:
            TypeError: ``data`` is not a bytes-like object.
        """
        out = _mask.apply_mask(data, self._mask, self._ptr)
        self._ptr += len(out)
        return out


#: autobahn's name for its large-payload masker; one implementation serves all sizes.
XorMaskerShifted1 = XorMaskerSimple


def create_xor_masker(mask: Any, length: int | None = None) -> XorMaskerSimple:
    """Return a masker for ``mask`` (``length`` is accepted for compatibility).

    Raises:
        ValueError: ``mask`` is not 4 bytes long.
    """
    return XorMaskerSimple(mask)


_patches = PatchSet(
    [
        Patch("autobahn.websocket.utf8validator", "Utf8Validator", constant(Utf8Validator)),
        Patch("autobahn.websocket.xormasker", "XorMaskerNull", constant(XorMaskerNull)),
        Patch("autobahn.websocket.xormasker", "create_xor_masker", constant(create_xor_masker)),
        # Defined only when autobahn runs its pure-Python implementation.
        Patch(
            "autobahn.websocket.xormasker",
            "XorMaskerSimple",
            constant(XorMaskerSimple),
            optional=True,
        ),
        Patch(
            "autobahn.websocket.xormasker",
            "XorMaskerShifted1",
            constant(XorMaskerShifted1),
            optional=True,
        ),
        Patch("autobahn.websocket.protocol", "Utf8Validator", constant(Utf8Validator)),
        Patch("autobahn.websocket.protocol", "XorMaskerNull", constant(XorMaskerNull)),
        Patch("autobahn.websocket.protocol", "create_xor_masker", constant(create_xor_masker)),
    ]
)


install, uninstall, is_installed, active = entry_points(_patches, __name__, "autobahn")
