# The iterators FrameDecoder.feed and FrameDecoder.feed_messages return;
# included by _frames.pyx after the decoder and the assembler they drive.


cdef inline object _locked_step(FrameDecoder decoder, uint64_t limit, int text_as_str):
    """One step of ``decoder`` (see FrameDecoder._step) for an iterator or a
    loop driving it: raises the error it raised before, and refuses a step
    while another thread is inside it."""
    cdef object obj
    with cython.critical_section(decoder):
        if decoder._error is not None:
            raise decoder._error
        if decoder._busy:
            raise _concurrent_use()
        obj = decoder._step(limit, text_as_str)
    return obj


@cython.final
@cython.freelist(16)
cdef class _FrameIterator:
    """The iterator :meth:`FrameDecoder.feed` returns: each step runs the
    decoder's state machine for one frame (lazily, as the reference's
    generator).  Once it raised or ran out it stays exhausted."""

    cdef FrameDecoder _decoder
    cdef bint _done

    def __iter__(self):
        return self

    def __next__(self):
        cdef FrameDecoder decoder = self._decoder
        cdef object frame
        if self._done or decoder is None:
            # decoder is None only for an iterator created directly
            # (type(it).__new__): it has nothing to yield.
            raise StopIteration
        # Exhausted if anything below raises; re-armed after a frame.
        self._done = True
        frame = _locked_step(decoder, 0, 0)
        if frame is None:
            raise StopIteration
        self._done = False
        return frame


@cython.final
@cython.freelist(16)
cdef class _MessageIterator:
    """The iterator :meth:`FrameDecoder.feed_messages` returns: each step runs
    the decoder for frames until the assembler completes a message (lazily,
    as the reference's generator).  With an exact :class:`MessageAssembler`
    outside a fragmented message, a whole uncompressed message in one frame
    within its limit comes from the decoder as its data, what ``add()``
    would return for that frame: a binary one as its payload, a text one as
    its str (when the assembler decodes text).  Anything else goes through
    ``add()``.  Once it raised or ran out it stays exhausted."""

    cdef FrameDecoder _decoder
    cdef object _assembler
    cdef bint _done

    def __iter__(self):
        return self

    def __next__(self):
        cdef FrameDecoder decoder = self._decoder
        cdef MessageAssembler assembler
        cdef object frame
        cdef object message
        cdef uint64_t limit
        cdef bint exact
        cdef int text_as_str
        if self._done or decoder is None:
            raise StopIteration
        # Exhausted if anything below raises; re-armed after a message.
        self._done = True
        exact = type(self._assembler) is MessageAssembler
        while True:
            limit = 0
            text_as_str = 0
            if exact:
                assembler = <MessageAssembler>self._assembler
                if assembler._opcode is None:
                    # add()'s direct path: lengths up to the limit (RFC 6455
                    # §7.4.1: exactly the limit is allowed).
                    limit = <uint64_t>-1
                    if assembler._has_limit and assembler._limit < limit:
                        limit = assembler._limit + 1
                    text_as_str = _TEXT_VALIDATED if assembler.decode_text else 0
            frame = _locked_step(decoder, limit, text_as_str)
            if frame is None:
                raise StopIteration
            if type(frame) is str:
                self._done = False
                return _message(_TEXT, frame, False)
            if type(frame) is bytes:
                self._done = False
                return _message(<object>_OPC[2], frame, False)
            if exact:
                message = assembler._add(frame)
            else:
                message = self._assembler.add(frame)
            if message is not None:
                self._done = False
                return message


cdef _MessageIterator _message_iterator(FrameDecoder decoder, object assembler):
    cdef _MessageIterator it = _MessageIterator.__new__(_MessageIterator)
    it._decoder = decoder
    it._assembler = assembler
    return it
