"""wsframe.frames.MessageAssembler: frames -> messages (RFC 6455 §5.4, §5.6, §8.1; RFC 7692)."""

from __future__ import annotations

import pytest

from _support import implementation_fixture
from wsframe.errors import InvalidUTF8, PayloadTooBig, ProtocolError
from wsframe.frames import (
    Frame,
    FrameDecoder,
    Message,
    MessageAssembler,
    Opcode,
    encode_frame,
)

# The names above are rebound to each implementation in turn: every test of this
# module runs against wsframe._reference.frames [python] and the compiled
# wsframe._speedups._frames [c] (see _support.implementation_fixture).
implementation = implementation_fixture("frames")

MiB = 1 << 20
CONT, TEXT, BINARY = Opcode.CONTINUATION, Opcode.TEXT, Opcode.BINARY
CLOSE, PING, PONG = Opcode.CLOSE, Opcode.PING, Opcode.PONG


def F(opcode: int, payload: bytes = b"", fin: bool = True, rsv1: bool = False) -> Frame:
    return Frame(opcode=Opcode(opcode), payload=payload, fin=fin, rsv1=rsv1, rsv2=False, rsv3=False)


def add_all(assembler: MessageAssembler, frames: list[Frame]) -> list[Message | None]:
    return [assembler.add(f) for f in frames]


# --- single frames and control frames -----------------------------------------------------------


def test_rfc6455_5_6_single_text_frame_is_a_str_message() -> None:
    message = MessageAssembler().add(F(TEXT, "Hello €".encode()))
    assert message is not None
    assert message.opcode == TEXT and message.data == "Hello €" and type(message.data) is str
    assert message.compressed is False


def test_rfc6455_5_6_single_binary_frame_is_a_bytes_message() -> None:
    message = MessageAssembler().add(F(BINARY, b"\x00\xff"))
    assert message is not None
    assert message.opcode == BINARY and message.data == b"\x00\xff" and type(message.data) is bytes


def test_empty_messages() -> None:
    assembler = MessageAssembler()
    text, binary = assembler.add(F(TEXT)), assembler.add(F(BINARY))
    assert text is not None and text.data == ""
    assert binary is not None and binary.data == b""


@pytest.mark.parametrize("opcode", [PING, PONG, CLOSE])
def test_rfc6455_5_5_control_frame_comes_back_at_once(opcode: Opcode) -> None:
    payload = b"\x03\xe8" if opcode == CLOSE else b"payload"
    message = MessageAssembler().add(F(opcode, payload))
    assert message is not None and message.opcode == opcode
    assert message.data == payload and type(message.data) is bytes


# --- fragmentation (RFC 6455 §5.4) --------------------------------------------------------------


def test_rfc6455_5_4_fragments_return_none_until_the_final_one() -> None:
    # RFC 6455 §5.7 fragmented "Hel" + "lo".
    results = add_all(MessageAssembler(), [F(TEXT, b"Hel", fin=False), F(CONT, b"lo")])
    assert results[0] is None
    assert results[1] is not None and results[1].opcode == TEXT and results[1].data == "Hello"


def test_in_message_tracks_an_incomplete_fragmented_message() -> None:
    assembler = MessageAssembler()
    states = [assembler.in_message]
    for frame in (F(TEXT, b"a", fin=False), F(PING, b""), F(CONT, b"b")):
        assembler.add(frame)
        states.append(assembler.in_message)
    assert states == [False, True, True, False]


def test_rfc6455_5_4_many_fragments_including_empty_ones() -> None:
    frames = [F(BINARY, b"", fin=False), F(CONT, b"a", fin=False), F(CONT, b"", fin=False), F(CONT, b"bc")]
    results = add_all(MessageAssembler(), frames)
    assert results[:3] == [None, None, None]
    assert results[3] is not None and results[3].opcode == BINARY and results[3].data == b"abc"


def test_rfc6455_5_4_control_frames_interleaved_with_fragments() -> None:
    frames = [
        F(TEXT, b"frag1", fin=False),
        F(PING, b"p"),
        F(CONT, b"frag2", fin=False),
        F(PONG, b"q"),
        F(CONT, b"frag3"),
    ]
    results = add_all(MessageAssembler(), frames)
    assert results[0] is None and results[2] is None
    assert [(m.opcode, m.data) for m in (results[1], results[3], results[4]) if m is not None] == [
        (PING, b"p"),
        (PONG, b"q"),
        (TEXT, "frag1frag2frag3"),
    ]


def test_rfc6455_5_4_text_split_inside_code_points() -> None:
    text = "κόσμε €𝄞".encode()
    for cut in range(len(text) + 1):
        results = add_all(MessageAssembler(), [F(TEXT, text[:cut], fin=False), F(CONT, text[cut:])])
        assert results[1] is not None and results[1].data == "κόσμε €𝄞"


