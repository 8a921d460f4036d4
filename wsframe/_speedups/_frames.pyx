# cython: language_level=3
# cython: boundscheck=False, wraparound=False, cdivision=True
# cython: freethreading_compatible=True
"""Compiled WebSocket framing (RFC 6455 §5, §7.4; RFC 7692 §6).

Same names and semantics as :mod:`wsframe._reference.frames`, which is the
executable specification: every result, exception type, close code, message
and position must agree with it (tests/test_frames_differential.py checks).

What is compiled here, and why:

- :class:`Frame` and :class:`FrameHeader` are C-level types (cheap to create,
  readonly attributes, value equality and hashing like the reference's frozen
  dataclasses).  A ``Frame`` is 32 bytes and not tracked by the cyclic GC:
  it holds its payload and the opcode and flags as C bytes, normalized on
  construction exactly as the reference's ``__post_init__`` does.
- :func:`parse_header` and the :class:`FrameDecoder` state machine parse
  headers from a C pointer.  A payload that is complete in the input is
  unmasked straight from the input into its new ``bytes`` object; for an
  uncompressed text frame unmasking and UTF-8 validation are one fused pass
  (``wsf_unmask_utf8_stream`` from wsf_utf8.h).
- :func:`encode_frame` makes one allocation and writes the header and the
  masked payload in one pass.

- :class:`Message` is a C-level type too, and :class:`MessageAssembler`
  validates text with the streaming UTF-8 kernel.

Constants, enums, policies and error wording come from :mod:`wsframe._rules`,
the one home both backends share (this module never imports the reference);
the policies become lookup tables at import (close codes, opcodes,
fragmentation order), so ``frame.opcode is Opcode.TEXT`` holds whichever
backend produced the frame and a rule changed there changes here.

Thread safety: a :class:`FrameDecoder` (and a :class:`MessageAssembler`) belongs to one connection and is not
meant to be shared, but sharing it cannot crash the interpreter: its methods
run in a per-object critical section (free-threaded builds), and while a large
payload is unmasked with the GIL released the decoder is marked busy, so a
concurrent ``feed()`` or iteration raises RuntimeError instead of touching the
buffers.  Frames, headers and the functions are immutable / stateless.
"""

cimport cython
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytes cimport (
    PyBytes_AS_STRING,
    PyBytes_FromStringAndSize,
    PyBytes_GET_SIZE,
)
from cpython.long cimport PyLong_AsLongAndOverflow, PyLong_AsLongLongAndOverflow
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.object cimport PyObject
from cpython.unicode cimport PyUnicode_DecodeUTF8
from libc.stdint cimport uint8_t, uint64_t
from libc.string cimport memcpy, memmove, memset

from operator import index as _index

import os as _os

from wsframe import _rules
from wsframe._rules import byte_view as _byte_view
from wsframe._rules import mask_key as _mask_key
from wsframe.errors import PayloadTooBig, ProtocolError


cdef extern from "Python.h":
    void PyObject_GC_UnTrack(void *op)


from wsframe._speedups.kernels cimport (
    WSF_NOGIL_THRESHOLD,
    wsf_active_level,
    wsf_init_or_raise,
    wsf_mask,
    wsf_unmask_utf8_stream,
    wsf_utf8_find_invalid,
    wsf_utf8_init,
    wsf_utf8_state,
    wsf_utf8_stream,
)


# The public names, from the one list both backends follow.
__all__ = list(_rules.FRAMES_API)

# The runtime-dispatched kernels of this module use the level picked here
# (WSFRAME_SIMD may force a lower one for tests; see wsf_cpu.h).
wsf_init_or_raise()
#: The SIMD level the kernels of this module use (as _mask.simd_level).
simd_level = wsf_active_level()

Opcode = _rules.Opcode
CloseCode = _rules.CloseCode
is_valid_close_code = _rules.is_valid_close_code
parse_close = _rules.parse_close
encode_close = _rules.encode_close
DEFAULT_MAX_SIZE = _rules.DEFAULT_MAX_SIZE

_OPCODES = _rules.OPCODES
_TEXT = Opcode.TEXT

# Opcode value -> Opcode member (NULL: reserved, RFC 6455 §5.2).  The members
# stay alive in the enum; _OPCODE_KEEP holds a reference anyway.
cdef PyObject *_OPC[16]
_OPCODE_KEEP = tuple(Opcode)


cdef void _init_opcode_table():
    cdef int i
    for i in range(16):
        _OPC[i] = NULL
    for member in _OPCODE_KEEP:
        _OPC[<int>member] = <PyObject *>member


