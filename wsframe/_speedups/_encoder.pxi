# Encoding frames and messages, and masking keys (RFC 6455 §5.2-§5.4,
# RFC 7692 §6); included by _frames.pyx.

# ---------------------------------------------------------------------------
# Encoding


cdef inline int _plain_opcode(object opcode) except? -100:
    """The opcode value for an exact int or an Opcode member; -1 when that
    is reserved or out of 0..15; -3 when the argument needs the reference's
    handling (another type, or an int beyond a C long)."""
    cdef int overflow = 0
    cdef long value
    if type(opcode) is not int and type(opcode) is not Opcode:
        return -3
    value = PyLong_AsLongAndOverflow(opcode, &overflow)
    if overflow:
        return -3
    if value < 0 or value > 15 or _OPC[value] == NULL:
        return -1
    return <int>value


cdef int _check_encode(object opcode, int op, object length, long long n, bint fin) except -1:
    """_plan.check_encode's rule on plain C arguments, read from the tables of
    _rules.control_length_error and control_fin_error; when it fails, the error
    is _plan.check_encode's own (RFC 6455 §5.2, §5.5)."""
    if op < 0 or n < 0 or _FIN_ERR[op][fin] or _LEN7_ERR[op][n if n < 127 else 127]:
        _check_encode_args(opcode, length, fin)
    return 0


cdef int _opcode_value(object opcode) except -2:
    """The opcode's value, -1 when reserved (_check_encode reports it); an
    argument of another type is converted (or refused) by _plan.defined_opcode."""
    cdef int op = _plain_opcode(opcode)
    if op == -3:
        op = <int>_defined_opcode(opcode)
    return op


cdef inline int _truth(object flag) except -1:
    if flag is True:
        return 1
    if flag is False:
        return 0
    return 1 if flag else 0


cdef int _flag_bits(object fin, object rsv1, object rsv2, object rsv3) except -1:
    """FIN and RSV bits of the first header byte (RFC 6455 §5.2); flags are
    truth-tested."""
    return _truth(fin) << 7 | _truth(rsv1) << 6 | _truth(rsv2) << 5 | _truth(rsv3) << 4


cdef inline int _header_size(uint64_t n, bint masked) noexcept nogil:
    cdef int size = 2 if n < 126 else (4 if n < 0x10000 else 10)
    return size + 4 if masked else size


cdef inline void _write_header(uint8_t *out, int b0, uint64_t n,
                               const uint8_t *key) noexcept nogil:
    """RFC 6455 §5.2 header with the minimal length encoding."""
    cdef int mask_bit = 0x80 if key != NULL else 0
    cdef int i = 2
    out[0] = <uint8_t>b0
    if n < 126:
        out[1] = <uint8_t>(mask_bit | <int>n)
    elif n < 0x10000:
        out[1] = <uint8_t>(mask_bit | 126)
        out[2] = <uint8_t>(n >> 8)
        out[3] = <uint8_t>n
        i = 4
    else:
        out[1] = <uint8_t>(mask_bit | 127)
        out[2] = <uint8_t>(n >> 56)
        out[3] = <uint8_t>(n >> 48)
        out[4] = <uint8_t>(n >> 40)
        out[5] = <uint8_t>(n >> 32)
        out[6] = <uint8_t>(n >> 24)
        out[7] = <uint8_t>(n >> 16)
        out[8] = <uint8_t>(n >> 8)
        out[9] = <uint8_t>n
        i = 10
    if key != NULL:
        memcpy(out + i, key, 4)


cdef inline bytes _key_bytes(object mask):
    """The 4-byte key (exact errors from the reference's mask_key)."""
    if type(mask) is bytes and PyBytes_GET_SIZE(mask) == 4:
        return <bytes>mask
    return _mask_key(mask)


def encode_header(opcode, length, *, fin=True, rsv1=False, rsv2=False, rsv3=False,
                  mask=None):
    """Encode a frame header (with the masking key, if any) for a payload of ``length`` bytes.

    For scatter/gather writes: send the header, then the payload (masked with
    :func:`wsframe.mask.apply_mask` if ``mask`` is given).

    Raises:
        ValueError: reserved opcode, control frame over 125 bytes or with FIN
            clear, negative length, mask not 4 bytes.
    """
    cdef int op, b0
    cdef int overflow = 0
    cdef long long n
    cdef bytes key = None
    cdef bytes out
    if type(length) is not int:
        length = _index(length)
    op = _opcode_value(opcode)
    b0 = _flag_bits(fin, rsv1, rsv2, rsv3) | (op & 0x0F)
    n = PyLong_AsLongLongAndOverflow(length, &overflow)
    if overflow:
        n = -1  # beyond 2**63-1: _check_encode reports it
    _check_encode(opcode, op, length, n, b0 >> 7)
    if mask is not None:
        key = _key_bytes(mask)
    out = PyBytes_FromStringAndSize(NULL, _header_size(<uint64_t>n, key is not None))
    _write_header(
        <uint8_t *>PyBytes_AS_STRING(out), b0, <uint64_t>n,
        <const uint8_t *>PyBytes_AS_STRING(key) if key is not None else NULL,
    )
    return out


