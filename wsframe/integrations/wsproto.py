"""Drop-in acceleration of wsproto's frame layer (``wsproto.frame_protocol``).

Usage::

    import wsframe.integrations.wsproto as wsframe_wsproto
    wsframe_wsproto.install()      # before or after ``import wsproto``
    ...
    wsframe_wsproto.uninstall()    # restores wsproto's own code

What is replaced (proven on wsproto 1.2.0 and 1.3.2, see ``SUPPORTED_VERSIONS``;
with another version ``install()`` warns and leaves wsproto untouched):

* ``XorMaskerSimple``: a subclass whose ``process()`` masks with
  :func:`wsframe.mask.apply_mask_inplace` (RFC 6455 §5.3) instead of four
  ``bytes.translate`` passes; it still returns a ``bytearray`` and continues
  the key phase across calls.
* ``FrameDecoder.process_buffer``: when a whole frame is buffered and nothing
  unusual is going on, the header is parsed by :func:`wsframe.frames.parse_header`
  and the payload unmasked by :func:`wsframe.mask.apply_mask` in one step,
  producing the very ``Frame`` wsproto would.
* ``MessageDecoder.process_frame``: a text message that arrives as one frame
  is decoded with one ``bytes.decode`` instead of a fresh incremental decoder.
* ``FrameProtocol.received_frames``: a tight loop over the buffered complete
  frames (header, unmask, UTF-8, close payload) that bypasses the generator
  chain for the common case.
* ``wsproto.connection.Connection.events``: the same loop, turning each
  complete frame straight into its event (``TextMessage``, ``BytesMessage``,
  ``Ping``, ``Pong``, ``CloseConnection``) with wsproto's state changes.

Exactness rule: the fast paths only handle what they can prove wsproto would
accept in exactly the same way: a complete, well-formed frame with the right
masking, and RSV bits only through a negotiated extension.  wsproto's own
``PerMessageDeflate`` is run through the same hooks, in the same order, as
``FrameDecoder.process_buffer`` runs it.  Everything else (partial frames,
malformed headers, fragmented text, other extensions) is handed, at a frame
boundary and with wsproto's state untouched, to wsproto's own code, so
events, partial frames, close codes and ``ParseFailed`` messages are
wsproto's.  wsproto's own test suite passes with this module installed
(``tools/peer_suites.sh``).
"""

from __future__ import annotations

import sys
from inspect import GEN_CREATED, GEN_SUSPENDED, getgeneratorlocals, getgeneratorstate
from types import ModuleType
from typing import Any

from .. import mask as _mask
from ..deflate import DeflateParams, Inflater
from ..errors import PayloadTooBig, ProtocolError
from ._frames import take_frame as _take_frame
from ._patching import Patch, PatchSet, Unsupported, entry_points, installed_version

__all__ = [
    "SUPPORTED_VERSIONS",
    "install",
    "uninstall",
    "is_installed",
    "active",
    "set_max_inflated_size",
]

#: The wsproto releases this integration is proven on (tools/integration_matrix.sh
#: runs wsproto's own suite and tests/integrations/test_integrations_wsproto.py on each).
#: With any other version ``install()`` leaves wsproto untouched and warns.
SUPPORTED_VERSIONS = ("1.2.0", "1.3.2")

_MODULE = "wsproto.frame_protocol"


def _legacy_types() -> bool:
    """True for wsproto 1.2, whose payload types differ from 1.3's.

    wsproto 1.2 hands out what its buffer and masker produce: ``bytes`` for a
    masked, non-empty payload and a ``bytearray`` otherwise (an unmasked
    payload, an empty one), and ``XorMaskerSimple.process`` returns ``bytes``
    (its argument itself when empty).  wsproto 1.3 turns every frame payload
    into ``bytes`` and ``XorMaskerSimple.process`` returns a ``bytearray``.
    """
    version = installed_version("wsproto") or ""
    return version.startswith("1.2.")


