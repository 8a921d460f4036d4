"""FrameDecoder.feed_messages(data, assembler): the decoder and the assembler in one call.

Its meaning is the composition ``for f in decoder.feed(data): m = assembler.add(f)``,
yielding each message that is not None: the same messages, the same errors (type, code,
position, wording) at the same step, the same state afterwards.  Each test here runs on
both backends.  The compiled one also takes a whole text message in one frame from the
input to its str without a Frame (wsf_text.h): tests/utf8/test_text_path.py checks that
at every SIMD level against the reference (around the kernel's block edges, on both
sides of the GIL threshold, with ill-formed bytes), and test_frames_differential.py on
generated streams.
"""

from __future__ import annotations

from typing import Any

import pytest

from _support import implementation_fixture, raw_frame
from wsframe.errors import InvalidUTF8, PayloadTooBig, ProtocolError
from wsframe.frames import FrameDecoder, MessageAssembler, Opcode

implementation = implementation_fixture("frames")

KEY = b"\x37\xfa\x21\x3d"


def text(data: bytes, **kw: Any) -> bytes:
    return raw_frame(1, data, mask=KEY, **kw)


def composed(wire: list[bytes], **assembler_opts: Any) -> list[Any]:
    """What the two-call form gives: messages, then the error, if any."""
    decoder, assembler = FrameDecoder(), MessageAssembler(**assembler_opts)
    out: list[Any] = []
    try:
        for chunk in wire:
            for frame in decoder.feed(chunk):
                message = assembler.add(frame)
                if message is not None:
                    out.append(message)
    except ProtocolError as exc:
        out.append((type(exc), exc.code, str(exc), getattr(exc, "position", None)))
    return out


def one_call(wire: list[bytes], **assembler_opts: Any) -> list[Any]:
    decoder, assembler = FrameDecoder(), MessageAssembler(**assembler_opts)
    out: list[Any] = []
    try:
        for chunk in wire:
            out.extend(decoder.feed_messages(chunk, assembler))
    except ProtocolError as exc:
        out.append((type(exc), exc.code, str(exc), getattr(exc, "position", None)))
    return out


CASES = [
    [text(b"hello")],
    [text("h\u00e9llo \u20ac \U0001f600".encode())],
    [text(b"")],
    [text(b"a" * 70000)],
    [text(b"ab", fin=False), raw_frame(9, b"ping", mask=KEY), raw_frame(0, b"cd", mask=KEY)],
    [text(b"one") + raw_frame(2, b"\x00\xff", mask=KEY) + text(b"two")],
    [text(b"ok") + text(b"\xff") + text(b"never")],
    [text(b"a" * 100 + b"\xc3")],
    [text(b"ok") + raw_frame(8, b"\x03\xe8bye", mask=KEY) + text(b"after close")],
    [raw_frame(0, b"x", mask=KEY)],
    [text(b"\xe2\x82", fin=False), raw_frame(0, b"\xac", mask=KEY)],
    [text(b"x" * 20)[:10], text(b"x" * 20)[10:]],
]


@pytest.mark.parametrize("wire", CASES)
@pytest.mark.parametrize("opts", [{}, {"max_message_size": 5}, {"max_message_size": None}, {"decode_text": False}])
def test_same_as_feed_then_add(wire: list[bytes], opts: dict[str, Any]) -> None:
    assert one_call(wire, **opts) == composed(wire, **opts)


def test_whole_text_message_becomes_its_str() -> None:
    decoder, assembler = FrameDecoder(), MessageAssembler()
    body = "gr\u00fc\u00df dich \u4e16\u754c \U0001f30d".encode()
    [message] = decoder.feed_messages(text(body), assembler)
    assert message.opcode is Opcode.TEXT
    assert message.data == body.decode() and type(message.data) is str
    assert message.compressed is False
    assert decoder.buffered == 0 and not assembler.in_message


