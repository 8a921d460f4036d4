"""wsframe.integrations.wsproto: install/uninstall and differential equivalence.

The strongest proof is wsproto's own test suite run with the integration
installed (tools/peer_suites.sh).  These tests add a differential check: the
same random and adversarial byte streams, split at random points, are fed to
wsproto with and without ``install()``; the events (types, payloads, payload
types, partial-frame flags, close codes and ParseFailed messages) must be
identical.
"""

from __future__ import annotations

import random
import sys
import zlib
from typing import Any

import pytest

wsproto = pytest.importorskip("wsproto")
hypothesis = pytest.importorskip("hypothesis")

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from wsproto import frame_protocol as fp  # noqa: E402
from wsproto.connection import Connection, ConnectionType  # noqa: E402
from wsproto.events import CloseConnection  # noqa: E402
from wsproto.extensions import PerMessageDeflate  # noqa: E402
from wsproto.utilities import LocalProtocolError  # noqa: E402

import wsframe.integrations.wsproto as integ  # noqa: E402
from _integration_support import (  # noqa: E402
    BAD_UTF8,
    RULE_BREAKING_KINDS,
    SPLITS,
    TEXT_PAYLOADS,
    frame_strategy,
    raw_frame,
    run_in_fresh_interpreter,
    violation_chunks,
)
from _support import PEER_SETTINGS  # noqa: E402
from wsframe.integrations.wsproto import _batch, _connection  # noqa: E402

ORIGINAL_PROCESS_BUFFER = fp.FrameDecoder.__dict__["process_buffer"]
ORIGINAL_MASKER = fp.XorMaskerSimple


@pytest.fixture(autouse=True)
def _uninstalled():
    integ.uninstall()
    yield
    integ.uninstall()


# --------------------------------------------------------------------------
# Streams: raw_frame and bad_frames (_integration_support) can also produce
# malformed frames.


BAD_KINDS = RULE_BREAKING_KINDS


def frame_specs(masked: bool):  # type: ignore[no-untyped-def]
    """One frame: mostly valid, sometimes broken in one of many ways."""
    return frame_strategy(
        masked,
        texts=TEXT_PAYLOADS,
        close_reasons=[b"", b"bye", b"\xff", "\u00e9".encode()],
        close_extra=[b"\x03"],
        bad_kinds=BAD_KINDS,
    )


def deflate(data: bytes) -> bytes:
    """RFC 7692 §7.2.1: raw DEFLATE, sync-flushed, without the 00 00 FF FF tail."""
    c = zlib.compressobj(wbits=-15)
    out = c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH)
    assert out.endswith(b"\x00\x00\xff\xff")
    return out[:-4]


@st.composite
def compressed_specs(draw, masked: bool):  # type: ignore[no-untyped-def]
    """permessage-deflate messages (RSV1 on the first frame), some broken."""
    mask = draw(st.binary(min_size=4, max_size=4)) if masked else None
    pick = lambda options: draw(st.sampled_from(options))  # noqa: E731
    kind = pick(["text", "binary", "frag", "plain", "bad"])
    if kind in ("text", "binary"):
        data = pick(TEXT_PAYLOADS[:4]) if kind == "text" else draw(st.binary(max_size=300))
        return [raw_frame(1 if kind == "text" else 2, deflate(data), rsv=4, mask=mask)]
    if kind == "frag":
        body = deflate(pick(TEXT_PAYLOADS[:4]) + pick([b"", b"\xe2\x82\xac"]))
        cut = draw(st.integers(0, len(body)))
        out = [raw_frame(1, body[:cut], rsv=4, fin=False, mask=mask)]
        if draw(st.booleans()):
            out.append(raw_frame(9, b"mid", mask=mask))
        out.append(raw_frame(0, body[cut:], mask=mask))
        return out
    if kind == "plain":  # uncompressed message on a deflate connection
        return [raw_frame(1, pick(TEXT_PAYLOADS[:4]), mask=mask)]
    bad = pick(["garbage", "rsv1_control", "rsv1_continuation", "rsv2", "bad_utf8"])
    if bad == "garbage":
        return [raw_frame(2, b"\xff\xff\xff\xff", rsv=4, mask=mask)]
    if bad == "rsv1_control":
        return [raw_frame(9, b"p", rsv=4, mask=mask)]
    if bad == "rsv1_continuation":
        return [raw_frame(1, deflate(b"ab"), rsv=4, fin=False, mask=mask), raw_frame(0, b"", rsv=4, mask=mask)]
    if bad == "rsv2":
        return [raw_frame(1, b"x", rsv=2, mask=mask)]
    return [raw_frame(1, deflate(pick(BAD_UTF8)), rsv=4, mask=mask)]


