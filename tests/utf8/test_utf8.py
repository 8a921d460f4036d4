"""Tests for :mod:`wsframe.utf8` (RFC 3629; Unicode Standard Table 3-7).

The oracle is CPython's strict UTF-8 decoder: ``find_invalid`` must equal its
``UnicodeDecodeError.start``, and a prefix is "still viable" exactly when the
decoder's only complaint is "unexpected end of data" (see ``_support``).
"""

from __future__ import annotations

import random
from array import array
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import wsframe
import wsframe.errors
from _support import (
    BUFFER_KINDS,
    IMPLEMENTATIONS,
    cpython_utf8_start,
    implementation_fixture,
    utf8_fail_index,
    utf8_prefix_viable,
)
from wsframe.utf8 import InvalidUTF8, Utf8Validator, find_invalid, is_valid

# The names above are rebound to each implementation in turn: every test of this
# module runs against wsframe._reference.utf8 [python] and the compiled
# wsframe._speedups._utf8 [c] (see _support.implementation_fixture).
implementation = implementation_fixture("utf8")


def test_the_names_under_test_are_the_implementations(implementation: ModuleType) -> None:
    # Guards the fixture itself: a test here that silently checked the public module
    # (one backend per process) instead of each implementation would pass twice.
    assert implementation.__name__ in IMPLEMENTATIONS["utf8"]
    assert find_invalid is implementation.find_invalid
    assert is_valid is implementation.is_valid
    assert Utf8Validator is implementation.Utf8Validator


# ---------------------------------------------------------------------------
# Unicode Table 3-7: well-formed byte sequences, boundary by boundary.
# ---------------------------------------------------------------------------

WELL_FORMED = [
    # (description, bytes)
    ("empty", b""),
    ("U+0000", b"\x00"),
    ("U+007F", b"\x7f"),
    ("U+0080 (C2 80)", b"\xc2\x80"),
    ("U+07FF (DF BF)", b"\xdf\xbf"),
    ("U+0800 (E0 A0 80)", b"\xe0\xa0\x80"),
    ("U+0FFF (E0 BF BF)", b"\xe0\xbf\xbf"),
    ("U+1000 (E1 80 80)", b"\xe1\x80\x80"),
    ("U+CFFF (EC BF BF)", b"\xec\xbf\xbf"),
    ("U+D000 (ED 80 80)", b"\xed\x80\x80"),
    ("U+D7FF (ED 9F BF)", b"\xed\x9f\xbf"),
    ("U+E000 (EE 80 80)", b"\xee\x80\x80"),
    ("U+FFFD", "\ufffd".encode()),
    ("U+FFFE noncharacter", b"\xef\xbf\xbe"),
    ("U+FFFF noncharacter", b"\xef\xbf\xbf"),
    ("U+FDD0 noncharacter", b"\xef\xb7\x90"),
    ("U+10000 (F0 90 80 80)", b"\xf0\x90\x80\x80"),
    ("U+3FFFF (F0 BF BF BF)", b"\xf0\xbf\xbf\xbf"),
    ("U+40000 (F1 80 80 80)", b"\xf1\x80\x80\x80"),
    ("U+FFFFF (F3 BF BF BF)", b"\xf3\xbf\xbf\xbf"),
    ("U+100000 (F4 80 80 80)", b"\xf4\x80\x80\x80"),
    ("U+10FFFF (F4 8F BF BF)", b"\xf4\x8f\xbf\xbf"),
    ("mixed", "κόσμε 𝄞 € a".encode()),
]