_init_opcode_table()

# _rules.is_valid_close_code as a table: codes 0.._CLOSE_CODES-1 (every code
# the policy accepts is below it; the 16-bit codes above are all refused).
cdef enum:
    _CLOSE_CODES = 5000
cdef uint8_t _CLOSE_OK[_CLOSE_CODES]
# _rules.fragmentation_error as a table: [in_message][opcode] -> 1 if an error.
cdef uint8_t _FRAG_ERR[2][16]


cdef void _init_policy_tables():
    cdef int code, op, inside
    for code in range(_CLOSE_CODES):
        _CLOSE_OK[code] = 1 if is_valid_close_code(code) else 0
    for inside in range(2):
        for op in range(16):
            _FRAG_ERR[inside][op] = (
                1 if op < 8 and _OPC[op] != NULL
                and _rules.fragmentation_error(op, inside == 1) is not None else 0
            )


_init_policy_tables()

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

# Bit i set: opcode i is defined (0, 1, 2, 8, 9, 10; RFC 6455 §5.2, §11.8).
cdef enum:
    _DEFINED_OPCODES = 0x0707


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
    # RFC 6455 §5.2: reserved opcodes fail the connection (1002).
    if not ((_DEFINED_OPCODES >> op) & 1):
        h.err = _E_OPCODE
        return _H_ERR
    # RFC 6455 §5.5: control frames MUST NOT be fragmented.
    if op >= 8 and not h.fin:
        h.err = _E_CTRL_FIN
        return _H_ERR
    if avail < 2:
        return _H_NEED
    b1 = p[1]
    h.masked = b1 >> 7
    h.len7 = b1 & 0x7F
    # RFC 6455 §5.5: control frame payloads are at most 125 bytes.
    if op >= 8 and h.len7 > 125:
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


cdef inline object _opname(int op):
    return (<object>_OPC[op]).name


cdef object _header_error(_Hdr *h):
    """The ProtocolError (1002) for a failed _parse_hdr."""
    cdef int err = h.err
    if err == _E_OPCODE:
        return _rules.reserved_opcode(h.opcode)
    if err == _E_CTRL_FIN:
        return _rules.fragmented_control(h.opcode)
    if err == _E_CTRL_LEN:
        return _rules.control_too_long(h.opcode, h.len7)
    if err == _E_NONMIN16:
        return _rules.non_minimal_length(16)
    if err == _E_NONMIN64:
        return _rules.non_minimal_length(64)
    return _rules.length_msb()


cdef inline object _flag(int value):
    return True if value else False


# ---------------------------------------------------------------------------
# Frame and FrameHeader: C-level value types


cdef class _Record:
    """Shared behaviour of the immutable value types below, as the reference's
    frozen dataclasses: positional fields named by ``__match_args__``, value
    equality and hashing, repr, pickling and ``copy.replace``."""

    __match_args__ = ()

    def _fields(self):
        return ()

    def __repr__(self):
        inner = ", ".join(
            f"{name}={value!r}" for name, value in zip(self.__match_args__, self._fields())
        )
        return f"{type(self).__qualname__}({inner})"

    def __eq__(self, other):
        if other.__class__ is self.__class__:
            return self._fields() == other._fields()
        return NotImplemented

    def __hash__(self):
        return hash(self._fields())

    def __reduce__(self):
        return (type(self), self._fields())

    def __replace__(self, **changes):
        """A copy with some fields changed (``copy.replace``, as dataclasses)."""
        fields = dict(zip(self.__match_args__, self._fields()))
        fields.update(changes)
        return type(self)(**fields)


cdef class FrameHeader(_Record):
    """A parsed frame header (RFC 6455 §5.2).

    ``length`` is the payload length; ``mask`` the 4-byte masking key or None;
    ``header_size`` the number of bytes the header occupies (2 to 14).
    Immutable; compares and hashes by value.
    """

    cdef readonly object fin
    cdef readonly object rsv1
    cdef readonly object rsv2
    cdef readonly object rsv3
    cdef readonly object opcode
    cdef readonly object masked
    cdef readonly object length
    cdef readonly object mask
    cdef readonly object header_size

    __match_args__ = (
        "fin", "rsv1", "rsv2", "rsv3", "opcode", "masked", "length", "mask", "header_size"
    )

    def __init__(self, fin, rsv1, rsv2, rsv3, opcode, masked, length, mask, header_size):
        self.fin = fin
        self.rsv1 = rsv1
        self.rsv2 = rsv2
        self.rsv3 = rsv3
        self.opcode = opcode
        self.masked = masked
        self.length = length
        self.mask = mask
        self.header_size = header_size

    @property
    def rsv(self):
        """The RSV bits as a 3-bit number: 4 = RSV1, 2 = RSV2, 1 = RSV3."""
        return self.rsv1 << 2 | self.rsv2 << 1 | self.rsv3

    def _fields(self):
        return (self.fin, self.rsv1, self.rsv2, self.rsv3, self.opcode, self.masked,
                self.length, self.mask, self.header_size)


