"""wsframe.integrations.aiohttp: flow control past aiohttp's high-water mark.

aiohttp's reader stops parsing when its data queue is over the mark with
bytes left, parks a weak reference to itself on the queue's
``_stalled_reader`` slot, and is called back (``feed_data(b"")``) when the
queue drains to half the mark; the queue resumes the transport only while
the slot is empty.  The integration's reader must do the same on both of
aiohttp's queues: the compiled one, whose slot only compiled code assigns
(the reader subclasses aiohttp's compiled reader there), and the pure-Python
one.  Each test feeds the same burst to aiohttp's own reader and to the
integration's, on the same kind of queue, and compares what the application
and the transport see at every step of the drain.
"""

from __future__ import annotations

import asyncio
import gc
import weakref
import zlib
from typing import Any

import pytest

aiohttp = pytest.importorskip("aiohttp")

import wsframe.integrations.aiohttp as integration  # noqa: E402
from wsframe.frames import encode_frame  # noqa: E402
from wsframe.integrations.aiohttp import _reader  # noqa: E402

_VERSION = tuple(int(p) for p in aiohttp.__version__.split(".")[:3] if p.isdigit())

pytestmark = pytest.mark.skipif(
    integration._PATCHES.unsupported_reason() is not None or _VERSION < (3, 14, 4),
    reason="the reader is replaced from aiohttp 3.14.4",
)


def _kinds() -> list[Any]:
    kinds = ["python"]
    try:
        from aiohttp._websocket import reader_c  # noqa: F401
    except ImportError:
        pass
    else:
        kinds.insert(0, "compiled")
    return kinds


@pytest.fixture(params=_kinds())
def readers(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, Any, Any]:
    """(aiohttp's reader, the integration's, the queue class they share)."""
    from aiohttp._websocket import reader_py

    if request.param == "compiled":
        from aiohttp._websocket import reader_c

        monkeypatch.setattr(_reader, "reader_base", lambda: reader_c.WebSocketReader)
        return reader_c.WebSocketReader, _reader.build_reader_class(), reader_c.WebSocketDataQueue
    monkeypatch.setattr(_reader, "reader_base", lambda: reader_py.WebSocketReader)
    return reader_py.WebSocketReader, _reader.build_reader_class(), reader_py.WebSocketDataQueue


class _Protocol:
    """The transport's side of the queue: whether reading is paused."""

    def __init__(self) -> None:
        self._reading_paused = False
        self.calls: list[str] = []

    def pause_reading(self) -> None:
        self._reading_paused = True
        self.calls.append("pause")

    def resume_reading(self) -> None:
        self._reading_paused = False
        self.calls.append("resume")