def _make_xor_masker_simple(original: Any, module: ModuleType) -> Any:
    apply_mask_inplace = _mask.apply_mask_inplace
    legacy = _legacy_types()

    class XorMaskerSimple(original):  # type: ignore[misc]
        """wsproto's ``XorMaskerSimple`` with masking done by wsframe.

        Same interface and results as wsproto's class: ``process(data)``
        returns a new ``bytearray`` and the key phase continues across calls
        (RFC 6455 §5.3: octet i is XOR-ed with key octet i MOD 4).
        """

        __wsframe__ = True

        def __init__(self, masking_key: bytes | bytearray) -> None:
            self._key = masking_key
            self._phase = 0

        @property
        def _masking_key(self) -> Any:
            # wsproto rotates its key after each call; expose the same value.
            key, phase = self._key, self._phase
            return key[phase:] + key[:phase] if phase else key

        @_masking_key.setter
        def _masking_key(self, value: Any) -> None:
            self._key = value
            self._phase = 0

        def process(self, data: Any) -> Any:
            """Return ``data`` masked, as wsproto's own class returns it.

            wsproto 1.3: a new ``bytearray``; wsproto 1.2: ``bytes`` (and
            ``data`` itself when it is empty).

            Raises:
                ValueError: the masking key is not 4 bytes long (wsproto
                    fails the same way).
            """
            if legacy and not data:
                return data
            out = bytearray(data)
            if out:
                if len(self._key) != 4:
                    # Keep wsproto's own failure mode for impossible keys.
                    return original.process(self, out)
                apply_mask_inplace(out, self._key, self._phase)
                self._phase = (self._phase + len(out)) & 3
            return bytes(out) if legacy else out

    XorMaskerSimple.__module__ = module.__name__
    XorMaskerSimple.__qualname__ = "XorMaskerSimple"
    return XorMaskerSimple


class _PmdType:
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
            ext = sys.modules.get("wsproto.extensions")
            cls = getattr(ext, "PerMessageDeflate", None)
            if cls is None:
                return None  # not defined yet: nothing can be an instance of it
            self._cls = cls
        return self._cls


def _check_structure(module: ModuleType) -> None:
    """Check that wsproto's internals are those the fast paths mirror.

    The fast paths reproduce wsproto 1.3.2's frame handling step by step;
    another version with different internals keeps its own code.

    Raises:
        Unsupported: a name or field the fast paths rely on is missing.
    """
    needed = {
        "FrameDecoder": ("process_buffer", "parse_header", "extension_processing"),
        "FrameProtocol": ("_parse_more_gen", "_process_close", "received_frames"),
        "MessageDecoder": ("process_frame",),
        "Buffer": ("consume_at_most", "commit"),
    }
    for cls_name, attrs in needed.items():
        cls = getattr(module, cls_name, None)
        if cls is None or not all(hasattr(cls, a) for a in attrs):
            raise Unsupported(f"wsproto.frame_protocol.{cls_name} differs from wsproto 1.3")
    if getattr(module.Frame, "_fields", None) != (
        "opcode",
        "payload",
        "frame_finished",
        "message_finished",
    ):
        raise Unsupported("wsproto.frame_protocol.Frame differs from wsproto 1.3")
    if getattr(module, "getincrementaldecoder", None) is None:
        raise Unsupported("wsproto.frame_protocol has no getincrementaldecoder")


def _opcode_table(module: ModuleType) -> dict[int, Any]:
    return {int(op): op for op in module.Opcode}


def _payload_converter(legacy: bool) -> Any:
    """``convert(header, payload)``: the payload type wsproto gives a whole frame.

    :func:`~wsframe.integrations._frames.take_frame` returns ``bytes`` for a
    masked frame and a ``bytearray`` for an unmasked one.  wsproto 1.3 makes
    every payload ``bytes``; wsproto 1.2 keeps ``bytearray`` for unmasked and
    empty payloads (see :func:`_legacy_types`).
    """
    if legacy:

        def convert(h: Any, payload: Any) -> Any:
            return payload if h.masked and h.length else bytearray(payload)

    else:

        def convert(h: Any, payload: Any) -> Any:
            return payload if h.masked else bytes(payload)

    return convert


