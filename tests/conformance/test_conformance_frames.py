"""Replay of the Autobahn testsuite cases of kind "frames" and "close".

Data: tests/data/autobahn_cases.json (extracted by tools/extract_conformance.py; the format is
described in tests/data/README.md).  Each case's input (the exact bytes a server receives, every frame masked)
goes through a server-side FrameDecoder (default settings: rsv_allowed=0, max_frame_size 1 MiB,
which the largest case, 256 KiB, fits) and a MessageAssembler, fed:

* whole,
* "wire": cut where Autobahn cuts it on the wire (each frame's chopsize, sync frames on their
  own, stream_cuts_payload, pauses),
* one byte at a time,
* at pauses_after_offsets,

and the events (complete data messages and control frames, in order) are compared with
expected.events.  A "fail" case must raise a ProtocolError whose code is fail_close_code (and in
accepted_fail_codes) after exactly the expected events.  UTF-8 failures must come at the feed()
that carries the first impossible byte, even mid-frame (6.4.x "Strict").  The frames[] header
ground truth is checked with parse_header at every offset.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import pytest

from _support import autobahn_cases, load_autobahn, xor_mask_reference
from wsframe.errors import InvalidUTF8, ProtocolError
from wsframe.frames import FrameDecoder, Message, MessageAssembler, parse_close, parse_header

pytestmark = pytest.mark.conformance

CASES = autobahn_cases("frames") + autobahn_cases("close")
if not CASES:  # pragma: no cover - depends on the checkout layout
    pytest.skip("tests/data/autobahn_cases.json not found", allow_module_level=True)
CASE_IDS = [c["id"] for c in CASES]
RESERVED_OPCODES = {3, 4, 5, 6, 7, 11, 12, 13, 14, 15}
EVENT_TYPE = {1: "text", 2: "binary", 8: "close", 9: "ping", 10: "pong"}


def test_the_data_file_has_every_frames_and_close_case() -> None:
    data = load_autobahn()
    assert data is not None
    counts = data["counts"]
    want = sum(v for k, v in counts.items() if k.split(":")[0] in ("frames", "close"))
    assert len(CASES) == want == 114


# --- helpers ------------------------------------------------------------------------------------


def _input(case: dict[str, Any]) -> bytes:
    data = bytes.fromhex(case["input"])
    assert len(data) == case["input_len"]
    return data


def _event(message: Message) -> dict[str, Any]:
    """The receiver-side event of a Message, in the data file's notation."""
    kind = EVENT_TYPE[int(message.opcode)]
    if kind == "close":
        payload = bytes(message.data)  # type: ignore[arg-type]
        code, reason = parse_close(payload)
        # RFC 6455 §7.1.5: an empty Close body has no code (1005 is never on the wire).
        return {"type": "close", "code": code if payload else None, "reason_hex": reason.encode("utf-8").hex()}
    data = message.data.encode("utf-8") if isinstance(message.data, str) else bytes(message.data)
    event: dict[str, Any] = {"type": kind, "payload_len": len(data)}
    if len(data) <= 1024:
        event["payload_hex"] = data.hex()
    else:
        event["payload_sha256"] = hashlib.sha256(data).hexdigest()
    return event


@dataclass
class Outcome:
    events: list[dict[str, Any]] = field(default_factory=list)
    fed_at_event: list[int] = field(default_factory=list)  # input bytes fed when each event came
    error: ProtocolError | None = None
    fed_at_error: int | None = None  # input bytes fed, including the chunk whose feed() raised
    decoder: FrameDecoder | None = None


def _run(chunks: list[bytes]) -> Outcome:
    out = Outcome(decoder=FrameDecoder())
    assembler = MessageAssembler()
    fed = 0
    for chunk in chunks:
        fed += len(chunk)
        try:
            for frame in out.decoder.feed(chunk):  # type: ignore[union-attr]
                message = assembler.add(frame)
                if message is not None:
                    out.events.append(_event(message))
                    out.fed_at_event.append(fed)
        except ProtocolError as exc:
            out.error, out.fed_at_error = exc, fed
            break
    return out


