# Frame, FrameHeader and Message: C-level value types; included by _frames.pyx.

# ---------------------------------------------------------------------------
# Frame and FrameHeader: C-level value types

# Frame, Message and the iterator of FrameDecoder.feed() are created and
# dropped once per message on the hot path: each keeps up to 16 dead instances
# for reuse (@cython.freelist: no malloc/free per object on GIL builds).


# inspect.signature() of the classes below: a C type's __init__ has no text
# signature, so each class carries an explicit __signature__ (and turns off
# Cython's embedded signature line, which misplaces the keyword-only marker).
from wsframe._args import REQUIRED as _REQ
from wsframe._args import signature as _signature


cdef uint64_t _limit_value(object limit) except? 0:
    """A limit checked by _args.check_limit (an int >= 0) as a C number:
    lengths are below 2**63, so a larger limit is no limit."""
    cdef int overflow = 0
    cdef long long value = PyLong_AsLongLongAndOverflow(limit, &overflow)
    return <uint64_t>-1 if overflow else <uint64_t>value


# The value semantics of the reference's frozen dataclasses: positional
# fields named by ``__match_args__``, value equality and hashing, repr,
# pickling and ``copy.replace``.  Written once here; FrameHeader inherits them
# from _Record, while Frame and Message (which need a freelist, and Cython
# keeps freelists only on base classes) forward to these functions.

cdef object _record_repr(object self):
    inner = ", ".join(
        f"{name}={value!r}" for name, value in zip(self.__match_args__, self._fields())
    )
    return f"{type(self).__qualname__}({inner})"


cdef object _record_eq(object self, object other):
    if other.__class__ is self.__class__:
        return self._fields() == other._fields()
    return NotImplemented


cdef object _record_replace(object self, dict changes):
    fields = dict(zip(self.__match_args__, self._fields()))
    fields.update(changes)
    return type(self)(**fields)


cdef class _Record:
    """Shared behaviour of the immutable value types below (see above)."""

    __match_args__ = ()

    def _fields(self):
        return ()

    def __repr__(self):
        return _record_repr(self)

    def __eq__(self, other):
        return _record_eq(self, other)

    def __hash__(self):
        return hash(self._fields())

    def __reduce__(self):
        return (type(self), self._fields())

    def __replace__(self, **changes):
        """A copy with some fields changed (``copy.replace``, as dataclasses)."""
        return _record_replace(self, changes)


@cython.embedsignature(False)
cdef class FrameHeader(_Record):
    """FrameHeader(fin, rsv1, rsv2, rsv3, opcode, masked, length, mask, header_size)

    A parsed frame header (RFC 6455 §5.2).

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
    __signature__ = _signature(*[(name, _REQ, False) for name in __match_args__])

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


@cython.embedsignature(False)
@cython.freelist(16)
cdef class Frame:
    """Frame(opcode, payload, fin=True, rsv1=False, rsv2=False, rsv3=False)

    A complete frame: ``payload`` is unmasked (RFC 6455 §5.2, §5.3).

    ``Frame(opcode, payload, fin=True, rsv1=False, rsv2=False, rsv3=False)``,
    as the reference's dataclass, normalizing its arguments as it does:
    ``opcode`` to the Opcode member, ``payload`` to bytes, flags to bool.
    Immutable; compares and hashes by value.
    """

    # 40 bytes an instance: the payload, five bytes of header fields and the
    # decoder's str (below).  Its object fields are exact bytes and str, so
    # the type is not GC-tracked (it can never be part of a reference cycle).  The decoder creates one per
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
    # The str of a whole text message in this one frame, when FrameDecoder
    # built it to validate the text (levels without a vector validator):
    # MessageAssembler returns it instead of decoding again.  Not part of
    # the value either.  A str cannot make a cycle, so the type stays
    # untracked by the GC.
    cdef str _text

    __match_args__ = ("opcode", "payload", "fin", "rsv1", "rsv2", "rsv3")
    __signature__ = _signature(
        ("opcode", _REQ, False), ("payload", _REQ, False), ("fin", True, False),
        ("rsv1", False, False), ("rsv2", False, False), ("rsv3", False, False),
    )

    def __cinit__(self):
        # Frame.__new__(Frame) without __init__ must still be a usable frame
        # (an empty CONTINUATION), never one whose payload is NULL.
        self.payload = b""

    def __init__(self, opcode, payload, fin=True, rsv1=False, rsv2=False, rsv3=False):
        cdef int op = _plain_opcode(opcode)
        if op < 0:
            # Reserved, or not an exact int: the reference's conversion and
            # its ValueError or TypeError.
            op = _defined_opcode(opcode)
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

    # -- value semantics (as _Record's) --

    def __repr__(self):
        return _record_repr(self)

    def __eq__(self, other):
        return _record_eq(self, other)

    def __hash__(self):
        return hash(self._fields())

    def __reduce__(self):
        return (type(self), self._fields())

    def __replace__(self, **changes):
        """A copy with some fields changed (``copy.replace``, as dataclasses)."""
        return _record_replace(self, changes)


# ---------------------------------------------------------------------------
# Messages (RFC 6455 §5.4)

_bytes = bytes  # called as a Python object: bytes(x) exactly as the reference


@cython.embedsignature(False)
@cython.freelist(16)
cdef class Message:
    """Message(opcode, data, compressed=False)

    A complete message, or a control frame.

    ``data`` is a str for a text message (unless ``decode_text=False``), bytes
    otherwise; ``compressed`` is true for a per-message-compressed message
    (RFC 7692), whose ``data`` is the still-deflated bytes.  Immutable;
    compares and hashes by value (as the reference's frozen dataclass).
    """

    cdef readonly object opcode
    cdef readonly object data
    cdef readonly object compressed

    __match_args__ = ("opcode", "data", "compressed")
    __signature__ = _signature(
        ("opcode", _REQ, False), ("data", _REQ, False), ("compressed", False, False)
    )

    def __init__(self, opcode, data, compressed=False):
        self.opcode = opcode
        self.data = data
        self.compressed = compressed

    def _fields(self):
        return (self.opcode, self.data, self.compressed)

    # -- value semantics (as _Record's) --

    def __repr__(self):
        return _record_repr(self)

    def __eq__(self, other):
        return _record_eq(self, other)

    def __hash__(self):
        return hash(self._fields())

    def __reduce__(self):
        return (type(self), self._fields())

    def __replace__(self, **changes):
        """A copy with some fields changed (``copy.replace``, as dataclasses)."""
        return _record_replace(self, changes)


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
