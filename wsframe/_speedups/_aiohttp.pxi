# The hot loop of wsframe.integrations.aiohttp's reader, in C: decode the
# complete frames of a read and hand each whole uncompressed text or binary
# message to aiohttp's data queue as aiohttp's own message tuple.  aiohttp's
# classes and values come in as arguments (this module imports nothing of
# aiohttp); every other frame goes back to the Python reader.  The pure-Python
# twin is wsframe.integrations.aiohttp._reader._feed_messages (same results).

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
    return msg


def _aiohttp_feed(FrameDecoder decoder, data, queue, feed, type message, type text_bytes,
                  text_kind, binary_kind, bint decode_text, limit, inflate,
                  inflate_max):
    """_aiohttp_feed(decoder, data, queue, feed, message, text_bytes, text_kind, binary_kind, decode_text, limit, inflate, inflate_max)

    Feed ``data`` to ``decoder`` and deliver, with ``feed(msg, size)``, each
    complete frame that is a whole uncompressed text or binary message, as
    ``message((text_kind, str, ""))`` (``text_bytes`` with the bytes when not
    ``decode_text``) or ``message((binary_kind, bytes, ""))``; with an
    ``inflate`` callable (an Inflater's ``feed``), also each whole compressed
    message (RSV1), its payload replaced by
    ``inflate(payload, fin=True, max_size=inflate_max)``.  Stops at the
    first other frame, at a frame that arrives while ``queue._size`` is over
    ``limit``, at text that is not UTF-8, or at a ProtocolError.

    Returns:
        ``(count, kind, obj)``: ``count`` frames delivered, then ``kind`` 0
        (no complete frame left), 1 (``obj`` is a frame for the caller), 2
        (``obj`` is a frame not delivered: the queue is over ``limit``), 3
        (``obj`` is the ProtocolError the decoder raised), 4 (``obj`` is a
        compressed text frame, inflated, whose text is not UTF-8) or 5
        (``obj`` is the ProtocolError ``inflate`` raised).
    """
    cdef Py_ssize_t count = 0
    cdef Py_ssize_t n
    cdef Py_ssize_t pos
    cdef Frame frame
    cdef object it
    cdef object text
    cdef object msg
    try:
        it = decoder.feed(data)
        for obj in it:
            frame = <Frame>obj
            if queue._size > limit:
                return count, 2, frame
            if not frame._fin or (frame._op != 1 and frame._op != 2):
                return count, 1, frame
            payload = frame.payload
            if frame._rsv1:
                # A whole compressed message (RFC 7692 §6.1: RSV1).
                if inflate is None:
                    return count, 1, frame
                try:
                    payload = inflate(payload, fin=True, max_size=inflate_max)
                except ProtocolError as exc:
                    return count, 5, exc
            n = PyBytes_GET_SIZE(payload)
            if frame._op == 2:
                msg = _aiohttp_message(message, binary_kind, payload, "")
            elif not decode_text:
                msg = _aiohttp_message(text_bytes, text_kind, payload, "")
            else:
                text = None if frame._rsv1 else frame._text
                if text is None:
                    if n < _AIOHTTP_SHORT_TEXT:
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
                msg = _aiohttp_message(message, text_kind, text, "")
            feed(msg, n)
            count += 1
    except ProtocolError as exc:
        return count, 3, exc
    return count, 0, None