def _cut(data: bytes, cuts: set[int]) -> list[bytes]:
    bounds = sorted({0, len(data), *(c for c in cuts if 0 < c < len(data))})
    return [data[a:b] for a, b in zip(bounds, bounds[1:])]


def _wire_cuts(case: dict[str, Any]) -> set[int]:
    """Where Autobahn's writes split the stream (chopsize / sync / stream cuts / pauses)."""
    cuts = set(case.get("pauses_after_offsets", []))
    for f in case["frames"]:
        start = f["offset"]
        end = start + f["header_len"] + f["payload_len"]
        if f.get("chopsize"):
            cuts.update(range(start, end, f["chopsize"]))
            cuts.add(end)
        if f.get("sync"):
            cuts.update((start, end))
        for c in f.get("stream_cuts_payload", []):
            cuts.add(start + f["header_len"] + c)
    return cuts


def _split_names(case: dict[str, Any]) -> list[str]:
    names = ["whole"]
    if _wire_cuts(case):
        names.append("wire")
    if case.get("pauses_after_offsets"):
        names.append("pauses")
    return names + ["bytewise"]


def _chunks(case: dict[str, Any], split: str) -> list[bytes]:
    data = _input(case)
    if split == "whole":
        return [data]
    if split == "wire":
        return _cut(data, _wire_cuts(case))
    if split == "pauses":
        return _cut(data, set(case["pauses_after_offsets"]))
    assert split == "bytewise"
    return [data[i : i + 1] for i in range(len(data))]


def _payloads(case: dict[str, Any]) -> list[tuple[dict[str, Any], bytes]]:
    """Each frame of frames[] with its unmasked payload (RFC 6455 §5.3), from the ground truth."""
    data = _input(case)
    out = []
    for f in case["frames"]:
        start = f["offset"] + f["header_len"]
        body = data[start : start + f["payload_len"]]
        key = data[start - 4 : start] if f["masked"] else b"\0\0\0\0"
        out.append((f, xor_mask_reference(body, key)))
    return out


def _utf8_error_start(case: dict[str, Any]) -> int:
    """UnicodeDecodeError.start of the first text message or close reason that is invalid."""
    message = b""
    for f, payload in _payloads(case):
        if f["opcode"] == 8:
            try:
                payload[2:].decode("utf-8")
            except UnicodeDecodeError as exc:
                return exc.start
        elif f["opcode"] in (0, 1):
            message = payload if f["opcode"] == 1 else message + payload
            try:
                message.decode("utf-8")
            except UnicodeDecodeError as exc:
                if exc.reason != "unexpected end of data" or f["fin"]:
                    return exc.start
    raise AssertionError("no invalid UTF-8 found in the case")


def _boundary_at_or_after(chunks: list[bytes], offset: int) -> int:
    """Bytes fed at the end of the chunk that brings input byte ``offset - 1``."""
    fed = 0
    for chunk in chunks:
        fed += len(chunk)
        if fed >= offset:
            return fed
    raise AssertionError(offset)


# --- the replay ---------------------------------------------------------------------------------

PARAMS = [pytest.param(case, name, id=f"{case['id']}-{name}") for case in CASES for name in _split_names(case)]


def _check_ok(case: dict[str, Any], out: Outcome) -> None:
    expected = case["expected"]
    assert out.error is None, f"unexpected {out.error!r} after {out.fed_at_error} bytes"
    assert out.events == expected["events"]
    if expected.get("frames_after_close_ignored"):
        # Autobahn 7.1.x: once the Close arrived, later frames are not delivered, and any
        # further input is discarded rather than judged.
        assert out.events[-1]["type"] == "close"
        assert list(out.decoder.feed(b"\x83\xff garbage")) == []  # type: ignore[union-attr]


