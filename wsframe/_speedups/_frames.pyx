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

Policy-free names are the reference's own objects (``Opcode``, ``CloseCode``,
``new_mask``, ``is_valid_close_code``, ``DEFAULT_MAX_SIZE``), so ``frame.opcode is Opcode.TEXT`` holds whichever
backend produced the frame.  Arguments of unusual types (a float length, an
int-valued ``fin``...) are handed to the reference, so that even its corner
cases (and their exceptions) are reproduced exactly.

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
from libc.string cimport memcpy, memmove

from operator import index as _index

from wsframe._reference import frames as _ref
from wsframe._reference.frames import fragment_message as _fragment_message
from wsframe._reference.mask import byte_view as _byte_view
from wsframe._reference.mask import mask_key as _mask_key
from wsframe.errors import InvalidUTF8, PayloadTooBig, ProtocolError


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


# Exactly the reference's public names: the two backends cannot drift apart.
__all__ = list(_ref.__all__)

# The runtime-dispatched kernels of this module use the level picked here
# (WSFRAME_SIMD may force a lower one for tests; see wsf_cpu.h).
wsf_init_or_raise()
#: The SIMD level the kernels of this module use (as _mask.simd_level).
simd_level = wsf_active_level()

# Policy-free names: the reference's own objects.
Opcode = _ref.Opcode
CloseCode = _ref.CloseCode
new_mask = _ref.new_mask
is_valid_close_code = _ref.is_valid_close_code
DEFAULT_MAX_SIZE = _ref.DEFAULT_MAX_SIZE

_OPCODES = _ref._OPCODES
_TEXT = Opcode.TEXT
_NO_STATUS_RCVD = CloseCode.NO_STATUS_RCVD

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

cdef enum:
    # A frame in progress gets its whole payload buffer at once up to this
    # size (the default max_frame_size), so a payload arriving in pieces is
    # written once, in place.  Larger declared lengths (a raised or no limit)
    # grow the buffer as data arrives, so that a header alone cannot make the
    # decoder allocate more than this.
    _PREALLOC = 1048576
    # An empty input buffer larger than this is freed rather than kept.
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
    """The ProtocolError (1002) for a failed _parse_hdr, worded as the reference."""
    cdef int err = h.err
    if err == _E_OPCODE:
        return ProtocolError(f"reserved opcode {h.opcode:#x}", 1002)
    if err == _E_CTRL_FIN:
        return ProtocolError(f"fragmented control frame ({_opname(h.opcode)})", 1002)
    if err == _E_CTRL_LEN:
        return ProtocolError(
            f"control frame ({_opname(h.opcode)}) payload of {h.len7} bytes exceeds 125",
            1002,
        )
    if err == _E_NONMIN16:
        return ProtocolError("non-minimal 16-bit encoding of a payload length below 126", 1002)
    if err == _E_NONMIN64:
        return ProtocolError("non-minimal 64-bit encoding of a payload length below 65536", 1002)
    return ProtocolError("64-bit payload length with the most significant bit set", 1002)


cdef inline bint _close_code_ok(long code) noexcept nogil:
    # The same policy as wsframe._reference.frames.is_valid_close_code
    # (RFC 6455 §7.4.1, §7.4.2, §11.7); the differential tests compare all codes.
    return (1000 <= code <= 1003) or (1007 <= code <= 1014) or (3000 <= code <= 4999)


