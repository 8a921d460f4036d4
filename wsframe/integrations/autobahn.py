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
from ._patching import Patch, PatchSet, Probe, constant, entry_points, has, kind, signature

#: The autobahn releases this integration is written for: inside this series,
#: a release whose internals pass the feature probes (``_PROBES``) is
#: accelerated; anything else is left untouched with a warning naming the
#: series or the failed probe (the wsaccel-compatible classes themselves work
#: without autobahn).  tools/integration_matrix.sh runs autobahn's own tests
#: and tests/integrations/test_integrations_autobahn.py on the oldest and newest release of
#: the series, and the refusal on one release outside it.
SUPPORTED_SERIES = ">=26.7,<27"

__all__ = [
    "SUPPORTED_SERIES",
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

    __slots__ = ("_validator", "_index", "_failed", "_pending", "_codepoint")

    def __init__(self) -> None:
        self._validator = _utf8.Utf8Validator()
        self._index = 0
        self._failed = False
        # The bytes of the sequence the stream ends inside (b"" when it ends
        # on a code point), kept by validate() for decode(): autobahn's
        # validate() and decode() share one state, so a chunk validated
        # whole may end inside the sequence decode() then finishes.
        self._pending = b""
        self._codepoint = 0

    def reset(self) -> None:
        """Start validating a new stream."""
        self._validator.reset()
        self._index = 0
        self._failed = False
        self._pending = b""
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
            # autobahn (and wsaccel) report the byte that made the stream
            # impossible, which wsframe's validator records as fail_index.
            reject_at = exc.fail_index
            assert reject_at is not None  # always set by Utf8Validator.feed
            base = self._index
            self._failed = True
            self._index = reject_at
            return False, False, reject_at - base, reject_at
        self._index += length
        ends = validator.ends_on_codepoint
        if not ends:
            # the stream's last bytes (at most 3 belong to an unfinished
            # sequence), from its lead on
            tail = self._pending + bytes(ba[-3:])
            lead = max(i for i, byte in enumerate(tail) if byte >= 0xC0)
            self._pending = tail[lead:]
        elif self._pending:
            self._pending = b""
        return True, ends, length, self._index

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
        sequence = self._pending + bytes((b,))
        ok, ends, _, _ = self.validate(sequence[-1:])
        if not ok:
            return UTF8_REJECT
        if ends:
            # the validator accepted the sequence b completes: well-formed
            self._codepoint = ord(sequence.decode("utf-8"))
            return UTF8_ACCEPT
        lead = self._pending[0]
        return 2 + (2 if lead < 0xE0 else 3 if lead < 0xF0 else 4) - len(self._pending)


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


_UTF8 = "autobahn.websocket.utf8validator"
_XOR = "autobahn.websocket.xormasker"
_PROTOCOL = "autobahn.websocket.protocol"

#: The feature probes: the names the patches replace, with the interface
#: autobahn calls on them (NVX or pure-Python implementation alike).
_PROBES: list[Probe] = [
    kind(_UTF8, "Utf8Validator", type),
    *has(_UTF8, "Utf8Validator.validate", "Utf8Validator.reset"),
    kind(_XOR, "XorMaskerNull", type),
    *has(_XOR, "XorMaskerNull.process", "XorMaskerNull.pointer", "XorMaskerNull.reset"),
    signature(_XOR, "create_xor_masker", ["mask", "length"]),
    # autobahn.websocket.protocol imports the three by name.
    *has(_PROTOCOL, "Utf8Validator", "XorMaskerNull", "create_xor_masker"),
]


_patches = PatchSet(
    [
        Patch(_UTF8, "Utf8Validator", constant(Utf8Validator)),
        Patch(_XOR, "XorMaskerNull", constant(XorMaskerNull)),
        Patch(_XOR, "create_xor_masker", constant(create_xor_masker)),
        # Defined only when autobahn runs its pure-Python implementation.
        Patch(
            _XOR,
            "XorMaskerSimple",
            constant(XorMaskerSimple),
            optional=True,
        ),
        Patch(
            _XOR,
            "XorMaskerShifted1",
            constant(XorMaskerShifted1),
            optional=True,
        ),
        Patch(_PROTOCOL, "Utf8Validator", constant(Utf8Validator)),
        Patch(_PROTOCOL, "XorMaskerNull", constant(XorMaskerNull)),
        Patch(_PROTOCOL, "create_xor_masker", constant(create_xor_masker)),
    ],
    distribution="autobahn",
    series=SUPPORTED_SERIES,
    probes=_PROBES,
)


install, uninstall, is_installed, active = entry_points(_patches, __name__, "autobahn")