@st.composite
def streams(draw, masked: bool = True, compressed: bool = False):  # type: ignore[no-untyped-def]
    """A byte stream of several frames and the points where it is split."""
    specs = frame_specs(masked)
    if compressed:
        specs = st.one_of(specs, compressed_specs(masked), compressed_specs(masked))
    frames = draw(st.lists(specs, min_size=1, max_size=8))
    data = b"".join(b"".join(f) for f in frames)
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]  # truncated stream
    n_cuts = draw(st.sampled_from([0, 0, 1, 2, 5, 12]))
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), min_size=n_cuts, max_size=n_cuts)))
    if draw(st.integers(0, 9)) == 0:
        cuts = list(range(len(data)))[:3000]  # byte by byte
    chunks = [data[i:j] for i, j in zip([0, *cuts], [*cuts, len(data)])]
    return chunks


def deflate_extension(client: bool) -> PerMessageDeflate:
    """A negotiated permessage-deflate extension, as after the handshake."""
    ext = PerMessageDeflate()
    if client:
        ext.finalize("permessage-deflate")
    else:
        ext.accept("permessage-deflate")
    assert ext.enabled()
    return ext


def wsproto_state(conn: Connection) -> str:
    """What wsproto keeps between events: its receive buffer, its frame
    decoder's and message decoder's fields, its extensions' inbound state."""
    decoder = conn._proto._frame_decoder
    fields = [
        bytes(decoder.buffer.buffer),
        decoder.buffer.bytes_used,
        decoder.header,
        decoder.effective_opcode,
        decoder.payload_required,
        decoder.payload_consumed,
        conn._proto._message_decoder.opcode,
    ]
    for ext in conn._proto.extensions:
        # The decompressor is wsframe's when installed: whether there is one.
        fields += [ext._inbound_is_compressible, ext._inbound_compressed, ext._decompressor is None]
    return repr(fields)


def run_connection(
    chunks: list[bytes],
    client: bool,
    stop_after: int | None = None,
    local_close: bool = False,
    compressed: bool = False,
) -> list[str]:
    """Feed ``chunks`` to a Connection; describe every observable outcome.

    ``stop_after``: abandon each ``events()`` iteration after that many events
    (a consumer that breaks out of its loop), to check resumption.
    """
    extensions = [deflate_extension(client)] if compressed else None
    conn = Connection(ConnectionType.CLIENT if client else ConnectionType.SERVER, extensions)
    log: list[str] = []
    if local_close:  # we started the closing handshake: state LOCAL_CLOSING
        log.append(repr(conn.send(CloseConnection(code=1000, reason="local"))))
    for chunk in [*chunks, None]:
        try:
            conn.receive_data(chunk)
        except LocalProtocolError as exc:
            log.append(f"LocalProtocolError({exc})")
            break
        taken = 0
        for event in conn.events():
            data = getattr(event, "data", None)
            # After a CloseConnection nothing more is parsed (and after an
            # error wsproto's decoder is left mid-frame): no state to compare.
            state = "" if isinstance(event, CloseConnection) else wsproto_state(conn)
            log.append(f"{event!r} {type(data).__name__} {state}")
            taken += 1
            if stop_after is not None and taken >= stop_after:
                break
        log.append(f"state={conn.state.name}")
    # Drain whatever an early-stopping consumer left behind.
    log.extend(repr(e) for e in conn.events())
    return log