cdef object _close_error(bytes payload):
    """None if ``payload`` is an acceptable Close body, else the error to raise
    (RFC 6455 §5.5.1, §7.4; the reason must be UTF-8, §8.1)."""
    cdef Py_ssize_t n = PyBytes_GET_SIZE(payload)
    cdef const uint8_t *p = <const uint8_t *>PyBytes_AS_STRING(payload)
    cdef long code
    cdef ptrdiff_t pos
    if n == 0:
        return None
    if n == 1:
        return ProtocolError("close frame payload of 1 byte (a code needs 2)", 1002)
    code = (<long>p[0] << 8) | p[1]
    if not _close_code_ok(code):
        return ProtocolError(f"invalid close code {code}", 1002)
    if n > 2:
        pos = wsf_utf8_find_invalid(p + 2, <size_t>(n - 2))
        if pos >= 0:
            return InvalidUTF8(f"close reason is not valid UTF-8 at byte {pos}", pos)
    return None


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

    __match_args__ = ("opcode", "payload", "fin", "rsv1", "rsv2", "rsv3")

    def __init__(self, opcode, payload, fin=True, rsv1=False, rsv2=False, rsv3=False):
        cdef int op = _plain_opcode(opcode)
        if op < 0:
            # Reserved, or not an exact int: the reference's conversion and
            # its ValueError or TypeError.
            op = _ref._defined_opcode(opcode)
        self._op = <uint8_t>op
        self.payload = <bytes>payload if type(payload) is bytes else _bytes(
            _byte_view(payload, "payload")
        )
        self._fin = 1 if fin else 0
        self._rsv1 = 1 if rsv1 else 0
        self._rsv2 = 1 if rsv2 else 0
        self._rsv3 = 1 if rsv3 else 0

    @property
    def opcode(self):
        return <object>_OPC[self._op]

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

    def __init__(self, *, client=False, max_frame_size=DEFAULT_MAX_SIZE, rsv_allowed=0,
                 validate_utf8=True):
        if max_frame_size is not None and max_frame_size < 0:
            raise ValueError("max_frame_size must be >= 0 or None")
        if not 0 <= rsv_allowed <= 7:
            raise ValueError("rsv_allowed must be a 3-bit mask (0..7)")
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
        if self._borrowed is not None:
            self._unborrow()
        elif self._start == self._end:
            self._start = self._end = 0
            if self._cap > _KEEP_BUFFER:
                PyMem_Free(self._buf)
                self._buf = NULL
                self._cap = 0
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
        rsv = (b0 >> 4) & 0x07
        unexpected = rsv & ~self._rsv_obj
        if unexpected:
            names = [n for bit, n in ((4, "RSV1"), (2, "RSV2"), (1, "RSV3")) if unexpected & bit]
            self._fail(ProtocolError(
                f"reserved bit {'/'.join(names)} set without an extension", 1002
            ))
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
                names = [n for bit, n in ((4, "RSV1"), (2, "RSV2"), (1, "RSV3"))
                         if unexpected & bit]
                self._fail(ProtocolError(
                    f"reserved bit {'/'.join(names)} set without an extension", 1002
                ))
        # RFC 7692 §6.1: RSV1 only on the first frame of a data message.
        if h.rsv & 4 and (op == 0 or op >= 8):
            self._fail(ProtocolError(f"RSV1 set on a {_opname(op)} frame", 1002))
        if have_b1:
            # RFC 6455 §5.1: clients mask, servers do not.
            if self._client and h.masked:
                self._fail(ProtocolError("masked frame from the server", 1002))
            if not self._client and not h.masked:
                self._fail(ProtocolError("unmasked frame from the client", 1002))
        # RFC 6455 §5.4: fragmentation order.
        if op == 0 and not self._in_message:
            self._fail(ProtocolError("continuation frame without a message to continue", 1002))
        if (op == 1 or op == 2) and self._in_message:
            self._fail(ProtocolError(
                f"{_opname(op)} frame inside a fragmented message (expected CONTINUATION)",
                1002,
            ))
        # max_frame_size, on the declared length (RFC 6455 §7.4.1: 1009).
        if h.length_known and self._has_limit:
            if self._limit_generic:
                if h.length > self._max_obj:
                    self._size_error(h.length)
            elif h.length > self._limit:
                self._size_error(h.length)
        return 0

    cdef int _size_error(self, uint64_t length) except -1:
        return self._fail(PayloadTooBig(
            f"frame payload of {length} bytes exceeds the limit of "
            f"{self._max_obj} bytes",
            1009,
        ))

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
        return self._fail(InvalidUTF8(
            f"text payload is not valid UTF-8 at byte {position}", position
        ))

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
        """Make the partial payload hold at least ``needed`` bytes."""
        cdef uint64_t length = self._h.length
        cdef uint64_t cap
        cdef object grown
        if self._partial is None:
            cap = length if length <= _PREALLOC else (needed if needed > _PREALLOC else _PREALLOC)
            self._partial = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>cap)
            self._partial_cap = <Py_ssize_t>cap
        elif needed > <uint64_t>self._partial_cap:
            cap = 2 * <uint64_t>self._partial_cap
            if cap < needed:
                cap = needed
            if cap > length:
                cap = length
            grown = PyBytes_FromStringAndSize(NULL, <Py_ssize_t>cap)
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
            self._fail(InvalidUTF8(
                f"text payload is not valid UTF-8 at byte {start} (truncated sequence)",
                start,
            ))
        if op == 8:
            # RFC 6455 §5.5.1 / §7.4: the close body must be valid.
            exc = _close_error(payload)
            if exc is not None:
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
        if self._done:
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