ILL_FORMED = [
    # (description, bytes, first ill-formed offset, fail-fast index)
    ("lone continuation 80", b"\x80", 0, 0),
    ("lone continuation BF", b"a\xbf", 1, 1),
    ("C0 never valid", b"\xc0\x80", 0, 0),
    ("C1 never valid", b"\xc1\xbf", 0, 0),
    ("F5 never valid", b"\xf5\x80\x80\x80", 0, 0),
    ("FF never valid", b"\xff", 0, 0),
    ("FE never valid", b"ab\xfe", 2, 2),
    ("overlong 3-byte E0 80..9F", b"\xe0\x9f\xbf", 0, 1),
    ("surrogate ED A0..BF", b"\xed\xa0\x80", 0, 1),
    ("surrogate ED BF BF", b"\xed\xbf\xbf", 0, 1),
    ("overlong 4-byte F0 80..8F", b"\xf0\x8f\xbf\xbf", 0, 1),
    ("beyond U+10FFFF F4 90", b"\xf4\x90\x80\x80", 0, 1),
    ("2-byte missing continuation", b"\xc2A", 0, 1),
    ("3-byte bad third byte", b"\xe1\x80A", 0, 2),
    ("4-byte bad fourth byte", b"\xf1\x80\x80A", 0, 3),
    ("4-byte bad third byte", b"x\xf1\x80\xc0", 1, 3),
    ("5-byte form", b"\xf8\x88\x80\x80\x80", 0, 0),
    ("6-byte form", b"\xfc\x84\x80\x80\x80\x80", 0, 0),
]

TRUNCATED = [
    # (description, bytes, start of the unfinished sequence)
    ("C2 at end", b"abc\xc2", 3),
    ("E1 80 at end", b"\xe1\x80", 0),
    ("F0 90 80 at end", b"x\xf0\x90\x80", 1),
    ("F4 8F at end", b"\xf4\x8f", 0),
]


@pytest.mark.parametrize("data", [d for _, d in WELL_FORMED], ids=[n for n, _ in WELL_FORMED])
def test_rfc3629_table_3_7_well_formed(data: bytes) -> None:
    assert is_valid(data) is True
    assert find_invalid(data) == -1
    v = Utf8Validator()
    v.feed(data)
    assert v.ends_on_codepoint
    v.finish()


@pytest.mark.parametrize("data,start,fail", [c[1:] for c in ILL_FORMED], ids=[c[0] for c in ILL_FORMED])
def test_rfc3629_table_3_7_ill_formed(data: bytes, start: int, fail: int) -> None:
    # Sanity of the table itself against CPython.
    assert cpython_utf8_start(data) == start
    assert utf8_fail_index(data) == fail
    assert is_valid(data) is False
    assert find_invalid(data) == start
    v = Utf8Validator()
    v.feed(data[:fail])  # still a viable prefix: must not raise
    with pytest.raises(InvalidUTF8) as info:
        v.feed(data[fail : fail + 1])
    assert info.value.position == start
    assert info.value.code == 1007


@pytest.mark.parametrize("data,start", [c[1:] for c in TRUNCATED], ids=[c[0] for c in TRUNCATED])
def test_rfc3629_truncated_sequence_at_end_is_ill_formed(data: bytes, start: int) -> None:
    # DESIGN: "A truncated sequence at the end counts as ill-formed."
    assert cpython_utf8_start(data) == start
    assert is_valid(data) is False
    assert find_invalid(data) == start
    v = Utf8Validator()
    v.feed(data)  # not (yet) wrong: more bytes could complete it
    assert v.ends_on_codepoint is False
    with pytest.raises(InvalidUTF8) as info:
        v.finish()
    assert info.value.position == start


def test_rfc3629_surrogates_are_ill_formed() -> None:
    # RFC 3629 §3: the surrogates U+D800..U+DFFF must not be encoded.
    for cp in range(0xD800, 0xE000):
        data = b"ok" + bytes([0xED, 0x80 | ((cp >> 6) & 0x3F), 0x80 | (cp & 0x3F)])
        assert find_invalid(data) == 2, hex(cp)
        assert not is_valid(data)


@pytest.mark.parametrize("lead", list(range(0x80, 0x100)))
def test_every_lead_and_second_byte_matches_cpython(lead: int) -> None:
    # Exhaustive over all 2-byte sequences starting with a non-ASCII byte, each
    # followed by continuations, so the second byte's range (Table 3-7) decides.
    for second in range(256):
        for tail in (b"", b"\x80", b"\x80\x80", b"\xbf\xbfA"):
            data = bytes([lead, second]) + tail
            expected = cpython_utf8_start(data)
            assert find_invalid(data) == expected, data.hex()
            assert is_valid(data) is (expected == -1), data.hex()


