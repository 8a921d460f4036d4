"""The batch step of the patched ``Connection.events``: the complete frames
buffered in wsproto's receive buffer decoded by one
:class:`wsframe.frames.FrameDecoder`, each whole uncompressed message turned
into wsproto's own event.

The compiled backend has this step in C (``_WsprotoBatch`` in the compiled
frames module: one call per message, the text going from the masked input to
its ``str`` in one pass); :class:`Batch` is its pure-Python twin, with the
same results, used on the pure-Python backend.
"""

from __future__ import annotations

from typing import Any

from ... import _backend
from ...errors import ProtocolError
from ...frames import FrameDecoder, Opcode

__all__ = ["Batch", "PyBatch"]


class PyBatch:
    """PyBatch(buffer, state, pmd, events, client, rsv_allowed, inflater_type, window)

    An iterator over the complete frames in the first ``window`` bytes of
    ``buffer`` (wsproto's ``ReceiveBuffer.buffer`` at a frame boundary; those
    bytes are copied once), decoded by a
    :class:`FrameDecoder` (``client``, ``rsv_allowed``, no size limit, text
    validated).  Before each step returns, the frame's bytes are deleted from
    ``buffer`` and ``state`` (wsproto's ``FrameDecoder``) gets the
    ``payload_required`` / ``payload_consumed`` wsproto leaves after a whole
    data frame.  A whole uncompressed text message comes back as
    ``text_cls(str, True, True)``'s equal, a binary one as ``bytes_cls``'s
    (``data`` a ``bytearray`` copy by ``binary``: 0 never, 1 always, 2
    unless the frame was masked and not empty, wsproto 1.2's types), with ``pmd``
    (wsproto's ``PerMessageDeflate`` or None) marked as after a data frame.
    With a ``pmd``, a whole compressed message (RSV1, FIN) comes back as its
    :class:`~wsframe.frames.Frame`, for the caller to inflate; but when
    ``inflater_type`` is given and the connection's decompressor is exactly
    of that type (the integration's, with no size bound), the message is
    inflated here (``feed(payload, fin=True, max_size=None)``) and comes back
    as its event, or as ``(error, None)`` when inflating raised ``error`` (a
    ProtocolError), or ``(None, data)`` when the inflated text ``data`` is
    not UTF-8.  ``events`` is ``(text_cls, bytes_cls, binary)``; an
    inflated binary message's data is a ``bytearray`` copy when ``binary`` is 1.

    It stops (StopIteration) when no complete frame is left, at any other
    frame (left in ``buffer``: control frames, fragments), and when
    ``buffer`` does not start with the frame's bytes (something else consumed
    from it); the decoder's ProtocolError propagates, with ``buffer``
    starting at the frame it objects to.  Once stopped it stays stopped.
    """

    def __init__(
        self,
        buffer: bytearray,
        state: Any,
        pmd: Any,
        events: tuple[Any, Any, int],
        client: bool,
        rsv_allowed: int,
        inflater_type: Any,
        window: int,
    ) -> None:
        self._data = bytes(buffer[: max(window, 0)])
        self._frames = FrameDecoder(
            client=client, max_frame_size=None, rsv_allowed=rsv_allowed, validate_utf8=True
        ).feed(self._data)
        self._pos = 0
        self._buffer = buffer
        self._state = state
        self._pmd = pmd
        self._text_cls, self._bytes_cls, self._binary = events
        self._inflater_type = inflater_type
        self._client = client
        self._key_size = 0 if client else 4
        self._done = False

    def __iter__(self) -> PyBatch:
        return self

    def __next__(self) -> Any:
        if self._done:
            raise StopIteration
        self._done = True  # exhausted if anything below raises; re-armed after a frame
        frame = next(self._frames, None)
        if frame is None:
            raise StopIteration
        op = frame.opcode
        if op not in (Opcode.TEXT, Opcode.BINARY) or not frame.fin or (frame.rsv1 and self._pmd is None):
            raise StopIteration  # not a whole message: left in the buffer
        length = len(frame.payload)
        # The header: wsframe's decoder only accepts the minimal length encoding.
        size = 2 + self._key_size + (0 if length < 126 else 2 if length < 65536 else 8) + length
        start = self._pos
        if self._buffer[:size] != self._data[start : start + size]:
            raise StopIteration  # wsproto's own code read from the buffer meanwhile
        del self._buffer[:size]
        self._pos = start + size
        self._state.payload_required = 0
        self._state.payload_consumed = length
        self._done = False
        if frame.rsv1:
            return frame if self._inflater_type is None else self._inflated(frame)
        if self._pmd is not None:
            self._pmd._inbound_is_compressible = True
        if op is Opcode.TEXT:
            return _event(self._text_cls, frame.payload.decode("utf-8"))
        payload: Any = frame.payload
        if self._binary == 1 or (self._binary == 2 and (self._client or not length)):
            payload = bytearray(payload)
        return _event(self._bytes_cls, payload)

    def _inflated(self, frame: Any) -> Any:
        # wsproto's PerMessageDeflate hooks' steps, in their order, as the
        # integration's compressed_message runs them.
        pmd = self._pmd
        d = pmd._decompressor
        if type(d) is not self._inflater_type or pmd._inbound_compressed is not None:
            return frame
        pmd._inbound_is_compressible = True
        pmd._inbound_compressed = True
        d.inflated = 0
        try:
            out = bytes(d.feed(frame.payload, fin=True, max_size=None))
        except ProtocolError as exc:
            return (exc, None)  # the caller raises wsproto's error
        d.inflated += len(out)
        if pmd.server_no_context_takeover if self._client else pmd.client_no_context_takeover:
            pmd._decompressor = None
        pmd._inbound_compressed = None
        if frame.opcode is Opcode.BINARY:
            return _event(self._bytes_cls, bytearray(out) if self._binary == 1 else out)
        try:
            text = out.decode("utf-8")
        except UnicodeDecodeError:
            return (None, out)  # the caller raises wsproto's error
        return _event(self._text_cls, text)


def _event(cls: Any, data: Any) -> Any:
    # What cls(data, True, True) sets, in the dataclass __init__'s order.
    event = object.__new__(cls)
    object.__setattr__(event, "data", data)
    object.__setattr__(event, "frame_finished", True)
    object.__setattr__(event, "message_finished", True)
    return event


#: The batch step of the active backend.
Batch: Any = getattr(_backend.frames, "_WsprotoBatch", PyBatch)
