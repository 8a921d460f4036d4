# cython: language_level=3
"""C API of the wsframe kernels, for ``cimport`` from the Cython modules.

Usage from a module in this package::

    from wsframe._speedups.kernels cimport *

    wsf_init_or_raise()   # once, at module import: take _mask's kernel table

Everything here is declared ``nogil``; the C side lives in the headers
``wsf_cpu.h`` (CPU detection, ``WSFRAME_SIMD``), ``wsf_mask.h`` (RFC 6455
§5.3 masking), ``wsf_utf8.h`` (UTF-8 validation, streaming and fused with
unmasking) and ``wsf_python.h`` (``WSF_NOGIL_THRESHOLD`` and the helpers
that need ``Python.h``).  The vector kernels themselves are compiled once, into
``_mask`` (``wsf_dispatch.h``), which owns CPU detection and exports the
kernel table of the active level as the capsule ``_mask._C_API``;
:func:`wsf_init_or_raise` imports it (``wsf_capsule.h``) and sets this
module's ``wsf_level`` to the owner's.  Every module except ``_mask`` must
call it at import, before any kernel.  Short inputs never reach the table:
their scalar paths are inlined into the caller.

Kernel contract (details in the headers):

- ``wsf_mask(dst, src, n, key, phase)``: ``dst[i] = src[i] ^ key[(phase+i)%4]``;
  ``dst == src`` or disjoint; touches nothing outside ``[0, n)``.
- ``wsf_utf8_stream(&st, s, n)``: -1, or the index in ``s`` of the byte that
  makes the stream impossible; the ill-formed sequence then starts
  ``st.seen`` bytes earlier (``abs = consumed_before_s + index - st.seen``).
  ``wsf_utf8_pending(&st)`` is the length of an unfinished sequence at the
  end (0 = ends on a code point); a stream that stops there is ill-formed at
  ``consumed - st.seen``.  Re-init the state after a failure.
- ``wsf_utf8_find_invalid(s, n)``: -1 or ``UnicodeDecodeError.start``.
- ``wsf_unmask_utf8_stream(&st, dst, src, n, key, phase)``: unmask + stream
  validate in one pass over memory; same return value as ``wsf_utf8_stream``.

Release the GIL (``with nogil:``) only when ``n >= WSF_NOGIL_THRESHOLD`` and
the memory is pinned (an immutable ``bytes`` you hold a reference to, or a
``Py_buffer`` you hold): below it the release/re-acquire costs more than it
lets other threads gain.
"""

from libc.stddef cimport ptrdiff_t
from libc.stdint cimport uint8_t
from libc.string cimport memcpy
from cpython.buffer cimport PyBUF_C_CONTIGUOUS, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.number cimport PyNumber_Index


cdef extern from "wsf_utf8.h" nogil:
    enum:
        WSF_SCALAR
        WSF_SSE2
        WSF_SSE4
        WSF_AVX2
        WSF_AVX512
        WSF_NEON
        WSF_MASK_SMALL
        WSF_FUSED_BLOCK

    int wsf_level          # active level (after WSFRAME_SIMD)
    int wsf_cpu_best       # best level the CPU supports
    const char *wsf_level_name(int level)
    int wsf_level_supported(int level)

    void wsf_mask(uint8_t *dst, const uint8_t *src, size_t length,
                  const uint8_t *key, size_t phase)

    ctypedef struct wsf_utf8_state:
        uint8_t need   # continuation bytes still needed (0..3)
        uint8_t seen   # bytes of the pending sequence already accepted
        uint8_t lo     # allowed range of the next byte while need > 0
        uint8_t hi

    void wsf_utf8_init(wsf_utf8_state *st)
    int wsf_utf8_pending(const wsf_utf8_state *st)
    ptrdiff_t wsf_utf8_stream(wsf_utf8_state *st, const uint8_t *s, size_t length)
    ptrdiff_t wsf_utf8_find_invalid(const uint8_t *s, size_t length)
    int wsf_utf8_vectorised()
    ptrdiff_t wsf_unmask_utf8_stream(wsf_utf8_state *st, uint8_t *dst,
                                     const uint8_t *src, size_t length,
                                     const uint8_t *key, size_t phase)


cdef extern from "wsf_capsule.h":
    # Import _mask's kernel table and level (ImportError when it cannot).
    int wsf_kernels_import() except -1


cdef extern from "wsf_python.h":
    # Release the GIL around a kernel only from this many bytes on.
    const Py_ssize_t WSF_NOGIL_THRESHOLD
    bint wsf_key_from_bytes(object mask, uint8_t *key) noexcept
    const int WSF_FREE_THREADED


cdef inline int wsf_init_or_raise() except -1:
    """Take the kernels of ``_mask`` (which detects the CPU once per process).

    Raises:
        ImportError: ``_mask`` cannot be imported (an unknown ``WSFRAME_SIMD``
            included) or was built from other kernel headers.
    """
    wsf_kernels_import()
    return 0


cdef inline str wsf_active_level():
    return wsf_level_name(wsf_level).decode("ascii")


cdef inline tuple wsf_supported_levels():
    cdef int level
    cdef list names = []
    for level in range(WSF_NEON + 1):
        if wsf_level_supported(level):
            names.append(wsf_level_name(level).decode("ascii"))
    return tuple(names)


cdef inline int wsf_get_view(object obj, Py_buffer *view, str what) except -1:
    """Get a C-contiguous byte view of ``obj`` (any item format).

    Raises the reference's errors: TypeError for a non-buffer (``str``
    included), ValueError for a non-contiguous buffer.  The caller must
    ``PyBuffer_Release(view)``.
    """
    if isinstance(obj, str):
        raise TypeError(f"{what} must be a bytes-like object, not str")
    try:
        PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS)
    except Exception:
        try:
            mv = memoryview(obj)
        except TypeError:
            raise TypeError(
                f"{what} must be a bytes-like object, not {type(obj).__name__}"
            ) from None
        if not mv.c_contiguous:
            mv.release()
            raise ValueError(f"{what} must be a C-contiguous buffer") from None
        mv.release()
        raise
    return 0


cdef inline int wsf_get_key(object mask, uint8_t *key) except -1:
    """Copy the 4-byte masking key (RFC 6455 §5.3) from any buffer.

    Raises: TypeError (not a buffer), ValueError (not 4 bytes long).
    """
    if wsf_key_from_bytes(mask, key):
        return 0
    return _wsf_get_key_buffer(mask, key)


cdef inline int _wsf_get_key_buffer(object mask, uint8_t *key) except -1:
    cdef Py_buffer view
    wsf_get_view(mask, &view, "mask")
    try:
        if view.len != 4:
            raise ValueError(f"mask must be 4 bytes long, got {view.len}")
        memcpy(key, view.buf, 4)
    finally:
        PyBuffer_Release(&view)
    return 0


cdef inline size_t wsf_phase(object offset) except 4:
    """``operator.index(offset) % 4`` (TypeError for a non-integer)."""
    cdef int overflow = 0
    cdef long long value
    if type(offset) is not int:
        offset = PyNumber_Index(offset)
    value = PyLong_AsLongLongAndOverflow(offset, &overflow)
    if overflow:
        return <size_t>(offset & 3)
    return <size_t>(value & 3)  # two's complement: equals Python's % 4