#: The installed configurations the differential tests compare with wsproto
#: alone, as (batch step, threshold): the shipped one; the batch step off
#: (the per-frame path takes every frame); the pure-Python twin of the
#: batch step when the active one is compiled, on every buffer.
CONFIGS = list(
    dict.fromkeys(
        [
            (_batch.Batch, _connection.BATCH_MIN),
            (_batch.Batch, sys.maxsize),
            (_batch.PyBatch, 0),
        ]
    )
)


def run_installed(batch: Any, batch_min: int, run: Any, *args: Any, **kwargs: Any) -> Any:
    """``run(*args, **kwargs)`` with the integration installed, its batch step
    ``batch`` taken on buffers of at least ``batch_min`` bytes."""
    saved = _connection.Batch, _connection.BATCH_MIN
    _connection.Batch, _connection.BATCH_MIN = batch, batch_min
    integ.install()
    assert integ.active()
    try:
        return run(*args, **kwargs)
    finally:
        integ.uninstall()
        _connection.Batch, _connection.BATCH_MIN = saved


def compare(
    chunks: list[bytes],
    client: bool,
    stop_after: int | None = None,
    local_close: bool = False,
    compressed: bool = False,
) -> None:
    """wsproto alone, then installed in each of :data:`CONFIGS`."""
    integ.uninstall()
    expected = run_connection(chunks, client, stop_after, local_close, compressed)
    args = (chunks, client, stop_after, local_close, compressed)
    for batch, batch_min in CONFIGS:
        assert run_installed(batch, batch_min, run_connection, *args) == expected, (batch, batch_min)


SETTINGS = PEER_SETTINGS


@SETTINGS
@given(streams(masked=True))
def test_server_streams_identical(chunks: list[bytes]) -> None:
    compare(chunks, client=False)


@SETTINGS
@given(streams(masked=False))
def test_client_streams_identical(chunks: list[bytes]) -> None:
    compare(chunks, client=True)


@SETTINGS
@given(streams(masked=True, compressed=True))
def test_permessage_deflate_server_identical(chunks: list[bytes]) -> None:
    compare(chunks, client=False, compressed=True)


@SETTINGS
@given(streams(masked=False, compressed=True), st.sampled_from([None, 1, 2]))
def test_permessage_deflate_client_identical(chunks: list[bytes], stop_after: int | None) -> None:
    compare(chunks, client=True, stop_after=stop_after, compressed=True)


@SETTINGS
@given(streams(masked=True))
def test_after_local_close_identical(chunks: list[bytes]) -> None:
    compare(chunks, client=False, local_close=True)


@SETTINGS
@given(streams(masked=True), st.integers(1, 3))
def test_abandoned_iteration_identical(chunks: list[bytes], stop_after: int) -> None:
    compare(chunks, client=False, stop_after=stop_after)


@SETTINGS
@given(streams(masked=True))
def test_frame_decoder_process_buffer_identical(chunks: list[bytes]) -> None:
    """The lower-level FrameDecoder API (which wsproto's tests use) agrees too."""

    def run() -> list[str]:
        decoder = fp.FrameDecoder(client=False)
        out = []
        try:
            for chunk in chunks:
                decoder.receive_bytes(chunk)
                while True:
                    frame = decoder.process_buffer()
                    if frame is None:
                        break
                    out.append(repr(frame))
        except fp.ParseFailed as exc:
            out.append(f"ParseFailed({exc}, {exc.code})")
        return out

    integ.uninstall()
    expected = run()
    integ.install()
    try:
        got = run()
    finally:
        integ.uninstall()
    assert got == expected


def test_fast_path_is_taken() -> None:
    """The accelerated code actually runs (not just the fallback)."""
    integ.install()
    calls = []
    decoder = fp.FrameDecoder(client=False)
    original = fp.FrameDecoder.__dict__["process_buffer"].__wrapped__
    assert original is ORIGINAL_PROCESS_BUFFER
    decoder.receive_bytes(raw_frame(1, b"hello", mask=b"abcd") * 3)
    # The fallback would call wsproto's parse_header: count it.
    real_parse = fp.FrameDecoder.parse_header
    fp.FrameDecoder.parse_header = lambda self: calls.append(1) or real_parse(self)  # type: ignore[method-assign]
    try:
        frames = [decoder.process_buffer() for _ in range(3)]
    finally:
        fp.FrameDecoder.parse_header = real_parse  # type: ignore[method-assign]
    assert [f.payload for f in frames] == [b"hello"] * 3
    assert calls == []


