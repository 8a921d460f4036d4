"""permessage-deflate codec (RFC 7692 §7.2): :class:`Inflater`, :class:`Deflater`.

One connection's decompressor for the peer's messages and compressor for its
own, over any zlib backend (:mod:`wsframe._zlib`).  Re-exported by
:mod:`wsframe.deflate`, the public face.
"""

from __future__ import annotations

import math
import threading
from types import ModuleType
from typing import NoReturn

from . import _rules
from ._args import byte_view, check_limit
from ._deflate_negotiation import DeflateParams
from ._rules import DEFAULT_MAX_SIZE
from ._zlib import Compressor, Decompressor, backend_name, import_backend, zlib_backend
from .errors import ProtocolError

__all__ = ["DEFAULT_LEVEL", "DEFAULT_MEM_LEVEL", "Deflater", "Inflater"]

# ---------------------------------------------------------------------------
# Inflate (RFC 7692 §7.2.2)
# ---------------------------------------------------------------------------

#: RFC 7692 §7.2.2: appended to a message before inflating; §7.2.1: removed
#: from the end of a compressed message.
_TRAILER = b"\x00\x00\xff\xff"
# Beyond this a bound is no bound: max_length must fit a Py_ssize_t.
_NO_LIMIT = 1 << 62
# The slack max_ratio allows on top of ratio x compressed size: a short
# message may legitimately inflate far beyond any ratio (a run of 64 KiB of
# one byte compresses to a handful of bytes).
RATIO_SLACK = 64 * 1024
# Every message is inflated with the largest window DEFLATE has (RFC 1951
# §3.2.5: distances reach 32 KiB), whatever was agreed: see "The agreed
# window" in docs/deflate.md for why lenient, and why it must be the same
# on every backend and framing.
_INFLATE_WBITS = -15


class _MessageBound:
    """The default of :meth:`Inflater.feed`'s ``max_size``: what is left of
    ``DEFAULT_MAX_SIZE`` for the message."""

    def __repr__(self) -> str:
        return "<what is left of 1 MiB for the message>"


_MESSAGE_DEFAULT = _MessageBound()


def _limit(value: object, name: str) -> int | None:
    """:func:`wsframe._args.check_limit`, with bounds past what zlib's
    ``max_length`` (a ``Py_ssize_t``) can hold read as no bound."""
    limit = check_limit(value, name)
    return None if limit is None or limit >= _NO_LIMIT else limit


class _Ended:
    """Stands in for a decompressor whose stream ended before its message."""

    eof = True
    unconsumed_tail = b""

    @staticmethod
    def decompress(data: object, max_length: int = 0) -> bytes:
        return b""


_ENDED = _Ended()


def _peer_side(params: DeflateParams, peer_is_server: bool) -> tuple[bool, int]:
    if peer_is_server:
        return params.server_no_context_takeover, params.server_max_window_bits
    return params.client_no_context_takeover, params.client_max_window_bits


def _not_params(params: object) -> TypeError:
    return TypeError(f"params must be DeflateParams, not {type(params).__name__}")


class _Codec:
    """What an :class:`Inflater` and a :class:`Deflater` share: the agreement
    and the zlib backend."""

    __slots__ = ("_zerror", "params", "zlib", "zlib_name")

    params: DeflateParams
    zlib: ModuleType
    zlib_name: str

    def _bind(self, params: DeflateParams, module: ModuleType) -> None:
        self.params = params
        self.zlib = module
        self.zlib_name = backend_name(module)
        self._zerror = module.error


