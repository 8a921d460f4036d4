"""``InvalidUTF8.fail_index``: the fail-fast point the autobahn integration reports.

Both backends' ``Utf8Validator`` are checked against an oracle that needs no
UTF-8 table: fed one byte at a time, the validator raises on exactly the byte
that makes the stream impossible (the contract: fail fast), so ``fail_index`` of
any chunking must be the index of that byte.
"""

from __future__ import annotations

import importlib
import pickle

import pytest

pytest.importorskip("hypothesis")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wsframe.errors import InvalidUTF8


def _backends() -> list[object]:
    params: list[object] = [pytest.param("wsframe._reference.utf8", id="reference")]
    try:
        importlib.import_module("wsframe._speedups._utf8")
    except ImportError:
        params.append(pytest.param("", id="compiled", marks=pytest.mark.skip("not built")))
    else:
        params.append(pytest.param("wsframe._speedups._utf8", id="compiled"))
    return params


@pytest.fixture(params=_backends())
def validator_cls(request: pytest.FixtureRequest) -> type:
    return importlib.import_module(request.param).Utf8Validator  # type: ignore[no-any-return]


def byte_by_byte(data: bytes, validator_cls: type) -> int | None:
    v = validator_cls()
    for i in range(len(data)):
        try:
            v.feed(data[i : i + 1])
        except InvalidUTF8:
            return i
    return None


CASES = [
    (b"\xff", 0, 0),
    (b"ab\xc0\xaf", 2, 2),
    (b"edited\xed\xa0\x80", 6, 7),  # a surrogate: ED must be followed by 80..9F
    (b"\xf0\x90\x41", 0, 2),
    (b"\xe2\x82" + b"x", 0, 2),
    (b"\xf4\x90\x80\x80", 0, 1),  # above U+10FFFF
    (b"\xe0\x80\x80", 0, 1),  # overlong
    ("h\u00e9".encode() + b"\x80", 3, 3),  # stray continuation
]


@pytest.mark.parametrize(("data", "position", "fail_index"), CASES)
def test_fail_index_cases(validator_cls: type, data: bytes, position: int, fail_index: int) -> None:
    v = validator_cls()
    with pytest.raises(InvalidUTF8) as info:
        v.feed(data)
    assert (info.value.position, info.value.fail_index) == (position, fail_index)
    assert byte_by_byte(data, validator_cls) == fail_index
    # The same error again until reset(), and it survives pickling.
    with pytest.raises(InvalidUTF8) as again:
        v.feed(b"")
    assert again.value.fail_index == fail_index
    clone = pickle.loads(pickle.dumps(info.value))
    assert (type(clone), clone.position, clone.fail_index, clone.code, str(clone)) == (
        InvalidUTF8,
        position,
        fail_index,
        1007,
        str(info.value),
    )


def test_fail_index_on_truncation(validator_cls: type) -> None:
    v = validator_cls()
    v.feed(b"ok\xf0\x9f")
    with pytest.raises(InvalidUTF8) as info:
        v.finish()
    assert (info.value.position, info.value.fail_index) == (2, 4)


def test_fail_index_default_is_none() -> None:
    exc = InvalidUTF8("x", 3)
    assert exc.fail_index is None
    assert pickle.loads(pickle.dumps(exc)).fail_index is None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    pieces=st.lists(
        st.sampled_from(
            [
                b"a",
                b"\xc3\xa9",
                b"\xe2\x82\xac",
                b"\xf0\x9f\x98\x80",
                b"\xed\x9f\xbf",
                b"\x80",
                b"\xc0",
                b"\xed",
                b"\xa0",
                b"\xf4",
                b"\x90",
                b"\xff",
                b"\xe0",
            ]
        ),
        max_size=12,
    ),
    cuts=st.lists(st.integers(0, 48), max_size=4),
)
def test_fail_index_matches_byte_by_byte(validator_cls: type, pieces: list[bytes], cuts: list[int]) -> None:
    data = b"".join(pieces)
    expected = byte_by_byte(data, validator_cls)
    bounds = sorted({0, len(data), *(c for c in cuts if c < len(data))})
    v = validator_cls()
    got = None
    for i, j in zip(bounds, bounds[1:]):
        try:
            v.feed(data[i:j])
        except InvalidUTF8 as exc:
            got = exc.fail_index
            assert exc.position <= got
            break
    assert got == expected
