"""Memory under hostile streams, per connection, on both backends (tracemalloc bounds).

The rule (docs/design.md: "never a crash, a hang or unbounded memory"): what a decoder holds
grows with the bytes it has received and not yet delivered, never with the lengths a
peer declares, and it gives memory back once little data is live.  Each test drives many
decoders ("connections") with one hostile pattern and bounds the traced memory per
connection:

* a header declaring a huge payload (2**63-1 with ``max_frame_size=None``, or exactly the
  1 MiB default limit), then one byte or a trickle of payload;
* endless fragments of one message (the decoder must not accumulate them; the assembler
  stops at its limit with PayloadTooBig);
* ping floods and one-byte frames, whole and byte by byte;
* one large burst ending mid-frame, followed by small feeds (the burst's buffer must not
  stay pinned).

tracemalloc traces every allocator domain (PyMem_RawMalloc, PyMem_Malloc,
PyObject_Malloc), so the compiled decoder's C buffers (PyMem_Malloc) and its partial
payload (a bytes object) are counted: ``test_tracemalloc_sees_the_compiled_buffers``
checks that, so a passing bound on the compiled backend means something.
"""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from _support import raw_frame
from wsframe._reference import frames as ref_frames
from wsframe.errors import PayloadTooBig

try:
    from wsframe._speedups import _frames as c_frames
except ImportError:  # pragma: no cover - pure install
    c_frames = None

KEY = b"\x37\xfa\x21\x3d"
MIB = 1 << 20
#: What one idle connection's decoder may hold besides the bytes it has received: the
#: object, its attributes, small buffers (both backends measure far below this).
PER_CONNECTION = 8 * 1024

# Regression tests of two defects (fixed in _frames.pyx): the compiled
# decoder reserved min(declared length, 1 MiB) at a frame's first payload byte
# (test_declared_huge_frame..., test_trickled_payload...: 1 MiB per connection), and kept
# a burst's buffer while a partial frame remained (test_burst_buffer...[bytearray]).


def _backends() -> list[Any]:
    marks: list[Any] = [pytest.mark.skipif(c_frames is None, reason="compiled backend not built")]
    return [
        pytest.param(ref_frames, id="reference"),
        pytest.param(c_frames, id="compiled", marks=marks),
    ]


def _header(opcode: int, length: int, *, fin: bool = True) -> bytes:
    """A masked frame header (RFC 6455 §5.2) declaring *length*, mask key included."""
    return raw_frame(opcode, fin=fin, mask=KEY, length=length)


def _frame(opcode: int, payload: bytes, *, fin: bool = True) -> bytes:
    return raw_frame(opcode, payload, fin=fin, mask=KEY)


class Tracer:
    """Traced memory relative to a baseline: ``tracer()`` -> (current, peak) since it."""

    def __init__(self) -> None:
        self.base = 0
        self.reset()

    def reset(self) -> None:
        """Move the baseline here (after building a test's input) and reset the peak."""
        gc.collect()
        tracemalloc.reset_peak()
        self.base, _ = tracemalloc.get_traced_memory()

    def __call__(self) -> tuple[int, int]:
        gc.collect()
        current, peak = tracemalloc.get_traced_memory()
        return current - self.base, peak - self.base


@pytest.fixture
def traced() -> Iterator[Tracer]:
    """tracemalloc running for the test; the baseline is the test's start."""
    tracemalloc.start()
    try:
        yield Tracer()
    finally:
        tracemalloc.stop()


def _drain(decoder: Any, data: bytes) -> int:
    """Feed *data* and consume (drop) the frames; return how many there were."""
    n = 0
    for _ in decoder.feed(data):
        n += 1
    return n


