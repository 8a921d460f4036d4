"""Differential tests: the compiled frames module against the reference.

``wsframe._reference.frames`` is the executable specification; the compiled
``wsframe._speedups._frames`` must agree with it on every input: the same
frames (opcode object, payload, flags), the same exception type, message,
close code and UTF-8 position, raised at the same step, with the same lazy
iterator semantics and the same state afterwards (``buffered``, ``closed``,
later ``feed()`` calls).  Both modules are imported directly, so this file
tests the compiled module whichever backend ``wsframe`` picked; it is skipped
when the compiled module was not built (a failure under WSFRAME_REQUIRE_C=1).

Inputs: hypothesis streams of valid frames, of frames with protocol errors
(reserved opcodes and bits, bad lengths, wrong masking, fragmentation out of
order, bad close bodies, invalid UTF-8), byte-flip mutations of those, random
bytes; random chunk splits down to one byte; random interleavings of feed()
and next() on several live iterators; every option combination.  Exhaustive:
every 1- and 2-byte input, every 64-bit length prefix shape, every close code.
Exact-size buffers: inputs placed right before an inaccessible page.  The
compiled Message / MessageAssembler are checked the same way (frames from
either backend in, messages and errors out).
"""

from __future__ import annotations

import array
import copy
import dataclasses
import mmap
import os
import pickle
import sys
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _support import load_implementation, raw_frame
from wsframe._reference import frames as R
from wsframe.errors import ProtocolError

# Skipped when the compiled module is not built; a failure under WSFRAME_REQUIRE_C=1.
C = load_implementation("frames", "c", module_level=True)

# Both modules are checked by every test here: a second run under another backend adds nothing.
pytestmark = pytest.mark.both_backends

MiB = 1 << 20
KEY = b"\x37\xfa\x21\x3d"
OPCODES = [0x0, 0x1, 0x2, 0x8, 0x9, 0xA]
RESERVED = [0x3, 0x4, 0x5, 0x6, 0x7, 0xB, 0xC, 0xD, 0xE, 0xF]

# ---------------------------------------------------------------------------
# Observing both implementations
#
# Each broad `except Exception` in this file is deliberate: whatever either backend
# raises is recorded and compared with what the other raised.


def exc_summary(exc: BaseException) -> tuple[Any, ...]:
    return (
        type(exc),
        str(exc),
        getattr(exc, "code", None),
        getattr(exc, "position", None),
    )


def frame_summary(frame: Any) -> tuple[Any, ...]:
    return (
        frame.opcode,
        type(frame.opcode),
        frame.payload,
        type(frame.payload),
        frame.fin,
        frame.rsv1,
        frame.rsv2,
        frame.rsv3,
    )


def state(decoder: Any) -> tuple[Any, ...]:
    return (decoder.buffered, decoder.closed)


def trace_batch(mod: Any, opts: dict[str, Any], chunks: list[bytes], kind: str = "bytes") -> list[Any]:
    """feed() each chunk and drain its iterator; then probe with more feeds."""
    out: list[Any] = []
    try:
        decoder = mod.FrameDecoder(**opts)
    except Exception as exc:
        return [("init", exc_summary(exc))]
    for chunk in [*chunks, b"", b"\x81"]:
        data: Any = chunk
        if kind == "bytearray":
            data = bytearray(chunk)
        elif kind == "memoryview":
            data = memoryview(bytearray(chunk))
        try:
            iterator = decoder.feed(data)
        except Exception as exc:
            out.append(("feed", exc_summary(exc), state(decoder)))
            continue
        drain(iterator, frame_summary, lambda: state(decoder), out)
    return out


def drain(iterator: Any, summary: Any, where: Any, out: list[Any]) -> None:
    """Record what ``iterator`` yields (``summary``) and how it ends, with ``where()``."""
    while True:
        try:
            item = next(iterator)
        except StopIteration:
            out.append(("stop", where()))
            return
        except Exception as exc:
            out.append(("raise", exc_summary(exc), where()))
            # An iterator that raised is exhausted, as a generator.
            out.append(("after", list(map(summary, iterator))))
            return
        out.append(("item", summary(item)))


def trace_schedule(mod: Any, opts: dict[str, Any], chunks: list[bytes], schedule: list[tuple[str, int]]) -> list[Any]:
    """Interleave feed() and next() on several live iterators (laziness)."""
    decoder = mod.FrameDecoder(**opts)
    iterators: list[Any] = []
    pending = list(chunks)
    out: list[Any] = []
    for op, arg in schedule:
        if op == "feed":
            data = pending.pop(0) if pending else b""
            try:
                iterators.append(decoder.feed(data))
                out.append(("fed", state(decoder)))
            except Exception as exc:
                out.append(("feed", exc_summary(exc)))
        elif iterators:
            iterator = iterators[arg % len(iterators)]
            try:
                frame = next(iterator)
            except StopIteration:
                out.append(("stop", state(decoder)))
            except Exception as exc:
                out.append(("raise", exc_summary(exc), state(decoder)))
            else:
                out.append(("frame", frame_summary(frame)))
    for iterator in iterators:
        try:
            out.append(("rest", [frame_summary(f) for f in iterator]))
        except Exception as exc:
            out.append(("rest-raise", exc_summary(exc)))
    return out


