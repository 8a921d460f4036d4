"""The compiled aiohttp reader loop and its pure-Python reference take the same
parameters.

The loop is ``_AiohttpFeed`` in the compiled frames module and ``_Feed`` in
``wsframe.integrations.aiohttp._reader``: the reader builds either with the same
arguments, so their parameter names must agree.
"""

from __future__ import annotations

import inspect
from typing import Any

from _support import load_implementation
from wsframe.integrations.aiohttp import _reader


class _Queue:
    _limit = 1 << 16
    _size = 0

    def feed_data(self, msg: Any, size: int) -> None:
        pass


def test_compiled_loop_is_built_with_the_reference_keywords() -> None:
    frames = load_implementation("frames", "c")
    values = {
        "decoder": frames.FrameDecoder(),
        "queue": _Queue(),
        "kinds": (tuple, tuple, 1, 2),
        "text": True,
        "inflater": None,
        "bound": None,
    }
    names = [n for n in inspect.signature(_reader._Feed.__init__).parameters if n != "self"]
    assert sorted(names) == sorted(values)
    loop = frames._AiohttpFeed(**{name: values[name] for name in names})
    assert loop.feed(b"") == (0, 0, None)


def test_compiled_feed_takes_the_reference_parameters() -> None:
    compiled = load_implementation("frames", "c")._AiohttpFeed
    assert list(inspect.signature(compiled.feed).parameters) == list(inspect.signature(_reader._Feed.feed).parameters)
