"""wsframe.frames encoders: encode_frame, encode_header, encode_message, new_mask (RFC 6455 §5)."""

from __future__ import annotations

import pytest

from _support import implementation_fixture, xor_mask_reference
from wsframe.errors import ProtocolError
from wsframe.frames import (
    FrameDecoder,
    MessageAssembler,
    Opcode,
    encode_frame,
    encode_header,
    encode_message,
    new_mask,
    parse_header,
)

# The names above are rebound to each implementation in turn: every test of this
# module runs against wsframe._reference.frames [python] and the compiled
# wsframe._speedups._frames [c] (see _support.implementation_fixture).
implementation = implementation_fixture("frames")

MASK = bytes.fromhex("37fa213d")  # RFC 6455 §5.7
CONTROL = [Opcode.CLOSE, Opcode.PING, Opcode.PONG]
RESERVED = [3, 4, 5, 6, 7, 11, 12, 13, 14, 15]


# --- RFC 6455 §5.7 examples, byte for byte ---------------------------------------------------


def test_rfc6455_5_7_single_frame_unmasked_text() -> None:
    assert encode_frame(Opcode.TEXT, b"Hello") == bytes.fromhex("810548656c6c6f")


def test_rfc6455_5_7_single_frame_masked_text() -> None:
    assert encode_frame(Opcode.TEXT, b"Hello", mask=MASK) == bytes.fromhex("818537fa213d7f9f4d5158")


def test_rfc6455_5_7_fragmented_unmasked_text() -> None:
    assert encode_frame(Opcode.TEXT, b"Hel", fin=False) == bytes.fromhex("010348656c")
    assert encode_frame(Opcode.CONTINUATION, b"lo") == bytes.fromhex("80026c6f")


def test_rfc6455_5_7_unmasked_ping() -> None:
    assert encode_frame(Opcode.PING, b"Hello") == bytes.fromhex("890548656c6c6f")


def test_rfc6455_5_7_masked_pong() -> None:
    assert encode_frame(Opcode.PONG, b"Hello", mask=MASK) == bytes.fromhex("8a8537fa213d7f9f4d5158")


def test_rfc6455_5_7_binary_256_bytes() -> None:
    payload = bytes(range(256))
    assert encode_header(Opcode.BINARY, 256) == bytes.fromhex("827e0100")
    assert encode_frame(Opcode.BINARY, payload) == bytes.fromhex("827e0100") + payload


def test_rfc6455_5_7_binary_64_KiB() -> None:
    payload = bytes(range(256)) * 256
    assert encode_header(Opcode.BINARY, 65536) == bytes.fromhex("827f0000000000010000")
    assert encode_frame(Opcode.BINARY, payload) == bytes.fromhex("827f0000000000010000") + payload


def test_rfc6455_5_7_masked_header_includes_the_key() -> None:
    assert encode_header(Opcode.TEXT, 5, mask=MASK) == bytes.fromhex("818537fa213d")
    assert encode_header(Opcode.BINARY, 256, mask=MASK) == bytes.fromhex("82fe0100") + MASK
    assert encode_header(Opcode.BINARY, 65536, mask=MASK) == bytes.fromhex("82ff0000000000010000") + MASK


def test_opcode_may_be_a_plain_int() -> None:
    assert encode_frame(1, b"Hello") == bytes.fromhex("810548656c6c6f")
    assert encode_header(2, 256) == bytes.fromhex("827e0100")


# --- RFC 6455 §5.2: header fields -----------------------------------------------------------


@pytest.mark.parametrize(
    "length, raw",
    [
        (0, "8200"),
        (125, "827d"),
        (126, "827e007e"),
        (65535, "827effff"),
        (65536, "827f0000000000010000"),
        (2**32, "827f0000000100000000"),
        (2**63 - 1, "827f7fffffffffffffff"),
    ],
)
def test_rfc6455_5_2_minimal_length_encoding(length: int, raw: str) -> None:
    assert encode_header(Opcode.BINARY, length) == bytes.fromhex(raw)
    header = parse_header(encode_header(Opcode.BINARY, length, mask=MASK))
    assert header is not None and header.length == length and header.mask == MASK


@pytest.mark.parametrize("length", [-1, 2**63, 2**64])
def test_encode_header_length_out_of_range_is_value_error(length: int) -> None:
    with pytest.raises(ValueError):
        encode_header(Opcode.BINARY, length)


