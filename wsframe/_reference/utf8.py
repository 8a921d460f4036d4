"""Pure-Python reference for UTF-8 validation (RFC 3629, Unicode Table 3-7).

Well-formed UTF-8 byte sequences (The Unicode Standard, Table 3-7)::

    code points          1st byte  2nd byte  3rd byte  4th byte
    U+0000..U+007F       00..7F
    U+0080..U+07FF       C2..DF    80..BF
    U+0800..U+0FFF       E0        A0..BF    80..BF
    U+1000..U+CFFF       E1..EC    80..BF    80..BF
    U+D000..U+D7FF       ED        80..9F    80..BF
    U+E000..U+FFFF       EE..EF    80..BF    80..BF
    U+10000..U+3FFFF     F0        90..BF    80..BF    80..BF
    U+40000..U+FFFFF     F1..F3    80..BF    80..BF    80..BF
    U+100000..U+10FFFF   F4        80..8F    80..BF    80..BF

Every other byte sequence is ill-formed: overlong forms (C0, C1, E0 80..9F,
F0 80..8F), surrogates (ED A0..BF), code points above U+10FFFF (F4 90..,
F5..FF) and stray continuation bytes.  Noncharacters such as U+FFFE are valid.

Error positions follow CPython's strict decoder: the offset of the first byte
of the first ill-formed sequence, i.e. the lead byte of the sequence being
decoded when the bad byte came, or the bad byte itself when it was meant to
start a sequence.  The state machine below checks the second byte against the
narrowed range of the table, so it knows a stream is invalid at the very byte
that makes it so ("fail fast"), e.g. at ``A0`` in ``ED A0``.
"""

from __future__ import annotations

import re
from typing import Any

from .._api import UTF8_API
from .._args import byte_view
from .._rules import utf8_error
from ..errors import InvalidUTF8 as InvalidUTF8

__all__ = list(UTF8_API)

_NON_ASCII = re.compile(rb"[\x80-\xff]")


def _first_byte_rule(lead: int) -> tuple[int, int, int] | None:
    """For a non-ASCII lead byte: (continuation bytes needed, lo, hi of the 2nd byte).

    None if ``lead`` cannot start a sequence (Unicode Table 3-7).
    """
    if 0xC2 <= lead <= 0xDF:
        return 1, 0x80, 0xBF
    if lead == 0xE0:
        return 2, 0xA0, 0xBF  # no overlong 3-byte forms
    if 0xE1 <= lead <= 0xEC or 0xEE <= lead <= 0xEF:
        return 2, 0x80, 0xBF
    if lead == 0xED:
        return 2, 0x80, 0x9F  # no surrogates U+D800..U+DFFF
    if lead == 0xF0:
        return 3, 0x90, 0xBF  # no overlong 4-byte forms
    if 0xF1 <= lead <= 0xF3:
        return 3, 0x80, 0xBF
    if lead == 0xF4:
        return 3, 0x80, 0x8F  # nothing above U+10FFFF
    return None  # 80..BF (stray continuation), C0, C1 (overlong), F5..FF


class Utf8State:
    """The decoding state between bytes: how a valid stream may continue.

    ``need`` continuation bytes are still expected; the next one must lie in
    ``lo..hi``; the pending sequence started at absolute offset ``start``.
    ``consumed`` counts all bytes scanned so far.  After :meth:`scan` found an
    ill-formed sequence, ``fail`` is the absolute offset of the byte that
    broke it (the fail-fast point).
    """

    __slots__ = ("need", "lo", "hi", "start", "consumed", "fail")

    def __init__(self) -> None:
        self.need = 0
        self.lo = 0x80
        self.hi = 0xBF
        self.start = 0
        self.consumed = 0
        self.fail = -1

    def scan(self, data: bytes | bytearray) -> int:
        """Advance over ``data``; return -1, or the absolute offset where the
        first ill-formed sequence starts (the state is then meaningless)."""
        base = self.consumed
        index = 0
        length = len(data)
        while index < length:
            if self.need == 0:
                # ASCII fast path: skip to the next byte >= 0x80.
                match = _NON_ASCII.search(data, index)
                if match is None:
                    break
                index = match.start()
                rule = _first_byte_rule(data[index])
                if rule is None:
                    self.fail = base + index
                    return base + index
                self.need, self.lo, self.hi = rule
                self.start = base + index
            else:
                byte = data[index]
                if not self.lo <= byte <= self.hi:
                    # The pending sequence is ill-formed; it started at its lead.
                    self.fail = base + index
                    return self.start
                self.need -= 1
                self.lo, self.hi = 0x80, 0xBF
            index += 1
        self.consumed = base + length
        return -1