def test_install_uninstall_idempotent_and_reversible() -> None:
    assert fp.XorMaskerSimple is ORIGINAL_MASKER
    integ.install()
    integ.install()
    assert fp.XorMaskerSimple is not ORIGINAL_MASKER
    assert issubclass(fp.XorMaskerSimple, ORIGINAL_MASKER)
    assert fp.FrameDecoder.__dict__["process_buffer"] is not ORIGINAL_PROCESS_BUFFER
    integ.uninstall()
    integ.uninstall()
    assert fp.XorMaskerSimple is ORIGINAL_MASKER
    assert fp.FrameDecoder.__dict__["process_buffer"] is ORIGINAL_PROCESS_BUFFER
    assert not integ.is_installed() and not integ.active()


@pytest.mark.parametrize("key", [b"1234", bytearray(b"\x00\xff\x10\x80")])
def test_xor_masker_matches_wsproto(key: bytes) -> None:
    integ.install()
    fast = fp.XorMaskerSimple(key)
    integ.uninstall()
    slow = fp.XorMaskerSimple(key)
    for size in [0, 1, 3, 4, 5, 17, 0, 2, 1000]:
        for kind in (bytes, bytearray):
            data = kind(bytes(range(256))[:size])
            a, b = fast.process(data), slow.process(data)
            # wsproto 1.3: a new bytearray; 1.2: bytes, or data itself when empty.
            assert a == b and type(a) is type(b)
            assert (a is data) == (b is data)
            assert fast._masking_key == slow._masking_key