cdef inline bint _is_bool(object value) noexcept:
    return value is True or value is False


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


cdef int _check_encode(object opcode, int op, object length, long long n, bint fin) except -1:
    """The reference's _validate_encode, for plain arguments."""
    if op < 0:
        raise ValueError(f"reserved opcode {_index(opcode):#x}")
    # RFC 6455 §5.5: control frames are at most 125 bytes and not fragmented.
    if op >= 8 and n > 125:
        raise ValueError(f"control frame payload of {length} bytes exceeds 125")
    if op >= 8 and not fin:
        raise ValueError("control frames cannot be fragmented (fin=False)")
    if n < 0:
        raise ValueError(f"payload length {length} out of range")
    return 0


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
    cdef int op = _plain_opcode(opcode)
    cdef int overflow = 0
    cdef long long n = 0
    cdef bytes key = None
    cdef bytes out
    if type(length) is int:
        n = PyLong_AsLongLongAndOverflow(length, &overflow)
    if (op == -3 or type(length) is not int or overflow
            or not (_is_bool(fin) and _is_bool(rsv1) and _is_bool(rsv2) and _is_bool(rsv3))):
        return _ref.encode_header(opcode, length, fin=fin, rsv1=rsv1, rsv2=rsv2, rsv3=rsv3,
                                  mask=mask)
    _check_encode(opcode, op, length, n, fin is True)
    if mask is not None:
        key = _key_bytes(mask)
    out = PyBytes_FromStringAndSize(NULL, _header_size(<uint64_t>n, key is not None))
    _write_header(
        <uint8_t *>PyBytes_AS_STRING(out),
        (fin is True) << 7 | (rsv1 is True) << 6 | (rsv2 is True) << 5 | (rsv3 is True) << 4 | op,
        <uint64_t>n,
        <const uint8_t *>PyBytes_AS_STRING(key) if key is not None else NULL,
    )
    return out


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
    cdef int op = _plain_opcode(opcode)
    cdef Py_buffer view
    cdef bytes key = None
    cdef bytes out
    cdef uint8_t *dst
    cdef const uint8_t *kp
    cdef int hs
    cdef Py_ssize_t n
    if op == -3 or not (_is_bool(fin) and _is_bool(rsv1) and _is_bool(rsv2) and _is_bool(rsv3)):
        return _ref.encode_frame(opcode, payload, fin=fin, rsv1=rsv1, rsv2=rsv2, rsv3=rsv3,
                                 mask=mask)
    if type(payload) is not bytes and type(payload) is not bytearray:
        payload = _byte_view(payload, "payload")
    PyObject_GetBuffer(payload, &view, PyBUF_SIMPLE)
    try:
        n = view.len
        _check_encode(opcode, op, n, n, fin is True)
        if mask is not None:
            key = _key_bytes(mask)
        hs = _header_size(<uint64_t>n, key is not None)
        out = PyBytes_FromStringAndSize(NULL, hs + n)
        dst = <uint8_t *>PyBytes_AS_STRING(out)
        kp = <const uint8_t *>PyBytes_AS_STRING(key) if key is not None else NULL
        _write_header(
            dst,
            (fin is True) << 7 | (rsv1 is True) << 6 | (rsv2 is True) << 5
            | (rsv3 is True) << 4 | op,
            <uint64_t>n,
            kp,
        )
        if n >= WSF_NOGIL_THRESHOLD:
            with nogil:
                if kp != NULL:
                    wsf_mask(dst + hs, <const uint8_t *>view.buf, <size_t>n, kp, 0)
                else:
                    memcpy(dst + hs, view.buf, <size_t>n)
        elif kp != NULL:
            wsf_mask(dst + hs, <const uint8_t *>view.buf, <size_t>n, kp, 0)
        else:
            memcpy(dst + hs, view.buf, <size_t>n)
    finally:
        PyBuffer_Release(&view)
    return out