def _make_process_buffer(original: Any, module: ModuleType) -> Any:
    _check_structure(module)
    Frame = module.Frame
    opcodes = _opcode_table(module)
    take_frame = _take_frame
    convert = _payload_converter(_legacy_types())

    def process_buffer(self: Any) -> Any:
        """wsproto's ``FrameDecoder.process_buffer`` with a fast path.

        The fast path takes a complete frame at a frame boundary; anything
        else is wsproto's own code (see the module docstring).
        """
        if self.header is None and not self.extensions and self.buffer.bytes_used == 0:
            taken = take_frame(self.buffer.buffer, masked=not self.client, no_rsv=True)
            if taken is not None:
                h, payload = taken
                opcode = opcodes[h.opcode]
                # The state wsproto leaves behind after a frame.
                self.payload_required = h.length if opcode >= 8 else 0
                self.payload_consumed = h.length
                return Frame(opcode, convert(h, payload), True, h.fin)
        return original(self)

    process_buffer.__wrapped__ = original  # type: ignore[attr-defined]
    return process_buffer


def _make_decode_text(fp: ModuleType) -> Any:
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


def _make_process_frame(original: Any, module: ModuleType) -> Any:
    _check_structure(module)
    Frame = module.Frame
    TEXT = module.Opcode.TEXT
    decode_text = _make_decode_text(module)

    def process_frame(self: Any, frame: Any) -> Any:
        """wsproto's ``MessageDecoder.process_frame``; one-frame text is decoded at once."""
        if (
            self.opcode is None
            and frame.opcode is TEXT
            and frame.frame_finished
            and frame.message_finished
        ):
            return Frame(TEXT, decode_text(self, frame.payload), True, True)
        return original(self, frame)

    process_frame.__wrapped__ = original  # type: ignore[attr-defined]
    return process_frame


def _extensions_supported(proto: Any, decoder: Any, pmd_type: Any, gen: Any) -> bool:
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
    if not all(type(ext) is cls for ext in exts) or not all(
        type(ext) is cls for ext in proto.extensions
    ):
        return False
    if getgeneratorstate(gen) == GEN_CREATED:
        proto.extensions = [ext for ext in proto.extensions if ext.enabled()]
    return True


