# cython: language_level=3, boundscheck=False, wraparound=False
# cython: initializedcheck=False, cdivision=True
# cython: freethreading_compatible=True
# binding=False: plain builtin functions, ~15% cheaper to call than
# cyfunctions (measured on 16-byte apply_mask); signatures stay visible
# to inspect through the embedded Argument Clinic-style signature.
# cython: binding=False, embedsignature=True, embedsignature.format=clinic
"""Compiled XOR masking of WebSocket payloads (RFC 6455 §5.3).

Same API and errors as :mod:`wsframe._reference.mask`, backed by the SIMD
kernels of ``wsf_mask.h`` (SSE2 / AVX2 / AVX-512 / NEON, chosen once at import;
``simd_level`` says which).  This module owns CPU detection and the one copy
of every kernel (masking and UTF-8): ``_utf8`` and ``_frames`` take the kernel
table from ``_C_API`` at import (``wsf_dispatch.h``, ``wsf_capsule.h``).  ``bytes`` and ``bytearray`` arguments skip the
buffer protocol, which is most of the cost of a 16-byte call.  Buffers of
``WSF_NOGIL_THRESHOLD`` (64 KiB) bytes or more are masked without the GIL.

Thread safety: the functions are safe to call from any thread.  A
:class:`Masker` may be shared: each ``process()`` call atomically reserves its
range of the key stream, but then the order of the outputs is the order in
which the calls reserved, so sharing one across threads is rarely useful.
"""

cimport cython
from cpython.buffer cimport PyBUF_C_CONTIGUOUS, PyBUF_FORMAT, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.number cimport PyNumber_Index
from libc.limits cimport ULLONG_MAX
from libc.stdint cimport uint8_t
from libc.string cimport strchr

from wsframe._speedups.kernels cimport (
    WSF_FREE_THREADED,
    WSF_NOGIL_THRESHOLD,
    wsf_active_level,
    wsf_get_key,
    wsf_get_view,
    wsf_key_from_bytes,
    wsf_mask,
    wsf_phase,
    wsf_supported_levels,
)

from wsframe._api import MASK_API, SIMD_API
from wsframe._args import REQUIRED as _REQ
from wsframe._args import MaskTypeError
from wsframe._args import check_no_objects
from wsframe._args import signature as _signature

# The public names, from the one list every spelling follows.
__all__ = [*MASK_API, *SIMD_API]

cdef int _key_of(object mask, uint8_t *key) except -1:
    """The 4-byte masking key (RFC 6455 §5.3) of any buffer: kernels.pxd's
    wsf_get_key, whose TypeError for a mask that is not a buffer becomes a
    MaskTypeError (a TypeError and a ValueError, as the reference's)."""
    try:
        wsf_get_key(mask, key)
    except TypeError as exc:
        raise MaskTypeError(str(exc)) from None
    return 0


cdef extern from "wsf_dispatch.h":
    # This module owns the kernels: CPU detection, WSFRAME_SIMD and the one
    # compiled copy of every SIMD kernel, shared with _utf8 and _frames.
    ctypedef struct wsf_kernels_api:
        pass
    wsf_kernels_api wsf_api
    int wsf_kernels_init()

cdef extern from "wsf_capsule.h":
    object wsf_kernels_capsule(const wsf_kernels_api *api)

if wsf_kernels_init() < 0:
    raise ImportError(
        "WSFRAME_SIMD must be one of auto, scalar, sse2, sse4, avx2, "
        "avx512, neon (a level above what this CPU supports is clamped)"
    )
#: The kernel table of the active level, for the other compiled modules.
_C_API = wsf_kernels_capsule(&wsf_api)

#: The kernel level in use: "scalar", "sse2", "sse4", "avx2", "avx512" or "neon".
simd_level = wsf_active_level()
#: Every level this CPU can run (what WSFRAME_SIMD may select).
supported_levels = wsf_supported_levels()


cdef inline void _mask_pinned(uint8_t *dst, const uint8_t *src, size_t n,
                              const uint8_t *key, size_t phase) noexcept:
    """Mask memory that cannot move or be freed meanwhile (bytes or a held
    Py_buffer); large inputs release the GIL."""
    if n >= <size_t>WSF_NOGIL_THRESHOLD:
        with nogil:
            wsf_mask(dst, src, n, key, phase)
    else:
        wsf_mask(dst, src, n, key, phase)


