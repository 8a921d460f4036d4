"""Close frames: parse_close, encode_close, is_valid_close_code and the decoder's close rules.

RFC 6455 §5.5.1 (Close body), §7.1.5 (no status code), §7.4 (status codes), §8.1 (UTF-8).
wsframe's one documented policy for codes that may appear in a Close frame:
1000-1003, 1007-1014, 3000-4999.
"""

from __future__ import annotations

import pytest

from _support import implementation_fixture
from wsframe.errors import InvalidUTF8, ProtocolError
from wsframe.frames import (
    CloseCode,
    FrameDecoder,
    MessageAssembler,
    Opcode,
    encode_close,
    encode_frame,
    is_valid_close_code,
    parse_close,
)

# The names above are rebound to each implementation in turn: every test of this
# module runs against wsframe._reference.frames [python] and the compiled
# wsframe._speedups._frames [c] (see _support.implementation_fixture).
implementation = implementation_fixture("frames")

MASK = bytes.fromhex("37fa213d")

VALID = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999]
INVALID = [0, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535]


def policy(code: int) -> bool:
    """The documented policy, written out independently of wsframe."""
    return 1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999


def close_frame(payload: bytes) -> bytes:
    return encode_frame(Opcode.CLOSE, payload, mask=MASK)


def decode_error(data: bytes, **kwargs: object) -> ProtocolError:
    decoder = FrameDecoder(**kwargs)  # type: ignore[arg-type]
    with pytest.raises(ProtocolError) as info:
        list(decoder.feed(data))
    return info.value


# --- is_valid_close_code ------------------------------------------------------------------------


def test_rfc6455_7_4_is_valid_close_code_matches_the_policy_for_every_16_bit_code() -> None:
    wrong = [c for c in range(65536) if is_valid_close_code(c) != policy(c)]
    assert wrong == []


@pytest.mark.parametrize("code", VALID)
def test_rfc6455_7_4_1_valid_close_codes(code: int) -> None:
    assert is_valid_close_code(code) is True


@pytest.mark.parametrize("code", INVALID)
def test_rfc6455_7_4_1_invalid_close_codes(code: int) -> None:
    assert is_valid_close_code(code) is False


def test_close_code_enum_values() -> None:
    assert CloseCode(1000) == 1000 and CloseCode(1005) == 1005 and CloseCode(1009) == 1009
    assert isinstance(CloseCode(1002), int)


# --- parse_close --------------------------------------------------------------------------------


def test_rfc6455_7_1_5_empty_close_payload_is_1005() -> None:
    assert parse_close(b"") == (1005, "")
    code, reason = parse_close(b"")
    assert type(reason) is str


@pytest.mark.parametrize("code", VALID)
def test_rfc6455_5_5_1_parse_close_code_only(code: int) -> None:
    assert parse_close(code.to_bytes(2, "big")) == (code, "")


def test_rfc6455_5_5_1_parse_close_with_utf8_reason() -> None:
    assert parse_close(b"\x03\xe8Hello World!") == (1000, "Hello World!")
    assert parse_close(b"\x0f\xa0" + "κόσμε €𝄞".encode()) == (4000, "κόσμε €𝄞")
    assert parse_close(bytearray(b"\x03\xe9bye")) == (1001, "bye")
    assert parse_close(memoryview(b"\x03\xe9bye")) == (1001, "bye")


def test_rfc6455_5_5_1_close_payload_of_length_1_is_1002() -> None:
    with pytest.raises(ProtocolError) as info:
        parse_close(b"\x03")
    assert info.value.code == 1002


@pytest.mark.parametrize("code", INVALID)
def test_rfc6455_7_4_parse_close_invalid_code_is_1002(code: int) -> None:
    with pytest.raises(ProtocolError) as info:
        parse_close(code.to_bytes(2, "big") + b"reason")
    assert info.value.code == 1002
    assert str(code) in str(info.value)  # "invalid close code 1005"


@pytest.mark.parametrize(
    "reason, position",
    [
        (b"\xff", 0),
        (b"ok\xff", 2),
        (b"Hello-\xc0\xafWorld", 6),
        (b"\xce\xba\xe1\xbd\xb9\xed\xa0\x80", 5),
        (b"truncated \xe2\x82", 10),
        (b"\xf4\x90\x80\x80", 0),
    ],
)
def test_rfc6455_8_1_close_reason_invalid_utf8_is_1007_with_position_in_reason(reason: bytes, position: int) -> None:
    with pytest.raises(InvalidUTF8) as info:
        parse_close(b"\x03\xe8" + reason)
    assert info.value.code == 1007
    assert info.value.position == position


# --- encode_close -------------------------------------------------------------------------------


def test_rfc6455_5_5_1_encode_close_code_and_reason() -> None:
    assert encode_close(1000) == b"\x03\xe8"
    assert encode_close(1001, "bye") == b"\x03\xe9bye"
    assert encode_close(CloseCode(1011), "é") == b"\x03\xf3\xc3\xa9"
    assert type(encode_close(1000)) is bytes


@pytest.mark.parametrize("code", VALID)
def test_rfc6455_7_4_encode_close_round_trip(code: int) -> None:
    assert parse_close(encode_close(code, "reason €")) == (code, "reason €")


@pytest.mark.parametrize("code", INVALID)
def test_rfc6455_7_4_encode_close_invalid_code_is_value_error(code: int) -> None:
    with pytest.raises(ValueError):
        encode_close(code)