def encode_message(opcode, payload, *, fragment_size=None, masked=False):
    """Encode a message as a correct fragment sequence (RFC 6455 §5.4).

    The first frame carries ``opcode``, the others CONTINUATION; only the last
    has FIN set.  ``fragment_size`` bounds each frame's payload (None: one
    frame).  With ``masked=True`` every frame gets a fresh key (§5.3).  A
    control opcode gives one frame (control frames cannot be fragmented).

    Raises:
        ValueError: CONTINUATION or reserved opcode, fragment_size < 1,
            control payload over 125 bytes.
        TypeError: ``payload`` is a str or not a bytes-like object.
    """
    return _fragment_message(
        encode_frame, opcode, payload, fragment_size=fragment_size, masked=masked
    )


# ---------------------------------------------------------------------------
# Close payloads (RFC 6455 §5.5.1, §7.4)


def parse_close(payload):
    """Parse a Close frame's payload into ``(code, reason)`` (RFC 6455 §5.5.1).

    An empty payload means no status code: ``(1005, "")`` (§7.1.5).

    Raises:
        ProtocolError: (1002) a 1-byte payload or a code that may not be sent
            (see :func:`is_valid_close_code`).
        InvalidUTF8: (1007) the reason is not UTF-8; ``position`` is the
            offset within the reason (§8.1).
    """
    cdef bytes data
    cdef Py_ssize_t n
    cdef const char *p
    cdef long code
    if type(payload) is bytes:
        data = <bytes>payload
    else:
        data = bytes(_byte_view(payload, "payload"))
    n = PyBytes_GET_SIZE(data)
    if n == 0:
        return _NO_STATUS_RCVD, ""
    if n == 1:
        raise ProtocolError("close frame payload of 1 byte (a code needs 2)", 1002)
    p = PyBytes_AS_STRING(data)
    code = (<long>(<const uint8_t *>p)[0] << 8) | (<const uint8_t *>p)[1]
    if not _close_code_ok(code):
        raise ProtocolError(f"invalid close code {code}", 1002)
    try:
        text = PyUnicode_DecodeUTF8(<char *>p + 2, n - 2, NULL)
    except UnicodeDecodeError as exc:
        # RFC 6455 §5.5.1: the reason MUST be UTF-8 -> §8.1 close 1007.
        raise InvalidUTF8(
            f"close reason is not valid UTF-8 at byte {exc.start}", exc.start
        ) from None
    return code, text