def assert_same_batch(opts: dict[str, Any], chunks: list[bytes], kind: str = "bytes") -> list[Any]:
    expected = trace_batch(R, opts, chunks, kind)
    actual = trace_batch(C, opts, chunks, kind)
    assert actual == expected, (opts, chunks)
    return expected


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    pieces, last = [], 0
    for p in points:
        pieces.append(data[last:p])
        last = p
    pieces.append(data[last:])
    return [p for p in pieces if p] or [data]


# ---------------------------------------------------------------------------
# Strategies

options = st.fixed_dictionaries(
    {
        "client": st.booleans(),
        "max_frame_size": st.sampled_from([None, 0, 1, 2, 5, 125, 126, 127, 200, 65535, 65536, R.DEFAULT_MAX_SIZE]),
        "rsv_allowed": st.integers(0, 7),
        "validate_utf8": st.booleans(),
    }
)

texts = st.one_of(
    st.text(max_size=40).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.text(alphabet="aé€\U0001d11e", max_size=40).map(str.encode),
    st.binary(max_size=40),
)


@st.composite
def frame_specs(draw: Any, client: bool) -> bytes:
    """One frame, valid most of the time, with every kind of defect sometimes."""
    kind = draw(st.sampled_from(["data"] * 6 + ["control"] * 2 + ["close"] * 2 + ["odd"]))
    if kind == "data":
        opcode = draw(st.sampled_from([0x0, 0x1, 0x1, 0x2]))
        payload = draw(texts)
    elif kind == "control":
        opcode = draw(st.sampled_from([0x9, 0xA]))
        payload = draw(st.binary(max_size=20))
    elif kind == "close":
        opcode = 0x8
        code = draw(st.sampled_from([1000, 1001, 1005, 1006, 1007, 1014, 1015, 1016, 2999, 3000, 4999, 5000, 0]))
        payload = draw(
            st.one_of(
                st.just(b""),
                st.binary(max_size=1),
                st.builds(lambda r: code.to_bytes(2, "big") + r, texts),
            )
        )
    else:
        opcode = draw(st.sampled_from(RESERVED + OPCODES))
        payload = draw(st.binary(max_size=300))
    fin = draw(st.sampled_from([True, True, True, False]))
    rsv = draw(st.sampled_from([0, 0, 0, 0, 4, 2, 1, 7]))
    masked = draw(st.sampled_from([not client] * 9 + [client]))
    key = draw(st.binary(min_size=4, max_size=4)) if masked else None
    form = draw(st.sampled_from([None] * 12 + [7, 16, 64]))
    if form == 7 and len(payload) > 127:
        form = None
    return raw_frame(opcode, payload, fin=fin, rsv=rsv, mask=key, form=form)


@st.composite
def streams(draw: Any) -> tuple[dict[str, Any], bytes]:
    opts = draw(options)
    how = draw(st.sampled_from(["frames", "frames", "frames", "mutated", "random"]))
    if how == "random":
        return opts, draw(st.binary(max_size=200))
    data = b"".join(draw(st.lists(frame_specs(opts["client"]), max_size=8)))
    if how == "mutated" and data:
        flips = draw(st.lists(st.tuples(st.integers(0, len(data) - 1), st.integers(1, 255)), min_size=1, max_size=3))
        buf = bytearray(data)
        for index, value in flips:
            buf[index] ^= value
        data = bytes(buf)
    return opts, data


# ---------------------------------------------------------------------------
# Module surface


def test_same_public_names_and_shared_policy_objects() -> None:
    assert list(C.__all__) == list(R.__all__)
    for name in C.__all__:
        assert hasattr(C, name), name
    for name in ("Opcode", "CloseCode", "is_valid_close_code", "parse_close", "encode_close"):
        assert getattr(C, name) is getattr(R, name), name
    assert C.DEFAULT_MAX_SIZE == R.DEFAULT_MAX_SIZE


@pytest.mark.parametrize(
    "args",
    [
        (R.Opcode.TEXT, b"hi"),
        (R.Opcode.CLOSE, b"", False, True, False, True),
        (1, bytearray(b"x"), 1, 0, 2, None),
    ],
)
def test_frame_type_behaves_as_the_dataclass(args: tuple[Any, ...]) -> None:
    c, r = C.Frame(*args), R.Frame(*args)
    assert repr(c) == repr(r)
    assert [getattr(c, f) for f in ("opcode", "payload", "fin", "rsv1", "rsv2", "rsv3")] == [
        getattr(r, f) for f in ("opcode", "payload", "fin", "rsv1", "rsv2", "rsv3")
    ]
    assert c == C.Frame(*args) and not (c != C.Frame(*args))
    assert c != C.Frame(R.Opcode.PONG, b"other")
    assert (c == r) is False  # different classes never compare equal, as dataclasses
    assert hash(c) == hash(r)  # both normalized the payload to bytes
    kw = C.Frame(opcode=args[0], payload=args[1])
    assert kw == C.Frame(args[0], args[1], True, False, False, False)
    with pytest.raises(AttributeError):
        c.payload = b"changed"
    assert pickle.loads(pickle.dumps(c)) == c
    assert copy.copy(c) == c
    assert C.Frame.__match_args__ == R.Frame.__match_args__
    assert repr(c.__replace__(fin=False)) == repr(dataclasses.replace(r, fin=False))
    with pytest.raises(TypeError):
        c.__replace__(nonsense=1)