def test_rfc6455_5_5_encode_close_reason_of_123_bytes_is_allowed() -> None:
    reason = "é" * 61 + "a"  # 123 bytes, 62 characters
    payload = encode_close(1000, reason)
    assert len(payload) == 125
    assert parse_close(payload) == (1000, reason)


@pytest.mark.parametrize("reason", ["a" * 124, "é" * 62, "€" * 42])
def test_rfc6455_5_5_encode_close_reason_over_123_bytes_is_value_error(reason: str) -> None:
    # Counted in UTF-8 bytes, not characters: the whole control payload must fit in 125.
    with pytest.raises(ValueError):
        encode_close(1000, reason)


@pytest.mark.parametrize("reason", [b"bytes", None, 5])
def test_encode_close_reason_must_be_str(reason: object) -> None:
    with pytest.raises(TypeError):
        encode_close(1000, reason)  # type: ignore[arg-type]


# --- the decoder's close rules ------------------------------------------------------------------


def test_rfc6455_5_5_1_decoder_accepts_empty_close() -> None:
    (frame,) = list(FrameDecoder().feed(close_frame(b"")))
    assert frame.opcode == Opcode.CLOSE and bytes(frame.payload) == b""


def test_rfc6455_5_5_1_decoder_close_payload_of_length_1_is_1002() -> None:
    assert decode_error(close_frame(b"\x03")).code == 1002


@pytest.mark.parametrize("code", INVALID)
def test_rfc6455_7_4_decoder_invalid_close_code_is_1002(code: int) -> None:
    assert decode_error(close_frame(code.to_bytes(2, "big"))).code == 1002


@pytest.mark.parametrize("code", VALID)
def test_rfc6455_7_4_decoder_valid_close_code_is_accepted(code: int) -> None:
    (frame,) = list(FrameDecoder().feed(close_frame(code.to_bytes(2, "big") + b"ok")))
    assert parse_close(frame.payload) == (code, "ok")


def test_rfc6455_5_5_1_decoder_close_with_maximal_reason() -> None:
    payload = b"\x03\xe8" + b"*" * 123
    (frame,) = list(FrameDecoder().feed(close_frame(payload)))
    assert bytes(frame.payload) == payload


def test_rfc6455_5_5_decoder_close_payload_of_126_bytes_is_1002() -> None:
    # Autobahn 7.3.6: code + 124-byte reason, sent with a 16-bit length.
    assert decode_error(bytes.fromhex("88fe007e") + MASK + b"\x03\xe8" + b"*" * 124).code == 1002


@pytest.mark.parametrize(
    "reason, position",
    [(b"\xff", 0), (b"Hello-\xc0\xafWorld", 6), (b"ab\xed\xa0\x80", 2), (b"ab\xe2", 2)],
)
def test_rfc6455_8_1_decoder_close_reason_invalid_utf8_is_1007_with_position(reason: bytes, position: int) -> None:
    err = decode_error(close_frame(b"\x03\xe8" + reason))
    assert isinstance(err, InvalidUTF8)
    assert err.code == 1007 and err.position == position


def test_rfc6455_8_1_decoder_close_reason_validated_even_with_validate_utf8_false() -> None:
    err = decode_error(close_frame(b"\x03\xe8ok\xff"), validate_utf8=False)
    assert isinstance(err, InvalidUTF8) and err.position == 2


def test_rfc6455_5_5_1_close_frame_inside_fragmented_message_is_accepted() -> None:
    # Autobahn 7.1.5: fragment 1, close, fragment 2 -> the close is delivered, then nothing.
    data = (
        encode_frame(Opcode.TEXT, b"frag1", fin=False, mask=MASK)
        + close_frame(b"\x03\xe8")
        + encode_frame(Opcode.CONTINUATION, b"frag2", mask=MASK)
    )
    frames = list(FrameDecoder().feed(data))
    assert [(int(f.opcode), bytes(f.payload)) for f in frames] == [(1, b"frag1"), (8, b"\x03\xe8")]


def test_rfc6455_5_5_1_decoder_yields_nothing_after_close() -> None:
    # RFC 6455 §5.5.1: after sending/receiving a Close the endpoint processes no more data
    # (Autobahn 7.1.2-7.1.4: a second close, a ping, a text message after the close).
    decoder = FrameDecoder()
    data = close_frame(b"\x03\xe8") + close_frame(b"\x03\xe8") + encode_frame(Opcode.PING, b"", mask=MASK)
    assert [int(f.opcode) for f in decoder.feed(data)] == [8]
    assert list(decoder.feed(encode_frame(Opcode.TEXT, b"after", mask=MASK))) == []
    # Even input that would be a protocol error is discarded, not judged.
    assert list(decoder.feed(encode_frame(Opcode.TEXT, b"unmasked"))) == []
    assert list(decoder.feed(b"\x83\xff")) == []


def test_rfc6455_5_5_1_invalid_close_after_good_frames() -> None:
    decoder = FrameDecoder()
    got = []
    with pytest.raises(ProtocolError) as info:
        for frame in decoder.feed(encode_frame(Opcode.TEXT, b"hi", mask=MASK) + close_frame(b"\x03\xec")):
            got.append(bytes(frame.payload))
    assert got == [b"hi"] and info.value.code == 1002  # 1004 is reserved


def test_assembler_returns_close_frame_as_message() -> None:
    (frame,) = list(FrameDecoder().feed(close_frame(encode_close(1001, "bye"))))
    message = MessageAssembler().add(frame)
    assert message is not None and message.opcode == Opcode.CLOSE
    assert parse_close(message.data) == (1001, "bye")