class Inflater(_Codec):
    """Decompressor for the compressed messages one peer sends (RFC 7692 §7.2.2).

    ``client=False`` (the default) means this side is the server, so the
    client's ``client_no_context_takeover`` governs what is inflated;
    ``client=True`` reads the server's.

    The window is reset after each message exactly when the peer may not
    take over context; the decompressor is then dropped between messages and
    an idle connection holds no inflate memory.  Every message is inflated
    with a 15-bit window whatever the agreed one: a back-reference is accepted
    exactly when it points at a byte the peer's stream already produced (in
    this message, or in earlier ones with context takeover), on every backend
    and however the message is split into frames (docs/deflate.md, "The
    agreed window").  A peer that ends a message with a final (BFINAL) block
    has ended its DEFLATE stream: the rest of that message is ignored and its
    next message starts a new stream without history.

    Args:
        params: the agreement.
        client: True when this side is the client.
        zlib: the zlib backend (see :func:`zlib_backend`).
        max_ratio: when set (any real number >= 0), a message whose inflated
            size passes ``max_ratio`` x its compressed size + 64 KiB fails with
            :class:`PayloadTooBig` (1009): the bound on CPU spent per
            compressed byte that a size limit alone does not give.  It is
            checked as the message arrives, against its compressed bytes so
            far (docs/deflate.md, "max_ratio"); an infinite ratio (or one so
            large that no bound fits zlib) is no bound.

    Raises:
        TypeError: ``params`` is not a :class:`DeflateParams`, ``max_ratio``
            not a number.
        ValueError: a negative ``max_ratio``.
    """

    __slots__ = ("_d", "_decompressobj", "_error", "_in", "_max_ratio", "_out", "_ratio", "_reset")

    def __init__(
        self,
        params: DeflateParams,
        *,
        client: bool = False,
        zlib: ModuleType | str | None = None,
        max_ratio: int | float | None = None,
    ) -> None:
        if not isinstance(params, DeflateParams):
            raise _not_params(params)
        self.max_ratio = max_ratio
        self._bind(params, zlib_backend(zlib))
        self._reset = _peer_side(params, peer_is_server=bool(client))[0]
        self._decompressobj = self.zlib.decompressobj
        self._d: Decompressor | None = None
        self._error: ProtocolError | None = None
        self._in = 0  # compressed bytes of the message so far (with max_ratio)
        self._out = 0  # inflated bytes of the message so far

    @property
    def max_ratio(self) -> int | float | None:
        """The ``max_ratio`` given (checked when set), or None."""
        return self._max_ratio

    @max_ratio.setter
    def max_ratio(self, value: int | float | None) -> None:
        # Type and range checked here; a ratio that bounds nothing zlib can
        # count (infinite, or >= 2**62) is kept as given but applied as none.
        self._ratio = None if value is None or _limit(value, "max_ratio") is None else value
        self._max_ratio = value

    def feed(
        self,
        payload: bytes | bytearray | memoryview,
        *,
        fin: bool,
        max_size: int | float | None | _MessageBound = _MESSAGE_DEFAULT,
    ) -> bytes:
        """Inflate one frame's payload of a compressed message.

        Bounded by default: without ``max_size`` the *message* produces at
        most 1 MiB (the default message limit of ``MessageAssembler``)
        however it is split into frames, so a deflate bomb is never inflated
        whole by accident.

        Args:
            payload: the frame's (unmasked) payload.
            fin: True for the message's final frame: the trailer
                ``00 00 ff ff`` is appended and the message ends.
            max_size: the most output this call may produce, any real
                number >= 0 (the assembler passes what is left of the
                message's budget); ``None`` means explicitly no bound.
                Left out: what is left of 1 MiB for the message.

        Returns:
            The inflated bytes of this frame.

        Raises:
            PayloadTooBig: (1009) the output would pass ``max_size``, or the
                message passed ``max_ratio``; at most ``max_size + 1`` bytes
                were inflated.  Its message names the message's budget: the
                bytes inflated before this call plus ``max_size``.
            ProtocolError: (1002) corrupt compressed data.  After either
                error the inflater is unusable: every later call raises it.
            TypeError, ValueError: bad arguments.
        """
        if type(payload) is not bytes:
            payload = byte_view(payload, "payload")  # the API's words for a bad argument
        if max_size is _MESSAGE_DEFAULT:
            # (Never negative: earlier calls with a larger explicit bound may have
            # passed 1 MiB, and max_length 0 would mean no bound to zlib.)
            bound: int | None = max(0, DEFAULT_MAX_SIZE - self._out)
        elif type(max_size) is int and 0 <= max_size < _NO_LIMIT:
            bound = max_size
        else:
            bound = _limit(max_size, "max_size")
        d = self._d
        if d is None:
            d = self._start()
        by_ratio = False
        ratio = self._ratio
        if ratio is not None:
            self._in += len(payload)
            room = math.floor(ratio * self._in) + RATIO_SLACK - self._out
            if room < _NO_LIMIT and (bound is None or room < bound):
                bound, by_ratio = room, True
        try:
            if fin:
                data: bytes | bytearray | memoryview = (
                    payload + _TRAILER
                    if type(payload) is bytes
                    else b"".join((payload, _TRAILER))  # one copy, any buffer
                )
            else:
                data = payload
            if bound is None:
                out: bytes = d.decompress(data)
            else:
                # Ask for one byte more than allowed: getting it proves the
                # message too big, and nothing more was inflated.
                out = d.decompress(data, bound + 1)
                if len(out) > bound or d.unconsumed_tail:
                    out = self._rest(d, out, bound, by_ratio)
        except self._zerror as exc:
            self._fail(_rules.corrupt_compressed(exc))
        self._out = 0 if fin else self._out + len(out)
        if fin:
            self._in = 0
        if fin:
            if self._reset or d.eof:
                self._d = None
        elif d.eof:
            # RFC 7692 §7.2.3.4: the peer ended its DEFLATE stream with a
            # final block; what follows in this message carries nothing.
            self._d = _ENDED
        return out

    def _start(self) -> Decompressor:
        if self._error is not None:
            raise self._error
        d: Decompressor = self._decompressobj(_INFLATE_WBITS)
        self._d = d
        return d

    def _rest(self, d: Decompressor, out: bytes, bound: int, by_ratio: bool) -> bytes:
        # A call that fills its max_length may leave output pending inside
        # the decompressor even with an empty unconsumed_tail (python-isal
        # #248), so "tail empty" never means "done" by itself: only a call
        # that returns less than it was allowed to and leaves no tail does.
        # Here the first call either overflowed (too big) or left a tail.
        if len(out) > bound:
            self._overflow(bound, by_ratio)
        pieces = [out]
        room = bound - len(out)
        tail = d.unconsumed_tail
        while tail:
            piece = d.decompress(tail, room + 1)
            if len(piece) > room:
                self._overflow(bound, by_ratio)
            room -= len(piece)
            pieces.append(piece)
            tail = d.unconsumed_tail
        return b"".join(pieces)

    def _overflow(self, max_size: int, by_ratio: bool) -> NoReturn:
        if by_ratio:
            self._fail(_rules.inflated_past_ratio(self.max_ratio, self._in, RATIO_SLACK))
        # Worded with the message's whole budget (what it inflated before this
        # call plus this call's bound): the assembler's max_message_size when
        # it passes what is left of it, so its error needs no rewording.
        self._fail(_rules.inflated_too_big(self._out + max_size))

    def _fail(self, exc: ProtocolError) -> NoReturn:
        self._abandon(exc)
        raise exc

    def _abandon(self, exc: ProtocolError) -> None:
        """The message being inflated ended with ``exc`` (here, or in the
        ``MessageAssembler`` feeding this inflater): the peer's DEFLATE stream
        cannot go on without it (RFC 7692 §7.2.2: with context takeover the
        next message may refer to its bytes), so every later call raises
        ``exc`` (the first such error, if there were several); the connection
        is to be failed."""
        if self._error is None:
            self._error = exc
        self._d = None

    def __repr__(self) -> str:
        ratio = "" if self.max_ratio is None else f", max_ratio={self.max_ratio}"
        return f"Inflater({self.params!r}, zlib={self.zlib_name!r}{ratio})"


