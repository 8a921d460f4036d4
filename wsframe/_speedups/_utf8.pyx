# cython: language_level=3, boundscheck=False, wraparound=False
# cython: initializedcheck=False, cdivision=True
# cython: freethreading_compatible=True
# binding=False: plain builtin functions, ~15% cheaper to call than
# cyfunctions (measured on 16-byte apply_mask); signatures stay visible
# to inspect through the embedded Argument Clinic-style signature.
# cython: binding=False, embedsignature=True, embedsignature.format=clinic
"""Compiled UTF-8 validation and decoding (RFC 3629; Unicode Standard Table 3-7).

Same API, positions and error messages as :mod:`wsframe._reference.utf8`,
backed by ``wsf_utf8.h``: an ASCII fast path plus the Keiser-Lemire lookup
algorithm (SSE4 / AVX2 / AVX-512 / NEON, chosen once at import; ``simd_level``
says which) with a scalar DFA for exact error positions.  :func:`decode`
builds the str in one allocation and transcodes into its storage with the
SIMD kernels of ``wsf_decode.h`` (``wsf_str.h``).  Inputs of 64 KiB or more are validated
(and decoded) without the GIL.

Thread safety: :func:`is_valid`, :func:`find_invalid` and :func:`decode` are safe from any
thread.  A :class:`Utf8Validator` is one stream: feeding it from several
threads at once never crashes but gives meaningless positions.
"""

cimport cython
from cpython.buffer cimport PyBuffer_Release
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from libc.stddef cimport ptrdiff_t
from libc.stdint cimport uint8_t

from wsframe._speedups.decode cimport (
    wsf_decode_object,
    wsf_decode_unpinned_object,
    wsf_decode_truncated,
)
from wsframe._speedups.kernels cimport (
    WSF_NOGIL_THRESHOLD,
    wsf_active_level,
    wsf_get_view,
    wsf_init_or_raise,
    wsf_supported_levels,
    wsf_utf8_find_invalid,
    wsf_utf8_init,
    wsf_utf8_state,
    wsf_utf8_stream,
)

from wsframe import _rules
from wsframe._api import SIMD_API, UTF8_API
from wsframe._args import signature as _signature
from wsframe.errors import InvalidUTF8

# The public names, from the one list every spelling follows.
__all__ = [*UTF8_API, *SIMD_API]

wsf_init_or_raise()

#: The kernel level in use: "scalar", "sse2", "sse4", "avx2", "avx512" or "neon".
simd_level = wsf_active_level()
#: Every level this CPU can run (what WSFRAME_SIMD may select).
supported_levels = wsf_supported_levels()


cdef inline ptrdiff_t _find_pinned(const uint8_t *s, size_t n) noexcept:
    cdef ptrdiff_t r
    if n >= <size_t>WSF_NOGIL_THRESHOLD:
        with nogil:
            r = wsf_utf8_find_invalid(s, n)
        return r
    return wsf_utf8_find_invalid(s, n)


cdef inline ptrdiff_t _find(object data) except -2:
    cdef Py_buffer view
    cdef ptrdiff_t r
    if type(data) is bytes:  # immutable and referenced by the caller: pinned
        return _find_pinned(<const uint8_t *>PyBytes_AS_STRING(data),
                            <size_t>PyBytes_GET_SIZE(data))
    wsf_get_view(data, &view, "data")
    r = _find_pinned(<const uint8_t *>view.buf, <size_t>view.len)
    PyBuffer_Release(&view)
    return r


_utf8_error = _rules.utf8_error


cdef object _decode_error(const uint8_t *s, Py_ssize_t n, Py_ssize_t position):
    if wsf_decode_truncated(s, <size_t>n, <size_t>position):
        return _utf8_error(position, "truncated UTF-8 sequence")
    return _utf8_error(position, "invalid UTF-8")