def find_invalid(data: Any) -> int:
    """Return -1 if ``data`` is valid UTF-8, else where the first ill-formed sequence starts.

    The result equals ``UnicodeDecodeError.start`` of
    ``bytes(data).decode("utf-8")``; a sequence truncated by the end of the
    data counts as ill-formed at its lead byte.

    Raises:
        TypeError: ``data`` is not a bytes-like object.
        ValueError: ``data`` is not C-contiguous.
    """
    state = Utf8State()
    position = state.scan(bytes(byte_view(data)))
    if position >= 0:
        return position
    return state.start if state.need else -1


def decode(data: Any) -> str:
    """Return the text of the UTF-8 in ``data``: ``bytes(data).decode("utf-8")``.

    Raises:
        InvalidUTF8: ``data`` is not well-formed UTF-8; ``position`` is the
            start of the first ill-formed sequence (``UnicodeDecodeError.start``),
            and the message says "truncated UTF-8 sequence" when that sequence
            is only cut short by the end of ``data``.
        TypeError: ``data`` is not a bytes-like object.
        ValueError: ``data`` is not C-contiguous.
    """
    raw = bytes(byte_view(data))
    state = Utf8State()
    position = state.scan(raw)
    if position >= 0:
        raise utf8_error(position, "invalid UTF-8")
    if state.need:
        raise utf8_error(state.start, "truncated UTF-8 sequence")
    return raw.decode("utf-8")


def is_valid(data: Any) -> bool:
    """Return whether ``data`` is well-formed UTF-8 (RFC 3629)."""
    return find_invalid(data) == -1


class Utf8Validator:
    """Incremental, fail-fast UTF-8 validator.

    :meth:`feed` raises :class:`~wsframe.errors.InvalidUTF8` as soon as the
    bytes seen so far cannot be the beginning of valid UTF-8, even in the
    middle of a sequence.  ``position`` is the absolute offset (since creation
    or :meth:`reset`) of the start of the ill-formed sequence.  Once it has
    raised, the validator raises the same error on every call until
    :meth:`reset`.  Not thread-safe: one validator per stream.
    """

    __slots__ = ("_state", "_error")

    def __init__(self) -> None:
        self._state = Utf8State()
        self._error: InvalidUTF8 | None = None

    @property
    def ends_on_codepoint(self) -> bool:
        """True when the bytes fed so far end on a code point boundary."""
        return self._error is None and self._state.need == 0

    @property
    def offset(self) -> int:
        """Bytes accepted so far (since creation or :meth:`reset`)."""
        return self._state.consumed

    def _fail(self, position: int, why: str, fail_index: int) -> InvalidUTF8:
        self._error = utf8_error(position, why, fail_index)
        return self._error

    def feed(self, data: Any) -> None:
        """Validate the next piece of the stream.

        Raises:
            InvalidUTF8: the stream can no longer be valid UTF-8.
            TypeError: ``data`` is not a bytes-like object.
        """
        if self._error is not None:
            raise self._error
        position = self._state.scan(bytes(byte_view(data)))
        if position >= 0:
            raise self._fail(position, "invalid UTF-8", self._state.fail)

    def finish(self) -> None:
        """Declare the end of the stream.

        Raises:
            InvalidUTF8: the stream ends in the middle of a sequence (or had failed).
        """
        if self._error is not None:
            raise self._error
        if self._state.need:
            state = self._state
            raise self._fail(state.start, "truncated UTF-8 sequence", state.consumed)

    def reset(self) -> None:
        """Forget everything, errors included; positions restart at 0."""
        self._state = Utf8State()
        self._error = None