@pytest.mark.skipif(c_frames is None, reason="compiled backend not built")
def test_tracemalloc_sees_the_compiled_buffers(traced: Tracer) -> None:
    # feed() copies input that is not bytes into the decoder's PyMem_Malloc buffer and
    # parses lazily: 2 MiB of frames, not yet iterated, are held in that buffer.
    traced.reset()
    decoder = c_frames.FrameDecoder()
    data = bytearray(_frame(2, b"x" * 100) * (2 * MIB // 106))
    it = decoder.feed(data)
    del data
    held, _ = traced()
    assert held >= 2 * MIB - 4096
    assert sum(1 for _ in it) == 2 * MIB // 106
    after, _ = traced()
    assert after < 64 * 1024


@pytest.mark.parametrize("frames", _backends())
@pytest.mark.parametrize("declared", [2**63 - 1, MIB])
def test_declared_huge_frame_costs_what_was_received(frames: ModuleType, declared: int, traced: Tracer) -> None:
    # 15 bytes (header + one payload byte) on each of 300 connections.
    limit = None if declared > MIB else MIB  # exactly the default limit is allowed
    data = _header(2, declared) + b"\x00"
    decoders = [frames.FrameDecoder(max_frame_size=limit) for _ in range(300)]
    for d in decoders:
        assert _drain(d, data) == 0
    current, peak = traced()
    assert current < 300 * PER_CONNECTION
    assert peak < 300 * PER_CONNECTION + MIB


@pytest.mark.parametrize("frames", _backends())
def test_trickled_payload_costs_what_was_received(frames: ModuleType, traced: Tracer) -> None:
    # A frame of exactly the limit, its payload trickled in 1-byte feeds: 1000 bytes on
    # each of 40 connections.
    decoders = [frames.FrameDecoder() for _ in range(40)]
    for d in decoders:
        _drain(d, _header(2, MIB))
    for _ in range(1000):
        for d in decoders:
            _drain(d, b"\x01")
    current, _ = traced()
    # Geometric growth of the partial payload: at most about twice what was received.
    assert current < 40 * (PER_CONNECTION + 2 * 1000)


@pytest.mark.parametrize("frames", _backends())
def test_limit_plus_one_is_refused_before_any_payload(frames: ModuleType, traced: Tracer) -> None:
    # RFC 6455 §10.4 / DESIGN: max_frame_size is checked on the declared length.
    decoders = [frames.FrameDecoder() for _ in range(200)]
    for d in decoders:
        with pytest.raises(PayloadTooBig):
            _drain(d, _header(2, MIB + 1))
    current, _ = traced()
    assert current < 200 * PER_CONNECTION


@pytest.mark.parametrize("frames", _backends())
def test_endless_fragments_are_not_accumulated_by_the_decoder(frames: ModuleType, traced: Tracer) -> None:
    decoder = frames.FrameDecoder()
    chunk = _frame(0, b"a" * 100, fin=False) * 50
    _drain(decoder, _frame(1, b"start", fin=False))
    for _ in range(50):
        _drain(decoder, chunk)
    traced.reset()
    for _ in range(200):  # 1 MB more of the same message
        _drain(decoder, chunk)
    current, peak = traced()
    assert current < 64 * 1024
    assert peak < 256 * 1024  # one chunk's frames at a time


@pytest.mark.parametrize("frames", _backends())
def test_endless_fragments_stop_at_the_assembler_limit(frames: ModuleType, traced: Tracer) -> None:
    decoder = frames.FrameDecoder()
    assembler = frames.MessageAssembler(max_message_size=256 * 1024)
    fragment = _frame(0, b"a" * 1000, fin=False)
    with pytest.raises(PayloadTooBig):
        for frame in decoder.feed(_frame(1, b"start", fin=False)):
            assembler.add(frame)
        for _ in range(10_000):  # up to 10 MB offered; refused past 256 KiB
            for frame in decoder.feed(fragment):
                assembler.add(frame)
    _, peak = traced()
    assert peak < 4 * 256 * 1024


@pytest.mark.parametrize("frames", _backends())
@pytest.mark.parametrize("size", [0, 1, 7, 511])
@pytest.mark.parametrize("way", ["add", "feed_messages"])
def test_tiny_fragments_cost_what_they_carry(frames: ModuleType, size: int, way: str, traced: Tracer) -> None:
    # Regression (both backends): every fragment was kept as an object of its own,
    # ~40-50 bytes beyond the bytes max_message_size counts, so empty fragments grew
    # memory without bound and 1-byte ones held ~40x the limit.  Fragments below
    # _rules.SMALL_FRAGMENT now go into one buffer, empty ones nowhere.
    decoder = frames.FrameDecoder()
    assembler = frames.MessageAssembler()  # the default 1 MiB limit
    count = 40_000 if size == 0 else min(40_000, 700 * 1024 // size)  # 700 KiB at most
    burst = _frame(0, b"a" * size, fin=False) * 2000

    def deliver(data: bytes) -> None:
        if way == "add":
            for frame in decoder.feed(data):
                assert assembler.add(frame) is None
        else:
            assert list(decoder.feed_messages(data, assembler)) == []

    deliver(_frame(2, b"", fin=False))
    traced.reset()
    for _ in range(count // 2000):
        deliver(burst)
    current, _ = traced()
    assert assembler.in_message
    carried = (count // 2000) * 2000 * size
    # The message's bytes in one geometrically grown buffer, plus a few objects.
    assert current < 2 * carried + 64 * 1024, (current, carried)
    # The message completes with every byte, in order.
    messages = [m for m in map(assembler.add, decoder.feed(_frame(0, b"end"))) if m is not None]
    assert [m.data for m in messages] == [b"a" * carried + b"end"]


@pytest.mark.parametrize("frames", _backends())
@pytest.mark.parametrize("opcode", [1, 2])
def test_fragments_of_every_size_join_in_order(frames: ModuleType, opcode: int) -> None:
    # Small fragments go into a buffer, large ones stay as they came: the message is
    # the same bytes in the same order whatever the mix.
    sizes = [0, 1, 600, 3, 0, 511, 512, 2, 0, 1000, 5, 0]
    text = "ünï😀" * 600
    data = text.encode()
    wire = bytearray()
    pos = 0
    for i, size in enumerate(sizes):
        wire += _frame(opcode if i == 0 else 0, data[pos : pos + size], fin=False)
        pos += size
    wire += _frame(0, data[pos:])
    assembler = frames.MessageAssembler()
    messages = [m for m in map(assembler.add, frames.FrameDecoder().feed(bytes(wire))) if m is not None]
    assert [m.data for m in messages] == [text if opcode == 1 else data]


@pytest.mark.parametrize("frames", _backends())
def test_buffered_small_fragments_are_validated_when_a_frame_comes_unvalidated(frames: ModuleType) -> None:
    # Fragments a FrameDecoder validated, some held in the small-fragment buffer, then
    # one built by hand (not validated): the earlier bytes are scanned to catch up, and
    # an error's position counts them.
    data = "ab😀cd".encode()  # 10 bytes
    assembler = frames.MessageAssembler()
    wire = _frame(1, data[:3], fin=False) + _frame(0, b"", fin=False) + _frame(0, data[3:5], fin=False)
    for frame in frames.FrameDecoder().feed(wire):
        assert assembler.add(frame) is None
    assert assembler.add(frames.Frame(frames.Opcode.CONTINUATION, data[5:])).data == "ab😀cd"
    for frame in frames.FrameDecoder().feed(wire):
        assembler.add(frame)
    with pytest.raises(frames.ProtocolError) as info:
        assembler.add(frames.Frame(frames.Opcode.CONTINUATION, b"\xff"))
    assert info.value.code == 1007 and info.value.position == 2  # where the cut sequence starts


@pytest.mark.parametrize("frames", _backends())
@pytest.mark.parametrize("split", ["chunks", "bytewise"])
def test_ping_flood_and_one_byte_frames_hold_nothing(frames: ModuleType, split: str, traced: Tracer) -> None:
    decoder = frames.FrameDecoder()
    unit = _frame(9, b"p" * 125) + _frame(2, b"x") + _frame(10, b"")
    if split == "chunks":
        stream = unit * 500  # 72 KB: two chunks, cut mid-frame
        chunks = [stream[i : i + 65536] for i in range(0, len(stream), 65536)]
        rounds = 8
    else:
        chunks = [unit[i : i + 1] for i in range(len(unit))]
        rounds = 200
    for chunk in chunks:  # warm-up: one round
        _drain(decoder, chunk)
    traced.reset()
    total = 0
    for _ in range(rounds):
        for chunk in chunks:
            total += _drain(decoder, chunk)
    current, peak = traced()
    assert total == 3 * rounds * (500 if split == "chunks" else 1)
    assert current < 64 * 1024
    assert peak < 4 * 65536 + 256 * 1024


@pytest.mark.parametrize("frames", _backends())
@pytest.mark.parametrize("kind", [bytes, bytearray])
def test_burst_buffer_is_released_when_little_data_is_live(frames: ModuleType, kind: type, traced: Tracer) -> None:
    # One 16 MiB burst of frames that ends one byte into the next frame's header, then
    # 2000 small feeds that each complete a frame and start the next (as TCP reads end
    # mid-frame): one byte is live between feeds, so what the decoder keeps must come
    # down from the burst's size to a small buffer, not stay pinned.
    # (A bytes burst is read in place by the compiled decoder; a bytearray is copied into
    # its buffer, which is what defect 3 pinned.)
    decoder = frames.FrameDecoder(max_frame_size=None)
    small = _frame(2, b"s" * 20)
    follow = small[1:] + small[:1]
    traced.reset()  # before the burst exists: it is freed below, the decoder's copy is not
    burst = kind(_frame(2, b"b" * 65000) * (16 * MIB // 65006) + small[:1])
    assert _drain(decoder, burst) == 16 * MIB // 65006
    del burst
    for _ in range(2000):
        assert _drain(decoder, follow) == 1
    current, _ = traced()
    assert current < PER_CONNECTION + 256 * 1024
