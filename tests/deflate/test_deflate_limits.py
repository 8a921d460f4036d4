"""Inflater limits: bounded by default, ``max_ratio``, limits of any real number type.

Run through the public modules (``wsframe.deflate`` and the ``MessageAssembler``
of ``wsframe.frames``), so the suite's two passes cover both wsframe backends;
every zlib backend that is installed runs each test.
"""

from __future__ import annotations

import math
import zlib
from fractions import Fraction
from typing import Any

import pytest
from _deflate_support import backend_params

from wsframe._rules import DEFAULT_MAX_SIZE
from wsframe.deflate import DeflateParams, Deflater, Inflater
from wsframe.errors import PayloadTooBig, ProtocolError
from wsframe.frames import Frame, FrameDecoder, MessageAssembler, Opcode, encode_frame, encode_message

BACKEND = backend_params()
SLACK = 64 * 1024  # max_ratio's allowance on top of ratio x compressed size


def compressed(data: bytes) -> bytes:
    """One permessage-deflate payload (trailer removed) of ``data``."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return (c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH))[:-4]


@pytest.fixture(scope="module")
def at_default() -> dict[int, bytes]:
    """Messages of zeros inflating to exactly 1 MiB and to 1 MiB + 1."""
    return {n: compressed(bytes(n)) for n in (DEFAULT_MAX_SIZE, DEFAULT_MAX_SIZE + 1)}


# ---------------------------------------------------------------------------
# Bounded by default
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKEND)
def test_feed_is_bounded_by_default(backend: str, at_default: dict[int, bytes]) -> None:
    inflater = Inflater(DeflateParams(), zlib=backend)
    assert len(inflater.feed(at_default[DEFAULT_MAX_SIZE], fin=True)) == DEFAULT_MAX_SIZE
    with pytest.raises(PayloadTooBig) as info:
        Inflater(DeflateParams(), zlib=backend).feed(at_default[DEFAULT_MAX_SIZE + 1], fin=True)
    assert info.value.code == 1009


@pytest.mark.parametrize("backend", BACKEND)
def test_max_size_none_means_unbounded(backend: str) -> None:
    big = bytes(3 * DEFAULT_MAX_SIZE)
    inflater = Inflater(DeflateParams(), zlib=backend)
    assert inflater.feed(compressed(big), fin=True, max_size=None) == big


@pytest.mark.parametrize("backend", BACKEND)
def test_default_bound_after_a_larger_explicit_one_still_bounds(backend: str) -> None:
    # The message already passed 1 MiB under an explicit bound: a call left at the
    # default may produce nothing more (not "no bound", zlib's max_length 0).
    wire = compressed(bytes(3 * DEFAULT_MAX_SIZE))
    inflater = Inflater(DeflateParams(), zlib=backend)
    half = len(wire) // 2
    assert len(inflater.feed(wire[:half], fin=False, max_size=None)) > DEFAULT_MAX_SIZE
    with pytest.raises(PayloadTooBig):
        inflater.feed(wire[half:], fin=True)


def test_default_bound_is_the_assemblers_default() -> None:
    assert DEFAULT_MAX_SIZE == MessageAssembler().max_message_size


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize("frame", [125, 4096])
def test_default_bound_holds_for_the_message_however_it_is_split(backend: str, frame: int) -> None:
    # Regression: the default bounded each call, so a bomb in frames of under ~1000
    # bytes was inflated whole (64 MiB from 64 KiB of frames).  Left out, max_size is
    # what is left of 1 MiB for the message.
    bomb = compressed(bytes(64 * DEFAULT_MAX_SIZE))
    frames = [bomb[i : i + frame] for i in range(0, len(bomb), frame)]
    inflater = Inflater(DeflateParams(), zlib=backend)
    total = 0
    with pytest.raises(PayloadTooBig, match=f"limit of {DEFAULT_MAX_SIZE} bytes") as info:
        for i, piece in enumerate(frames):
            total += len(inflater.feed(piece, fin=i == len(frames) - 1))
    assert info.value.code == 1009 and total <= DEFAULT_MAX_SIZE
    # A message of exactly 1 MiB in small frames, then the next one, have the whole MiB each.
    data = bytes(DEFAULT_MAX_SIZE)
    wire = compressed(data)
    parts = [wire[i : i + frame] for i in range(0, len(wire), frame)]
    inflater = Inflater(DeflateParams(), zlib=backend)
    for _ in range(2):
        out = b"".join(inflater.feed(p, fin=i == len(parts) - 1) for i, p in enumerate(parts))
        assert out == data


# ---------------------------------------------------------------------------
# Limits of any real number type
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize(
    "limit", [1000, 1e3, 1000.0, 1000.9, Fraction(2001, 2)], ids=["int", "1e3", "float", "1000.9", "fraction"]
)
def test_max_size_of_any_real_number_type(backend: str, limit: Any) -> None:
    # 1e3 == 1000: a limit means the same whatever the number's type (a
    # fractional limit allows its whole part).
    inflater = Inflater(DeflateParams(), zlib=backend)
    assert inflater.feed(compressed(bytes(1000)), fin=True, max_size=limit) == bytes(1000)
    with pytest.raises(PayloadTooBig):
        inflater.feed(compressed(bytes(1001)), fin=True, max_size=limit)


@pytest.mark.parametrize("backend", BACKEND)
def test_infinite_max_size_means_unbounded(backend: str) -> None:
    inflater = Inflater(DeflateParams(), zlib=backend)
    big = bytes(2 * DEFAULT_MAX_SIZE)
    assert inflater.feed(compressed(big), fin=True, max_size=math.inf) == big


@pytest.mark.parametrize(
    ("limit", "error"),
    [(-1, ValueError), (-0.5, ValueError), (math.nan, ValueError), ("10", TypeError),
     (True, TypeError), (b"1", TypeError)],
)  # fmt: skip
def test_bad_max_size(limit: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        Inflater(DeflateParams()).feed(compressed(b"x"), fin=True, max_size=limit)


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize("fin", [True, False])
@pytest.mark.parametrize("payload", ["x", 5, None])
def test_payload_that_is_not_bytes_like_is_named(backend: str, fin: bool, payload: Any) -> None:
    # The caller's mistake in the API's words, not those of the join or zlib inside.
    with pytest.raises(TypeError, match=f"payload must be a bytes-like object, not {type(payload).__name__}"):
        Inflater(DeflateParams(), zlib=backend).feed(payload, fin=fin)
    data = compressed(b"hello")
    for kind in (bytearray, memoryview):
        assert Inflater(DeflateParams(), zlib=backend).feed(kind(data), fin=fin) == b"hello"


@pytest.mark.parametrize("limit", [1e6, 1000000.0, Fraction(10**6)])
@pytest.mark.parametrize("fragment", [None, 100])
def test_assembler_limit_of_any_real_number_type_with_inflater(limit: Any, fragment: int | None) -> None:
    # The same limit works with or without an inflater: the budget left
    # (limit minus what was inflated) reaches Inflater.feed as a float.
    params = DeflateParams()
    for size, fits in ((10**6, True), (10**6 + 1, False)):
        assembler = MessageAssembler(max_message_size=limit, inflater=Inflater(params))
        deflater = Deflater(params, client=True)
        wire = b"".join(
            encode_message(Opcode.BINARY, bytes(size), fragment_size=fragment, masked=True, deflater=deflater)
        )
        frames = list(FrameDecoder(rsv_allowed=4, max_frame_size=None).feed(wire))
        if fits:
            results = [assembler.add(frame) for frame in frames]
            assert results[-1].data == bytes(size)
        else:
            with pytest.raises(PayloadTooBig) as info:
                for frame in frames:
                    assembler.add(frame)
            assert info.value.code == 1009


# ---------------------------------------------------------------------------
# max_ratio
# ---------------------------------------------------------------------------


def _ratio_message() -> tuple[bytes, int]:
    """A compressed message (its payload) and its inflated size, far above 64 KiB."""
    data = bytes(range(256)) * 4 + bytes(300_000)
    return compressed(data), len(data)


@pytest.mark.parametrize("backend", BACKEND)
def test_max_ratio_exact_bound(backend: str) -> None:
    # Inflated size == max_ratio x compressed size + 64 KiB passes; a ratio
    # that allows one byte less fails, with 1009.
    payload, size = _ratio_message()
    exact = Fraction(size - SLACK, len(payload))
    inflater = Inflater(DeflateParams(), zlib=backend, max_ratio=exact)
    assert len(inflater.feed(payload, fin=True)) == size
    tight = Inflater(DeflateParams(), zlib=backend, max_ratio=exact - Fraction(1, len(payload)))
    with pytest.raises(PayloadTooBig) as info:
        tight.feed(payload, fin=True)
    assert info.value.code == 1009
    assert "compressed size" in str(info.value)


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize("ratio", [10, 10.0, Fraction(10)])
def test_max_ratio_any_real_number_type(backend: str, ratio: Any) -> None:
    payload, _ = _ratio_message()
    with pytest.raises(PayloadTooBig):
        Inflater(DeflateParams(), zlib=backend, max_ratio=ratio).feed(payload, fin=True)


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize("frame_size", [1, 7, 100])
def test_max_ratio_across_frames(backend: str, frame_size: int) -> None:
    # The ratio counts the message's compressed bytes so far: split into
    # frames, a bomb is refused all the same.
    payload, size = _ratio_message()
    inflater = Inflater(DeflateParams(), zlib=backend, max_ratio=50)
    frames = [payload[i : i + frame_size] for i in range(0, len(payload), frame_size)]
    total = 0
    with pytest.raises(PayloadTooBig):
        for i, frame in enumerate(frames):
            total += len(inflater.feed(frame, fin=i == len(frames) - 1, max_size=None))
    assert total <= 50 * len(payload) + SLACK


@pytest.mark.parametrize("backend", BACKEND)
def test_max_ratio_counts_each_message_alone(backend: str) -> None:
    # Many messages each under 64 KiB of slack pass; the counts restart at
    # every message (with context takeover, so later ones compress better).
    params = DeflateParams()
    deflater = Deflater(params, client=True)
    inflater = Inflater(params, zlib=backend, max_ratio=1)
    for _ in range(20):
        message = bytes(60_000)
        assert inflater.feed(deflater.compress(message), fin=True) == message
    with pytest.raises(PayloadTooBig):
        inflater.feed(deflater.compress(bytes(200_000)), fin=True)


def test_max_ratio_none_and_bad_values() -> None:
    assert Inflater(DeflateParams()).max_ratio is None
    assert "max_ratio=3" in repr(Inflater(DeflateParams(), max_ratio=3))
    for bad, error in ((-1, ValueError), (math.nan, ValueError), ("3", TypeError), (False, TypeError)):
        with pytest.raises(error):
            Inflater(DeflateParams(), max_ratio=bad)


def test_max_ratio_through_the_assembler() -> None:
    # No size limit at all, yet the bomb is refused: 1009 from the ratio.
    payload, _ = _ratio_message()
    assembler = MessageAssembler(max_message_size=None, inflater=Inflater(DeflateParams(), max_ratio=10))
    wire = encode_frame(Opcode.BINARY, payload, rsv1=True, mask=b"abcd")
    (frame,) = FrameDecoder(rsv_allowed=4, max_frame_size=None).feed(wire)
    with pytest.raises(PayloadTooBig) as info:
        assembler.add(frame)
    assert info.value.code == 1009


# ---------------------------------------------------------------------------
# One event, one message: the assembler passes the inflater's error through
# ---------------------------------------------------------------------------


def _assemble(payload: bytes, assembler: MessageAssembler, frame_size: int) -> None:
    decoder = FrameDecoder(rsv_allowed=4)
    pieces = [payload[i : i + frame_size] for i in range(0, len(payload), frame_size)]
    for index, piece in enumerate(pieces):
        first, last = index == 0, index == len(pieces) - 1
        wire = encode_frame(Opcode.BINARY if first else Opcode.CONTINUATION, piece, fin=last, rsv1=first, mask=b"abcd")
        for frame in decoder.feed(wire):
            assembler.add(frame)


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize("frame_size", [1 << 20, 64])
def test_assembler_reports_the_ratio_cap_as_a_ratio(backend: str, frame_size: int) -> None:
    inflater = Inflater(DeflateParams(), zlib=backend, max_ratio=10)
    assembler = MessageAssembler(max_message_size=None, inflater=inflater)
    with pytest.raises(PayloadTooBig) as info:
        _assemble(compressed(bytes(1 << 20)), assembler, frame_size)
    assert "10 x its compressed size" in str(info.value)
    assert "None" not in str(info.value)


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize("frame_size", [1 << 20, 64])
def test_assembler_reports_the_message_limit_whatever_the_framing(backend: str, frame_size: int) -> None:
    assembler = MessageAssembler(max_message_size=100_000, inflater=Inflater(DeflateParams(), zlib=backend))
    with pytest.raises(PayloadTooBig) as info:
        _assemble(compressed(bytes(200_000)), assembler, frame_size)
    assert "limit of 100000 bytes" in str(info.value)


# ---------------------------------------------------------------------------
# Regressions found by an adversarial audit
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize("ratio", [math.inf, 1e300, 2**62, Fraction(10**30)])
def test_max_ratio_that_bounds_nothing_is_no_bound(backend: str, ratio: Any) -> None:
    # An infinite ratio (or one past what zlib's max_length can hold) used to reach
    # math.floor / zlib and fail there (OverflowError, or NaN from inf x 0).
    data = bytes(3 * DEFAULT_MAX_SIZE)
    inflater = Inflater(DeflateParams(), zlib=backend, max_ratio=ratio)
    assert inflater.max_ratio == ratio
    assert inflater.feed(b"", fin=False, max_size=None) == b""
    assert inflater.feed(compressed(data), fin=True, max_size=None) == data
    assembler = MessageAssembler(
        max_message_size=None, inflater=Inflater(DeflateParams(), zlib=backend, max_ratio=ratio)
    )
    _assemble(compressed(data), assembler, 4096)


def test_max_ratio_is_checked_when_set() -> None:
    inflater = Inflater(DeflateParams(), max_ratio=3)
    for bad, error in ((-1, ValueError), ("3", TypeError), (math.nan, ValueError)):
        with pytest.raises(error):
            inflater.max_ratio = bad
    assert inflater.max_ratio == 3
    inflater.max_ratio = None
    assert inflater.feed(compressed(bytes(500_000)), fin=True) == bytes(500_000)


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize("fin", [True, False])
@pytest.mark.parametrize("ratio", [None, 0])
def test_bad_payload_is_named_and_changes_nothing(backend: str, fin: bool, ratio: Any) -> None:
    # The same error whatever fin and max_ratio, and a call that raised counts nothing:
    # with max_ratio=0 the 64 KiB slack is all the next message may inflate to.
    inflater = Inflater(DeflateParams(), zlib=backend, max_ratio=ratio)
    with pytest.raises(ValueError, match="payload must be a C-contiguous buffer"):
        inflater.feed(memoryview(bytes(200_000))[::2], fin=fin)
    with pytest.raises(TypeError, match="payload must be a bytes-like object, not str"):
        inflater.feed("abc", fin=fin)  # type: ignore[arg-type]
    assert inflater.feed(compressed(bytes(SLACK)), fin=True) == bytes(SLACK)


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize("error", ["wire size", "invalid text", "nested message"])
def test_an_assembler_error_ends_the_inflater_stream(backend: str, error: str) -> None:
    # Regression: after the assembler's own error in the middle of a compressed
    # message, the shared inflater stayed inside it, and the next compressed message
    # continued that stream (garbage returned as its data, no error).  Now the
    # inflater is failed with the same error, as after its own errors.
    inflater = Inflater(DeflateParams(), zlib=backend)
    assembler = MessageAssembler(max_message_size=5000, inflater=inflater)
    raw = bytes(range(256)) * 40  # 10 KiB that hardly compresses
    opcode = Opcode.TEXT if error == "invalid text" else Opcode.BINARY
    payload = compressed(b"\xff" * 100 if error == "invalid text" else raw)
    second = Opcode.BINARY if error == "nested message" else Opcode.CONTINUATION
    with pytest.raises(ProtocolError) as info:  # (invalid text fails at its first frame)
        assembler.add(Frame(opcode, payload[:40], fin=False, rsv1=True))
        assembler.add(Frame(second, payload[40:], fin=True))
    assert info.value.code == {"wire size": 1009, "invalid text": 1007, "nested message": 1002}[error]
    with pytest.raises(ProtocolError) as again:
        assembler.add(Frame(Opcode.BINARY, compressed(b"hi"), rsv1=True))
    # (After a nesting error the assembler still holds the first message, so the
    # next start is another nesting error; the inflater has the first one.)
    assert again.value is info.value or error == "nested message"
    with pytest.raises(ProtocolError) as direct:
        inflater.feed(compressed(b"hi"), fin=True)
    assert direct.value is info.value
    if error != "nested message":
        # Uncompressed messages do not need the inflater: the assembler still takes them.
        for frame in FrameDecoder().feed(encode_frame(Opcode.BINARY, b"plain", mask=b"abcd")):
            assert assembler.add(frame).data == b"plain"