def test_all_single_bytes_match_cpython() -> None:
    for b in range(256):
        data = bytes([b])
        assert find_invalid(data) == cpython_utf8_start(data), hex(b)


@pytest.mark.parametrize("lead", [0xE0, 0xE1, 0xEC, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF3, 0xF4])
def test_third_and_fourth_byte_ranges_match_cpython(lead: int) -> None:
    edge = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xF0, 0xFF]
    for second in edge:
        for third in edge:
            for fourth in edge:
                data = bytes([lead, second, third, fourth])
                assert find_invalid(data) == cpython_utf8_start(data), data.hex()


# ---------------------------------------------------------------------------
# Positions inside larger buffers: ASCII fast paths and block boundaries.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [b"\xff", b"\x80", b"\xc0\xaf", b"\xed\xa0\x80", b"\xe2\x82"])
def test_error_position_at_every_offset_of_ascii_run(bad: bytes) -> None:
    # Wide (word/SIMD) ASCII scans must still report the exact byte offset.
    for pos in range(0, 140):
        for trail in (0, 1, 7, 64):
            data = b"a" * pos + bad + b"b" * trail
            expected = cpython_utf8_start(data)
            assert expected == pos
            assert find_invalid(data) == pos, (pos, trail)
            assert not is_valid(data)


@pytest.mark.parametrize("char", ["é", "€", "𝄞"])
def test_multibyte_char_straddling_every_block_boundary(char: str) -> None:
    enc = char.encode()
    for pos in range(0, 135):
        data = b"a" * pos + enc + b"z" * 40
        assert find_invalid(data) == -1, pos
        # Truncate the character at the very end of the buffer.
        cut = b"a" * pos + enc[:-1]
        assert find_invalid(cut) == pos, pos
        # Corrupt its last byte.
        bad = b"a" * pos + enc[:-1] + b"A" + b"z" * 40
        assert find_invalid(bad) == pos, pos


def test_large_input_error_near_end() -> None:
    text = ("wsframe κόσμε € 𝄞 " * 40000).encode()
    assert len(text) > 1_000_000
    assert find_invalid(text) == -1
    assert is_valid(text)
    bad = text + b"\xc3\x28"
    assert find_invalid(bad) == len(text)
    v = Utf8Validator()
    v.feed(text)
    with pytest.raises(InvalidUTF8) as info:
        v.feed(b"\xc3\x28")
    assert info.value.position == len(text)


def test_large_ascii_input() -> None:
    data = bytes(random.Random(1).choices(range(128), k=(1 << 20) + 3))
    assert is_valid(data)
    assert find_invalid(data + b"\x80") == len(data)


# ---------------------------------------------------------------------------
# Buffers.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(BUFFER_KINDS))
def test_utf8_accepts_any_buffer_as_raw_bytes(kind: str) -> None:
    factory, fits = BUFFER_KINDS[kind]
    good = "héllo wörld €€€ 𝄞!!!!".encode()  # 32 bytes: fits every item size
    assert fits(len(good))
    assert is_valid(factory(good)) is True
    assert find_invalid(factory(good)) == -1
    bad = good[:8] + b"\xff" + good[9:]
    assert find_invalid(factory(bad)) == cpython_utf8_start(bad) == 8
    assert is_valid(factory(bad)) is False
    v = Utf8Validator()
    v.feed(factory(good))
    v.finish()


def test_array_of_words_is_read_as_raw_bytes() -> None:
    # array('I') of one item whose bytes are ill-formed: the validator must
    # look at the 4 raw bytes, not at the item value.
    arr = array("I")
    arr.frombytes(b"ab\xffd" * 2)
    assert find_invalid(arr) == 2


