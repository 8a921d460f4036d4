"""wsproto's ``Connection.events`` (``wsproto.connection``) with the receive
loop's fast path inlined: a complete, plainly valid frame goes from the buffer
to its event in one step."""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any

from ...errors import ProtocolError as WsframeError
from .._inflater import ZlibCompatibleInflater
from ._batch import Batch
from ._deflate import inflate_error
from ._fast_path import make_decode_text, make_take_frame, wsproto_step
from ._state import FRAME_PROTOCOL, STATE, legacy_types

#: The batch step (``_batch``) runs on buffers holding at least this many
#: bytes (a header's first two): it costs less than the per-frame steps from
#: a single small message on (timed: one 20-300 B message a read, ~20%
#: less), so only an empty or one-byte buffer is not worth a decoder.
BATCH_MIN = 2

#: The bytes of the buffer the first batch step of an ``events()`` call
#: copies; each later one copies up to twice what the previous one consumed
#: (at least this many).  A step that stops early (a control frame, a
#: fragment) then costs a bounded copy, and a consumer that takes one event
#: per ``events()`` call never has the whole buffer copied for it: the copies
#: stay linear in the bytes consumed.
BATCH_WINDOW = 8192

__all__ = ["make_events"]


def bytes_message_is_bytearray(events: Any, module: ModuleType) -> bool:
    """True if wsproto's own ``Connection.events`` (``events``) turns every
    binary payload into a ``bytearray`` (wsproto 1.3.1), False if it passes
    the frame's payload on (1.2, 1.3.2): observed on a throw-away connection
    fed one masked binary frame."""
    connection = module.Connection(module.ConnectionType.SERVER)
    connection.receive_data(b"\x82\x81\x00\x00\x00\x00x")  # "x", all-zero key
    event = next(events(connection))
    return type(event.data) is bytearray


def whole_message_direct(cls: Any) -> bool:
    """Whether ``cls(data, True, True)`` (wsproto's ``TextMessage``: a frozen
    dataclass) amounts to a bare instance given the dict ``{"data": data,
    "frame_finished": True, "message_finished": True}``, which is cheaper
    than the class call (no ``__init__`` frame, no per-field
    ``object.__setattr__``): same type, same fields in the same order, no
    ``__post_init__``, equal.  Checked once, when the patch is made."""
    if "__post_init__" in dir(cls):
        return False  # pragma: no cover - wsproto's events have none
    try:
        built = cls("x", True, True)
        made = object.__new__(cls)
        object.__setattr__(made, "__dict__", {"data": "x", "frame_finished": True, "message_finished": True})
    except (AttributeError, TypeError):  # pragma: no cover - slots or another __init__
        return False
    return type(made) is type(built) and list(vars(made).items()) == list(vars(built).items()) and made == built


def batch_events_exact(text_cls: Any, bytes_cls: Any, binary: int) -> bool:
    """Whether the batch step (``_batch.Batch``) builds the events wsproto's
    class calls build: fed one masked text and one masked binary frame on a
    throw-away buffer, it must give events of the same type, with the same
    fields in the same order, equal to ``text_cls("x", True, True)`` and
    ``bytes_cls(b"y", True, True)`` (a ``bytearray`` when ``binary`` is 1).
    Checked once, when the patch is made."""

    class Decoder:
        payload_required = payload_consumed = -1

    wire = bytearray(b"\x81\x81\x00\x00\x00\x00x\x82\x81\x00\x00\x00\x00y")  # all-zero keys
    try:
        made = list(Batch(wire, Decoder(), None, (text_cls, bytes_cls, binary), False, 0, None, len(wire)))
        built = [text_cls("x", True, True), bytes_cls(bytearray(b"y") if binary == 1 else b"y", True, True)]
    except (AttributeError, TypeError):  # pragma: no cover - slots or another __init__
        return False
    return (
        not wire
        and [type(e) for e in made] == [type(e) for e in built]
        and [list(vars(e).items()) for e in made] == [list(vars(e).items()) for e in built]
        and made == built
    )