def test_rfc6455_5_4_next_message_after_a_fragmented_one() -> None:
    assembler = MessageAssembler()
    add_all(assembler, [F(BINARY, b"a", fin=False), F(CONT, b"b")])
    message = assembler.add(F(TEXT, b"next"))
    assert message is not None and message.data == "next"


@pytest.mark.parametrize("fin", [True, False])
def test_rfc6455_5_4_continuation_without_start_is_1002(fin: bool) -> None:
    with pytest.raises(ProtocolError) as info:
        MessageAssembler().add(F(CONT, b"x", fin=fin))
    assert info.value.code == 1002


def test_rfc6455_5_4_continuation_after_a_complete_message_is_1002() -> None:
    assembler = MessageAssembler()
    assert assembler.add(F(TEXT, b"done")) is not None
    with pytest.raises(ProtocolError) as info:
        assembler.add(F(CONT, b"x"))
    assert info.value.code == 1002


@pytest.mark.parametrize("second", [TEXT, BINARY])
def test_rfc6455_5_4_new_data_frame_inside_fragmented_message_is_1002(second: Opcode) -> None:
    assembler = MessageAssembler()
    assert assembler.add(F(TEXT, b"a", fin=False)) is None
    with pytest.raises(ProtocolError) as info:
        assembler.add(F(second, b"b"))
    assert info.value.code == 1002


# --- max_message_size ---------------------------------------------------------------------------


def test_max_message_size_exact_limit_is_allowed() -> None:
    results = add_all(
        MessageAssembler(max_message_size=10),
        [F(BINARY, b"a" * 4, fin=False), F(CONT, b"b" * 4, fin=False), F(CONT, b"c" * 2)],
    )
    assert results[2] is not None and len(results[2].data) == 10


def test_max_message_size_is_1009_as_soon_as_running_size_passes_the_limit() -> None:
    assembler = MessageAssembler(max_message_size=10)
    assert assembler.add(F(BINARY, b"a" * 4, fin=False)) is None
    assert assembler.add(F(CONT, b"b" * 4, fin=False)) is None
    with pytest.raises(PayloadTooBig) as info:
        assembler.add(F(CONT, b"c" * 3, fin=False))  # not the final frame: fail now
    assert info.value.code == 1009


def test_max_message_size_single_frame_over_the_limit() -> None:
    with pytest.raises(PayloadTooBig):
        MessageAssembler(max_message_size=10).add(F(TEXT, b"x" * 11))


def test_max_message_size_counts_each_message_separately() -> None:
    assembler = MessageAssembler(max_message_size=10)
    for _ in range(5):
        assert assembler.add(F(BINARY, b"x" * 10)) is not None


def test_max_message_size_default_is_1_MiB() -> None:
    message = MessageAssembler().add(F(BINARY, bytes(MiB)))
    assert message is not None and len(message.data) == MiB
    assembler = MessageAssembler()
    assert assembler.add(F(BINARY, bytes(MiB), fin=False)) is None
    with pytest.raises(PayloadTooBig):
        assembler.add(F(CONT, b"x"))


def test_max_message_size_none_means_no_limit() -> None:
    results = add_all(
        MessageAssembler(max_message_size=None),
        [F(BINARY, bytes(MiB), fin=False), F(CONT, bytes(MiB), fin=False), F(CONT, b"end")],
    )
    assert results[2] is not None and len(results[2].data) == 2 * MiB + 3


def test_assembler_rejects_negative_max_message_size() -> None:
    with pytest.raises(ValueError):
        MessageAssembler(max_message_size=-1)


def test_max_message_size_counts_compressed_wire_bytes() -> None:
    # RFC 7692: a compressed message is measured before inflation (wire bytes).
    assembler = MessageAssembler(max_message_size=8)
    results = add_all(assembler, [F(TEXT, b"\x01" * 4, fin=False, rsv1=True), F(CONT, b"\x02" * 4)])
    assert results[1] is not None and results[1].data == b"\x01" * 4 + b"\x02" * 4
    with pytest.raises(PayloadTooBig):
        MessageAssembler(max_message_size=8).add(F(BINARY, b"\x01" * 9, rsv1=True))


# --- text (RFC 6455 §8.1) -----------------------------------------------------------------------


def test_rfc6455_8_1_decode_text_false_gives_validated_bytes() -> None:
    assembler = MessageAssembler(decode_text=False)
    results = add_all(assembler, [F(TEXT, "€".encode()[:1], fin=False), F(CONT, "€".encode()[1:] + b"!")])
    assert results[1] is not None and results[1].data == "€!".encode() and type(results[1].data) is bytes
    with pytest.raises(InvalidUTF8) as info:
        add_all(MessageAssembler(decode_text=False), [F(TEXT, b"ab"), F(TEXT, b"c\xff")])
    assert info.value.code == 1007 and info.value.position == 1


