"""wsframe.frames.parse_header: the RFC 6455 §5.2 base framing header.

Every test here runs against both implementations (``[python]`` and ``[c]``):
the names imported from ``wsframe.frames`` are rebound to each in turn.
"""

from __future__ import annotations

from array import array

import pytest

from _support import implementation_fixture
from wsframe.errors import ProtocolError
from wsframe.frames import FrameHeader, Opcode, parse_header

# The names above are rebound to each implementation in turn: every test of this
# module runs against wsframe._reference.frames [python] and the compiled
# wsframe._speedups._frames [c] (see _support.implementation_fixture).
implementation = implementation_fixture("frames")

MASK = bytes.fromhex("37fa213d")  # the key used by every RFC 6455 §5.7 example

# RFC 6455 §5.7 examples: (name, header bytes, fin, opcode, masked, length).
RFC_5_7_HEADERS = [
    ("single_frame_unmasked_text", bytes.fromhex("8105"), True, 1, False, 5),
    ("single_frame_masked_text", bytes.fromhex("8185") + MASK, True, 1, True, 5),
    ("fragmented_first_Hel", bytes.fromhex("0103"), False, 1, False, 3),
    ("fragmented_second_lo", bytes.fromhex("8002"), True, 0, False, 2),
    ("unmasked_ping", bytes.fromhex("8905"), True, 9, False, 5),
    ("masked_pong", bytes.fromhex("8a85") + MASK, True, 10, True, 5),
    ("binary_256_bytes", bytes.fromhex("827e0100"), True, 2, False, 256),
    ("binary_64_KiB", bytes.fromhex("827f0000000000010000"), True, 2, False, 65536),
]

# The §5.7 examples as complete frames, so the header is also parsed with its payload present.
RFC_5_7_FRAMES = {
    "single_frame_unmasked_text": bytes.fromhex("810548656c6c6f"),
    "single_frame_masked_text": bytes.fromhex("818537fa213d7f9f4d5158"),
    "fragmented_first_Hel": bytes.fromhex("010348656c"),
    "fragmented_second_lo": bytes.fromhex("80026c6f"),
    "unmasked_ping": bytes.fromhex("890548656c6c6f"),
    "masked_pong": bytes.fromhex("8a8537fa213d7f9f4d5158"),
    "binary_256_bytes": bytes.fromhex("827e0100") + bytes(256),
    "binary_64_KiB": bytes.fromhex("827f0000000000010000") + bytes(65536),
}


def _check(
    header: FrameHeader | None,
    *,
    fin: bool,
    opcode: int,
    masked: bool,
    length: int,
    size: int,
    rsv: tuple[bool, bool, bool] = (False, False, False),
) -> None:
    assert header is not None
    assert header.fin is fin
    assert (header.rsv1, header.rsv2, header.rsv3) == rsv
    assert header.rsv == rsv[0] << 2 | rsv[1] << 1 | rsv[2]  # 4 = RSV1, 2 = RSV2, 1 = RSV3
    assert header.opcode == opcode
    assert isinstance(header.opcode, Opcode)
    assert header.masked is masked
    assert header.length == length
    assert header.mask == (MASK if masked else None)
    assert header.header_size == size


@pytest.mark.parametrize("name, raw, fin, opcode, masked, length", RFC_5_7_HEADERS, ids=[c[0] for c in RFC_5_7_HEADERS])
def test_rfc6455_5_7_examples_header_alone(
    name: str, raw: bytes, fin: bool, opcode: int, masked: bool, length: int
) -> None:
    # RFC 6455 §5.7: the header is complete once its last byte (mask key included) is there;
    # the payload does not have to be present.
    _check(parse_header(raw), fin=fin, opcode=opcode, masked=masked, length=length, size=len(raw))


@pytest.mark.parametrize("name, raw, fin, opcode, masked, length", RFC_5_7_HEADERS, ids=[c[0] for c in RFC_5_7_HEADERS])
def test_rfc6455_5_7_examples_with_payload(
    name: str, raw: bytes, fin: bool, opcode: int, masked: bool, length: int
) -> None:
    frame = RFC_5_7_FRAMES[name]
    assert frame.startswith(raw) and len(frame) == len(raw) + length
    _check(parse_header(frame), fin=fin, opcode=opcode, masked=masked, length=length, size=len(raw))


@pytest.mark.parametrize("name, raw, fin, opcode, masked, length", RFC_5_7_HEADERS, ids=[c[0] for c in RFC_5_7_HEADERS])
def test_rfc6455_5_2_every_proper_prefix_of_a_header_needs_more_bytes(
    name: str, raw: bytes, fin: bool, opcode: int, masked: bool, length: int
) -> None:
    # RFC 6455 §5.2: the header is 2 + (0|2|8) + (0|4) bytes; None until all of it is there.
    for cut in range(len(raw)):
        assert parse_header(raw[:cut]) is None, cut


