"""Deflate data after a final block, inflated as aiohttp inflates it.

A final (BFINAL) block ends a DEFLATE stream (RFC 1951 §3.2.3).  RFC 7692
builds a compressed message from one stream (§7.2.1) and does not say what
data after a final block in the same message means (its §7.2.3.4 ends a
message with a final block and one octet of padding, which the appended
``00 00 ff ff`` turns into an empty stored block).  wsframe's
:class:`~wsframe.deflate.Inflater` ignores such data (docs/deflate.md,
"BFINAL").  aiohttp inflates it as further streams ("members"), each from an
empty window, and refuses a message of more than ``MAX_DECOMPRESS_MEMBERS``
members (1009): every member costs a new decompressor, and empty ones give
no output for ``max_msg_size`` to bound.  The integration reads as aiohttp
does, frame by frame and bounded the same way (:class:`MemberInflater`).
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

from ... import _rules
from ...deflate import DeflateParams, Inflater

__all__ = ["MemberInflater"]


class _NotStarted:
    """Before the Inflater's first decompressor: no stream has ended."""

    eof = False


_NOT_STARTED = _NotStarted()


class _Members:
    """A decompressor with zlib's API over consecutive members: what follows
    a final block is inflated by a new decompressor (the ``owner`` counts
    them), never ignored, so it never reports ``eof``.  ``d`` is the member
    in progress (or one that has just ended)."""

    __slots__ = ("_owner", "_make", "_d", "_pending")

    eof = False

    def __init__(self, owner: MemberInflater, make: Callable[[], Any], d: Any) -> None:
        self._owner = owner
        self._make = make
        self._d = d
        self._pending = b""  # input after a member, left when max_length was reached

    @property
    def unconsumed_tail(self) -> bytes:
        tail: bytes = self._d.unconsumed_tail
        return tail + self._pending if self._pending else tail

    def _next(self) -> Any:
        self._owner.new_member()
        d = self._d = self._make()
        return d

    def decompress(self, data: Any, max_length: int = 0) -> bytes:
        # The caller passes unconsumed_tail back whole (pending included).
        self._pending = b""
        d = self._d
        if d.eof:  # the member ended with the previous call
            d = self._next()
        out: bytes = d.decompress(data, max_length)
        if not d.eof:
            return out
        parts = [out]
        produced = len(out)
        while d.eof and d.unused_data:
            rest = d.unused_data
            d = self._next()
            if max_length:
                room = max_length - produced
                if room <= 0:
                    self._pending = bytes(rest)
                    break
                piece = d.decompress(rest, room)
            else:
                piece = d.decompress(rest)
            parts.append(piece)
            produced += len(piece)
        return b"".join(parts)


class MemberInflater:
    """An :class:`~wsframe.deflate.Inflater` (one window kept across messages,
    as aiohttp's reader does) that inflates data after a final block as new
    members, at most ``cap`` per message, with :meth:`feed` as the
    Inflater's.

    Until a peer ends a stream with a final block (RFC 7692 peers end each
    message with an empty non-final block instead), the Inflater runs on the
    zlib backend's own decompressor and this only checks, after each call,
    whether that stream ended.  From the first final block on, the rest of
    the connection is inflated through :class:`_Members`.

    Args:
        zlib: the zlib module (aiohttp's current backend).
        cap: the most members a message may hold (aiohttp's
            ``MAX_DECOMPRESS_MEMBERS``).
        too_many: builds the error raised past ``cap`` (aiohttp's).
    """

    __slots__ = ("members", "plain", "_cap", "_too_many", "_zlib", "_wbits", "_stream", "_inflate")

    def __init__(self, zlib: ModuleType, cap: int, too_many: Callable[[], Exception]) -> None:
        self.members = 1  # of the message in progress
        self._cap = cap
        self._too_many = too_many
        self._zlib = zlib
        self._wbits = -15
        self._stream: Any = _NOT_STARTED  # the decompressor the Inflater uses
        #: The Inflater, on the backend's own decompressor, until a stream
        #: ends with a final block; then None (members from there on).
        self.plain: Inflater | None = self._inflater(self._record)
        self._inflate = self.plain.feed

    def _inflater(self, decompressobj: Callable[[int], Any]) -> Inflater:
        """A new Inflater on ``zlib`` with ``decompressobj`` instead of its own."""
        zlib = self._zlib
        module = ModuleType(zlib.__name__)
        module.__dict__.update({k: v for k, v in vars(zlib).items() if not k.startswith("__")})
        module.decompressobj = decompressobj  # type: ignore[attr-defined]
        return Inflater(DeflateParams(), zlib=module)

    def _record(self, wbits: int) -> Any:
        self._wbits = wbits
        d = self._stream = self._zlib.decompressobj(wbits)
        return d

    def _make(self) -> Any:
        return self._zlib.decompressobj(self._wbits)

    def new_member(self) -> None:
        """Count a member of the current message; past the cap, fail."""
        self.members += 1
        if self.members > self._cap:
            raise self._too_many()

    def feed(self, payload: Any, *, fin: bool, max_size: int | None) -> bytes:
        """:meth:`wsframe.deflate.Inflater.feed`."""
        return self.settle(self._inflate(payload, fin=fin, max_size=max_size), max_size, fin)

    def settle(self, out: bytes, max_size: int | None, fin: bool = True) -> bytes:
        """What :meth:`feed` returns once the Inflater's ``feed`` gave
        ``out``.  A caller that inflates a whole message through
        :attr:`plain` itself calls this when the Inflater dropped its
        decompressor (a stream that ended, the only case with work to do)."""
        if self._stream.eof:
            out += self._go_on(max_size if max_size is None else max_size - len(out))
        if fin:
            self.members = 1
        return out

    def _go_on(self, room: int | None) -> bytes:
        """The stream ended with a final block in the last call (the
        Inflater ignores the rest): from here on, members.  Inflates what
        followed the block in that call, at most ``room`` bytes."""
        last = self._stream
        rest = last.unused_data
        stream = self._stream = _Members(self, self._make, last)
        self.plain = None
        self._inflate = self._inflater(lambda wbits: stream).feed
        if not rest:
            return b""
        try:
            out = stream.decompress(rest, 0 if room is None else room + 1)
        except self._zlib.error as exc:
            raise _rules.corrupt_compressed(exc) from None
        if room is not None and len(out) > room:
            raise _rules.inflated_too_big(room)
        return out