def _inbound_extensions(
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


def _make_take_frame(fp: ModuleType) -> Any:
    """The fast path's first half, shared by ``received_frames`` and ``events``.

    Returns ``take_frame(decoder, gen, prepared)`` (``prepared`` from
    ``take_frame.prepare(decoder, gen)``, once per receive loop): when
    ``decoder`` is at a frame
    boundary with a complete, plainly valid frame buffered, it removes the
    frame from the buffer, leaves the decoder as wsproto's
    ``FrameDecoder.process_buffer`` would, runs the negotiated extensions and
    returns ``(opcode, payload, fin)``; otherwise it returns ``None`` and
    touches nothing, so that wsproto's own code takes over.  A ``ParseFailed``
    from the extensions closes ``gen`` (wsproto's generator ends on errors)
    and propagates.
    """
    opcodes = _opcode_table(fp)
    CONTROL = 8
    ParseFailed = fp.ParseFailed
    take = _take_frame
    RsvBits = fp.RsvBits
    CloseReason = fp.CloseReason
    legacy = _legacy_types()
    convert = _payload_converter(legacy)

    inflater_type = _WsprotoInflater
    hooks = _active_pmd_hooks

    def inline_pmd(decoder: Any, gen: Any, pmd: Any) -> Any:
        """The header hook of wsframe's PerMessageDeflate, inlined (see
        ``frame_inbound_header``); ``None`` leaves the frame to the generic
        path (RSV2/RSV3, or RSV1 where RFC 7692 §6.1 forbids it: errors)."""

        def check(h: Any) -> bool:
            op = h.opcode
            rsv1 = h.rsv1
            if h.rsv2 or h.rsv3 or (rsv1 and (op >= CONTROL or op == 0)):
                try:
                    decoder.extension_processing(
                        opcodes[op], RsvBits(rsv1, h.rsv2, h.rsv3), h.length
                    )
                except ParseFailed:
                    gen.close()
                    raise
                return True  # pragma: no cover - wsproto raised above
            pmd._inbound_is_compressible = op < CONTROL
            if pmd._inbound_compressed is None:
                pmd._inbound_compressed = rsv1
                if rsv1:
                    inflater_type.begin_message(pmd, decoder.client)
            return True

        return check

    def prepare(decoder: Any, gen: Any) -> tuple[Any, Any]:
        """The header check and the inlined PerMessageDeflate (or None) for
        this decoder: fixed for a connection, so computed once per loop."""
        exts = decoder.extensions
        check: Any = None  # no extension: no_rsv (wsproto: "Reserved bit set unexpectedly")
        pmd: Any = None
        if exts:
            if (
                len(exts) == 1
                and hooks[0] is not None
                and type(exts[0]).frame_inbound_header is hooks[0]
                and type(exts[0]).frame_inbound_payload_data is hooks[1]
                and type(exts[0]).frame_inbound_complete is hooks[2]
            ):
                pmd = exts[0]
                check = inline_pmd(decoder, gen, pmd)
            else:

                def check(h: Any) -> bool:
                    # RFC 7692 §6.1 checks (RSV1 on control or continuation
                    # frames) are wsproto's, run where wsproto runs them: on
                    # a complete frame, before unmasking.
                    try:
                        decoder.extension_processing(
                            opcodes[h.opcode], RsvBits(h.rsv1, h.rsv2, h.rsv3), h.length
                        )
                    except ParseFailed:
                        gen.close()
                        raise
                    return True

        return check, pmd

    def take_frame(
        decoder: Any, gen: Any, prepared: tuple[Any, Any]
    ) -> tuple[Any, Any, bool] | None:
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
        if pmd is not None:
            d = pmd._decompressor
            if (
                pmd._inbound_compressed
                and pmd._inbound_is_compressible
                and type(d) is inflater_type
            ):
                # frame_inbound_payload_data + frame_inbound_complete in one
                # call: the same output, the same CloseReason on failure.
                fin = h.fin
                out = _inflate(d, payload, fin, CloseReason)
                if isinstance(out, CloseReason):
                    gen.close()
                    raise ParseFailed("error in extension", out)
                if fin:
                    if decoder.client:
                        no_context_takeover = pmd.server_no_context_takeover
                    else:
                        no_context_takeover = pmd.client_no_context_takeover
                    if no_context_takeover:
                        pmd._decompressor = None
                    pmd._inbound_compressed = None
                return opcode, out, fin
        exts = decoder.extensions
        if exts:
            try:
                payload = _inbound_extensions(
                    decoder, exts, payload, h.fin, ParseFailed, CloseReason, legacy
                )
            except ParseFailed:
                gen.close()
                raise
        return opcode, payload, h.fin

    take_frame.prepare = prepare  # type: ignore[attr-defined]
    return take_frame


def _fast_path_closed(proto: Any, decoder: Any, pmd_type: Any, gen: Any) -> bool:
    """True when only wsproto's own generator may go on parsing.

    That is: a finished generator (after CLOSE or an error: nothing more is
    ever parsed), one suspended right after yielding CLOSE, or other
    extensions than permessage-deflate.
    """
    return (
        gen.gi_frame is None
        or not _extensions_supported(proto, decoder, pmd_type, gen)
        or (
            getgeneratorstate(gen) == GEN_SUSPENDED
            and bool(getgeneratorlocals(gen).get("closed"))
        )
    )


def _make_received_frames(original: Any, module: ModuleType) -> Any:
    _check_structure(module)
    Frame = module.Frame
    Opcode = module.Opcode
    TEXT, CLOSE = Opcode.TEXT, Opcode.CLOSE
    CONTROL = 8
    ParseFailed = module.ParseFailed
    decode_text = _make_decode_text(module)
    take_frame = _make_take_frame(module)
    pmd_type = _PmdType()

    def received_frames(self: Any) -> Any:
        """wsproto's ``FrameProtocol.received_frames`` with a batch fast path.

        Yields the same ``Frame`` objects in the same order, and raises the
        same ``ParseFailed``, as wsproto; the loop below only runs while every
        buffered frame is complete and plainly valid, and hands over to
        wsproto's generator (which continues from the same state) otherwise.
        """
        gen = self._parse_more
        decoder = self._frame_decoder
        messages = self._message_decoder
        if _fast_path_closed(self, decoder, pmd_type, gen):
            yield from original(self)
            return
        buffer = decoder.buffer
        buf = buffer.buffer
        prepared = take_frame.prepare(decoder, gen)
        while True:
            # Fast path: complete, plainly valid frames at a frame boundary.
            while (taken := take_frame(decoder, gen, prepared)) is not None:
                opcode, payload, fin = taken
                if opcode >= CONTROL:
                    frame = Frame(opcode, payload, True, True)
                    if opcode is CLOSE:
                        try:
                            frame = self._process_close(frame)
                        finally:
                            # wsproto's generator ends after CLOSE or an error.
                            gen.close()
                        yield frame
                        return
                    yield frame
                    continue
                if opcode is TEXT and fin and messages.opcode is None:
                    try:
                        text = decode_text(messages, payload)
                    except ParseFailed:
                        gen.close()
                        raise
                    yield Frame(TEXT, text, True, True)
                    continue
                try:
                    frame = messages.process_frame(Frame(opcode, payload, True, fin))
                except ParseFailed:
                    gen.close()
                    raise
                yield frame
            if decoder.header is None and not buffer.bytes_used and len(buf) < 2:
                return  # wsproto's generator would only find it needs more data
            # One step of wsproto's own generator (partial frames, anything
            # unusual, errors with wsproto's messages), then back to the fast
            # path once it is at a frame boundary again.
            frame = next(gen, None)
            if frame is None:
                return  # needs more data, or the generator has finished
            yield frame
            if frame.opcode is CLOSE:
                yield from original(self)  # lets wsproto's generator finish
                return

    received_frames.__wrapped__ = original  # type: ignore[attr-defined]
    return received_frames


def _make_events(original: Any, module: ModuleType) -> Any:
    """``Connection.events`` with the fast path inlined (one generator level).

    Per frame, wsproto runs three nested generators and builds a ``Frame``
    before the event; here a complete, plainly valid frame goes from the
    buffer to its event directly.  The dispatch, the state changes on CLOSE
    and the ``ParseFailed`` -> ``CloseConnection`` conversion are wsproto's
    (wsproto/connection.py, ``Connection.events``).
    """
    fp = sys.modules[_MODULE]
    _check_structure(fp)
    state = getattr(module, "ConnectionState", None)
    if state is None or not hasattr(module.Connection, "state") or not all(
        hasattr(state, name) for name in ("LOCAL_CLOSING", "REMOTE_CLOSING", "CLOSED")
    ):
        raise Unsupported("wsproto.connection differs from wsproto 1.3")
    ev = sys.modules["wsproto.events"]
    TextMessage, BytesMessage = ev.TextMessage, ev.BytesMessage
    Ping, Pong, CloseConnection = ev.Ping, ev.Pong, ev.CloseConnection
    ConnectionState = module.ConnectionState
    LOCAL_CLOSING = ConnectionState.LOCAL_CLOSING
    REMOTE_CLOSING = ConnectionState.REMOTE_CLOSING
    CLOSED = ConnectionState.CLOSED
    Frame = fp.Frame
    Opcode = fp.Opcode
    TEXT, BINARY, CLOSE, PING = Opcode.TEXT, Opcode.BINARY, Opcode.CLOSE, Opcode.PING
    CONTROL = 8
    ParseFailed = fp.ParseFailed
    decode_text = _make_decode_text(fp)
    take_frame = _make_take_frame(fp)
    pmd_type = _PmdType()

    def to_event(self: Any, frame: Any) -> Any:
        # wsproto's dispatch of one frame (its asserts are invariants).
        opcode = frame.opcode
        if opcode is PING:
            return Ping(payload=frame.payload)
        if opcode is Opcode.PONG:
            return Pong(payload=frame.payload)
        if opcode is CLOSE:
            code, reason = frame.payload
            if self.state is LOCAL_CLOSING:
                self._state = CLOSED
            else:
                self._state = REMOTE_CLOSING
            return CloseConnection(code=code, reason=reason)
        if opcode is TEXT:
            return TextMessage(frame.payload, frame.frame_finished, frame.message_finished)
        if opcode is BINARY:
            return BytesMessage(frame.payload, frame.frame_finished, frame.message_finished)
        return None  # pragma: no cover - wsproto yields nothing here either

    def events(self: Any) -> Any:
        """wsproto's ``Connection.events`` with a fast path for complete frames."""
        while self._events:
            yield self._events.popleft()
        proto = self._proto
        gen = proto._parse_more
        decoder = proto._frame_decoder
        if _fast_path_closed(proto, decoder, pmd_type, gen):
            yield from original(self)
            return
        messages = proto._message_decoder
        buffer = decoder.buffer
        buf = buffer.buffer
        prepared = take_frame.prepare(decoder, gen)
        try:
            while True:
                while (taken := take_frame(decoder, gen, prepared)) is not None:
                    opcode, payload, fin = taken
                    if opcode >= CONTROL:
                        if opcode is CLOSE:
                            try:
                                frame = proto._process_close(Frame(opcode, payload, True, True))
                            finally:
                                gen.close()  # wsproto's generator ends after CLOSE
                            yield to_event(self, frame)
                            return
                        yield Ping(payload=payload) if opcode is PING else Pong(payload=payload)
                        continue
                    if fin and messages.opcode is None:
                        if opcode is TEXT:
                            try:
                                text = decode_text(messages, payload)
                            except ParseFailed:
                                gen.close()
                                raise
                            yield TextMessage(text, True, True)
                            continue
                        if opcode is BINARY:
                            yield BytesMessage(payload, True, True)
                            continue
                    try:
                        frame = messages.process_frame(Frame(opcode, payload, True, fin))
                    except ParseFailed:
                        gen.close()
                        raise
                    yield to_event(self, frame)
                if decoder.header is None and not buffer.bytes_used and len(buf) < 2:
                    return  # wsproto's generator would only find it needs more data
                # One step of wsproto's own generator, then the fast path again.
                frame = next(gen, None)
                if frame is None:
                    return
                yield to_event(self, frame)
                if frame.opcode is CLOSE:
                    next(gen, None)  # wsproto's generator finishes after CLOSE
                    return
        except ParseFailed as exc:
            yield CloseConnection(code=exc.code, reason=str(exc))

    events.__wrapped__ = original  # type: ignore[attr-defined]
    return events



# ---------------------------------------------------------------------------
# permessage-deflate (RFC 7692): wsproto's PerMessageDeflate inflates with
# wsframe.deflate.Inflater
# ---------------------------------------------------------------------------

#: The opt-in bound on a compressed message's inflated size (None: wsproto's
#: behaviour, no bound).  See :func:`set_max_inflated_size`.
_inflate_limit: list[int | None] = [None]


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
    _inflate_limit[0] = limit


class _WsprotoInflater(Inflater):
    """A :class:`~wsframe.deflate.Inflater` in the place of wsproto's decompressor.

    wsproto keeps its decompressor in ``PerMessageDeflate._decompressor``;
    this one also answers zlib's ``decompress()`` / ``flush()``, so that
    wsproto's own hooks still work with it after :func:`uninstall`.
    ``inflated`` counts the current message's output (for the opt-in bound).
    """

    __slots__ = ("inflated",)

    def __init__(self, bits: int, client: bool) -> None:
        # Context takeover is wsproto's to manage: it drops the decompressor
        # after each message when the peer may not take over context.
        super().__init__(
            DeflateParams(server_max_window_bits=bits, client_max_window_bits=bits),
            client=client,
        )
        self.inflated = 0

    @classmethod
    def begin_message(cls, pmd: Any, client: Any) -> None:
        """A compressed message starts on wsproto's ``PerMessageDeflate`` ``pmd``:
        make its decompressor (the peer's window, RFC 7692 §7.1.2) if it has none,
        and restart the inflated-size count of ours."""
        d = pmd._decompressor
        if d is None:
            bits = pmd.server_max_window_bits if client else pmd.client_max_window_bits
            d = pmd._decompressor = cls(int(bits), bool(client))
        if type(d) is cls:
            d.inflated = 0

    def decompress(self, data: Any) -> bytes:
        """zlib's ``decompress(data)`` (no bound)."""
        return self.feed(data, fin=False, max_size=None)

    def flush(self) -> bytes:
        """zlib's ``flush()``: nothing is ever held back here."""
        return b""


def _inflate(d: _WsprotoInflater, data: Any, fin: bool, close_reason: Any) -> Any:
    """Inflate one frame's payload; wsproto's ``CloseReason`` on failure."""
    limit = _inflate_limit[0]
    try:
        if limit is None:
            return d.feed(data, fin=fin, max_size=None)
        out = d.feed(data, fin=fin, max_size=limit - d.inflated)
    except PayloadTooBig:
        return close_reason.MESSAGE_TOO_BIG
    except ProtocolError:
        # wsproto answers corrupt compressed data with 1007.
        return close_reason.INVALID_FRAME_PAYLOAD_DATA
    d.inflated += len(out)
    return out


def _pmd_hook(ext_module: ModuleType, index: int, original: Any) -> Any:
    """One of wsproto's three inbound hooks of ``PerMessageDeflate`` (``index`` 0:
    ``frame_inbound_header``, 1: ``frame_inbound_payload_data``, 2:
    ``frame_inbound_complete``), on wsframe's Inflater; ``original`` is
    wsproto's own.

    Same state changes (``_inbound_is_compressible``, ``_inbound_compressed``,
    ``_decompressor`` created when missing and dropped after a message when
    the peer may not take over context), same results and ``CloseReason``
    values as wsproto's (wsproto/extensions.py); only the decompressor is
    wsframe's.  A decompressor that wsproto created before :func:`install`
    keeps being used by wsproto's own code.
    """
    fp = sys.modules[_MODULE]
    CloseReason = fp.CloseReason
    Opcode = fp.Opcode
    CONTINUATION = Opcode.CONTINUATION
    RsvBits = fp.RsvBits
    inflater_type = _WsprotoInflater

    def frame_inbound_header(
        self: Any, proto: Any, opcode: Any, rsv: Any, payload_length: int
    ) -> Any:
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
                inflater_type.begin_message(self, proto.client)
        return RsvBits(True, False, False)

    def frame_inbound_payload_data(self: Any, proto: Any, data: Any) -> Any:
        if not self._inbound_compressed or not self._inbound_is_compressible:
            return data
        d = self._decompressor
        if type(d) is not inflater_type:
            return original(self, proto, data)
        return _inflate(d, data, False, CloseReason)

    def frame_inbound_complete(self: Any, proto: Any, fin: bool) -> Any:
        if not fin:
            return None
        if not self._inbound_is_compressible or not self._inbound_compressed:
            self._inbound_compressed = None
            return None
        d = self._decompressor
        if type(d) is not inflater_type:
            return original(self, proto, fin)
        data = _inflate(d, b"", True, CloseReason)
        if isinstance(data, CloseReason):
            return data
        if proto.client:
            no_context_takeover = self.server_no_context_takeover
        else:
            no_context_takeover = self.client_no_context_takeover
        if no_context_takeover:
            self._decompressor = None
        self._inbound_compressed = None
        return data

    hook: Any = (frame_inbound_header, frame_inbound_payload_data, frame_inbound_complete)[index]
    hook.__wrapped__ = original
    hook.__qualname__ = f"PerMessageDeflate.{hook.__name__}"
    return hook


def _check_pmd(module: ModuleType) -> None:
    pmd = getattr(module, "PerMessageDeflate", None)
    needed = ("frame_inbound_header", "frame_inbound_payload_data", "frame_inbound_complete",
              "_compressible_opcode")
    if pmd is None or not all(name in pmd.__dict__ for name in needed):
        raise Unsupported("wsproto.extensions.PerMessageDeflate differs from wsproto 1.2/1.3")


#: The hooks currently installed on PerMessageDeflate (the receive loops
#: inline them when they are in place).
_active_pmd_hooks: list[Any] = [None, None, None]


def _make_pmd_hook(index: int) -> Any:
    def factory(original: Any, module: ModuleType) -> Any:
        _check_pmd(module)
        hook = _pmd_hook(module, index, original)
        _active_pmd_hooks[index] = hook
        return hook

    return factory


_patches = PatchSet(
    [
        Patch(_MODULE, "XorMaskerSimple", _make_xor_masker_simple),
        Patch(_MODULE, "FrameDecoder.process_buffer", _make_process_buffer),
        Patch(_MODULE, "MessageDecoder.process_frame", _make_process_frame),
        Patch(_MODULE, "FrameProtocol.received_frames", _make_received_frames),
        Patch("wsproto.connection", "Connection.events", _make_events),
        Patch(
            "wsproto.extensions",
            "PerMessageDeflate.frame_inbound_header",
            _make_pmd_hook(0),
        ),
        Patch(
            "wsproto.extensions",
            "PerMessageDeflate.frame_inbound_payload_data",
            _make_pmd_hook(1),
        ),
        Patch(
            "wsproto.extensions",
            "PerMessageDeflate.frame_inbound_complete",
            _make_pmd_hook(2),
        ),
    ],
    distribution="wsproto",
    supported=SUPPORTED_VERSIONS,
)


install, uninstall, is_installed, active = entry_points(_patches, __name__, "wsproto")