cdef class Frame(_Record):
    """A complete frame: ``payload`` is unmasked (RFC 6455 §5.2, §5.3).

    ``Frame(opcode, payload, fin=True, rsv1=False, rsv2=False, rsv3=False)``,
    as the reference's dataclass, normalizing its arguments as it does:
    ``opcode`` to the Opcode member, ``payload`` to bytes, flags to bool.
    Immutable; compares and hashes by value.
    """

    # 32 bytes an instance: the payload and five bytes of header fields.  Its
    # only object field is exact bytes, so the type is not GC-tracked (it can
    # never be part of a reference cycle).  The decoder creates one per
    # frame; the size is most of what a batch of small frames costs beyond
    # the payloads.
    cdef readonly bytes payload
    cdef uint8_t _op
    cdef uint8_t _fin
    cdef uint8_t _rsv1
    cdef uint8_t _rsv2
    cdef uint8_t _rsv3
    # Set by FrameDecoder on a text frame whose payload it validated as part
    # of its message (RFC 6455 §8.1): MessageAssembler does not scan it again.
    # Not part of the value (equality, hash, repr), as in the reference.
    cdef uint8_t _text_ok

    __match_args__ = ("opcode", "payload", "fin", "rsv1", "rsv2", "rsv3")

    def __cinit__(self):
        # Frame.__new__(Frame) without __init__ must still be a usable frame
        # (an empty CONTINUATION), never one whose payload is NULL.
        self.payload = b""

    def __init__(self, opcode, payload, fin=True, rsv1=False, rsv2=False, rsv3=False):
        cdef int op = _plain_opcode(opcode)
        if op < 0:
            # Reserved, or not an exact int: the reference's conversion and
            # its ValueError or TypeError.
            op = _rules.defined_opcode(opcode)
        self._op = <uint8_t>op
        self.payload = <bytes>payload if type(payload) is bytes else _bytes(
            _byte_view(payload, "payload")
        )
        self._fin = 1 if fin else 0
        self._rsv1 = 1 if rsv1 else 0
        self._rsv2 = 1 if rsv2 else 0
        self._rsv3 = 1 if rsv3 else 0
        self._text_ok = 0

    @property
    def opcode(self):
        return <object>_OPC[self._op]

    @property
    def _text_valid(self):
        return True if self._text_ok else False

    @property
    def fin(self):
        return True if self._fin else False

    @property
    def rsv1(self):
        return True if self._rsv1 else False

    @property
    def rsv2(self):
        return True if self._rsv2 else False

    @property
    def rsv3(self):
        return True if self._rsv3 else False

    def _fields(self):
        return (self.opcode, self.payload, self.fin, self.rsv1, self.rsv2, self.rsv3)


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


