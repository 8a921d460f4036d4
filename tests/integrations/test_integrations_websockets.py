"""wsframe.integrations.websockets: differential equivalence on ServerProtocol.

websockets' PyPI sdist ships no tests, so the integration is proven
differentially: random and adversarial client streams (valid, fragmented,
malformed, truncated, split at random points, down to single bytes) are fed to
websockets' Sans-I/O ``ServerProtocol`` (and ``ClientProtocol``) with and
without ``install()``; events (frames, payload types), outgoing bytes, state,
close codes and reasons, and the parser's exception must be identical.
"""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("websockets")
pytest.importorskip("hypothesis")

from hypothesis import given
from hypothesis import strategies as st
from websockets import frames as ws_frames
from websockets.client import ClientProtocol
from websockets.protocol import State
from websockets.server import ServerProtocol

import wsframe.integrations.websockets as integ
from _integration_support import (
    RULE_BREAKING_KINDS,
    SPLITS,
    TEXT_PAYLOADS,
    frame_strategy,
    raw_frame,
    run_in_fresh_interpreter,
    violation_chunks,
)
from _support import PEER_SETTINGS

ORIGINAL_APPLY_MASK = ws_frames.apply_mask
ORIGINAL_PARSE = ws_frames.Frame.__dict__["parse"]
ORIGINAL_SERIALIZE = ws_frames.Frame.serialize


@pytest.fixture(autouse=True)
def _uninstalled():
    integ.uninstall()
    yield
    integ.uninstall()


BAD_KINDS = [
    *RULE_BREAKING_KINDS,
    "too_big",
    "close_bad",
]  # "too_big" frames are 5000 bytes: max_size is 4096 below


def frame_specs(masked: bool):  # type: ignore[no-untyped-def]
    """One frame: mostly valid, sometimes broken (texts within max_size)."""
    return frame_strategy(
        masked,
        texts=TEXT_PAYLOADS[:4],
        close_reasons=[b"", b"bye", "\u00e9".encode()],
        close_extra=[],
        bad_kinds=BAD_KINDS,
    )


@st.composite
def streams(draw, masked: bool = True):  # type: ignore[no-untyped-def]
    frames = draw(st.lists(frame_specs(masked), min_size=1, max_size=8))
    data = b"".join(b"".join(f) for f in frames)
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    n_cuts = draw(st.sampled_from([0, 0, 1, 2, 5, 12]))
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), min_size=n_cuts, max_size=n_cuts)))
    if draw(st.integers(0, 9)) == 0:
        cuts = list(range(len(data)))[:3000]
    return [data[i:j] for i, j in zip([0, *cuts], [*cuts, len(data)])]


def run_protocol(
    chunks: list[bytes],
    client: bool,
    eof: bool = True,
    deflate: tuple[bool, int] | None = None,
    max_size: Any = 4096,
) -> list[str]:
    """Feed ``chunks`` to a Sans-I/O protocol; describe everything observable.

    ``deflate``: ``(remote_no_context_takeover, remote_max_window_bits)`` of a
    negotiated permessage-deflate extension, or ``None``.
    """
    if client:
        proto: ServerProtocol | ClientProtocol = ClientProtocol(ws_frames_uri(), state=State.OPEN, max_size=max_size)
    else:
        proto = ServerProtocol(state=State.OPEN, max_size=max_size)
    if deflate is not None:
        from websockets.extensions.permessage_deflate import PerMessageDeflate

        proto.parser = proto.parse()  # restart the parser with the extension in place
        proto.extensions = [PerMessageDeflate(deflate[0], False, deflate[1], 15)]
        next(proto.parser)
    log: list[str] = []

    def snapshot() -> None:
        for event in proto.events_received():
            log.append(f"{event!r} {type(getattr(event, 'data', None)).__name__}")
        log.append(f"out={b''.join(proto.data_to_send())!r}")
        log.append(f"state={proto.state.name} close={proto.close_code} {proto.close_reason!r}")
        # What the reader still holds: the one-pass loop consumes exactly what websockets' would.
        log.append(f"buffered={bytes(proto.reader.buffer)!r} size={proto.current_size}")
        exc = proto.parser_exc
        log.append(f"exc={type(exc).__name__}:{exc}" if exc is not None else "exc=None")

    # A client masks what it sends with random keys (RFC 6455 §5.3): make them
    # deterministic so that outgoing bytes can be compared.
    real_secrets = ws_frames.secrets
    ws_frames.secrets = _CountingSecrets()  # type: ignore[assignment]
    try:
        for chunk in chunks:
            proto.receive_data(chunk)
            snapshot()
        if eof:
            proto.receive_eof()
            snapshot()
    finally:
        ws_frames.secrets = real_secrets
    return log


