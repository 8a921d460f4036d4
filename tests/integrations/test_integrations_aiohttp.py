"""wsframe.integrations.aiohttp: an aiohttp server reads the same with and without it.

Differential: random message streams (fragmented, interleaved pings,
permessage-deflate with context takeover, random read splits) and corrupted
copies of them go through a real aiohttp server on loopback, once with the
integration installed and once without; the messages the application sees,
the close code and the error (type, close code, wording) must be the same.
"""

from __future__ import annotations

import asyncio
import base64
import os
import random
import zlib
from typing import Any

import pytest

aiohttp = pytest.importorskip("aiohttp")
from aiohttp import web  # noqa: E402

import wsframe.integrations.aiohttp as integration  # noqa: E402
from wsframe.frames import encode_frame  # noqa: E402

_VERSION = tuple(int(p) for p in aiohttp.__version__.split(".")[:3] if p.isdigit())

pytestmark = pytest.mark.skipif(
    integration._PATCHES.unsupported_reason() is not None,
    reason="aiohttp version outside the integration's series",
)


def _messages(rng: random.Random, compress: bool) -> bytes:
    """A random stream of masked frames (a client's), ending with a Close."""
    return b"".join(_frames(rng, compress))


def _frames(rng: random.Random, compress: bool) -> list[bytes]:
    out = []
    comp = zlib.compressobj(1, zlib.DEFLATED, -15) if compress else None
    for _ in range(rng.randint(1, 12)):
        kind = rng.random()
        if kind < 0.15:
            out.append(encode_frame(9, rng.randbytes(rng.randint(0, 20)), mask=rng.randbytes(4)))
            continue
        text = kind < 0.6
        n = rng.choice([0, 1, 5, 125, 126, 300, 5000, 70000])
        if text:
            payload = "".join(rng.choice("ab€😀 ") for _ in range(n // 3)).encode()
        else:
            payload = rng.randbytes(n)
        rsv1 = False
        if comp is not None and rng.random() < 0.7:
            payload = (comp.compress(payload) + comp.flush(zlib.Z_SYNC_FLUSH))[:-4]
            rsv1 = True
        pieces = rng.randint(1, 3)
        cuts = sorted(rng.randint(0, len(payload)) for _ in range(pieces - 1))
        parts = [payload[a:b] for a, b in zip([0, *cuts], [*cuts, len(payload)])]
        for i, part in enumerate(parts):
            out.append(
                encode_frame(
                    (1 if text else 2) if i == 0 else 0,
                    part,
                    fin=i == len(parts) - 1,
                    rsv1=rsv1 and i == 0,
                    mask=rng.randbytes(4),
                )
            )
            if i < len(parts) - 1 and rng.random() < 0.3:
                out.append(encode_frame(10, b"p", mask=rng.randbytes(4)))
    out.append(encode_frame(8, b"\x03\xe8done", mask=rng.randbytes(4)))
    return out


def _corrupt(rng: random.Random, frames: list[bytes]) -> bytes:
    """Flip a bit or two: mostly in a frame's first two bytes (FIN, RSV,
    opcode, mask bit, length), else anywhere in the frame."""
    out = [bytearray(f) for f in frames]
    for _ in range(rng.randint(1, 2)):
        frame = rng.choice(out)
        i = rng.randrange(2) if rng.random() < 0.7 else rng.randrange(len(frame))
        frame[i] ^= 1 << rng.randrange(8)
    return b"".join(out)


def _describe(exc: BaseException | None) -> Any:
    """An error as the application sees it: type, close code, aiohttp's wording."""
    if exc is None:
        return None
    wording = str(exc) if isinstance(exc, aiohttp.WebSocketError) else None
    return (type(exc).__name__, getattr(exc, "code", None), wording)


def _result_of(ws: web.WebSocketResponse, msgs: list[Any]) -> tuple[Any, ...]:
    return (msgs, ws.close_code, _describe(ws.exception()))


async def _serve(
    stream: bytes,
    *,
    compress: bool,
    chunk: int,
    max_msg_size: int,
    decode_text: bool = True,
    autoping: bool = True,
    describe: Any = None,
) -> Any:
    result: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    async def handler(request: web.Request) -> web.WebSocketResponse:
        extra = {} if decode_text else {"decode_text": False}  # aiohttp >= 3.14
        ws = web.WebSocketResponse(compress=compress, max_msg_size=max_msg_size, autoping=autoping, **extra)
        await ws.prepare(request)
        msgs = []
        async for msg in ws:
            data = (describe or _describe)(msg.data) if isinstance(msg.data, BaseException) else msg.data
            msgs.append((int(msg.type), data, msg.extra))
        if not result.done():
            result.set_result(_result_of(ws, msgs))
        return ws

    app = web.Application()
    app.router.add_get("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        ext = "Sec-WebSocket-Extensions: permessage-deflate\r\n" if compress else ""
        writer.write(
            (
                f"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                f"Sec-WebSocket-Version: 13\r\n{ext}\r\n"
            ).encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 101")
        for i in range(0, len(stream), chunk):
            writer.write(stream[i : i + chunk])
            await writer.drain()
        writer.write_eof()
        outcome = await asyncio.wait_for(result, 20)
        writer.close()
        return outcome
    finally:
        await runner.cleanup()


#: The errors wsframe finds before the end of a message (fail-fast): corrupt
#: compressed data, impossible text.
_FAIL_FAST = {("error", None, None), ("WebSocketError", 1007, "Invalid UTF-8 text message")}


def _assert_same(plain: Any, fast: Any) -> None:
    """The same messages, close code and error; except that where a message
    holds both a fault wsframe finds as it arrives (corrupt compressed data,
    impossible text) and a later protocol error in one of its frames, wsframe
    reports the first fault and aiohttp, which inflates and decodes at the
    end of the message, the later one."""
    if fast == plain:
        return
    p_msgs, p_code, p_err = plain
    f_msgs, f_code, f_err = fast
    assert p_err is not None and f_err in _FAIL_FAST, (plain, fast)
    assert (p_msgs[:-1], p_code) == (f_msgs[:-1], f_code), (plain, fast)
    assert p_msgs[-1][0] == f_msgs[-1][0] == 258  # both end on an ERROR message


def _both(stream: bytes, **kw: Any) -> tuple[Any, Any]:
    integration.uninstall()
    plain = asyncio.run(_serve(stream, **kw))
    assert integration.install()
    try:
        fast = asyncio.run(_serve(stream, **kw))
    finally:
        integration.uninstall()
    return plain, fast


def _both_at_random(
    rng: random.Random, stream: bytes, compress: bool, chunks: list[int], limits: list[int]
) -> tuple[Any, Any]:
    """:func:`_both` with reads of a size and a ``max_msg_size`` drawn from ``chunks`` and ``limits``."""
    return _both(stream, compress=compress, chunk=rng.choice(chunks), max_msg_size=rng.choice(limits))


#: The differential tests compare aiohttp's reader with wsframe's: before
#: 3.14.4 the reader is aiohttp's both times (the version matrix runs them
#: where it is replaced; tests/integrations/test_integrations_aiohttp_versions.py
#: checks the writer there).
reader_replaced = pytest.mark.skipif(_VERSION < (3, 14, 4), reason="the reader is replaced from aiohttp 3.14.4")


@reader_replaced
@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("compress", [False, True])
def test_random_streams_read_the_same(seed: int, compress: bool) -> None:
    rng = random.Random(seed)
    plain, fast = _both_at_random(rng, _messages(rng, compress), compress, [1 << 16, 7, 1000], [0, 4 << 20, 6000])
    assert fast == plain
    assert plain[2] is None or plain[2][1] in (1009,)


@reader_replaced
@pytest.mark.parametrize("seed", range(30))
@pytest.mark.parametrize("compress", [False, True])
def test_corrupted_streams_fail_the_same(seed: int, compress: bool) -> None:
    rng = random.Random(1000 + seed)
    stream = _corrupt(rng, _frames(rng, compress))
    plain, fast = _both(stream, compress=compress, chunk=rng.choice([1 << 16, 13]), max_msg_size=4 << 20)
    _assert_same(plain, fast)


@reader_replaced
def test_control_payloads_and_zlib_errors_as_aiohttp_gives_them() -> None:
    # Regressions: ping and pong data came as bytes where aiohttp gives a bytearray
    # (equal, so the differential tests did not see it), and a corrupt compressed
    # message's zlib.error carried wsframe's wording instead of zlib's own.
    stream = b"".join(
        [
            encode_frame(9, b"hello", mask=os.urandom(4)),
            encode_frame(10, b"", mask=os.urandom(4)),
            encode_frame(1, b"\xff\xff\xff\xff", rsv1=True, mask=os.urandom(4)),
        ]
    )
    plain, fast = _both(
        stream,
        compress=True,
        chunk=1 << 16,
        max_msg_size=4 << 20,
        autoping=False,
        describe=lambda exc: (type(exc).__name__, str(exc)),
    )
    assert [(m[0], type(m[1]), m[1]) for m in fast[0]] == [(m[0], type(m[1]), m[1]) for m in plain[0]]
    assert [type(m[1]) for m in plain[0][:2]] == [bytearray, bytearray]
    assert plain[0][2][1][0] == "error" and "corrupt" not in plain[0][2][1][1]


@reader_replaced
@pytest.mark.parametrize(
    "bad",
    [
        b"ab\xffcd",  # an impossible byte
        b"abc\xe2\x82",  # cut short by the end of the message
        b"\xc3\xa9\xed\xa0\x80",  # a surrogate after a good code point
        b"a" * 9000 + b"\xc0\xaf",  # past the first block of the one-pass decoder
        "é€😀".encode() * 3000 + b"\xf5",  # non-ASCII, then an impossible byte
    ],
)
def test_a_whole_text_message_that_is_not_utf8_fails_as_aiohttp_fails(bad: bytes) -> None:
    # Good messages (ASCII, non-ASCII, long) in the same read first: they
    # are delivered, then the bad one fails with aiohttp's 1007.
    good = [b"hello", "héllo €😀".encode(), b"x" * 20000, "ж".encode() * 9000, b""]
    frames = [encode_frame(1, g, mask=os.urandom(4)) for g in good]
    frames.append(encode_frame(1, bad, mask=os.urandom(4)))
    frames.append(encode_frame(1, b"after", mask=os.urandom(4)))
    plain, fast = _both(b"".join(frames), compress=False, chunk=1 << 20, max_msg_size=4 << 20)
    assert fast == plain
    assert [m[1] for m in plain[0][: len(good)]] == [g.decode() for g in good]
    assert plain[2] == ("WebSocketError", 1007, "Invalid UTF-8 text message")


@reader_replaced
def test_install_replaces_the_reader_and_writer_where_aiohttp_binds_them() -> None:
    import aiohttp.client
    import aiohttp.client_ws
    import aiohttp.http
    import aiohttp.web_protocol
    import aiohttp.web_ws

    original = aiohttp.web_ws.WebSocketReader
    assert integration.install()
    try:
        assert integration.is_installed() and integration.active()
        for module in (aiohttp.web_ws, aiohttp.client, aiohttp.http, aiohttp.client_ws):
            assert module.WebSocketReader.__module__ == integration.__name__
            assert module.WebSocketWriter.__module__ == integration.__name__
        assert aiohttp.web_protocol.WebSocketReader.__module__ == integration.__name__
    finally:
        integration.uninstall()
    assert aiohttp.web_ws.WebSocketReader is original
    assert aiohttp.web_protocol.WebSocketReader is original
    assert not integration.is_installed()


@pytest.mark.skipif(_VERSION < (3, 13, 2), reason="the writer is replaced from aiohttp 3.13.2")
def test_client_masks_with_fresh_keys_and_reuses_one_compressor() -> None:
    from aiohttp._websocket.writer import WebSocketWriter as Original

    assert integration.install()
    try:
        from aiohttp.http import WebSocketWriter

        class Transport:
            def __init__(self) -> None:
                self.out: list[bytes] = []

            def write(self, data: bytes) -> None:
                self.out.append(bytes(data))

            def is_closing(self) -> bool:
                return False

        class Protocol:
            _paused = False

        transport = Transport()
        writer = WebSocketWriter(Protocol(), transport, use_mask=True, compress=15)  # type: ignore[arg-type]
        assert isinstance(writer, Original)

        async def send() -> None:
            for _ in range(3):
                await writer.send_frame(b"hello hello hello", 1)
            await writer.send_frame(b"hello hello hello", 1, compress=12)
            await writer.send_frame(b"hello hello hello", 1, compress=12)

        asyncio.run(send())
        keys = {frame[2:6] for frame in transport.out}
        assert len(keys) == len(transport.out) == 5
        assert len(writer._wsf_deflaters) == 2
        # Every frame inflates back (context taken over for the connection's
        # compressor; none across the per-send ones).
        d = zlib.decompressobj(-15)
        for frame in transport.out[:3]:
            length = frame[1] & 0x7F
            payload = bytes(b ^ frame[2:6][i % 4] for i, b in enumerate(frame[6 : 6 + length]))
            assert d.decompress(payload + b"\x00\x00\xff\xff") == b"hello hello hello"
        for frame in transport.out[3:]:
            length = frame[1] & 0x7F
            payload = bytes(b ^ frame[2:6][i % 4] for i, b in enumerate(frame[6 : 6 + length]))
            fresh = zlib.decompressobj(-15)
            assert fresh.decompress(payload + b"\x00\x00\xff\xff") == b"hello hello hello"
    finally:
        integration.uninstall()


def test_the_probes_accept_the_installed_aiohttp() -> None:
    # The reader's internals are 3.14.4's (decode_text, WSMessageTextBytes,
    # the compiled queue's fill level, the stalled reader's weak reference);
    # the writer's, 3.13.2's.
    assert (integration.probe_reader() is None) == (_VERSION >= (3, 14, 4))
    assert (integration.probe_writer() is None) == (_VERSION >= (3, 13, 2))


@reader_replaced
def test_internals_that_differ_leave_aiohttp_untouched(monkeypatch: pytest.MonkeyPatch) -> None:
    import aiohttp.web_ws

    original_reader = aiohttp.web_ws.WebSocketReader
    monkeypatch.setattr(integration, "_reader_cls", None)
    monkeypatch.setattr(integration, "probe_reader", lambda: "WebSocketDataQueue.feed_data['self', 'data'] differs")
    with pytest.warns(RuntimeWarning, match="feed_data"):
        integration.install()
    try:
        assert aiohttp.web_ws.WebSocketReader is original_reader
        # The writer is judged on its own and still replaced.
        assert aiohttp.web_ws.WebSocketWriter.__module__ == integration.__name__
    finally:
        integration.uninstall()


def test_a_release_outside_the_series_is_left_untouched(monkeypatch: pytest.MonkeyPatch) -> None:
    import aiohttp.web_ws

    from wsframe.integrations import _patching

    original = aiohttp.web_ws.WebSocketReader
    monkeypatch.setattr(_patching, "installed_version", lambda name: "3.10.11")
    with pytest.warns(RuntimeWarning, match="3.10.11"):
        assert integration.install() is False
    assert aiohttp.web_ws.WebSocketReader is original
    assert not integration.is_installed()


@reader_replaced
@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("compress", [False, True])
def test_decode_text_false_keeps_bytes(seed: int, compress: bool) -> None:
    rng = random.Random(500 + seed)
    frames = _frames(rng, compress)
    stream = _corrupt(rng, frames) if seed % 2 else b"".join(frames)
    plain, fast = _both(
        stream,
        compress=compress,
        chunk=rng.choice([1 << 16, 5]),
        max_msg_size=0,
        decode_text=False,
    )
    _assert_same(plain, fast)
    assert all(not isinstance(m[1], str) for m in plain[0] if m[0] == 1)


def test_the_corrupted_streams_reach_errors() -> None:
    # The corruption differential compares failures, not only clean reads.
    errors = 0
    for seed in range(10):
        rng = random.Random(1000 + seed)
        stream = _corrupt(rng, _frames(rng, False))
        _, _, error = asyncio.run(_serve(stream, compress=False, chunk=1 << 16, max_msg_size=4 << 20))
        errors += error is not None
    assert errors >= 3


@reader_replaced
def test_install_before_importing_aiohttp() -> None:
    import subprocess
    import sys

    code = (
        "import sys, warnings; warnings.simplefilter('error')\n"
        "import wsframe.integrations.aiohttp as w\n"
        "assert 'aiohttp' not in sys.modules\n"
        "assert w.install()\n"
        "from aiohttp import web, client, http_websocket\n"
        "for m in (sys.modules['aiohttp.web_ws'], client, http_websocket):\n"
        "    assert m.WebSocketReader.__module__ == w.__name__, m\n"
        "    assert m.WebSocketWriter.__module__ == w.__name__, m\n"
        "assert w.active()\n"
        "w.uninstall()\n"
        "left = [f'{n}.{k}' for n, m in list(sys.modules.items())\n"
        "        if n.startswith('aiohttp') and m is not None\n"
        "        for k, v in vars(m).items() if getattr(v, '__module__', None) == w.__name__]\n"
        "assert not left, left\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=root + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr


def _members(rng: random.Random, parts: list[bytes]) -> bytes:
    """A compressed payload of several DEFLATE streams (members), each ended
    by a final block; the last either so too (sometimes with the padding
    octet of RFC 7692 §7.2.3.4) or sync-flushed, its 00 00 ff ff removed."""
    out = b""
    for part in parts[:-1]:
        comp = zlib.compressobj(rng.choice([1, 6, 9]), zlib.DEFLATED, -15)
        out += comp.compress(part) + comp.flush()
    comp = zlib.compressobj(rng.choice([1, 6, 9]), zlib.DEFLATED, -15)
    if rng.random() < 0.4:
        return out + (comp.compress(parts[-1]) + comp.flush(zlib.Z_SYNC_FLUSH))[:-4]
    out += comp.compress(parts[-1]) + comp.flush()
    if rng.random() < 0.9:
        # The padding octet after a final block: with the appended 00 00 ff ff
        # an empty stored block, so the next message starts cleanly (without
        # it, aiohttp reads the next message as the rest of a stored block).
        out += b"\x00"
    return out


def _member_stream(rng: random.Random) -> bytes:
    """Masked compressed messages of several members, fragmented at random
    (a member may span frames, a frame hold several), with empty-member
    floods around aiohttp's cap; ends with a Close."""
    out = []
    for _ in range(rng.randint(1, 6)):
        if rng.random() < 0.1:
            # 03 00: an empty member; aiohttp refuses past MAX_DECOMPRESS_MEMBERS.
            payload = b"\x03\x00" * rng.choice([1022, 1023, 1024, 1025, 3000]) + b"\x00"
            text = False
        else:
            text = rng.random() < 0.5
            parts = [
                ("é€x" * rng.randint(0, 400)).encode() if text else rng.randbytes(rng.randint(0, 3000))
                for _ in range(rng.randint(1, 60))
            ]
            payload = _members(rng, parts)
        pieces = rng.randint(1, 4)
        cuts = sorted(rng.randint(0, len(payload)) for _ in range(pieces - 1))
        chunks = [payload[a:b] for a, b in zip([0, *cuts], [*cuts, len(payload)])]
        for i, chunk in enumerate(chunks):
            op = (1 if text else 2) if i == 0 else 0
            out.append(encode_frame(op, chunk, fin=i == len(chunks) - 1, rsv1=i == 0, mask=rng.randbytes(4)))
    out.append(encode_frame(8, b"\x03\xe8done", mask=rng.randbytes(4)))
    return b"".join(out)


@reader_replaced
@pytest.mark.parametrize("seed", range(16))
def test_messages_of_several_deflate_members_read_as_aiohttp_reads_them(seed: int) -> None:
    # Data after a final block is inflated as a new member, as aiohttp does,
    # and a message of more members than aiohttp allows fails as with aiohttp.
    rng = random.Random(3000 + seed)
    plain, fast = _both_at_random(rng, _member_stream(rng), True, [1 << 16, 13, 1000], [0, 4 << 20, 20000])
    assert fast == plain


@reader_replaced
@pytest.mark.parametrize("max_msg_size", [0, 4 << 20])
def test_whole_messages_after_a_final_block_in_a_fragmented_one(max_msg_size: int) -> None:
    # The final block is seen by the reader's Python path (a fragmented
    # message); the whole compressed messages after it, by the compiled loop,
    # must go on as members too.
    key = b"\x01\x02\x03\x04"
    first = _members(random.Random(7), [b"x" * 300, b"y" * 200])
    out = [
        encode_frame(1, first[:10], fin=False, rsv1=True, mask=key),
        encode_frame(0, first[10:], mask=key),
    ]
    comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    for i in range(4):
        body = comp.compress(b'{"n": %d, "text": "hello"}' % i) + (
            comp.flush() if i == 2 else comp.flush(zlib.Z_SYNC_FLUSH)[:-4]
        )
        out.append(encode_frame(1, body, rsv1=True, mask=key))
        if i == 2:
            comp = zlib.compressobj(6, zlib.DEFLATED, -15)
    out.append(encode_frame(8, b"\x03\xe8", mask=key))
    plain, fast = _both(b"".join(out), compress=True, chunk=1 << 16, max_msg_size=max_msg_size)
    assert fast == plain


@reader_replaced
def test_the_member_streams_reach_the_cap_and_the_limit() -> None:
    # The differential above sees floods refused and size limits reached.
    errors = set()
    for seed in range(16):
        rng = random.Random(3000 + seed)
        stream = _member_stream(rng)
        max_msg_size = [0, 4 << 20, 20000][seed % 3]
        _, _, error = asyncio.run(_serve(stream, compress=True, chunk=1 << 16, max_msg_size=max_msg_size))
        errors.add(error and (error[2] or error[0]).split(" ")[0])
    # Clean reads, floods refused, limits reached (inflated and on the wire).
    assert {None, "Compressed", "Decompressed", "Message"} <= errors, errors


@reader_replaced
@pytest.mark.parametrize("seed", range(40))
def test_member_inflater_inflates_as_aiohttp_decompressor(seed: int) -> None:
    # Frame by frame, bounded by what is left of the limit, against aiohttp's
    # ZLibDecompressor given each whole message (one window across messages).
    from aiohttp.compression_utils import MAX_DECOMPRESS_MEMBERS, TooManyMembersError, ZLibDecompressor

    from wsframe.errors import PayloadTooBig, ProtocolError
    from wsframe.integrations.aiohttp._members import MemberInflater

    rng = random.Random(seed)
    ours = MemberInflater(zlib, MAX_DECOMPRESS_MEMBERS, lambda: OverflowError("members"))
    theirs = ZLibDecompressor(suppress_deflate_header=True)
    limit = rng.choice([0, 50, 5000, 1 << 20])
    for _ in range(rng.randint(1, 5)):
        if rng.random() < 0.2:
            payload = b"\x03\x00" * rng.choice([1022, 1023, 1024]) + b"\x00"
        else:
            payload = _members(rng, [rng.randbytes(rng.randint(0, 200)) * 3 for _ in range(rng.randint(1, 30))])
        try:
            expected: Any = theirs.decompress_sync(payload + b"\x00\x00\xff\xff", limit + 1 if limit else 0)
            if limit and len(expected) > limit:
                expected = "too big"
        except TooManyMembersError:
            expected = "members"
        except zlib.error:
            expected = "corrupt"
        cuts = sorted(rng.randint(0, len(payload)) for _ in range(rng.randint(0, 4)))
        chunks = [payload[a:b] for a, b in zip([0, *cuts], [*cuts, len(payload)])]
        out = b""
        try:
            for i, chunk in enumerate(chunks):
                out += ours.feed(chunk, fin=i == len(chunks) - 1, max_size=limit - len(out) if limit else None)
            got: Any = out
        except OverflowError:
            got = "members"
        except PayloadTooBig:
            got = "too big"
        except ProtocolError:
            got = "corrupt"
        assert got == expected
        if isinstance(got, str):
            break
