"""The compiled aiohttp reader loop and its pure-Python reference take the same
parameters.

The loop is ``_AiohttpFeed`` in the compiled frames module and ``_Feed`` in
``wsframe.integrations.aiohttp._reader``: the reader builds either with the same
arguments, so their parameter names must agree.
"""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from _support import load_implementation
from wsframe.integrations.aiohttp import _reader


class _Queue:
    _limit = 1 << 16
    _size = 0

    def feed_data(self, msg: Any, size: int) -> None:
        pass


def test_compiled_loop_is_built_with_the_reference_keywords() -> None:
    frames = load_implementation("frames", "c")
    values = {
        "decoder": frames.FrameDecoder(),
        "queue": _Queue(),
        "kinds": (tuple, tuple, 1, 2),
        "text": True,
        "inflater": None,
        "bound": None,
    }
    names = [n for n in inspect.signature(_reader._Feed.__init__).parameters if n != "self"]
    assert sorted(names) == sorted(values)
    loop = frames._AiohttpFeed(**{name: values[name] for name in names})
    assert loop.feed(b"") == (0, 0, None)


def test_compiled_feed_takes_the_reference_parameters() -> None:
    compiled = load_implementation("frames", "c")._AiohttpFeed
    assert list(inspect.signature(compiled.feed).parameters) == list(inspect.signature(_reader._Feed.feed).parameters)


class _Message(tuple):  # type: ignore[type-arg]
    pass


class _TextBytes(tuple):  # type: ignore[type-arg]
    pass


class _Recorder(_Queue):
    """A queue that keeps what it is fed, charging what aiohttp's charges."""

    def __init__(self, limit: int) -> None:
        self.fed: list[Any] = []
        self._limit = limit

    def feed_data(self, msg: Any, size: int) -> None:
        self.fed.append((type(msg).__name__, tuple(msg), size))
        self._size += size + 128


def _run_loop(backend: str, stream: bytes, text: bool, limit: int = 1 << 30) -> tuple[Any, ...]:
    frames = load_implementation("frames", backend)
    queue = _Recorder(limit)
    decoder = frames.FrameDecoder(max_frame_size=None, validate_utf8=False)
    loop_class = frames._AiohttpFeed if backend == "c" else _reader._Feed
    loop = loop_class(decoder, queue, (_Message, _TextBytes, "text", "binary"), text, None, None)
    count, kind, obj = loop.feed(stream)
    frame = None if obj is None else (obj.opcode, obj.payload)
    return count, kind, frame, queue.fed, decoder.buffered


@pytest.mark.parametrize("text", [True, False])
@pytest.mark.parametrize(
    "bad",
    [b"ab\xffcd", b"abc\xe2\x82", b"a" * 9000 + b"\xc0\xaf", "é€😀".encode() * 3000 + b"\xf5", None],
)
def test_both_loops_deliver_the_same_and_stop_at_the_same_frame(bad: bytes | None, text: bool) -> None:
    # Whole text and binary messages, ASCII and not, short and past one block
    # of the one-pass text decoder; then text that is not UTF-8 (handed back
    # as its frame) or a ping (another frame for the caller), then more.
    frames = load_implementation("frames", "python")
    good = [(1, b"hello"), (2, b"\x00\xff"), (1, "héllo €😀".encode()), (1, b"x" * 20000), (1, b"")]
    good += [(1, "ж".encode() * 9000), (2, b"")]
    stream = b"".join(frames.encode_frame(op, p, mask=b"abcd") for op, p in good)
    last = frames.encode_frame(1, bad, mask=b"wxyz") if bad is not None else frames.encode_frame(9, b"!", mask=b"k3y!")
    stream += last + frames.encode_frame(1, b"after", mask=b"abcd")
    reference = _run_loop("python", stream, text)
    assert _run_loop("c", stream, text) == reference
    count, kind, frame, fed, _ = reference
    if bad is not None and not text:
        # Text as bytes (aiohttp's decode_text=False): nothing to refuse.
        assert (count, kind, frame) == (len(good) + 2, 0, None)
        return
    assert (count, kind) == (len(good), 1)
    assert frame == ((1, bad) if bad is not None else (9, b"!"))
    expected = [
        (
            "_TextBytes" if op == 1 and not text else "_Message",
            ("text" if op == 1 else "binary", p.decode() if op == 1 and text else p, ""),
            len(p),
        )
        for op, p in good
    ]
    assert fed == expected
    # Over the queue's mark the next frame comes back undelivered, whatever
    # it holds, at the same place in both.
    for limit in (0, 200, 25000):
        over = _run_loop("python", stream, text, limit)
        assert over[1] == 2
        assert _run_loop("c", stream, text, limit) == over
