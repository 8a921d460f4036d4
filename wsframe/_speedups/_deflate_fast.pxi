# Compressed messages without per-message Python overhead (RFC 7692 §7.2.1);
# included by _frames.pyx after _encoder.pxi.
#
# encode_message_bytes with an exact wsframe Deflater, an unmasked single-frame
# data message and no fragment_size: the compressor's own compress and flush
# are called from here (no Deflater.compress frame, no plan tuple), and the
# header, the compressed body and the flush's output minus its trailing
# 00 00 ff ff are written into one bytes object.  The result is byte for byte
# Deflater.compress's, framed as _plan.plan_message frames it.

cdef object _Deflater = None
# Where a Deflater keeps min_size and _calls (its __slots__ members), read
# straight from the instance: the generic attribute lookup (type MRO search,
# then the member descriptor) costs more than the rest of this path's Python
# overhead.  -1: not a plain object slot, read through getattr instead.
cdef Py_ssize_t _MIN_SIZE_AT = -1
cdef Py_ssize_t _CALLS_AT = -1


cdef extern from *:
    """
    #include "structmember.h"
    /* The instance offset of a __slots__ member (its class's descriptor), or
       -1 when ``descr`` is not a writable object-slot member descriptor. */
    static Py_ssize_t wsf_slot_offset(PyObject *descr) {
    #ifdef Py_GIL_DISABLED
        /* Free-threaded: another thread may replace the slot's object between
           the read and the new reference; take the locked attribute path. */
        (void)descr;
        return -1;
    #else
        PyMemberDef *m;
        if (Py_TYPE(descr) != &PyMemberDescr_Type) return -1;
        m = ((PyMemberDescrObject *)descr)->d_member;
        if (m->type != T_OBJECT_EX || (m->flags & READONLY)) return -1;
        return m->offset;
    #endif
    }
    /* The object in the slot at ``offset`` of ``obj`` (borrowed), or NULL
       when the slot is empty. */
    #define wsf_slot_get(obj, offset) (*(PyObject **)((char *)(obj) + (offset)))
    """
    Py_ssize_t wsf_slot_offset(object descr)
    PyObject *wsf_slot_get(object obj, Py_ssize_t offset)


cdef object _deflater_class():
    global _Deflater, _MIN_SIZE_AT, _CALLS_AT
    if _Deflater is None:
        from wsframe._deflate_codec import Deflater
        members = Deflater.__dict__
        _MIN_SIZE_AT = wsf_slot_offset(members["min_size"])
        _CALLS_AT = wsf_slot_offset(members["_calls"])
        _Deflater = Deflater
    return _Deflater


cdef extern from *:
    """
    /* The bytes ``tail`` (a reference the caller gives up, and the only one)
       turned into ``hs`` free bytes followed by its first ``nt`` bytes. */
    static PyObject *wsf_frame_in_place(PyObject *tail, Py_ssize_t nt, Py_ssize_t hs) {
        char *p = PyBytes_AS_STRING(tail);
        if (hs + nt > PyBytes_GET_SIZE(tail)) {
            if (_PyBytes_Resize(&tail, hs + nt) < 0) return NULL;
            p = PyBytes_AS_STRING(tail);
            memmove(p + hs, p, (size_t)nt);
        } else {
            /* No longer than before (the header is at most the 4 bytes of
               the trailer cut off): the object keeps its allocation, as a
               shrinking resize would, and only its size changes. */
            memmove(p + hs, p, (size_t)nt);
            Py_SET_SIZE(tail, hs + nt);
            p[hs + nt] = '\\0';
        }
        return tail;
    }
    """
    object wsf_frame_in_place(PyObject *tail, Py_ssize_t nt, Py_ssize_t hs)


