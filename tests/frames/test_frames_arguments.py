"""Arguments at the API boundary, on both backends: limits of any real number
type, clear TypeErrors for wrong types, signatures of the compiled classes,
the type of ``parse_close``'s code, and the header policies of wsframe._rules
that the compiled decoder turns into tables.
"""

from __future__ import annotations

import inspect
import math
import zlib
from decimal import Decimal
from fractions import Fraction
from types import ModuleType
from typing import Any

import pytest

from _support import BACKENDS, load_implementation
from wsframe import _rules
from wsframe.deflate import DeflateParams, Deflater, Inflater
from wsframe.errors import PayloadTooBig, ProtocolError

pytestmark = pytest.mark.both_backends

KEY = b"\x01\x02\x03\x04"


@pytest.fixture(params=BACKENDS)
def impl(request: pytest.FixtureRequest) -> ModuleType:
    return load_implementation("frames", request.param)


def _compressed_message(impl: ModuleType, data: bytes) -> Any:
    """The frames of ``data`` as one compressed TEXT message from a client."""
    deflater = Deflater(DeflateParams(), client=True)
    wire = impl.encode_message_bytes(1, data, masked=True, deflater=deflater)
    return list(impl.FrameDecoder(rsv_allowed=4).feed(wire))


# ---------------------------------------------------------------------------
# Limits: any real number, the same verdicts as the int it floors to


@pytest.mark.parametrize("limit", [1e6, 1000000, Fraction(2000001, 2), 1000000.9])
@pytest.mark.parametrize("inflate", [False, True])
def test_message_limit_of_any_real_type(impl: ModuleType, limit: Any, inflate: bool) -> None:
    """1e6 and 1000000 behave the same, with and without an inflater (the
    float once reached zlib as a max_length and raised TypeError)."""
    inflater = Inflater(DeflateParams()) if inflate else None
    assembler = impl.MessageAssembler(max_message_size=limit, inflater=inflater)
    assert assembler.max_message_size == 1000000
    assert type(assembler.max_message_size) is int
    if inflate:
        frames = _compressed_message(impl, b"a" * 1000000)
    else:
        frames = list(impl.FrameDecoder(max_frame_size=limit).feed(impl.encode_frame(2, b"a" * 1000000, mask=KEY)))
    message = assembler.add(frames[0])
    assert message is not None and len(message.data) == 1000000
    if inflate:
        frames = _compressed_message(impl, b"a" * 1000001)
    else:
        frames = [impl.Frame(2, b"a" * 1000001)]
    with pytest.raises(PayloadTooBig) as info:
        impl.MessageAssembler(max_message_size=limit, inflater=(Inflater(DeflateParams()) if inflate else None)).add(
            frames[0]
        )
    assert info.value.code == 1009
    assert "1000000 bytes" in str(info.value)


@pytest.mark.parametrize("limit", [1e3, 1000, 1000.5])
def test_frame_limit_of_any_real_type(impl: ModuleType, limit: Any) -> None:
    decoder = impl.FrameDecoder(max_frame_size=limit)
    assert decoder.max_frame_size == 1000
    assert len(next(decoder.feed(impl.encode_frame(2, b"x" * 1000, mask=KEY))).payload) == 1000
    with pytest.raises(PayloadTooBig, match="limit of 1000 bytes"):
        list(impl.FrameDecoder(max_frame_size=limit).feed(impl.encode_frame(2, b"x" * 1001, mask=KEY)))


@pytest.mark.parametrize("limit", [math.inf, None])
def test_infinite_limit_is_no_limit(impl: ModuleType, limit: Any) -> None:
    assert impl.MessageAssembler(max_message_size=limit).max_message_size is None
    assert impl.FrameDecoder(max_frame_size=limit).max_frame_size is None