class _CountingSecrets:
    """Stand-in for the ``secrets`` module: predictable mask keys."""

    def __init__(self) -> None:
        self.n = 0

    def token_bytes(self, n: int) -> bytes:
        self.n += 1
        return bytes((self.n * 37 + i * 11) & 0xFF for i in range(n))


def ws_frames_uri():  # type: ignore[no-untyped-def]
    from websockets.uri import parse_uri

    return parse_uri("ws://localhost/")


def compare(
    chunks: list[bytes],
    client: bool = False,
    deflate: tuple[bool, int] | None = None,
    max_size: Any = 4096,
) -> None:
    integ.uninstall()
    expected = run_protocol(chunks, client, deflate=deflate, max_size=max_size)
    integ.install()
    assert integ.active()
    try:
        got = run_protocol(chunks, client, deflate=deflate, max_size=max_size)
    finally:
        integ.uninstall()
    assert got == expected


SETTINGS = PEER_SETTINGS


@SETTINGS
@given(streams(masked=True))
def test_server_protocol_identical(chunks: list[bytes]) -> None:
    compare(chunks)


@SETTINGS
@given(streams(masked=True), st.sampled_from([(4096, 100), (None, 150), (300, None), None]))
def test_server_protocol_identical_with_message_and_fragment_limits(chunks: list[bytes], max_size: Any) -> None:
    # max_size=(message, fragment): the receive loop's per-frame limit follows
    # websockets' (current_size of a fragmented message included).
    compare(chunks, max_size=max_size)


@SETTINGS
@given(streams(masked=False))
def test_client_protocol_identical(chunks: list[bytes]) -> None:
    compare(chunks, client=True)


@pytest.mark.parametrize("client", [False, True])
@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("bad", BAD_KINDS)
def test_each_violation_identical(bad: str, split: str, client: bool) -> None:
    mask = None if client else b"\x37\xfa\x21\x3d"
    compare(violation_chunks(bad, split, mask), client=client)


def test_large_and_fragmented_messages_identical() -> None:
    mask = b"\x01\x02\x03\x04"
    big = bytes(range(256)) * 16  # exactly max_size
    data = raw_frame(2, big, mask=mask) + raw_frame(1, b"a" * 100, fin=False, mask=mask)
    data += raw_frame(0, "\u20ac".encode() * 30, mask=mask) + raw_frame(8, b"\x03\xe8bye", mask=mask)
    for chunks in ([data], [data[:7], data[7:3000], data[3000:]]):
        compare(chunks)
    # 16- and 64-bit lengths among short frames in one read (no limit).
    huge = raw_frame(2, b"h" * 70000, mask=mask)
    data = _server_frames(3) + huge + raw_frame(1, b"x" * 126, mask=mask) + _server_frames(2)
    for chunks in ([data], [data[:70010], data[70010:]]):
        compare(chunks, max_size=None)
        compare(chunks, max_size=(None, 126))


class _CountingServer(ServerProtocol):
    """A server that sees every frame through its own ``recv_frame``."""

    def recv_frame(self, frame: Any) -> None:
        self.events.append(f"seen {frame.opcode.name}")
        super().recv_frame(frame)


@SETTINGS
@given(streams(masked=True))
def test_overridden_recv_frame_identical(chunks: list[bytes]) -> None:
    # recv_frame replaced by a subclass: every frame goes through it.
    def run() -> list[str]:
        proto = _CountingServer(state=State.OPEN, max_size=4096)
        log: list[str] = []
        for chunk in [*chunks, None]:
            if chunk is None:
                proto.receive_eof()
            else:
                proto.receive_data(chunk)
            log += [repr(e) for e in proto.events_received()]
            log.append(f"{b''.join(proto.data_to_send())!r} {proto.state.name} {bytes(proto.reader.buffer)!r}")
            log.append(repr(proto.parser_exc))
        return log

    expected = run()
    integ.install()
    try:
        assert run() == expected
    finally:
        integ.uninstall()


@SETTINGS
@given(st.binary(max_size=2000), st.binary(min_size=4, max_size=4))
def test_apply_mask_identical(data: bytes, mask: bytes) -> None:
    assert integ.apply_mask(data, mask) == ORIGINAL_APPLY_MASK(data, mask)
    assert integ.apply_mask(bytearray(data), memoryview(mask)) == ORIGINAL_APPLY_MASK(data, mask)


