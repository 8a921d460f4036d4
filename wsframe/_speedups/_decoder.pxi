# The streaming decoder (RFC 6455 §5, §8.1); included by _frames.pyx.

cdef enum:
    # The payload buffer of a frame that arrives in pieces starts at twice the
    # bytes received (at least this many) and doubles as more arrive, never
    # past the declared length: memory follows the bytes received, not the
    # length a header declares (15 bytes must not reserve 1 MiB), and each
    # byte is moved a bounded number of times (geometric growth).
    _PARTIAL_MIN = 512
    # An input buffer larger than this is freed when it empties, and shrunk
    # when the data still live in it is at most a quarter of it, so that one
    # burst does not pin its memory for the rest of the connection.
    _KEEP_BUFFER = 262144
    # FrameDecoder._step's text_as_str.
    _TEXT_VALIDATED = 1
    _TEXT_IF_VALID = 2

# ---------------------------------------------------------------------------
# The decoder


cdef inline ptrdiff_t _transfer(uint8_t *dst, const uint8_t *src, Py_ssize_t n,
                                const uint8_t *key, size_t phase,
                                wsf_utf8_state *st, bint validate) noexcept nogil:
    """Copy n payload bytes, unmasking with ``key`` at ``phase`` if given
    (RFC 6455 §5.3) and validating them as UTF-8 text if asked (§8.1) in the
    same pass.  Returns -1, or the index of the byte that makes the text
    invalid (``st`` then describes the sequence pending before it)."""
    if validate:
        if key != NULL:
            return wsf_unmask_utf8_stream(st, dst, src, <size_t>n, key, phase)
        memcpy(dst, src, <size_t>n)
        return wsf_utf8_stream(st, dst, <size_t>n)
    if key != NULL:
        wsf_mask(dst, src, <size_t>n, key, phase)
    else:
        memcpy(dst, src, <size_t>n)
    return -1


