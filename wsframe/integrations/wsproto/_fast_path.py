"""The receive loops' fast path over wsproto's frame layer, shared by the
patched ``FrameProtocol.received_frames`` and ``Connection.events``.

It reproduces wsproto's frame handling step by step for what it can prove
wsproto would accept the same way (a complete, well-formed frame at a frame
boundary, with wsproto's own ``PerMessageDeflate`` run through the same hooks
in the same order) and leaves everything else, untouched, to wsproto.
"""

from __future__ import annotations

import sys
from inspect import GEN_CREATED, GEN_SUSPENDED, getgeneratorlocals, getgeneratorstate
from types import ModuleType
from typing import Any

from .._frames import take_frame as take_buffered_frame
from .._inflater import ZlibCompatibleInflater
from ._deflate import begin_message, end_message, inflate
from ._state import EXTENSIONS, STATE, legacy_types

__all__ = [
    "opcode_table",
    "payload_converter",
    "make_decode_text",
    "make_take_frame",
    "wsproto_step",
]


class PmdType:
    """wsproto's ``PerMessageDeflate`` class, looked up on first use.

    Not at patch time: wsproto 1.2's ``wsproto.extensions`` imports
    ``wsproto.frame_protocol``, so when the latter is patched the former may
    be only partly initialised (importing from it then would break
    ``import wsproto``).
    """

    __slots__ = ("_cls",)

    def __init__(self) -> None:
        self._cls: Any = None

    def __call__(self) -> Any:
        if self._cls is None:
            ext = sys.modules.get(EXTENSIONS)
            cls = getattr(ext, "PerMessageDeflate", None)
            if cls is None:
                return None  # not defined yet: nothing can be an instance of it
            self._cls = cls
        return self._cls


def opcode_table(module: ModuleType) -> dict[int, Any]:
    return {int(op): op for op in module.Opcode}


def payload_converter(legacy: bool) -> Any:
    """``convert(header, payload)``: the payload type wsproto gives a whole frame.

    :func:`~wsframe.integrations._frames.take_frame` returns ``bytes`` for a
    masked frame and a ``bytearray`` for an unmasked one.  wsproto 1.3 makes
    every payload ``bytes``; wsproto 1.2 keeps ``bytearray`` for unmasked and
    empty payloads (see :func:`legacy_types`).
    """
    if legacy:

        def convert(h: Any, payload: Any) -> Any:
            return payload if h.masked and h.length else bytearray(payload)

    else:

        def convert(h: Any, payload: Any) -> Any:
            return payload if h.masked else bytes(payload)

    return convert


def make_decode_text(fp: ModuleType) -> Any:
    """Return ``decode_text(messages, payload)`` for a text message in one frame.

    A fresh incremental decoder fed everything with final=True is exactly
    ``bytes.decode`` (same result, same ``UnicodeDecodeError``), so this is
    what wsproto's ``MessageDecoder.process_frame`` does with such a frame;
    on invalid UTF-8 it leaves ``messages`` (the ``MessageDecoder``) in the
    state wsproto leaves it in and raises wsproto's ``ParseFailed`` with code
    1007 (RFC 6455 §8.1, §7.4.1).
    """
    TEXT = fp.Opcode.TEXT
    ParseFailed = fp.ParseFailed
    INVALID = fp.CloseReason.INVALID_FRAME_PAYLOAD_DATA
    getincrementaldecoder = fp.getincrementaldecoder

    def decode_text(messages: Any, payload: bytes) -> str:
        try:
            return payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            messages.opcode = TEXT
            messages.decoder = getincrementaldecoder("utf-8")()
            raise ParseFailed(str(exc), INVALID) from None

    return decode_text


def extensions_supported(proto: Any, decoder: Any, pmd_type: Any, gen: Any) -> bool:
    """True if the fast path can run the negotiated extensions itself.

    Only wsproto's own ``PerMessageDeflate`` qualifies: its hooks read
    nothing of the decoder but ``client``, so calling them exactly as
    ``FrameDecoder.process_buffer`` does gives wsproto's results.  Also does
    what wsproto's frame generator does when it starts: drop extensions that
    are no longer enabled from ``FrameProtocol.extensions``.
    """
    exts = decoder.extensions
    if not exts and not proto.extensions:
        return True
    cls = pmd_type()
    if not all(type(ext) is cls for ext in exts) or not all(type(ext) is cls for ext in proto.extensions):
        return False
    if getgeneratorstate(gen) == GEN_CREATED:
        proto.extensions = [ext for ext in proto.extensions if ext.enabled()]
    return True