def test_frame_header_type_behaves_as_the_dataclass() -> None:
    fields: dict[str, Any] = dict(
        fin=True,
        rsv1=True,
        rsv2=False,
        rsv3=True,
        opcode=R.Opcode.BINARY,
        masked=True,
        length=70000,
        mask=KEY,
        header_size=14,
    )
    c, r = C.FrameHeader(**fields), R.FrameHeader(**fields)
    assert repr(c) == repr(r)
    assert c.rsv == r.rsv == 5
    assert hash(c) == hash(r)
    assert c == C.FrameHeader(*fields.values())
    assert pickle.loads(pickle.dumps(c)) == c
    assert C.FrameHeader.__match_args__ == R.FrameHeader.__match_args__
    with pytest.raises(AttributeError):
        c.length = 1


def test_decoded_frames_use_the_reference_opcode_members() -> None:
    frames = list(C.FrameDecoder().feed(raw_frame(1, b"x", mask=KEY) + raw_frame(9, b"", mask=KEY)))
    assert frames[0].opcode is R.Opcode.TEXT and frames[1].opcode is R.Opcode.PING
    assert type(frames[0].fin) is bool and type(frames[0].payload) is bytes


# ---------------------------------------------------------------------------
# parse_header


def header_outcome(mod: Any, data: Any, offset: Any = 0) -> Any:
    try:
        h = mod.parse_header(data, offset)
    except Exception as exc:
        return exc_summary(exc)
    if h is None:
        return None
    fields = ("fin", "rsv1", "rsv2", "rsv3", "opcode", "masked", "length", "mask", "header_size")
    return tuple(getattr(h, f) for f in fields) + (
        type(h.length),
        type(h.fin),
        h.rsv,
    )


def test_parse_header_all_one_and_two_byte_inputs() -> None:
    for b0 in range(256):
        assert header_outcome(C, bytes([b0])) == header_outcome(R, bytes([b0])), b0
        for b1 in range(256):
            data = bytes([b0, b1])
            assert header_outcome(C, data) == header_outcome(R, data), data.hex()


def test_parse_header_every_extended_length_prefix_shape() -> None:
    # 16- and 64-bit lengths: every prefix of headers whose length bytes are
    # zero, small, at the minimal boundaries, huge or with the top bit set.
    values = [0, 1, 125, 126, 127, 255, 256, 0xFFFF, 0x10000, 0x10001, 2**32, 2**63 - 1, 2**63, 2**64 - 1]
    for b0 in (0x81, 0x82, 0x02, 0x80, 0x89, 0xC1, 0xF2):
        for m in (0, 0x80):
            for v in values:
                for raw in (
                    bytes([b0, m | 126]) + (v & 0xFFFF).to_bytes(2, "big"),
                    bytes([b0, m | 127]) + v.to_bytes(8, "big"),
                ):
                    raw += KEY
                    for cut in range(len(raw) + 1):
                        assert header_outcome(C, raw[:cut]) == header_outcome(R, raw[:cut]), raw[:cut].hex()
            for high in range(8):  # the early non-minimal check: which of bytes 2..7 is non-zero
                raw = bytes([b0, m | 127]) + bytes(high) + b"\x01" + bytes(7 - high) + KEY
                for cut in range(len(raw) + 1):
                    assert header_outcome(C, raw[:cut]) == header_outcome(R, raw[:cut]), raw[:cut].hex()


@given(st.binary(max_size=20), st.integers(-3, 25))
def test_parse_header_random_bytes_and_offsets(data: bytes, offset: int) -> None:
    assert header_outcome(C, data, offset) == header_outcome(R, data, offset)
    for cut in range(len(data) + 1):
        assert header_outcome(C, data[:cut]) == header_outcome(R, data[:cut])


@given(frame_specs(client=False), st.sampled_from(["bytes", "bytearray", "memoryview", "array", "offset"]))
def test_parse_header_prefixes_of_generated_frames_and_buffer_kinds(frame: bytes, kind: str) -> None:
    for cut in range(min(len(frame), 16) + 1):
        piece = frame[:cut]
        if kind == "offset":
            args: tuple[Any, ...] = (b"\x00\x01\x02" + piece, 3)
        elif kind == "array":
            args = (array.array("B", piece),)
        elif kind == "memoryview":
            args = (memoryview(b"??" + piece)[2:],)
        else:
            args = ({"bytes": bytes, "bytearray": bytearray}[kind](piece),)
        assert header_outcome(C, *args) == header_outcome(R, *args)


@pytest.mark.parametrize(
    "data, offset",
    [
        ("text", 0),
        (None, 0),
        (12, 0),
        (memoryview(b"abcd")[::2], 0),
        (array.array("I", [0x7E82]), 0),
        (b"\x81\x00", 2.0),
        (b"\x81\x00", "1"),
        (b"\x81\x00", True),
        (b"\x81\x00", -1),
        (b"\x81\x00", 3),
        (b"\x81\x00", 2**70),
        (b"\x81\x00", -(2**70)),
        (b"\x81\x00", 2),
    ],
)
def test_parse_header_argument_errors(data: Any, offset: Any) -> None:
    assert header_outcome(C, data, offset) == header_outcome(R, data, offset)