@pytest.mark.parametrize("offset", [0, 1, 7, 100])
def test_parse_header_offset_argument(offset: int) -> None:
    raw = bytes.fromhex("8185") + MASK
    junk = bytes(range(256))[:offset]  # arbitrary leading bytes, not looked at
    data = junk + raw + b"payload"
    _check(parse_header(data, offset), fin=True, opcode=1, masked=True, length=5, size=6)
    _check(parse_header(data, offset=offset), fin=True, opcode=1, masked=True, length=5, size=6)
    for cut in range(offset, offset + len(raw)):
        assert parse_header(data[:cut], offset) is None


def test_parse_header_offset_at_end_of_data_needs_more_bytes() -> None:
    assert parse_header(b"\x81\x05Hello", 7) is None


@pytest.mark.parametrize("offset", [-1, 8])
def test_parse_header_offset_outside_data_is_value_error(offset: int) -> None:
    # Local misuse (not a protocol error): an offset outside the buffer.
    with pytest.raises(ValueError) as info:
        parse_header(b"\x81\x05Hello", offset)
    assert not isinstance(info.value, ProtocolError)


@pytest.mark.parametrize(
    "wrap", [bytes, bytearray, memoryview, lambda b: array("B", b)], ids=["bytes", "bytearray", "memoryview", "array"]
)
def test_parse_header_accepts_any_buffer(wrap) -> None:  # type: ignore[no-untyped-def]
    header = parse_header(wrap(bytes.fromhex("818537fa213d7f9f4d5158")))
    assert header is not None
    _check(header, fin=True, opcode=1, masked=True, length=5, size=6)
    assert type(header.mask) is bytes


def test_parse_header_memoryview_slice_with_offset() -> None:
    data = memoryview(b"xx" + bytes.fromhex("827e0100") + bytes(256))[1:]
    _check(parse_header(data, 1), fin=True, opcode=2, masked=False, length=256, size=4)


@pytest.mark.parametrize(
    "first_byte, rsv",
    [
        (0xC1, (True, False, False)),
        (0xA1, (False, True, False)),
        (0x91, (False, False, True)),
        (0xF1, (True, True, True)),
        (0x71, (True, True, True)),
    ],
)
def test_rfc6455_5_2_rsv_bits_are_reported_not_judged(first_byte: int, rsv: tuple[bool, bool, bool]) -> None:
    # RFC 6455 §5.2: RSV bits are only an error if no negotiated extension defines them,
    # which parse_header cannot know.
    _check(
        parse_header(bytes([first_byte, 0x00])),
        fin=bool(first_byte & 0x80),
        opcode=1,
        masked=False,
        length=0,
        size=2,
        rsv=rsv,
    )


def test_rfc6455_5_2_rsv_bits_on_control_frames_are_reported_too() -> None:
    _check(parse_header(b"\xf9\x00"), fin=True, opcode=9, masked=False, length=0, size=2, rsv=(True, True, True))


@pytest.mark.parametrize("opcode", [0, 1, 2, 8, 9, 10])
def test_rfc6455_5_2_defined_opcodes_are_accepted(opcode: int) -> None:
    _check(parse_header(bytes([0x80 | opcode, 0])), fin=True, opcode=opcode, masked=False, length=0, size=2)


@pytest.mark.parametrize(
    "length, raw",
    [
        (0, "8200"),
        (125, "827d"),
        (126, "827e007e"),
        (127, "827e007f"),
        (65535, "827effff"),
        (65536, "827f0000000000010000"),
        (2**31, "827f0000000080000000"),
        (2**32, "827f0000000100000000"),
        (2**63 - 1, "827f7fffffffffffffff"),
    ],
)
def test_rfc6455_5_2_payload_length_encodings(length: int, raw: str) -> None:
    # RFC 6455 §5.2: 7-bit, 16-bit (126) and 63-bit (127) lengths, network byte order.
    data = bytes.fromhex(raw)
    _check(parse_header(data), fin=True, opcode=2, masked=False, length=length, size=len(data))
    masked = data[:1] + bytes([data[1] | 0x80]) + data[2:] + MASK
    _check(parse_header(masked), fin=True, opcode=2, masked=True, length=length, size=len(data) + 4)