@pytest.mark.parametrize(
    ("limit", "error", "words"),
    [
        ("1000", TypeError, "max_message_size must be a real number or None, not str"),
        (True, TypeError, "not bool"),
        (Decimal(10), TypeError, "not Decimal"),
        (b"10", TypeError, "not bytes"),
        (math.nan, ValueError, "not NaN"),
        (-1, ValueError, ">= 0"),
        (-0.5, ValueError, ">= 0"),
    ],
)
def test_bad_limits_are_refused_at_the_boundary(
    impl: ModuleType, limit: Any, error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        impl.MessageAssembler(max_message_size=limit)
    with pytest.raises(error, match=words.replace("max_message_size", "max_frame_size")):
        impl.FrameDecoder(max_frame_size=limit)
    # The attributes may be assigned: the same checks.
    assembler = impl.MessageAssembler()
    with pytest.raises(error):
        assembler.max_message_size = limit
    assert assembler.max_message_size == impl.DEFAULT_MAX_SIZE
    decoder = impl.FrameDecoder()
    with pytest.raises(error):
        decoder.max_frame_size = limit


def test_assigned_limit_is_the_one_used(impl: ModuleType) -> None:
    assembler = impl.MessageAssembler()
    assembler.max_message_size = 10.0
    assert assembler.max_message_size == 10
    with pytest.raises(PayloadTooBig):
        assembler.add(impl.Frame(2, b"x" * 11))


def test_inflater_gets_an_int_budget(impl: ModuleType) -> None:
    """The assembler passes zlib an int budget whatever the limit's type."""
    seen: list[Any] = []

    class Spy(Inflater):
        __slots__ = ()

        def feed(self, payload: Any, *, fin: bool, max_size: Any = None) -> bytes:
            seen.append(max_size)
            return super().feed(payload, fin=fin, max_size=max_size)

    assembler = impl.MessageAssembler(max_message_size=64.0, inflater=Spy(DeflateParams()))
    assert assembler.add(_compressed_message(impl, b"hello")[0]).data == "hello"
    assert seen and all(type(size) is int for size in seen)


# ---------------------------------------------------------------------------
# rsv_allowed


@pytest.mark.parametrize(("value", "error"), [("4", TypeError), (4.0, TypeError), (8, ValueError), (-1, ValueError)])
def test_rsv_allowed_is_checked(impl: ModuleType, value: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="rsv_allowed"):
        impl.FrameDecoder(rsv_allowed=value)
    decoder = impl.FrameDecoder()
    with pytest.raises(error, match="rsv_allowed"):
        decoder.rsv_allowed = value


# ---------------------------------------------------------------------------
# Wrong types at the API boundary


@pytest.mark.parametrize("frame", [b"\x81\x00", "text", None, 1])
def test_assembler_add_refuses_a_non_frame(impl: ModuleType, frame: Any) -> None:
    with pytest.raises(TypeError, match=f"frame must be a Frame, not {type(frame).__name__}"):
        impl.MessageAssembler().add(frame)


class _DuckFrame:
    """A frame-like object, as another library might pass (opcode, payload, fin, rsv1)."""

    def __init__(self, opcode: Any, **fields: Any) -> None:
        self.opcode, self.payload = opcode, b"x"
        self.__dict__.update(fields)


@pytest.mark.parametrize("opcode", [9, 2])
def test_assembler_add_needs_every_field_of_a_frame(impl: ModuleType, opcode: int) -> None:
    # Both backends read opcode, payload, fin and rsv1 before anything else, so a
    # control frame and a data frame lacking one are refused alike.
    with pytest.raises(TypeError, match="frame must be a Frame, not _DuckFrame"):
        impl.MessageAssembler().add(_DuckFrame(opcode))
    with pytest.raises(TypeError, match="frame must be a Frame"):
        impl.MessageAssembler().add(_DuckFrame(opcode, fin=True))
    message = impl.MessageAssembler().add(_DuckFrame(opcode, fin=True, rsv1=False))
    assert (message.opcode, message.data) == (opcode, b"x")


def test_assembler_add_refuses_a_reserved_or_non_int_opcode(impl: ModuleType) -> None:
    with pytest.raises(ValueError, match="reserved opcode 0x3"):
        impl.MessageAssembler().add(_DuckFrame(3, fin=True, rsv1=False))
    with pytest.raises(TypeError, match="opcode must be an int, not str"):
        impl.MessageAssembler().add(_DuckFrame("x", fin=True, rsv1=False))


@pytest.mark.parametrize("assembler", [None, b"x", "MessageAssembler"])
@pytest.mark.parametrize("data", [b"", b"\x82\x80\x01\x02\x03\x04"])
def test_feed_messages_refuses_a_non_assembler_before_taking_input(
    impl: ModuleType, assembler: Any, data: bytes
) -> None:
    decoder = impl.FrameDecoder()
    with pytest.raises(TypeError, match=f"assembler must be a MessageAssembler, not {type(assembler).__name__}"):
        decoder.feed_messages(data, assembler)
    assert [m.data for m in decoder.feed_messages(b"", impl.MessageAssembler())] == []


@pytest.mark.parametrize("code", ["1000", None, 1000.0, b"\x03\xe8"])
def test_is_valid_close_code_refuses_a_non_int(impl: ModuleType, code: Any) -> None:
    with pytest.raises(TypeError, match=f"close code must be an int, not {type(code).__name__}"):
        impl.is_valid_close_code(code)


def test_assembler_add_takes_a_frame_of_the_other_backend(impl: ModuleType) -> None:
    other = load_implementation("frames", "python")
    message = impl.MessageAssembler().add(other.Frame(1, b"hi"))
    assert message is not None and message.data == "hi"


# ---------------------------------------------------------------------------
# parse_close: a CloseCode member for every code it names


@pytest.mark.parametrize("code", sorted({int(c) for c in _rules.CloseCode if _rules.is_valid_close_code(c)}))
def test_parse_close_gives_members(impl: ModuleType, code: int) -> None:
    parsed, reason = impl.parse_close(code.to_bytes(2, "big") + b"bye")
    assert parsed is _rules.CloseCode(code) and reason == "bye"


def test_parse_close_normal_and_empty(impl: ModuleType) -> None:
    assert impl.parse_close(b"\x03\xe8")[0] is _rules.CloseCode.NORMAL_CLOSURE
    assert impl.parse_close(b"")[0] is _rules.CloseCode.NO_STATUS_RCVD


@pytest.mark.parametrize("code", [3000, 4999, 1003 + 9])
def test_parse_close_other_codes_are_ints(impl: ModuleType, code: int) -> None:
    parsed, _ = impl.parse_close(code.to_bytes(2, "big"))
    assert parsed == code
    if code not in {int(c) for c in _rules.CloseCode}:
        assert type(parsed) is int


# ---------------------------------------------------------------------------
# inspect.signature of every public callable


@pytest.mark.parametrize("concern", ["frames", "mask", "utf8"])
@pytest.mark.parametrize("backend", BACKENDS)
def test_every_public_callable_has_a_signature(concern: str, backend: str) -> None:
    module = load_implementation(concern, backend)
    reference = load_implementation(concern, "python")
    for name in module.__all__:
        obj = getattr(module, name)
        if not callable(obj) or isinstance(obj, type) and issubclass(obj, BaseException):
            continue
        signature = inspect.signature(obj)
        if name not in ("Opcode", "CloseCode"):
            expected = inspect.signature(getattr(reference, name))
            assert list(signature.parameters) == list(expected.parameters), name


def test_masker_and_validator_signatures() -> None:
    mask = load_implementation("mask", "c")
    utf8 = load_implementation("utf8", "c")
    assert str(inspect.signature(mask.Masker)) == "(mask)"
    assert str(inspect.signature(utf8.Utf8Validator)) == "()"


# ---------------------------------------------------------------------------
# Header policies: one function each in _rules, the compiled tables built from them


def _first_error(impl: ModuleType, wire: bytes, **options: Any) -> str | None:
    try:
        list(impl.FrameDecoder(**options).feed(wire))
    except ProtocolError as exc:
        assert exc.code == 1002
        return str(exc)
    return None


@pytest.mark.parametrize("opcode", sorted(_rules.OPCODES))
@pytest.mark.parametrize("rsv", range(8))
@pytest.mark.parametrize("allowed", [0, 4, 7])
def test_rsv_policy_is_the_rule(impl: ModuleType, opcode: int, rsv: int, allowed: int) -> None:
    wire = bytes([0x80 | rsv << 4 | opcode, 0x80]) + KEY
    if opcode == 0:  # a continuation needs a message to continue
        wire = bytes([0x01, 0x80]) + KEY + wire
    expected = _rules.rsv_error(rsv, opcode, allowed)
    got = _first_error(impl, wire, rsv_allowed=allowed)
    assert got == (None if expected is None else str(expected))


@pytest.mark.parametrize("client", [False, True])
@pytest.mark.parametrize("masked", [False, True])
def test_mask_policy_is_the_rule(impl: ModuleType, client: bool, masked: bool) -> None:
    wire = bytes([0x82, 0x80 if masked else 0]) + (KEY if masked else b"")
    expected = _rules.mask_error(masked, client)
    assert _first_error(impl, wire, client=client) == (None if expected is None else str(expected))


@pytest.mark.parametrize("opcode", range(16))
@pytest.mark.parametrize("fin", [False, True])
@pytest.mark.parametrize("len7", [0, 125, 126, 127])
def test_header_policies_are_the_rules(impl: ModuleType, opcode: int, fin: bool, len7: int) -> None:
    wire = bytes([fin << 7 | opcode, len7])
    expected = (
        _rules.opcode_error(opcode)
        or _rules.control_fin_error(opcode, fin)
        or _rules.control_length_error(opcode, len7)
    )
    try:
        impl.parse_header(wire)
    except ProtocolError as exc:
        assert expected is not None and str(exc) == str(expected)
    else:
        assert expected is None


def test_peer_errors_carry_close_code_members() -> None:
    for error in (
        _rules.opcode_error(3),
        _rules.control_fin_error(9, False),
        _rules.control_length_error(9, 126),
        _rules.rsv_error(2, 1, 0),
        _rules.mask_error(False, False),
        _rules.fragmentation_error(0, False),
        _rules.corrupt_compressed("x"),
    ):
        assert error is not None and error.code is _rules.CloseCode.PROTOCOL_ERROR
    for too_big in (_rules.frame_too_big(2, 1), _rules.message_too_big(2, 1), _rules.inflated_too_big(1)):
        assert too_big.code is _rules.CloseCode.MESSAGE_TOO_BIG


def test_inflate_errors_are_worded_once() -> None:
    """The inflater and the assembler report an inflated-size overflow and
    corrupt data with the same factories of wsframe._rules."""
    inflater = Inflater(DeflateParams())
    compressor = zlib.compressobj(wbits=-15)
    data = compressor.compress(b"a" * 100) + compressor.flush(zlib.Z_SYNC_FLUSH)
    with pytest.raises(PayloadTooBig) as info:
        inflater.feed(data[:-4], fin=True, max_size=10)
    assert str(info.value) == str(_rules.inflated_too_big(10))
    with pytest.raises(ProtocolError) as corrupt:
        Inflater(DeflateParams()).feed(b"\xff\xff\xff", fin=True)
    assert str(corrupt.value).startswith(str(_rules.corrupt_compressed("")))


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (
            lambda m: m.encode_message(1, b"x", fragment_size="3"),
            "fragment_size must be a real number or None, not str",
        ),
        (
            lambda m: m.encode_message_bytes(1, b"x", fragment_size="3"),
            "fragment_size must be a real number or None, not str",
        ),
        (lambda m: m.encode_message_bytes(1, b"x", fragment_size=True), "not bool"),
        (lambda m: m.MessageAssembler(inflater=1), "inflater must be a wsframe.deflate.Inflater or None, not int"),
        (
            lambda m: m.encode_message(1, b"x", deflater=b"x"),
            "deflater must be a wsframe.deflate.Deflater or None, not bytes",
        ),
        (lambda m: m.Frame("1", b""), "opcode must be an int, not str"),
        (lambda m: m.encode_frame(1.0, b""), "opcode must be an int, not float"),
        (lambda m: m.encode_close("1000"), "code must be an int, not str"),
    ],
)
def test_wrong_types_named_at_the_boundary(impl: ModuleType, call: Any, words: str) -> None:
    with pytest.raises(TypeError, match=words):
        call(impl)