# ---------------------------------------------------------------------------
# FrameDecoder


@given(
    streams(),
    st.lists(st.integers(0, 10**6), max_size=12),
    st.sampled_from(["bytes", "bytes", "bytearray", "memoryview"]),
)
def test_decoder_streams_random_splits(case: tuple[dict[str, Any], bytes], cuts: list[int], kind: str) -> None:
    opts, data = case
    assert_same_batch(opts, [data], kind)
    assert_same_batch(opts, split(data, cuts), kind)


@given(streams())
def test_decoder_streams_one_byte_at_a_time(case: tuple[dict[str, Any], bytes]) -> None:
    opts, data = case
    assert_same_batch(opts, [data[i : i + 1] for i in range(len(data))])


@given(
    streams(),
    st.lists(st.integers(0, 10**6), max_size=6),
    st.lists(st.tuples(st.sampled_from(["feed", "next", "next", "next"]), st.integers(0, 5)), max_size=30),
)
def test_decoder_lazy_iterators_interleaved_with_feeds(
    case: tuple[dict[str, Any], bytes], cuts: list[int], schedule: list[tuple[str, int]]
) -> None:
    # feed() copies eagerly, parses lazily; every iterator reads the shared
    # state; one that raised or stopped stays exhausted.
    opts, data = case
    chunks = split(data, cuts)
    assert trace_schedule(C, opts, chunks, schedule) == trace_schedule(R, opts, chunks, schedule)


@given(st.data())
def test_decoder_fragmented_text_with_interleaved_control_frames(data: st.DataObject) -> None:
    # RFC 6455 §5.4 / §8.1: one text message in fragments (code points split
    # across them), control frames in between, sometimes a defect in the text.
    client = data.draw(st.booleans())
    text = data.draw(st.text(alphabet="ab€\U0001d11eé", min_size=0, max_size=60)).encode()
    if text and data.draw(st.booleans()):
        buf = bytearray(text)
        buf[data.draw(st.integers(0, len(buf) - 1))] = data.draw(st.sampled_from([0x80, 0xC0, 0xED, 0xF4, 0xFF, 0xE0]))
        text = bytes(buf)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=4)))
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)])]
    wire = b""
    for index, piece in enumerate(pieces):
        key = None if client else data.draw(st.binary(min_size=4, max_size=4))
        wire += raw_frame(1 if index == 0 else 0, piece, fin=index == len(pieces) - 1, mask=key)
        if data.draw(st.booleans()):
            wire += raw_frame(9, b"ping", mask=None if client else KEY)
    opts = {
        "client": client,
        "validate_utf8": data.draw(st.sampled_from([True, True, False])),
        "rsv_allowed": data.draw(st.sampled_from([0, 4])),
    }
    chunk_cuts = data.draw(st.lists(st.integers(0, len(wire)), max_size=8))
    assert_same_batch(opts, split(wire, chunk_cuts))
    assert_same_batch(opts, [wire[i : i + 1] for i in range(len(wire))])


def test_decoder_every_two_byte_stream_both_roles() -> None:
    for client in (False, True):
        for b0 in range(256):
            for b1 in range(256):
                data = bytes([b0, b1])
                opts = {"client": client, "rsv_allowed": b1 & 7}
                assert trace_batch(C, opts, [data]) == trace_batch(R, opts, [data]), data.hex()


def test_decoder_max_frame_size_exact_limit_and_declared_lengths() -> None:
    for limit in (0, 1, 125, 126, 65535, 65536, 70000):
        for n in sorted({0, 1, 125, 126, 65535, 65536, 70000, limit - 1, limit, limit + 1} - {-1}):
            wire = raw_frame(2, bytes(n), mask=KEY)
            opts = {"max_frame_size": limit}
            assert_same_batch(opts, [wire])
            assert_same_batch(opts, [wire[:k] for k in (1, 2, 3, 4, 9, 10)] + [wire[10:]])


@pytest.mark.parametrize(
    "opts",
    [
        {"max_frame_size": -1},
        {"rsv_allowed": 8},
        {"rsv_allowed": -1},
        {"max_frame_size": "x"},
        {"max_frame_size": 10.5},
        {"max_frame_size": True},
        {"rsv_allowed": True},
        {"client": 1, "validate_utf8": 0},
    ],
)
def test_decoder_unusual_options(opts: dict[str, Any]) -> None:
    for wire in (raw_frame(2, bytes(11), mask=KEY), raw_frame(2, b"", rsv=4, mask=KEY), raw_frame(1, b"\xff")):
        assert_same_batch(opts, [wire])


def test_decoder_options_assigned_after_construction() -> None:
    out = []
    for mod in (R, C):
        decoder = mod.FrameDecoder()
        trace = []
        for attr, value in (("max_frame_size", 3), ("client", True), ("rsv_allowed", 4), ("validate_utf8", False)):
            setattr(decoder, attr, value)
            trace.append(getattr(decoder, attr))
        wire = raw_frame(1, b"\xff\xfe", rsv=4) + raw_frame(2, bytes(4))
        try:
            trace.append([frame_summary(f) for f in decoder.feed(wire)])
        except ProtocolError as exc:
            trace.append(exc_summary(exc))
        out.append(trace)
    assert out[0] == out[1]