@pytest.mark.parametrize(
    "flags, first_byte",
    [
        ({}, 0x81),
        ({"rsv1": True}, 0xC1),
        ({"rsv2": True}, 0xA1),
        ({"rsv3": True}, 0x91),
        ({"rsv1": True, "rsv2": True, "rsv3": True}, 0xF1),
        ({"fin": False}, 0x01),
        ({"fin": False, "rsv1": True}, 0x41),
    ],
)
def test_rfc6455_5_2_fin_and_rsv_bits(flags: dict[str, bool], first_byte: int) -> None:
    assert encode_frame(Opcode.TEXT, b"", **flags)[0] == first_byte
    assert encode_header(Opcode.TEXT, 0, **flags)[0] == first_byte


def test_rfc6455_5_2_unmasked_frame_has_mask_bit_clear() -> None:
    frame = encode_frame(Opcode.BINARY, b"abc")
    assert frame[1] & 0x80 == 0 and frame[2:] == b"abc"


@pytest.mark.parametrize("opcode", list(Opcode))
def test_every_opcode_round_trips_through_parse_header(opcode: Opcode) -> None:
    header = parse_header(encode_frame(opcode, b"xy", mask=MASK))
    assert header is not None
    assert (header.opcode, header.fin, header.masked, header.length, header.header_size) == (opcode, True, True, 2, 6)


# --- local misuse -----------------------------------------------------------------------------


@pytest.mark.parametrize("opcode", RESERVED + [16, 255, -1])
def test_rfc6455_5_2_reserved_opcode_is_value_error(opcode: int) -> None:
    with pytest.raises(ValueError) as info:
        encode_frame(opcode, b"")
    assert not isinstance(info.value, ProtocolError)  # local misuse, not a peer's error
    with pytest.raises(ValueError):
        encode_header(opcode, 0)


@pytest.mark.parametrize("opcode", CONTROL)
def test_rfc6455_5_5_control_frame_over_125_bytes_is_value_error(opcode: Opcode) -> None:
    with pytest.raises(ValueError):
        encode_frame(opcode, b"x" * 126)
    with pytest.raises(ValueError):
        encode_header(opcode, 126)
    assert len(encode_frame(opcode, b"x" * 125)) == 127


@pytest.mark.parametrize("opcode", CONTROL)
def test_rfc6455_5_5_control_frame_with_fin_clear_is_value_error(opcode: Opcode) -> None:
    with pytest.raises(ValueError):
        encode_frame(opcode, b"", fin=False)
    with pytest.raises(ValueError):
        encode_header(opcode, 0, fin=False)


@pytest.mark.parametrize("mask", [b"", b"\x01\x02\x03", b"\x01\x02\x03\x04\x05", bytearray(8)])
def test_rfc6455_5_3_mask_not_4_bytes_is_value_error(mask: bytes) -> None:
    with pytest.raises(ValueError):
        encode_frame(Opcode.BINARY, b"abc", mask=mask)
    with pytest.raises(ValueError):
        encode_header(Opcode.BINARY, 3, mask=mask)


def test_str_payload_is_type_error() -> None:
    with pytest.raises(TypeError):
        encode_frame(Opcode.TEXT, "Hello")
    with pytest.raises(TypeError):
        encode_message(Opcode.TEXT, "Hello")


def test_payload_and_mask_accept_any_buffer() -> None:
    want = bytes.fromhex("818537fa213d7f9f4d5158")
    assert encode_frame(Opcode.TEXT, bytearray(b"Hello"), mask=bytearray(MASK)) == want
    assert encode_frame(Opcode.TEXT, memoryview(b"xHello")[1:], mask=memoryview(MASK)) == want


def test_masking_does_not_modify_the_callers_payload() -> None:
    payload = bytearray(b"Hello")
    encode_frame(Opcode.TEXT, payload, mask=MASK)
    assert payload == b"Hello"


# --- masked round trip --------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 1, 3, 4, 5, 125, 126, 1000, 65535, 65536, 70001])
def test_rfc6455_5_3_masked_round_trip_through_the_server_decoder(size: int) -> None:
    payload = bytes((i * 7 + 3) & 0xFF for i in range(size))
    key = new_mask()
    frame = encode_frame(Opcode.BINARY, payload, mask=key)
    header = parse_header(frame)
    assert header is not None and header.mask == key
    assert xor_mask_reference(frame[header.header_size :], key) == payload
    (decoded,) = list(FrameDecoder().feed(frame))
    assert bytes(decoded.payload) == payload


def test_encode_header_plus_masked_payload_equals_encode_frame() -> None:
    payload = b"scatter/gather write of a large payload" * 10
    head = encode_header(Opcode.BINARY, len(payload), mask=MASK)
    assert head + xor_mask_reference(payload, MASK) == encode_frame(Opcode.BINARY, payload, mask=MASK)


# --- new_mask -----------------------------------------------------------------------------------