def decode(data):
    """Return the text of the UTF-8 in ``data``: ``bytes(data).decode("utf-8")``.

    Raises:
        InvalidUTF8: ``data`` is not well-formed UTF-8; ``position`` is the
            start of the first ill-formed sequence (``UnicodeDecodeError.start``).
        TypeError: ``data`` is not a bytes-like object.
        ValueError: ``data`` is not C-contiguous.
        MemoryError: the str cannot be allocated.
    """
    cdef Py_buffer view
    cdef Py_ssize_t pos = -1
    cdef const uint8_t *s
    cdef object text, err
    if type(data) is bytes:  # immutable and referenced by the caller: pinned
        s = <const uint8_t *>PyBytes_AS_STRING(data)
        text = wsf_decode_object(s, PyBytes_GET_SIZE(data), 0, &pos)
        if text is None:
            raise _decode_error(s, PyBytes_GET_SIZE(data), pos)
        return text
    wsf_get_view(data, &view, "data")
    try:
        s = <const uint8_t *>view.buf
        # Others may write this memory meanwhile: decoded from a private copy.
        text = wsf_decode_unpinned_object(s, view.len, &pos)
        if text is None:
            err = _decode_error(s, view.len, pos)
            raise err
    finally:
        PyBuffer_Release(&view)
    return text


def find_invalid(data):
    """Return -1 if ``data`` is valid UTF-8, else where the first ill-formed sequence starts.

    The result equals ``UnicodeDecodeError.start`` of
    ``bytes(data).decode("utf-8")``; a sequence truncated by the end of the
    data counts as ill-formed at its lead byte.

    Raises:
        TypeError: ``data`` is not a bytes-like object.
        ValueError: ``data`` is not C-contiguous.
    """
    return _find(data)


def is_valid(data):
    """Return whether ``data`` is well-formed UTF-8 (RFC 3629).

    Raises:
        TypeError: ``data`` is not a bytes-like object.
        ValueError: ``data`` is not C-contiguous.
    """
    return _find(data) == -1


@cython.final
cdef class Utf8Validator:
    """Incremental, fail-fast UTF-8 validator.

    :meth:`feed` raises :class:`~wsframe.errors.InvalidUTF8` as soon as the
    bytes seen so far cannot be the beginning of valid UTF-8, even in the
    middle of a sequence.  ``position`` is the absolute offset (since creation
    or :meth:`reset`) of the start of the ill-formed sequence.  Once it has
    raised, the validator raises the same error on every call until
    :meth:`reset`.  Not thread-safe: one validator per stream.
    """

    cdef wsf_utf8_state _state
    cdef unsigned long long _consumed
    cdef object _error

    __signature__ = _signature()

    def __init__(self):
        wsf_utf8_init(&self._state)
        self._consumed = 0
        self._error = None

    @property
    def ends_on_codepoint(self):
        """True when the bytes fed so far end on a code point boundary."""
        return self._error is None and self._state.need == 0

    @property
    def offset(self):
        """Bytes accepted so far (since creation or :meth:`reset`)."""
        return self._consumed

    cdef object _fail(self, unsigned long long position, str why,
                      unsigned long long fail_index):
        self._error = _utf8_error(position, why, fail_index)
        return self._error

    def feed(self, data):
        """Validate the next piece of the stream.

        Raises:
            InvalidUTF8: the stream can no longer be valid UTF-8.
            TypeError: ``data`` is not a bytes-like object.
            ValueError: ``data`` is not C-contiguous.
        """
        cdef Py_buffer view
        cdef wsf_utf8_state st
        cdef ptrdiff_t f
        cdef size_t n
        if self._error is not None:
            raise self._error
        wsf_get_view(data, &view, "data")
        n = <size_t>view.len
        # Work on a copy so that concurrent misuse cannot tear the state.
        st = self._state
        if n >= <size_t>WSF_NOGIL_THRESHOLD:
            with nogil:
                f = wsf_utf8_stream(&st, <const uint8_t *>view.buf, n)
        else:
            f = wsf_utf8_stream(&st, <const uint8_t *>view.buf, n)
        PyBuffer_Release(&view)
        if f >= 0:
            # The ill-formed sequence began st.seen bytes before the failing
            # byte, possibly in an earlier feed().
            self._state = st
            raise self._fail(self._consumed + <unsigned long long>f - st.seen,
                             "invalid UTF-8", self._consumed + <unsigned long long>f)
        self._state = st
        self._consumed += n

    def finish(self):
        """Declare the end of the stream.

        Raises:
            InvalidUTF8: the stream ends in the middle of a sequence (or had failed).
        """
        if self._error is not None:
            raise self._error
        if self._state.need:
            raise self._fail(self._consumed - self._state.seen,
                             "truncated UTF-8 sequence", self._consumed)

    def reset(self):
        """Forget everything, errors included; positions restart at 0."""
        wsf_utf8_init(&self._state)
        self._consumed = 0
        self._error = None

    def __repr__(self):
        return (f"<Utf8Validator offset={self._consumed} "
                f"ends_on_codepoint={self.ends_on_codepoint}>")
