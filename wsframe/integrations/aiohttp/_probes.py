"""Feature probes: whether aiohttp's internals are those the integration replaces."""

from __future__ import annotations

import inspect
from typing import Any

__all__ = ["probe_reader", "probe_writer"]


def _params(func: Any) -> list[str]:
    try:
        return list(inspect.signature(func).parameters)
    except (TypeError, ValueError):
        return []


def probe_reader() -> str | None:
    """Why aiohttp's reader internals differ from what this module replaces.

    Checks aiohttp's pure-Python reader (the code the integration falls back
    to, and which documents the compiled one): the constructor's arity, the
    queue's ``feed_data(data, size)``, the message classes' fields, that
    ``WSMessageTextBytes`` exists and the parser state the fallback takes
    over (with the weak reference a stalled reader parks on the queue); then
    that the queue aiohttp actually uses exposes its fill level.  Imports
    aiohttp's reader modules.

    Returns:
        ``None`` when they match, else the reason.
    """
    try:
        from aiohttp._websocket import models, reader_py
    except ImportError as exc:
        return f"aiohttp._websocket.reader_py is not importable ({exc})"
    cls = getattr(reader_py, "WebSocketReader", None)
    queue = getattr(reader_py, "WebSocketDataQueue", None)
    if cls is None or queue is None:
        return "aiohttp._websocket.reader_py lacks WebSocketReader/WebSocketDataQueue"
    got = _params(cls.__init__)
    if got != ["self", "queue", "max_msg_size", "compress", "decode_text"]:
        return f"WebSocketReader.__init__{got} differs"
    got = _params(queue.feed_data)
    if got != ["self", "data", "size"]:
        return f"WebSocketDataQueue.feed_data{got} differs"
    text_bytes = getattr(models, "WSMessageTextBytes", None)
    if text_bytes is None:
        return "aiohttp._websocket.models has no WSMessageTextBytes"
    for name in ("WSMessage", "WSMessageTextBytes"):
        fields = getattr(getattr(models, name), "_fields", None)
        if fields != ("type", "data", "extra"):
            return f"{name} fields {fields} differ"
    for name in ("_feed_data", "_handle_frame", "feed_data", "feed_eof"):
        if not callable(getattr(cls, name, None)):
            return f"WebSocketReader has no {name}"
    for name in ("READ_HEADER", "OP_CODE_NOT_SET", "COMPRESSED_TRUE", "COMPRESSED_FALSE", "COMPRESSED_NOT_SET"):
        if not isinstance(getattr(reader_py, name, None), int):
            return f"aiohttp._websocket.reader_py has no {name}"
    probe: Any = cls(queue(None, 2**16, loop=None), 0, False, True)  # type: ignore[arg-type, unused-ignore]
    for name in (
        "_state",
        "_tail",
        "_opcode",
        "_partial",
        "_frame_fin",
        "_compressed",
        "_decompressobj",
        "_exc",
        "_weak_self",
    ):
        if not hasattr(probe, name):
            return f"WebSocketReader instances have no {name}"
    return _probe_queue()


def _probe_queue() -> str | None:
    """The data queue aiohttp hands the reader (its compiled one unless
    extensions are off) must let it read the fill level and the high-water
    mark, and have the stall slot (flow control past the mark): the compiled
    queue exposes ``_size``, ``_limit`` and ``_stalled_reader`` from 3.14.4."""
    try:
        from aiohttp._websocket.reader import WebSocketDataQueue
    except ImportError as exc:
        return f"aiohttp._websocket.reader is not importable ({exc})"
    queue: Any = WebSocketDataQueue(_Paused(), 1, loop=None)  # type: ignore[arg-type, unused-ignore]
    kind = f"{WebSocketDataQueue.__module__}.WebSocketDataQueue"
    for name in ("_size", "_limit", "_protocol", "_stalled_reader"):
        if not hasattr(queue, name):
            return f"{kind} instances do not expose {name}"
    try:
        queue._stalled_reader = None
    except AttributeError:
        return _probe_stand_in(queue)
    return None


class _Paused:
    """A protocol whose reading is paused (the queue asks nothing of it)."""

    _reading_paused = True


def _probe_stand_in(queue: Any) -> str | None:
    """On the compiled queue, whose ``_stalled_reader`` is read-only, a
    subclass of aiohttp's compiled reader must park there (see
    ``_reader.stand_in_class``) when the queue is over its mark."""
    from ._reader import stand_in_class

    try:
        from aiohttp._websocket.reader_c import WebSocketReader

        stand_in = stand_in_class(WebSocketReader)(queue, lambda: None)
        queue.feed_data(("probe", 0), 64)  # over its mark of 2
        stand_in.park()
        parked = queue._stalled_reader
    except Exception as exc:
        return f"a subclass of aiohttp's compiled WebSocketReader cannot stand for the reader ({exc!r})"
    if parked is None or parked() is not stand_in:
        return "aiohttp's compiled WebSocketReader does not park a subclass on the queue's _stalled_reader"
    return None


def probe_writer() -> str | None:
    """Why aiohttp's writer internals differ from what this module replaces.

    Returns:
        ``None`` when they match, else the reason.
    """
    try:
        from aiohttp._websocket import writer
    except ImportError as exc:
        return f"aiohttp._websocket.writer is not importable ({exc})"
    cls = getattr(writer, "WebSocketWriter", None)
    if cls is None:
        return "aiohttp._websocket.writer has no WebSocketWriter"
    got = _params(cls.__init__)
    expected = ["self", "protocol", "transport", "use_mask", "limit", "random", "compress", "notakeover"]
    if got != expected:
        return f"WebSocketWriter.__init__{got} differs"
    for name, params in (
        ("_write_websocket_frame", ["self", "message", "opcode", "rsv"]),
        ("_send_compressed_frame_sync", ["self", "message", "opcode", "compress"]),
        ("_send_compressed_frame_async_locked", ["self", "message", "opcode", "compress"]),
    ):
        got = _params(getattr(cls, name, None))
        if got != params:
            return f"WebSocketWriter.{name}{got} differs"
    for name in ("_send_lock", "_output_size", "use_mask", "compress", "notakeover"):
        if name not in inspect.getsource(cls.__init__):
            return f"WebSocketWriter does not set {name}"
    return None
