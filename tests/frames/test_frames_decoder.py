"""wsframe.frames.FrameDecoder: RFC 6455 §5 receive-side rules, incremental decoding.

Frames are built by hand here (``wire``), not with wsframe's encoder, so the decoder is
checked against independently produced bytes.  Close-payload rules live in
test_frames_close.py.
"""

from __future__ import annotations

import functools
import random
import tracemalloc
from collections.abc import Iterable, Sequence
from types import ModuleType
from typing import TypeVar

import pytest

from _support import IMPLEMENTATIONS, implementation_fixture, raw_frame
from wsframe.errors import InvalidUTF8, PayloadTooBig, ProtocolError
from wsframe.frames import Frame, FrameDecoder, Opcode

# The names above are rebound to each implementation in turn: every test of this
# module runs against wsframe._reference.frames [python] and the compiled
# wsframe._speedups._frames [c] (see _support.implementation_fixture).
implementation = implementation_fixture("frames")


def test_the_names_under_test_are_the_implementations(implementation: ModuleType) -> None:
    # Guards the fixture itself: a test here that silently checked the public module
    # (one backend per process) instead of each implementation would pass twice.
    assert implementation.__name__ in IMPLEMENTATIONS["frames"]
    assert FrameDecoder is implementation.FrameDecoder
    assert Frame is implementation.Frame


MASK = bytes.fromhex("37fa213d")  # RFC 6455 §5.7
MiB = 1 << 20

CONT, TEXT, BINARY, CLOSE, PING, PONG = 0, 1, 2, 8, 9, 10


#: One frame's bytes per RFC 6455 §5.2, masked with MASK unless ``mask=None`` is given
#: (``rsv``: 4 = RSV1, 2 = RSV2, 1 = RSV3; ``length`` overrides the declared length).
wire = functools.partial(raw_frame, mask=MASK)


def t(frame: Frame) -> tuple[int, bytes, bool, bool, bool, bool]:
    """A comparable view of a Frame."""
    return (int(frame.opcode), bytes(frame.payload), frame.fin, frame.rsv1, frame.rsv2, frame.rsv3)


def feed_all(decoder: FrameDecoder, chunks: Iterable[bytes]) -> list[tuple[int, bytes, bool, bool, bool, bool]]:
    out: list[tuple[int, bytes, bool, bool, bool, bool]] = []
    for chunk in chunks:
        out.extend(t(f) for f in decoder.feed(chunk))
    return out


def collect(decoder: FrameDecoder, data: bytes, out: list[tuple[int, bytes, bool, bool, bool, bool]]) -> None:
    """Consume decoder.feed(data) frame by frame so frames yielded before an error are kept."""
    for frame in decoder.feed(data):
        out.append(t(frame))


E = TypeVar("E", bound=ProtocolError)
FrameT = tuple[int, bytes, bool, bool, bool, bool]


def expect_error(decoder: FrameDecoder, data: bytes, code: int, cls: type[E] = ProtocolError) -> tuple[list[FrameT], E]:  # type: ignore[assignment]
    """Feed ``data``; the iterator must raise ``cls`` with ``code``.  Returns the frames
    yielded before the error, and the error."""
    got: list[FrameT] = []
    with pytest.raises(cls) as info:
        collect(decoder, data, got)
    assert info.value.code == code
    assert str(info.value)
    return got, info.value


def splits(data: bytes, cuts: Sequence[int]) -> list[bytes]:
    bounds = [0, *sorted(cuts), len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:])]


# --- RFC 6455 §5.7 examples ---------------------------------------------------------------


def test_rfc6455_5_7_single_frame_masked_text_server_side() -> None:
    raw = bytes.fromhex("818537fa213d7f9f4d5158")
    assert feed_all(FrameDecoder(), [raw]) == [(TEXT, b"Hello", True, False, False, False)]


def test_rfc6455_5_7_single_frame_unmasked_text_client_side() -> None:
    raw = bytes.fromhex("810548656c6c6f")
    assert feed_all(FrameDecoder(client=True), [raw]) == [(TEXT, b"Hello", True, False, False, False)]


def test_rfc6455_5_7_fragmented_unmasked_text_client_side() -> None:
    raw = bytes.fromhex("010348656c") + bytes.fromhex("80026c6f")
    assert feed_all(FrameDecoder(client=True), [raw]) == [
        (TEXT, b"Hel", False, False, False, False),
        (CONT, b"lo", True, False, False, False),
    ]


def test_rfc6455_5_7_fragmented_masked_text_server_side() -> None:
    raw = wire(TEXT, b"Hel", fin=False) + wire(CONT, b"lo")
    assert feed_all(FrameDecoder(), [raw]) == [
        (TEXT, b"Hel", False, False, False, False),
        (CONT, b"lo", True, False, False, False),
    ]