def encode_close(code, reason=""):
    """Encode a Close frame's payload: the code, then the UTF-8 reason (RFC 6455 §5.5.1).

    Raises:
        ValueError: a code that may not be sent (see :func:`is_valid_close_code`)
            or a reason longer than 123 bytes once encoded.
        TypeError: ``reason`` is not a str.
    """
    if not isinstance(reason, str):
        raise TypeError(f"reason must be a str, not {type(reason).__name__}")
    code = _index(code)
    if not is_valid_close_code(code):
        raise ValueError(f"invalid close code {code}")
    encoded = reason.encode("utf-8")
    # RFC 6455 §5.5: 125 bytes of payload at most, 2 of which are the code.
    if len(encoded) > 123:
        raise ValueError(f"close reason of {len(encoded)} bytes exceeds 123")
    return code.to_bytes(2, "big") + encoded


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
        max_message_size: largest message accepted, counting wire (possibly
            compressed) bytes.  None: no limit.  Default 1 MiB.
        decode_text: return text messages as str (else as validated bytes).

    :meth:`add` returns a :class:`Message` for a control frame at once and for
    the final frame of a data message; None for other fragments.  One
    assembler per connection (not meant to be shared between threads).
    """

    cdef public object max_message_size
    cdef public object decode_text
    cdef object _opcode             # the message's Opcode member, or None
    cdef object _compressed         # RSV1 of its first frame, as given
    cdef list _chunks
    cdef uint64_t _size
    cdef wsf_utf8_state _st         # RFC 6455 §8.1, across fragments
    cdef uint64_t _consumed

    def __init__(self, max_message_size=DEFAULT_MAX_SIZE, decode_text=True):
        if max_message_size is not None and max_message_size < 0:
            raise ValueError("max_message_size must be >= 0 or None")
        self.max_message_size = max_message_size
        self.decode_text = decode_text
        self._opcode = None
        self._compressed = False
        self._chunks = []
        self._size = 0
        wsf_utf8_init(&self._st)
        self._consumed = 0

    @property
    def in_message(self):
        """True while a fragmented message is incomplete."""
        return self._opcode is not None

    cdef bint _too_big(self) except -1:
        cdef object limit = self.max_message_size
        cdef int overflow = 0
        cdef long long value
        if limit is None:
            return False
        if type(limit) is int:
            value = PyLong_AsLongLongAndOverflow(limit, &overflow)
            if overflow == 0 and value >= 0:
                return self._size > <uint64_t>value
        return self._size > limit

    def add(self, frame):
        """Add a frame; return the completed message or control frame, else None.

        Raises:
            ProtocolError: (1002) fragmentation out of order.
            PayloadTooBig: (1009) the message passes ``max_message_size``.
            InvalidUTF8: (1007) an uncompressed text message is not UTF-8.
        """
        cdef object opcode
        cdef object raw
        cdef object fin
        cdef object rsv1
        cdef bytes payload
        cdef int op
        cdef bint text
        cdef ptrdiff_t bad
        cdef uint64_t position
        cdef Py_ssize_t n
        opcode = <object>_OPC[(<Frame>frame)._op] if type(frame) is Frame else frame.opcode
        if type(opcode) is not Opcode:
            opcode = _OPCODES[_index(opcode)]
        raw = (<Frame>frame).payload if type(frame) is Frame else frame.payload
        payload = <bytes>raw if type(raw) is bytes else _bytes(raw)
        op = opcode
        if op >= 8:
            return _message(opcode, payload, False)
        # RFC 6455 §5.4: continuation only inside a message, no nesting.
        if op == 0:
            if self._opcode is None:
                raise ProtocolError("continuation frame without a message to continue", 1002)
        else:
            if self._opcode is not None:
                raise ProtocolError(
                    f"{opcode.name} frame inside a fragmented message (expected CONTINUATION)",
                    1002,
                )
            self._opcode = opcode
            self._compressed = (
                ((<Frame>frame)._rsv1 != 0) if type(frame) is Frame else frame.rsv1
            )
            self._chunks = []
            self._size = 0
            wsf_utf8_init(&self._st)
            self._consumed = 0
        n = PyBytes_GET_SIZE(payload)
        self._size += <uint64_t>n
        if self._too_big():
            size = self._size
            self._opcode = None
            self._chunks = []
            raise PayloadTooBig(
                f"message of at least {size} bytes exceeds the limit of "
                f"{self.max_message_size} bytes",
                1009,
            )
        text = self._opcode is _TEXT and not self._compressed
        if text:
            # RFC 6455 §8.1, failing as early as possible.
            bad = wsf_utf8_stream(&self._st, <const uint8_t *>PyBytes_AS_STRING(payload),
                                  <size_t>n)
            if bad >= 0:
                position = self._consumed + <uint64_t>bad - self._st.seen
                self._opcode = None
                self._chunks = []
                raise InvalidUTF8(f"text payload is not valid UTF-8 at byte {position}", position)
            self._consumed += <uint64_t>n
        self._chunks.append(payload)
        fin = ((<Frame>frame)._fin != 0) if type(frame) is Frame else frame.fin
        if not fin:
            return None
        message_opcode, compressed = self._opcode, self._compressed
        data = payload if len(self._chunks) == 1 else b"".join(self._chunks)
        self._opcode = None
        self._chunks = []
        if text and self._st.need:
            position = self._consumed - self._st.seen
            raise InvalidUTF8(
                f"text payload is not valid UTF-8 at byte {position} (truncated sequence)",
                position,
            )
        if text and self.decode_text:
            return _message(
                message_opcode,
                PyUnicode_DecodeUTF8(PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data), NULL),
                False,
            )
        return _message(message_opcode, data, compressed)