# ---------------------------------------------------------------------------
# Deflate (RFC 7692 §7.2.1)
# ---------------------------------------------------------------------------


class _Pool(threading.local):
    """Compressors of Deflaters without context takeover, reset and free.

    One pool per setting (module, level, window, memLevel, strategy), with
    one list per thread (a compressor is not thread-safe).  A thread uses one
    compressor at a time, so each list stays short; the cap bounds what
    re-entrant use could leave behind.
    """

    CAP = 4

    def __init__(self) -> None:
        self.free: list[Compressor] = []


_pools: dict[tuple[object, ...], _Pool] = {}


#: Default compression level (see docs/deflate.md for the measurements).
DEFAULT_LEVEL = 1
#: Default zlib memLevel (zlib-ng ignores it; see docs/deflate.md).
DEFAULT_MEM_LEVEL = 5


class Deflater(_Codec):
    """Compressor for the messages this side sends (RFC 7692 §7.2.1).

    Each message is compressed whole, flushed with ``Z_SYNC_FLUSH`` and
    stripped of the trailing ``00 00 ff ff``; with context takeover the
    compressor (and its history) lives as long as the Deflater.  When this
    side may not take over context (its ``*_no_context_takeover``), no state
    needs to survive a message, and the Deflater holds none: each message
    borrows a compressor from a per-thread pool (one per backend and
    setting), ends with ``Z_FULL_FLUSH`` (which empties the history and the
    match finder: nothing after it can refer to anything before it), and
    gives it back.  An idle connection then costs no compressor memory, and
    no byte of one connection's message can be referenced by another's.

    An agreed 8-bit window cannot be honoured by zlib (it refuses raw 8-bit
    compression, or silently uses 9): the compressor then uses the
    ``Z_RLE`` strategy, whose matches all have distance 1, so any 8-bit
    inflater accepts the output.  isal ignores strategies, so an 8-bit
    Deflater on isal compresses with the standard library's zlib.

    Args:
        params: the agreement.
        client: True when this side is the client (the client's window and
            takeover parameters then apply).
        level: zlib compression level 0..9 (isal: 0..3).
        mem_level: zlib memLevel 1..9 (memory for the match finder).
        min_size: messages shorter than this are sent uncompressed
            (``encode_message`` checks ``len(payload) < deflater.min_size``).
        zlib: the zlib backend (see :func:`zlib_backend`).

    Raises:
        TypeError, ValueError: bad arguments.
    """

    __slots__ = (
        "_c",
        "_calls",
        "_compressobj",
        "_flush_mode",
        "_pool",
        "_strategy",
        "_wbits",
        "level",
        "mem_level",
        "min_size",
    )

    level: int
    mem_level: int
    min_size: int

    def __init__(
        self,
        params: DeflateParams,
        *,
        client: bool = False,
        level: int = DEFAULT_LEVEL,
        mem_level: int = DEFAULT_MEM_LEVEL,
        min_size: int = 0,
        zlib: ModuleType | str | None = None,
    ) -> None:
        if not isinstance(params, DeflateParams):
            raise _not_params(params)
        for name, value, low, high in (
            ("level", level, -1, 9),
            ("mem_level", mem_level, 1, 9),
            ("min_size", min_size, 0, None),
        ):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int, not {value!r}")
            if value < low or (high is not None and value > high):
                raise ValueError(f"{name} out of range: {value}")
        self.level = level
        self.mem_level = mem_level
        self.min_size = min_size
        module = zlib_backend(zlib)
        reset, bits = _peer_side(params, peer_is_server=not client)
        strategy = module.Z_DEFAULT_STRATEGY
        if bits == 8:
            if backend_name(module) == "isal":
                module = import_backend("zlib")
            strategy = getattr(module, "Z_RLE", 3)  # 3 in zlib.h
            bits = 9
        self._bind(params, module)
        self._wbits = -bits
        self._strategy = strategy
        self._flush_mode = module.Z_FULL_FLUSH if reset else module.Z_SYNC_FLUSH
        self._compressobj = module.compressobj
        self._c: Compressor | None = None
        # (compress, flush, flush mode) of _c, bound once for the compiled
        # path (wsframe/_speedups/_deflate_fast.pxi), which sets it.
        self._calls: tuple[object, object, int] | None = None
        self._pool: _Pool | None = None
        # A level or memLevel the backend refuses (isal: levels 0..3) must
        # fail now: a compressor is built here unless this thread's pool
        # already holds one with these settings.  With takeover it is dropped
        # again (allocated at the first message: a connection that never
        # sends costs nothing); without, it starts the pool.
        if reset:
            pool = self._pool = _pools.setdefault((module, level, bits, mem_level, strategy), _Pool())
            if not pool.free:
                pool.free.append(self._new_compressor())
        else:
            self._new_compressor()

    def _new_compressor(self) -> Compressor:
        try:
            c: Compressor = self._compressobj(
                self.level, self.zlib.DEFLATED, self._wbits, self.mem_level, self._strategy
            )
        except (self._zerror, ValueError) as exc:
            raise ValueError(
                f"{self.zlib_name} cannot compress with level={self.level}, "
                f"mem_level={self.mem_level}, window={-self._wbits}: {exc}"
            ) from None
        return c

    def compress(self, payload: bytes | bytearray | memoryview) -> bytes:
        """Compress one whole message (RFC 7692 §7.2.1).

        Args:
            payload: the message's data (bytes-like; encode text first).

        Returns:
            The compressed payload, trailing ``00 00 ff ff`` removed; an
            empty message becomes ``00`` (``02 00`` on isal: an empty
            fixed-Huffman block, which inflates to nothing as well).

        Raises:
            TypeError: ``payload`` is not bytes-like.
        """
        pool = self._pool
        if pool is None:
            c = self._c
            if c is None:
                c = self._c = self._new_compressor()
        else:
            free = pool.free
            c = free.pop() if free else self._new_compressor()
        data: bytes = c.compress(payload)
        # The flush ends with an empty stored block, 00 00 ff ff, which it
        # emits itself: dropping it from the flush's output avoids copying
        # the (possibly large) compressed body twice.
        tail: bytes = c.flush(self._flush_mode)[:-4]
        if pool is not None and len(free) < _Pool.CAP:
            # Only after a completed Z_FULL_FLUSH (an exception above drops
            # the compressor instead): its history is empty again.
            free.append(c)
        return data + tail if data else tail

    def __repr__(self) -> str:
        return (
            f"Deflater({self.params!r}, level={self.level}, mem_level={self.mem_level}, "
            f"min_size={self.min_size}, zlib={self.zlib_name!r})"
        )
