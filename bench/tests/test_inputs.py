"""The benchmark oracles themselves: if they were wrong, every check would be."""

from __future__ import annotations

import pytest

from bench import inputs
from bench.workloads import WORKLOADS, select

# RFC 6455 §5.7: a masked, single-frame text message containing "Hello".
RFC_MASKED_HELLO = bytes.fromhex("818537fa213d7f9f4d5158")


def test_xor_mask_rfc_example() -> None:
    assert inputs.xor_mask(RFC_MASKED_HELLO[6:], inputs.MASK_KEY) == b"Hello"


@pytest.mark.parametrize("offset", range(8))
def test_xor_mask_phase(offset: int) -> None:
    data = inputs.payload(37)
    key = b"\x01\x02\x04\x08"
    expected = bytes(b ^ key[(i + offset) % 4] for i, b in enumerate(data))
    assert inputs.xor_mask(data, key, offset) == expected


def test_xor_mask_rejects_bad_key() -> None:
    with pytest.raises(ValueError):
        inputs.xor_mask(b"abc", b"xyz")


def test_parse_frame_rfc_example() -> None:
    assert inputs.parse_frame(RFC_MASKED_HELLO) == (1, True, True, b"Hello")


@pytest.mark.parametrize("bad", [b"\x81", b"\x82\x05abc", b"\x82\x7e\x00\x05hello"])
def test_parse_frame_rejects(bad: bytes) -> None:
    with pytest.raises(ValueError):
        inputs.parse_frame(bad)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 63, 64, 1000, 4096])
@pytest.mark.parametrize("kind", inputs.TEXT_KINDS)
def test_text_size_and_validity(kind: str, size: int) -> None:
    data = inputs.text(kind, size)
    assert len(data) == size
    if kind == "error_last":
        with pytest.raises(UnicodeDecodeError) as info:
            data.decode("utf-8")
        assert info.value.start == size - 1  # the error is in the very last byte
    else:
        data.decode("utf-8")
        if kind != "ascii" and size >= 64:
            assert not data.isascii()  # multi-byte text really is multi-byte


def test_text_is_deterministic() -> None:
    assert inputs.text("mixed", 1000) == inputs.text("mixed", 1000)
    assert inputs.payload(100) == inputs.payload(100)


@pytest.mark.parametrize("opcode", [1, 2])
def test_frame_stream_round_trip(opcode: int) -> None:
    stream = inputs.frame_stream(50, 200, opcode=opcode)
    wire, decoded = stream.wire, []
    while wire:
        header = 2 + (2 if wire[1] & 0x7F == 126 else 0) + 4
        length = int.from_bytes(wire[2:4], "big") if wire[1] & 0x7F == 126 else wire[1] & 0x7F
        decoded.append(inputs.parse_frame(wire[: header + length]))
        wire = wire[header + length :]
    assert [(op, body) for op, _fin, _masked, body in decoded] == list(stream.messages)
    assert all(fin and masked for _op, fin, masked, _body in decoded)


def test_select() -> None:
    assert [w.name for w in select(["mask"])] == ["mask.copy", "mask.inplace"]
    assert len(select(["frames.decode"])) == 4
    assert select(None) == [w for w in WORKLOADS if not w.optional]
    assert [w.name for w in select(["decode.fine.ascii"])] == ["decode.fine.ascii"]
    assert "decode.fine.ascii" not in [w.name for w in select(None)]
    with pytest.raises(ValueError):
        select(["nothing-like-this"])
