"""The compiled aiohttp reader loop and its pure-Python reference take the same
parameters.

The loop is ``_AiohttpFeed`` in the compiled frames module and ``_Feed`` in
``wsframe.integrations.aiohttp._reader``; stubtest holds the stub to the compiled
class, and this holds the compiled class to the reference.
"""

from __future__ import annotations

import inspect

import pytest

from _support import load_implementation
from wsframe.integrations.aiohttp import _reader


@pytest.mark.parametrize("method", ["__init__", "feed"])
def test_compiled_loop_takes_the_reference_parameters(method: str) -> None:
    compiled = load_implementation("frames", "c")._AiohttpFeed
    assert list(inspect.signature(getattr(compiled, method)).parameters) == list(
        inspect.signature(getattr(_reader._Feed, method)).parameters
    )
