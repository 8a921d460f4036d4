"""``Masker.offset`` is a Python int on both backends.

The contract: ``offset`` counts the bytes processed since creation or ``reset()``
and only ``offset % 4`` (Python's modulo) is the phase of the next byte.  Any
int is accepted, huge or negative; a non-integer is refused at once with a
TypeError.  The compiled masker used to keep it in a C ``long long``: 2**63
and above raised OverflowError, and ``2**63 - 1`` followed by ``process()``
was signed overflow.

Both implementations are tested in one process, whatever WSFRAME_PURE_PYTHON
says: the reference module and the compiled one are imported directly.
Expected bytes come from ``_support.xor_mask_reference`` (plain integer XOR).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

import pytest

from _support import xor_mask_reference

MASK = bytes.fromhex("37fa213d")
DATA = bytes(range(1, 12))  # 11 bytes: not a multiple of 4, so the phase moves


def _compiled() -> Any:
    try:
        return importlib.import_module("wsframe._speedups._mask")
    except ImportError:
        return pytest.param(None, marks=pytest.mark.skip(reason="compiled backend not built"))


IMPLEMENTATIONS = [importlib.import_module("wsframe._reference.mask"), _compiled()]

# Every test checks the reference and the compiled masker itself: the pure-Python pass
# (WSFRAME_PURE_PYTHON=1) need not run them again.
pytestmark = pytest.mark.both_backends


@pytest.fixture(params=IMPLEMENTATIONS, ids=["reference", "compiled"])
def impl(request: pytest.FixtureRequest) -> ModuleType:
    module: ModuleType = request.param
    return module


class _Index:
    """An integer-like object (``__index__``), as numpy's integers are."""

    def __init__(self, value: int) -> None:
        self.value = value

    def __index__(self) -> int:
        return self.value


# Around every C integer boundary a 64-bit counter could trip on, and beyond.
BOUNDARIES = [
    2**31 - 1,
    2**32,
    2**63 - 4,
    2**63 - 1,
    2**63,
    2**64 - 3,
    2**64 - 1,
    2**64,
    2**64 + 5,
    2**100 + 2,
    -1,
    -(2**63),
    -(2**63) - 1,
    -(2**64) - 7,
    -(2**100) + 1,
]


@pytest.mark.parametrize("start", BOUNDARIES)
def test_any_int_offset_counts_on_exactly(impl: ModuleType, start: int) -> None:
    masker = impl.Masker(MASK)
    masker.offset = start
    assert masker.offset == start
    first = masker.process(DATA)
    assert first == xor_mask_reference(DATA, MASK, start)
    assert masker.offset == start + len(DATA)
    second = masker.process(DATA)
    assert second == xor_mask_reference(DATA, MASK, start + len(DATA))
    assert masker.offset == start + 2 * len(DATA)
    assert type(masker.offset) is int


@pytest.mark.parametrize("start", [2**63 - 1, 2**64 - 1, -1])
def test_offset_crosses_the_boundary_byte_by_byte(impl: ModuleType, start: int) -> None:
    masker = impl.Masker(MASK)
    masker.offset = start
    out = b"".join(masker.process(DATA[i : i + 1]) for i in range(len(DATA)))
    assert out == xor_mask_reference(DATA, MASK, start)
    assert masker.offset == start + len(DATA)


def test_reset_after_a_huge_offset(impl: ModuleType) -> None:
    masker = impl.Masker(MASK)
    masker.offset = 2**80 + 3
    masker.process(DATA)
    masker.reset()
    assert masker.offset == 0
    assert masker.process(DATA) == xor_mask_reference(DATA, MASK, 0)


def test_index_objects_are_stored_as_int(impl: ModuleType) -> None:
    masker = impl.Masker(MASK)
    masker.offset = _Index(2**70 + 1)
    assert masker.offset == 2**70 + 1
    assert type(masker.offset) is int
    assert masker.process(DATA) == xor_mask_reference(DATA, MASK, 2**70 + 1)


@pytest.mark.parametrize("bad", [1.0, "3", None, b"\x01", 2 + 0j])
def test_non_integer_offset_is_refused_at_once(impl: ModuleType, bad: Any) -> None:
    masker = impl.Masker(MASK)
    masker.offset = 6
    with pytest.raises(TypeError):
        masker.offset = bad
    # Nothing changed: the next call still starts at phase 6 % 4.
    assert masker.offset == 6
    assert masker.process(DATA) == xor_mask_reference(DATA, MASK, 6)


def test_both_backends_agree_on_a_long_split_stream() -> None:
    compiled = IMPLEMENTATIONS[1]
    if not isinstance(compiled, ModuleType):
        pytest.skip("compiled backend not built")
    maskers = [m.Masker(MASK) for m in (IMPLEMENTATIONS[0], compiled)]
    for masker in maskers:
        masker.offset = 2**63 - 5
    pieces = [DATA[: n % len(DATA)] for n in range(40)]
    outs = [[m.process(p) for p in pieces] for m in maskers]
    assert outs[0] == outs[1]
    assert maskers[0].offset == maskers[1].offset == 2**63 - 5 + sum(map(len, pieces))