def test_sliced_memoryview_respects_view_bounds() -> None:
    backing = b"\xff" + "€uro".encode() + b"\xe2"
    view = memoryview(backing)[1:-1]
    assert is_valid(view)
    assert find_invalid(view) == -1
    assert find_invalid(memoryview(backing)[1:]) == len(backing) - 2


@pytest.mark.parametrize("start", [0, 1, 5, 16])
def test_validation_never_reads_outside_the_view(start: int) -> None:
    # Bytes just outside the view would change the answer if they were read:
    # ill-formed bytes after valid content, a continuation after a lone lead.
    for length in range(0, 100):
        body = b"a" * length
        backing = b"\xff" * start + body + b"\xff" * 64
        view = memoryview(backing)[start : start + length]
        assert find_invalid(view) == -1, length
        assert is_valid(view), length
        v = Utf8Validator()
        v.feed(view)
        v.finish()
        if length:
            lead = b"a" * (length - 1) + b"\xe2"
            backing = b"\x80" * start + lead + b"\x82\xac" + b"a" * 64
            view = memoryview(backing)[start : start + length]
            assert find_invalid(view) == length - 1, length


@pytest.mark.parametrize("bad", ["text", 5, None, [0x41]])
def test_non_buffer_input_is_type_error(bad: Any) -> None:
    with pytest.raises(TypeError):
        is_valid(bad)
    with pytest.raises(TypeError):
        find_invalid(bad)
    with pytest.raises(TypeError):
        Utf8Validator().feed(bad)


def test_non_contiguous_buffer() -> None:
    # Pinned to the reference: refused with a ValueError naming "contiguous".
    view = memoryview(b"a\xffb\xffc")[::2]
    assert not view.contiguous
    for call in (is_valid, find_invalid, Utf8Validator().feed):
        with pytest.raises(ValueError) as info:
            call(view)
        assert "contiguous" in str(info.value)


# ---------------------------------------------------------------------------
# Hypothesis: agreement with CPython's strict decoder.
# ---------------------------------------------------------------------------


@given(st.binary(max_size=200))
def test_find_invalid_equals_cpython_on_arbitrary_bytes(data: bytes) -> None:
    expected = cpython_utf8_start(data)
    assert find_invalid(data) == expected
    assert is_valid(data) is (expected == -1)


@st.composite
def mutated_text(draw: st.DrawFn) -> bytes:
    """Valid UTF-8 text with a few bytes flipped, inserted or deleted."""
    text = draw(st.text(max_size=60)).encode("utf-8", "surrogatepass")
    data = bytearray(text)
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        op = draw(st.sampled_from(["flip", "insert", "delete"]))
        if op == "insert" or not data:
            pos = draw(st.integers(min_value=0, max_value=len(data)))
            data.insert(pos, draw(st.integers(min_value=0, max_value=255)))
        elif op == "flip":
            pos = draw(st.integers(min_value=0, max_value=len(data) - 1))
            data[pos] ^= 1 << draw(st.integers(min_value=0, max_value=7))
        else:
            pos = draw(st.integers(min_value=0, max_value=len(data) - 1))
            del data[pos]
    return bytes(data)


@given(mutated_text())
def test_find_invalid_equals_cpython_on_mutated_valid_text(data: bytes) -> None:
    expected = cpython_utf8_start(data)
    assert find_invalid(data) == expected
    assert is_valid(data) is (expected == -1)


@given(st.text(st.characters(exclude_categories=["Cs"]), max_size=200))
def test_valid_text_is_valid(text: str) -> None:
    # Any string without surrogates (Cs) encodes to well-formed UTF-8.
    data = text.encode("utf-8")
    assert is_valid(data)
    assert find_invalid(data) == -1
    v = Utf8Validator()
    v.feed(data)
    assert v.ends_on_codepoint
    v.finish()


def _split(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({min(c, len(data)) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)])]


