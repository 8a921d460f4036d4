# cython: language_level=3
# cython: boundscheck=False, wraparound=False, cdivision=True
# cython: freethreading_compatible=True
"""Compiled WebSocket framing (RFC 6455 §5, §7.4; RFC 7692 §6).

Same names and semantics as :mod:`wsframe._reference.frames`, which is the
executable specification: every result, exception type, close code, message
and position must agree with it (tests/frames/test_frames_differential.py checks).

What is compiled here, and why:

- :class:`Frame` and :class:`FrameHeader` are C-level types (cheap to create,
  readonly attributes, value equality and hashing like the reference's frozen
  dataclasses).  A ``Frame`` is 40 bytes and not tracked by the cyclic GC:
  it holds its payload, the opcode and flags as C bytes (normalized on
  construction exactly as the reference's ``__post_init__`` does) and, at
  levels without a vector validator, the str of a whole one-frame text
  message the decoder built.
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
the one home both backends share (this module never imports the reference),
argument checks from :mod:`wsframe._args` and :mod:`wsframe._plan`; the
policies become lookup tables at import (defined opcodes, control-frame FIN
and length, RSV bits, the mask bit, fragmentation order, close codes), so
``frame.opcode is Opcode.TEXT`` holds whichever backend produced the frame and
a rule changed there changes here.

Thread safety: a :class:`FrameDecoder` (and a :class:`MessageAssembler`) belongs to one connection and is not
meant to be shared, but sharing it cannot crash the interpreter: its methods
run in a per-object critical section (free-threaded builds), and while a large
payload is unmasked with the GIL released the decoder is marked busy, so a
concurrent ``feed()`` or iteration raises RuntimeError instead of touching the
buffers.  Frames, headers and the functions are immutable / stateless.
"""

cimport cython
from cpython.buffer cimport PyBUF_SIMPLE, PyBuffer_Release, PyObject_GetBuffer
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE
from cpython.bytes cimport (
    PyBytes_AS_STRING,
    PyBytes_FromStringAndSize,
    PyBytes_GET_SIZE,
)
from cpython.long cimport PyLong_AsLongAndOverflow, PyLong_AsLongLongAndOverflow
from cpython.mem cimport PyMem_Free, PyMem_Malloc, PyMem_Realloc
from cpython.object cimport PyObject
from cpython.ref cimport Py_DECREF
from cpython.pyport cimport PY_SSIZE_T_MAX
from cpython.ref cimport Py_INCREF, Py_REFCNT
from libc.stdint cimport uint8_t, uint64_t
from libc.string cimport memcpy, memmove, memset

from operator import index as _index

import os as _os

from wsframe import _rules
from wsframe._rules import SMALL_FRAGMENT as _SMALL_FRAGMENT
from wsframe._rules import (  # re-exported: part of this module's API
    DEFAULT_MAX_SIZE,
    CloseCode,
    Opcode,
    encode_close,
    is_valid_close_code,
    parse_close,
)
from wsframe._api import FRAMES_API
from wsframe._args import byte_view as _byte_view
from wsframe._args import check_assembler as _check_assembler
from wsframe._args import check_inflater as _check_inflater
from wsframe._args import check_limit as _check_limit
from wsframe._args import check_rsv_allowed as _check_rsv_allowed
from wsframe._args import concurrent_use as _concurrent_use
from wsframe._args import mask_key as _mask_key
from wsframe._args import not_a_frame as _not_a_frame
from wsframe._keys import KEY_POOL_SIZE as _KEY_POOL_SIZE
from wsframe._plan import check_encode as _check_encode_args
from wsframe._plan import defined_opcode as _defined_opcode
from wsframe._plan import message_frames as _message_frames
from wsframe._plan import plan_message as _plan_message
from wsframe.errors import PayloadTooBig, ProtocolError


cdef extern from "Python.h":
    void PyObject_GC_UnTrack(void *op)


from wsframe._speedups.decode cimport wsf_decode_object


cdef extern from "wsf_text.h":
    # A whole masked text payload to its str in one pass (see the header).
    PyObject *wsf_text_from_masked(const uint8_t *src, Py_ssize_t n, const uint8_t *key,
                                   Py_ssize_t *error_pos, int *truncated)


cdef inline int _reraise() except -1:
    return -1  # the exception a C helper set propagates
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
    wsf_utf8_vectorised,
)


# The public names, from the one list both backends follow.
__all__ = list(FRAMES_API)

