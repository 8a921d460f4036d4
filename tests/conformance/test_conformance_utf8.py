"""Conformance: Autobahn's UTF-8 cases (6.x) and Markus Kuhn's UTF-8-test.txt.

Data: ``tests/data/autobahn_cases.json`` (cases of kind "utf8") and
``tests/data/kuhn_utf8_sequences.json`` (the test sequences of Kuhn's file), both
extracted by ``tools/extract_conformance.py``; format in ``tests/data/README.md``.

Positions.  The data's ``fail_index`` is the byte *after which* no
continuation can make the input valid: the byte whose arrival must make a
fail-fast validator raise.  ``InvalidUTF8.position`` is something else: the
start of the ill-formed sequence, i.e. CPython's ``UnicodeDecodeError.start``.
So for every invalid case: feeding ``input[:fail_index]`` must not raise,
feeding ``input[:fail_index + 1]`` must, and ``.position`` must equal CPython's
start.  ``truncated_at_end`` cases are invalid only because they stop inside a
code point: nothing raises before ``finish()``.

The framed (wire) form of these cases belongs to the frames conformance tests.
"""

from __future__ import annotations

from typing import Any

import pytest

from _support import (
    autobahn_cases,
    cpython_utf8_start,
    kuhn_items,
    load_autobahn,
    load_kuhn,
    utf8_fail_index,
)
from wsframe.mask import apply_mask
from wsframe.utf8 import InvalidUTF8, Utf8Validator, find_invalid, is_valid

UTF8_CASES = autobahn_cases("utf8")
CASE_IDS = [case["id"] for case in UTF8_CASES]
INVALID_CASES = [c for c in UTF8_CASES if c["expected"] == "invalid"]
FAIL_FAST_CASES = [c for c in INVALID_CASES if not c.get("truncated_at_end")]
TRUNCATED_CASES = [c for c in INVALID_CASES if c.get("truncated_at_end")]
CHUNKED_CASES = [c for c in UTF8_CASES if "chunks" in c]
FRAMED_CASES = [c for c in UTF8_CASES if "framed_input" in c]

pytestmark = [
    pytest.mark.conformance,
    pytest.mark.skipif(
        load_autobahn() is None,
        reason="tests/data/autobahn_cases.json not found",
    ),
]


def _data(case: dict[str, Any]) -> bytes:
    return bytes.fromhex(case["input"])


def _validator_outcome(chunks: list[bytes]) -> tuple[int | None, int | None]:
    """Feed *chunks*; return (index of the chunk that raised, position) or Nones."""
    v = Utf8Validator()
    for i, chunk in enumerate(chunks):
        try:
            v.feed(chunk)
        except InvalidUTF8 as exc:
            return i, exc.position
    return None, None


# ---------------------------------------------------------------------------
# The data set itself.
# ---------------------------------------------------------------------------


def test_autobahn_utf8_data_complete(autobahn_data: dict[str, Any]) -> None:
    # Guard against silently testing nothing (truncated or mislocated data).
    counts = autobahn_data["counts"]
    assert sum(c["expected"] == "valid" for c in UTF8_CASES) == counts["utf8:valid"]
    assert sum(c["expected"] == "invalid" for c in UTF8_CASES) == counts["utf8:invalid"]
    assert len(FAIL_FAST_CASES) > 50 and TRUNCATED_CASES and CHUNKED_CASES


@pytest.mark.parametrize("case", INVALID_CASES, ids=[c["id"] for c in INVALID_CASES])
def test_autobahn_fail_index_matches_cpython_oracle(case: dict[str, Any]) -> None:
    # The data's fail_index and our CPython-derived oracle agree, so the
    # generative and hypothesis tests below use the same notion of "fail fast".
    assert utf8_fail_index(_data(case)) == case.get("fail_index")
    if case.get("autobahn_states_fail_index") is not None:
        assert case["autobahn_states_fail_index"] == case["fail_index"]


# ---------------------------------------------------------------------------
# One-shot: is_valid / find_invalid.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", UTF8_CASES, ids=CASE_IDS)
def test_autobahn_6_utf8_validity(case: dict[str, Any]) -> None:
    # RFC 6455 §8.1 via RFC 3629: noncharacters valid; surrogates, overlongs,
    # > U+10FFFF and 5/6-byte forms invalid; prefixes valid only when whole.
    data = _data(case)
    assert len(data) == case["input_len"]
    valid = case["expected"] == "valid"
    assert is_valid(data) is valid
    assert find_invalid(data) == cpython_utf8_start(data)
    assert (find_invalid(data) == -1) is valid


