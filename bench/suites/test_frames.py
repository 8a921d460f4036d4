"""pytest-benchmark: frame decoding and encoding (RFC 6455 §5.2)."""

from __future__ import annotations

from typing import Any

import pytest

from bench.peers import Impl
from bench.suites.support import impl_params, run_case

FRAMES = 1000  # the runner uses 100k; small here so CI stays fast


@pytest.mark.parametrize(
    "name",
    (
        "frames.decode.text16",
        "frames.decode.text16.chunked",
        "frames.decode.bin1k",
        "frames.decode.bin1k.chunked",
    ),
)
@pytest.mark.parametrize("impl", impl_params("decode_frames"))
def test_decode(benchmark: Any, impl: Impl, name: str) -> None:
    run_case(benchmark, impl, name, FRAMES)


@pytest.mark.parametrize("size", (16, 1024, 70_000))
@pytest.mark.parametrize("name", ("frames.encode.masked", "frames.encode.unmasked", "frames.encode.text16.masked"))
@pytest.mark.parametrize("impl", impl_params("encode_frame"))
def test_encode(benchmark: Any, impl: Impl, name: str, size: int) -> None:
    run_case(benchmark, impl, name, size)