def test_whole_binary_message_is_its_payload() -> None:
    decoder, assembler = FrameDecoder(), MessageAssembler(4)
    wire = raw_frame(2, b"\x00\x01\xff\xfe", mask=KEY) + raw_frame(2, b"", mask=KEY)
    messages = list(decoder.feed_messages(wire, assembler))
    assert [(m.opcode, m.data, type(m.data)) for m in messages] == [
        (Opcode.BINARY, b"\x00\x01\xff\xfe", bytes),
        (Opcode.BINARY, b"", bytes),
    ]
    with pytest.raises(PayloadTooBig):
        list(decoder.feed_messages(raw_frame(2, b"12345", mask=KEY), assembler))


def test_limit_is_inclusive_and_checked_after_the_text() -> None:
    # RFC 6455 §7.4.1: a message of exactly the limit is allowed; one byte over is
    # a 1009, and ill-formed text over the limit is a 1007 first (the decoder
    # validates before the assembler measures), as with feed() + add().
    [message] = FrameDecoder().feed_messages(text(b"12345"), MessageAssembler(5))
    assert message.data == "12345"
    with pytest.raises(PayloadTooBig):
        list(FrameDecoder().feed_messages(text(b"123456"), MessageAssembler(5)))
    with pytest.raises(InvalidUTF8):
        list(FrameDecoder().feed_messages(text(b"12345\xff"), MessageAssembler(5)))


def test_messages_before_an_error_come_first_then_every_call_raises() -> None:
    decoder, assembler = FrameDecoder(), MessageAssembler()
    iterator = decoder.feed_messages(text(b"first") + text(b"bad \xed\xa0\x80"), assembler)
    assert next(iterator).data == "first"
    with pytest.raises(InvalidUTF8) as info:
        next(iterator)
    assert info.value.position == 4 and info.value.code == 1007
    assert list(iterator) == []  # exhausted, as a generator that raised
    with pytest.raises(InvalidUTF8):
        decoder.feed_messages(text(b"more"), assembler)
    with pytest.raises(InvalidUTF8):
        decoder.feed(b"")


def test_lazy_like_feed() -> None:
    decoder, assembler = FrameDecoder(), MessageAssembler()
    iterator = decoder.feed_messages(text(b"a") + text(b"b"), assembler)
    assert decoder.buffered > 0  # nothing decoded until asked
    assert next(iterator).data == "a"
    assert [m.data for m in decoder.feed_messages(b"", assembler)] == ["b"]
    assert list(iterator) == []


def test_control_frames_and_fragments_go_through_the_assembler() -> None:
    decoder, assembler = FrameDecoder(), MessageAssembler()
    wire = text(b"he", fin=False) + raw_frame(9, b"p", mask=KEY) + raw_frame(0, b"llo", mask=KEY)
    messages = list(decoder.feed_messages(wire, assembler))
    assert [(m.opcode, m.data) for m in messages] == [(Opcode.PING, b"p"), (Opcode.TEXT, "hello")]


def test_any_assembler_with_add_is_used_as_given() -> None:
    class Counting(MessageAssembler):
        def add(self, frame: Any) -> Any:
            self.seen = getattr(self, "seen", 0) + 1
            return super().add(frame)

    assembler = Counting()
    [message] = FrameDecoder().feed_messages(text(b"hi"), assembler)
    assert message.data == "hi" and assembler.seen == 1

    class Collect:
        def __init__(self) -> None:
            self.frames: list[Any] = []

        def add(self, frame: Any) -> Any:
            self.frames.append(frame)
            return frame.payload

    collect = Collect()
    assert list(FrameDecoder().feed_messages(text(b"x") + text(b"y"), collect)) == [b"x", b"y"]
    assert [f.opcode for f in collect.frames] == [Opcode.TEXT, Opcode.TEXT]


def test_argument_errors() -> None:
    with pytest.raises(TypeError):
        FrameDecoder().feed_messages("text", MessageAssembler())
    with pytest.raises(TypeError, match="assembler must be a MessageAssembler, not object"):
        FrameDecoder().feed_messages(text(b"x"), object())
