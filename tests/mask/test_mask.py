"""Tests for :mod:`wsframe.mask` (RFC 6455 §5.3, client-to-server masking).

Every expected value comes from ``_support.xor_mask_reference`` (plain integer
XOR) or from the RFC's own examples, never from the implementation under test.
"""

from __future__ import annotations

import os
import random
from array import array
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from _support import (
    BUFFER_KINDS,
    IMPLEMENTATIONS,
    buffer_variants,
    implementation_fixture,
    xor_mask_reference,
)
from wsframe.mask import Masker, apply_mask, apply_mask_inplace

# The names above are rebound to each implementation in turn: every test of this
# module runs against wsframe._reference.mask [python] and the compiled
# wsframe._speedups._mask [c] (see _support.implementation_fixture).
implementation = implementation_fixture("mask")


def test_the_names_under_test_are_the_implementations(implementation: ModuleType) -> None:
    # Guards the fixture itself: a test here that silently checked the public module
    # (one backend per process) instead of each implementation would pass twice.
    assert implementation.__name__ in IMPLEMENTATIONS["mask"]
    assert apply_mask is implementation.apply_mask
    assert apply_mask_inplace is implementation.apply_mask_inplace
    assert Masker is implementation.Masker


MASK = bytes.fromhex("37fa213d")  # the key of RFC 6455 §5.7's masked "Hello"

masks = st.binary(min_size=4, max_size=4)
payloads = st.binary(max_size=300)
offsets = st.integers(min_value=-(2**70), max_value=2**70)


def _rand(n: int, seed: int = 0) -> bytes:
    return random.Random(seed * 1_000_003 + n).randbytes(n)


# ---------------------------------------------------------------------------
# RFC 6455 §5.3 / §5.7: the definition and the RFC's own example.
# ---------------------------------------------------------------------------


def test_rfc6455_5_7_masked_hello_example() -> None:
    # RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d is 7f 9f 4d 51 58.
    assert apply_mask(b"Hello", MASK) == bytes.fromhex("7f9f4d5158")
    assert apply_mask(bytes.fromhex("7f9f4d5158"), MASK) == b"Hello"


def test_rfc6455_5_3_octet_i_xor_mask_i_mod_4() -> None:
    # RFC 6455 §5.3: transformed-octet-i = original-octet-i XOR masking-key-octet-(i MOD 4)
    data = bytes(range(256)) * 3
    mask = b"\x01\x80\xff\x00"
    expected = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
    assert apply_mask(data, mask) == expected


@given(data=payloads, mask=masks)
def test_rfc6455_5_3_mask_matches_definition(data: bytes, mask: bytes) -> None:
    assert apply_mask(data, mask) == xor_mask_reference(data, mask)


@given(data=payloads, mask=masks, offset=offsets)
def test_rfc6455_5_3_mask_is_involution(data: bytes, mask: bytes, offset: int) -> None:
    # RFC 6455 §5.3: "the same algorithm applies regardless of the direction".
    assert apply_mask(apply_mask(data, mask, offset), mask, offset) == data


def test_rfc6455_5_3_zero_mask_is_identity() -> None:
    data = _rand(1000)
    assert apply_mask(data, b"\x00\x00\x00\x00") == data


def test_apply_mask_empty_payload() -> None:
    assert apply_mask(b"", MASK) == b""
    assert apply_mask(b"", MASK, 3) == b""


# ---------------------------------------------------------------------------
# Offsets: the phase is offset % 4 (stateless unmasking of split payloads).
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("offset", range(8))
@pytest.mark.parametrize("length", list(range(71)))
def test_rfc6455_5_3_offset_phase_all_short_lengths(length: int, offset: int) -> None:
    data = _rand(length, offset)
    assert apply_mask(data, MASK, offset) == xor_mask_reference(data, MASK, offset)