@pytest.mark.parametrize("decode_text", [True, False])
def test_rfc6455_8_1_invalid_text_is_1007_with_position_in_message(decode_text: bool) -> None:
    assembler = MessageAssembler(decode_text=decode_text)
    with pytest.raises(InvalidUTF8) as info:
        add_all(assembler, [F(TEXT, b"ab", fin=False), F(CONT, b"c\xed\xa0\x80", fin=False), F(CONT, b"z")])
    assert info.value.code == 1007 and info.value.position == 3


@pytest.mark.parametrize("decode_text", [True, False])
def test_rfc6455_8_1_text_ending_inside_a_code_point_is_1007(decode_text: bool) -> None:
    assembler = MessageAssembler(decode_text=decode_text)
    with pytest.raises(InvalidUTF8) as info:
        add_all(assembler, [F(TEXT, b"abc\xe2\x82", fin=False), F(CONT, b"")])
    assert info.value.position == 3


def test_binary_messages_are_not_validated() -> None:
    message = MessageAssembler().add(F(BINARY, b"\xff\xed\xa0\x80"))
    assert message is not None and message.data == b"\xff\xed\xa0\x80"


# --- compressed messages (RFC 7692) -------------------------------------------------------------


def test_rfc7692_compressed_message_is_bytes_with_compressed_true() -> None:
    assembler = MessageAssembler()
    results = add_all(
        assembler, [F(TEXT, b"\xf2\x48\xcd", fin=False, rsv1=True), F(PING, b""), F(CONT, b"\xc9\xc9\x07\x00")]
    )
    message = results[2]
    assert results[0] is None and results[1] is not None and results[1].opcode == PING
    assert message is not None
    assert message.opcode == TEXT and message.compressed is True
    assert message.data == b"\xf2\x48\xcd\xc9\xc9\x07\x00" and type(message.data) is bytes
    # The next, uncompressed message is text again.
    after = assembler.add(F(TEXT, b"plain"))
    assert after is not None and after.data == "plain" and after.compressed is False


def test_rfc7692_compressed_binary_message() -> None:
    message = MessageAssembler().add(F(BINARY, b"\x00\x01", rsv1=True))
    assert message is not None and message.compressed is True and message.data == b"\x00\x01"


# --- with the decoder ---------------------------------------------------------------------------


def test_decoder_and_assembler_rfc6455_5_7_fragmented_text() -> None:
    decoder, assembler = FrameDecoder(client=True), MessageAssembler()
    results = [assembler.add(f) for f in decoder.feed(bytes.fromhex("010348656c80026c6f"))]
    assert results[0] is None and results[1] is not None and results[1].data == "Hello"


def test_decoder_and_assembler_max_sizes_agree_on_exact_limit() -> None:
    payload = b"y" * 1000
    decoder = FrameDecoder(max_frame_size=1000)
    assembler = MessageAssembler(max_message_size=1000)
    raw = encode_frame(BINARY, payload, mask=b"abcd")
    (message,) = [assembler.add(f) for f in decoder.feed(raw)]
    assert message is not None and message.data == payload


# --- one-frame messages a decoder validated (the compiled backend's direct path) ----------------


@pytest.mark.parametrize("decode_text", [True, False])
@pytest.mark.parametrize("opcode", [TEXT, BINARY])
def test_decoded_one_frame_messages_within_at_and_over_the_limit(opcode: Opcode, decode_text: bool) -> None:
    text = "😀 grüße 世界!".encode()  # 20 bytes
    decoder = FrameDecoder()
    frames = list(decoder.feed(b"".join(encode_frame(opcode, text[:n], mask=b"\x01\x02\x03\x04") for n in (19, 20, 0))))
    assembler = MessageAssembler(max_message_size=20, decode_text=decode_text)
    for frame, n in zip(frames[1:], (20, 0)):  # at the limit, empty
        message = assembler.add(frame)
        assert message == Message(opcode, text[:n].decode() if opcode == TEXT and decode_text else text[:n], False)
        assert type(message.data) is (str if opcode == TEXT and decode_text else bytes)
    with pytest.raises(PayloadTooBig):
        MessageAssembler(max_message_size=18, decode_text=decode_text).add(frames[0])
    # Inside a fragmented message a whole data frame is a §5.4 error, validated or not.
    assembler.add(F(opcode, b"a", fin=False))
    with pytest.raises(ProtocolError) as info:
        assembler.add(frames[1])
    assert info.value.code == 1002
    assert not isinstance(info.value, PayloadTooBig)
