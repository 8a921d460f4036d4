# The header (RFC 6455 §5.2): parsed from a C pointer into a struct, judged as
# wsframe._reference.frames.parse_header judges; included by _frames.pyx.

# parse results / header errors
cdef enum:
    _H_ERR = -1
    _H_NEED = 0
    _H_DONE = 1

cdef enum:
    _E_OPCODE = 1
    _E_CTRL_FIN = 2
    _E_CTRL_LEN = 3
    _E_NONMIN16 = 4
    _E_NONMIN64 = 5
    _E_MSB = 6

cdef struct _Hdr:
    int b0              # first byte, or -1
    int opcode
    int fin
    int rsv             # 4 = RSV1, 2 = RSV2, 1 = RSV3
    int masked
    int len7            # 7-bit length field, or -1 when the 2nd byte is missing
    int length_known
    uint64_t length
    int size            # header size (2..14) once complete
    int err             # _E_* when the parse failed
    uint8_t key[4]


cdef inline int _parse_hdr(const uint8_t *p, Py_ssize_t avail, _Hdr *h) noexcept nogil:
    """Parse a header at p[0:avail] (RFC 6455 §5.2).

    Returns _H_DONE (h complete), _H_NEED (h holds what the bytes present
    show) or _H_ERR (h.err says why), judging exactly what
    wsframe._reference.frames.parse_header judges, in the same order.
    """
    cdef int b0, b1, op
    cdef uint64_t length
    cdef int size
    h.length_known = 0
    h.len7 = -1
    h.b0 = -1
    if avail < 1:
        return _H_NEED
    b0 = p[0]
    op = b0 & 0x0F
    h.b0 = b0
    h.opcode = op
    h.fin = b0 >> 7
    h.rsv = (b0 >> 4) & 0x07
    # The tables of _rules.opcode_error and control_fin_error, in one.
    if _B0_ERR[b0]:
        h.err = _B0_ERR[b0]
        return _H_ERR
    if avail < 2:
        return _H_NEED
    b1 = p[1]
    h.masked = b1 >> 7
    h.len7 = b1 & 0x7F
    # The table of _rules.control_length_error, as a bound.
    if h.len7 > _LEN7_MAX[op]:
        h.err = _E_CTRL_LEN
        return _H_ERR
    if h.len7 < 126:
        length = <uint64_t>h.len7
        size = 2
    elif h.len7 == 126:
        if avail < 4:
            return _H_NEED
        length = (<uint64_t>p[2] << 8) | p[3]
        # RFC 6455 §5.2: the minimal number of bytes MUST be used.
        if length < 126:
            h.err = _E_NONMIN16
            return _H_ERR
        size = 4
    else:
        if avail < 3:
            return _H_NEED
        # RFC 6455 §5.2: the most significant bit of a 64-bit length MUST be 0.
        if p[2] & 0x80:
            h.err = _E_MSB
            return _H_ERR
        if avail < 8:
            return _H_NEED
        # Six zero high bytes already prove the value is below 65536.
        if (p[2] | p[3] | p[4] | p[5] | p[6] | p[7]) == 0:
            h.err = _E_NONMIN64
            return _H_ERR
        if avail < 10:
            return _H_NEED
        length = ((<uint64_t>p[2] << 56) | (<uint64_t>p[3] << 48)
                  | (<uint64_t>p[4] << 40) | (<uint64_t>p[5] << 32)
                  | (<uint64_t>p[6] << 24) | (<uint64_t>p[7] << 16)
                  | (<uint64_t>p[8] << 8) | <uint64_t>p[9])
        size = 10
    h.length = length
    h.length_known = 1
    if h.masked:
        if avail < size + 4:
            return _H_NEED
        memcpy(h.key, p + size, 4)
        size += 4
    h.size = size
    return _H_DONE


cdef object _header_error(_Hdr *h):
    """The ProtocolError (1002) for a failed _parse_hdr."""
    cdef int err = h.err
    if err == _E_OPCODE:
        return _rules.opcode_error(h.opcode)
    if err == _E_CTRL_FIN:
        return _rules.control_fin_error(h.opcode, h.fin)
    if err == _E_CTRL_LEN:
        return _rules.control_length_error(h.opcode, h.len7)
    if err == _E_NONMIN16:
        return _rules.non_minimal_length(16)
    if err == _E_NONMIN64:
        return _rules.non_minimal_length(64)
    return _rules.length_msb()


cdef inline object _flag(int value):
    return True if value else False


# ---------------------------------------------------------------------------
# parse_header


cdef inline int _offset_value(object offset, Py_ssize_t *out) except -1:
    """Convert an int offset; 0 when it is out of Py_ssize_t range (the caller
    then reports it as out of range), else 1."""
    cdef int overflow = 0
    cdef long long value = PyLong_AsLongLongAndOverflow(offset, &overflow)
    if overflow or value < 0 or value > <long long>(<size_t>-1 >> 1):
        return 0
    out[0] = <Py_ssize_t>value
    return 1


def parse_header(data, offset=0):
    """Parse the frame header at ``data[offset:]`` (RFC 6455 §5.2).

    Returns None when more bytes are needed.  Raises as soon as the bytes that
    are present show an error that is one in any role and with any extension:
    reserved opcode, control frame with FIN clear or a length over 125, a
    64-bit length with its most significant bit set, a non-minimal length.
    RSV bits and the MASK bit are reported, not judged.

    Raises:
        ProtocolError: (1002) the header is invalid.
        ValueError: ``offset`` is negative or past the end of ``data``.
    """
    cdef Py_buffer view
    cdef _Hdr h
    cdef int r
    cdef Py_ssize_t off = 0
    cdef FrameHeader header
    if type(data) is not bytes and type(data) is not bytearray:
        data = _byte_view(data)
    if type(offset) is not int:
        offset = _index(offset)
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    try:
        if not _offset_value(offset, &off) or off > view.len:
            raise ValueError(f"offset {offset} out of range for {view.len} bytes")
        r = _parse_hdr(<const uint8_t *>view.buf + off, view.len - off, &h)
    finally:
        PyBuffer_Release(&view)
    if r == _H_NEED:
        return None
    if r == _H_ERR:
        raise _header_error(&h)
    header = FrameHeader.__new__(FrameHeader)
    header.fin = _flag(h.fin)
    header.rsv1 = _flag(h.rsv & 4)
    header.rsv2 = _flag(h.rsv & 2)
    header.rsv3 = _flag(h.rsv & 1)
    header.opcode = <object>_OPC[h.opcode]
    header.masked = _flag(h.masked)
    header.length = h.length
    header.mask = PyBytes_FromStringAndSize(<char *>h.key, 4) if h.masked else None
    header.header_size = h.size
    return header