cdef object _encode_deflated(int op, object payload, object deflater):
    """One unmasked compressed frame, or None when this path does not apply
    (the caller then takes the general path; nothing has been compressed)."""
    cdef Py_ssize_t nd, nt, body, hs
    cdef bytes out
    cdef uint8_t *dst
    cdef PyObject *raw
    if (op != 1 and op != 2) or type(deflater) is not _deflater_class():
        return None
    if _MIN_SIZE_AT < 0 or _CALLS_AT < 0:
        min_size = deflater.min_size
        calls = deflater._calls
    else:
        raw = wsf_slot_get(deflater, _MIN_SIZE_AT)
        if raw == NULL:
            return None  # never set (no __init__): the general path raises
        min_size = <object>raw
        raw = wsf_slot_get(deflater, _CALLS_AT)
        if raw == NULL:
            return None
        calls = <object>raw
    if min_size is not 0 and len(payload) < min_size:  # 0: CPython's one small int
        return None
    if calls is None:
        if deflater._pool is not None:
            # Without context takeover a Deflater holds no compressor between
            # messages: Deflater.compress borrows one from the per-thread pool.
            return None
        c = deflater._c
        if c is None:
            c = deflater._new_compressor()
            deflater._c = c
        # The compressor's bound methods, looked up once per connection.
        calls = (c.compress, c.flush, deflater._flush_mode)
        deflater._calls = calls
    compress, flush, mode = <tuple>calls
    data = compress(payload)
    tail = flush(mode)
    if type(data) is not bytes or type(tail) is not bytes:
        data = bytes(data)
        tail = bytes(tail)
    nd = PyBytes_GET_SIZE(data)
    nt = PyBytes_GET_SIZE(tail) - 4  # the flush's 00 00 ff ff (§7.2.1)
    if nt < 0:
        nt = 0
    body = nd + nt
    hs = _header_size(<uint64_t>body, False)
    if nd == 0 and nt > 0 and Py_REFCNT(tail) == 1:
        # The usual case (zlib buffers the whole message until the flush):
        # the frame is built inside the flush's own bytes, which nothing
        # else references: body moved behind the header, trailer cut off,
        # no second allocation or copy of the body, whatever its size.
        raw = <PyObject *>tail
        Py_INCREF(tail)
        tail = None  # raw is now the only reference
        out = wsf_frame_in_place(raw, nt, hs)
        _write_header(<uint8_t *>PyBytes_AS_STRING(out), 0x80 | 0x40 | op, <uint64_t>nt, NULL)
        return out
    out = PyBytes_FromStringAndSize(NULL, hs + body)
    dst = <uint8_t *>PyBytes_AS_STRING(out)
    _write_header(dst, 0x80 | 0x40 | op, <uint64_t>body, NULL)
    memcpy(dst + hs, PyBytes_AS_STRING(data), nd)
    memcpy(dst + hs + nd, PyBytes_AS_STRING(tail), nt)
    return out


cdef object _encode_lean(object opcode, object payload, object deflater):
    """The one frame of ``encode_message_bytes(opcode, payload,
    deflater=deflater)`` when the compressed path applies (a data message,
    a bytes or bytearray payload, no fragment_size, unmasked), else None
    (the caller then takes the general path; nothing has been compressed)."""
    cdef int op
    if deflater is not None and (type(payload) is bytes or type(payload) is bytearray):
        op = _plain_opcode(opcode)
        if op == 1 or op == 2:
            return _encode_deflated(op, payload, deflater)
    return None