def _burst(compress: bool, trailing: bytes = b"") -> bytes:
    """Masked frames (a client's) well past a 128 KiB mark: large and small
    messages, pings, a message in three fragments; then ``trailing``."""
    comp = zlib.compressobj(1, zlib.DEFLATED, -15)

    def frames(op: int, payload: bytes, pieces: int = 1) -> list[bytes]:
        if compress:  # RFC 7692 §7.2.1, one context for the connection
            payload = (comp.compress(payload) + comp.flush(zlib.Z_SYNC_FLUSH))[:-4]
        step = max(1, -(-len(payload) // pieces))
        parts = [payload[i : i + step] for i in range(0, len(payload), step)] or [b""]
        return [
            encode_frame(
                op if i == 0 else 0, part, fin=i == len(parts) - 1, rsv1=compress and i == 0, mask=b"\x01\x02\x03\x04"
            )
            for i, part in enumerate(parts)
        ]

    out = []
    for i in range(6):
        out += frames(2, bytes([i]) * (100_000 + i))
        out += frames(1, b"x" * (i * 7))
        out.append(encode_frame(9, b"p%d" % i, mask=b"\x05\x06\x07\x08"))
    for i in range(300):
        out += frames(1, b"small %d" % i)
    out += frames(2, b"abc" * 70_000, pieces=3)
    return b"".join(out) + trailing


def _parked(queue: Any, reader: Any) -> Any:
    """The slot: None (empty), True (the reader itself), else what is there."""
    slot = queue._stalled_reader
    if slot is None:
        return None
    return True if slot() is reader else repr(slot())


def _trace(reader_cls: Any, queue_cls: Any, reads: list[bytes], *, compress: bool) -> list[Any]:
    """What the application and the transport see: after each read, then
    (the peer gone) after each message read from the queue, to its end."""

    async def run() -> list[Any]:
        protocol = _Protocol()
        queue = queue_cls(protocol, 2**16, loop=asyncio.get_running_loop())
        reader = reader_cls(queue, 4 << 20, compress, True)
        trace: list[Any] = []
        for data in reads:
            trace.append(("read", reader.feed_data(data), len(queue._buffer), _parked(queue, reader)))
        reader.feed_eof()
        trace.append(("transport", protocol.calls[:], protocol._reading_paused))
        while True:
            try:
                msg = await asyncio.wait_for(queue.read(), 1)
            except Exception as exc:  # the reader's error, or the end (EofStream)
                trace.append(("error", type(exc).__name__, str(exc)))
                break
            data = msg.data if isinstance(msg.data, int) else len(msg.data)
            trace.append((int(msg.type), data, len(queue._buffer), _parked(queue, reader), protocol._reading_paused))
        trace.append(("transport", protocol.calls[:], protocol._reading_paused, _parked(queue, reader)))
        return trace

    return asyncio.run(run())


#: What may follow the burst: nothing, part of a header, a header and part
#: of its payload.
_TRAILING = [b"", b"\x81", b"\x82\xfe\x01\x00abcd" + b"x" * 10]


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("split", [None, 1000, 65536])
@pytest.mark.parametrize("trailing", _TRAILING)
def test_a_burst_drains_as_with_aiohttps_reader(
    readers: Any, compress: bool, split: int | None, trailing: bytes
) -> None:
    theirs, ours, queue_cls = readers
    burst = _burst(compress, trailing)
    reads = [burst] if split is None else [burst[i : i + split] for i in range(0, len(burst), split)]
    expected = _trace(theirs, queue_cls, reads, compress=compress)
    assert any(step[3] is True for step in expected if step[0] == "read"), "the burst must stall aiohttp's reader"
    assert _trace(ours, queue_cls, reads, compress=compress) == expected


@pytest.mark.parametrize("compress", [False, True])
def test_a_refused_frame_behind_the_stash_fails_on_the_drain(readers: Any, compress: bool) -> None:
    # A reserved opcode wsframe refuses: aiohttp's parser, handed the rest
    # of the connection on the drain that reaches it, fails it as aiohttp does.
    theirs, ours, queue_cls = readers
    reads = [_burst(compress, trailing=b"\x83\x80abcd")]  # FIN, opcode 3, masked, empty
    expected = _trace(theirs, queue_cls, reads, compress=compress)
    assert expected[-2][0] == "error"
    assert _trace(ours, queue_cls, reads, compress=compress) == expected


@pytest.mark.parametrize("compress", [False, True])
@pytest.mark.parametrize("split", [None, 1000])
def test_after_a_hand_over_a_burst_drains_as_with_aiohttps_reader(
    readers: Any, compress: bool, split: int | None
) -> None:
    # A length that is not minimal (RFC 6455 §5.2): wsframe refuses it,
    # aiohttp reads it, so aiohttp's parser, run on the integration's
    # reader, parses the whole burst and stalls on the queue's slot.
    theirs, ours, queue_cls = readers
    key = b"\x01\x02\x03\x04"
    lead = b"\x81\xfe\x00\x05" + key + bytes(b ^ key[i % 4] for i, b in enumerate(b"hello"))
    stream = lead + _burst(compress)
    reads = [stream] if split is None else [stream[i : i + split] for i in range(0, len(stream), split)]
    expected = _trace(theirs, queue_cls, reads, compress=compress)
    assert any(step[3] is True for step in expected if step[0] == "read")
    assert _trace(ours, queue_cls, reads, compress=compress) == expected


def test_the_stalled_reader_on_the_slot_is_the_reader_and_only_weakly_held(readers: Any) -> None:
    _, ours, queue_cls = readers

    async def run() -> tuple[Any, Any, Any]:
        queue = queue_cls(_Protocol(), 2**16, loop=asyncio.get_running_loop())
        reader = ours(queue, 4 << 20, False, True)
        reader.feed_data(_burst(False))
        parked = queue._stalled_reader() is reader
        ref = weakref.ref(reader)
        del reader
        for _ in range(3):
            gc.collect()
        alive = ref() is not None
        # The queue reports the reader dropped while stalled, after what it holds.
        for _ in range(len(queue._buffer)):
            await queue.read()
        with pytest.raises(RuntimeError, match="strong reference"):
            await queue.read()
        return parked, alive, queue._stalled_reader

    assert asyncio.run(run()) == (True, False, None)


def test_the_probe_requires_the_compiled_reader_to_park_a_subclass(monkeypatch: pytest.MonkeyPatch) -> None:
    base = _reader.reader_base()
    if base.__module__.endswith("reader_py"):
        pytest.skip("aiohttp's pure-Python queue: the reader parks itself")
    assert integration.probe_reader() is None

    class NeverParks(base):  # type: ignore[misc, valid-type]
        def _feed_data(self, data: Any) -> None:
            pass

    monkeypatch.setattr(_reader, "reader_base", lambda: NeverParks)
    assert "does not park a subclass" in (integration.probe_reader() or "")