# ---------------------------------------------------------------------------
# Incremental: fail fast at fail_index, position = start of the sequence.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", FAIL_FAST_CASES, ids=[c["id"] for c in FAIL_FAST_CASES])
def test_autobahn_6_utf8_validator_fails_fast_at_fail_index(case: dict[str, Any]) -> None:
    data = _data(case)
    fail = case["fail_index"]
    start = cpython_utf8_start(data)

    v = Utf8Validator()
    v.feed(data[:fail])  # still a viable prefix
    with pytest.raises(InvalidUTF8) as info:
        v.feed(data[fail : fail + 1])
    assert info.value.position == start
    assert info.value.code == 1007

    # One shot over the whole input: same position.
    with pytest.raises(InvalidUTF8) as whole:
        Utf8Validator().feed(data)
    assert whole.value.position == start

    # One byte at a time: raises exactly when byte `fail` arrives.
    per_byte = [data[i : i + 1] for i in range(len(data))]
    assert _validator_outcome(per_byte) == (fail, start)


@pytest.mark.parametrize("case", TRUNCATED_CASES, ids=[c["id"] for c in TRUNCATED_CASES])
def test_autobahn_6_6_truncated_raises_only_at_finish(case: dict[str, Any]) -> None:
    data = _data(case)
    assert case.get("fail_index") is None
    start = cpython_utf8_start(data)

    per_byte = [data[i : i + 1] for i in range(len(data))]
    assert _validator_outcome(per_byte) == (None, None)

    v = Utf8Validator()
    v.feed(data)
    assert v.ends_on_codepoint is False
    with pytest.raises(InvalidUTF8) as info:
        v.finish()
    assert info.value.position == start


@pytest.mark.parametrize(
    "case",
    [c for c in UTF8_CASES if c["expected"] == "valid"],
    ids=[c["id"] for c in UTF8_CASES if c["expected"] == "valid"],
)
def test_autobahn_6_utf8_valid_streams_any_split(case: dict[str, Any]) -> None:
    data = _data(case)
    for size in (1, 2, 3, 5, len(data) or 1):
        v = Utf8Validator()
        for i in range(0, len(data), size):
            v.feed(data[i : i + size])
        assert v.ends_on_codepoint
        v.finish()


@pytest.mark.parametrize("case", CHUNKED_CASES, ids=[c["id"] for c in CHUNKED_CASES])
def test_autobahn_6_utf8_incremental_self_test(case: dict[str, Any]) -> None:
    # case6_x_x.py test_utf8_incremental: one validator, chunks without reset.
    v = Utf8Validator()
    start = cpython_utf8_start(_data(case))
    for chunk_hex, expect in zip(case["chunks"], case["per_chunk_expected"]):
        chunk = bytes.fromhex(chunk_hex)
        if expect["valid"]:
            v.feed(chunk)
            assert v.ends_on_codepoint is expect["ends_on_codepoint"]
        else:
            with pytest.raises(InvalidUTF8) as info:
                v.feed(chunk)
            # Autobahn reports the failing byte (total_index); we report the
            # start of the ill-formed sequence, which precedes or equals it.
            assert info.value.position == start
            assert start <= expect["total_index"] == case["fail_index"]
            break
    else:
        assert case["expected"] == "valid"
        v.finish()


@pytest.mark.parametrize("case", FRAMED_CASES, ids=[c["id"] for c in FRAMED_CASES])
def test_autobahn_utf8_framed_input_unmasks_to_payload(case: dict[str, Any]) -> None:
    # RFC 6455 §5.2/§5.3: the wire form is one masked FIN text frame whose
    # unmasked payload is the case's input (checks masking on real data).
    wire = bytes.fromhex(case["framed_input"])
    assert wire[0] == 0x81 and wire[1] & 0x80
    length = wire[1] & 0x7F
    pos = 2
    if length == 126:
        length, pos = int.from_bytes(wire[2:4], "big"), 4
    elif length == 127:
        length, pos = int.from_bytes(wire[2:10], "big"), 10
    key, payload = wire[pos : pos + 4], wire[pos + 4 :]
    assert len(payload) == length
    assert apply_mask(payload, key) == _data(case)


# ---------------------------------------------------------------------------
# Autobahn's generative checks (case6_x_x.py test_utf8, listed in conventions).
# ---------------------------------------------------------------------------


def test_autobahn_every_bmp_code_point_except_surrogates_is_valid() -> None:
    # "every code point 0x0000..0xFFFE except 0xD800..0xDFFF, UTF-8 encoded, is valid"
    code_points = [cp for cp in range(0x10000 - 1) if not 0xD800 <= cp <= 0xDFFF]
    for cp in code_points:
        enc = chr(cp).encode("utf-8")
        assert find_invalid(enc) == -1, hex(cp)
    whole = "".join(map(chr, code_points)).encode("utf-8")
    assert is_valid(whole)
    v = Utf8Validator()
    for i in range(0, len(whole), 7):  # splits land inside code points
        v.feed(whole[i : i + 7])
    v.finish()


