"""pytest-benchmark: text to str, whole messages, permessage-deflate (RFC 3629, 6455, 7692)."""

from __future__ import annotations

from typing import Any

import pytest

from bench.inputs import DECODE_KINDS
from bench.peers import Impl
from bench.suites.support import impl_params, run_case


@pytest.mark.parametrize("size", (16, 1024))
@pytest.mark.parametrize("kind", DECODE_KINDS)
@pytest.mark.parametrize("impl", impl_params("utf8_decode"))
def test_decode(benchmark: Any, impl: Impl, kind: str, size: int) -> None:
    run_case(benchmark, impl, f"decode.{kind}", size)


@pytest.mark.parametrize("size", (64, 1024))
@pytest.mark.parametrize("kind", ("ascii", "mixed"))
@pytest.mark.parametrize("impl", impl_params("text_message"))
def test_text_message(benchmark: Any, impl: Impl, kind: str, size: int) -> None:
    run_case(benchmark, impl, f"message.text.{kind}", size)


@pytest.mark.parametrize("name", ("messages.text16", "messages.text16.chunked", "messages.bin1k.chunked"))
@pytest.mark.parametrize("impl", impl_params("decode_messages"))
def test_decode_messages(benchmark: Any, impl: Impl, name: str) -> None:
    run_case(benchmark, impl, name, 1000)


@pytest.mark.parametrize("size", (300, 4096))
@pytest.mark.parametrize("impl", impl_params("deflate_messages"))
def test_deflate(benchmark: Any, impl: Impl, size: int) -> None:
    run_case(benchmark, impl, "deflate.compress", size)


@pytest.mark.parametrize("size", (300, 4096))
@pytest.mark.parametrize("impl", impl_params("inflate_messages"))
def test_inflate(benchmark: Any, impl: Impl, size: int) -> None:
    run_case(benchmark, impl, "deflate.inflate", size)


@pytest.mark.parametrize("impl", impl_params("wsproto_deflate"))
def test_wsproto_deflate(benchmark: Any, impl: Impl) -> None:
    run_case(benchmark, impl, "integration.wsproto.deflate", 1000)


@pytest.mark.parametrize("impl", impl_params("websockets_deflate"))
def test_websockets_deflate(benchmark: Any, impl: Impl) -> None:
    run_case(benchmark, impl, "integration.websockets.deflate", 1000)
