"""Drop-in acceleration of websockets' framing and receive loop.

Usage::

    import wsframe.integrations.websockets as wsframe_websockets
    wsframe_websockets.install()     # before or after ``import websockets``

What is replaced (websockets ``>=16.1,<18``, see ``SUPPORTED_SERIES``; with
another version, or internals that fail a feature probe, ``install()`` warns
and leaves websockets untouched):

* ``websockets.frames.apply_mask`` and ``websockets.legacy.framing.apply_mask``
  (RFC 6455 §5.3): wsframe's SIMD masking.  Same signature, same result,
  same ``ValueError("mask must contain 4 bytes")``.
* ``websockets.frames.Frame.parse``: when the Sans-I/O reader
  (``websockets.streams.StreamReader``) already holds a whole frame, the
  header is parsed by :func:`wsframe.frames.parse_header` and the payload
  unmasked straight from the reader's buffer, instead of four
  ``read_exact`` generator round trips.  The frame is then built, passed
  through the extensions and checked by websockets' own code.
* ``websockets.frames.Frame.serialize``: encoded by
  :func:`wsframe.frames.encode_frame` after websockets' own checks.
* ``PerMessageDeflate.__init__`` / ``decode``: inflating with
  :class:`wsframe.deflate.Inflater` (through the zlib-compatible adapter).
* ``websockets.protocol.Protocol.parse``, the receive loop: every complete
  frame already buffered is taken in one pass, one iteration of websockets'
  loop per frame without its generator round trips (see
  :func:`_make_protocol_parse`).

Exactness rule: the fast path only takes frames websockets would read the
same way — a complete frame with the expected masking, a length within
``max_size``, and a header that wsframe finds well-formed.  Anything else
(incomplete frames, reserved opcodes, non-minimal lengths that websockets
tolerates, oversized or badly masked frames) goes through websockets' own
``Frame.parse``, so events, errors, close codes and outgoing bytes are
websockets'.  ``tests/integrations/test_integrations_websockets.py`` proves it
differentially with hypothesis on ``ServerProtocol``.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

from .. import mask as _mask
from ..errors import PayloadTooBig as _PayloadTooBig
from ..errors import ProtocolError as _ProtocolError
from ..frames import FrameDecoder as _FrameDecoder
from ..frames import encode_frame as _encode_frame
from ..frames import new_mask as _new_mask
from ..frames import parse_header as _parse_header
from ._frames import VIEW_THRESHOLD as _VIEW_THRESHOLD
from ._frames import take_frame as _take_frame
from ._inflater import ZlibCompatibleInflater
from ._patching import (
    Patch,
    PatchSet,
    constant,
    entry_points,
)
from ._websockets_probes import EXCEPTIONS as _EXCEPTIONS
from ._websockets_probes import FRAMES as _FRAMES
from ._websockets_probes import LEGACY as _LEGACY
from ._websockets_probes import PMD as _PMD
from ._websockets_probes import PROBES
from ._websockets_probes import PROTOCOL as _PROTOCOL

__all__ = ["SUPPORTED_SERIES", "apply_mask", "install", "uninstall", "is_installed", "active"]

#: The websockets releases this integration is written for: inside this
#: series, a release whose internals pass the feature probes (``_PROBES``) is
#: accelerated; anything else is left untouched with a warning naming the
#: series or the failed probe.  tools/integration_matrix.sh runs
#: tests/integrations/test_integrations_websockets.py on the oldest and newest release of
#: the series, and the refusal on one release outside it.
SUPPORTED_SERIES = ">=16.1,<18"


class _State:
    """What the patches share: the installed ``PerMessageDeflate.decode`` and
    its frame-level core (``Frame.parse``'s fast path calls the latter
    directly when the extension's class carries the former), and the
    installed ``Frame.parse`` with its fast path."""

    __slots__ = ("pmd_decode", "pmd_inflate", "parse", "take_parsed")

    def __init__(self) -> None:
        self.pmd_decode: Any = None
        self.pmd_inflate: Any = None
        # The installed Frame.parse (a classmethod) and its fast path, which
        # Protocol.receive_data's batch loop calls while Frame.parse is ours.
        self.parse: Any = None
        self.take_parsed: Any = None


_STATE = _State()


def apply_mask(data: Any, mask: Any) -> bytes:
    """websockets' ``apply_mask(data, mask) -> bytes`` on wsframe (RFC 6455 §5.3).

    Args:
        data: the payload, any bytes-like object.
        mask: the 4-byte masking key.

    Raises:
        ValueError: ``mask`` is not 4 bytes long (websockets' message).
        TypeError: ``data`` or ``mask`` is not a bytes-like object.
    """
    if len(mask) != 4:
        raise ValueError("mask must contain 4 bytes")
    return _mask.apply_mask(data, mask)


def _make_take_parsed(module: ModuleType) -> Any:
    """``take_parsed(cls, buffer, mask, max_size, extensions)``: the ``Frame``
    websockets' ``Frame.parse`` would return for the complete frame at the
    start of ``buffer`` (consumed), or ``None`` with ``buffer`` untouched when
    websockets' own parser must decide (see the module docstring)."""
    opcodes = {int(op): op for op in module.Opcode}
    take_frame = _take_frame
    state = _STATE

    def take_parsed(cls: Any, buffer: bytearray, mask: bool, max_size: int | None, extensions: Any) -> Any:
        # A header wsframe rejects goes to websockets (it may accept it, or
        # word the error differently).
        taken = take_frame(buffer, masked=mask, max_size=max_size)
        if taken is None:
            return None
        h, data = taken  # unmasked: a bytearray, as websockets returns it
        opcode = opcodes[h.opcode]
        if extensions and len(extensions) == 1:
            ext = extensions[0]
            decode, inflate = state.pmd_decode, state.pmd_inflate
            if decode is not None and type(ext).decode is decode:
                # The one Frame websockets' decode would return.
                result = inflate(ext, opcode, data, h.fin, h.rsv1, max_size)
                if result is not None:
                    data, rsv1 = result
                    frame = cls(opcode, data, h.fin, rsv1, h.rsv2, h.rsv3)
                    frame.check()
                    return frame
        frame = cls(opcode, data, h.fin, h.rsv1, h.rsv2, h.rsv3)
        if extensions is None:
            extensions = []
        for extension in reversed(extensions):
            frame = extension.decode(frame, max_size=max_size)
        frame.check()
        return frame

    return take_parsed


def _make_parse(original: Any, module: ModuleType) -> Any:
    from websockets.streams import StreamReader

    parse_original = original.__func__
    take_parsed = _make_take_parsed(module)

    def parse(
        cls: Any,
        read_exact: Any,
        *,
        mask: bool,
        max_size: int | None = None,
        extensions: Any = None,
    ) -> Any:
        """websockets' ``Frame.parse`` with a fast path for buffered frames."""
        reader = getattr(read_exact, "__self__", None)
        if type(reader) is StreamReader and read_exact.__func__ is StreamReader.read_exact:
            frame = take_parsed(cls, reader.buffer, mask, max_size, extensions)
            if frame is not None:
                return frame
        return (yield from parse_original(cls, read_exact, mask=mask, max_size=max_size, extensions=extensions))

    parse.__wrapped__ = parse_original  # type: ignore[attr-defined]
    method = classmethod(parse)
    _STATE.parse, _STATE.take_parsed = method, take_parsed
    return method


def _fields_set_directly(frame_cls: Any, opcode: Any) -> bool:
    """Whether ``frame_cls(opcode, data, fin, rsv1, rsv2, rsv3)`` amounts to
    setting those six attributes on a bare instance (websockets' dataclass
    ``__init__``, no ``__post_init__``, no slots), which is cheaper than the
    class call."""
    if "__post_init__" in dir(frame_cls) or hasattr(frame_cls, "__slots__"):
        return False
    built = frame_cls(opcode, b"x", True, False, False, False)
    bare = object.__new__(frame_cls)
    for name, value in zip(
        ("opcode", "data", "fin", "rsv1", "rsv2", "rsv3"), (opcode, b"x", True, False, False, False)
    ):
        setattr(bare, name, value)
    return list(vars(built).items()) == list(vars(bare).items())


def _make_batch(module: ModuleType) -> Any:
    """``batch(protocol, buffer) -> bool``: the one-pass step of the patched
    ``Protocol.parse`` (see :func:`_make_protocol_parse`); True if it took a frame.

    The first header is parsed (:func:`wsframe.frames.parse_header`): a
    header wsframe rejects, a frame masked the wrong way or incomplete is left
    to websockets' ``Frame.parse``; a frame that fills the buffer is unmasked
    directly.  Otherwise every complete frame in ``buffer`` is parsed and
    unmasked by one :class:`wsframe.frames.FrameDecoder` pass (compiled: one
    call for the whole read instead of a header parse and an unmasking per
    frame).  The
    decoder is told to check only what websockets' ``Frame.parse`` checks
    or stricter (any RSV bit and any length are let through; text is not
    validated): a frame it objects to, and everything after it, is left to
    websockets' own ``Frame.parse``, which raises websockets' error.

    Then per frame, in websockets' order: its bytes are removed from the
    reader's buffer (so that the buffer is always what websockets' loop
    would leave); ``max_size`` from the protocol's limits and
    ``current_size`` (a frame longer than that is left to websockets, which
    raises ``PayloadTooBig``); websockets' ``Frame``; the extensions'
    ``decode`` (websockets' ``PerMessageDeflate`` through the wsframe
    Inflater: a single-frame compressed message with the context kept is
    inflated inline); ``Frame.check()`` (which can only object to RSV bits
    here: the decoder already holds the other rules); ``recv_frame()``.  A
    data frame is handed to ``recv_frame``'s own data-frame steps inline
    when ``recv_frame`` is websockets' (its ``current_size`` rule, then the
    event); any other frame goes to ``recv_frame`` and ends the pass (a
    Close replaces the parser and empties the buffer).  In the middle of a
    fragmented message the pass is not taken: websockets' loop reads it.
    """
    protocol_cls = module.Protocol
    frames_mod = sys.modules[_FRAMES]
    exceptions = sys.modules[_EXCEPTIONS]
    Frame = frames_mod.Frame
    opcodes = {int(op): op for op in frames_mod.Opcode}
    TEXT, BINARY = frames_mod.Opcode.TEXT, frames_mod.Opcode.BINARY
    ProtocolError = exceptions.ProtocolError
    WsPayloadTooBig = exceptions.PayloadTooBig
    SERVER = module.SERVER
    own_recv_frame = protocol_cls.recv_frame
    frame_decoder = _FrameDecoder
    parse_header = _parse_header
    apply_mask = _mask.apply_mask
    view_threshold = _VIEW_THRESHOLD
    wsframe_error = _ProtocolError
    too_big = _PayloadTooBig
    inflater_type = ZlibCompatibleInflater
    state = _STATE
    new = object.__new__
    frame_init = Frame.__init__
    plain_frames = _fields_set_directly(Frame, TEXT)

    def batch(self: Any, buffer: bytearray) -> bool:
        if self.current_size is not None:
            return False
        mask = self.side is SERVER
        # The header's size past the 2-byte minimum: the mask key, and the
        # extended length (always minimal here: the decoder refuses others).
        key_size = 6 if mask else 2
        # The first frame's header: websockets' parser reads a header wsframe
        # rejects, a frame masked the wrong way, and an incomplete frame.
        try:
            h = parse_header(buffer)
        except wsframe_error:
            return False
        if h is None or h.masked is not mask:
            return False
        start = h.header_size
        end = start + h.length
        if end > len(buffer):
            return False
        frames: list[Any]
        single: Any = None  # the payload of a lone frame (frames holds its header)
        if end == len(buffer):
            # One frame (a read per message): no decoder to create.
            key = h.mask
            if key is None:
                single = bytes(buffer[start:end])
            elif end - start < view_threshold:
                single = apply_mask(buffer[start:end], key)
            else:
                with memoryview(buffer) as view:
                    single = apply_mask(view[start:end], key)
            frames = [h]
        else:
            frames = []
            try:
                # Complete frames up to the first one the decoder objects to.
                frames.extend(
                    frame_decoder(client=not mask, max_frame_size=None, rsv_allowed=7, validate_utf8=False).feed(buffer)
                )
            except wsframe_error:
                pass  # websockets' parser reads that frame
        extensions = self.extensions
        pmd: Any = None
        inflate: Any = None
        d: Any = None  # the context-keeping Inflater of the inline inflate
        if extensions:
            ext = extensions[0]
            if len(extensions) == 1 and state.pmd_decode is not None and (type(ext).decode is state.pmd_decode):
                pmd, inflate = ext, state.pmd_inflate
                d = ext.__dict__.get("decoder")
                if type(d) is not inflater_type or ext.remote_no_context_takeover:
                    d = None
        inline_recv = type(self).recv_frame is own_recv_frame
        debug = self.debug
        events = self.events
        # recv_frame() changes current_size, never the limits.
        max_message_size = self.max_message_size
        max_fragment_size = self.max_fragment_size
        base_max = max_message_size
        if max_fragment_size is not None:
            base_max = max_fragment_size if base_max is None else min(base_max, max_fragment_size)
        plain = Frame.__init__ is frame_init and plain_frames  # websockets' Frame.__init__ in effect
        taken = False
        # Bytes of the frames taken and not yet removed from the reader's
        # buffer: removed before recv_frame() runs and when the pass ends,
        # errors included, so websockets always finds its buffer as its own
        # loop would have left it.
        consumed = 0
        try:
            for f in frames:
                data: Any = f.payload if single is None else single
                length = len(data)
                current_size: int | None = self.current_size
                if current_size is None:
                    max_size = base_max
                else:
                    max_size = None
                    if max_message_size is not None:
                        max_size = max_message_size - current_size
                    if max_fragment_size is not None:
                        max_size = max_fragment_size if max_size is None else min(max_size, max_fragment_size)
                if max_size is not None and length > max_size:
                    break  # websockets raises PayloadTooBig with its wording
                consumed += length + key_size + (0 if length < 126 else 2 if length < 65536 else 8)
                taken = True
                if not mask:
                    data = bytearray(data)  # websockets' type for an unmasked payload
                opcode = opcodes[f.opcode]
                fin = f.fin
                rsv1, rsv2, rsv3 = f.rsv1, f.rsv2, f.rsv3
                frame: Any = None
                if pmd is not None:
                    if (
                        d is not None
                        and rsv1
                        and fin
                        and (opcode is TEXT or opcode is BINARY)
                        and not pmd.decode_cont_data
                    ):
                        # The common compressed message, one frame, the context
                        # kept: PerMessageDeflate.decode's steps reduce to this
                        # (see the inflate core in _make_pmd_decode).
                        try:
                            # websockets: max_size None (or 0) means no bound.
                            data = d.feed(data, fin=True, max_size=max_size or None)
                        except too_big:
                            raise WsPayloadTooBig(None, max_size) from None
                        except wsframe_error as exc:
                            raise ProtocolError("decompression failed") from exc
                        rsv1 = False
                    else:
                        result = inflate(pmd, opcode, data, fin, rsv1, max_size)
                        if result is None:
                            frame = pmd.decode(Frame(opcode, data, fin, rsv1, rsv2, rsv3), max_size=max_size)
                        else:
                            data, rsv1 = result
                if frame is None:
                    if plain:
                        # What Frame(opcode, data, fin, rsv1, rsv2, rsv3) does,
                        # without the class call (see _fields_set_directly).
                        frame = new(Frame)
                        frame.opcode = opcode
                        frame.data = data
                        frame.fin = fin
                        frame.rsv1 = rsv1
                        frame.rsv2 = rsv2
                        frame.rsv3 = rsv3
                    else:
                        frame = Frame(opcode, data, fin, rsv1, rsv2, rsv3)
                    if pmd is None and extensions:
                        for extension in reversed(extensions):
                            frame = extension.decode(frame, max_size=max_size)
                if type(frame) is not Frame or frame.rsv1 or frame.rsv2 or frame.rsv3:
                    frame.check()
                if debug:
                    self.logger.debug("< %s", frame)
                op = frame.opcode
                if inline_recv and (op is TEXT or op is BINARY):
                    # websockets' recv_frame for a data frame.
                    if self.current_size is not None:
                        raise ProtocolError("expected a continuation frame")
                    if not frame.fin:
                        self.current_size = len(frame.data)
                    events.append(frame)
                else:
                    del buffer[:consumed]
                    consumed = 0
                    self.recv_frame(frame)
                    return True
        finally:
            if consumed:
                del buffer[:consumed]
        return taken

    return batch


def _make_protocol_parse(original: Any, module: ModuleType) -> Any:
    """``Protocol.parse`` (websockets' receive loop) taking buffered frames in one pass.

    websockets' parser generator runs, per frame, ``reader.at_eof()`` and
    ``Frame.parse`` as sub-generators.  This is the same generator with one
    step added after ``at_eof()``: while the reader holds a complete frame
    that ``Frame.parse``'s fast path takes, it does for each frame exactly
    what one iteration of websockets' loop does (the same ``max_size``, the
    same ``Frame``, the same debug log, ``self.recv_frame(frame)`` with its
    state changes, events and outgoing bytes) without a generator round
    trip, then goes back to ``at_eof()`` as websockets' loop does after every
    frame.  Anything else (a partial frame, a header only websockets may
    judge) goes through websockets' own ``Frame.parse`` as before; errors go
    to the same ``except`` clauses, with websockets' close codes.
    """
    from websockets.streams import StreamReader

    exceptions = sys.modules[_EXCEPTIONS]
    frames_mod = sys.modules[_FRAMES]
    SERVER = module.SERVER
    ProtocolError = exceptions.ProtocolError
    PayloadTooBig = exceptions.PayloadTooBig
    CloseCode = frames_mod.CloseCode
    Frame = frames_mod.Frame
    state = _STATE
    batch = _make_batch(module)

    def parse(self: Any) -> Any:
        """websockets' ``Protocol.parse``, buffered frames taken in one pass."""
        try:
            while True:
                if (yield from self.reader.at_eof()):
                    if self.debug:
                        self.logger.debug("< EOF")
                    raise EOFError("unexpected end of stream")

                reader = self.reader
                if (
                    type(reader) is StreamReader
                    and len(reader.buffer) >= 2
                    and Frame.__dict__.get("parse") is state.parse
                    and batch(self, reader.buffer)
                ):
                    continue  # back to at_eof(), as after every frame

                max_size = None

                if self.max_message_size is not None:
                    if self.current_size is None:
                        max_size = self.max_message_size
                    else:
                        max_size = self.max_message_size - self.current_size

                if self.max_fragment_size is not None:
                    if max_size is None:
                        max_size = self.max_fragment_size
                    else:
                        max_size = min(max_size, self.max_fragment_size)

                frame = yield from Frame.parse(
                    self.reader.read_exact,
                    mask=self.side is SERVER,
                    max_size=max_size,
                    extensions=self.extensions,
                )

                if self.debug:
                    self.logger.debug("< %s", frame)

                self.recv_frame(frame)

        except ProtocolError as exc:
            self.fail(CloseCode.PROTOCOL_ERROR, str(exc))
            self.parser_exc = exc

        except EOFError as exc:
            self.fail(CloseCode.ABNORMAL_CLOSURE, str(exc))
            self.parser_exc = exc

        except UnicodeDecodeError as exc:
            self.fail(CloseCode.INVALID_DATA, f"{exc.reason} at position {exc.start}")
            self.parser_exc = exc

        except PayloadTooBig as exc:
            exc.set_current_size(self.current_size)
            self.fail(CloseCode.MESSAGE_TOO_BIG, str(exc))
            self.parser_exc = exc

        except Exception as exc:
            self.logger.error("parser failed", exc_info=True)
            # Don't include exception details, which may be security-sensitive.
            self.fail(CloseCode.INTERNAL_ERROR)
            self.parser_exc = exc

        # As in websockets: after an error, fail() has replaced this parser.
        yield
        raise AssertionError("parse() shouldn't step after error")

    parse.__wrapped__ = original  # type: ignore[attr-defined]
    return parse


def _is_stdlib_token_bytes(function: Any) -> bool:
    """Is ``function`` the standard library's ``secrets.token_bytes`` (not a
    test's replacement, which may have been in place since before install)?"""
    import secrets

    code = getattr(function, "__code__", None)
    return (
        getattr(function, "__module__", None) == "secrets"
        and getattr(function, "__qualname__", None) == "token_bytes"
        and getattr(code, "co_filename", None) == secrets.__file__
    )


def _make_serialize(original: Any, module: ModuleType) -> Any:
    """``Frame.serialize`` on :func:`wsframe.frames.encode_frame`.

    websockets' own steps stay: ``self.check()`` (its ProtocolError for a bad
    frame), then its extensions' ``encode``.  The frame is then encoded by
    wsframe in one call (header, mask key, masked payload) instead of a
    ``BytesIO`` with three writes.  The mask key of a client frame comes from
    :func:`wsframe.frames.new_mask` (the OS CSPRNG, as websockets'
    ``secrets.token_bytes(4)``); when ``websockets.frames.secrets`` or
    ``secrets.token_bytes`` has been replaced (a test that wants known keys),
    before ``install()`` or after, the replacement is called, as websockets
    would.
    """
    encode_frame = _encode_frame
    new_mask = _new_mask
    token_bytes: Any = None  # the stdlib's, once seen
    frames_module = module

    def serialize(self: Any, *, mask: bool, extensions: Any = None) -> bytes:
        """websockets' ``Frame.serialize``, encoded by wsframe (RFC 6455 §5.2)."""
        nonlocal token_bytes
        self.check()
        if extensions:
            for extension in extensions:
                self = extension.encode(self)
        key = None
        if mask:
            # websockets' own source of keys, looked up as websockets does it.
            source = frames_module.secrets.token_bytes
            if source is not token_bytes and _is_stdlib_token_bytes(source):
                token_bytes = source
            key = new_mask() if source is token_bytes else source(4)
        return encode_frame(
            self.opcode,
            self.data,
            fin=self.fin,
            rsv1=self.rsv1,
            rsv2=self.rsv2,
            rsv3=self.rsv3,
            mask=key,
        )

    serialize.__wrapped__ = original  # type: ignore[attr-defined]
    return serialize


def _make_pmd_init(original: Any, module: ModuleType) -> Any:
    """``PerMessageDeflate.__init__``: a context-keeping decoder is wsframe's."""

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        bits = self.remote_max_window_bits
        if not self.remote_no_context_takeover and bits >= 9:
            self.decoder = ZlibCompatibleInflater(bits)

    __init__.__wrapped__ = original  # type: ignore[attr-defined]
    return __init__


def _inflate(d: ZlibCompatibleInflater, payload: Any, fin: bool, max_size: int | None, ws_errors: Any) -> bytes:
    """One frame's payload through the Inflater ``d``, with websockets' errors
    (``ws_errors`` is its exceptions module): ``PayloadTooBig(None, max_size)``
    past ``max_size``, ``ProtocolError("decompression failed")`` on corrupt data."""
    try:
        # websockets: max_size None (or 0) means no bound.
        return d.feed(payload, fin=fin, max_size=max_size or None)
    except _PayloadTooBig:
        raise ws_errors.PayloadTooBig(None, max_size) from None
    except _ProtocolError as exc:
        raise ws_errors.ProtocolError("decompression failed") from exc


def _make_pmd_decode(original: Any, module: ModuleType) -> Any:
    """``PerMessageDeflate.decode`` inflating with :class:`wsframe.deflate.Inflater`.

    websockets' steps (RFC 7692 §6.1 checks, continuation tracking, a new
    decoder per message under ``remote_no_context_takeover``) are kept; the
    frame's payload and the trailer ``00 00 ff ff`` go to the Inflater in one
    call, bounded by ``max_size`` (websockets' ``PayloadTooBig(None,
    max_size)`` when it would be passed; ``ProtocolError("decompression
    failed")`` on corrupt data).  A decoder websockets created before
    :func:`install` stays websockets', as does an 8-bit remote window.
    """

    frames_mod = sys.modules[_FRAMES]
    exceptions = sys.modules[_EXCEPTIONS]
    Frame = frames_mod.Frame
    CTRL_OPCODES = frames_mod.CTRL_OPCODES
    CONT = frames_mod.Opcode.CONT
    WsProtocolError = exceptions.ProtocolError
    inflater_type = ZlibCompatibleInflater

    def inflate(
        self: Any, opcode: Any, payload: Any, fin: bool, rsv1: bool, max_size: int | None
    ) -> tuple[Any, bool] | None:
        """websockets' decode steps on a frame's fields: ``(data, rsv1)``, or
        ``None`` when websockets' own ``decode`` must run (see above)."""
        bits = self.remote_max_window_bits
        d = getattr(self, "decoder", None)
        if bits < 9 or (d is not None and type(d) is not inflater_type):
            return None
        if opcode in CTRL_OPCODES:
            return payload, rsv1
        if opcode is CONT:
            if not self.decode_cont_data:
                return payload, rsv1
            if rsv1:
                raise WsProtocolError("RSV1 bit set in continuation frame")
            if fin:
                self.decode_cont_data = False
        else:
            if not rsv1:
                return payload, rsv1
            if not fin:
                self.decode_cont_data = True
            if self.remote_no_context_takeover:
                d = self.decoder = inflater_type(bits)
        if d is None:  # pragma: no cover - websockets would fail the same way
            return None
        data = _inflate(d, payload, fin, max_size, exceptions)
        if fin and self.remote_no_context_takeover:
            del self.decoder
        return data, False

    def decode(self: Any, frame: Any, *, max_size: int | None = None) -> Any:
        """websockets' ``PerMessageDeflate.decode`` on wsframe's Inflater."""
        opcode = frame.opcode
        result = inflate(self, opcode, frame.data, frame.fin, frame.rsv1, max_size)
        if result is None:
            return original(self, frame, max_size=max_size)
        data, rsv1 = result
        if data is frame.data and rsv1 == frame.rsv1:
            return frame  # websockets returns the frame itself when it skips it
        return Frame(opcode, data, frame.fin, rsv1, frame.rsv2, frame.rsv3)

    _STATE.pmd_decode, _STATE.pmd_inflate = decode, inflate
    decode.__wrapped__ = original  # type: ignore[attr-defined]
    return decode


_patches = PatchSet(
    [
        Patch(_FRAMES, "apply_mask", constant(apply_mask)),
        Patch(_FRAMES, "Frame.parse", _make_parse),
        Patch(_FRAMES, "Frame.serialize", _make_serialize),
        Patch(_PMD, "PerMessageDeflate.__init__", _make_pmd_init),
        Patch(_PMD, "PerMessageDeflate.decode", _make_pmd_decode),
        Patch(_LEGACY, "apply_mask", constant(apply_mask)),
        Patch(_PROTOCOL, "Protocol.parse", _make_protocol_parse),
    ],
    distribution="websockets",
    series=SUPPORTED_SERIES,
    probes=PROBES,
)


install, uninstall, is_installed, active = entry_points(_patches, __name__, "websockets")