def test_rfc6455_5_7_unmasked_ping_client_side() -> None:
    raw = bytes.fromhex("890548656c6c6f")
    assert feed_all(FrameDecoder(client=True), [raw]) == [(PING, b"Hello", True, False, False, False)]


def test_rfc6455_5_7_masked_pong_server_side() -> None:
    raw = bytes.fromhex("8a8537fa213d7f9f4d5158")
    assert feed_all(FrameDecoder(), [raw]) == [(PONG, b"Hello", True, False, False, False)]


@pytest.mark.parametrize("size, header", [(256, "827e0100"), (65536, "827f0000000000010000")])
def test_rfc6455_5_7_binary_256_bytes_and_64_KiB_client_side(size: int, header: str) -> None:
    payload = bytes(random.Random(size).getrandbits(8) for _ in range(size))
    raw = bytes.fromhex(header) + payload
    assert feed_all(FrameDecoder(client=True), [raw]) == [(BINARY, payload, True, False, False, False)]


@pytest.mark.parametrize("size", [256, 65536])
def test_rfc6455_5_7_binary_256_bytes_and_64_KiB_server_side(size: int) -> None:
    payload = bytes(random.Random(size).getrandbits(8) for _ in range(size))
    assert feed_all(FrameDecoder(), [wire(BINARY, payload)]) == [(BINARY, payload, True, False, False, False)]


def test_frame_fields_types() -> None:
    (frame,) = list(FrameDecoder().feed(bytes.fromhex("818537fa213d7f9f4d5158")))
    assert frame.opcode is Opcode.TEXT
    assert type(frame.payload) is bytes
    assert frame.fin is True
    assert (frame.rsv1, frame.rsv2, frame.rsv3) == (False, False, False)


def test_frame_constructor_normalizes_to_what_the_wire_carries() -> None:
    frame = Frame(1, bytearray(b"hi"), fin=0, rsv1=2, rsv2=None, rsv3="yes")  # type: ignore[arg-type]
    assert frame.opcode is Opcode.TEXT
    assert type(frame.payload) is bytes and frame.payload == b"hi"
    assert (frame.fin, frame.rsv1, frame.rsv2, frame.rsv3) == (False, True, False, True)
    assert all(type(flag) is bool for flag in (frame.fin, frame.rsv1, frame.rsv2, frame.rsv3))
    assert Frame(Opcode.PING, memoryview(b"abc")[::1]).payload == b"abc"
    # Decoded and hand-built frames compare and hash alike.
    (decoded,) = list(FrameDecoder().feed(bytes.fromhex("818537fa213d7f9f4d5158")))
    assert decoded == Frame(1, b"Hello") and hash(decoded) == hash(Frame(Opcode.TEXT, b"Hello"))


@pytest.mark.parametrize("opcode", [3, 7, 0xB, 0xF, 16, -1])
def test_frame_constructor_refuses_a_reserved_opcode(opcode: int) -> None:
    # RFC 6455 §5.2: no frame carries a reserved opcode.
    with pytest.raises(ValueError, match="reserved opcode"):
        Frame(opcode, b"")