def make_events(original: Any, module: ModuleType) -> Any:
    """``Connection.events`` with the fast path inlined (one generator level).

    Per frame, wsproto runs three nested generators and builds a ``Frame``
    before the event; here a complete, plainly valid frame goes from the
    buffer to its event directly.  The dispatch, the state changes on CLOSE
    and the ``ParseFailed`` -> ``CloseConnection`` conversion are wsproto's
    (wsproto/connection.py, ``Connection.events``).
    """
    fp = sys.modules[FRAME_PROTOCOL]
    ev = sys.modules["wsproto.events"]
    TextMessage, BytesMessage = ev.TextMessage, ev.BytesMessage
    as_bytearray = bytes_message_is_bytearray(original, module)
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
    decode_text = make_decode_text(fp)
    take_frame = make_take_frame(fp)
    text_direct = whole_message_direct(TextMessage)
    new, set_dict = object.__new__, object.__setattr__
    # The batch step's binary data types: 1.3.1's bytearray, 1.2's
    # (payload_converter), or the payload as it is.
    batch_events = (TextMessage, BytesMessage, 1 if as_bytearray else 2 if legacy_types() else 0)
    batched = batch_events_exact(*batch_events)
    wsframe_error = WsframeError
    inflater_type = ZlibCompatibleInflater
    CloseReason = fp.CloseReason
    compressed_message = take_frame.compressed_message

    def text_event(messages: Any, payload: Any) -> Any:
        """The event of a whole text message: wsproto's ``TextMessage``, or
        its ``ParseFailed`` (1007) on invalid UTF-8."""
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            text = decode_text(messages, payload)  # raises wsproto's ParseFailed
        if text_direct:
            event = new(TextMessage)
            set_dict(event, "__dict__", {"data": text, "frame_finished": True, "message_finished": True})
            return event
        return TextMessage(text, True, True)  # pragma: no cover - see whole_message_direct

    def inflated_event(decoder: Any, gen: Any, messages: Any, pmd: Any, frame: Any) -> Any:
        """The event of a whole compressed message the batch step took."""
        data = compressed_message(decoder, gen, pmd, frame.payload)
        if frame.opcode == TEXT:
            return text_event(messages, data)
        return BytesMessage(bytearray(data) if as_bytearray else data, True, True)

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
            data = bytearray(frame.payload) if as_bytearray else frame.payload
            return BytesMessage(data, frame.frame_finished, frame.message_finished)
        return None  # pragma: no cover - wsproto yields nothing here either

    def events(self: Any) -> Any:
        """wsproto's ``Connection.events`` with a fast path for complete frames."""
        while self._events:
            yield self._events.popleft()
        proto = self._proto
        state = take_frame.start(proto)
        if state is None:
            yield from original(self)
            return
        gen, decoder, messages, prepared = state
        pmd = prepared[1]
        client = decoder.client
        buffer = decoder.buffer
        rsv_allowed = 0 if pmd is None else 4
        window = BATCH_WINDOW
        try:
            while True:
                if (
                    batched
                    and messages.opcode is None
                    and len(buffer.buffer) >= BATCH_MIN
                    and decoder.header is None
                    and not buffer.bytes_used
                    and (pmd is not None or not decoder.extensions)
                    and (pmd is None or pmd._inbound_compressed is None)
                ):
                    # The complete frames of the buffer in one decoder pass: a
                    # whole uncompressed message comes back as its event, a
                    # whole compressed one as its frame; it stops, leaving
                    # it buffered, at any other frame and at a frame wsframe's
                    # decoder objects to (wsproto's own steps read it next).
                    size = len(buffer.buffer)
                    try:
                        for item in Batch(
                            buffer.buffer,
                            decoder,
                            pmd,
                            batch_events,
                            client,
                            rsv_allowed,
                            inflater_type if STATE.inflate_limit is None else None,
                            window,
                        ):
                            if type(item) is TextMessage or type(item) is BytesMessage:
                                yield item
                                continue
                            if type(item) is tuple:  # inflated here, and failed
                                error, data = item
                                if error is not None:
                                    gen.close()
                                    raise ParseFailed("error in extension", inflate_error(error, CloseReason))
                                yield text_event(messages, data)  # raises wsproto's ParseFailed
                                continue
                            yield inflated_event(decoder, gen, messages, pmd, item)
                    except wsframe_error:
                        pass
                    # Bytes received meanwhile only make this smaller.
                    window = max(BATCH_WINDOW, 2 * (size - len(buffer.buffer)))
                taken = take_frame(decoder, gen, prepared)
                if taken is not None:
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
                            yield text_event(messages, payload)
                            continue
                        if opcode is BINARY:
                            yield BytesMessage(bytearray(payload) if as_bytearray else payload, True, True)
                            continue
                    yield to_event(self, messages.process_frame(Frame(opcode, payload, True, fin)))
                    continue
                # One step of wsproto's own generator, then the fast path again.
                frame = wsproto_step(decoder, gen)
                if frame is None:
                    return
                yield to_event(self, frame)
                if frame.opcode is CLOSE:
                    next(gen, None)  # wsproto's generator finishes after CLOSE
                    return
        except ParseFailed as exc:
            gen.close()  # wsproto's generator ends after an error (a no-op if it raised it)
            yield CloseConnection(code=exc.code, reason=str(exc))

    events.__wrapped__ = original  # type: ignore[attr-defined]
    return events