@pytest.mark.parametrize(
    "offset",
    [
        -1,
        -2,
        -3,
        -4,
        -5,
        -7,
        2**31 - 1,
        2**31,
        2**32 + 1,
        2**63 - 1,
        2**63,
        -(2**63),
        2**64 + 2,
        -(2**64) - 1,
        10**30 + 3,
    ],
)
def test_offset_phase_is_offset_mod_4_for_negative_and_huge(offset: int) -> None:
    # DESIGN: the phase is ``offset % 4`` with Python's modulo (so -1 is phase 3);
    # offsets beyond the C integer range must not overflow or be refused.
    data = _rand(37)
    assert apply_mask(data, MASK, offset) == apply_mask(data, MASK, offset % 4)
    assert apply_mask(data, MASK, offset) == xor_mask_reference(data, MASK, offset)
    buf = bytearray(data)
    apply_mask_inplace(buf, MASK, offset)
    assert bytes(buf) == xor_mask_reference(data, MASK, offset)


@given(data=payloads, mask=masks, offset=offsets)
def test_offset_phase_property(data: bytes, mask: bytes, offset: int) -> None:
    assert apply_mask(data, mask, offset) == xor_mask_reference(data, mask, offset)


@given(data=payloads, mask=masks, cut=st.integers(min_value=0, max_value=300))
def test_rfc6455_5_3_split_payload_unmasks_statelessly(data: bytes, mask: bytes, cut: int) -> None:
    # Unmasking a payload that arrived in two chunks, passing the second chunk's
    # position as the offset, equals unmasking it in one go.
    cut = min(cut, len(data))
    joined = apply_mask(data[:cut], mask, 0) + apply_mask(data[cut:], mask, cut)
    assert joined == apply_mask(data, mask)


def test_offset_keyword_argument() -> None:
    data = _rand(9)
    assert apply_mask(data, MASK, offset=2) == xor_mask_reference(data, MASK, 2)
    buf = bytearray(data)
    apply_mask_inplace(buf, MASK, offset=2)
    assert bytes(buf) == xor_mask_reference(data, MASK, 2)


# ---------------------------------------------------------------------------
# Sizes around kernel thresholds and large inputs.
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("length", [2**16 - 1, 2**16, 2**16 + 1, 2**16 + 3])
@pytest.mark.parametrize("offset", [0, 1, 2, 3])
def test_lengths_around_2_16(length: int, offset: int) -> None:
    data = _rand(length)
    assert apply_mask(data, MASK, offset) == xor_mask_reference(data, MASK, offset)


@pytest.mark.parametrize("length", [2**20, 2**20 + 1, 2**20 + 7])
def test_large_payload(length: int) -> None:
    data = _rand(length)
    expected = xor_mask_reference(data, MASK, 1)
    assert apply_mask(data, MASK, 1) == expected
    buf = bytearray(data)
    apply_mask_inplace(buf, MASK, 1)
    assert buf == expected
    masker = Masker(MASK)
    masker.process(b"x")  # phase 1
    assert masker.process(data) == expected


# ---------------------------------------------------------------------------
# Buffers: any C-contiguous buffer, taken as its raw bytes.
# ---------------------------------------------------------------------------


_BUFFER_CASES = [
    (kind, length)
    for kind, (_, fits) in sorted(BUFFER_KINDS.items())
    for length in (0, 1, 4, 12, 33, 64, 100, 4096)
    if fits(length)
]


@pytest.mark.parametrize("kind,length", _BUFFER_CASES)
def test_apply_mask_accepts_buffer_as_raw_bytes(kind: str, length: int) -> None:
    raw = _rand(length)
    factory, _ = BUFFER_KINDS[kind]
    obj = factory(raw)
    result = apply_mask(obj, MASK, 3)
    assert type(result) is bytes
    assert result == xor_mask_reference(raw, MASK, 3)


def test_apply_mask_does_not_modify_its_input() -> None:
    raw = _rand(50)
    buf = bytearray(raw)
    apply_mask(buf, MASK)
    apply_mask(memoryview(buf), MASK)
    assert buf == raw


@pytest.mark.parametrize(
    "mask_obj",
    [
        bytearray(MASK),
        memoryview(MASK),
        memoryview(b"\x00" + MASK + b"\x00")[1:5],
        array("B", MASK),
    ],
    ids=["bytearray", "memoryview", "memoryview-sliced", "array-B"],
)
def test_mask_accepts_any_4_byte_buffer(mask_obj: Any) -> None:
    data = _rand(23)
    assert apply_mask(data, mask_obj) == xor_mask_reference(data, MASK)
    assert Masker(mask_obj).process(data) == xor_mask_reference(data, MASK)
    buf = bytearray(data)
    apply_mask_inplace(buf, mask_obj)
    assert buf == xor_mask_reference(data, MASK)