def test_install_before_import_in_fresh_interpreter() -> None:
    """install() before wsproto is imported patches it on import; uninstall() restores."""
    out = run_in_fresh_interpreter(
        """
        import sys
        import wsframe.integrations.wsproto as integ
        assert "wsproto" not in sys.modules
        integ.install()
        from wsproto import frame_protocol as fp
        from wsproto.connection import Connection, ConnectionType
        assert integ.active(), "not patched on import"
        assert getattr(fp.XorMaskerSimple, "__wsframe__", False)
        c = Connection(ConnectionType.SERVER)
        c.receive_data(bytes([0x81, 0x82, 1, 2, 3, 4, ord("h") ^ 1, ord("i") ^ 2]))
        (ev,) = c.events()
        assert ev.data == "hi", ev
        integ.uninstall()
        assert not getattr(fp.XorMaskerSimple, "__wsframe__", False)
        print("ok")
        """
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


@pytest.mark.parametrize("client", [False, True])
@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("bad", BAD_KINDS)
def test_each_violation_identical(bad: str, split: str, client: bool) -> None:
    """Every kind of violation, framed by valid frames, in several splits."""
    mask = None if client else b"\x37\xfa\x21\x3d"
    compare(violation_chunks(bad, split, mask), client=client)


@pytest.mark.parametrize("compressed", [False, True])
def test_connection_fast_path_is_taken(compressed: bool) -> None:
    """Connection.events takes whole frames without wsproto's parser, with or without deflate."""
    integ.install()
    conn = Connection(ConnectionType.SERVER, [deflate_extension(False)] if compressed else None)
    body = deflate(b"hello") if compressed else b"hello"
    frame = raw_frame(1, body, rsv=4 if compressed else 0, mask=b"abcd")
    calls = []
    real_parse = fp.FrameDecoder.parse_header
    fp.FrameDecoder.parse_header = lambda self: calls.append(1) or real_parse(self)  # type: ignore[method-assign]
    try:
        conn.receive_data(frame * 3)
        events = list(conn.events())
    finally:
        fp.FrameDecoder.parse_header = real_parse  # type: ignore[method-assign]
    assert [e.data for e in events] == ["hello"] * 3
    assert calls == []


# --------------------------------------------------------------------------
# The batch step of Connection.events


class CountingBatch:
    """Wraps the active batch step, counting the events it hands out."""

    made: list[int] = []
    copied: list[int] = []

    def __init__(self, *args: Any) -> None:
        self._inner = _batch.Batch(*args)
        CountingBatch.made.append(0)
        buffer, window = args[0], args[-1]
        CountingBatch.copied.append(min(len(buffer), window))

    def __iter__(self) -> CountingBatch:
        return self

    def __next__(self) -> Any:
        item = next(self._inner)
        CountingBatch.made[-1] += 1
        return item


@pytest.mark.parametrize("compressed", [False, True])
def test_batch_step_is_taken(compressed: bool) -> None:
    """A read of many whole messages goes through the batch step, with the
    default threshold: every message of it, and no wsproto parser call."""
    texts = [f"message {i} {'x' * (i % 50)}".encode() for i in range(40)]
    if compressed:
        frames = [raw_frame(1, deflate(t), rsv=4, mask=b"abcd") for t in texts]
    else:
        frames = [raw_frame(1, t, mask=b"abcd") for t in texts]
    data = b"".join(frames)
    assert len(data) >= _connection.BATCH_MIN
    calls = []
    real_parse = fp.FrameDecoder.parse_header
    CountingBatch.made = []

    def run() -> list[Any]:
        conn = Connection(ConnectionType.SERVER, [deflate_extension(False)] if compressed else None)
        fp.FrameDecoder.parse_header = lambda self: calls.append(1) or real_parse(self)  # type: ignore[method-assign]
        try:
            conn.receive_data(data)
            return list(conn.events())
        finally:
            fp.FrameDecoder.parse_header = real_parse  # type: ignore[method-assign]

    events = run_installed(CountingBatch, _connection.BATCH_MIN, run)
    assert [e.data for e in events] == [t.decode() for t in texts]
    assert calls == []
    # Compressed: the first message makes the decompressor (the per-frame
    # path); the batch takes it from there.
    assert sum(CountingBatch.made) >= len(texts) - 1
    assert len(CountingBatch.made) <= 2


@pytest.mark.parametrize("one_event_per_call", [False, True])
def test_batch_copies_stay_linear(one_event_per_call: bool) -> None:
    """A read of many small messages with a control frame between each two
    (every batch step stops early), or consumed one event per ``events()``
    call: the bytes the batch steps copy stay within a constant per frame,
    not the whole buffer each time."""
    mask = b"\x05\x06\x07\x08"
    frames = []
    for i in range(12000 if one_event_per_call else 3000):
        frames.append(raw_frame(1, f"message {i}".encode(), mask=mask))
        if not one_event_per_call:
            frames.append(raw_frame(9, b"p", mask=mask))
    data = b"".join(frames)
    CountingBatch.made, CountingBatch.copied = [], []

    def run() -> int:
        conn = Connection(ConnectionType.SERVER)
        conn.receive_data(data)
        count = 0
        if one_event_per_call:
            while next(conn.events(), None) is not None:
                count += 1
        else:
            count = sum(1 for _ in conn.events())
        return count

    assert run_installed(CountingBatch, _connection.BATCH_MIN, run) == len(frames)
    steps = len(CountingBatch.copied)
    assert sum(CountingBatch.copied) <= 2 * len(data) + steps * _connection.BATCH_WINDOW
    assert sum(CountingBatch.copied) < len(data) * len(frames) // 8  # far below whole-buffer copies


def scripted(client: bool, compressed: bool, data: bytes, script: str) -> list[str]:
    """Feed ``data`` to a Connection in two halves and drive two ``events()``
    generators by ``script``: ``a``/``b`` take one event from either, ``r``
    receives the second half, ``x`` drains a fresh generator."""
    conn = Connection(
        ConnectionType.CLIENT if client else ConnectionType.SERVER,
        [deflate_extension(client)] if compressed else None,
    )
    half = len(data) // 2
    conn.receive_data(data[:half])
    gens = {"a": conn.events(), "b": conn.events()}
    log = []
    for step in script:
        if step == "r":
            conn.receive_data(data[half:])
            continue
        if step == "x":
            log.extend(f"x {e!r}" for e in conn.events())
            continue
        event = next(gens[step], None)
        log.append(f"{step} {event!r} {type(getattr(event, 'data', None)).__name__}")
    return log


@pytest.mark.parametrize("compressed", [False, True])
@pytest.mark.parametrize("script", ["aabbaraabbx", "abababrbababx", "arbrabx", "aaaaaaaarbbbbbbbbx"])
def test_interleaved_generators_identical(compressed: bool, script: str) -> None:
    """Two events() generators of one connection, advanced in turn, and data
    received between their steps: the batch step stops when the buffer is not
    as it left it, so events come out as wsproto's own (no repeat, no loss)."""
    mask = b"\x01\x02\x03\x04"
    texts = [f"event {i} {'y' * (i * 7 % 60)}".encode() for i in range(16)]
    frames = [raw_frame(1, deflate(t) if compressed else t, rsv=4 if compressed else 0, mask=mask) for t in texts]
    frames.insert(5, raw_frame(9, b"ping", mask=mask))
    frames.append(raw_frame(8, b"\x03\xe8bye", mask=mask))
    data = b"".join(frames)
    integ.uninstall()
    expected = scripted(False, compressed, data, script)
    for batch, batch_min in CONFIGS:
        assert run_installed(batch, batch_min, scripted, False, compressed, data, script) == expected, batch


# --------------------------------------------------------------------------
# permessage-deflate through wsframe.deflate.Inflater


def context_stream(texts: list[bytes], reset: bool, mask: bytes | None) -> bytes:
    """Compressed messages from one compressor (context takeover unless ``reset``)."""
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    out = []
    for i, text in enumerate(texts):
        body = c.compress(text) + c.flush(zlib.Z_FULL_FLUSH if reset else zlib.Z_SYNC_FLUSH)
        op = 1 if i % 3 else 2
        if i % 4 == 3:  # fragmented (a ping in between would hit a wsproto quirk:
            # it ends the compressed message, which compressed_specs covers)
            cut = len(body) // 2
            out += [raw_frame(op, body[:cut], rsv=4, fin=False, mask=mask), raw_frame(0, body[cut:-4], mask=mask)]
        else:
            out.append(raw_frame(op, body[:-4], rsv=4, mask=mask))
    return b"".join(out)


def deflate_events(data: bytes, client: bool, ext: PerMessageDeflate, size: int) -> list[str]:
    conn = Connection(ConnectionType.CLIENT if client else ConnectionType.SERVER, [ext])
    log = []
    for i in range(0, len(data), size):
        conn.receive_data(data[i : i + size])
        log += [f"{e!r} {type(getattr(e, 'data', None)).__name__}" for e in conn.events()]
    return log


@pytest.mark.parametrize("client", [False, True])
@pytest.mark.parametrize("no_context_takeover", [False, True])
@pytest.mark.parametrize("size", [7, 4096, 1 << 20])
def test_deflate_with_context_identical(client: bool, no_context_takeover: bool, size: int) -> None:
    texts = [f"message {i}: {'abc' * (i % 40)} \u20ac".encode() for i in range(60)]
    data = context_stream(texts, no_context_takeover, None if client else b"k3y!")

    def ext() -> PerMessageDeflate:
        e = deflate_extension(client)
        if client:
            e.server_no_context_takeover = no_context_takeover
        else:
            e.client_no_context_takeover = no_context_takeover
        return e

    expected = deflate_events(data, client, ext(), size)
    assert sum("TextMessage" in line or "BytesMessage" in line for line in expected) >= 60
    for batch, batch_min in CONFIGS:
        e = ext()
        assert run_installed(batch, batch_min, deflate_events, data, client, e, size) == expected
        assert e._decompressor is None or type(e._decompressor).__name__ == "ZlibCompatibleInflater"


def test_deflate_connection_survives_uninstall() -> None:
    """An Inflater left in wsproto's _decompressor keeps working with wsproto's own hooks."""
    texts = [b"first message " * 3, b"second message " * 3, b"third " * 9]
    data = context_stream(texts, False, b"k3y!")
    first_two = data[: len(context_stream(texts[:2], False, b"k3y!"))]
    expected = deflate_events(data, False, deflate_extension(False), 1 << 20)
    integ.install()
    ext = deflate_extension(False)
    conn = Connection(ConnectionType.SERVER, [ext])
    conn.receive_data(first_two)
    got = [f"{e!r} {type(e.data).__name__}" for e in conn.events()]
    integ.uninstall()
    assert type(ext._decompressor).__name__ == "ZlibCompatibleInflater"
    conn.receive_data(data[len(first_two) :])
    got += [f"{e!r} {type(e.data).__name__}" for e in conn.events()]
    assert got == expected


@pytest.mark.parametrize("fragmented", [False, True])
def test_opt_in_inflated_size_bound(fragmented: bool) -> None:
    from wsproto.events import BytesMessage, CloseConnection

    def stream(size: int) -> bytes:
        c = zlib.compressobj(1, zlib.DEFLATED, -15)
        chunk = b"\0" * (1 << 20)
        parts = [c.compress(chunk) for _ in range(size >> 20)]
        parts += [c.compress(b"\0" * (size & ((1 << 20) - 1))), c.flush(zlib.Z_SYNC_FLUSH)]
        body = b"".join(parts)[:-4]
        if not fragmented:
            return raw_frame(2, body, rsv=4, mask=b"m4sk")
        cut = len(body) // 2
        return raw_frame(2, body[:cut], rsv=4, fin=False, mask=b"m4sk") + raw_frame(0, body[cut:], mask=b"m4sk")

    def receive(data: bytes) -> list[Any]:
        conn = Connection(ConnectionType.SERVER, [deflate_extension(False)])
        conn.receive_data(data)
        return list(conn.events())

    integ.install()
    # Off by default: wsproto's behaviour, no bound.
    (*_, big) = receive(stream(5_000_000))
    assert isinstance(big, BytesMessage) and big.message_finished
    with pytest.raises(ValueError):
        integ.set_max_inflated_size(-1)
    with pytest.raises(TypeError):
        integ.set_max_inflated_size(1.5)  # type: ignore[arg-type]
    integ.set_max_inflated_size(100_000)
    try:
        events = receive(stream(100_000))  # exactly the limit: passes
        assert sum(len(e.data) for e in events if isinstance(e, BytesMessage)) == 100_000
        events = receive(stream(100_001))
        assert isinstance(events[-1], CloseConnection) and events[-1].code == 1009
        events = receive(stream(256 << 20))  # a 256 MiB bomb, ~0.25 MiB on the wire
        assert isinstance(events[-1], CloseConnection) and events[-1].code == 1009
    finally:
        integ.set_max_inflated_size(None)


@pytest.mark.parametrize("chunk", [None, 600])
def test_reference_beyond_the_agreed_window_is_read_with_the_integration(chunk: int | None) -> None:
    """The documented difference (docs/integrations.md): wsframe inflates every message
    with a 32 KiB window, so a back-reference beyond the agreed 9-bit window (into the
    previous message) is read, where wsproto's zlib object with a 512-byte window fails
    the connection (1007)."""
    from wsproto.events import BytesMessage

    rng = random.Random(1)
    block = bytes(rng.randrange(256) for _ in range(2000))
    c = zlib.compressobj(6, zlib.DEFLATED, -15)  # the peer compresses with 32 KiB
    bodies = [(c.compress(block) + c.flush(zlib.Z_SYNC_FLUSH))[:-4] for _ in range(2)]
    data = b"".join(raw_frame(2, body, rsv=4, mask=b"m4sk") for body in bodies)

    def receive() -> list[Any]:
        ext = PerMessageDeflate()
        ext.accept("permessage-deflate; client_max_window_bits=9")
        assert ext.client_max_window_bits == 9
        conn = Connection(ConnectionType.SERVER, [ext])
        events: list[Any] = []
        for i in range(0, len(data), chunk or len(data)):
            conn.receive_data(data[i : i + (chunk or len(data))])
            events += conn.events()
        return events

    alone = receive()
    assert isinstance(alone[-1], CloseConnection) and alone[-1].code == 1007
    integ.install()
    installed = receive()
    # (read in pieces, wsproto hands each message out in several events)
    assert b"".join(bytes(e.data) for e in installed if isinstance(e, BytesMessage)) == block * 2
    assert not any(isinstance(e, CloseConnection) for e in installed)