# The call ``encode_message_bytes(opcode, payload, deflater=d)`` -- two
# positional arguments and the one keyword -- goes straight to _encode_lean:
# the function object's vectorcall slot is taken over, so that Cython's
# argument parsing (the keyword matched against every parameter name, the
# defaults filled in) runs only for the calls this shape does not cover and
# for those _encode_lean declines.  The function object stays the same
# (name, docstring, signature).  Not done where the object has no vectorcall
# slot (the limited API).
cdef extern from *:
    """
    typedef PyObject *(*wsf_lean_fn)(PyObject *, PyObject *, PyObject *);
    static vectorcallfunc wsf_emb_full = NULL;
    static wsf_lean_fn wsf_emb_lean = NULL;
    static PyObject *wsf_kw_deflater = NULL;

    static PyObject *wsf_emb_vectorcall(PyObject *callable, PyObject *const *args,
                                        size_t nargsf, PyObject *kwnames) {
        if (kwnames != NULL && PyVectorcall_NARGS(nargsf) == 2
                && PyTuple_GET_SIZE(kwnames) == 1
                && PyTuple_GET_ITEM(kwnames, 0) == wsf_kw_deflater) {
            PyObject *r = wsf_emb_lean(args[0], args[1], args[2]);
            if (r != Py_None) return r;  /* the frame, or NULL: an error */
            Py_DECREF(r);
        }
        return wsf_emb_full(callable, args, nargsf, kwnames);
    }

    /* 1: ``func``'s calls now go through wsf_emb_vectorcall first; 0: left
       alone (no vectorcall slot); -1: an error. */
    static int wsf_take_vectorcall(PyObject *func, wsf_lean_fn lean) {
    #ifdef Py_LIMITED_API
        (void)func; (void)lean;
        return 0;
    #else
        PyTypeObject *tp = Py_TYPE(func);
        vectorcallfunc *slot;
        if (wsf_emb_full != NULL || !PyType_HasFeature(tp, Py_TPFLAGS_HAVE_VECTORCALL)
                || tp->tp_vectorcall_offset <= 0)
            return 0;
        slot = (vectorcallfunc *)((char *)func + tp->tp_vectorcall_offset);
        if (*slot == NULL) return 0;
        /* Interned, as the compiler interns the keyword names of a call. */
        wsf_kw_deflater = PyUnicode_InternFromString("deflater");
        if (wsf_kw_deflater == NULL) return -1;
        wsf_emb_full = *slot;
        wsf_emb_lean = lean;
        *slot = wsf_emb_vectorcall;
        return 1;
    #endif
    }
    """
    ctypedef object (*wsf_lean_fn)(object, object, object)
    int wsf_take_vectorcall(object func, wsf_lean_fn lean) except -1


wsf_take_vectorcall(encode_message_bytes, _encode_lean)


# Compressed messages in: one frame's payload inflated without the
# Inflater.feed frame (RFC 7692 §7.2.2), for MessageAssembler.  The
# decompressor's own decompress is called from here with the message's
# remaining budget + 1 as max_length (getting that byte proves the message
# too big, and nothing more was inflated); the trailer 00 00 ff ff is
# appended in the same allocation as the copy of the final frame's payload.
# Everything but the common case (no max_ratio, a live decompressor, a first
# call that neither overflows nor leaves input) goes to the Inflater's own
# methods, so the verdicts and their wording are the reference's.

cdef object _Inflater = None
cdef object _ENDED = None
cdef uint64_t _NO_INFLATE_LIMIT = 0
# Where an Inflater keeps _d, _ratio (max_ratio as applied), _reset and _out (__slots__
# members), read and written at their instance offsets as the Deflater's are
# read above; _INFLATER_AT[0] is -1 when one of them is not a plain object
# slot (they are then used as attributes).
cdef Py_ssize_t _INFLATER_AT[4]
_INFLATER_AT[0] = -1


cdef extern from *:
    """
    /* Store a new reference to ``v`` in the slot at ``offset`` of ``obj``. */
    static void wsf_slot_set(PyObject *obj, Py_ssize_t offset, PyObject *v) {
        PyObject **p = (PyObject **)((char *)obj + offset);
        PyObject *old = *p;
        Py_INCREF(v);
        *p = v;
        Py_XDECREF(old);
    }
    """
    void wsf_slot_set(object obj, Py_ssize_t offset, object v)


cdef object _inflater_class():
    global _Inflater, _ENDED, _NO_INFLATE_LIMIT
    cdef int i
    if _Inflater is None:
        from wsframe import _deflate_codec
        _ENDED = _deflate_codec._ENDED
        _NO_INFLATE_LIMIT = _deflate_codec._NO_LIMIT
        members = _deflate_codec.Inflater.__dict__
        for i, name in enumerate(("_d", "_ratio", "_reset", "_out")):
            _INFLATER_AT[i] = wsf_slot_offset(members[name])
        for i in range(4):
            if _INFLATER_AT[i] < 0:
                _INFLATER_AT[0] = -1
        _Inflater = _deflate_codec.Inflater
    return _Inflater


