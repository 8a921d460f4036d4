# Reassembling messages (RFC 6455 §5.4, §8.1; RFC 7692 §6.2); included by
# _frames.pyx.

cdef inline object _text_of(bytes data):
    """The str of validated UTF-8 ``data``: one transcoding pass (wsf_decode_str with
    validated=1).  The levels without a vector transcoder hand the bytes to CPython's
    decoder, which checks them again; were they ever ill-formed there, this raises the
    RFC 6455 §8.1 error rather than returning None."""
    cdef Py_ssize_t error_pos = -1
    text = wsf_decode_object(<const uint8_t *>PyBytes_AS_STRING(data),
                             PyBytes_GET_SIZE(data), 1, &error_pos)
    if text is None:
        raise _rules.invalid_text(error_pos)
    return text


@cython.embedsignature(False)
cdef class MessageAssembler:
    """MessageAssembler(max_message_size=1048576, decode_text=True, *, inflater=None)

    Reassembles data frames into messages (RFC 6455 §5.4).

    Args:
        max_message_size: largest message accepted (bytes), counting its wire
            (possibly compressed) bytes and, with an inflater, its inflated
            bytes too; each must stay within the limit.  None: no limit.
            Default 1 MiB.
        decode_text: return text messages as str (else as validated bytes).
        inflater: a :class:`wsframe.deflate.Inflater` for a connection that
            negotiated permessage-deflate: compressed messages are inflated
            frame by frame as they arrive, their text validated as it appears
            (RFC 7692 §6.2).  Without one, a compressed message comes back as
            its compressed bytes with ``Message.compressed`` true.

    :meth:`add` returns a :class:`Message` for a control frame at once and for
    the final frame of a data message; None for other fragments.  Text that a
    :class:`FrameDecoder` already validated is not validated again.  One
    assembler per connection (not meant to be shared between threads).
    """

    cdef object _max_obj
    cdef bint _has_limit
    cdef uint64_t _limit
    cdef public object decode_text
    cdef public object inflater
    cdef object _opcode             # the message's Opcode member, or None
    cdef object _compressed         # RSV1 of its first frame, as given
    cdef list _chunks               # the data so far (see _keep)
    cdef uint64_t _size             # wire bytes of the message so far
    cdef uint64_t _inflated         # inflated bytes of the message so far
    cdef wsf_utf8_state _st         # RFC 6455 §8.1, across fragments
    cdef uint64_t _consumed
    cdef bint _prevalidated         # every frame so far came validated

    __signature__ = _signature(
        ("max_message_size", DEFAULT_MAX_SIZE, False), ("decode_text", True, False),
        ("inflater", None, True),
    )

    def __cinit__(self):
        # MessageAssembler.__new__ without __init__: a working assembler with
        # the default options.
        self.max_message_size = DEFAULT_MAX_SIZE
        self.decode_text = True
        self._chunks = []
        wsf_utf8_init(&self._st)

    def __init__(self, max_message_size=DEFAULT_MAX_SIZE, decode_text=True, *, inflater=None):
        self.max_message_size = max_message_size
        self.decode_text = decode_text
        self.inflater = _check_inflater(inflater)
        self._forget()

    @property
    def max_message_size(self):
        return self._max_obj

    @max_message_size.setter
    def max_message_size(self, value):
        # Converted once here, not on every add().
        value = _check_limit(value, "max_message_size")
        self._has_limit = value is not None
        self._limit = _limit_value(value) if value is not None else 0
        self._max_obj = value

    @property
    def in_message(self):
        """True while a fragmented message is incomplete."""
        return self._opcode is not None

    cdef inline bint _over(self, uint64_t size) except -1:
        return self._has_limit and size > self._limit

    cdef int _forget(self) except -1:
        self._opcode = None
        self._chunks = []
        return 0

    cdef int _validate(self, bytes chunk, bint prevalidated) except -1:
        # RFC 6455 §8.1, failing as early as possible; bytes a FrameDecoder
        # validated (every frame of the message so far) are not scanned again.
        cdef ptrdiff_t bad
        cdef uint64_t position
        cdef Py_ssize_t m
        if self._prevalidated and prevalidated:
            return 0
        if self._prevalidated:
            # A frame that did not come validated after some that did: catch
            # the state up with the earlier chunks first.
            self._prevalidated = False
            for earlier in self._chunks:
                if type(earlier) is bytes:
                    m = PyBytes_GET_SIZE(earlier)
                    wsf_utf8_stream(&self._st, <const uint8_t *>PyBytes_AS_STRING(earlier), <size_t>m)
                else:
                    m = PyByteArray_GET_SIZE(earlier)
                    wsf_utf8_stream(&self._st, <const uint8_t *>PyByteArray_AS_STRING(earlier), <size_t>m)
                self._consumed += <uint64_t>m
        bad = wsf_utf8_stream(&self._st, <const uint8_t *>PyBytes_AS_STRING(chunk),
                              <size_t>PyBytes_GET_SIZE(chunk))
        if bad >= 0:
            position = self._consumed + <uint64_t>bad - self._st.seen
            exc = self._ending(_rules.invalid_text(position))
            self._forget()
            raise exc
        self._consumed += <uint64_t>PyBytes_GET_SIZE(chunk)
        return 0

    cdef object _ending(self, object exc):
        # exc ends the message being assembled: a compressed one ends its
        # inflater's stream too (Inflater._abandon), whose next message may
        # refer to bytes the inflater never took.
        if self._opcode is not None and self._compressed and self.inflater is not None:
            abandon = getattr(self.inflater, "_abandon", None)
            if abandon is not None:
                abandon(exc)
        return exc

    cdef int _keep(self, bytes chunk) except -1:
        # Hold a fragment's data until the message is complete.  Hostile
        # memory: fragments below SMALL_FRAGMENT bytes go into one bytearray
        # (empty ones nowhere), so what is held stays proportional to the
        # message's bytes however finely a peer splits it (wsframe._rules).
        cdef Py_ssize_t n = PyBytes_GET_SIZE(chunk)
        cdef Py_ssize_t k = len(self._chunks)
        cdef object tail
        if n >= _SMALL_FRAGMENT:
            self._chunks.append(chunk)
        elif n:
            if k == 0 or type(self._chunks[k - 1]) is not bytearray:
                self._chunks.append(bytearray())
                k += 1
            tail = self._chunks[k - 1]
            tail += chunk
        return 0

    cdef bytes _inflate(self, bytes payload, object fin):
        cdef object budget = None
        cdef bytes chunk
        if self._has_limit:
            budget = self._max_obj - self._inflated
        try:
            chunk = _inflate_frame(self.inflater, payload, fin, self._has_limit,
                                   self._limit - self._inflated)
            if chunk is None:
                chunk = self.inflater.feed(payload, fin=fin, max_size=budget)
        except ProtocolError:
            self._forget()
            raise
        self._inflated += <uint64_t>PyBytes_GET_SIZE(chunk)
        return chunk

    def add(self, frame):
        """Add a frame; return the completed message or control frame, else None.

        Raises:
            ProtocolError: (1002) fragmentation out of order, or corrupt
                compressed data.
            PayloadTooBig: (1009) the message passes ``max_message_size``
                (wire or inflated bytes).
            InvalidUTF8: (1007) a text message is not UTF-8 (``position`` is
                the offset in the message, inflated if it was compressed).
        """
        return self._add(frame)

    cdef object _add(self, object frame):
        # add(), callable from C (feed_messages).
        cdef object opcode
        cdef object raw
        cdef object fin
        cdef object rsv1 = None
        cdef bytes payload
        cdef bytes chunk
        cdef int op
        cdef bint text, inflate, checked
        cdef uint64_t position
        cdef Py_ssize_t n
        cdef Py_ssize_t error_pos = -1
        cdef Frame f
        if type(frame) is Frame:
            f = <Frame>frame
            op = f._op
            if (f._fin and self._opcode is None and not f._rsv1
                    and (op == 2 or (op == 1 and f._text_ok))):
                # The common case, straight through: a whole uncompressed
                # message in one frame whose text (if text) the decoder
                # validated, within the limit -- the general path below
                # would reach the same result with more bookkeeping.
                payload = f.payload
                n = PyBytes_GET_SIZE(payload)
                if not self._over(<uint64_t>n):
                    if op == 2:
                        return _message(<object>_OPC[2], payload, False)
                    if self.decode_text:
                        return _message(
                            _TEXT,
                            _text_of(payload) if f._text is None else f._text,
                            False,
                        )
                    return _message(_TEXT, payload, False)
            opcode = <object>_OPC[op]
            payload = f.payload
            fin = True if f._fin else False
            checked = f._text_ok
        else:
            try:
                opcode = frame.opcode
                raw = frame.payload
                fin = frame.fin
                rsv1 = frame.rsv1
            except AttributeError:
                raise _not_a_frame(frame) from None
            if type(opcode) is not Opcode:
                opcode = _defined_opcode(opcode)
            op = opcode
            payload = <bytes>raw if type(raw) is bytes else _bytes(raw)
            checked = getattr(frame, "_text_valid", False) is True
        if op >= 8:
            return _message(opcode, payload, False)
        # RFC 6455 §5.4: continuation only inside a message, no nesting.
        if _FRAG_ERR[self._opcode is not None][op]:
            raise self._ending(_rules.fragmentation_error(op, self._opcode is not None))
        if op != 0:
            self._opcode = opcode
            self._compressed = (f._rsv1 != 0) if type(frame) is Frame else rsv1
            self._size = 0
            self._inflated = 0
            wsf_utf8_init(&self._st)
            self._consumed = 0
            self._prevalidated = True
            if self._chunks:
                self._chunks = []
        n = PyBytes_GET_SIZE(payload)
        self._size += <uint64_t>n
        if self._over(self._size):
            size = self._size
            exc = self._ending(_rules.message_too_big(size, self._max_obj))
            self._forget()
            raise exc
        inflate = self._compressed and self.inflater is not None
        text = self._opcode is _TEXT and (inflate or not self._compressed)
        decoded = None
        if text and inflate and fin and not self._chunks and self.decode_text and self._has_limit:
            # A whole compressed text message in one frame: inflated through
            # a warm buffer straight to its str; its bytes when not UTF-8
            # (the stream validator below words the verdict).
            try:
                decoded = _inflate_text(self.inflater, payload, self._limit - self._inflated)
            except ProtocolError:
                self._forget()
                raise
            if type(decoded) is str:
                self._opcode = None
                return _message(_TEXT, decoded, self._compressed)
        if decoded is not None:
            chunk = <bytes>decoded
            self._inflated += <uint64_t>PyBytes_GET_SIZE(chunk)
        else:
            chunk = self._inflate(payload, fin) if inflate else payload
            if text and inflate and fin and not self._chunks and self.decode_text:
                # A whole compressed text message inflated by one call:
                # validated and transcoded in one pass.  Ill-formed text goes
                # on to the stream validator below, which words the verdict.
                decoded = wsf_decode_object(<const uint8_t *>PyBytes_AS_STRING(chunk),
                                            PyBytes_GET_SIZE(chunk), 0, &error_pos)
                if decoded is not None:
                    self._opcode = None
                    return _message(_TEXT, decoded, self._compressed)
        if text:
            self._validate(chunk, checked)
        if not fin:
            self._keep(chunk)
            return None
        if self._chunks:
            self._chunks.append(chunk)
            data = b"".join(self._chunks)
        else:
            # A one-frame message (or the earlier frames held no data): no
            # list, no join.
            data = chunk
        message_opcode, compressed = self._opcode, self._compressed
        self._opcode = None
        if self._chunks:
            self._chunks = []
        if text and not self._prevalidated and self._st.need:
            position = self._consumed - self._st.seen
            raise _rules.truncated_text(position)
        if text and self.decode_text:
            # The text is valid (validated above, or by the decoder while it
            # unmasked): one transcoding pass straight into the str's storage.
            return _message(
                message_opcode,
                _text_of(data),
                compressed,
            )
        return _message(message_opcode, data, compressed)