@given(
    data=st.one_of(st.binary(max_size=120), mutated_text()),
    cuts=st.lists(st.integers(min_value=0, max_value=120), max_size=10),
)
def test_validator_any_split_fails_at_same_position_and_fails_fast(data: bytes, cuts: list[int]) -> None:
    start = cpython_utf8_start(data)
    fail = utf8_fail_index(data)
    v = Utf8Validator()
    consumed = 0
    raised: InvalidUTF8 | None = None
    for chunk in _split(data, cuts):
        try:
            v.feed(chunk)
        except InvalidUTF8 as exc:
            raised = exc
            # Fail fast: the chunk that raised is the one delivering byte `fail`.
            assert fail is not None, "raised although every prefix is viable"
            assert consumed <= fail < consumed + len(chunk)
            break
        consumed += len(chunk)
        # Not before the fail byte arrived.
        assert fail is None or consumed <= fail
    if fail is None:
        assert raised is None
        if start == -1:
            assert v.ends_on_codepoint
            v.finish()
        else:  # only truncated at the end
            assert not v.ends_on_codepoint
            with pytest.raises(InvalidUTF8) as info:
                v.finish()
            assert info.value.position == start
    else:
        assert raised is not None
        assert raised.position == start


@given(data=st.binary(max_size=60))
def test_validator_byte_at_a_time_equals_one_shot(data: bytes) -> None:
    def run(chunks: list[bytes]) -> tuple[int | None, int | None]:
        v = Utf8Validator()
        for i, c in enumerate(chunks):
            try:
                v.feed(c)
            except InvalidUTF8 as exc:
                return i, exc.position
        try:
            v.finish()
        except InvalidUTF8 as exc:
            return None, exc.position
        return None, None

    one_shot = run([data])
    per_byte = run([data[i : i + 1] for i in range(len(data))])
    assert one_shot[1] == per_byte[1]
    if per_byte[0] is not None:
        assert per_byte[0] == utf8_fail_index(data)


def test_prefix_oracle_agrees_with_table_3_7() -> None:
    # The fail-fast oracle itself: ED A0 is not viable (surrogate) although
    # CPython's *incremental* decoder would hold it back; E1 80 is viable.
    assert not utf8_prefix_viable(b"\xed\xa0")
    assert not utf8_prefix_viable(b"\xf4\x90")
    assert not utf8_prefix_viable(b"\xe0\x80")
    assert utf8_prefix_viable(b"\xe1\x80")
    assert utf8_prefix_viable(b"\xf0\x90\x80")


# ---------------------------------------------------------------------------
# Utf8Validator state machine.
# ---------------------------------------------------------------------------


def test_validator_fails_fast_mid_sequence() -> None:
    # DESIGN: stricter than CPython's incremental decoder, which holds back
    # ED A0 although no continuation can make it valid.
    v = Utf8Validator()
    v.feed(b"edited")
    v.feed(b"\xed")
    with pytest.raises(InvalidUTF8) as info:
        v.feed(b"\xa0")
    assert info.value.position == 6


def test_validator_positions_are_absolute_across_chunks() -> None:
    v = Utf8Validator()
    v.feed(b"0123456789")
    v.feed("é".encode())
    with pytest.raises(InvalidUTF8) as info:
        v.feed(b"ab\x80")
    assert info.value.position == 14


def test_validator_initial_state() -> None:
    v = Utf8Validator()
    assert v.ends_on_codepoint is True
    v.finish()  # an empty stream is valid


def test_validator_ends_on_codepoint_tracks_sequences() -> None:
    v = Utf8Validator()
    seen = []
    for b in "a€𝄞".encode():
        v.feed(bytes([b]))
        seen.append(v.ends_on_codepoint)
    assert seen == [True, False, False, True, False, False, False, True]


def test_validator_empty_feed_is_no_op() -> None:
    v = Utf8Validator()
    v.feed(b"\xe2")
    v.feed(b"")
    assert not v.ends_on_codepoint
    v.feed(b"\x82\xac")
    assert v.ends_on_codepoint


def test_validator_finish_mid_sequence_reports_sequence_start() -> None:
    v = Utf8Validator()
    v.feed(b"abc\xf0\x9d")
    with pytest.raises(InvalidUTF8) as info:
        v.finish()
    assert info.value.position == 3
    assert info.value.code == 1007