cdef class FrameDecoder:
    """Streaming frame decoder enforcing RFC 6455 §5 for one side of a connection.

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
    cdef bint _validate
    cdef bint _has_limit
    cdef bint _limit_generic    # not an int: compared in Python, as the reference
    cdef uint64_t _limit
    cdef bint _rsv_generic
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

    def __cinit__(self):
        # FrameDecoder.__new__(FrameDecoder) without __init__ must still be a
        # working decoder with the default options, never a half-built one.
        self._client_obj = False
        self._validate_obj = True
        self._validate = True
        self._max_obj = DEFAULT_MAX_SIZE
        self._has_limit = True
        self._limit = DEFAULT_MAX_SIZE
        self._rsv_obj = 0
        wsf_utf8_init(&self._st)

    def __init__(self, *, client=False, max_frame_size=DEFAULT_MAX_SIZE, rsv_allowed=0,
                 validate_utf8=True):
        _rules.check_limit(max_frame_size, "max_frame_size")
        _rules.check_rsv_allowed(rsv_allowed)
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
        cdef int overflow = 0
        cdef long long limit
        self._has_limit = value is not None
        self._limit_generic = False
        self._limit = 0
        if value is not None:
            if isinstance(value, int) and value >= 0:
                limit = PyLong_AsLongLongAndOverflow(value, &overflow)
                # Lengths are below 2**63: a larger limit is no limit.
                self._limit = <uint64_t>-1 if overflow else <uint64_t>limit
            else:
                self._limit_generic = True
        self._max_obj = value

    @property
    def rsv_allowed(self):
        return self._rsv_obj

    @rsv_allowed.setter
    def rsv_allowed(self, value):
        if isinstance(value, int):
            self._rsv_allowed = value & 7
            self._rsv_generic = False
        else:
            self._rsv_generic = True
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

    def feed(self, data):
        """Append ``data`` and return an iterator over the frames now complete.

        Raises:
            ProtocolError: immediately, if an earlier call raised one; else
                from the iterator, at the first invalid input.
            TypeError: ``data`` is not a bytes-like object.
        """
        cdef Py_buffer view
        cdef Py_ssize_t n
        cdef _FrameIterator it
        with cython.critical_section(self):
            if self._error is not None:
                raise self._error
            if self._busy:
                raise RuntimeError("FrameDecoder used concurrently from several threads")
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
            it = _FrameIterator.__new__(_FrameIterator)
            it._decoder = self
            return it

    # -- errors ----------------------------------------------------------------

    cdef int _fail(self, exc) except -1:
        """Record a ProtocolError (every later feed() raises it), drop the
        input and raise it."""
        self._error = exc
        self._free_input()
        self._partial = None
        self._partial_cap = 0
        raise exc

    cdef int _check_rsv_generic(self, int b0, int op) except -1:
        # The reference's arithmetic on a non-int rsv_allowed, reproduced.
        unexpected = ((b0 >> 4) & 0x07) & ~self._rsv_obj
        if unexpected:
            self._fail(_rules.reserved_bits(unexpected))
        return 0

    cdef int _check_start(self, _Hdr *h, bint have_b1) except -1:
        """The checks that depend on the role, the extensions and the message
        state, in the reference's order, on what the header bytes show."""
        cdef int op = h.opcode
        cdef int unexpected
        # RFC 6455 §5.2: RSV bits no negotiated extension defines fail (1002).
        if self._rsv_generic:
            self._check_rsv_generic(h.b0, op)
        else:
            unexpected = h.rsv & ~self._rsv_allowed & 7
            if unexpected:
                self._fail(_rules.reserved_bits(unexpected))
        # RFC 7692 §6.1: RSV1 only on the first frame of a data message.
        if h.rsv & 4 and (op == 0 or op >= 8):
            self._fail(_rules.rsv1_not_first(op))
        # RFC 6455 §5.1: clients mask, servers do not.
        if have_b1 and h.masked == self._client:
            self._fail(_rules.mask_bit_error(self._client))
        # RFC 6455 §5.4: fragmentation order (the table of _rules.fragmentation_error).
        if _FRAG_ERR[self._in_message][op]:
            self._fail(_rules.fragmentation_error(op, self._in_message))
        # max_frame_size, on the declared length (RFC 6455 §7.4.1: 1009).
        if h.length_known and self._has_limit:
            if self._limit_generic:
                if h.length > self._max_obj:
                    self._fail(_rules.frame_too_big(h.length, self._max_obj))
            elif h.length > self._limit:
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

    cdef object _step(self):
        """Return the next complete frame, or None when more input is needed."""
        cdef const uint8_t *p
        cdef Py_ssize_t avail
        cdef int r
        cdef bytes payload
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
                # The whole payload is here: straight into its bytes object.
                payload = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>self._h.length)
                if self._h.length:
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
                return self._finish(payload)
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
        return self._finish(payload)

    cdef object _finish(self, bytes payload):
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
        return frame


@cython.final
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
        with cython.critical_section(decoder):
            if decoder._error is not None:
                raise decoder._error
            if decoder._busy:
                raise RuntimeError("FrameDecoder used concurrently from several threads")
            frame = decoder._step()
        if frame is None:
            raise StopIteration
        self._done = False
        return frame


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


cdef int _MAX_CONTROL = _rules.MAX_CONTROL_PAYLOAD


cdef int _check_encode(object opcode, int op, object length, long long n, bint fin) except -1:
    """_rules.check_encode's rule on plain C arguments; when it fails, the
    error is _rules.check_encode's own (RFC 6455 §5.2, §5.5)."""
    if op < 0 or n < 0 or (op >= 8 and (n > _MAX_CONTROL or not fin)):
        _rules.check_encode(opcode, length, fin)
    return 0