def apply_mask(data, mask, offset=0):
    """Return ``data`` XOR-ed with the 4-byte ``mask``, starting at phase ``offset % 4``.

    Args:
        data: any C-contiguous buffer (bytes, bytearray, memoryview, array, ...),
            taken as its raw bytes.
        mask: any 4-byte buffer, the masking key.
        offset: how many bytes of the payload precede ``data``.

    Returns:
        bytes: the masked (or unmasked: the operation is its own inverse) data.

    Raises:
        TypeError: ``data`` or ``mask`` is not a buffer, ``offset`` not an int.
        ValueError: ``mask`` is not 4 bytes, or ``data`` is not C-contiguous.
    """
    cdef uint8_t key[4]
    cdef size_t phase, n
    cdef Py_buffer view
    cdef bytes out
    if not wsf_key_from_bytes(mask, key):  # inline: the usual 4-byte bytes key
        _key_of(mask, key)
    phase = wsf_phase(offset)
    if type(data) is bytes:
        n = <size_t>PyBytes_GET_SIZE(data)
        out = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>n)
        _mask_pinned(<uint8_t *>PyBytes_AS_STRING(out),
                     <const uint8_t *>PyBytes_AS_STRING(data), n, key, phase)
        return out
    if not WSF_FREE_THREADED and type(data) is bytearray:
        n = <size_t>PyByteArray_GET_SIZE(data)
        if n < <size_t>WSF_NOGIL_THRESHOLD:
            # The GIL stays held and nothing here runs Python code, so the
            # bytearray cannot be resized under us.
            out = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>n)
            wsf_mask(<uint8_t *>PyBytes_AS_STRING(out),
                     <const uint8_t *>PyByteArray_AS_STRING(data), n, key, phase)
            return out
    wsf_get_view(data, &view, "data")
    try:
        out = PyBytes_FromStringAndSize(NULL, view.len)
        _mask_pinned(<uint8_t *>PyBytes_AS_STRING(out), <const uint8_t *>view.buf,
                     <size_t>view.len, key, phase)
    finally:
        PyBuffer_Release(&view)
    return out


def apply_mask_inplace(buffer, mask, offset=0):
    """XOR the writable ``buffer`` with ``mask`` in place, starting at phase ``offset % 4``.

    Args:
        buffer: a writable C-contiguous buffer (bytearray, memoryview, array, ...).
        mask: any 4-byte buffer, the masking key.
        offset: how many bytes of the payload precede ``buffer``.

    Raises:
        TypeError: ``buffer`` is read-only, not a buffer, or a buffer of Python
            object references (item format ``O``); ``mask`` not a buffer;
            ``offset`` not an int.
        ValueError: ``mask`` is not 4 bytes, or ``buffer`` is not C-contiguous.
    """
    cdef uint8_t key[4]
    cdef size_t phase, n
    cdef uint8_t *p
    cdef Py_buffer view
    if not wsf_key_from_bytes(mask, key):  # inline: the usual 4-byte bytes key
        _key_of(mask, key)
    phase = wsf_phase(offset)
    if not WSF_FREE_THREADED and type(buffer) is bytearray:
        n = <size_t>PyByteArray_GET_SIZE(buffer)
        if n < <size_t>WSF_NOGIL_THRESHOLD:
            p = <uint8_t *>PyByteArray_AS_STRING(buffer)
            wsf_mask(p, p, n, key, phase)
            return None
    _writable_view(buffer, &view)
    try:
        if view.readonly:
            raise TypeError("buffer must be writable (got a read-only buffer)")
        if view.format != NULL and strchr(view.format, b'O') != NULL:
            # the one rule, _args.check_no_objects (a field name may hold an O)
            check_no_objects(view.format.decode("ascii", "replace"), "buffer")
        _mask_pinned(<uint8_t *>view.buf, <const uint8_t *>view.buf,
                     <size_t>view.len, key, phase)
    finally:
        PyBuffer_Release(&view)
    return None


