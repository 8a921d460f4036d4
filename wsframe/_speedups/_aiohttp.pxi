# The hot loop of wsframe.integrations.aiohttp's reader, in C: decode the
# complete frames of a read and hand each whole uncompressed text or binary
# message to aiohttp's data queue as aiohttp's own message tuple.  aiohttp's
# classes and values come in as arguments (this module imports nothing of
# aiohttp); every other frame goes back to the Python reader.  The pure-Python
# twin is wsframe.integrations.aiohttp._reader._Feed (same results).

from cpython.object cimport PyTypeObject
from cpython.ref cimport Py_INCREF, Py_XDECREF
from cpython.tuple cimport PyTuple_SET_ITEM
from cpython.unicode cimport PyUnicode_DecodeUTF8

# Below this many bytes a text payload is decoded by CPython's decoder
# (quicker to start), from there by wsframe's.
cdef extern from "Python.h":
    ctypedef PyObject *(*_wsf_allocfunc)(PyTypeObject *, Py_ssize_t)
    ctypedef struct _WsfType "PyTypeObject":
        _wsf_allocfunc tp_alloc

cdef enum:
    _AIOHTTP_SHORT_TEXT = 512

# FrameDecoder._step's message_limit for "every length" (the decoder's
# max_frame_size bounds them).
cdef uint64_t _WHOLE_MESSAGES = <uint64_t>-1


cdef inline object _aiohttp_message(type cls, object kind, object data, object extra):
    # What tuple.__new__(cls, (kind, data, extra)) makes, as CPython's
    # tuple_subtype_new makes it: the type's allocator, then the items.
    cdef PyObject *o = (<_WsfType *>cls).tp_alloc(<PyTypeObject *>cls, 3)
    if o == NULL:
        raise MemoryError()
    msg = <object>o
    Py_XDECREF(o)  # <object> took a reference of its own
    Py_INCREF(kind)
    PyTuple_SET_ITEM(msg, 0, kind)
    Py_INCREF(data)
    PyTuple_SET_ITEM(msg, 1, data)
    Py_INCREF(extra)
    PyTuple_SET_ITEM(msg, 2, extra)
    # Acyclic (see _AiohttpFeed): never worth a collector's scan.
    PyObject_GC_UnTrack(o)
    return msg