cdef int _opcode_value(object opcode) except -2:
    """The opcode's value, -1 when reserved (_check_encode reports it); an
    argument of another type is converted (or refused) by _rules.defined_opcode."""
    cdef int op = _plain_opcode(opcode)
    if op == -3:
        op = <int>_rules.defined_opcode(opcode)
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
# The pool of _rules.new_mask, kept in C: the same rules (see the comment
# there), without a Python-level lock.  Taking a key is a handful of C
# statements with the GIL held, or inside a critical section on _KEY_POOL_LOCK
# on free-threaded builds, so no two threads take the same bytes.  Bytes are
# wiped as they are served; a forked child drops the pool.

cdef enum:
    _KEY_POOL = 4096   # bytes per os.urandom() call: 1024 keys

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
    return _rules.fragment_message(
        encode_frame, opcode, payload, fragment_size=fragment_size, masked=masked,
        deflater=deflater, mask_source=new_mask,
    )


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
    cdef int b0, op, hs_full, hs_last
    cdef bytes out
    cdef uint8_t *dst
    cdef uint8_t key[4]
    cdef const uint8_t *src
    plan_op, data, compressed, step_obj = _rules.plan_message(
        opcode, payload, fragment_size=fragment_size, deflater=deflater
    )
    op = <int>plan_op
    if type(data) is not bytes:
        data = _byte_view(data, "payload")
    PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)
    try:
        n = view.len
        _check_encode(plan_op, op, n, n, True)
        step = <Py_ssize_t>step_obj
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


# ---------------------------------------------------------------------------
# Messages (RFC 6455 §5.4)

_bytes = bytes  # called as a Python object: bytes(x) exactly as the reference


cdef class Message(_Record):
    """A complete message, or a control frame.

    ``data`` is a str for a text message (unless ``decode_text=False``), bytes
    otherwise; ``compressed`` is true for a per-message-compressed message
    (RFC 7692), whose ``data`` is the still-deflated bytes.  Immutable;
    compares and hashes by value (as the reference's frozen dataclass).
    """

    cdef readonly object opcode
    cdef readonly object data
    cdef readonly object compressed

    __match_args__ = ("opcode", "data", "compressed")

    def __init__(self, opcode, data, compressed=False):
        self.opcode = opcode
        self.data = data
        self.compressed = compressed

    def _fields(self):
        return (self.opcode, self.data, self.compressed)


cdef Message _message(object opcode, object data, object compressed):
    cdef Message message = Message.__new__(Message)
    message.opcode = opcode
    message.data = data
    message.compressed = compressed
    if compressed is True or compressed is False:
        # An Opcode member, a str or bytes and a bool: never part of a
        # reference cycle, so kept out of the cyclic GC (see Frame).
        PyObject_GC_UnTrack(<void *>message)
    return message