def test_supplementary_planes_are_valid() -> None:
    # Not an Autobahn check, its natural extension: 4-byte forms up to U+10FFFF.
    cps = sorted({*range(0x10000, 0x110000, 0x101), 0x10000, 0x1FFFF, 0x10FFFE, 0x10FFFF})
    whole = "".join(map(chr, cps)).encode("utf-8")
    assert is_valid(whole)
    assert find_invalid(whole) == -1


def _surrogate(cp: int) -> bytes:
    return chr(cp).encode("utf-8", "surrogatepass")


def test_autobahn_lone_surrogates_are_invalid() -> None:
    # "each lone surrogate 0xD800..0xDBFE and 0xDC00..0xDFFE encoded as 3 bytes
    # (ED A0 80 ...) is invalid" -- we check the full range D800..DFFF.
    for cp in range(0xD800, 0xE000):
        enc = _surrogate(cp)
        assert find_invalid(enc) == 0, hex(cp)
        assert not is_valid(enc)
        v = Utf8Validator()
        v.feed(enc[:1])  # ED alone is still viable (U+D000..U+D7FF)
        with pytest.raises(InvalidUTF8) as info:
            v.feed(enc[1:2])  # the second byte A0..BF makes it a surrogate
        assert info.value.position == 0


def test_autobahn_surrogate_pairs_are_invalid() -> None:
    # "each high+low and low+high surrogate pair (both 3-byte encoded, 6 bytes)
    # is invalid".  All 1024 x 1024 pairs in both orders would be 2M checks;
    # every surrogate is paired with 17 partners spread over the other range
    # (both ends included), which exercises every first and second half.
    highs = range(0xD800, 0xDC00)
    lows = range(0xDC00, 0xE000)
    partners_low = [*lows[::64], lows[-1]]
    partners_high = [*highs[::64], highs[-1]]
    pairs = [(h, lo) for h in highs for lo in partners_low]
    pairs += [(lo, h) for lo in lows for h in partners_high]
    for first, second in pairs:
        enc = _surrogate(first) + _surrogate(second)
        assert find_invalid(enc) == 0, (hex(first), hex(second))
        assert not is_valid(enc)


# ---------------------------------------------------------------------------
# Markus Kuhn's UTF-8 decoder capability and stress test.
# ---------------------------------------------------------------------------

# The test sequences of the file (tests/data/kuhn_utf8_sequences.json: the bytes between each
# item's quotation marks, without the file's commentary; see tests/data/README.md).
_KUHN = kuhn_items()


def test_kuhn_data_complete() -> None:
    if load_kuhn() is None:
        pytest.skip("tests/data/kuhn_utf8_sequences.json not found")
    ids = [item["id"] for item in _KUHN]
    # Every numbered item of sections 2-5 plus section 1's sample and 3.4's concatenation.
    assert len(ids) == len(set(ids)) == 81
    assert {"1", "2.1.1", "3.1.9", "3.2.1", "3.4", "5.2.8", "5.3.4"} <= set(ids)
    assert sum(item["valid"] for item in _KUHN) == 17


@pytest.mark.parametrize("item", _KUHN, ids=[item["id"] for item in _KUHN])
def test_kuhn_utf8_test_item(item: dict[str, Any]) -> None:
    data = bytes.fromhex(item["input"])
    expected = cpython_utf8_start(data)
    # The recorded outcome and CPython's strict decoder agree, and so does wsframe.
    assert item["invalid_at"] == expected
    assert item["valid"] is (expected == -1)
    assert find_invalid(data) == expected
    assert is_valid(data) is (expected == -1)
    fail = utf8_fail_index(data)
    assert item["fail_index"] == fail
    assert item["truncated_at_end"] is (expected >= 0 and fail is None)
    outcome = _validator_outcome([data[i : i + 1] for i in range(len(data))])
    if fail is not None:
        assert outcome == (fail, expected)
    else:
        assert outcome == (None, None)
    if item["truncated_at_end"]:
        v = Utf8Validator()
        v.feed(data)
        with pytest.raises(InvalidUTF8) as info:
            v.finish()
        assert info.value.position == expected


def test_kuhn_utf8_sequences_as_one_stream() -> None:
    # All sequences in file order, one per line, as the file presents them: the first
    # ill-formed one decides the position, whole or fed line by line.
    if not _KUHN:
        pytest.skip("tests/data/kuhn_utf8_sequences.json not found")
    lines = [bytes.fromhex(item["input"]) for item in _KUHN]
    data = b"\n".join(lines)
    expected = cpython_utf8_start(data)
    assert expected > 0  # the file is deliberately ill-formed in places
    assert find_invalid(data) == expected
    assert not is_valid(data)
    chunks = [line + b"\n" for line in lines[:-1]] + [lines[-1]]
    _, position = _validator_outcome(chunks)
    assert position == expected
    # The valid sequences, concatenated, form a valid stream.
    good = b"\n".join(line for line in lines if cpython_utf8_start(line) == -1)
    assert is_valid(good)
    assert find_invalid(good) == -1