def test_rfc6455_5_3_new_mask_is_4_fresh_bytes() -> None:
    keys = [new_mask() for _ in range(32)]
    assert all(type(k) is bytes and len(k) == 4 for k in keys)
    # 32 draws from 2**32 values: a repeat means the source is not random (p ~ 1e-7).
    assert len(set(keys)) == 32


# --- encode_message -----------------------------------------------------------------------------


def _decode(frames: list[bytes], *, client: bool) -> list[tuple[int, bytes, bool]]:
    decoder = FrameDecoder(client=client, max_frame_size=None)
    return [(int(f.opcode), bytes(f.payload), f.fin) for raw in frames for f in decoder.feed(raw)]


def test_encode_message_without_fragment_size_is_one_frame() -> None:
    assert encode_message(Opcode.TEXT, b"Hello") == [bytes.fromhex("810548656c6c6f")]
    assert encode_message(Opcode.BINARY, b"x" * 100000, fragment_size=None) == [
        encode_frame(Opcode.BINARY, b"x" * 100000)
    ]


@pytest.mark.parametrize("size, fragment_size", [(10, 3), (9, 3), (10, 10), (10, 11), (1, 1), (300, 7), (70000, 65536)])
def test_rfc6455_5_4_encode_message_fragment_sequence(size: int, fragment_size: int) -> None:
    payload = bytes(i & 0xFF for i in range(size))
    frames = encode_message(Opcode.BINARY, payload, fragment_size=fragment_size)
    decoded = _decode(frames, client=True)
    count = -(-size // fragment_size)
    assert len(frames) == len(decoded) == count
    # RFC 6455 §5.4: the first frame carries the opcode, the others CONTINUATION; FIN only
    # on the last one.  Never several separate messages.
    assert [op for op, _, _ in decoded] == [2] + [0] * (count - 1)
    assert [fin for _, _, fin in decoded] == [False] * (count - 1) + [True]
    assert all(len(p) <= fragment_size for _, p, _ in decoded)
    assert b"".join(p for _, p, _ in decoded) == payload


def test_encode_message_empty_payload_is_one_final_frame() -> None:
    assert encode_message(Opcode.TEXT, b"", fragment_size=4) == [bytes.fromhex("8100")]


def test_encode_message_text_is_reassembled() -> None:
    text = "fragmented text, split inside code points: €𝄞é" * 3
    frames = encode_message(Opcode.TEXT, text.encode(), fragment_size=5, masked=True)
    assembler = MessageAssembler()
    decoder = FrameDecoder()
    results = [assembler.add(f) for raw in frames for f in decoder.feed(raw)]
    assert results[:-1] == [None] * (len(frames) - 1)
    message = results[-1]
    assert message is not None and message.opcode == Opcode.TEXT and message.data == text


def test_rfc6455_5_3_encode_message_masked_uses_a_fresh_key_per_frame() -> None:
    frames = encode_message(Opcode.BINARY, bytes(64), fragment_size=4, masked=True)
    assert len(frames) == 16
    headers = [parse_header(f) for f in frames]
    assert all(h is not None and h.masked for h in headers)
    keys = [h.mask for h in headers if h is not None]
    assert len(set(keys)) == 16  # equal keys among 16 random draws: p ~ 3e-8
    # The payload is zero bytes, so each masked payload IS its key: proves it was applied.
    assert all(f[6:] == h.mask for f, h in zip(frames, headers) if h is not None)
    assert b"".join(p for _, p, _ in _decode(frames, client=False)) == bytes(64)


def test_encode_message_unmasked_frames_have_no_key() -> None:
    for raw in encode_message(Opcode.BINARY, b"abcdefgh", fragment_size=3):
        header = parse_header(raw)
        assert header is not None and not header.masked and header.mask is None


@pytest.mark.parametrize("opcode", CONTROL)
def test_rfc6455_5_5_encode_message_never_fragments_a_control_frame(opcode: Opcode) -> None:
    try:
        frames = encode_message(opcode, b"x" * 10, fragment_size=3)
    except ValueError:
        return  # refusing is acceptable; a fragmented control frame is not
    assert frames == [encode_frame(opcode, b"x" * 10)]


@pytest.mark.parametrize("fragment_size", [0, -1])
def test_encode_message_fragment_size_below_1_is_value_error(fragment_size: int) -> None:
    with pytest.raises(ValueError):
        encode_message(Opcode.BINARY, b"abc", fragment_size=fragment_size)


@pytest.mark.parametrize("opcode", RESERVED + [Opcode.CONTINUATION])
def test_encode_message_reserved_or_continuation_opcode_is_value_error(opcode: int) -> None:
    with pytest.raises(ValueError):
        encode_message(opcode, b"abc")