def _check_fail(case: dict[str, Any], chunks: list[bytes], out: Outcome) -> None:
    expected = case["expected"]
    err = out.error
    assert err is not None, f"no ProtocolError; events: {out.events}"
    assert out.events == expected["events"]
    assert err.code in expected["accepted_fail_codes"]
    assert err.code == expected["fail_close_code"]
    assert out.fed_at_error is not None
    # Once failed, the decoder refuses any further input at once (RFC 6455 §7.1.7).
    with pytest.raises(ProtocolError) as again:
        out.decoder.feed(b"")  # type: ignore[union-attr]
    assert again.value.code == err.code

    if err.code == 1007:
        assert isinstance(err, InvalidUTF8)
        # Offset within the message's text / the close reason: UnicodeDecodeError.start.
        assert err.position == _utf8_error_start(case)
        assert err.position <= expected["utf8_fail_index_in_message"]
        detectable = expected["utf8_fail_detectable_after_input_bytes"]
        assert out.fed_at_error >= detectable, "failed before the bytes showed the error"
        if case["kind"] == "frames":
            # RFC 6455 §8.1 fail fast (Autobahn 6.4.x "Strict"): the feed() that carries the
            # first impossible byte raises, even though its frame is incomplete.
            assert out.fed_at_error == _boundary_at_or_after(chunks, detectable)
    if expected.get("offending_frame") is not None:
        f = case["frames"][expected["offending_frame"]]
        end = f["offset"] + f["header_len"] + f["payload_len"]
        # Not before the offending frame starts; at the latest once it is complete.
        assert f["offset"] < out.fed_at_error <= _boundary_at_or_after(chunks, end)
    fail_fast = expected.get("fail_fast")
    if fail_fast:
        assert out.fed_at_error > fail_fast["must_not_fail_within_first_bytes"]
        assert out.fed_at_error <= _boundary_at_or_after(chunks, fail_fast["must_fail_by_input_bytes"])


@pytest.mark.parametrize("case, split", PARAMS)
def test_autobahn_case(case: dict[str, Any], split: str) -> None:
    chunks = _chunks(case, split)
    assert b"".join(chunks) == _input(case)
    out = _run(chunks)
    expected = case["expected"]
    if expected["result"] == "fail":
        _check_fail(case, chunks, out)
    elif expected["events"] is None:
        # 7.13.x, informational: close codes 5000 and 65535.  wsframe's documented policy
        # (1000-1003, 1007-1014, 3000-4999) rejects them as a protocol error (RFC 6455 §7.4.2
        # defines nothing above 4999), as websockets and wsproto do.
        assert out.events == []
        assert out.error is not None and out.error.code == 1002
        assert str(case["close_code"]) in str(out.error)
    else:
        _check_ok(case, out)
    if "events_before_first_pause" in expected and split == "pauses":
        first_pause = case["pauses_after_offsets"][0]
        early = [e for e, fed in zip(out.events, out.fed_at_event) if fed <= first_pause]
        assert early == expected["events_before_first_pause"]


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_autobahn_case_frame_headers(case: dict[str, Any]) -> None:
    """frames[]: the header ground truth, checked with parse_header at each frame's offset."""
    data = _input(case)
    for f in case["frames"]:
        offset, size = f["offset"], f["header_len"]
        control = f["opcode"] >= 8
        if f["opcode"] in RESERVED_OPCODES or (control and (not f["fin"] or f["payload_len"] > 125)):
            # RFC 6455 §5.2 / §5.5: visible in the header itself, whatever the role.
            with pytest.raises(ProtocolError) as info:
                parse_header(data, offset)
            assert info.value.code == 1002
            continue
        header = parse_header(data, offset)
        assert header is not None
        assert header.fin is f["fin"]
        assert (header.rsv1, header.rsv2, header.rsv3) == (
            f["rsv_bits"]["rsv1"],
            f["rsv_bits"]["rsv2"],
            f["rsv_bits"]["rsv3"],
        )
        assert (header.rsv1 << 2 | header.rsv2 << 1 | header.rsv3) == f["rsv"]
        assert header.opcode == f["opcode"]
        assert header.masked is f["masked"]
        assert header.mask == (bytes.fromhex(case["mask"]) if f["masked"] else None)
        assert header.length == f["payload_len"]
        assert header.header_size == size
        # The header alone suffices; one byte less does not.
        assert parse_header(data[: offset + size], offset) == header
        assert parse_header(data[: offset + size - 1], offset) is None