@pytest.mark.parametrize("code", ["I", "H"])
def test_mask_is_taken_as_raw_bytes_whatever_the_item_format(code: str) -> None:
    # array('I', [x]) has len() 1 but is a 4-byte buffer: it is a valid key.
    mask_arr = array(code)
    mask_arr.frombytes(MASK)
    if mask_arr.itemsize * len(mask_arr) != 4:
        pytest.skip(f"array({code!r}) items do not tile 4 bytes here")
    data = _rand(19)
    assert apply_mask(data, mask_arr) == xor_mask_reference(data, MASK)
    assert Masker(mask_arr).process(data) == xor_mask_reference(data, MASK)


@pytest.mark.parametrize(
    "bad_mask",
    [b"", b"\x01", b"abc", b"abcde", b"abcdefgh", bytearray(3), array("I", [1, 2]), memoryview(b"abcdefgh")[:3]],
)
def test_rfc6455_5_3_mask_must_be_4_bytes(bad_mask: Any) -> None:
    # RFC 6455 §5.3: the masking key is a 32-bit value.
    with pytest.raises(ValueError):
        apply_mask(b"payload", bad_mask)
    with pytest.raises(ValueError):
        apply_mask_inplace(bytearray(b"payload"), bad_mask)
    with pytest.raises(ValueError):
        Masker(bad_mask)


def test_wrong_mask_length_rejected_even_for_empty_data() -> None:
    with pytest.raises(ValueError):
        apply_mask(b"", b"abc")


@pytest.mark.parametrize("bad_data", ["text", 12, None, 1.5, [1, 2, 3]])
def test_non_buffer_data_is_type_error(bad_data: Any) -> None:
    with pytest.raises(TypeError):
        apply_mask(bad_data, MASK)
    with pytest.raises(TypeError):
        Masker(MASK).process(bad_data)


@pytest.mark.parametrize("bad_mask", ["abcd", 1234, None, [1, 2, 3, 4], (1, 2, 3, 4)])
def test_non_buffer_mask_is_type_error_and_value_error(bad_mask: Any) -> None:
    """DESIGN: "`mask` any 4-byte buffer, else ValueError"; Python words a wrong type
    as a TypeError: the error is both, so either ``except`` catches it."""
    calls = (
        lambda: apply_mask(b"data", bad_mask),
        lambda: apply_mask_inplace(bytearray(b"data"), bad_mask),
        lambda: Masker(bad_mask),
    )
    for call in calls:
        with pytest.raises(ValueError, match="mask must be a bytes-like object") as info:
            call()
        assert isinstance(info.value, TypeError)


def _object_buffers() -> list[Any]:
    """Writable buffers whose items are Python object references (format ``O``)."""
    import ctypes

    kept = [object() for _ in range(4)]
    pointers = (ctypes.py_object * 4)(*kept)

    class Record(ctypes.Structure):
        _fields_ = [("count", ctypes.c_int), ("ref", ctypes.py_object)]

    records = (Record * 2)((1, kept[0]), (2, kept[1]))
    buffers: list[Any] = [pointers, memoryview(pointers), records, (ctypes.py_object * 0)()]
    try:
        import numpy
    except ImportError:
        pass
    else:
        buffers.append(numpy.array(kept, dtype=object))
    return buffers


def test_buffer_of_object_references_is_refused_in_place() -> None:
    """Masking a reference in place would leave a pointer that crashes the process
    later (it did, on both backends): refused, the memory untouched."""
    for buffer in _object_buffers():
        before = bytes(memoryview(buffer).cast("B")) if memoryview(buffer).nbytes else b""
        with pytest.raises(TypeError, match="Python object references"):
            apply_mask_inplace(buffer, MASK)
        after = bytes(memoryview(buffer).cast("B")) if memoryview(buffer).nbytes else b""
        assert after == before