@pytest.mark.parametrize("data", ["text", None, 5, memoryview(b"abcdef")[::2], array.array("H", [0x8281, 0x3780])])
def test_decoder_feed_argument_errors_and_buffer_kinds(data: Any) -> None:
    outs: list[Any] = []
    for mod in (R, C):
        decoder = mod.FrameDecoder(client=True)
        try:
            outs.append([frame_summary(f) for f in decoder.feed(data)] + [decoder.buffered])
        except Exception as exc:
            outs.append(exc_summary(exc))
    assert outs[0] == outs[1]


def test_decoder_text_errors_at_every_offset_around_block_edges() -> None:
    # The fused unmask + UTF-8 kernel works in blocks: an error at each offset
    # near 16/32/64-byte edges, at every mask phase, whole and split.
    unit = "aé€\U0001d11e".encode()  # 1 + 2 + 3 + 4 bytes
    base = (unit * 40)[:200]
    for size in (15, 16, 17, 31, 32, 33, 63, 64, 65, 66, 67, 127, 128, 129, 130, 200):
        for pos in range(max(0, size - 8), size):
            for bad in (0x80, 0xC0, 0xED, 0xF5):
                damaged = bytearray(base[:size])
                damaged[pos] = bad
                wire = raw_frame(1, bytes(damaged), mask=KEY)
                assert_same_batch({}, [wire])
                assert_same_batch({}, [wire[:9], wire[9:]])
        text = base[:size]
        for cut in (size - 1, size - 2, size - 3):  # truncated sequences at the end
            if cut > 0:
                assert_same_batch({}, [raw_frame(1, text[:cut], mask=KEY)])