def test_apply_mask_errors_match() -> None:
    for bad in (b"abc", b"abcde"):
        with pytest.raises(ValueError) as ours:
            integ.apply_mask(b"data", bad)
        with pytest.raises(ValueError) as theirs:
            ORIGINAL_APPLY_MASK(b"data", bad)
        assert str(ours.value) == str(theirs.value)


def test_install_uninstall_idempotent_and_reversible() -> None:
    integ.install()
    integ.install()
    assert ws_frames.apply_mask is integ.apply_mask
    assert ws_frames.Frame.__dict__["parse"] is not ORIGINAL_PARSE
    integ.uninstall()
    integ.uninstall()
    assert ws_frames.apply_mask is ORIGINAL_APPLY_MASK
    assert ws_frames.Frame.__dict__["parse"] is ORIGINAL_PARSE


def test_fast_path_is_taken() -> None:
    """A buffered frame is parsed without websockets' read_exact round trips."""
    from websockets.streams import StreamReader

    calls: list[int] = []
    real = StreamReader.read_exact

    def counting(self, n):  # type: ignore[no-untyped-def]
        calls.append(n)
        return (yield from real(self, n))

    def parse_one() -> bytes:
        reader = StreamReader()
        reader.feed_data(raw_frame(1, b"hi", mask=b"abcd") + b"\x81")
        with pytest.raises(StopIteration) as stop:
            next(ws_frames.Frame.parse(reader.read_exact, mask=True))
        assert reader.buffer == b"\x81"
        return stop.value.value.data  # type: ignore[no-any-return]

    StreamReader.read_exact = counting  # type: ignore[method-assign]
    try:
        assert parse_one() == b"hi"
        assert calls == [2, 4, 2]  # websockets: header, mask, payload
        calls.clear()
        integ.install()
        assert parse_one() == b"hi"
        assert calls == []
    finally:
        StreamReader.read_exact = real  # type: ignore[method-assign]


def test_install_before_import_in_fresh_interpreter() -> None:
    out = run_in_fresh_interpreter(
        """
        import sys
        import wsframe.integrations.websockets as integ
        assert "websockets.frames" not in sys.modules
        integ.install()
        import websockets.frames as f
        assert f.apply_mask is integ.apply_mask and integ.active()
        integ.uninstall()
        assert f.apply_mask is not integ.apply_mask
        print("ok")
        """
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


@pytest.mark.parametrize("mask", [False, True])
def test_serialize_identical(mask: bool) -> None:
    """Frame.serialize through wsframe's encoder: the same bytes, errors and extensions."""
    from websockets.extensions.permessage_deflate import PerMessageDeflate
    from websockets.frames import Frame, Opcode

    frames = [
        Frame(op, data, fin=fin)
        for op in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT)
        for data in (b"", b"x", b"y" * 125, b"z" * 126, b"w" * 65535, b"v" * 65536)
        for fin in (True, False)
    ]
    frames += [
        Frame(Opcode.PING, b"p" * 125),
        Frame(Opcode.PONG, b""),
        Frame(Opcode.CLOSE, b"\x03\xe8bye"),
        Frame(Opcode.BINARY, bytearray(b"ba")),
        Frame(Opcode.BINARY, memoryview(b"0123456789")[2:7]),
    ]
    bad = [Frame(Opcode.PING, b"p" * 126), Frame(Opcode.PONG, b"", fin=False)]

    def run() -> list[object]:
        real = ws_frames.secrets
        ws_frames.secrets = _CountingSecrets()  # type: ignore[assignment]
        try:
            out: list[object] = [f.serialize(mask=mask) for f in frames]
            ext = PerMessageDeflate(False, False, 15, 15)
            out += [f.serialize(mask=mask, extensions=[ext]) for f in frames[:12]]
            for f in bad:
                try:
                    f.serialize(mask=mask)
                except Exception as exc:
                    out.append(f"{type(exc).__name__}: {exc}")
            return out
        finally:
            ws_frames.secrets = real

    expected = run()
    integ.install()
    assert ws_frames.Frame.serialize is not ORIGINAL_SERIALIZE
    assert run() == expected
    if mask:  # with websockets' own key source, keys come from wsframe.frames.new_mask
        a, b = (Frame(Opcode.TEXT, b"same").serialize(mask=True) for _ in range(2))
        assert a[:2] == b[:2] == b"\x81\x84" and a[2:6] != b[2:6]