@cython.embedsignature(False)
cdef class FrameDecoder:
    """FrameDecoder(*, client=False, max_frame_size=1048576, rsv_allowed=0, validate_utf8=True)

    Streaming frame decoder enforcing RFC 6455 §5 for one side of a connection.

    Args:
        client: True when this decoder runs in a client: frames must arrive
            unmasked.  The default is the server side: frames must be masked.
        max_frame_size: largest payload accepted in any single frame (bytes);
            checked on the declared length before any payload is buffered.
            None: no limit.
        rsv_allowed: bit mask of the RSV bits negotiated extensions use
            (4 = RSV1, 2 = RSV2, 1 = RSV3).
        validate_utf8: validate text messages (close reasons are always
            validated).

    :meth:`feed` appends bytes and returns an iterator over the frames that
    are complete; it raises :class:`ProtocolError` at the first invalid input,
    after every good frame before it.  Once it raised, every later call raises
    the same error.  After a Close frame nothing more is yielded and further
    input is discarded.  One decoder per connection (see the module docstring
    on threads).

    Input is kept in one C buffer with a read position; a ``bytes`` object fed
    while that buffer is empty is read in place (it is immutable) and only an
    unconsumed tail is ever copied.
    """

    # options: the objects as given (for the attributes and messages) and
    # their C mirrors
    cdef object _client_obj
    cdef object _max_obj
    cdef object _rsv_obj
    cdef object _validate_obj
    cdef bint _client
    cdef int _mask_fails        # bit m: mask_error(masked=m, client) (_MASK_ERR)
    cdef bint _validate
    cdef bint _has_limit
    cdef uint64_t _limit
    cdef int _rsv_allowed

    # input: either the borrowed bytes object [_bpos:_blen], or _buf[_start:_end]
    cdef uint8_t *_buf
    cdef Py_ssize_t _cap
    cdef Py_ssize_t _start
    cdef Py_ssize_t _end
    cdef object _borrowed
    cdef const uint8_t *_bptr
    cdef Py_ssize_t _blen
    cdef Py_ssize_t _bpos

    # the frame in progress (header parsed, payload incomplete)
    cdef _Hdr _h
    cdef bint _h_active
    cdef object _partial        # bytes being filled, or None
    cdef Py_ssize_t _partial_cap
    cdef uint64_t _received

    # message state (RFC 6455 §5.4, §8.1)
    cdef bint _in_message
    cdef bint _message_is_text
    cdef bint _message_compressed
    cdef bint _validating
    cdef wsf_utf8_state _st
    cdef uint64_t _text_consumed

    cdef object _error
    cdef bint _closed
    cdef bint _busy
    # Instrumentation (tests): bytes copied between buffers -- input into the
    # internal buffer, a borrowed tail into it, compaction and growth moves,
    # payload bytes into frames.  Bytes read in place are not copies.  Linear
    # decoding keeps it within a small constant factor of the input.
    cdef public unsigned long long _bytes_copied

    __signature__ = _signature(
        ("client", False, True), ("max_frame_size", DEFAULT_MAX_SIZE, True),
        ("rsv_allowed", 0, True), ("validate_utf8", True, True),
    )

    def __cinit__(self):
        # FrameDecoder.__new__(FrameDecoder) without __init__ must still be a
        # working decoder with the default options, never a half-built one.
        self._client_obj = False
        self._mask_fails = _MASK_ERR[0][0] | (_MASK_ERR[1][0] << 1)
        self._validate_obj = True
        self._validate = True
        self._max_obj = DEFAULT_MAX_SIZE
        self._has_limit = True
        self._limit = DEFAULT_MAX_SIZE
        self._rsv_obj = 0
        wsf_utf8_init(&self._st)

    def __init__(self, *, client=False, max_frame_size=DEFAULT_MAX_SIZE, rsv_allowed=0,
                 validate_utf8=True):
        self.client = client
        self.max_frame_size = max_frame_size
        self.rsv_allowed = rsv_allowed
        self.validate_utf8 = validate_utf8
        with cython.critical_section(self):
            if self._busy:
                raise RuntimeError("FrameDecoder re-initialised while in use by another thread")
            self._free_input()
            self._h_active = False
            self._partial = None
            self._partial_cap = 0
            self._received = 0
            self._in_message = False
            self._message_is_text = False
            self._message_compressed = False
            self._validating = False
            wsf_utf8_init(&self._st)
            self._text_consumed = 0
            self._error = None
            self._closed = False
            self._bytes_copied = 0

    def __dealloc__(self):
        PyMem_Free(self._buf)
        self._buf = NULL

    # -- options (assignable, as the reference's plain attributes) ---------

    @property
    def client(self):
        return self._client_obj

    @client.setter
    def client(self, value):
        self._client = bool(value)
        self._mask_fails = _MASK_ERR[0][self._client] | (_MASK_ERR[1][self._client] << 1)
        self._client_obj = value

    @property
    def validate_utf8(self):
        return self._validate_obj

    @validate_utf8.setter
    def validate_utf8(self, value):
        self._validate = bool(value)
        self._validate_obj = value

    @property
    def max_frame_size(self):
        return self._max_obj

    @max_frame_size.setter
    def max_frame_size(self, value):
        value = _check_limit(value, "max_frame_size")
        self._has_limit = value is not None
        self._limit = _limit_value(value) if value is not None else 0
        self._max_obj = value

    @property
    def rsv_allowed(self):
        return self._rsv_obj

    @rsv_allowed.setter
    def rsv_allowed(self, value):
        value = _check_rsv_allowed(value)
        self._rsv_allowed = value
        self._rsv_obj = value

    @property
    def closed(self):
        """True once a Close frame was decoded: further input is discarded."""
        return self._closed

    @property
    def buffered(self):
        """Bytes received but not yet part of a returned frame."""
        cdef Py_ssize_t pending
        if self._borrowed is not None:
            pending = self._blen - self._bpos
        else:
            pending = self._end - self._start
        return pending + self._received + (self._h.size if self._h_active else 0)

    # -- input buffer --------------------------------------------------------

    cdef void _free_input(self) noexcept:
        PyMem_Free(self._buf)
        self._buf = NULL
        self._cap = self._start = self._end = 0
        self._borrowed = None
        self._bpos = self._blen = 0

    cdef int _append(self, const uint8_t *src, Py_ssize_t n) except -1:
        """Append n bytes to the internal buffer, compacting or growing it so
        that the amortised cost per byte stays constant."""
        cdef Py_ssize_t rem, newcap
        cdef uint8_t *fresh
        if self._start == self._end:
            self._start = self._end = 0
        if n > self._cap - self._end:
            rem = self._end - self._start
            if self._start >= rem and n <= self._cap - rem:
                # Consumed at least half: moving the rest is paid for by the
                # bytes consumed since the last move.
                memmove(self._buf, self._buf + self._start, <size_t>rem)
                self._bytes_copied += <unsigned long long>rem
            else:
                if rem > (<Py_ssize_t>(<size_t>-1 >> 1)) - n:
                    raise MemoryError()
                newcap = rem + n
                if newcap < 2 * self._cap:
                    newcap = 2 * self._cap
                if newcap < 256:
                    newcap = 256
                fresh = <uint8_t *>PyMem_Malloc(<size_t>newcap)
                if fresh == NULL:
                    raise MemoryError()
                if rem:
                    memcpy(fresh, self._buf + self._start, <size_t>rem)
                    self._bytes_copied += <unsigned long long>rem
                PyMem_Free(self._buf)
                self._buf = fresh
                self._cap = newcap
            self._start = 0
            self._end = rem
        memcpy(self._buf + self._end, src, <size_t>n)
        self._end += n
        self._bytes_copied += <unsigned long long>n
        return 0

    cdef int _unborrow(self) except -1:
        """Move the unconsumed tail of a borrowed bytes object into the buffer."""
        cdef Py_ssize_t tail
        if self._borrowed is not None:
            tail = self._blen - self._bpos
            if tail:
                self._append(self._bptr + self._bpos, tail)
            self._borrowed = None
            self._bpos = self._blen = 0
        return 0

    cdef inline Py_ssize_t _input(self, const uint8_t **p) noexcept:
        if self._borrowed is not None:
            p[0] = self._bptr + self._bpos
            return self._blen - self._bpos
        p[0] = self._buf + self._start
        return self._end - self._start

    cdef inline void _consume(self, Py_ssize_t n) noexcept:
        if self._borrowed is not None:
            self._bpos += n
        else:
            self._start += n

    cdef int _need_more(self) except -1:
        """All complete frames were returned: keep only the unconsumed tail."""
        cdef Py_ssize_t live, newcap
        cdef uint8_t *fresh
        if self._borrowed is not None:
            self._unborrow()
        elif self._start == self._end:
            self._start = self._end = 0
            if self._cap > _KEEP_BUFFER:
                PyMem_Free(self._buf)
                self._buf = NULL
                self._cap = 0
        elif self._cap > _KEEP_BUFFER and (self._end - self._start) <= self._cap // 4:
            # Shrink after a burst: the live bytes moved (at most a quarter of
            # the buffer) are paid for by the three quarters consumed.
            live = self._end - self._start
            newcap = 2 * live if 2 * live > 256 else 256
            fresh = <uint8_t *>PyMem_Malloc(<size_t>newcap)
            if fresh == NULL:
                raise MemoryError()
            memcpy(fresh, self._buf + self._start, <size_t>live)
            self._bytes_copied += <unsigned long long>live
            PyMem_Free(self._buf)
            self._buf = fresh
            self._cap = newcap
            self._start = 0
            self._end = live
        return 0

    cdef int _take(self, object data) except -1:
        """Append ``data`` to the input (a ``bytes`` object fed while the input
        is empty is read in place: it is immutable)."""
        cdef Py_buffer view
        cdef Py_ssize_t n
        if self._error is not None:
            raise self._error
        if self._busy:
            raise _concurrent_use()
        if type(data) is bytes:
            n = PyBytes_GET_SIZE(data)
            if n and not self._closed:
                if self._start == self._end and (
                    self._borrowed is None or self._bpos == self._blen
                ):
                    # Read the immutable bytes in place (no copy).
                    self._start = self._end = 0
                    self._borrowed = data
                    self._bptr = <const uint8_t *>PyBytes_AS_STRING(data)
                    self._blen = n
                    self._bpos = 0
                else:
                    self._unborrow()
                    self._append(<const uint8_t *>PyBytes_AS_STRING(data), n)
        else:
            if type(data) is not bytearray:
                data = _byte_view(data)
            PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
            try:
                if view.len and not self._closed:
                    self._unborrow()
                    self._append(<const uint8_t *>view.buf, view.len)
            finally:
                PyBuffer_Release(&view)
        return 0

    def feed(self, data):
        """Append ``data`` and return an iterator over the frames now complete.

        Raises:
            ProtocolError: immediately, if an earlier call raised one; else
                from the iterator, at the first invalid input.
            TypeError: ``data`` is not a bytes-like object.
        """
        cdef _FrameIterator it
        with cython.critical_section(self):
            self._take(data)
            it = _FrameIterator.__new__(_FrameIterator)
            it._decoder = self
            return it

    def feed_messages(self, data, assembler):
        """Append ``data`` and return an iterator over the messages now complete.

        The same as ``feed(data)`` with every frame passed to
        ``assembler.add()`` (a :class:`MessageAssembler`) and the messages it
        returns yielded, control frames included, in order; errors are the
        same, raised after every message before them.  A whole uncompressed
        message in one frame becomes its :class:`Message` with no ``Frame`` in
        between, and a text one goes from the input to its ``str`` in one pass
        (wsf_text.h), with no payload ``bytes`` either.

        Raises:
            ProtocolError: immediately, if an earlier call raised one; else
                from the iterator, at the first invalid input (the decoder's
                or the assembler's errors).
            TypeError: ``data`` is not a bytes-like object, or ``assembler``
                has no ``add()`` (checked before any input is taken).
        """
        if type(assembler) is not MessageAssembler:
            # (the exact class has add(): no call into the Python rule)
            _check_assembler(assembler)
        with cython.critical_section(self):
            self._take(data)
            return _message_iterator(self, assembler)

    # -- errors ----------------------------------------------------------------

    cdef int _fail(self, exc) except -1:
        """Record a ProtocolError (every later feed() raises it), drop the
        input and raise it."""
        self._error = exc
        self._free_input()
        self._partial = None
        self._partial_cap = 0
        raise exc

    cdef int _check_start(self, _Hdr *h, bint have_b1) except -1:
        """The checks that depend on the role, the extensions and the message
        state, in the reference's order, on what the header bytes show."""
        cdef int op = h.opcode
        # The tables of _rules.rsv_error, mask_error and fragmentation_error.
        if _RSV_B0[self._rsv_allowed][h.b0]:
            self._fail(_rules.rsv_error(h.rsv, op, self._rsv_allowed))
        if have_b1 and (self._mask_fails >> h.masked) & 1:
            self._fail(_rules.mask_error(h.masked, self._client))
        if _FRAG_ERR[self._in_message][op]:
            self._fail(_rules.fragmentation_error(op, self._in_message))
        # max_frame_size, on the declared length (RFC 6455 §7.4.1: 1009).
        if h.length_known and self._has_limit and h.length > self._limit:
            self._fail(_rules.frame_too_big(h.length, self._max_obj))
        return 0

    cdef int _check_partial(self, Py_ssize_t avail) except -1:
        """Judge what the bytes of an incomplete header already show."""
        if avail >= 2:
            self._check_start(&self._h, True)
        elif avail == 1:
            self._h.length_known = 0
            self._check_start(&self._h, False)
        return 0

    cdef int _text_error(self, ptrdiff_t index) except -1:
        # RFC 6455 §8.1: 1007 at the start of the ill-formed sequence, counted
        # within the message text.
        cdef uint64_t position = self._text_consumed + <uint64_t>index - self._st.seen
        self._h_active = True
        return self._fail(_rules.invalid_text(position))

    # -- the state machine -----------------------------------------------------

    cdef inline void _begin(self) noexcept:
        """Message state for the frame whose header was just accepted."""
        cdef int op = self._h.opcode
        if op == 1 or op == 2:
            self._message_is_text = op == 1
            # RFC 7692 §6: RSV1 on the first frame marks a compressed message;
            # the caller validates it after inflating.
            self._message_compressed = (self._h.rsv & 4) != 0
            wsf_utf8_init(&self._st)
            self._text_consumed = 0
            self._in_message = not self._h.fin
        elif op == 0:
            self._in_message = not self._h.fin
        self._validating = (
            op < 8 and self._message_is_text and not self._message_compressed and self._validate
        )

    cdef ptrdiff_t _copy_payload(self, uint8_t *dst, const uint8_t *src, Py_ssize_t n,
                                 size_t phase):
        cdef const uint8_t *key = self._h.key if self._h.masked else NULL
        cdef bint validate = self._validating
        cdef wsf_utf8_state *st = &self._st
        cdef ptrdiff_t r
        if n >= WSF_NOGIL_THRESHOLD:
            self._busy = True
            with nogil:
                r = _transfer(dst, src, n, key, phase, st, validate)
            self._busy = False
        else:
            r = _transfer(dst, src, n, key, phase, st, validate)
        return r

    cdef object _whole_text(self, bytes payload, const uint8_t *src):
        """The str of a whole text message in one frame, at a level without a
        vector validator (scalar, SSE2): unmask only, then CPython's decoder
        validates (RFC 6455 §8.1) while it builds the str, the work the scalar
        DFA would only repeat.  Fails the decoder on ill-formed text."""
        cdef uint8_t *dst = <uint8_t *>PyBytes_AS_STRING(payload)
        cdef Py_ssize_t n = PyBytes_GET_SIZE(payload)
        cdef Py_ssize_t pos = -1
        cdef const uint8_t *key = self._h.key if self._h.masked else NULL
        self._busy = True
        try:
            if n >= WSF_NOGIL_THRESHOLD:
                with nogil:
                    _transfer(dst, src, n, key, 0, &self._st, False)
            else:
                _transfer(dst, src, n, key, 0, &self._st, False)
            text = wsf_decode_object(dst, n, 0, &pos)
        finally:
            self._busy = False
        if text is None:
            # Ill-formed: the stream validator words it as the other paths do
            # (an impossible byte, or the message ending inside a code point).
            self._received = 0
            pos = wsf_utf8_stream(&self._st, dst, <size_t>n)
            if pos >= 0:
                self._text_error(pos)
            self._h_active = True
            self._fail(_rules.truncated_text(<uint64_t>n - self._st.seen))
        return text

    cdef object _message_text(self, const uint8_t *src, bint lenient):
        """The str of a whole uncompressed text message in one frame, straight
        from the input (wsf_text.h): no payload bytes, no Frame.  Fails the
        decoder on ill-formed text (RFC 6455 §8.1); ``lenient``: returns None
        instead, nothing consumed (the caller then builds the frame)."""
        cdef Py_ssize_t n = <Py_ssize_t>self._h.length
        cdef Py_ssize_t pos = -1
        cdef int truncated = 0
        cdef const uint8_t *key = self._h.key if self._h.masked else NULL
        cdef PyObject *r
        cdef object text
        if n >= WSF_NOGIL_THRESHOLD:
            self._busy = True  # the GIL is released inside
            r = wsf_text_from_masked(src, n, key, &pos, &truncated)
            self._busy = False
        else:
            r = wsf_text_from_masked(src, n, key, &pos, &truncated)
        if r == NULL:
            if pos < 0:
                _reraise()  # MemoryError
            if lenient:
                return None
            self._received = 0
            self._h_active = True
            self._fail(_rules.truncated_text(pos) if truncated else _rules.invalid_text(pos))
        text = <object>r
        Py_DECREF(text)  # <object> took a reference of its own
        self._consume(n)
        self._bytes_copied += <unsigned long long>n
        self._text_consumed += <uint64_t>n
        self._h_active = False
        return text

    cdef object _step(self, uint64_t message_limit, int text_as_str):
        """Return the next complete frame, or None when more input is needed.

        For feed_messages, a whole uncompressed message in one frame shorter
        than ``message_limit`` (0: never) comes back as its data instead: the
        payload ``bytes`` of a binary one, and with ``text_as_str`` the str of
        a text one (_TEXT_VALIDATED: when the decoder validates text;
        _TEXT_IF_VALID: also when it does not, if the text is UTF-8, else its
        frame comes back)."""
        cdef const uint8_t *p
        cdef Py_ssize_t avail
        cdef int r
        cdef bytes payload
        cdef object text
        cdef PyObject *text_ptr = NULL
        cdef ptrdiff_t bad
        if self._closed:
            # After a Close frame nothing more is read (RFC 6455 §5.5.1).
            self._free_input()
            return None
        if not self._h_active:
            avail = self._input(&p)
            r = _parse_hdr(p, avail, &self._h)
            if r == _H_NEED:
                self._check_partial(avail)
                self._need_more()
                return None
            if r == _H_ERR:
                self._fail(_header_error(&self._h))
            self._check_start(&self._h, True)
            self._begin()
            self._consume(self._h.size)
            avail -= self._h.size
            if <uint64_t>avail >= self._h.length:
                if (text_as_str and self._h.length < message_limit and self._h.opcode == 1
                        and self._h.fin and (self._validating or (
                            text_as_str == _TEXT_IF_VALID and not self._message_compressed))):
                    text = self._message_text(p + self._h.size, text_as_str == _TEXT_IF_VALID)
                    if text is not None:
                        return text
                # The whole payload is here: straight into its bytes object.
                payload = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>self._h.length)
                if self._h.length:
                    # Vectorised validation first: one test on AVX2/AVX-512/NEON.
                    if (not wsf_utf8_vectorised() and self._validating
                            and self._h.fin and self._h.opcode == 1):
                        text = self._whole_text(payload, p + self._h.size)
                        text_ptr = <PyObject *>text
                    else:
                        bad = self._copy_payload(
                            <uint8_t *>PyBytes_AS_STRING(payload), p + self._h.size,
                            <Py_ssize_t>self._h.length, 0,
                        )
                        if bad >= 0:
                            self._received = 0
                            self._text_error(bad)
                    self._consume(<Py_ssize_t>self._h.length)
                    self._bytes_copied += self._h.length
                    if self._validating:
                        self._text_consumed += self._h.length
                if (self._h.length < message_limit and self._h.opcode == 2 and self._h.fin
                        and not self._h.rsv & 4):
                    # A whole uncompressed binary message: its payload is the
                    # message's data (feed_messages), no Frame.
                    self._h_active = False
                    return payload
                return self._finish(payload, text_ptr)
            self._h_active = True
            self._received = 0
        return self._continue()

    cdef int _reserve(self, uint64_t needed) except -1:
        """Make the partial payload hold at least ``needed`` bytes (see
        _PARTIAL_MIN: twice what has arrived, never past the declared length)."""
        cdef uint64_t length = self._h.length
        cdef uint64_t cap
        cdef object grown
        if self._partial is not None and needed <= <uint64_t>self._partial_cap:
            return 0
        cap = 2 * needed
        if cap < 2 * <uint64_t>self._partial_cap:
            cap = 2 * <uint64_t>self._partial_cap
        if cap < _PARTIAL_MIN:
            cap = _PARTIAL_MIN
        if cap > length:
            cap = length
        grown = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>cap)
        if self._partial is not None and self._received:
            memcpy(PyBytes_AS_STRING(grown), PyBytes_AS_STRING(self._partial),
                   <size_t>self._received)
            self._bytes_copied += self._received
        self._partial = grown
        self._partial_cap = <Py_ssize_t>cap
        return 0

    cdef object _continue(self):
        """Take what input there is of the payload in progress."""
        cdef const uint8_t *p
        cdef Py_ssize_t avail = self._input(&p)
        cdef uint64_t remaining = self._h.length - self._received
        cdef Py_ssize_t n = avail if <uint64_t>avail < remaining else <Py_ssize_t>remaining
        cdef ptrdiff_t bad
        cdef object payload
        if n > 0:
            self._reserve(self._received + <uint64_t>n)
            # RFC 6455 §5.3: unmask at the phase of this chunk's payload offset;
            # RFC 6455 §8.1: fail as soon as the text cannot be valid.
            bad = self._copy_payload(
                <uint8_t *>PyBytes_AS_STRING(self._partial) + self._received, p, n,
                <size_t>(self._received & 3),
            )
            if bad >= 0:
                self._text_error(bad)
            if self._validating:
                self._text_consumed += <uint64_t>n
            self._consume(n)
            self._bytes_copied += <unsigned long long>n
        if self._received + <uint64_t>n < self._h.length:
            self._received += <uint64_t>n
            self._need_more()
            return None
        payload = self._partial
        self._partial = None
        self._partial_cap = 0
        self._received = 0
        return self._finish(payload, NULL)

    cdef object _finish(self, bytes payload, PyObject *text):
        # text: the str of the frame's whole text message, or NULL (the
        # common case, which then costs no reference counting here).
        cdef Frame frame
        cdef int op = self._h.opcode
        cdef uint64_t start
        if self._validating and self._h.fin and self._st.need:
            # RFC 6455 §8.1: the message ended inside a code point.
            start = self._text_consumed - self._st.seen
            self._h_active = True
            self._fail(_rules.truncated_text(start))
        if op == 8:
            # RFC 6455 §5.5.1 / §7.4: the close body must be valid.
            try:
                parse_close(payload)
            except ProtocolError as exc:
                self._h_active = True
                self._fail(exc)
            self._closed = True
            self._free_input()
        self._h_active = False
        frame = Frame.__new__(Frame)
        frame.payload = payload
        frame._op = <uint8_t>op
        frame._fin = self._h.fin
        frame._rsv1 = (self._h.rsv >> 2) & 1
        frame._rsv2 = (self._h.rsv >> 1) & 1
        frame._rsv3 = self._h.rsv & 1
        frame._text_ok = self._validating
        if text != NULL:
            frame._text = <str>text
        return frame