def inbound_extensions(
    decoder: Any,
    exts: Any,
    payload: Any,
    fin: bool,
    parse_failed: Any,
    close_reason: Any,
    legacy: bool,
) -> Any:
    """The payload hooks of ``FrameDecoder.process_buffer`` for a complete frame.

    wsproto 1.3 passes ``bytes`` to each hook and returns ``bytes``; wsproto
    1.2 passes along whatever the previous step returned, and so does this.
    """
    for ext in exts:
        result = ext.frame_inbound_payload_data(decoder, payload)
        if isinstance(result, close_reason):
            raise parse_failed("error in extension", result)
        payload = result if legacy else bytes(result)
    final = b""
    for ext in exts:
        result = ext.frame_inbound_complete(decoder, fin)
        if isinstance(result, close_reason):
            raise parse_failed("error in extension", result)
        if result is not None:
            final += result
    return payload + final if final else payload


def make_take_frame(fp: ModuleType) -> Any:
    """The fast path's first half, shared by ``received_frames`` and ``events``.

    Returns ``take_frame(decoder, gen, prepared)`` (``prepared`` from
    ``take_frame.start(proto)``, once per receive loop): when
    ``decoder`` is at a frame
    boundary with a complete, plainly valid frame buffered, it removes the
    frame from the buffer, leaves the decoder as wsproto's
    ``FrameDecoder.process_buffer`` would, runs the negotiated extensions and
    returns ``(opcode, payload, fin)``; otherwise it returns ``None`` and
    touches nothing, so that wsproto's own code takes over.  A ``ParseFailed``
    from the extensions closes ``gen`` (wsproto's generator ends on errors)
    and propagates.
    """
    opcodes = opcode_table(fp)
    CONTROL = 8
    ParseFailed = fp.ParseFailed
    take = take_buffered_frame
    RsvBits = fp.RsvBits
    CloseReason = fp.CloseReason
    legacy = legacy_types()
    convert = payload_converter(legacy)

    inflater_type = ZlibCompatibleInflater
    pmd_type = PmdType()

    def inline_pmd(decoder: Any, gen: Any, pmd: Any) -> Any:
        """The header hook of wsframe's PerMessageDeflate, inlined (see
        ``frame_inbound_header``); ``None`` leaves the frame to the generic
        path (RSV2/RSV3, or RSV1 where RFC 7692 §6.1 forbids it: errors)."""

        def check(h: Any) -> bool:
            op = h.opcode
            rsv1 = h.rsv1
            if h.rsv2 or h.rsv3 or (rsv1 and (op >= CONTROL or op == 0)):
                try:
                    decoder.extension_processing(opcodes[op], RsvBits(rsv1, h.rsv2, h.rsv3), h.length)
                except ParseFailed:
                    gen.close()
                    raise
                return True  # pragma: no cover - wsproto raised above
            pmd._inbound_is_compressible = op < CONTROL
            if pmd._inbound_compressed is None:
                pmd._inbound_compressed = rsv1
                if rsv1:
                    begin_message(pmd, decoder.client)
            return True

        return check

    def take_frame(decoder: Any, gen: Any, prepared: tuple[Any, Any]) -> tuple[Any, Any, bool] | None:
        buffer = decoder.buffer
        if decoder.header is not None or buffer.bytes_used:
            return None
        check, pmd = prepared
        taken = take(buffer.buffer, masked=not decoder.client, no_rsv=check is None, check=check)
        if taken is None:
            return None  # partial or unusual: wsproto's own code decides
        h, payload = taken
        if legacy:
            payload = convert(h, payload)
        elif not h.masked:
            payload = bytes(payload)
        length = h.length
        opcode = opcodes[h.opcode]
        decoder.payload_required = length if opcode >= CONTROL else 0
        decoder.payload_consumed = length
        return opcode, extension_payload(decoder, gen, pmd, payload, h.fin), h.fin

    def extension_payload(decoder: Any, gen: Any, pmd: Any, payload: Any, fin: bool) -> Any:
        """A complete frame's payload through the negotiated extensions (the
        header's hooks already ran); ``pmd``: the inlined PerMessageDeflate."""
        if pmd is not None:
            d = pmd._decompressor
            if pmd._inbound_compressed and pmd._inbound_is_compressible and type(d) is inflater_type:
                # frame_inbound_payload_data + frame_inbound_complete in one
                # call: the same output, the same CloseReason on failure.
                out = inflate(d, payload, fin, CloseReason)
                if isinstance(out, CloseReason):
                    gen.close()
                    raise ParseFailed("error in extension", out)
                if fin:
                    end_message(pmd, decoder.client)
                return out
        exts = decoder.extensions
        if exts:
            try:
                payload = inbound_extensions(decoder, exts, payload, fin, ParseFailed, CloseReason, legacy)
            except ParseFailed:
                gen.close()
                raise
        return payload

    def compressed_message(decoder: Any, gen: Any, pmd: Any, payload: Any) -> Any:
        """The inflated data of a whole compressed message (RSV1, FIN) taken
        from the buffer at a message boundary, with the state wsproto's
        ``FrameDecoder`` and ``pmd`` (its inlined PerMessageDeflate) have
        after it: the header hook's steps, then :func:`extension_payload`."""
        if legacy and (decoder.client or not payload):
            payload = bytearray(payload)  # see payload_converter
        pmd._inbound_is_compressible = True
        pmd._inbound_compressed = True
        begin_message(pmd, decoder.client)
        return extension_payload(decoder, gen, pmd, payload, True)

    def start(proto: Any) -> tuple[Any, Any, Any, tuple[Any, Any]] | None:
        """A receive loop's state for ``proto`` (wsproto's ``FrameProtocol``):
        ``(gen, decoder, messages, prepared)``, ``prepared`` the header check
        and the inlined PerMessageDeflate (or None), fixed for a connection;
        None when only wsproto's own generator may go on: a finished
        generator (after CLOSE or an error: nothing more is ever parsed), one
        suspended right after yielding CLOSE, or other extensions than
        permessage-deflate."""
        gen = proto._parse_more
        decoder = proto._frame_decoder
        if (
            gen.gi_frame is None
            or not extensions_supported(proto, decoder, pmd_type, gen)
            or (getgeneratorstate(gen) == GEN_SUSPENDED and bool(getgeneratorlocals(gen).get("closed")))
        ):
            return None
        exts = decoder.extensions
        check: Any = None  # no extension: no_rsv (wsproto: "Reserved bit set unexpectedly")
        pmd: Any = None
        if exts:
            if len(exts) == 1 and STATE.pmd_hooks_in_place(type(exts[0])):
                pmd = exts[0]
                check = inline_pmd(decoder, gen, pmd)
            else:

                def check(h: Any) -> bool:
                    # RFC 7692 §6.1 checks (RSV1 on control or continuation
                    # frames) are wsproto's, run where wsproto runs them: on
                    # a complete frame, before unmasking.
                    try:
                        decoder.extension_processing(opcodes[h.opcode], RsvBits(h.rsv1, h.rsv2, h.rsv3), h.length)
                    except ParseFailed:
                        gen.close()
                        raise
                    return True

        return gen, decoder, proto._message_decoder, (check, pmd)

    take_frame.start = start  # type: ignore[attr-defined]
    take_frame.compressed_message = compressed_message  # type: ignore[attr-defined]
    return take_frame


def wsproto_step(decoder: Any, gen: Any) -> Any:
    """One step of wsproto's own generator ``gen`` (partial frames, anything
    unusual, errors with wsproto's messages), where the fast path stops: its
    next frame, or None when it needs more data or has finished.

    The step is skipped (None) where the generator would only find that it
    needs more data: at a frame boundary with less than a header's first two
    bytes buffered.
    """
    buffer = decoder.buffer
    if decoder.header is None and not buffer.bytes_used and len(buffer.buffer) < 2:
        return None
    return next(gen, None)