cdef class MessageAssembler:
    """Reassembles data frames into messages (RFC 6455 §5.4).

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
    cdef bint _limit_generic        # not an int: compared in Python
    cdef uint64_t _limit
    cdef public object decode_text
    cdef public object inflater
    cdef object _opcode             # the message's Opcode member, or None
    cdef object _compressed         # RSV1 of its first frame, as given
    cdef list _chunks
    cdef uint64_t _size             # wire bytes of the message so far
    cdef uint64_t _inflated         # inflated bytes of the message so far
    cdef wsf_utf8_state _st         # RFC 6455 §8.1, across fragments
    cdef uint64_t _consumed
    cdef bint _prevalidated         # every frame so far came validated

    def __cinit__(self):
        # MessageAssembler.__new__ without __init__: a working assembler with
        # the default options.
        self.max_message_size = DEFAULT_MAX_SIZE
        self.decode_text = True
        self._chunks = []
        wsf_utf8_init(&self._st)

    def __init__(self, max_message_size=DEFAULT_MAX_SIZE, decode_text=True, *, inflater=None):
        _rules.check_limit(max_message_size, "max_message_size")
        self.max_message_size = max_message_size
        self.decode_text = decode_text
        self.inflater = inflater
        self._forget()

    @property
    def max_message_size(self):
        return self._max_obj

    @max_message_size.setter
    def max_message_size(self, value):
        # Converted once here, not on every add().
        cdef int overflow = 0
        cdef long long limit
        self._has_limit = value is not None
        self._limit_generic = False
        self._limit = 0
        if value is not None:
            if type(value) is int and value >= 0:
                limit = PyLong_AsLongLongAndOverflow(value, &overflow)
                self._limit = <uint64_t>-1 if overflow else <uint64_t>limit
            else:
                self._limit_generic = True
        self._max_obj = value

    @property
    def in_message(self):
        """True while a fragmented message is incomplete."""
        return self._opcode is not None

    cdef inline bint _over(self, uint64_t size) except -1:
        if not self._has_limit:
            return False
        if self._limit_generic:
            return size > self._max_obj
        return size > self._limit

    cdef int _forget(self) except -1:
        self._opcode = None
        self._chunks = []
        return 0

    cdef int _validate(self, bytes chunk, bint prevalidated) except -1:
        # RFC 6455 §8.1, failing as early as possible; bytes a FrameDecoder
        # validated (every frame of the message so far) are not scanned again.
        cdef ptrdiff_t bad
        cdef uint64_t position
        if self._prevalidated and prevalidated:
            return 0
        if self._prevalidated:
            # A frame that did not come validated after some that did: catch
            # the state up with the earlier chunks first.
            self._prevalidated = False
            for earlier in self._chunks:
                wsf_utf8_stream(&self._st, <const uint8_t *>PyBytes_AS_STRING(earlier),
                                <size_t>PyBytes_GET_SIZE(earlier))
                self._consumed += <uint64_t>PyBytes_GET_SIZE(earlier)
        bad = wsf_utf8_stream(&self._st, <const uint8_t *>PyBytes_AS_STRING(chunk),
                              <size_t>PyBytes_GET_SIZE(chunk))
        if bad >= 0:
            position = self._consumed + <uint64_t>bad - self._st.seen
            self._forget()
            raise _rules.invalid_text(position)
        self._consumed += <uint64_t>PyBytes_GET_SIZE(chunk)
        return 0

    cdef bytes _inflate(self, bytes payload, object fin):
        cdef object budget = None
        cdef bytes chunk
        if self._has_limit:
            budget = self._max_obj - self._inflated
        try:
            chunk = self.inflater.feed(payload, fin=fin, max_size=budget)
        except PayloadTooBig:
            self._forget()
            raise _rules.inflated_too_big(self._max_obj) from None
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
        cdef object opcode
        cdef object raw
        cdef object fin
        cdef bytes payload
        cdef bytes chunk
        cdef int op
        cdef bint text, inflate, checked
        cdef uint64_t position
        cdef Py_ssize_t n
        cdef Frame f
        if type(frame) is Frame:
            f = <Frame>frame
            op = f._op
            opcode = <object>_OPC[op]
            payload = f.payload
            fin = True if f._fin else False
            checked = f._text_ok
        else:
            opcode = frame.opcode
            if type(opcode) is not Opcode:
                opcode = _OPCODES[_index(opcode)]
            op = opcode
            raw = frame.payload
            payload = <bytes>raw if type(raw) is bytes else _bytes(raw)
            fin = frame.fin
            checked = getattr(frame, "_text_valid", False) is True
        if op >= 8:
            return _message(opcode, payload, False)
        # RFC 6455 §5.4: continuation only inside a message, no nesting.
        if _FRAG_ERR[self._opcode is not None][op]:
            raise _rules.fragmentation_error(op, self._opcode is not None)
        if op != 0:
            self._opcode = opcode
            self._compressed = (f._rsv1 != 0) if type(frame) is Frame else frame.rsv1
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
            self._forget()
            raise _rules.message_too_big(size, self._max_obj)
        inflate = self._compressed and self.inflater is not None
        chunk = self._inflate(payload, fin) if inflate else payload
        text = self._opcode is _TEXT and (inflate or not self._compressed)
        if text:
            self._validate(chunk, checked)
        if fin and not self._chunks:
            # A one-frame message (or the first frame's data is the message):
            # no list, no join.
            data = chunk
        else:
            self._chunks.append(chunk)
            if not fin:
                return None
            data = b"".join(self._chunks)
        message_opcode, compressed = self._opcode, self._compressed
        self._opcode = None
        if self._chunks:
            self._chunks = []
        if text and not self._prevalidated and self._st.need:
            position = self._consumed - self._st.seen
            raise _rules.truncated_text(position)
        if text and self.decode_text:
            return _message(
                message_opcode,
                PyUnicode_DecodeUTF8(PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data), NULL),
                compressed,
            )
        return _message(message_opcode, data, compressed)