@pytest.mark.parametrize("size", [65535, 65536, 65537, 300_000])
def test_decoder_large_frames_gil_released_path(size: int) -> None:
    # From 64 KiB the payload is unmasked with the GIL released.
    text = (b"abc\xe2\x82\xac" * (size // 6 + 1))[:size]
    bad = bytearray(text)
    bad[size - 3] = 0xFF
    for payload, opcode in ((text, 1), (bytes(bad), 1), (bytes(bad), 2)):
        for client in (False, True):
            wire = raw_frame(opcode, payload, mask=None if client else KEY)
            opts = {"client": client}
            assert_same_batch(opts, [wire])
            assert_same_batch(opts, [wire[: size // 2], wire[size // 2 :]])


def test_decoder_payload_larger_than_the_preallocation() -> None:
    # Over 1 MiB (no limit) the partial payload grows as data arrives.
    size = 3 * MiB + 5
    text = bytearray(b"x" * size)
    text[size - 2] = 0xC3  # a truncated two-byte sequence at the end
    wire = raw_frame(1, bytes(text), mask=KEY)
    steps = [wire[i : i + 200_000] for i in range(0, len(wire), 200_000)]
    assert_same_batch({"max_frame_size": None}, steps)
    good = raw_frame(2, bytes(size), mask=KEY)
    assert_same_batch({"max_frame_size": None}, [good[i : i + 700_001] for i in range(0, len(good), 700_001)])
    decoder = C.FrameDecoder(max_frame_size=None)
    frames = [f for chunk in steps[:-1] for f in decoder.feed(chunk)]
    assert frames == [] and decoder.buffered == len(wire) - len(steps[-1])
    assert decoder._bytes_copied <= 4 * len(wire)


def test_decoder_huge_declared_length_allocates_little() -> None:
    import tracemalloc

    decoder = C.FrameDecoder(max_frame_size=None)
    tracemalloc.start()
    try:
        assert list(decoder.feed(raw_frame(2, b"", mask=KEY, length=2**62) + b"abc")) == []
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert decoder.buffered == 14 + 3
    assert peak < 2 * MiB + 65536, peak


def test_decoder_close_bodies_every_code() -> None:
    # RFC 6455 §7.4: the decoder applies the one close-code policy.
    for code in range(0, 5100):
        wire = raw_frame(8, code.to_bytes(2, "big") + b"ok", mask=KEY) + raw_frame(1, b"after", mask=KEY)
        assert trace_batch(C, {}, [wire]) == trace_batch(R, {}, [wire]), code


def test_decoder_after_close_discards_and_after_error_reraises() -> None:
    close = raw_frame(8, (1000).to_bytes(2, "big"), mask=KEY)
    for wire in (close + raw_frame(1, b"x", mask=KEY), raw_frame(3, b"", mask=KEY) + close):
        assert_same_batch({}, [wire, wire, b"", wire])
        assert_same_batch({}, [wire[:3], wire[3:], wire])


def test_decoder_partial_consumption_keeps_the_rest_buffered() -> None:
    wire = b"".join(raw_frame(2, bytes([i]) * i, mask=KEY) for i in range(20))
    outs = []
    for mod in (R, C):
        decoder = mod.FrameDecoder()
        it = decoder.feed(wire)
        got: list[Any] = [frame_summary(next(it)) for _ in range(5)]
        got.append(state(decoder))
        got.append([frame_summary(f) for f in decoder.feed(raw_frame(9, b"p", mask=KEY))])
        got.append([frame_summary(f) for f in it])  # the old iterator sees the shared state
        got.append(state(decoder))
        outs.append(got)
    assert outs[0] == outs[1]
    # The new iterator drains the 15 buffered frames and the ping; the old one
    # then has nothing left.
    assert len(outs[0][6]) == 16 and outs[0][7] == [] and outs[0][8] == (0, False)


def test_decoder_bytes_input_is_not_mutated_and_bytearray_input_is_copied() -> None:
    wire = raw_frame(1, b"hello", mask=KEY)
    buf = bytearray(wire)
    decoder = C.FrameDecoder()
    it = decoder.feed(buf)
    buf[:] = b"\x00" * len(buf)  # feed() took the bytes at call time
    assert [f.payload for f in it] == [b"hello"]
    data = bytes(wire)
    assert [f.payload for f in C.FrameDecoder().feed(data)] == [b"hello"] and data == wire


# ---------------------------------------------------------------------------
# Encoding


def encode_outcome(mod: Any, fn: str, *args: Any, **kwargs: Any) -> Any:
    try:
        result = getattr(mod, fn)(*args, **kwargs)
    except Exception as exc:
        return exc_summary(exc)
    return (type(result), result)


opcode_args = st.one_of(
    st.integers(-2, 17), st.sampled_from(list(R.Opcode)), st.sampled_from([True, 2**70, 1.0, "1", None])
)
flag_args = st.one_of(st.booleans(), st.sampled_from([0, 1, 2, None, "x"]))
mask_args = st.one_of(
    st.none(),
    st.binary(min_size=4, max_size=4),
    st.binary(max_size=6),
    st.sampled_from([bytearray(b"abcd"), memoryview(b"abcd"), "abcd", array.array("I", [7])]),
)
payload_args = st.one_of(
    st.binary(max_size=300),
    st.binary(max_size=70000).map(bytearray),
    st.sampled_from(["text", None, memoryview(b"abcdef")[::2], array.array("I", [1, 2])]),
)


@given(opcode_args, payload_args, flag_args, flag_args, flag_args, flag_args, mask_args)
def test_encode_frame_matches(opcode: Any, payload: Any, fin: Any, r1: Any, r2: Any, r3: Any, mask: Any) -> None:
    kwargs = dict(fin=fin, rsv1=r1, rsv2=r2, rsv3=r3, mask=mask)
    assert encode_outcome(C, "encode_frame", opcode, payload, **kwargs) == encode_outcome(
        R, "encode_frame", opcode, payload, **kwargs
    )


@given(
    opcode_args,
    st.one_of(st.integers(-5, 70000), st.sampled_from([2**63 - 1, 2**63, 2**64, -(2**70), 1.5, True, "3", None])),
    flag_args,
    flag_args,
    mask_args,
)
def test_encode_header_matches(opcode: Any, length: Any, fin: Any, r1: Any, mask: Any) -> None:
    kwargs = dict(fin=fin, rsv1=r1, mask=mask)
    assert encode_outcome(C, "encode_header", opcode, length, **kwargs) == encode_outcome(
        R, "encode_header", opcode, length, **kwargs
    )


def test_encode_frame_every_length_form_and_phase() -> None:
    for n in (0, 1, 3, 4, 5, 31, 32, 33, 125, 126, 127, 65535, 65536, 65537, 200_000):
        payload = os.urandom(n)
        for mask in (None, KEY):
            for opcode in (0, 1, 2):
                assert C.encode_frame(opcode, payload, mask=mask) == R.encode_frame(opcode, payload, mask=mask)
            assert C.encode_header(2, n, mask=mask) == R.encode_header(2, n, mask=mask)


@given(
    st.sampled_from([0, 1, 2, 8, 9, 10, 3, R.Opcode.TEXT, 1.0]),
    st.binary(max_size=300),
    st.one_of(st.none(), st.integers(-1, 400)),
)
def test_encode_message_matches(opcode: Any, payload: bytes, fragment_size: Any) -> None:
    kw = dict(fragment_size=fragment_size)
    assert encode_outcome(C, "encode_message", opcode, payload, **kw) == encode_outcome(
        R, "encode_message", opcode, payload, **kw
    )
    try:
        frames = C.encode_message(opcode, payload, fragment_size=fragment_size, masked=True)
    except (ValueError, TypeError):
        return

    # Masked with fresh keys: decodes (server side) to what the unmasked
    # reference encoding decodes to (client side).
    # (``buffered`` differs by the 4-byte keys, so states are left out.)
    def events(trace: list[Any]) -> list[Any]:
        return [event[:2] for event in trace]

    masked_trace = trace_batch(C, {"max_frame_size": None}, [b"".join(frames)])
    plain = b"".join(R.encode_message(opcode, payload, fragment_size=fragment_size))
    assert events(masked_trace) == events(trace_batch(R, {"client": True, "max_frame_size": None}, [plain]))


# ---------------------------------------------------------------------------
# Close payloads


def test_parse_close_every_code() -> None:
    for code in range(65536):
        body = code.to_bytes(2, "big")
        assert encode_outcome(C, "parse_close", body) == encode_outcome(R, "parse_close", body), code
    odd: tuple[Any, ...] = (b"", b"\x03", bytearray(b"\x03\xe8hi"), memoryview(b"\x03\xe8"), "x", None)
    for arg in odd:
        assert encode_outcome(C, "parse_close", arg) == encode_outcome(R, "parse_close", arg), arg
    empty = C.parse_close(b"")
    assert empty[0] is R.CloseCode.NO_STATUS_RCVD


@given(st.sampled_from([1000, 1003, 1007, 3000, 4999]), st.binary(max_size=30))
def test_parse_close_reasons(code: int, reason: bytes) -> None:
    body = code.to_bytes(2, "big") + reason
    assert encode_outcome(C, "parse_close", body) == encode_outcome(R, "parse_close", body)


@given(
    st.one_of(st.integers(-1, 70000), st.sampled_from([1000.0, "1000", True, R.CloseCode.NORMAL_CLOSURE])),
    st.one_of(st.text(max_size=130), st.sampled_from([b"bytes", None, "\ud800", "é" * 62, "é" * 61 + "a"])),
)
def test_encode_close_matches(code: Any, reason: Any) -> None:
    assert encode_outcome(C, "encode_close", code, reason) == encode_outcome(R, "encode_close", code, reason)


# ---------------------------------------------------------------------------
# Exact-size buffers: the data ends right before a page that cannot be read


def _guarded(data: bytes) -> tuple[mmap.mmap, memoryview]:
    """A read-only view of ``data`` ending exactly at an inaccessible page."""
    import ctypes

    page = mmap.PAGESIZE
    pages = (len(data) + page - 1) // page + 1
    region = mmap.mmap(-1, pages * page, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    start = (pages - 1) * page - len(data)
    region[start : start + len(data)] = data
    libc = ctypes.CDLL(None, use_errno=True)
    address = ctypes.addressof(ctypes.c_char.from_buffer(region))
    if libc.mprotect(ctypes.c_void_p(address + (pages - 1) * page), ctypes.c_size_t(page), 0) != 0:
        pytest.skip("mprotect unavailable")
    view = memoryview(region)[start : start + len(data)]
    return region, view


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses mprotect guard pages")
def test_exact_size_buffers_are_never_read_past_their_end() -> None:
    for n in (0, 1, 2, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 255, 4095, 4096, 70000):
        payload = os.urandom(n)
        region, view = _guarded(payload)
        try:
            for mask in (None, KEY):
                assert C.encode_frame(2, view, mask=mask) == R.encode_frame(2, payload, mask=mask)
            body = (1000).to_bytes(2, "big") + payload[:100] if n >= 2 else payload
            close_region, close_view = _guarded(body)
            try:
                assert encode_outcome(C, "parse_close", close_view) == encode_outcome(R, "parse_close", body)
            finally:
                close_view.release()
                close_region.close()
            frame = raw_frame(2, payload[: n % 200], mask=KEY)
            for cut in range(min(len(frame), 14) + 1):
                hdr_region, hdr = _guarded(frame[:cut])
                try:
                    assert header_outcome(C, hdr) == header_outcome(R, frame[:cut])
                    decoder = C.FrameDecoder()
                    got = [frame_summary(f) for f in decoder.feed(hdr)]
                    want = [frame_summary(f) for f in R.FrameDecoder().feed(frame[:cut])]
                    assert got == want
                finally:
                    hdr.release()
                    hdr_region.close()
        finally:
            view.release()
            # The region's last page is PROT_NONE; closing unmaps it.
            region.close()


# ---------------------------------------------------------------------------
# Sharing a decoder between threads (misuse) must never crash


def test_decoder_shared_between_threads_never_crashes() -> None:
    # A decoder belongs to one connection; misuse from several threads may
    # raise (RuntimeError while another thread unmasks a large payload with
    # the GIL released) or interleave oddly, but must not corrupt memory.
    import threading

    decoder = C.FrameDecoder(max_frame_size=None)
    big = raw_frame(2, bytes(300_000), mask=KEY)
    errors: list[BaseException] = []

    def worker() -> None:
        for _ in range(30):
            try:
                for frame in decoder.feed(big[:150_000]):
                    assert frame.payload == bytes(300_000)
                for frame in decoder.feed(big[150_000:]):
                    assert frame.payload == bytes(300_000)
            except (RuntimeError, ProtocolError):
                pass
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not [e for e in errors if not isinstance(e, AssertionError)], errors


# ---------------------------------------------------------------------------
# Message and MessageAssembler


def test_message_type_behaves_as_the_dataclass() -> None:
    for args in ((R.Opcode.TEXT, "hé"), (R.Opcode.BINARY, b"x", True), (9, bytearray(b"p"), 1)):
        c, r = C.Message(*args), R.Message(*args)
        assert repr(c) == repr(r)
        assert (c.opcode, c.data, c.compressed) == (r.opcode, r.data, r.compressed)
        assert c == C.Message(*args) and (c == r) is False
        if not isinstance(args[1], bytearray):
            assert hash(c) == hash(r)
        assert pickle.loads(pickle.dumps(c)) == c
        assert repr(c.__replace__(compressed=True)) == repr(dataclasses.replace(r, compressed=True))
        with pytest.raises(AttributeError):
            c.data = "changed"
    assert C.Message.__match_args__ == R.Message.__match_args__
    assert C.Message(opcode=1, data=b"") == C.Message(1, b"", False)


def message_summary(message: Any) -> Any:
    if message is None:
        return None
    return (message.opcode, type(message.opcode), message.data, type(message.data), message.compressed)


def trace_assembler(mod: Any, opts: tuple[Any, ...], frames: list[tuple[Any, ...]], frame_mod: Any) -> list[Any]:
    try:
        assembler = mod.MessageAssembler(*opts)
    except Exception as exc:
        return [("init", exc_summary(exc))]
    out: list[Any] = []
    for args in frames:
        try:
            out.append(message_summary(assembler.add(frame_mod.Frame(*args))))
        except Exception as exc:
            out.append(("raise", exc_summary(exc)))
        out.append(assembler.in_message)
    return out


assembler_frames = st.lists(
    st.tuples(
        st.sampled_from([0, 0, 1, 1, 2, 8, 9, 10, R.Opcode.TEXT, 3, True, 1.0]),
        st.one_of(texts, st.binary(max_size=80), st.sampled_from([bytearray(b"ab"), "str", 3, memoryview(b"mv")])),
        st.sampled_from([True, True, False, 1, 0]),
        st.sampled_from([False, False, True, 1]),
    ),
    max_size=12,
)


@given(
    assembler_frames,
    st.sampled_from([None, 0, 1, 5, 16, 40, 100, R.DEFAULT_MAX_SIZE, -1, 2**70, 10.5]),
    st.sampled_from([True, False, 0, 1]),
)
def test_message_assembler_matches(frames: list[tuple[Any, ...]], limit: Any, decode_text: Any) -> None:
    opts = (limit, decode_text)
    expected = trace_assembler(R, opts, frames, R)
    assert trace_assembler(C, opts, frames, R) == expected  # reference frames in
    assert trace_assembler(C, opts, frames, C) == expected  # compiled frames in


@given(st.data())
def test_message_assembler_text_split_at_every_point(data: st.DataObject) -> None:
    # RFC 6455 §8.1: validation carries across fragments; positions count
    # within the message.
    text = data.draw(st.text(alphabet="aé€\U0001d11e", max_size=30)).encode()
    if text and data.draw(st.booleans()):
        damaged = bytearray(text)
        bad_byte = data.draw(st.sampled_from([0x80, 0xC0, 0xED, 0xF4, 0xFF]))
        damaged[data.draw(st.integers(0, len(damaged) - 1))] = bad_byte
        text = bytes(damaged)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=4)))
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)])]
    frames = [(1 if i == 0 else 0, p, i == len(pieces) - 1, False) for i, p in enumerate(pieces)]
    for opts in ((None, True), (None, False)):
        assert trace_assembler(C, opts, frames, C) == trace_assembler(R, opts, frames, R)