def test_validator_finish_is_repeatable_when_valid() -> None:
    v = Utf8Validator()
    v.feed(b"abc")
    v.finish()
    v.finish()


def test_validator_error_keeps_raising_until_reset() -> None:
    # Once the stream is known to be invalid, every later feed()/finish()
    # raises the same error: the stream cannot become valid again.
    v = Utf8Validator()
    v.feed(b"ab")
    with pytest.raises(InvalidUTF8) as first:
        v.feed(b"\xff")
    with pytest.raises(InvalidUTF8) as again:
        v.feed(b"cd")
    assert again.value.position == first.value.position == 2
    with pytest.raises(InvalidUTF8) as fin:
        v.finish()
    assert fin.value.position == 2
    assert v.ends_on_codepoint is False


def test_validator_reset_after_error_restarts_positions_at_zero() -> None:
    v = Utf8Validator()
    v.feed(b"abcdef")
    with pytest.raises(InvalidUTF8):
        v.feed(b"\xc0")
    v.reset()
    assert v.ends_on_codepoint
    v.feed(b"ok")
    with pytest.raises(InvalidUTF8) as info:
        v.feed(b"\x80")
    assert info.value.position == 2


def test_validator_reset_mid_sequence() -> None:
    v = Utf8Validator()
    v.feed(b"xyz\xe2\x82")
    v.reset()
    assert v.ends_on_codepoint
    with pytest.raises(InvalidUTF8) as info:
        v.feed(b"\xac")  # a continuation byte is not a start after reset
    assert info.value.position == 0


def test_validator_error_message_says_what_and_where() -> None:
    v = Utf8Validator()
    with pytest.raises(InvalidUTF8) as info:
        v.feed(b"hello \xff")
    message = str(info.value)
    assert "UTF-8" in message
    assert "at byte 6" in message
    v.reset()
    v.feed(b"abc\xe2\x82")
    with pytest.raises(InvalidUTF8) as info:
        v.finish()
    assert "truncated" in str(info.value) and "at byte 3" in str(info.value)


def test_invalid_utf8_is_a_protocol_error_with_code_1007() -> None:
    # RFC 6455 §7.4.1 / §8.1: invalid UTF-8 in a text message -> close 1007.
    assert InvalidUTF8 is wsframe.errors.InvalidUTF8 is wsframe.InvalidUTF8
    with pytest.raises(wsframe.errors.ProtocolError) as info:
        Utf8Validator().feed(b"\xfe")
    assert isinstance(info.value, ValueError)
    assert info.value.code == 1007


def test_validators_are_independent() -> None:
    a, b = Utf8Validator(), Utf8Validator()
    a.feed(b"\xe2\x82")
    b.feed(b"x")
    assert not a.ends_on_codepoint
    assert b.ends_on_codepoint
    with pytest.raises(InvalidUTF8):
        b.feed(b"\xac")
    a.feed(b"\xac")
    assert a.ends_on_codepoint


def test_validator_offset_counts_bytes_accepted() -> None:
    v = Utf8Validator()
    assert v.offset == 0
    v.feed(b"abc")
    v.feed("€".encode()[:2])
    assert v.offset == 5
    arr = array("I")
    arr.frombytes(b"\xac" + b"xyz")
    v.feed(arr)
    assert v.offset == 9  # raw bytes, not items
    v.reset()
    assert v.offset == 0


def test_concurrent_validation_from_threads() -> None:
    # Kernels may release the GIL on large inputs: each thread's answer must
    # depend on its own input only.
    from concurrent.futures import ThreadPoolExecutor

    base = ("κόσμε € 𝄞 ascii " * 5000).encode()  # ~130 KB
    inputs = [base[: len(base) - i] + (b"\xff" if i % 2 else b"") for i in range(8)]

    def work(data: bytes) -> bool:
        v = Utf8Validator()
        try:
            v.feed(data)
            v.finish()
            streamed = -1
        except InvalidUTF8 as exc:
            streamed = exc.position
        return find_invalid(data) == cpython_utf8_start(data) == streamed

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(work, inputs))
