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


cdef object _deflater_class():
    global _Deflater
    if _Deflater is None:
        from wsframe._deflate_codec import Deflater
        _Deflater = Deflater
    return _Deflater


cdef object _encode_deflated(int op, object payload, object deflater):
    """One unmasked compressed frame, or None when this path does not apply
    (the caller then takes the general path; nothing has been compressed)."""
    cdef Py_ssize_t nd, nt, body, hs
    cdef bytes out
    cdef uint8_t *dst
    if (op != 1 and op != 2) or type(deflater) is not _deflater_class():
        return None
    if len(payload) < deflater.min_size:
        return None
    if deflater._pool is not None:
        # Without context takeover a Deflater holds no compressor between
        # messages: Deflater.compress borrows one from the per-thread pool.
        return None
    c = deflater._c
    if c is None:
        c = deflater._new_compressor()
        deflater._c = c
    data = c.compress(payload)
    tail = c.flush(deflater._flush_mode)
    if type(data) is not bytes or type(tail) is not bytes:
        data = bytes(data)
        tail = bytes(tail)
    nd = PyBytes_GET_SIZE(data)
    nt = PyBytes_GET_SIZE(tail) - 4  # the flush's 00 00 ff ff (§7.2.1)
    if nt < 0:
        nt = 0
    body = nd + nt
    hs = _header_size(<uint64_t>body, False)
    out = PyBytes_FromStringAndSize(NULL, hs + body)
    dst = <uint8_t *>PyBytes_AS_STRING(out)
    _write_header(dst, 0x80 | 0x40 | op, <uint64_t>body, NULL)
    memcpy(dst + hs, PyBytes_AS_STRING(data), nd)
    memcpy(dst + hs + nd, PyBytes_AS_STRING(tail), nt)
    return out