def test_field_named_with_an_o_is_not_an_object_item() -> None:
    """Only an ``O`` item is refused: a struct field whose *name* holds an O is raw bytes."""
    import ctypes

    class Pair(ctypes.Structure):
        _fields_ = [("Offset", ctypes.c_uint32), ("Other", ctypes.c_uint32)]

    pairs = (Pair * 2)((1, 2), (3, 4))
    assert "O" in memoryview(pairs).format
    raw = bytes(memoryview(pairs).cast("B"))
    apply_mask_inplace(pairs, MASK, 1)
    assert bytes(memoryview(pairs).cast("B")) == xor_mask_reference(raw, MASK, 1)


def test_non_integer_offset_is_type_error() -> None:
    with pytest.raises(TypeError):
        apply_mask(b"data", MASK, 1.0)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        apply_mask(b"data", MASK, "1")  # type: ignore[arg-type]


#: DESIGN: "a non-contiguous buffer is refused with a clear error or copied".
#: Pinned to the reference's choice: refused with a ValueError that says it
#: must be "C-contiguous".  (An in-place target could never be copied anyway:
#: the caller would not see the result.)
NON_CONTIGUOUS_ERROR = ValueError


def _assert_refused_as_non_contiguous(call: Any) -> None:
    with pytest.raises(NON_CONTIGUOUS_ERROR) as info:
        call()
    assert "contiguous" in str(info.value)


def test_non_contiguous_memoryview_data_is_refused() -> None:
    view = memoryview(_rand(40))[::2]
    assert not view.contiguous
    _assert_refused_as_non_contiguous(lambda: apply_mask(view, MASK))
    masker = Masker(MASK)
    _assert_refused_as_non_contiguous(lambda: masker.process(view))
    assert masker.offset == 0  # a refused call does not advance the phase


def test_non_contiguous_memoryview_mask_is_refused() -> None:
    key_view = memoryview(MASK + MASK)[::2]
    assert not key_view.contiguous and key_view.nbytes == 4
    _assert_refused_as_non_contiguous(lambda: apply_mask(b"abcdefg", key_view))
    _assert_refused_as_non_contiguous(lambda: Masker(key_view))


def test_non_contiguous_inplace_target_is_refused_untouched() -> None:
    base = bytearray(_rand(40))
    before = bytes(base)
    view = memoryview(base)[::2]
    _assert_refused_as_non_contiguous(lambda: apply_mask_inplace(view, MASK))
    assert base == before


def test_fortran_contiguous_2d_view_is_refused() -> None:
    # C-contiguity is what is required: a transposed (Fortran-order) 2-D view
    # is contiguous in memory but its logical byte order differs.
    try:
        import numpy as np
    except ImportError:
        pytest.skip("numpy not installed")
    arr = np.arange(12, dtype=np.uint8).reshape(3, 4).T
    view = memoryview(arr)
    assert view.f_contiguous and not view.c_contiguous
    _assert_refused_as_non_contiguous(lambda: apply_mask(view, MASK))


# ---------------------------------------------------------------------------
# apply_mask_inplace
# ---------------------------------------------------------------------------


