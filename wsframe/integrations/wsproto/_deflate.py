"""wsproto's ``PerMessageDeflate`` (``wsproto.extensions``, RFC 7692) inflating
with :class:`wsframe.deflate.Inflater`, and the opt-in bound on a compressed
message's inflated size."""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

from ...errors import PayloadTooBig, ProtocolError
from .._inflater import ZlibCompatibleInflater
from ._state import FRAME_PROTOCOL, PMD_HOOKS, STATE

__all__ = ["set_max_inflated_size", "begin_message", "end_message", "inflate", "inflate_error", "make_pmd_hook"]


def set_max_inflated_size(limit: int | None) -> None:
    """Bound the inflated size of each compressed message (opt-in).

    wsproto itself puts no bound on what a compressed message inflates to, so
    a few kilobytes on the wire can become gigabytes in memory.  With a
    limit set (and the integration installed), a message whose inflated data
    would pass ``limit`` bytes fails the connection with close code 1009
    (``CloseReason.MESSAGE_TOO_BIG``, wsproto's ``CloseConnection`` event),
    having inflated at most ``limit`` + 64 KiB of it.  A message of exactly
    ``limit`` bytes passes.  ``None`` (the default) restores wsproto's
    unbounded behaviour.  The setting is process-wide and applies to
    messages started after the call.

    Args:
        limit: the largest inflated message, in bytes, or ``None``.

    Raises:
        ValueError: ``limit`` is negative.
        TypeError: ``limit`` is not an int or None.
    """
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise TypeError(f"limit must be an int or None, not {limit!r}")
        if limit < 0:
            raise ValueError(f"limit must be >= 0, got {limit}")
    STATE.inflate_limit = limit


def begin_message(pmd: Any, client: Any) -> None:
    """A compressed message starts on wsproto's ``PerMessageDeflate`` ``pmd``.

    Makes its decompressor (the peer's window, RFC 7692 §7.1.2) when it has
    none, and restarts the inflated-size count of ours.  A decompressor that
    wsproto made before ``install()`` stays wsproto's.
    """
    d = pmd._decompressor
    if d is None:
        bits = pmd.server_max_window_bits if client else pmd.client_max_window_bits
        d = pmd._decompressor = ZlibCompatibleInflater(int(bits), bool(client))
    if type(d) is ZlibCompatibleInflater:
        d.inflated = 0


def end_message(pmd: Any, client: Any) -> None:
    """A compressed message has ended on wsproto's ``PerMessageDeflate`` ``pmd``.

    Drops the decompressor when the peer does not keep its context (RFC 7692
    §7.1.1: the peer's ``*_no_context_takeover``), and marks the next message
    as not yet started, as wsproto does.
    """
    if client:
        no_context_takeover = pmd.server_no_context_takeover
    else:
        no_context_takeover = pmd.client_no_context_takeover
    if no_context_takeover:
        pmd._decompressor = None
    pmd._inbound_compressed = None


def inflate(d: ZlibCompatibleInflater, data: Any, fin: bool, close_reason: Any) -> Any:
    """Inflate one frame's payload; wsproto's ``CloseReason`` on failure."""
    limit = STATE.inflate_limit
    try:
        if limit is None:
            return d.feed(data, fin=fin, max_size=None)
        out = d.feed(data, fin=fin, max_size=limit - d.inflated)
    except ProtocolError as exc:
        return inflate_error(exc, close_reason)
    d.inflated += len(out)
    return out


def inflate_error(exc: ProtocolError, close_reason: Any) -> Any:
    """wsproto's ``CloseReason`` for an Inflater's error ``exc``: 1009 past
    the inflated-size bound; wsproto answers corrupt compressed data with 1007."""
    if isinstance(exc, PayloadTooBig):
        return close_reason.MESSAGE_TOO_BIG
    return close_reason.INVALID_FRAME_PAYLOAD_DATA


def _pmd_hook(name: str, original: Any) -> Any:
    """One of wsproto's three inbound hooks of ``PerMessageDeflate``
    (``name`` in :data:`PMD_HOOKS`) on wsframe's Inflater; ``original`` is
    wsproto's own.

    Same state changes (``_inbound_is_compressible``, ``_inbound_compressed``,
    ``_decompressor`` created when missing and dropped after a message when
    the peer may not take over context), same results and ``CloseReason``
    values as wsproto's (wsproto/extensions.py); only the decompressor is
    wsframe's.  A decompressor that wsproto created before ``install()``
    keeps being used by wsproto's own code.
    """
    fp = sys.modules[FRAME_PROTOCOL]
    CloseReason = fp.CloseReason
    CONTINUATION = fp.Opcode.CONTINUATION
    RsvBits = fp.RsvBits
    inflater_type = ZlibCompatibleInflater

    def frame_inbound_header(self: Any, proto: Any, opcode: Any, rsv: Any, payload_length: int) -> Any:
        # RFC 7692 §6.1: RSV1 only on the first frame of a data message.
        if rsv.rsv1 and opcode.iscontrol():
            return CloseReason.PROTOCOL_ERROR
        if rsv.rsv1 and opcode is CONTINUATION:
            return CloseReason.PROTOCOL_ERROR
        self._inbound_is_compressible = self._compressible_opcode(opcode)
        if self._inbound_compressed is None:
            self._inbound_compressed = rsv.rsv1
            if self._inbound_compressed:
                assert self._inbound_is_compressible
                begin_message(self, proto.client)
        return RsvBits(True, False, False)

    def frame_inbound_payload_data(self: Any, proto: Any, data: Any) -> Any:
        if not self._inbound_compressed or not self._inbound_is_compressible:
            return data
        d = self._decompressor
        if type(d) is not inflater_type:
            return original(self, proto, data)
        return inflate(d, data, False, CloseReason)

    def frame_inbound_complete(self: Any, proto: Any, fin: bool) -> Any:
        if not fin:
            return None
        if not self._inbound_is_compressible or not self._inbound_compressed:
            self._inbound_compressed = None
            return None
        d = self._decompressor
        if type(d) is not inflater_type:
            return original(self, proto, fin)
        data = inflate(d, b"", True, CloseReason)
        if isinstance(data, CloseReason):
            return data
        end_message(self, proto.client)
        return data

    hooks = {f.__name__: f for f in (frame_inbound_header, frame_inbound_payload_data, frame_inbound_complete)}
    hook: Any = hooks[name]
    hook.__wrapped__ = original
    hook.__qualname__ = f"PerMessageDeflate.{name}"
    return hook


def make_pmd_hook(name: str) -> Any:
    """The patch factory for the ``PerMessageDeflate`` hook ``name``; it
    records the hook in :data:`STATE` for the receive loops."""
    assert name in PMD_HOOKS

    def factory(original: Any, module: ModuleType) -> Any:
        hook = _pmd_hook(name, original)
        STATE.pmd_hooks[name] = hook
        return hook

    return factory