def test_key_sources_replaced_before_install_are_called(monkeypatch: pytest.MonkeyPatch) -> None:
    # A test that wants known keys may replace them before install(), as
    # after it: websockets would call the replacement, so the patch does.
    import secrets

    from websockets.frames import Frame, Opcode

    monkeypatch.setattr(secrets, "token_bytes", lambda n: b"\x05\x06\x07\x08"[:n])
    assert integ.install()
    assert Frame(Opcode.BINARY, b"x").serialize(mask=True)[2:6] == b"\x05\x06\x07\x08"
    monkeypatch.undo()  # the stdlib's own again: keys from wsframe.frames.new_mask
    a, b = (Frame(Opcode.BINARY, b"x").serialize(mask=True)[2:6] for _ in range(2))
    assert a != b and b"\x05\x06\x07\x08" not in (a, b)
    integ.uninstall()
    monkeypatch.setattr(ws_frames, "secrets", _CountingSecrets())
    assert integ.install()  # a stand-in module is websockets' key source too
    expected = _CountingSecrets()
    for _ in range(3):
        key = expected.token_bytes(4)
        assert Frame(Opcode.TEXT, b"k").serialize(mask=True)[2:6] == key


# --------------------------------------------------------------------------
# permessage-deflate: PerMessageDeflate.decode on wsframe.deflate.Inflater


@st.composite
def compressed_streams(draw, client: bool):  # type: ignore[no-untyped-def]
    """(chunks, (remote_no_context_takeover, bits)): compressed messages from one
    compressor, some fragmented, oversized, corrupt or with RSV1 misplaced."""
    import zlib

    reset = draw(st.booleans())
    bits = draw(st.sampled_from([15, 9]))
    c = zlib.compressobj(6, zlib.DEFLATED, -bits)
    mask = None if client else draw(st.binary(min_size=4, max_size=4))
    out = []
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["msg", "msg", "frag", "plain", "big", "bad"]))
        if kind == "plain":
            out.append(raw_frame(1, b"plain text", mask=mask))
            continue
        if kind == "bad":
            bad = draw(st.sampled_from(["garbage", "rsv1_cont", "rsv1_ping"]))
            if bad == "garbage":
                out.append(raw_frame(2, b"\xff\xfe\xfd\xfc", rsv=4, mask=mask))
            elif bad == "rsv1_cont":
                out += [raw_frame(1, b"\x02\x00", rsv=4, fin=False, mask=mask), raw_frame(0, b"", rsv=4, mask=mask)]
            else:
                out.append(raw_frame(9, b"p", rsv=4, mask=mask))
            break  # the connection fails here
        size = draw(st.sampled_from([4094, 4096, 4097, 5000])) if kind == "big" else None
        text = (b"%d" % draw(st.integers(0, 10**6))) * 50
        data = (text * 100)[:size] if size is not None else text[: draw(st.integers(0, 400))]
        flush = zlib.Z_FULL_FLUSH if reset else zlib.Z_SYNC_FLUSH
        body = (c.compress(data) + c.flush(flush))[:-4]
        op = draw(st.sampled_from([1, 2])) if kind != "big" else 2
        if op == 1:
            data = data.decode().encode()
        if kind == "frag":
            cut = draw(st.integers(0, len(body)))
            out.append(raw_frame(op, body[:cut], rsv=4, fin=False, mask=mask))
            if draw(st.booleans()):
                out.append(raw_frame(9, b"mid", mask=mask))
            out.append(raw_frame(0, body[cut:], mask=mask))
        else:
            out.append(raw_frame(op, body, rsv=4, mask=mask))
        if kind == "big":
            break  # websockets may fail the connection (1009)
    data = b"".join(out)
    n_cuts = draw(st.sampled_from([0, 1, 3, 10]))
    cuts = sorted(draw(st.lists(st.integers(0, len(data)), min_size=n_cuts, max_size=n_cuts)))
    chunks = [data[i:j] for i, j in zip([0, *cuts], [*cuts, len(data)])]
    return chunks, (reset, bits)


@SETTINGS
@given(compressed_streams(client=False))
def test_server_permessage_deflate_identical(case) -> None:  # type: ignore[no-untyped-def]
    chunks, deflate = case
    compare(chunks, deflate=deflate)


@SETTINGS
@given(compressed_streams(client=True))
def test_client_permessage_deflate_identical(case) -> None:  # type: ignore[no-untyped-def]
    chunks, deflate = case
    compare(chunks, client=True, deflate=deflate)