def _writable_variants(raw: bytes) -> list[tuple[str, Any, Any]]:
    """(kind, target, owner) where ``bytes(owner-view)`` shows the result."""
    out: list[tuple[str, Any, Any]] = []
    ba = bytearray(raw)
    out.append(("bytearray", ba, ba))
    mv_owner = bytearray(raw)
    out.append(("memoryview", memoryview(mv_owner), mv_owner))
    arr_b = array("B", raw)
    out.append(("array-B", arr_b, arr_b))
    if len(raw) % array("I").itemsize == 0:
        arr_i = array("I")
        arr_i.frombytes(raw)
        out.append(("array-I", arr_i, arr_i))
    if len(raw) >= 2 and len(raw) % 2 == 0:
        owner2 = bytearray(raw)
        out.append(("memoryview-2d", memoryview(owner2).cast("B", (2, len(raw) // 2)), owner2))
    return out


@pytest.mark.parametrize("length", [0, 1, 3, 4, 8, 16, 31, 64, 65, 1000])
@pytest.mark.parametrize("offset", [0, 1, 2, 3, 5])
def test_apply_mask_inplace_equals_apply_mask(length: int, offset: int) -> None:
    raw = _rand(length, offset)
    expected = xor_mask_reference(raw, MASK, offset)
    for kind, target, owner in _writable_variants(raw):
        result: object = apply_mask_inplace(target, MASK, offset)  # type: ignore[func-returns-value]
        assert result is None, kind
        got = owner.tobytes() if isinstance(owner, array) else bytes(owner)
        assert got == expected, kind


@given(data=payloads, mask=masks, offset=offsets)
def test_apply_mask_inplace_property(data: bytes, mask: bytes, offset: int) -> None:
    buf = bytearray(data)
    apply_mask_inplace(buf, mask, offset)
    assert bytes(buf) == apply_mask(data, mask, offset)


def test_apply_mask_inplace_sliced_view_touches_only_the_slice() -> None:
    raw = _rand(64)
    owner = bytearray(raw)
    apply_mask_inplace(memoryview(owner)[5:50], MASK, 0)
    assert owner[:5] == raw[:5]
    assert owner[50:] == raw[50:]
    assert bytes(owner[5:50]) == xor_mask_reference(raw[5:50], MASK)


@pytest.mark.parametrize("start", [0, 1, 3, 7, 13])
def test_apply_mask_inplace_never_writes_outside_the_view(start: int) -> None:
    # Wide kernels must stop exactly at the view's end (and start at its start).
    for length in range(0, 100):
        raw = _rand(start + length + 70, length)
        owner = bytearray(raw)
        apply_mask_inplace(memoryview(owner)[start : start + length], MASK, length)
        assert owner[:start] == raw[:start], length
        assert owner[start + length :] == raw[start + length :], length
        assert bytes(owner[start : start + length]) == xor_mask_reference(raw[start : start + length], MASK, length), (
            length
        )


@pytest.mark.parametrize(
    "target",
    [b"immutable", memoryview(b"immutable"), memoryview(bytearray(b"readonly")).toreadonly()],
    ids=["bytes", "memoryview-of-bytes", "readonly-memoryview"],
)
def test_apply_mask_inplace_read_only_target_is_type_error(target: Any) -> None:
    with pytest.raises(TypeError):
        apply_mask_inplace(target, MASK)


@pytest.mark.parametrize("bad", ["text", 3, None])
def test_apply_mask_inplace_non_buffer_is_type_error(bad: Any) -> None:
    with pytest.raises(TypeError):
        apply_mask_inplace(bad, MASK)


def test_apply_mask_inplace_empty_buffer() -> None:
    buf = bytearray()
    result: object = apply_mask_inplace(buf, MASK, 7)  # type: ignore[func-returns-value]
    assert result is None
    assert buf == b""


def test_empty_buffer_of_several_dimensions_is_no_bytes() -> None:
    # A shape with a zero in it (here 0 x 4) is C-contiguous and holds no
    # bytes: taken as b"", as any other empty buffer, by every entry point.
    import ctypes

    from wsframe import frames, utf8

    def empty() -> Any:
        return (ctypes.c_uint8 * 4 * 0)()

    assert apply_mask(empty(), MASK) == b""
    apply_mask_inplace(empty(), MASK)
    assert Masker(MASK).process(empty()) == b""
    assert utf8.is_valid(empty()) and utf8.find_invalid(empty()) == -1 and utf8.decode(empty()) == ""
    utf8.Utf8Validator().feed(empty())
    assert frames.encode_frame(frames.Opcode.BINARY, empty()) == b"\x82\x00"
    with pytest.raises(ValueError, match="mask must be 4 bytes"):
        apply_mask(b"x", empty())


# ---------------------------------------------------------------------------
# Masker: stateful, continues the phase across calls.
# ---------------------------------------------------------------------------


@given(
    data=st.binary(max_size=400),
    mask=masks,
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=12),
)
def test_masker_over_any_chunk_split_equals_one_shot(data: bytes, mask: bytes, cuts: list[int]) -> None:
    points = sorted({min(c, len(data)) for c in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)])]
    masker = Masker(mask)
    out = b"".join(masker.process(chunk) for chunk in chunks)
    assert out == apply_mask(data, mask)
    assert masker.offset == len(data)


def test_masker_offset_counts_bytes_processed() -> None:
    masker = Masker(MASK)
    assert masker.offset == 0
    masker.process(b"abc")
    assert masker.offset == 3
    masker.process(b"")
    assert masker.offset == 3
    masker.process(bytearray(10))
    assert masker.offset == 13


def test_masker_process_returns_bytes_for_every_buffer_kind() -> None:
    raw = _rand(24)
    for kind, obj in buffer_variants(raw):
        masker = Masker(MASK)
        masker.process(b"z")  # phase 1
        result = masker.process(obj)
        assert type(result) is bytes, kind
        assert result == xor_mask_reference(raw, MASK, 1), kind
        # offset counts raw bytes, not items (array('I') has 4-byte items).
        assert masker.offset == 1 + len(raw), kind
        assert masker.process(b"\x00") == MASK[(1 + len(raw)) % 4 :][:1], kind


def test_masker_mask_property_is_the_key() -> None:
    masker = Masker(bytearray(MASK))
    assert masker.mask == MASK
    assert type(masker.mask) is bytes
    masker.process(b"abc")
    assert masker.mask == MASK  # the key itself, not the rotated phase


def test_masker_reset_restarts_phase_and_offset() -> None:
    data = _rand(11)
    masker = Masker(MASK)
    masker.process(b"xy")
    masker.reset()
    assert masker.offset == 0
    assert masker.process(data) == xor_mask_reference(data, MASK, 0)
    assert masker.offset == 11


def test_masker_single_bytes_cycle_through_key() -> None:
    masker = Masker(MASK)
    out = [masker.process(b"\x00") for _ in range(9)]
    assert b"".join(out) == (MASK * 3)[:9]


def test_masker_keeps_its_own_copy_of_the_key() -> None:
    # A Masker must not change behaviour when the caller later reuses the
    # buffer that held the key (e.g. a recycled read buffer).
    key = bytearray(MASK)
    masker = Masker(key)
    key[:] = b"\x00\x00\x00\x00"
    assert masker.process(b"Hello") == bytes.fromhex("7f9f4d5158")


def test_masker_does_not_modify_its_input() -> None:
    raw = _rand(30)
    buf = bytearray(raw)
    Masker(MASK).process(buf)
    assert buf == raw


def test_masker_offset_beyond_32_bits_keeps_phase() -> None:
    # Phase bookkeeping must not depend on a narrow counter: feed a large
    # buffer repeatedly and check the phase after > 2**16 bytes and odd totals.
    masker = Masker(MASK)
    block = bytes(65537)
    for _ in range(3):
        masker.process(block)
    assert masker.offset == 3 * 65537
    assert masker.process(b"\x00") == MASK[(3 * 65537) % 4 : (3 * 65537) % 4 + 1]


@pytest.mark.slow
@pytest.mark.skipif(
    os.environ.get("WSFRAME_SLOW_TESTS") != "1",
    reason="set WSFRAME_SLOW_TESTS=1 (masks 2.2 GB through a 128 MiB buffer)",
)
def test_masker_offset_past_2_31() -> None:
    masker = Masker(MASK)
    chunk = bytes(2**27 + 1)
    for _ in range(17):
        masker.process(chunk)
    assert masker.offset == 17 * (2**27 + 1)
    phase = masker.offset % 4
    assert masker.process(b"\x00\x00") == (MASK * 2)[phase : phase + 2]


def test_concurrent_masking_from_threads() -> None:
    # Kernels may release the GIL on large inputs: results must stay exact
    # when several threads mask different buffers at the same time.
    from concurrent.futures import ThreadPoolExecutor

    inputs = [(_rand(300_000 + i, i), bytes([i, 2 * i, 3 * i, 255 - i]), i) for i in range(8)]

    def work(item: tuple[bytes, bytes, int]) -> bool:
        data, key, offset = item
        buf = bytearray(data)
        apply_mask_inplace(buf, key, offset)
        masker = Masker(key)
        masker.process(bytes(offset % 4))
        return (
            apply_mask(data, key, offset) == bytes(buf) == masker.process(data) == xor_mask_reference(data, key, offset)
        )

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert all(pool.map(work, inputs))