@pytest.mark.parametrize("size", [2, 2.0, 2.9, Fraction(5, 2)])
def test_fragment_size_of_any_real_type(impl: ModuleType, size: Any) -> None:
    frames = impl.encode_message(2, b"abcde", fragment_size=size)
    assert [len(frame) for frame in frames] == [4, 4, 3]
    assert impl.encode_message_bytes(2, b"abcde", fragment_size=size) == b"".join(frames)
    assert impl.encode_message(2, b"abcde", fragment_size=math.inf) == [b"\x82\x05abcde"]
    with pytest.raises(ValueError, match="fragment_size must be >= 1"):
        impl.encode_message(2, b"abcde", fragment_size=0.5)


@pytest.mark.parametrize("header", [b"\x83\x00", b"\x09\x00", b"\x89\xfe", b"\x82\x7e\x00\x01"])
def test_rejected_header_leaves_the_buffer_resizable(impl: ModuleType, header: bytes) -> None:
    """An error from parse_header keeps no view of the caller's bytearray alive
    (the peer integrations delete from that buffer right after), even with the
    cyclic GC off."""
    import gc

    buf = bytearray(header + b"\x00" * 8)
    enabled = gc.isenabled()
    gc.disable()
    try:
        with pytest.raises(ProtocolError):
            impl.parse_header(buf)
        del buf[:2]
        buf += b"x"
    finally:
        if enabled:
            gc.enable()
    assert len(buf) == len(header) + 7