cdef bytes _trailed(bytes payload):
    """RFC 7692 §7.2.2: the final frame's payload and the trailer
    00 00 ff ff, in one allocation."""
    cdef Py_ssize_t n = PyBytes_GET_SIZE(payload)
    cdef bytes data = PyBytes_FromStringAndSize(NULL, n + 4)
    cdef uint8_t *dst = <uint8_t *>PyBytes_AS_STRING(data)
    memcpy(dst, PyBytes_AS_STRING(payload), n)
    dst[n] = 0
    dst[n + 1] = 0
    dst[n + 2] = 0xFF
    dst[n + 3] = 0xFF
    return data


cdef object _inflate_frame(object inflater, bytes payload, bint fin, bint has_limit,
                           uint64_t budget):
    """The inflated bytes of one frame, or None when this path does not apply
    (the caller then calls ``inflater.feed``; nothing has been inflated)."""
    cdef bytes data
    cdef bint slots
    cdef int i
    if type(inflater) is not _inflater_class():
        return None
    slots = _INFLATER_AT[0] >= 0
    if slots:
        for i in range(4):
            if wsf_slot_get(inflater, _INFLATER_AT[i]) == NULL:
                return None  # never set (no __init__): the general path raises
        if <object>wsf_slot_get(inflater, _INFLATER_AT[1]) is not None:
            return None  # max_ratio
        d = <object>wsf_slot_get(inflater, _INFLATER_AT[0])
    elif inflater._ratio is not None:
        return None
    else:
        d = inflater._d
    if has_limit and budget >= _NO_INFLATE_LIMIT:
        return None
    if d is None:
        d = inflater._start()  # raises the error that ended the inflater
    elif d is _ENDED:
        return None
    data = _trailed(payload) if fin else payload
    try:
        if has_limit:
            out = d.decompress(data, budget + 1)
            if <uint64_t>len(out) > budget or d.unconsumed_tail:
                out = inflater._rest(d, out, budget, False)
        else:
            out = d.decompress(data)
    except inflater._zerror as exc:
        inflater._fail(_rules.corrupt_compressed(exc))
    if type(out) is not bytes:
        out = bytes(out)
    if slots:
        if fin:
            wsf_slot_set(inflater, _INFLATER_AT[3], 0)
            if <object>wsf_slot_get(inflater, _INFLATER_AT[2]) or d.eof:
                wsf_slot_set(inflater, _INFLATER_AT[0], None)
        else:
            total = <object>wsf_slot_get(inflater, _INFLATER_AT[3]) + PyBytes_GET_SIZE(out)
            wsf_slot_set(inflater, _INFLATER_AT[3], total)
            if d.eof:
                # RFC 7692 §7.2.3.4: the stream ended with a final block.
                wsf_slot_set(inflater, _INFLATER_AT[0], _ENDED)
    elif fin:
        inflater._out = 0
        if inflater._reset or d.eof:
            inflater._d = None
    else:
        inflater._out = inflater._out + PyBytes_GET_SIZE(out)
        if d.eof:
            inflater._d = _ENDED
    return out


# A whole compressed text message in one frame, straight to its str.  Asked
# for everything at once, the zlib modules gather the output in growing
# blocks (32 KiB, 64 KiB, ...) and then copy them into one bytes of the final
# size: for a 64 KiB message two fresh buffers (the bytes, then the str)
# whose pages the system hands out on first touch, which costs more than the
# inflating when the heap has just been trimmed.  Here the decompressor is
# asked for at most _CHUNK bytes a call (a zlib module returns its first
# block as it is, no join), each piece is copied into one process-wide
# buffer that stays allocated (warm) between messages, and the str is built
# from that buffer: the str is the only fresh memory.  The limit is enforced
# piece by piece with the Inflater's own verdicts (at most budget + 1 bytes
# inflated); a call that fills its piece is followed by another even with no
# input left, since the decompressor may still hold output (isal).  A message
# whose first piece is all of it (under 32 KiB) is decoded from that piece.