@pytest.mark.parametrize(
    "opcode, payload, error",
    [
        ("1", b"", TypeError),
        (1.0, b"", TypeError),
        (1, "text", TypeError),
        (1, 5, TypeError),
        (1, memoryview(b"abcd")[::2], ValueError),
    ],
)
def test_frame_constructor_refuses_what_no_frame_holds(opcode: object, payload: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        Frame(opcode, payload)  # type: ignore[arg-type]


@pytest.mark.parametrize("wrap", [bytes, bytearray, memoryview], ids=["bytes", "bytearray", "memoryview"])
def test_feed_accepts_any_buffer(wrap) -> None:  # type: ignore[no-untyped-def]
    buf = wrap(bytes.fromhex("818537fa213d7f9f4d5158"))
    assert feed_all(FrameDecoder(), [buf]) == [(TEXT, b"Hello", True, False, False, False)]


def test_feed_does_not_keep_a_reference_to_a_reused_caller_buffer() -> None:
    # A caller may recycle its receive buffer once feed() has returned.
    data = wire(BINARY, b"abcdef")
    decoder = FrameDecoder()
    part = bytearray(data[:9])
    decoder.feed(part)
    part[:] = b"\xff" * len(part)
    assert feed_all(decoder, [data[9:]]) == [(BINARY, b"abcdef", True, False, False, False)]


# --- RFC 6455 §5.1: masking by role -----------------------------------------------------------


def test_rfc6455_5_1_server_rejects_unmasked_frame() -> None:
    expect_error(FrameDecoder(), wire(TEXT, b"Hello", mask=None), 1002)


def test_rfc6455_5_1_client_rejects_masked_frame() -> None:
    expect_error(FrameDecoder(client=True), wire(TEXT, b"Hello"), 1002)


def test_rfc6455_5_1_masking_rule_applies_to_control_frames() -> None:
    expect_error(FrameDecoder(), wire(PING, b"x", mask=None), 1002)
    expect_error(FrameDecoder(client=True), wire(PONG, b"x"), 1002)


def test_rfc6455_5_3_every_mask_phase_is_unmasked() -> None:
    payload = bytes(range(256)) * 3
    for key in (b"\x00\x00\x00\x00", b"\xff\x00\xff\x00", b"\x01\x02\x03\x04"):
        for n in range(0, 11):
            assert feed_all(FrameDecoder(), [wire(BINARY, payload[:n], mask=key)]) == [
                (BINARY, payload[:n], True, False, False, False)
            ]


# --- RFC 6455 §5.2: opcodes and RSV bits ----------------------------------------------------


@pytest.mark.parametrize("opcode", [3, 4, 5, 6, 7, 11, 12, 13, 14, 15])
def test_rfc6455_5_2_reserved_opcode_is_1002(opcode: int) -> None:
    good = wire(TEXT, b"ok")
    got, _ = expect_error(FrameDecoder(), good + wire(opcode, b"xx"), 1002)
    assert got == [(TEXT, b"ok", True, False, False, False)]


@pytest.mark.parametrize("bit, name", [(4, "rsv1"), (2, "rsv2"), (1, "rsv3")])
def test_rfc6455_5_2_rsv_bit_not_negotiated_is_1002(bit: int, name: str) -> None:
    for opcode in (TEXT, BINARY, PING):
        expect_error(FrameDecoder(), wire(opcode, b"abc", rsv=bit), 1002)


@pytest.mark.parametrize("bit", [4, 2, 1])
def test_rfc6455_5_2_rsv_bit_negotiated_is_accepted_on_data_frames(bit: int) -> None:
    (frame,) = feed_all(FrameDecoder(rsv_allowed=bit), [wire(BINARY, b"abc", rsv=bit)])
    assert frame[:3] == (BINARY, b"abc", True)
    assert frame[3:] == (bit == 4, bit == 2, bit == 1)


@pytest.mark.parametrize("allowed, sent", [(4, 2), (4, 1), (2, 4), (2, 1), (1, 4), (1, 2), (6, 1), (3, 4)])
def test_rfc6455_5_2_only_the_negotiated_rsv_bits_are_accepted(allowed: int, sent: int) -> None:
    expect_error(FrameDecoder(rsv_allowed=allowed), wire(BINARY, b"abc", rsv=sent), 1002)


def test_rfc6455_5_2_several_rsv_bits_allowed_together() -> None:
    frames = feed_all(FrameDecoder(rsv_allowed=7), [wire(BINARY, b"abc", rsv=7)])
    assert frames == [(BINARY, b"abc", True, True, True, True)]


@pytest.mark.parametrize("opcode", [PING, PONG, CLOSE])
def test_rfc7692_6_1_rsv1_on_control_frame_is_1002_even_when_allowed(opcode: int) -> None:
    payload = b"\x03\xe8" if opcode == CLOSE else b"x"
    expect_error(FrameDecoder(rsv_allowed=4), wire(opcode, payload, rsv=4), 1002)


def test_rfc7692_6_1_rsv1_on_continuation_frame_is_1002_even_when_allowed() -> None:
    data = wire(TEXT, b"abc", fin=False, rsv=4) + wire(CONT, b"def", rsv=4)
    got, _ = expect_error(FrameDecoder(rsv_allowed=4), data, 1002)
    assert got == [(TEXT, b"abc", False, True, False, False)]
    data = wire(TEXT, b"abc", fin=False) + wire(CONT, b"def", rsv=4)
    expect_error(FrameDecoder(rsv_allowed=4), data, 1002)


# --- RFC 6455 §5.4: fragmentation ------------------------------------------------------------


@pytest.mark.parametrize("fin", [True, False])
def test_rfc6455_5_4_continuation_without_start_is_1002(fin: bool) -> None:
    expect_error(FrameDecoder(), wire(CONT, b"abc", fin=fin), 1002)


def test_rfc6455_5_4_continuation_after_completed_message_is_1002() -> None:
    data = wire(TEXT, b"a", fin=False) + wire(CONT, b"b") + wire(CONT, b"c")
    got, _ = expect_error(FrameDecoder(), data, 1002)
    assert got == [(TEXT, b"a", False, False, False, False), (CONT, b"b", True, False, False, False)]


@pytest.mark.parametrize("first, second", [(TEXT, TEXT), (TEXT, BINARY), (BINARY, TEXT), (BINARY, BINARY)])
@pytest.mark.parametrize("second_fin", [True, False])
def test_rfc6455_5_4_new_data_frame_inside_fragmented_message_is_1002(
    first: int, second: int, second_fin: bool
) -> None:
    data = wire(first, b"abc", fin=False) + wire(second, b"def", fin=second_fin)
    got, _ = expect_error(FrameDecoder(), data, 1002)
    assert got == [(first, b"abc", False, False, False, False)]


def test_rfc6455_5_4_control_frames_may_be_interleaved_with_fragments() -> None:
    data = (
        wire(TEXT, b"He", fin=False)
        + wire(PING, b"p1")
        + wire(CONT, b"l", fin=False)
        + wire(PONG, b"p2")
        + wire(PING)
        + wire(CONT, b"lo")
    )
    assert feed_all(FrameDecoder(), [data]) == [
        (TEXT, b"He", False, False, False, False),
        (PING, b"p1", True, False, False, False),
        (CONT, b"l", False, False, False, False),
        (PONG, b"p2", True, False, False, False),
        (PING, b"", True, False, False, False),
        (CONT, b"lo", True, False, False, False),
    ]


def test_rfc6455_5_4_messages_after_a_fragmented_message() -> None:
    data = wire(BINARY, b"a", fin=False) + wire(CONT, b"b", fin=False) + wire(CONT, b"", fin=True) + wire(TEXT, b"x")
    assert [f[:3] for f in feed_all(FrameDecoder(), [data])] == [
        (BINARY, b"a", False),
        (CONT, b"b", False),
        (CONT, b"", True),
        (TEXT, b"x", True),
    ]


# --- RFC 6455 §5.5: control frames ----------------------------------------------------------


@pytest.mark.parametrize("opcode", [PING, PONG, CLOSE])
def test_rfc6455_5_5_control_frame_longer_than_125_is_1002(opcode: int) -> None:
    payload = b"\x03\xe8" + b"a" * 124 if opcode == CLOSE else b"a" * 126
    expect_error(FrameDecoder(), wire(opcode, payload), 1002)


@pytest.mark.parametrize("opcode", [PING, PONG])
def test_rfc6455_5_5_control_frame_of_125_bytes_is_accepted(opcode: int) -> None:
    assert feed_all(FrameDecoder(), [wire(opcode, b"z" * 125)]) == [(opcode, b"z" * 125, True, False, False, False)]


@pytest.mark.parametrize("opcode", [PING, PONG, CLOSE])
def test_rfc6455_5_5_control_frame_with_fin_clear_is_1002(opcode: int) -> None:
    expect_error(FrameDecoder(), wire(opcode, b"", fin=False), 1002)


def test_rfc6455_5_5_control_frame_error_is_found_from_the_header_alone() -> None:
    # The 16-bit length of a 126-byte ping is already wrong: no need to wait for the payload.
    data = wire(PING, b"a" * 126)
    expect_error(FrameDecoder(), data[:8], 1002)


# --- RFC 6455 §8.1: UTF-8 of text messages --------------------------------------------------


def test_rfc6455_8_1_valid_utf8_split_inside_a_code_point_across_fragments() -> None:
    text = "κόσμε €𝄞".encode()
    for cut in range(len(text) + 1):
        data = wire(TEXT, text[:cut], fin=False) + wire(CONT, text[cut:])
        assert b"".join(f[1] for f in feed_all(FrameDecoder(), [data])) == text


def test_rfc6455_8_1_invalid_utf8_in_single_frame_is_1007() -> None:
    _, err = expect_error(FrameDecoder(), wire(TEXT, b"abc\xffdef"), 1007, InvalidUTF8)
    assert err.position == 3


def test_rfc6455_8_1_invalid_utf8_position_is_offset_in_message_text() -> None:
    data = wire(TEXT, b"abc", fin=False) + wire(CONT, "é".encode(), fin=False) + wire(CONT, b"d\xc0\xafz")
    got, err = expect_error(FrameDecoder(), data, 1007, InvalidUTF8)
    assert isinstance(err, InvalidUTF8)
    assert err.position == 6  # 3 + 2 + 1: where C0 starts in the message's text
    assert [f[1] for f in got] == [b"abc", "é".encode()]


def test_rfc6455_8_1_ill_formed_sequence_spanning_fragments_reports_its_start() -> None:
    # F4 90 is impossible (> U+10FFFF); the sequence starts in the first fragment.
    data = wire(TEXT, b"ab\xf4", fin=False) + wire(CONT, b"\x90\x80\x80")
    got, err = expect_error(FrameDecoder(), data, 1007, InvalidUTF8)
    assert err.position == 2
    assert got == [(TEXT, b"ab\xf4", False, False, False, False)]


def test_rfc6455_8_1_position_restarts_for_each_message() -> None:
    data = wire(TEXT, b"hello") + wire(BINARY, b"\xff") + wire(TEXT, b"x\xed\xa0\x80")
    got, err = expect_error(FrameDecoder(), data, 1007, InvalidUTF8)
    assert err.position == 1
    assert len(got) == 2


def test_rfc6455_8_1_message_ending_inside_a_code_point_is_1007() -> None:
    data = wire(TEXT, b"ab\xe2\x82", fin=False) + wire(CONT, b"", fin=True)
    got, err = expect_error(FrameDecoder(), data, 1007, InvalidUTF8)
    assert err.position == 2
    assert len(got) == 1
    _, err = expect_error(FrameDecoder(), wire(TEXT, b"\xf0\x9f"), 1007, InvalidUTF8)
    assert err.position == 0


def test_rfc6455_8_1_fragment_ending_inside_a_code_point_is_fine() -> None:
    data = wire(TEXT, b"ab\xe2\x82", fin=False) + wire(PING, b"") + wire(CONT, b"\xac")
    assert len(feed_all(FrameDecoder(), [data])) == 3


@pytest.mark.parametrize(
    "payload, bad_at, position",
    [
        (b"abc\xff" + b"z" * 20, 3, 3),  # invalid byte
        (b"ab\xed\xa0" + b"\x80" * 20, 3, 2),  # surrogate: impossible once A0 follows ED
        (b"\xf4\x90" + b"\x80" * 20, 1, 0),  # > U+10FFFF
        (b"\xe0\x80" + b"\x80" * 20, 1, 0),  # overlong
        (b"\xc3" + b"a" * 20, 1, 0),  # truncated sequence followed by ASCII
        (b"\xf8\x88\x80\x80\x80", 0, 0),  # 5-byte form
    ],
)
def test_rfc6455_8_1_utf8_fails_fast_mid_frame(payload: bytes, bad_at: int, position: int) -> None:
    # Autobahn 6.4.x "Strict": the feed() carrying the first impossible byte raises, although
    # the frame (declared longer) is not complete.
    frame = wire(TEXT, payload + b"tail")
    header = len(frame) - len(payload) - 4
    decoder = FrameDecoder()
    assert list(decoder.feed(frame[: header + bad_at])) == []
    _, err = expect_error(decoder, frame[header + bad_at : header + bad_at + 1], 1007, InvalidUTF8)
    assert err.position == position


def test_rfc6455_8_1_fail_fast_in_a_continuation_frame_counts_from_message_start() -> None:
    first = wire(TEXT, "h€llo".encode(), fin=False)
    second = wire(CONT, b"ok\xc3\x28 and a long tail")
    decoder = FrameDecoder()
    assert len(list(decoder.feed(first + second[: 6 + 3]))) == 1  # header (6) + "ok\xc3"
    _, err = expect_error(decoder, second[9:10], 1007, InvalidUTF8)
    assert err.position == len("h€llo".encode()) + 2


def test_rfc6455_8_1_binary_frames_are_not_validated() -> None:
    assert len(feed_all(FrameDecoder(), [wire(BINARY, b"\xff\xfe\xed\xa0\x80")])) == 1


def test_validate_utf8_false_skips_text_payloads() -> None:
    data = wire(TEXT, b"\xff\xfe", fin=False) + wire(CONT, b"\xed\xa0\x80") + wire(TEXT, b"\xc0")
    frames = feed_all(FrameDecoder(validate_utf8=False), [data])
    assert [f[1] for f in frames] == [b"\xff\xfe", b"\xed\xa0\x80", b"\xc0"]


def test_validate_utf8_false_still_validates_close_reason() -> None:
    data = wire(TEXT, b"\xff") + wire(CLOSE, b"\x03\xe8ok\xff")
    got, err = expect_error(FrameDecoder(validate_utf8=False), data, 1007, InvalidUTF8)
    assert err.position == 2
    assert got == [(TEXT, b"\xff", True, False, False, False)]


def test_rfc7692_compressed_message_is_not_validated() -> None:
    # RFC 7692: a message whose first frame has RSV1 is compressed; the caller inflates and
    # validates, so none of its frames is checked here.  The next message is checked again.
    data = (
        wire(TEXT, b"\xff\xc0", fin=False, rsv=4)
        + wire(PING, b"")
        + wire(CONT, b"\xed\xa0\x80", fin=False)
        + wire(CONT, b"\xe2")
    )
    decoder = FrameDecoder(rsv_allowed=4)
    frames = feed_all(decoder, [data])
    assert [f[:2] for f in frames] == [(TEXT, b"\xff\xc0"), (PING, b""), (CONT, b"\xed\xa0\x80"), (CONT, b"\xe2")]
    assert frames[0][3] is True and frames[2][3] is False
    _, err = expect_error(decoder, wire(TEXT, b"\xff"), 1007, InvalidUTF8)
    assert err.position == 0


def test_rfc7692_uncompressed_message_is_validated_when_rsv1_allowed() -> None:
    expect_error(FrameDecoder(rsv_allowed=4), wire(TEXT, b"a\xff"), 1007, InvalidUTF8)


# --- max_frame_size ---------------------------------------------------------------------------


def test_max_frame_size_is_1009_on_declared_length_before_payload() -> None:
    decoder = FrameDecoder(max_frame_size=1000)
    header = wire(BINARY, length=1001)
    _, err = expect_error(decoder, header, 1009, PayloadTooBig)
    assert isinstance(err, PayloadTooBig)


def test_max_frame_size_exact_limit_is_allowed() -> None:
    payload = b"x" * 1000
    frames = feed_all(FrameDecoder(max_frame_size=1000), [wire(TEXT, payload)])
    assert frames == [(TEXT, payload, True, False, False, False)]


def test_max_frame_size_applies_to_every_frame() -> None:
    data = wire(TEXT, b"a" * 10, fin=False) + wire(CONT, b"b" * 10, fin=False) + wire(PING, b"c" * 11)
    got, _ = expect_error(FrameDecoder(max_frame_size=10), data, 1009, PayloadTooBig)
    assert len(got) == 2
    data = wire(TEXT, b"a" * 10, fin=False) + wire(CONT, b"b" * 11)
    got, _ = expect_error(FrameDecoder(max_frame_size=10), data, 1009, PayloadTooBig)
    assert len(got) == 1


def test_max_frame_size_zero_allows_only_empty_frames() -> None:
    decoder = FrameDecoder(max_frame_size=0)
    assert len(list(decoder.feed(wire(PING) + wire(TEXT)))) == 2
    expect_error(decoder, wire(PING, b"x"), 1009, PayloadTooBig)


def test_max_frame_size_default_is_1_MiB() -> None:
    decoder = FrameDecoder()
    assert list(decoder.feed(wire(BINARY, length=MiB))) == []  # header only: allowed
    expect_error(FrameDecoder(), wire(BINARY, length=MiB + 1), 1009, PayloadTooBig)


@pytest.mark.parametrize("length", [MiB + 1, 2**32, 2**63 - 1])
def test_max_frame_size_none_means_no_limit(length: int) -> None:
    decoder = FrameDecoder(max_frame_size=None)
    assert list(decoder.feed(wire(BINARY, length=length) + b"abc")) == []
    assert list(decoder.feed(b"def")) == []


def test_max_frame_size_checked_on_huge_declared_length() -> None:
    expect_error(FrameDecoder(), wire(BINARY, length=2**63 - 1), 1009, PayloadTooBig)
    expect_error(FrameDecoder(client=True), wire(BINARY, length=2**32 + 5, mask=None), 1009, PayloadTooBig)


@pytest.mark.parametrize("kwargs", [{"max_frame_size": -1}, {"rsv_allowed": -1}, {"rsv_allowed": 8}])
def test_decoder_rejects_invalid_settings(kwargs: dict[str, int]) -> None:
    with pytest.raises(ValueError):
        FrameDecoder(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["text", 42, None])
def test_feed_non_bytes_is_type_error(bad: object) -> None:
    with pytest.raises(TypeError):
        list(FrameDecoder().feed(bad))


# --- iterator and buffering semantics -------------------------------------------------------


def test_feed_yields_every_good_frame_before_raising() -> None:
    data = (
        wire(TEXT, b"one")
        + wire(PING, b"two")
        + wire(BINARY, b"three")
        + wire(TEXT, b"bad", rsv=2)
        + wire(TEXT, b"never")
    )
    got, _ = expect_error(FrameDecoder(), data, 1002)
    assert [f[1] for f in got] == [b"one", b"two", b"three"]


def test_feed_returns_an_iterator_batch_form_is_list() -> None:
    it = FrameDecoder().feed(wire(TEXT, b"a") + wire(TEXT, b"b"))
    assert iter(it) is it
    assert [bytes(f.payload) for f in it] == [b"a", b"b"]


def test_frames_not_consumed_stay_buffered() -> None:
    decoder = FrameDecoder()
    it = decoder.feed(wire(TEXT, b"a") + wire(TEXT, b"b") + wire(TEXT, b"c"))
    assert bytes(next(it).payload) == b"a"
    del it
    assert [f[1] for f in feed_all(decoder, [wire(TEXT, b"d")])] == [b"b", b"c", b"d"]


def test_feed_appends_data_even_when_the_iterator_is_not_consumed() -> None:
    decoder = FrameDecoder()
    data = wire(TEXT, b"hello") + wire(BINARY, b"world")
    decoder.feed(data[:7])
    decoder.feed(data[7:13])
    assert [f[1] for f in feed_all(decoder, [data[13:]])] == [b"hello", b"world"]


def test_feed_empty_bytes() -> None:
    decoder = FrameDecoder()
    assert list(decoder.feed(b"")) == []
    assert list(decoder.feed(wire(TEXT, b"x")[:3])) == []
    assert list(decoder.feed(b"")) == []


def test_after_protocol_error_every_later_feed_raises_at_once() -> None:
    decoder = FrameDecoder()
    _, first = expect_error(decoder, wire(TEXT, b"ok") + wire(CONT, b"x"), 1002, ProtocolError)
    for data in (b"", wire(TEXT, b"valid"), b"\x00\x01"):
        with pytest.raises(ProtocolError) as info:
            decoder.feed(data)  # the call itself raises, before any iteration
        assert type(info.value) is type(first)
        assert info.value.code == first.code


def test_after_utf8_error_later_feed_raises_the_same_error() -> None:
    decoder = FrameDecoder()
    _, first = expect_error(decoder, wire(TEXT, b"ab\xff", length=10)[:9], 1007, InvalidUTF8)
    with pytest.raises(InvalidUTF8) as info:
        list(decoder.feed(b"more"))
    assert info.value.code == 1007
    assert info.value.position == first.position == 2


def test_after_close_decoder_yields_nothing_and_discards_input() -> None:
    decoder = FrameDecoder()
    data = wire(TEXT, b"before") + wire(CLOSE, b"\x03\xe8") + wire(TEXT, b"after") + wire(PING)
    assert [f[0] for f in feed_all(decoder, [data])] == [TEXT, CLOSE]
    assert list(decoder.feed(wire(TEXT, b"later"))) == []
    assert list(decoder.feed(b"\xff\xff\xff garbage that is not a frame")) == []  # discarded


def test_after_close_split_across_feeds() -> None:
    decoder = FrameDecoder()
    data = wire(CLOSE, b"\x03\xe8bye") + wire(PING, b"x")
    got = feed_all(decoder, [data[i : i + 1] for i in range(len(data))])
    assert got == [(CLOSE, b"\x03\xe8bye", True, False, False, False)]


def test_an_iterator_obtained_before_an_error_raises_it_too() -> None:
    decoder = FrameDecoder()
    early = decoder.feed(wire(TEXT, b"a"))
    _, err = expect_error(decoder, wire(TEXT, b"b", rsv=4), 1002, ProtocolError)  # consumes "a", then fails
    with pytest.raises(ProtocolError) as info:
        next(early)
    assert info.value.code == err.code


def test_decoder_closed_property() -> None:
    decoder = FrameDecoder()
    assert decoder.closed is False
    list(decoder.feed(wire(PING) + wire(CLOSE)))
    assert decoder.closed is True


def test_decoder_buffered_counts_bytes_not_yet_returned() -> None:
    decoder = FrameDecoder()
    data = wire(BINARY, b"abcdef") + wire(TEXT, b"xy")  # 12 + 8 bytes
    assert decoder.buffered == 0
    list(decoder.feed(data[:3]))
    assert decoder.buffered == 3  # part of a header
    list(decoder.feed(data[3:8]))
    assert decoder.buffered == 8  # header (6) + 2 payload bytes
    assert len(list(decoder.feed(data[8:15]))) == 1
    assert decoder.buffered == 3
    assert len(list(decoder.feed(data[15:]))) == 1
    assert decoder.buffered == 0


# --- incremental decoding ---------------------------------------------------------------------


def _mixed_stream() -> tuple[bytes, list[tuple[int, bytes, bool, bool, bool, bool]]]:
    rnd = random.Random(6455)
    parts = [
        (TEXT, "héllo wörld €𝄞".encode(), False),
        (PING, b"ping!", True),
        (CONT, "ça va?".encode(), True),
        (BINARY, bytes(rnd.getrandbits(8) for _ in range(300)), True),
        (PONG, b"", True),
        (BINARY, bytes(rnd.getrandbits(8) for _ in range(70000)), True),
        (TEXT, b"", True),
        (CLOSE, b"\x03\xe8done", True),
    ]
    data = b"".join(wire(op, p, fin=fin, mask=bytes(rnd.getrandbits(8) for _ in range(4))) for op, p, fin in parts)
    return data, [(op, p, fin, False, False, False) for op, p, fin in parts]


def test_incremental_one_byte_at_a_time_gives_identical_frames() -> None:
    data, expected = _mixed_stream()
    assert feed_all(FrameDecoder(), [data]) == expected
    assert feed_all(FrameDecoder(), [data[i : i + 1] for i in range(len(data))]) == expected


def test_incremental_every_two_way_split_of_the_headers_gives_identical_frames() -> None:
    data, expected = _mixed_stream()
    small = data[:60]  # the first three frames and a bit: every cut point, exhaustively
    want = feed_all(FrameDecoder(), [small])
    assert want == expected[:3]
    for cut in range(len(small) + 1):
        assert feed_all(FrameDecoder(), [small[:cut], small[cut:]]) == want, cut


def test_incremental_random_splits_give_identical_frames() -> None:
    data, expected = _mixed_stream()
    rnd = random.Random(17)
    for _ in range(20):
        cuts = rnd.sample(range(1, len(data)), rnd.randint(1, 40))
        assert feed_all(FrameDecoder(), splits(data, cuts)) == expected


def test_incremental_client_side_one_byte_at_a_time() -> None:
    data = bytes.fromhex("010348656c") + bytes.fromhex("890548656c6c6f") + bytes.fromhex("80026c6f")
    frames = feed_all(FrameDecoder(client=True), [data[i : i + 1] for i in range(len(data))])
    assert [f[:3] for f in frames] == [(TEXT, b"Hel", False), (PING, b"Hello", True), (CONT, b"lo", True)]


# The decoder's private counter of payload/input bytes copied between its internal buffers:
# input -> buffer, unmask, partial payload -> accumulator, accumulator -> the Frame's bytes.
# Linear decoding keeps it under a constant factor of the input, whatever the split.
COPY_FACTOR = 4


def _text_of(size: int) -> bytes:
    unit = "abcé€𝄞".encode()  # 1 + 1 + 1 + 2 + 3 + 4 = 12 bytes, mixed sequence lengths
    text = unit * (size // len(unit)) + b"." * (size % len(unit))
    assert len(text) == size
    return text


def _feed_traced(decoder: FrameDecoder, data: bytes, step: int) -> tuple[list[FrameT], int]:
    """Feed ``data`` in ``step``-byte pieces under tracemalloc; return frames and peak bytes."""
    tracemalloc.start()
    try:
        out: list[FrameT] = []
        for i in range(0, len(data), step):
            out.extend(t(f) for f in decoder.feed(data[i : i + step]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return out, peak


@pytest.mark.slow
def test_incremental_1_MiB_text_frame_fed_one_byte_at_a_time_is_linear() -> None:
    # Proven with a counter, not a timer.  Text, masked (server side): the costliest path
    # (unmask + fail-fast UTF-8 validation of every piece as it arrives).
    text = _text_of(MiB)
    data = wire(TEXT, text)
    decoder = FrameDecoder()  # the default max_frame_size is exactly 1 MiB: allowed
    frames = feed_all(decoder, [data[i : i + 1] for i in range(len(data))])
    assert frames == [(TEXT, text, True, False, False, False)]
    copied = decoder._bytes_copied
    assert isinstance(copied, int)
    assert len(data) <= copied <= COPY_FACTOR * len(data), copied / len(data)


@pytest.mark.slow
def test_incremental_one_byte_at_a_time_memory_is_bounded() -> None:
    # tracemalloc multiplies the cost of each allocation ~10x, so the byte-at-a-time memory
    # check uses 64 KiB; the 1 MiB frame is traced in 64-byte pieces below.
    text = _text_of(64 * 1024)
    frames, peak = _feed_traced(FrameDecoder(), wire(TEXT, text), 1)
    assert frames == [(TEXT, text, True, False, False, False)]
    assert peak < 3 * len(text) + 64 * 1024, peak


@pytest.mark.slow
def test_incremental_1_MiB_text_frame_in_small_pieces_peak_memory_is_a_small_multiple() -> None:
    text = _text_of(MiB)
    decoder = FrameDecoder()
    frames, peak = _feed_traced(decoder, wire(TEXT, text), 64)
    assert frames == [(TEXT, text, True, False, False, False)]
    assert peak < 3 * MiB, peak
    assert decoder._bytes_copied <= COPY_FACTOR * (MiB + 14)


def test_incremental_bytes_copied_grows_linearly_with_size() -> None:
    # Same payload shape at two sizes (8x apart): the copies per input byte must not grow.
    ratios = []
    for size in (16 * 1024, 128 * 1024):
        data = wire(BINARY, bytes(size), mask=None)
        decoder = FrameDecoder(client=True)
        frames = feed_all(decoder, [data[i : i + 1] for i in range(len(data))])
        assert frames == [(BINARY, bytes(size), True, False, False, False)]
        ratios.append(decoder._bytes_copied / len(data))
    assert ratios[1] <= COPY_FACTOR and ratios[1] <= ratios[0] * 1.1 + 0.01, ratios


def test_incremental_many_small_frames_one_byte_at_a_time_is_linear() -> None:
    data = b"".join(wire(TEXT, b"msg %d" % i) for i in range(5000))
    decoder = FrameDecoder()
    frames = feed_all(decoder, [data[i : i + 1] for i in range(len(data))])
    assert len(frames) == 5000 and frames[-1][1] == b"msg 4999"
    assert decoder._bytes_copied <= COPY_FACTOR * len(data)


def test_incremental_large_chunk_with_many_frames_is_linear() -> None:
    data = b"".join(wire(BINARY, b"x" * 10) for _ in range(20000))
    decoder = FrameDecoder()
    tracemalloc.start()
    try:
        count = sum(1 for _ in decoder.feed(data))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 20000
    assert decoder._bytes_copied <= COPY_FACTOR * len(data)
    assert peak < 4 * len(data) + MiB, peak