# The runtime-dispatched kernels of this module use the level picked here
# (WSFRAME_SIMD may force a lower one for tests; see wsf_cpu.h).
wsf_init_or_raise()
#: The SIMD level the kernels of this module use (as _mask.simd_level).
simd_level = wsf_active_level()

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

# The policies of _rules as tables, each entry 1 where the policy returns an
# error (the function is called again to build the error it reports):
# is_valid_close_code for codes 0.._CLOSE_CODES-1 (every code the policy
# accepts is below it; the 16-bit codes above are all refused, 1 = valid);
# opcode_error [opcode]; control_fin_error [opcode][fin];
# control_length_error [opcode][7-bit length field]; rsv_error
# [rsv_allowed][rsv][opcode]; mask_error [masked][client];
# fragmentation_error [in_message][opcode] (data opcodes).
cdef enum:
    _CLOSE_CODES = 5000
cdef uint8_t _CLOSE_OK[_CLOSE_CODES]
cdef uint8_t _OPCODE_ERR[16]
cdef uint8_t _FIN_ERR[16][2]
cdef uint8_t _LEN7_ERR[16][128]
cdef uint8_t _RSV_ERR[8][8][16]
cdef uint8_t _MASK_ERR[2][2]
cdef uint8_t _FRAG_ERR[2][16]
# The same policies folded per first header byte, for the decoder's one
# lookup a frame: _B0_ERR[b0] is 0, _E_OPCODE (opcode_error) or _E_CTRL_FIN
# (control_fin_error; the codes of _header.pxi); _RSV_B0[rsv_allowed][b0] is rsv_error.
cdef uint8_t _B0_ERR[256]
cdef uint8_t _RSV_B0[8][256]
# control_length_error as a bound: the 7-bit length field of opcode op fails
# above _LEN7_MAX[op] (checked at import to be what the policy says).
cdef uint8_t _LEN7_MAX[16]


cdef inline uint8_t _fails(object error):
    return 1 if error is not None else 0


cdef void _init_policy_tables():
    cdef int code, op, i, j
    cdef bint defined
    for code in range(_CLOSE_CODES):
        _CLOSE_OK[code] = 1 if is_valid_close_code(code) else 0
    for op in range(16):
        _OPCODE_ERR[op] = _fails(_rules.opcode_error(op))
        defined = not _OPCODE_ERR[op]
        for i in range(2):
            _FIN_ERR[op][i] = defined and _fails(_rules.control_fin_error(op, i == 1))
            _FRAG_ERR[i][op] = (
                defined and op < 8 and _fails(_rules.fragmentation_error(op, i == 1))
            )
        for i in range(128):
            _LEN7_ERR[op][i] = defined and _fails(_rules.control_length_error(op, i))
        i = 0
        while i < 128 and not _LEN7_ERR[op][i]:
            i += 1
        for j in range(i, 128):
            if not _LEN7_ERR[op][j] or i == 0:
                raise RuntimeError("control_length_error is not a bound on the length")
        _LEN7_MAX[op] = i - 1
        for i in range(8):
            for j in range(8):
                _RSV_ERR[i][j][op] = defined and _fails(_rules.rsv_error(j, op, i))
    for i in range(2):
        for j in range(2):
            _MASK_ERR[i][j] = _fails(_rules.mask_error(i == 1, j == 1))
    for code in range(256):
        op = code & 0x0F
        _B0_ERR[code] = (
            _E_OPCODE if _OPCODE_ERR[op] else _E_CTRL_FIN if _FIN_ERR[op][code >> 7] else 0
        )
        for i in range(8):
            _RSV_B0[i][code] = _RSV_ERR[i][(code >> 4) & 7][op]


_init_policy_tables()


# The module is one extension built from these rooms, in this order (each
# uses only what comes before it at the C level):
include "_values.pxi"      # Frame, FrameHeader, Message
include "_header.pxi"      # parse_header and the C header parser
include "_decoder.pxi"     # FrameDecoder
include "_encoder.pxi"     # encode_*, new_mask
include "_deflate_fast.pxi" # compressed single-frame messages in one allocation
include "_assembler.pxi"   # MessageAssembler
include "_iterators.pxi"   # what FrameDecoder.feed and feed_messages return
include "_aiohttp.pxi"     # the aiohttp integration's reader loop
include "_wsproto.pxi"     # the wsproto integration's batch step
