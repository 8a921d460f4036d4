"""pytest-benchmark: UTF-8 validation (RFC 3629), one-shot and incremental."""

from __future__ import annotations

from typing import Any

import pytest

from bench.inputs import TEXT_KINDS
from bench.peers import Impl
from bench.suites.support import impl_params, run_case


@pytest.mark.parametrize("size", (64, 4096))
@pytest.mark.parametrize("kind", TEXT_KINDS)
@pytest.mark.parametrize("impl", impl_params("utf8_validate"))
def test_is_valid(benchmark: Any, impl: Impl, kind: str, size: int) -> None:
    run_case(benchmark, impl, f"utf8.{kind}", size)


@pytest.mark.parametrize("kind", ("ascii", "mixed"))
@pytest.mark.parametrize("impl", impl_params("utf8_incremental"))
def test_incremental(benchmark: Any, impl: Impl, kind: str) -> None:
    run_case(benchmark, impl, f"utf8-incremental.{kind}", 16 * 1024)