cdef Py_ssize_t _write_frame(uint8_t *dst, int b0, const uint8_t *src, Py_ssize_t n,
                             const uint8_t *key) noexcept nogil:
    """Write one frame (header, then the payload masked with ``key`` if not
    NULL; RFC 6455 §5.2, §5.3) at ``dst``; return its size."""
    cdef int hs = _header_size(<uint64_t>n, key != NULL)
    _write_header(dst, b0, <uint64_t>n, key)
    if key != NULL:
        wsf_mask(dst + hs, src, <size_t>n, key, 0)
    elif n:
        memcpy(dst + hs, src, <size_t>n)
    return hs + n


def encode_frame(opcode, payload=b"", *, fin=True, rsv1=False, rsv2=False, rsv3=False,
                 mask=None):
    """Encode one frame; with ``mask`` (4 bytes) the payload is masked (RFC 6455 §5.3).

    One allocation: the header and the (masked) payload are written into the
    result in one pass.

    Raises:
        TypeError: ``payload`` is a str or not a bytes-like object.
        ValueError: reserved opcode, control frame over 125 bytes or with FIN
            clear, mask not 4 bytes.
    """
    cdef int op, b0
    cdef Py_buffer view
    cdef bytes key = None
    cdef bytes out
    cdef uint8_t *dst
    cdef const uint8_t *kp
    cdef Py_ssize_t n
    if type(payload) is not bytes and type(payload) is not bytearray:
        payload = _byte_view(payload, "payload")
    op = _opcode_value(opcode)
    b0 = _flag_bits(fin, rsv1, rsv2, rsv3) | (op & 0x0F)
    PyObject_GetBuffer(payload, &view, PyBUF_SIMPLE)
    try:
        n = view.len
        _check_encode(opcode, op, n, n, b0 >> 7)
        if mask is not None:
            key = _key_bytes(mask)
        out = PyBytes_FromStringAndSize(NULL, _header_size(<uint64_t>n, key is not None) + n)
        dst = <uint8_t *>PyBytes_AS_STRING(out)
        kp = <const uint8_t *>PyBytes_AS_STRING(key) if key is not None else NULL
        if n >= WSF_NOGIL_THRESHOLD:
            with nogil:
                _write_frame(dst, b0, <const uint8_t *>view.buf, n, kp)
        else:
            _write_frame(dst, b0, <const uint8_t *>view.buf, n, kp)
    finally:
        PyBuffer_Release(&view)
    return out


# -- masking keys (RFC 6455 §5.3, §10.3) -------------------------------------
#
# The pool of wsframe._keys.new_mask, kept in C: the same rules (see the
# module docstring there) and block size, without a Python-level lock.  Taking a key is a handful of C
# statements with the GIL held, or inside a critical section on _KEY_POOL_LOCK
# on free-threaded builds, so no two threads take the same bytes.  Bytes are
# wiped as they are served; a forked child drops the pool.

cdef enum:
    _KEY_POOL = 4096   # bytes per os.urandom() call: 1024 keys
assert _KEY_POOL == _KEY_POOL_SIZE

cdef uint8_t _key_pool[_KEY_POOL]
cdef Py_ssize_t _key_pos = _KEY_POOL   # empty: the first call fills it
_KEY_POOL_LOCK = object()
_urandom = _os.urandom


cdef int _fill_key_pool() except -1:
    cdef bytes fresh = _urandom(_KEY_POOL)
    memcpy(_key_pool, PyBytes_AS_STRING(fresh), _KEY_POOL)
    global _key_pos
    _key_pos = 0
    return 0


cdef int _take_key(uint8_t *out) except -1:
    global _key_pos
    with cython.critical_section(_KEY_POOL_LOCK):
        if _key_pos + 4 > _KEY_POOL:
            _fill_key_pool()
        memcpy(out, _key_pool + _key_pos, 4)
        memset(_key_pool + _key_pos, 0, 4)
        _key_pos += 4
    return 0


def _drop_key_pool():
    """After fork(), in the child: never serve the parent's bytes."""
    global _key_pos
    memset(_key_pool, 0, _KEY_POOL)
    _key_pos = _KEY_POOL


if hasattr(_os, "register_at_fork"):
    _os.register_at_fork(after_in_child=_drop_key_pool)


def new_mask():
    """A fresh masking key from the OS's cryptographic source (RFC 6455 §5.3:
    the key must be unpredictable), served from a buffer of os.urandom()
    output refilled in blocks: no system call per frame, no key served
    twice, none shared with a forked child."""
    cdef uint8_t key[4]
    _take_key(key)
    return PyBytes_FromStringAndSize(<char *>key, 4)


