"""The compiled aiohttp reader loop and its pure-Python reference take the same
parameters.

The loop's parameter list is written once, on the reference
(``wsframe.integrations.aiohttp._reader._feed_messages``); the compiled module's
stub declares ``_aiohttp_feed`` without repeating it, so this is the check that
the two agree.
"""

from __future__ import annotations

import inspect

from _support import load_implementation
from wsframe.integrations.aiohttp import _reader


def test_compiled_loop_takes_the_reference_parameters() -> None:
    compiled = load_implementation("frames", "c")
    assert list(inspect.signature(compiled._aiohttp_feed).parameters) == list(
        inspect.signature(_reader._feed_messages).parameters
    )