@cython.final
@cython.auto_pickle(False)  # a connection's loop: nothing to pickle
cdef class _AiohttpFeed:
    """_AiohttpFeed(decoder, queue, kinds, text, inflater, bound)

    The loop of one connection: :meth:`feed` decodes the complete frames of
    a read with ``decoder`` and delivers, with ``queue.feed_data(msg, size)``,
    each one that is a whole uncompressed text or binary message, as
    ``message((text_kind, str, ""))`` (``text_bytes`` with the bytes when not
    ``text``: aiohttp's ``decode_text``) or ``message((binary_kind, bytes, ""))``; with an
    ``inflater`` (the integration's MemberInflater), also each whole
    compressed message (RSV1), its payload replaced by
    ``inflater.feed(payload, fin=True, max_size=bound)``: inflated here
    through its ``plain`` Inflater (_inflate_frame) while it has one, its
    ``settle`` called only when that Inflater's stream ended (normal peers
    never end one), and the text decoded in one validating pass.  ``kinds`` is
    ``(message, text_bytes, text_kind, binary_kind)``.  It stops at the
    first other frame, at a frame that arrives while ``queue._size`` is over
    ``queue._limit``, at text that is not UTF-8, or at a ProtocolError.

    The queue's size is read once a call: while the loop runs nothing else
    touches the queue (the consumer runs on the same event loop), so each
    message adds exactly what the queue adds for it, the payload size plus
    the per-message overhead the queue charges (learnt from the first
    message).  The messages are built untracked by the garbage collector:
    they hold an enum member, a str or bytes and a str or int, which can
    never reach back to them (a cycle), and so are never scanned.

    The loop steps the decoder itself (no frame iterator), asking it for
    whole uncompressed messages as their data: a text one in one frame goes
    from the input to its str in one pass (wsf_text.h, as
    ``FrameDecoder.feed_messages`` does) when it is UTF-8, and comes back as
    its frame otherwise (the decoder does not validate text here: the frame
    is refused below as aiohttp refuses it); a binary one comes back as its
    bytes.  Neither builds a Frame, and the text no payload bytes either.
    """

    cdef FrameDecoder _decoder
    cdef object _queue
    cdef object _feed
    cdef type _message
    cdef type _text_bytes
    cdef object _text_kind
    cdef object _binary_kind
    cdef bint _decode_text
    cdef object _inflate
    cdef object _inflate_max
    cdef object _member  # the inflater (feed, plain, settle)
    cdef bint _direct  # its plain Inflater may be inflated from here (the bound fits)
    cdef Py_ssize_t _plain_at  # where the inflater keeps plain (a slot), or -1
    cdef bint _has_bound
    cdef uint64_t _budget
    cdef Py_ssize_t _limit
    cdef Py_ssize_t _overhead  # what the queue adds to a message's size; -1: not known yet

    def __init__(self, FrameDecoder decoder, queue, tuple kinds, bint text, inflater, bound):
        self._decoder = decoder
        self._queue = queue
        self._feed = queue.feed_data
        self._message, self._text_bytes, self._text_kind, self._binary_kind = kinds
        self._decode_text = text
        self._inflate = None if inflater is None else inflater.feed
        self._inflate_max = bound
        self._member = inflater
        self._direct = False
        self._plain_at = -1
        self._has_bound = bound is not None
        self._budget = 0
        _inflater_class()
        if inflater is not None and (
            bound is None or (type(bound) is int and 0 <= bound < _NO_INFLATE_LIMIT)
        ):
            self._direct = hasattr(inflater, "plain")
            if self._direct:
                # Read at its offset when it is a plain object slot.
                self._plain_at = wsf_slot_offset(getattr(type(inflater), "plain", None))
            if self._has_bound:
                self._budget = <uint64_t>bound
        self._limit = queue._limit
        self._overhead = -1

    cdef object _inflate_whole(self, bytes payload):
        """``inflater.feed(payload, fin=True, max_size=bound)``."""
        # Read each time: the reader's Python path may have seen a final
        # block (inside a fragmented message) and retired the Inflater.
        cdef PyObject *raw
        plain = None
        if self._plain_at >= 0:
            raw = wsf_slot_get(self._member, self._plain_at)
            if raw != NULL:
                plain = <object>raw
        elif self._direct:
            plain = self._member.plain
        if plain is not None:
            out = _inflate_frame(plain, payload, True, self._has_bound, self._budget)
            if out is not None:
                raw = wsf_slot_get(plain, _INFLATER_AT[0]) if _INFLATER_AT[0] >= 0 else NULL
                if (plain._d if raw == NULL else <object>raw) is None:
                    # Its stream ended (or it resets each message).
                    out = self._member.settle(out, self._inflate_max)
                return out
        return self._inflate(payload, fin=True, max_size=self._inflate_max)

    def feed(self, data):
        """feed(data) -> (count, kind, obj)

        ``count`` frames delivered, then ``kind`` 0 (no complete frame left),
        1 (``obj`` is a frame for the caller), 2 (``obj`` is a frame not
        delivered: the queue is over its limit), 3 (``obj`` is the
        ProtocolError the decoder raised), 4 (``obj`` is a compressed text
        frame, inflated, whose text is not UTF-8) or 5 (``obj`` is the
        ProtocolError ``inflate`` raised).
        """
        cdef Py_ssize_t count = 0
        cdef Py_ssize_t n
        cdef Py_ssize_t pos
        cdef Py_ssize_t size
        cdef FrameDecoder decoder = self._decoder
        # Whole text messages straight from the wire to their str when they
        # are UTF-8 (the rest come back as frames, judged below).
        cdef int text_mode = _TEXT_IF_VALID if self._decode_text else 0
        cdef Frame frame
        cdef object text
        cdef object msg
        cdef object feed = self._feed
        cdef object queue = self._queue
        try:
            with cython.critical_section(decoder):
                decoder._take(data)
            size = queue._size
            while True:
                if size > self._limit:
                    # Over the mark: the next frame is not delivered.
                    obj = _locked_step(decoder, 0, 0)
                    if obj is None:
                        break
                    return count, 2, obj
                # A whole uncompressed message in one frame comes back as its
                # data (a str, or a binary message's bytes), anything else as
                # its frame.
                obj = _locked_step(decoder, _WHOLE_MESSAGES, text_mode)
                if obj is None:
                    break
                if type(obj) is str:
                    n = <Py_ssize_t>decoder._h.length
                    msg = _aiohttp_message(self._message, self._text_kind, obj, "")
                elif type(obj) is bytes:
                    n = PyBytes_GET_SIZE(obj)
                    msg = _aiohttp_message(self._message, self._binary_kind, obj, "")
                else:
                    frame = <Frame>obj
                    if not frame._fin or (frame._op != 1 and frame._op != 2):
                        return count, 1, frame
                    payload = frame.payload
                    if frame._rsv1:
                        # A whole compressed message (RFC 7692 §6.1: RSV1).
                        if self._inflate is None:
                            return count, 1, frame
                        try:
                            payload = self._inflate_whole(payload)
                        except ProtocolError as exc:
                            return count, 5, exc
                    n = PyBytes_GET_SIZE(payload)
                    if frame._op == 2:
                        msg = _aiohttp_message(self._message, self._binary_kind, payload, "")
                    elif not self._decode_text:
                        msg = _aiohttp_message(self._text_bytes, self._text_kind, payload, "")
                    else:
                        text = None if frame._rsv1 else frame._text
                        if text is None:
                            if n < _AIOHTTP_SHORT_TEXT and not frame._rsv1:
                                try:
                                    text = PyUnicode_DecodeUTF8(PyBytes_AS_STRING(payload), n, NULL)
                                except UnicodeDecodeError:
                                    return count, 4 if frame._rsv1 else 1, frame
                            else:
                                pos = -1
                                text = wsf_decode_object(
                                    <const uint8_t *>PyBytes_AS_STRING(payload), n, 0, &pos
                                )
                                if text is None:
                                    return count, 4 if frame._rsv1 else 1, frame
                        msg = _aiohttp_message(self._message, self._text_kind, text, "")
                feed(msg, n)
                count += 1
                if self._overhead < 0:
                    self._overhead = <Py_ssize_t>queue._size - size - n
                size += n + self._overhead
        except ProtocolError as exc:
            return count, 3, exc
        return count, 0, None