def encode_message(opcode, payload, *, fragment_size=None, masked=False, deflater=None):
    """Encode a message as a correct fragment sequence (RFC 6455 §5.4).

    The first frame carries ``opcode``, the others CONTINUATION; only the last
    has FIN set.  ``fragment_size`` bounds each frame's payload (None: one
    frame).  With ``masked=True`` every frame gets a fresh key (§5.3).  A
    control opcode gives one frame (control frames cannot be fragmented).
    With a ``deflater`` (:class:`wsframe.deflate.Deflater`) a data message of
    at least ``deflater.min_size`` bytes is compressed and RSV1 is set on its
    first frame only (RFC 7692 §6); ``fragment_size`` then bounds each frame's
    compressed payload.  Control frames are never compressed.

    Raises:
        ValueError: CONTINUATION or reserved opcode, fragment_size < 1,
            control payload over 125 bytes.
        TypeError: ``payload`` is a str or not a bytes-like object.
    """
    if deflater is not None and fragment_size is None and not masked:
        fast = _encode_lean(opcode, payload, deflater)
        if fast is not None:
            return [fast]
    return [
        encode_frame(op, piece, fin=fin, rsv1=rsv1, mask=new_mask() if masked else None)
        for op, piece, fin, rsv1 in _message_frames(
            opcode, payload, fragment_size=fragment_size, deflater=deflater
        )
    ]


def encode_message_bytes(opcode, payload, *, fragment_size=None, masked=False,
                         deflater=None):
    """:func:`encode_message`, as one contiguous ``bytes`` ready for one write.

    One allocation: every frame is written in place, none is joined from a
    list.  Encode once, send to many: the result of an unmasked (server-side)
    message may be written to any number of connections, as long as the
    frames mean the same on each of them, which holds exactly when

    - ``deflater`` is None (no compression), and every connection accepts the
      message's size and RSV bits; or
    - ``deflater`` is not None and the connections all negotiated
      permessage-deflate, and this deflater cannot carry context between
      messages (``server_no_context_takeover`` was agreed for a server, or the
      deflater is used for this message only): with context takeover each
      connection's compressor history differs, so each needs its own
      ``encode`` (RFC 7692 §7.2.1).

    A masked message (a client's) must never be reused: each frame needs a
    fresh, unpredictable key (RFC 6455 §5.3).

    Raises:
        the same as :func:`encode_message`.
    """
    cdef Py_buffer view
    cdef Py_ssize_t n, step, count, last, total, i, start, size
    cdef int b0, hs_full, hs_last
    cdef int op = -3
    cdef int overflow = 0
    cdef long long limit = 0
    cdef bint compressed = False
    cdef bytes out
    cdef uint8_t *dst
    cdef uint8_t key[4]
    cdef const uint8_t *src
    if deflater is not None and fragment_size is None and not masked:
        fast = _encode_lean(opcode, payload, deflater)
        if fast is not None:
            return fast
    if deflater is None and (type(payload) is bytes or type(payload) is bytearray) and (
        fragment_size is None or type(fragment_size) is int
    ):
        op = _plain_opcode(opcode)
        if fragment_size is not None:
            limit = PyLong_AsLongLongAndOverflow(fragment_size, &overflow)
            if overflow:
                limit = -1 if fragment_size < 0 else PY_SSIZE_T_MAX
    if op >= 1 and (fragment_size is None or limit >= 1):
        # Plain arguments: _plan.plan_message's plan, without building it in
        # Python (a defined opcode other than CONTINUATION, nothing to
        # compress, a valid fragment_size; anything else goes to it below).
        plan_op = opcode
        data = payload
        step = -1
    else:
        plan_op, data, compressed, step_obj = _plan_message(
            opcode, payload, fragment_size=fragment_size, deflater=deflater
        )
        op = <int>plan_op
        step = <Py_ssize_t>step_obj
        if type(data) is not bytes:
            data = _byte_view(data, "payload")
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    try:
        n = view.len
        _check_encode(plan_op, op, n, n, True)
        if step < 0:
            # as plan_message: a control frame, or a payload that fits, is one
            # frame (of at least one byte's step, so that count is 1)
            step = n if n >= 1 else 1
            if op < 8 and fragment_size is not None and n > limit:
                step = <Py_ssize_t>limit
        count = (n + step - 1) // step if n else 1
        last = n - (count - 1) * step
        hs_full = _header_size(<uint64_t>step, masked)
        hs_last = _header_size(<uint64_t>last, masked)
        total = (count - 1) * (hs_full + step) + hs_last + last
        out = PyBytes_FromStringAndSize(NULL, total)
        dst = <uint8_t *>PyBytes_AS_STRING(out)
        src = <const uint8_t *>view.buf
        start = 0
        for i in range(count):
            size = step if i < count - 1 else last
            b0 = (0x80 if i == count - 1 else 0) | (op if i == 0 else 0)
            if i == 0 and compressed:
                b0 |= 0x40
            if masked:
                _take_key(key)
            dst += _write_frame(dst, b0, src + start, size, key if masked else NULL)
            start += size
    finally:
        PyBuffer_Release(&view)
    return out
