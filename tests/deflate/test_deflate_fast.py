"""The compiled single-frame path for compressed messages against the reference.

``encode_message_bytes`` with a Deflater, an unmasked data message and no
fragment_size writes the compressor's output straight into one frame in the
compiled backend; the reference frames ``Deflater.compress``'s result.  Both
must give the same bytes on every zlib backend, window and takeover setting,
and the frames must inflate back to the message.
"""

from __future__ import annotations

import importlib.util

import pytest

from wsframe import frames
from wsframe._reference import frames as reference_frames
from wsframe.deflate import DeflateParams, Deflater, Inflater

BACKENDS = [
    name
    for name, module in (("zlib", "zlib"), ("zlib-ng", "zlib_ng"), ("isal", "isal"))
    if importlib.util.find_spec(module) is not None
]
PARAMS = [
    DeflateParams(),
    DeflateParams(server_no_context_takeover=True),
    DeflateParams(server_max_window_bits=9),
    DeflateParams(server_max_window_bits=8),
]
PAYLOADS = [b"", b"x", b"hello " * 20, bytes(range(256)) * 300, bytearray(b"abc" * 50000)]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("params", PARAMS, ids=repr)
def test_same_frames_as_reference_and_inflates_back(backend: str, params: DeflateParams) -> None:
    fast = Deflater(params, zlib=backend)
    slow = Deflater(params, zlib=backend)
    inflater = Inflater(params, client=True, zlib=backend)
    decoder = frames.FrameDecoder(client=True, rsv_allowed=4)
    for payload in PAYLOADS * 2:
        for opcode in (1, 2, frames.Opcode.TEXT):
            wire = frames.encode_message_bytes(opcode, payload, deflater=fast)
            assert wire == reference_frames.encode_message_bytes(opcode, payload, deflater=slow)
            (frame,) = list(decoder.feed(wire))
            assert frame.rsv1 and frame.fin
            assert inflater.feed(frame.payload, fin=True) == bytes(payload)
            listed = frames.encode_message(opcode, payload, deflater=fast)
            assert listed == reference_frames.encode_message(opcode, payload, deflater=slow)
            for frame in decoder.feed(b"".join(listed)):
                assert inflater.feed(frame.payload, fin=True) == bytes(payload)


def test_min_size_control_and_masked_frames_take_the_general_path() -> None:
    fast = Deflater(DeflateParams(), min_size=10)
    slow = Deflater(DeflateParams(), min_size=10)
    for opcode, payload in ((1, b"short"), (9, b"ping"), (2, b"long enough payload")):
        assert frames.encode_message_bytes(opcode, payload, deflater=fast) == (
            reference_frames.encode_message_bytes(opcode, payload, deflater=slow)
        )
    wire = frames.encode_message_bytes(1, b"masked message", masked=True, deflater=fast)
    assert wire[0] == 0xC1 and wire[1] & 0x80
    with pytest.raises(ValueError):
        frames.encode_message_bytes(0, b"continuation first", deflater=fast)
    with pytest.raises(TypeError):
        frames.encode_message_bytes(1, "text", deflater=fast)


@pytest.mark.parametrize("encode", [frames.encode_message_bytes, frames.encode_message])
def test_without_takeover_no_compressor_is_held_between_messages(encode: object) -> None:
    # The idle-memory property of a Deflater without context takeover (its compressor
    # goes back to the per-thread pool after each message) holds on the fast path too.
    deflater = Deflater(DeflateParams(server_no_context_takeover=True))
    for _ in range(3):
        encode(1, b"hello " * 20, deflater=deflater)  # type: ignore[operator]
        assert deflater._c is None