def trace_messages(
    mod: Any, opts: dict[str, Any], chunks: list[bytes], assembler_opts: tuple[Any, ...], one_call: bool
) -> list[Any]:
    """feed_messages() each chunk and drain it (one_call), or the same with
    feed() and add() (the composition it stands for); then probe with more."""
    decoder = mod.FrameDecoder(**opts)
    assembler = mod.MessageAssembler(*assembler_opts)
    out: list[Any] = []

    def two_calls(chunk: bytes) -> Any:
        frames = decoder.feed(chunk)
        return (m for m in map(assembler.add, frames) if m is not None)

    for chunk in [*chunks, b"", raw_frame(1, b"probe", mask=KEY)]:
        try:
            iterator = decoder.feed_messages(chunk, assembler) if one_call else two_calls(chunk)
        except Exception as exc:
            out.append(("feed", exc_summary(exc), state(decoder)))
            continue
        drain(iterator, message_summary, lambda: (state(decoder), assembler.in_message), out)
    return out


@given(
    streams(),
    st.lists(st.integers(0, 10**6), max_size=6),
    st.sampled_from([(), (None,), (0,), (5,), (40,), (100, False), (None, False)]),
)
def test_feed_messages_matches_reference_and_composition(
    case: tuple[dict[str, Any], bytes], cuts: list[int], assembler_opts: tuple[Any, ...]
) -> None:
    opts, data = case
    for chunks in ([data], split(data, cuts)):
        expected = trace_messages(R, opts, chunks, assembler_opts, one_call=True)
        assert trace_messages(R, opts, chunks, assembler_opts, one_call=False) == expected
        assert trace_messages(C, opts, chunks, assembler_opts, one_call=True) == expected, (opts, chunks)
        assert trace_messages(C, opts, chunks, assembler_opts, one_call=False) == expected


def test_message_assembler_long_text_block_edges() -> None:
    unit = "aé€\U0001d11e".encode()
    base = (unit * 40)[:300]
    for size in (63, 64, 65, 66, 67, 127, 128, 129, 300):
        for pos in range(max(0, size - 6), size):
            damaged = bytearray(base[:size])
            damaged[pos] = 0xC0
            for split_at in (0, 1, size // 2, size - 1):
                frames = [(1, bytes(damaged[:split_at]), False, False), (0, bytes(damaged[split_at:]), True, False)]
                assert trace_assembler(C, (), frames, C) == trace_assembler(R, (), frames, R)
