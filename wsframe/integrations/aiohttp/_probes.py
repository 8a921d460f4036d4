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
    that the queue aiohttp actually uses exposes its fill level and, for the
    compiled queue, that a subclass of aiohttp's compiled reader parks on
    it (:func:`_probe_parking`).  Imports aiohttp's reader modules.

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
    from ._reader import reader_base

    base = reader_base()
    if base.__module__.endswith("reader_py"):
        return None  # the pure-Python queue: its slot is a plain attribute
    return _probe_parking(base, queue)


class _Paused:
    """A protocol whose reading is paused; counts the queue's resumes."""

    _reading_paused = True
    resumed = 0

    def resume_reading(self) -> None:
        self.resumed += 1


def _probe_parking(base: Any, queue: Any) -> str | None:
    """On the compiled queue, whose ``_stalled_reader`` only compiled code
    assigns, the integration's reader subclasses aiohttp's compiled reader
    ``base`` (``_reader.reader_base``): ``base._feed_data``, run on an
    instance of a subclass that overrides it, must park that instance (a
    weak reference to it) when the queue is over its mark with a byte left
    to parse, and leave it off below the mark; and the queue, drained, must
    call the subclass's ``feed_data`` and then resume the transport."""
    park = base._feed_data
    calls: list[Any] = []

    class Probe(base):  # type: ignore[misc]
        def _feed_data(self, data: Any) -> None:
            raise AssertionError("the base's _feed_data ran the subclass's")

        def feed_data(self, data: Any) -> Any:
            calls.append(data)
            park(self, b"")  # below the mark: off the slot
            return False, b""

    try:
        probe = Probe(queue, 0, False, True)
        park(probe, b"\x00")  # below the mark: one byte kept, not parked
        below = queue._stalled_reader
        queue.feed_data(("probe", 0), 64)  # over its mark of 2
        park(probe, b"")
        parked = queue._stalled_reader
        read = queue.read()
        try:  # the message is there: read() returns without awaiting
            read.send(None)
        except StopIteration:
            pass
        else:  # pragma: no cover - a queue that awaits with a message in it
            read.close()
            return "aiohttp's WebSocketDataQueue.read() awaits with a message queued"
    except Exception as exc:
        return f"a subclass of aiohttp's compiled WebSocketReader cannot park on the queue ({exc!r})"
    if below is not None or parked is None or parked() is not probe:
        return "aiohttp's compiled WebSocketReader does not park a subclass on the queue's _stalled_reader"
    if calls != [b""] or queue._stalled_reader is not None or queue._protocol.resumed != 1:
        return "aiohttp's compiled WebSocketDataQueue does not resume a subclass of its reader parked on it"
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