cdef int _writable_view(object buffer, Py_buffer *view) except -1:
    """wsf_get_view with the item format, which apply_mask_inplace checks."""
    if isinstance(buffer, str):
        return wsf_get_view(buffer, view, "buffer")  # its TypeError
    try:
        PyObject_GetBuffer(buffer, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT)
    except Exception:
        # the reference's error, or a view from an exporter that cannot
        # describe its format (raw bytes then)
        wsf_get_view(buffer, view, "buffer")
    return 0


@cython.final
# No GC tracking: the only object field holds an exact int (PyNumber_Index
# returns one), which cannot form a reference cycle.
@cython.no_gc
cdef class Masker:
    """Stateful masker: :meth:`process` continues the key phase across calls.

    ``offset`` counts the bytes processed since creation or the last
    :meth:`reset`; the phase of the next byte is ``offset % 4``.

    Args:
        mask: any 4-byte buffer, the masking key.

    Raises:
        TypeError: ``mask`` is not a buffer.
        ValueError: ``mask`` is not 4 bytes long.
    """

    cdef uint8_t _key[4]
    # offset = _base + _count, exactly, for any int (DESIGN: "any int, huge or
    # negative").  The common case, 0 <= offset < 2**64, lives in the unsigned
    # _count alone (_base is None): process() only adds to it in C, and
    # unsigned arithmetic has no undefined overflow.  Outside that range the
    # Python int _base holds the value set, and _count counts on from it.
    # 2**64 is a multiple of 4, so the phase (_base_phase + _count) & 3 stays
    # right whatever the counter does.
    cdef unsigned long long _count
    cdef object _base           # None or an int outside [0, 2**64)
    cdef size_t _base_phase     # _base % 4 (0 when _base is None)

    __signature__ = _signature(("mask", _REQ, False))

    def __init__(self, mask):
        _key_of(mask, self._key)
        self._count = 0
        self._base = None
        self._base_phase = 0

    @property
    def mask(self):
        """The 4-byte masking key."""
        return PyBytes_FromStringAndSize(<char *>self._key, 4)

    @property
    def offset(self):
        """Bytes processed since creation or :meth:`reset` (any int may be set)."""
        with cython.critical_section(self):
            if self._base is None:
                return self._count
            return self._base + self._count

    @offset.setter
    def offset(self, value):
        value = PyNumber_Index(value)  # TypeError for a non-integer, at once
        with cython.critical_section(self):
            if 0 <= value <= ULLONG_MAX:
                self._count = value
                self._base = None
                self._base_phase = 0
            else:
                self._count = 0
                self._base = value
                self._base_phase = <size_t>(value & 3)  # Python's % 4, also < 0

    cdef int _fold(self) except -1:
        """Move _count into _base before it would wrap (after 2**64 bytes)."""
        self._base = (0 if self._base is None else self._base) + self._count
        self._base_phase = <size_t>(self._base & 3)
        self._count = 0
        return 0

    def process(self, data):
        """Return ``data`` masked at the current phase and advance :attr:`offset`.

        Raises:
            TypeError: ``data`` is not a bytes-like object.
            ValueError: ``data`` is not C-contiguous.
        """
        cdef Py_buffer view
        cdef bytes out
        cdef size_t phase
        cdef unsigned long long n
        wsf_get_view(data, &view, "data")
        try:
            out = PyBytes_FromStringAndSize(NULL, view.len)
            n = <unsigned long long>view.len
            with cython.critical_section(self):
                if n > ULLONG_MAX - self._count:
                    self._fold()
                phase = <size_t>((self._base_phase + self._count) & 3)
                self._count += n
            _mask_pinned(<uint8_t *>PyBytes_AS_STRING(out), <const uint8_t *>view.buf,
                         <size_t>view.len, self._key, phase)
        finally:
            PyBuffer_Release(&view)
        return out

    def reset(self):
        """Start again at phase 0 (offset 0)."""
        with cython.critical_section(self):
            self._count = 0
            self._base = None
            self._base_phase = 0

    def __repr__(self):
        return f"<Masker offset={self.offset}>"

