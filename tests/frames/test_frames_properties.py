"""Hypothesis properties of wsframe.frames.

* incremental == one-shot: any split of any byte stream (valid, or valid then arbitrary bytes)
  gives the same frames and the same error;
* encode -> decode round trip for any payload, opcode, flags and mask (RFC 6455 §5.2, §5.3);
* encode_message -> decoder + assembler gives the message back (RFC 6455 §5.4).

Example counts come from the hypothesis profile chosen in conftest.py (dev / ci / thorough).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from _support import implementation_fixture, xor_mask_reference
from wsframe.errors import InvalidUTF8, ProtocolError
from wsframe.frames import (
    FrameDecoder,
    MessageAssembler,
    Opcode,
    encode_frame,
    encode_header,
    encode_message,
    parse_header,
)

# The names above are rebound to each implementation in turn: every test of this
# module runs against wsframe._reference.frames [python] and the compiled
# wsframe._speedups._frames [c] (see _support.implementation_fixture).
implementation = implementation_fixture("frames")

DATA = [Opcode.TEXT, Opcode.BINARY]
CONTROL = [Opcode.CLOSE, Opcode.PING, Opcode.PONG]
masks = st.binary(min_size=4, max_size=4)


FrameT = tuple[int, bytes, bool, bool, bool, bool]


def outcome(decoder: FrameDecoder, chunks: list[bytes]) -> tuple[list[FrameT], Any]:
    """Frames yielded and the error raised (class, code, position), if any."""
    frames: list[FrameT] = []
    try:
        for chunk in chunks:
            for f in decoder.feed(chunk):
                frames.append((int(f.opcode), bytes(f.payload), f.fin, f.rsv1, f.rsv2, f.rsv3))
    except ProtocolError as exc:
        return frames, (type(exc).__name__, exc.code, getattr(exc, "position", None))
    return frames, None


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    bounds = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    return [data[a:b] for a, b in zip(bounds, bounds[1:])]


@st.composite
def streams(draw: st.DrawFn) -> bytes:
    """A valid client-to-server stream: messages (fragmented or not) with control frames
    interleaved, text split anywhere (even inside code points), every frame masked."""
    out = []
    for _ in range(draw(st.integers(0, 5))):
        if draw(st.booleans()):
            opcode = draw(st.sampled_from([Opcode.PING, Opcode.PONG]))
            out.append(encode_frame(opcode, draw(st.binary(max_size=125)), mask=draw(masks)))
            continue
        opcode = draw(st.sampled_from(DATA))
        if opcode is Opcode.TEXT:
            payload = draw(st.text(max_size=40)).encode("utf-8")
        else:
            payload = draw(st.binary(max_size=300))
        cuts = sorted(set(draw(st.lists(st.integers(0, len(payload)), max_size=3))))
        pieces = split(payload, cuts) if cuts else [payload]
        pieces = pieces or [b""]
        for i, piece in enumerate(pieces):
            out.append(
                encode_frame(
                    opcode if i == 0 else Opcode.CONTINUATION, piece, fin=i == len(pieces) - 1, mask=draw(masks)
                )
            )
            if i < len(pieces) - 1 and draw(st.booleans()):
                out.append(encode_frame(Opcode.PING, draw(st.binary(max_size=10)), mask=draw(masks)))
    if draw(st.booleans()):
        out.append(
            encode_frame(Opcode.CLOSE, b"\x03\xe8" + draw(st.text(max_size=20)).encode()[:123], mask=draw(masks))
        )
    return b"".join(out)


@given(streams(), st.lists(st.integers(min_value=0), max_size=30))
def test_incremental_equals_one_shot_for_any_split_of_a_valid_stream(data: bytes, cuts: list[int]) -> None:
    whole = outcome(FrameDecoder(), [data])
    assert whole[1] is None
    assert outcome(FrameDecoder(), split(data, cuts)) == whole


@given(
    streams(),
    st.binary(max_size=60),
    st.lists(st.integers(min_value=0), max_size=30),
    st.sampled_from([0, 4]),
    st.booleans(),
)
def test_incremental_equals_one_shot_for_any_split_of_any_bytes(
    valid: bytes, tail: bytes, cuts: list[int], rsv_allowed: int, validate: bool
) -> None:
    # Arbitrary bytes after a valid prefix: whatever happens (frames, then maybe an error with
    # its code and UTF-8 position), it must not depend on how the bytes were split.
    data = valid + tail
    kwargs = {"rsv_allowed": rsv_allowed, "validate_utf8": validate, "max_frame_size": 200}
    whole = outcome(FrameDecoder(**kwargs), [data])  # type: ignore[arg-type]
    assert outcome(FrameDecoder(**kwargs), split(data, cuts)) == whole  # type: ignore[arg-type]


@given(streams())
def test_incremental_one_byte_at_a_time_equals_one_shot(data: bytes) -> None:
    whole = outcome(FrameDecoder(), [data])
    assert outcome(FrameDecoder(), [data[i : i + 1] for i in range(len(data))]) == whole


@given(
    opcode=st.sampled_from(list(Opcode)),
    payload=st.binary(max_size=300),
    fin=st.booleans(),
    rsv1=st.booleans(),
    rsv2=st.booleans(),
    rsv3=st.booleans(),
    mask=st.none() | masks,
)
def test_encode_then_parse_header_round_trip(
    opcode: Opcode, payload: bytes, fin: bool, rsv1: bool, rsv2: bool, rsv3: bool, mask: bytes | None
) -> None:
    if opcode in CONTROL:
        payload, fin = payload[:125], True
    frame = encode_frame(opcode, payload, fin=fin, rsv1=rsv1, rsv2=rsv2, rsv3=rsv3, mask=mask)
    header = parse_header(frame)
    assert header is not None
    assert (header.opcode, header.fin, header.rsv1, header.rsv2, header.rsv3) == (opcode, fin, rsv1, rsv2, rsv3)
    assert (header.masked, header.mask, header.length) == (mask is not None, mask, len(payload))
    assert header.header_size + len(payload) == len(frame)
    body = frame[header.header_size :]
    assert (xor_mask_reference(body, mask) if mask is not None else body) == payload
    assert frame[: header.header_size] == encode_header(
        opcode, len(payload), fin=fin, rsv1=rsv1, rsv2=rsv2, rsv3=rsv3, mask=mask
    )


@given(
    opcode=st.sampled_from(DATA + [Opcode.CONTINUATION]),
    length=st.integers(0, 2**63 - 1) | st.sampled_from([125, 126, 65535, 65536, 2**32 - 1, 2**32]),
    fin=st.booleans(),
    rsv=st.integers(0, 7),
    mask=st.none() | masks,
)
def test_encode_header_then_parse_header_round_trip_any_length(
    opcode: Opcode, length: int, fin: bool, rsv: int, mask: bytes | None
) -> None:
    flags = {"rsv1": bool(rsv & 4), "rsv2": bool(rsv & 2), "rsv3": bool(rsv & 1)}
    raw = encode_header(opcode, length, fin=fin, mask=mask, **flags)
    header = parse_header(raw)
    assert header is not None and header.header_size == len(raw)
    assert (header.opcode, header.length, header.fin, header.mask) == (opcode, length, fin, mask)
    assert (header.rsv1, header.rsv2, header.rsv3) == tuple(flags.values())
    # RFC 6455 §5.2: minimal length encoding.
    assert len(raw) - (4 if mask else 0) == (2 if length < 126 else 4 if length < 65536 else 10)


@given(
    opcode=st.sampled_from([Opcode.TEXT, Opcode.BINARY, Opcode.CONTINUATION, *CONTROL]),
    payload=st.binary(max_size=1000),
    fin=st.booleans(),
    rsv=st.integers(0, 7),
    mask=st.none() | masks,
)
def test_encode_then_decode_round_trip(opcode: Opcode, payload: bytes, fin: bool, rsv: int, mask: bytes | None) -> None:
    rsv1, rsv2, rsv3 = bool(rsv & 4), bool(rsv & 2), bool(rsv & 1)
    if opcode in CONTROL:
        fin = True
        rsv1 = False  # RFC 7692 §6.1: never valid on a control frame
        if opcode is Opcode.CLOSE:  # a valid close body: code + UTF-8 reason (§5.5.1)
            payload = b"\x03\xe8" + payload[:40].decode("utf-8", "replace").encode()
        payload = payload[:125]
    # A continuation needs a message to continue (RFC 6455 §5.4); RSV1 only on its first frame.
    prefix = b""
    if opcode is Opcode.CONTINUATION:
        rsv1 = False
        prefix = encode_frame(Opcode.BINARY, b"start", fin=False, mask=mask)
    frame = encode_frame(opcode, payload, fin=fin, rsv1=rsv1, rsv2=rsv2, rsv3=rsv3, mask=mask)
    # The decoder's role follows the mask (§5.1); text is not validated (random bytes).
    decoder = FrameDecoder(client=mask is None, rsv_allowed=7, validate_utf8=False)
    frames, error = outcome(decoder, [prefix + frame])
    assert error is None, error
    assert frames[-1] == (int(opcode), payload, fin, rsv1, rsv2, rsv3)


@given(
    text=st.text(max_size=300),
    fragment_size=st.none() | st.integers(1, 64),
    masked=st.booleans(),
)
def test_encode_message_round_trip_text(text: str, fragment_size: int | None, masked: bool) -> None:
    frames = encode_message(Opcode.TEXT, text.encode("utf-8"), fragment_size=fragment_size, masked=masked)
    decoder = FrameDecoder(client=not masked)  # text validated, fail-fast, across fragments
    assembler = MessageAssembler()
    results = [assembler.add(f) for raw in frames for f in decoder.feed(raw)]
    assert len(results) == len(frames)
    assert all(r is None for r in results[:-1])
    message = results[-1]
    assert message is not None and message.opcode is Opcode.TEXT and message.data == text


@given(payload=st.binary(max_size=2000), fragment_size=st.integers(1, 300), masked=st.booleans())
def test_encode_message_round_trip_binary(payload: bytes, fragment_size: int, masked: bool) -> None:
    frames = encode_message(Opcode.BINARY, payload, fragment_size=fragment_size, masked=masked)
    decoder = FrameDecoder(client=not masked)
    decoded = [f for raw in frames for f in decoder.feed(raw)]
    assert [int(f.opcode) for f in decoded] == [2] + [0] * (len(decoded) - 1)
    assert [f.fin for f in decoded] == [False] * (len(decoded) - 1) + [True]
    assert b"".join(bytes(f.payload) for f in decoded) == payload


@given(st.binary(min_size=1, max_size=64), st.integers(0, 63), masks)
def test_invalid_text_error_position_matches_cpython(payload: bytes, cut: int, key: bytes) -> None:
    # RFC 6455 §8.1: any text payload, any fragmentation: the decoder fails iff CPython's
    # strict decoder does, at the same offset of the message (UnicodeDecodeError.start).
    cut %= len(payload) + 1
    data = encode_frame(Opcode.TEXT, payload[:cut], fin=False, mask=key) + encode_frame(
        Opcode.CONTINUATION, payload[cut:], mask=key
    )
    _, error = outcome(FrameDecoder(), [data])
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError as exc:
        assert error == (InvalidUTF8.__name__, 1007, exc.start)
    else:
        assert error is None