cdef enum:
    _CHUNK = 32768          # the zlib modules' first output block
    _SCRATCH_KEEP = 1 << 20  # a larger buffer is freed after its message

cdef object _CHUNK_INT = _CHUNK
cdef uint8_t *_scratch = NULL
cdef Py_ssize_t _scratch_cap = 0
# Set while a message is gathered: the decompressor releases the GIL, so
# another thread may come in meanwhile and must not share the buffer.
cdef bint _scratch_busy = False


cdef extern from *:
    """
    /* Free-threaded builds: the process-wide buffer is not used (no lock is
       worth it here); the message goes through _inflate_frame instead. */
    #ifdef Py_GIL_DISABLED
    #define WSF_SHARED_SCRATCH 0
    #else
    #define WSF_SHARED_SCRATCH 1
    #endif
    """
    bint WSF_SHARED_SCRATCH


cdef int _scratch_room(Py_ssize_t need) except -1:
    global _scratch, _scratch_cap
    cdef Py_ssize_t cap
    cdef void *grown
    if need <= _scratch_cap:
        return 0
    cap = _scratch_cap * 2 if _scratch_cap else 2 * _CHUNK
    while cap < need:
        cap *= 2
    grown = PyMem_Realloc(_scratch, <size_t>cap)
    if grown == NULL:
        raise MemoryError()
    _scratch = <uint8_t *>grown
    _scratch_cap = cap
    return 0


cdef object _inflate_text(object inflater, bytes payload, uint64_t budget):
    """A whole text message (one compressed frame, FIN set) inflated and
    decoded: its str; the inflated bytes when they are not UTF-8 (the caller
    words the verdict); None when this path does not apply (nothing has been
    inflated)."""
    global _scratch, _scratch_cap, _scratch_busy
    cdef Py_ssize_t n = 0
    cdef Py_ssize_t k
    cdef Py_ssize_t ch
    cdef uint64_t room
    cdef Py_ssize_t error_pos = -1
    cdef bytes piece
    if not WSF_SHARED_SCRATCH or _scratch_busy:
        return None
    if type(inflater) is not _inflater_class() or inflater._ratio is not None:
        return None
    if budget >= _NO_INFLATE_LIMIT:
        return None
    d = inflater._d
    if d is None:
        d = inflater._start()  # raises the error that ended the inflater
    elif d is _ENDED:
        return None
    data = _trailed(payload)
    _scratch_busy = True
    try:
        while True:
            room = budget - <uint64_t>n
            ch = _CHUNK if room >= _CHUNK else <Py_ssize_t>room + 1
            try:
                out = d.decompress(data, _CHUNK_INT if ch == _CHUNK else ch)
            except inflater._zerror as exc:
                inflater._fail(_rules.corrupt_compressed(exc))
            piece = out if type(out) is bytes else bytes(out)
            k = PyBytes_GET_SIZE(piece)
            if <uint64_t>k > room:
                inflater._overflow(budget, False)  # PayloadTooBig, worded as feed's
            data = d.unconsumed_tail
            if n == 0 and k < ch and not data:
                break  # the whole message in one piece: decoded from there
            _scratch_room(n + k)
            memcpy(_scratch + n, PyBytes_AS_STRING(piece), k)
            n += k
            if k < ch and not data:
                break
        inflater._out = 0
        if inflater._reset or d.eof:
            inflater._d = None
        if n == 0:
            text = wsf_decode_object(<const uint8_t *>PyBytes_AS_STRING(piece), k, 0, &error_pos)
            return piece if text is None else text
        text = wsf_decode_object(_scratch, n, 0, &error_pos)
        if text is None:
            return PyBytes_FromStringAndSize(<char *>_scratch, n)
        return text
    finally:
        _scratch_busy = False
        if _scratch_cap > _SCRATCH_KEEP:
            PyMem_Free(_scratch)
            _scratch = NULL
            _scratch_cap = 0