# Invalid headers: (raw bytes, how many leading bytes already prove the error).
INVALID_HEADERS = {
    # RFC 6455 §5.2: opcodes 3-7 and 11-15 are reserved; visible in byte 1.
    **{f"reserved_opcode_{op}": (bytes([0x80 | op, 0x85]) + MASK, 1) for op in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15)},
    "reserved_opcode_with_fin_clear": (bytes([0x03, 0x00]), 1),
    # RFC 6455 §5.5: control frames must not be fragmented; FIN is in byte 1.
    "ping_fin_clear": (b"\x09\x00", 1),
    "pong_fin_clear": (b"\x0a\x00", 1),
    "close_fin_clear": (b"\x08\x00", 1),
    # RFC 6455 §5.5: control payload <= 125; a 16/64-bit length indicator proves it in byte 2.
    "ping_length_126": (bytes.fromhex("89fe007e") + MASK, 2),
    "close_length_126": (bytes.fromhex("88fe007e") + MASK, 2),
    "pong_length_64bit": (bytes.fromhex("8a7f0000000000010000"), 2),
    "ping_length_126_unmasked": (bytes.fromhex("897e007e"), 2),
    # RFC 6455 §5.2: the most significant bit of a 64-bit length MUST be 0.
    "length_64bit_msb_set": (bytes.fromhex("827f8000000000000000"), 3),
    "length_64bit_all_ones": (bytes.fromhex("82ffffffffffffffffff") + MASK, 3),
    # RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length".
    "length_16bit_for_0": (bytes.fromhex("827e0000"), 4),
    "length_16bit_for_125": (bytes.fromhex("827e007d"), 4),
    "length_16bit_for_125_masked": (bytes.fromhex("82fe007d") + MASK, 4),
    # Once the first 6 of the 8 length bytes are zero the value is < 65536: non-minimal.
    "length_64bit_for_0": (bytes.fromhex("827f0000000000000000"), 8),
    "length_64bit_for_65535": (bytes.fromhex("827f000000000000ffff"), 8),
    "length_64bit_for_126_masked": (bytes.fromhex("82ff000000000000007e") + MASK, 8),
}


@pytest.mark.parametrize("raw, decisive", INVALID_HEADERS.values(), ids=INVALID_HEADERS.keys())
def test_rfc6455_5_2_invalid_header_is_1002_as_soon_as_visible(raw: bytes, decisive: int) -> None:
    # parse_header raises ProtocolError(1002) as soon as the bytes present show the error,
    # and returns None while some continuation could still make the header valid.
    for cut in range(decisive):
        assert parse_header(raw[:cut]) is None, cut
    for cut in range(decisive, len(raw) + 1):
        with pytest.raises(ProtocolError) as info:
            parse_header(raw[:cut])
        assert info.value.code == 1002, cut
        assert str(info.value)  # says what was wrong


def test_rfc6455_5_2_invalid_header_at_offset() -> None:
    with pytest.raises(ProtocolError) as info:
        parse_header(b"\x81\x00\x83", 2)
    assert info.value.code == 1002
    assert parse_header(b"\x81\x00\x83", 0) is not None


def test_rfc6455_5_5_control_frame_longer_than_125_is_1002() -> None:
    with pytest.raises(ProtocolError) as info:
        parse_header(bytes.fromhex("897e007e"))
    assert info.value.code == 1002


def test_rfc6455_5_5_control_frame_of_exactly_125_is_valid() -> None:
    _check(parse_header(b"\x89\xfd" + MASK), fin=True, opcode=9, masked=True, length=125, size=6)


def test_rfc6455_5_5_control_frame_fin_clear_is_1002() -> None:
    with pytest.raises(ProtocolError) as info:
        parse_header(b"\x09")
    assert info.value.code == 1002


def test_rfc6455_5_2_reserved_opcode_is_1002() -> None:
    with pytest.raises(ProtocolError) as info:
        parse_header(b"\x83")
    assert info.value.code == 1002


def test_rfc6455_5_2_64bit_length_with_msb_set_is_1002() -> None:
    with pytest.raises(ProtocolError) as info:
        parse_header(bytes.fromhex("827f8000000000000000"))
    assert info.value.code == 1002


def test_rfc6455_5_2_non_minimal_length_is_1002() -> None:
    for raw in (bytes.fromhex("827e007d"), bytes.fromhex("827f000000000000ffff")):
        with pytest.raises(ProtocolError) as info:
            parse_header(raw)
        assert info.value.code == 1002


def test_frame_header_fields_and_opcode_enum() -> None:
    header = parse_header(bytes.fromhex("8a85") + MASK)
    assert header is not None
    assert header.opcode is Opcode.PONG
    assert [
        int(op) for op in (Opcode.CONTINUATION, Opcode.TEXT, Opcode.BINARY, Opcode.CLOSE, Opcode.PING, Opcode.PONG)
    ] == [0, 1, 2, 8, 9, 10]
