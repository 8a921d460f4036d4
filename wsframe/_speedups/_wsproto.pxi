# The batch step of wsframe.integrations.wsproto's receive loop, in C: the
# complete frames buffered in wsproto's receive buffer, decoded by one
# FrameDecoder, each whole uncompressed text or binary message turned into
# wsproto's own event.  wsproto's classes and objects come in as arguments
# (this module imports nothing of wsproto); every other frame goes back to
# the Python loop.  The pure-Python twin is
# wsframe.integrations.wsproto._batch._Batch (same results).

from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE


cdef extern from "Python.h":
    int PyObject_GenericSetAttr(object o, object name, object value) except -1


@cython.final
@cython.auto_pickle(False)  # a receive loop's state: nothing to pickle
cdef class _WsprotoBatch:
    """_WsprotoBatch(buffer, state, pmd, events, client, rsv_allowed, inflater_type, window)

    An iterator over the complete frames in the first ``window`` bytes of
    ``buffer`` (wsproto's ``ReceiveBuffer.buffer``, a ``bytearray``, at a
    frame boundary; those bytes are copied once), decoded
    by a :class:`FrameDecoder` (``client``, ``rsv_allowed``, no size limit,
    text validated).  Before each step returns, the frame's bytes are deleted
    from ``buffer`` and ``state`` (wsproto's ``FrameDecoder``) gets the
    ``payload_required`` / ``payload_consumed`` wsproto leaves after it.  A
    whole uncompressed text message comes back as ``text_cls`` built with
    ``data`` (its str), ``frame_finished`` and ``message_finished`` set (True)
    in that order, a binary one as ``bytes_cls`` likewise (``data`` a
    ``bytearray`` copy by ``binary``: 0 never, 1 always, 2 unless the frame
    was masked and not empty, wsproto 1.2's types), with ``pmd`` (wsproto's
    ``PerMessageDeflate`` or None) marked as after a data frame.  With a
    ``pmd``, a whole compressed message (RSV1, FIN) comes back as its
    :class:`Frame`, for the caller to inflate; but when ``inflater_type`` is
    given and the connection's decompressor is exactly of that type (the
    integration's, with no size bound), the message is inflated here
    (``feed(payload, fin=True, max_size=None)``) and comes back as its
    event, or as ``(error, None)`` when inflating raised ``error`` (a
    ProtocolError), or ``(None, data)`` when the inflated text ``data`` is
    not UTF-8.  ``events`` is ``(text_cls, bytes_cls, binary)``; an inflated
    binary message's data is a ``bytearray`` copy when ``binary`` is 1.

    It stops (StopIteration) when no complete frame is left, at any other
    frame (left in ``buffer``: control frames, fragments), and when
    ``buffer`` is not as the last step left it (something else consumed
    from it); the decoder's ProtocolError propagates, with ``buffer``
    starting at the frame it objects to.  Once stopped it stays stopped.
    """

    cdef FrameDecoder _decoder
    cdef bytearray _buffer
    cdef object _state
    cdef object _pmd
    cdef object _text_cls
    cdef object _bytes_cls
    cdef int _binary
    cdef object _inflater_type  # the decompressor type inflated from here, or None
    cdef bint _client
    cdef bint _done
    cdef const char *_start   # where buffer's data started after the last step
    cdef Py_ssize_t _left     # and how many of the decoder's bytes it held

    def __init__(self, bytearray buffer, state, pmd, tuple events, bint client, int rsv_allowed,
                 inflater_type, Py_ssize_t window):
        self._decoder = FrameDecoder(
            client=client, max_frame_size=None, rsv_allowed=rsv_allowed, validate_utf8=True
        )
        self._buffer = buffer
        self._state = state
        self._pmd = pmd
        self._text_cls, self._bytes_cls, self._binary = events
        self._inflater_type = inflater_type
        self._client = client
        if window > PyByteArray_GET_SIZE(buffer):
            window = PyByteArray_GET_SIZE(buffer)
        data = PyBytes_FromStringAndSize(PyByteArray_AS_STRING(buffer), window if window > 0 else 0)
        self._decoder._take(data)
        self._start = PyByteArray_AS_STRING(buffer)
        self._left = PyBytes_GET_SIZE(data)
        self._done = False

    def __iter__(self):
        return self

    cdef object _event(self, object cls, object data):
        # What cls(data, True, True) sets, in the dataclass __init__'s order
        # (the integration checks once that the class call amounts to this).
        event = cls.__new__(cls)
        PyObject_GenericSetAttr(event, "data", data)
        PyObject_GenericSetAttr(event, "frame_finished", True)
        PyObject_GenericSetAttr(event, "message_finished", True)
        return event

    def __next__(self):
        cdef FrameDecoder decoder = self._decoder
        cdef bytearray buffer = self._buffer
        cdef object item
        cdef Py_ssize_t size
        cdef uint64_t length
        if self._done:
            raise StopIteration
        if PyByteArray_AS_STRING(buffer) != self._start or PyByteArray_GET_SIZE(buffer) < self._left:
            self._done = True  # wsproto's own code read from the buffer meanwhile
            raise StopIteration
        # Exhausted if anything below raises; re-armed after a frame.
        self._done = True
        with cython.critical_section(decoder):
            if decoder._error is not None:
                raise decoder._error
            if decoder._busy:
                raise _concurrent_use()
            item = decoder._step(<uint64_t>-1, True)
        if item is None:
            raise StopIteration
        if type(item) is Frame and not (
            self._pmd is not None and (<Frame>item)._rsv1 and (<Frame>item)._fin
        ):
            # Not a whole message this step takes: left in buffer, for the
            # Python loop (the iterator stays exhausted).
            raise StopIteration
        length = decoder._h.length
        size = decoder._h.size + <Py_ssize_t>length
        del buffer[:size]
        self._left -= size
        self._start = PyByteArray_AS_STRING(buffer)
        # What wsproto's FrameDecoder keeps after a whole data frame.
        self._state.payload_required = 0
        self._state.payload_consumed = length
        self._done = False
        if type(item) is str:
            if self._pmd is not None:
                self._pmd._inbound_is_compressible = True
            return self._event(self._text_cls, item)
        if type(item) is bytes:
            if self._pmd is not None:
                self._pmd._inbound_is_compressible = True
            if self._binary == 1 or (self._binary == 2 and (self._client or not length)):
                item = bytearray(item)
            return self._event(self._bytes_cls, item)
        if self._inflater_type is not None:
            return self._inflated(<Frame>item)
        return item

    cdef object _inflated(self, Frame frame):
        """A whole compressed message, inflated by the connection's
        decompressor when it is exactly ``inflater_type`` and the message
        starts (wsproto's ``PerMessageDeflate`` hooks' steps, in their order,
        as the integration's ``compressed_message`` runs them); else the
        frame itself."""
        cdef object pmd = self._pmd
        cdef object d = pmd._decompressor
        cdef Py_ssize_t pos = -1
        if type(d) is not self._inflater_type or pmd._inbound_compressed is not None:
            return frame
        pmd._inbound_is_compressible = True
        pmd._inbound_compressed = True
        d.inflated = 0
        try:
            out = d.feed(frame.payload, fin=True, max_size=None)
        except ProtocolError as exc:
            return (exc, None)  # the caller raises wsproto's error
        if type(out) is not bytes:
            out = bytes(out)
        d.inflated += len(out)
        if self._client:
            reset = pmd.server_no_context_takeover
        else:
            reset = pmd.client_no_context_takeover
        if reset:
            pmd._decompressor = None
        pmd._inbound_compressed = None
        if frame._op == 2:
            return self._event(self._bytes_cls, bytearray(out) if self._binary == 1 else out)
        text = wsf_decode_object(<const uint8_t *>PyBytes_AS_STRING(out), PyBytes_GET_SIZE(out), 0, &pos)
        if text is None:
            return (None, out)  # not UTF-8: the caller raises wsproto's error
        return self._event(self._text_cls, text)