def test_permessage_deflate_goes_through_wsframe() -> None:
    from websockets.extensions.permessage_deflate import PerMessageDeflate

    integ.install()
    ext = PerMessageDeflate(False, False, 15, 15)
    assert type(ext.decoder).__name__ == "ZlibCompatibleInflater"
    assert PerMessageDeflate(True, False, 15, 15).__dict__.get("decoder") is None
    assert type(PerMessageDeflate(False, False, 8, 15).decoder).__name__ == "Decompress"


def test_reference_beyond_the_agreed_window_is_read_with_the_integration() -> None:
    """The documented difference (docs/integrations.md): wsframe inflates every message
    with a 32 KiB window, so a back-reference beyond the agreed 9-bit window (into the
    previous message) is read, where websockets' zlib decoder with a 512-byte window
    fails ("decompression failed")."""
    import random
    import zlib

    from websockets.exceptions import ProtocolError as WsProtocolError
    from websockets.extensions.permessage_deflate import PerMessageDeflate

    rng = random.Random(1)
    block = bytes(rng.randrange(256) for _ in range(2000))
    c = zlib.compressobj(6, zlib.DEFLATED, -15)  # the peer compresses with 32 KiB
    bodies = [(c.compress(block) + c.flush(zlib.Z_SYNC_FLUSH))[:-4] for _ in range(2)]

    def decode() -> list[bytes]:
        ext = PerMessageDeflate(False, False, 9, 15)  # remote_max_window_bits=9
        return [bytes(ext.decode(ws_frames.Frame(ws_frames.Opcode.BINARY, b, rsv1=True)).data) for b in bodies]

    with pytest.raises(WsProtocolError, match="decompression failed"):
        decode()
    integ.install()
    assert decode() == [block, block]


# --------------------------------------------------------------------------
# the receive loop: Protocol.parse takes every buffered frame in one pass


def _server_frames(count: int) -> bytes:
    return b"".join(raw_frame(1 if i % 3 else 2, b"message %d" % i, mask=b"k%03d" % i) for i in range(count))


def test_receive_loop_takes_buffered_frames_in_one_pass() -> None:
    from websockets.streams import StreamReader

    calls: list[int] = []
    real = StreamReader.at_eof

    def counting(self):  # type: ignore[no-untyped-def]
        calls.append(1)
        return (yield from real(self))

    def receive() -> list[bytes]:
        proto = ServerProtocol(state=State.OPEN)
        proto.receive_data(_server_frames(20))
        return [event.data for event in proto.events_received()]

    StreamReader.at_eof = counting  # type: ignore[method-assign]
    try:
        expected = receive()
        assert len(calls) == 21  # websockets: once per frame, then once to wait
        calls.clear()
        integ.install()
        assert receive() == expected
        assert len(calls) == 2  # one pass over the 20 frames, then once to wait
    finally:
        StreamReader.at_eof = real  # type: ignore[method-assign]


@pytest.mark.parametrize("client", [False, True])
def test_receive_loop_debug_log_identical(client: bool) -> None:
    import logging

    def run() -> list[str]:
        records: list[str] = []
        logger = logging.getLogger(f"wsframe-test-{client}")
        logger.setLevel(logging.DEBUG)
        handler = logging.Handler()
        handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
        logger.addHandler(handler)
        try:
            if client:
                proto: Any = ClientProtocol(ws_frames_uri(), state=State.OPEN, logger=logger)
                wire = b"".join(raw_frame(1, b"t%d" % i) for i in range(5))
            else:
                proto = ServerProtocol(state=State.OPEN, logger=logger)
                wire = _server_frames(5)
            wire += raw_frame(8, b"\x03\xe8bye", mask=None if client else b"abcd")
            proto.receive_data(wire[:17])
            proto.receive_data(wire[17:])
            records.append(repr(proto.events_received()))
        finally:
            logger.removeHandler(handler)
        return [r for r in records if not r.startswith("> ")]  # sent frames: random keys

    expected = run()
    integ.install()
    assert run() == expected


def test_frame_fields_set_directly_only_when_equivalent() -> None:
    import dataclasses

    from websockets.frames import Frame, Opcode

    from wsframe.integrations.websockets import _fields_set_directly

    assert _fields_set_directly(Frame, Opcode.TEXT)

    @dataclasses.dataclass
    class Checked(Frame):
        def __post_init__(self) -> None:
            self.data = bytes(self.data)

    @dataclasses.dataclass
    class Extra(Frame):
        seen: bool = True

    assert not _fields_set_directly(Checked, Opcode.TEXT)
    assert not _fields_set_directly(Extra, Opcode.TEXT)
