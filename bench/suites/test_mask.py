"""pytest-benchmark: masking (RFC 6455 §5.3), copying and in place."""

from __future__ import annotations

from typing import Any

import pytest

from bench.peers import Impl
from bench.suites.support import impl_params, run_case

SIZES = (16, 4096)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("impl", impl_params("mask_copy"))
def test_mask_copy(benchmark: Any, impl: Impl, size: int) -> None:
    run_case(benchmark, impl, "mask.copy", size)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("impl", impl_params("mask_inplace"))
def test_mask_inplace(benchmark: Any, impl: Impl, size: int) -> None:
    run_case(benchmark, impl, "mask.inplace", size)
