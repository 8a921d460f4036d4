# cython: language_level=3
"""C API of the UTF-8 -> str builder (``wsf_str.h``), for ``cimport``.

Usage from a module of this package (which must have run
``wsf_init_or_raise()`` from ``kernels.pxd`` at import, as every module does:
the transcoder's kernels are in the table it takes from ``_mask``)::

    from wsframe._speedups.decode cimport wsf_decode_object

    text = wsf_decode_object(buf, n, 1, &pos)   # validated=1: bytes known good

``wsf_decode_str(s, n, validated, &error_pos)`` (GIL held) returns a new
reference to the str of ``s[0..n)``, allocated once at its final size and
kind, or NULL: with ``error_pos >= 0`` and no exception set when ``s`` is not
well-formed UTF-8 (``error_pos`` = ``UnicodeDecodeError.start``), or with
``error_pos == -1`` and MemoryError set.  ``validated=1`` skips validation
(ill-formed input then gives an unspecified str, never a memory error).  For
``n >= WSF_NOGIL_THRESHOLD`` it releases the GIL while it works: ``s`` must be
pinned (a ``bytes`` you hold, or a ``Py_buffer`` you hold).
``wsf_decode_truncated(s, n, pos)``: is the ill-formed sequence at ``pos``
merely cut short by the end of ``s``?
"""

from cpython.ref cimport PyObject, Py_XDECREF
from libc.stdint cimport uint8_t


cdef extern from "wsf_str.h":
    PyObject *wsf_decode_str(const uint8_t *s, Py_ssize_t n, int validated,
                             Py_ssize_t *error_pos)
    PyObject *wsf_decode_str_unpinned(const uint8_t *s, Py_ssize_t n,
                                      Py_ssize_t *error_pos)
    int wsf_decode_truncated(const uint8_t *s, size_t n, size_t pos) nogil


cdef inline int _wsf_reraise() except -1:
    return -1  # the exception wsf_decode_str set propagates


cdef inline object _wsf_str_object(PyObject *r, Py_ssize_t *error_pos):
    cdef object text
    if r == NULL:
        if error_pos[0] >= 0:
            return None
        _wsf_reraise()
    text = <object>r
    Py_XDECREF(r)  # <object> took a reference of its own
    return text


cdef inline object wsf_decode_object(const uint8_t *s, Py_ssize_t n,
                                     int validated, Py_ssize_t *error_pos):
    """The str of ``s[0..n)``, or None with ``error_pos[0]`` = the offset of
    the first ill-formed sequence; raises MemoryError.  ``s`` must not change
    during the call (see ``wsf_decode_unpinned_object``)."""
    return _wsf_str_object(wsf_decode_str(s, n, validated, error_pos), error_pos)


cdef inline object wsf_decode_unpinned_object(const uint8_t *s, Py_ssize_t n,
                                              Py_ssize_t *error_pos):
    """``wsf_decode_object(s, n, 0, error_pos)`` for memory that others may
    write during the call (a caller's bytearray, memoryview, mmap): decoded
    from a private copy (``wsf_decode_str_unpinned``)."""
    return _wsf_str_object(wsf_decode_str_unpinned(s, n, error_pos), error_pos)
