"""Inflater and Deflater (RFC 7692 §7.2) on every installed zlib backend.

The cross product checks that what any backend compresses any other inflates,
with context takeover across messages and without, for every window size;
each compressed message is also checked by an independent strict inflater
(the standard library's zlib with exactly the agreed window) so a compressor
that overstepped the agreed window would be caught.
"""

from __future__ import annotations

import itertools
import random
import sys
import types
import zlib

import pytest
from _deflate_support import backend_params, installed, sample_messages
from hypothesis import given
from hypothesis import strategies as st

from wsframe.deflate import (
    BACKENDS,
    DEFAULT_LEVEL,
    DEFAULT_MEM_LEVEL,
    DeflateParams,
    Deflater,
    Inflater,
    backend_name,
    zlib_backend,
)
from wsframe.errors import PayloadTooBig, ProtocolError

BACKEND = backend_params()
TRAILER = b"\x00\x00\xff\xff"


def strict_inflater(bits: int) -> zlib._Decompress:
    """The standard library's raw inflater with exactly *bits* of window."""
    return zlib.decompressobj(-bits)


def split(data: bytes, rng: random.Random) -> list[bytes]:
    """*data* cut into 1..5 frames at random places (empty frames allowed)."""
    cuts = sorted(rng.randrange(len(data) + 1) for _ in range(rng.randrange(5)))
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def inflate_frames(inflater: Inflater, frames: list[bytes], max_size: int | None = None) -> bytes:
    """Feed one message's frames as the assembler does (remaining budget)."""
    out = []
    left = max_size
    for i, frame in enumerate(frames):
        piece = inflater.feed(frame, fin=i == len(frames) - 1, max_size=left)
        if left is not None:
            left -= len(piece)
        out.append(piece)
    return b"".join(out)


# ---------------------------------------------------------------------------
# RFC 7692 §7.2.3: the examples of the specification
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKEND)
def test_rfc_7_2_3_1_one_message_one_frame(backend: str) -> None:
    inflater = Inflater(DeflateParams(), zlib=backend)
    assert inflater.feed(bytes.fromhex("f248cdc9c90700"), fin=True) == b"Hello"


@pytest.mark.parametrize("backend", BACKEND)
def test_rfc_7_2_3_1_fragmented_message(backend: str) -> None:
    inflater = Inflater(DeflateParams(), zlib=backend)
    first = inflater.feed(bytes.fromhex("f248cd"), fin=False)
    assert first + inflater.feed(bytes.fromhex("c9c90700"), fin=True) == b"Hello"


@pytest.mark.parametrize("backend", BACKEND)
def test_rfc_7_2_3_2_context_takeover(backend: str) -> None:
    inflater = Inflater(DeflateParams(), zlib=backend)
    assert inflater.feed(bytes.fromhex("f248cdc9c90700"), fin=True) == b"Hello"
    # The second "Hello" is a back-reference into the first message.
    assert inflater.feed(bytes.fromhex("f200110000"), fin=True) == b"Hello"


@pytest.mark.parametrize("backend", BACKEND)
def test_rfc_7_2_3_3_stored_block(backend: str) -> None:
    inflater = Inflater(DeflateParams(), zlib=backend)
    payload = bytes.fromhex("000500faff48656c6c6f00")
    assert inflater.feed(payload, fin=True) == b"Hello"


@pytest.mark.parametrize("backend", BACKEND)
def test_rfc_7_2_3_4_bfinal_block(backend: str) -> None:
    inflater = Inflater(DeflateParams(), zlib=backend)
    assert inflater.feed(bytes.fromhex("f348cdc9c9070000"), fin=True) == b"Hello"
    # The peer ended its stream: the next message starts a new one.
    assert inflater.feed(bytes.fromhex("f248cdc9c90700"), fin=True) == b"Hello"


@pytest.mark.parametrize("backend", BACKEND)
def test_rfc_7_2_3_5_two_blocks_in_one_message(backend: str) -> None:
    inflater = Inflater(DeflateParams(), zlib=backend)
    payload = bytes.fromhex("f24805000000ffffcac9c90700")
    assert inflater.feed(payload, fin=True) == b"Hello"


@pytest.mark.parametrize("backend", BACKEND)
def test_rfc_7_2_3_6_empty_message_is_one_zero_byte(backend: str) -> None:
    deflater = Deflater(DeflateParams(), zlib=backend)
    inflater = Inflater(DeflateParams(), zlib=backend)
    for _ in range(3):  # with and without history
        payload = deflater.compress(b"")
        assert len(payload) <= 2
        assert inflater.feed(payload, fin=True) == b""
    assert Deflater(DeflateParams(), zlib="zlib").compress(b"") == b"\x00"
    assert inflater.feed(b"\x00", fin=True) == b""


@pytest.mark.parametrize("backend", BACKEND)
def test_bfinal_data_after_final_block_carries_nothing(backend: str) -> None:
    # RFC 7692 §7.2.3.4: frames after the final block, and bytes after it in
    # the same frame, produce no output and the next message still works.
    inflater = Inflater(DeflateParams(), zlib=backend)
    final = bytes.fromhex("f348cdc9c90700")
    assert inflater.feed(final + b"\x00\x00", fin=False) == b"Hello"
    assert inflater.feed(b"garbage that is never inflated", fin=False) == b""
    assert inflater.feed(b"\xff" * 100, fin=True, max_size=0) == b""
    assert inflater.feed(bytes.fromhex("f248cdc9c90700"), fin=True) == b"Hello"


# ---------------------------------------------------------------------------
# RFC 7692 §7.2.1: compression
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKEND)
def test_deflater_strips_sync_flush_trailer(backend: str) -> None:
    # Appending the trailer back gives a complete sync-flushed stream.
    deflater = Deflater(DeflateParams(), zlib=backend)
    checker = strict_inflater(15)
    for message in sample_messages():
        payload = deflater.compress(message)
        assert not payload.endswith(TRAILER) or message == b""
        assert checker.decompress(payload + TRAILER) == message


@pytest.mark.parametrize("backend", BACKEND)
def test_deflater_keeps_context_when_allowed(backend: str) -> None:
    deflater = Deflater(DeflateParams(), zlib=backend)
    text = sample_messages()[5]  # random: only a back-reference compresses it
    first = deflater.compress(text)
    second = deflater.compress(text)
    # The second copy is one back-reference into the first.
    assert len(second) < len(first) // 4
    with pytest.raises(zlib.error):
        strict_inflater(15).decompress(second + TRAILER)


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize("client", [False, True])
def test_deflater_resets_when_this_side_has_no_context_takeover(backend: str, client: bool) -> None:
    # Only this side's flag matters: the server's when client=False.
    params = DeflateParams(server_no_context_takeover=not client, client_no_context_takeover=client)
    deflater = Deflater(params, client=client, zlib=backend)
    text = sample_messages()[5]
    for _ in range(3):
        payload = deflater.compress(text)
        # Each message inflates alone: no reference to an earlier one.
        assert strict_inflater(15).decompress(payload + TRAILER) == text
    other_side = Deflater(params, client=not client, zlib=backend)
    other_side.compress(text)
    assert len(other_side.compress(text)) < len(payload) // 4


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize("bits", range(8, 16))
@pytest.mark.parametrize("client", [False, True])
def test_deflater_respects_agreed_window(backend: str, bits: int, client: bool) -> None:
    # RFC 7692 §7.1.2: the compressor's window is at most 2**bits; checked by
    # an inflater that refuses any longer distance.  Window 8 included:
    # zlib cannot compress with it, the Deflater then uses Z_RLE matches.
    if client:
        params = DeflateParams(client_max_window_bits=bits)
    else:
        params = DeflateParams(server_max_window_bits=bits)
    deflater = Deflater(params, client=client, zlib=backend)
    checker = strict_inflater(bits)
    for message in sample_messages():
        assert checker.decompress(deflater.compress(message) + TRAILER) == message


def test_deflater_window_8_on_isal_falls_back_to_stdlib_zlib() -> None:
    if not installed("isal"):
        pytest.skip("isal not installed")
    deflater = Deflater(DeflateParams(server_max_window_bits=8), zlib="isal")
    assert deflater.zlib_name == "zlib"
    assert Deflater(DeflateParams(server_max_window_bits=9), zlib="isal").zlib_name == "isal"


@pytest.mark.parametrize("backend", BACKEND)
def test_deflater_compresses(backend: str) -> None:
    deflater = Deflater(DeflateParams(), zlib=backend)
    text = sample_messages()[2]
    assert len(deflater.compress(text)) < len(text) // 2


def test_deflater_defaults_and_attributes() -> None:
    deflater = Deflater(DeflateParams())
    assert deflater.level == DEFAULT_LEVEL
    assert deflater.mem_level == DEFAULT_MEM_LEVEL
    assert deflater.min_size == 0
    assert Deflater(DeflateParams(), min_size=300).min_size == 300
    assert deflater.zlib_name in BACKENDS
    assert deflater.params == DeflateParams()
    assert "Deflater(" in repr(deflater)


@pytest.mark.parametrize(
    "kwargs, exc",
    [
        ({"level": 10}, ValueError),
        ({"level": -2}, ValueError),
        ({"level": 1.0}, TypeError),
        ({"mem_level": 0}, ValueError),
        ({"mem_level": 10}, ValueError),
        ({"min_size": -1}, ValueError),
        ({"min_size": True}, TypeError),
        ({"zlib": "gzip"}, ValueError),
        ({"zlib": 3}, TypeError),
    ],
)
def test_deflater_bad_arguments(kwargs: dict[str, object], exc: type[Exception]) -> None:
    with pytest.raises(exc):
        Deflater(DeflateParams(), **kwargs)  # type: ignore[arg-type]


def test_deflater_params_must_be_deflate_params() -> None:
    with pytest.raises(TypeError):
        Deflater({"server_max_window_bits": 15})  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Inflater(None)  # type: ignore[arg-type]


@pytest.mark.parametrize("backend", BACKEND)
def test_deflater_takes_buffers_and_refuses_str(backend: str) -> None:
    deflater = Deflater(DeflateParams(), zlib=backend)
    inflater = Inflater(DeflateParams(), zlib=backend)
    for payload in (bytearray(b"abc"), memoryview(b"abc")):
        assert inflater.feed(deflater.compress(payload), fin=True) == b"abc"
    with pytest.raises(TypeError):
        deflater.compress("text")  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# RFC 7692 §7.2.2: decompression
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize("client", [False, True])
def test_inflater_resets_exactly_when_peer_has_no_context_takeover(backend: str, client: bool) -> None:
    # The peer's flag: the client's when this side is the server (client=False).
    text = sample_messages()[5]
    peer = zlib.compressobj(6, zlib.DEFLATED, -15)
    first = (peer.compress(text) + peer.flush(zlib.Z_SYNC_FLUSH))[:-4]
    second = (peer.compress(text) + peer.flush(zlib.Z_SYNC_FLUSH))[:-4]
    # Only the peer's flag counts; the other one is set to prove it.
    peer_may_not = DeflateParams(server_no_context_takeover=client, client_no_context_takeover=not client)
    peer_may = DeflateParams(server_no_context_takeover=not client, client_no_context_takeover=client)
    keeps = Inflater(peer_may, client=client, zlib=backend)
    assert keeps.feed(first, fin=True) == text
    assert keeps.feed(second, fin=True) == text
    resets = Inflater(peer_may_not, client=client, zlib=backend)
    assert resets.feed(first, fin=True) == text
    # Its window was reset: the back-reference points at nothing.
    with pytest.raises(ProtocolError) as info:
        resets.feed(second, fin=True)
    assert info.value.code == 1002


@pytest.mark.parametrize("backend", BACKEND)
def test_inflater_window_8_accepts_9_bit_peers(backend: str) -> None:
    # zlib-based peers that agreed to 8 bits compress with 9 (accepted as
    # every reference within 32 KiB is: tests/deflate/test_deflate_window.py).
    text = bytes(range(256)) * 2 + b"x" + bytes(range(256)) * 2
    peer = zlib.compressobj(9, zlib.DEFLATED, -9)
    payload = (peer.compress(text) + peer.flush(zlib.Z_SYNC_FLUSH))[:-4]
    inflater = Inflater(DeflateParams(client_max_window_bits=8), zlib=backend)
    assert inflater.feed(payload, fin=True) == text


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize(
    "payload",
    [
        b"\xff\xff\xff\xff",  # reserved block type 3
        bytes.fromhex("0005000000"),  # stored block: LEN/NLEN mismatch
        bytes.fromhex("f200ff0f00"),  # distance too far back (no history)
    ],
    ids=["reserved-btype", "stored-len-nlen", "distance-too-far"],
)
def test_inflater_corrupt_data_is_protocol_error_1002(backend: str, payload: bytes) -> None:
    inflater = Inflater(DeflateParams(), zlib=backend)
    with pytest.raises(ProtocolError) as info:
        inflater.feed(payload, fin=True, max_size=1000)
    assert info.value.code == 1002
    assert not isinstance(info.value, PayloadTooBig)
    assert "corrupt compressed message" in str(info.value)
    # The connection is failed: the inflater stays failed.
    with pytest.raises(ProtocolError):
        inflater.feed(bytes.fromhex("f248cdc9c90700"), fin=True)


@pytest.mark.parametrize("backend", BACKEND)
def test_inflater_takes_any_buffer(backend: str) -> None:
    payload = bytes.fromhex("f248cdc9c90700")
    for kind in (bytes, bytearray, memoryview):
        inflater = Inflater(DeflateParams(), zlib=backend)
        assert inflater.feed(kind(payload[:3]), fin=False) + inflater.feed(kind(payload[3:]), fin=True) == b"Hello"


def test_inflater_attributes() -> None:
    inflater = Inflater(DeflateParams(client_max_window_bits=9))
    assert inflater.params == DeflateParams(client_max_window_bits=9)
    assert inflater.zlib_name in BACKENDS
    assert "Inflater(" in repr(inflater)


@pytest.mark.parametrize("backend", BACKEND)
def test_inflater_negative_max_size_is_value_error(backend: str) -> None:
    with pytest.raises(ValueError):
        Inflater(DeflateParams(), zlib=backend).feed(b"\x00", fin=True, max_size=-1)


@pytest.mark.parametrize("backend", BACKEND)
def test_inflater_huge_max_size_means_no_bound(backend: str) -> None:
    inflater = Inflater(DeflateParams(), zlib=backend)
    payload = Deflater(DeflateParams(), zlib="zlib").compress(b"a" * 100)
    assert inflater.feed(payload, fin=True, max_size=1 << 70) == b"a" * 100


# ---------------------------------------------------------------------------
# max_size: exactly the limit passes, one byte more fails
# ---------------------------------------------------------------------------

# Around the sizes where zlib, zlib-ng, isal and CPython's output buffers
# change step (16 KiB, 32 KiB, 64 KiB, 256 KiB, ...).
SIZES = [
    0,
    1,
    2,
    255,
    4095,
    4096,
    16383,
    16384,
    16385,
    32767,
    32768,
    32769,
    65535,
    65536,
    65537,
    131072,
    262144,
    262145,
    1 << 20,
]


@pytest.fixture(scope="module")
def limit_payloads() -> dict[int, bytes]:
    rng = random.Random(5)
    out = {}
    for size in SIZES:
        for extra in (0, 1):
            n = size + extra
            # Half zeros, half random: both long matches and literals.
            data = bytes(n // 2) + rng.randbytes(n - n // 2)
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            out[n] = (c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH))[:-4]
    return out


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize("size", SIZES)
def test_max_size_exact_limit_passes_one_more_fails(backend: str, size: int, limit_payloads: dict[int, bytes]) -> None:
    inflater = Inflater(DeflateParams(), zlib=backend)
    assert len(inflater.feed(limit_payloads[size], fin=True, max_size=size)) == size
    inflater = Inflater(DeflateParams(), zlib=backend)
    with pytest.raises(PayloadTooBig) as info:
        inflater.feed(limit_payloads[size + 1], fin=True, max_size=size)
    assert info.value.code == 1009


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize("size", [16384, 65536, 262144])
def test_max_size_across_frames_with_remaining_budget(
    backend: str, size: int, limit_payloads: dict[int, bytes]
) -> None:
    rng = random.Random(size)
    for _ in range(5):
        frames = split(limit_payloads[size], rng)
        inflater = Inflater(DeflateParams(), zlib=backend)
        assert len(inflate_frames(inflater, frames, max_size=size)) == size
        frames = split(limit_payloads[size + 1], rng)
        inflater = Inflater(DeflateParams(), zlib=backend)
        with pytest.raises(PayloadTooBig):
            inflate_frames(inflater, frames, max_size=size)


@pytest.mark.parametrize("backend", BACKEND)
def test_max_size_tiny_frames(backend: str, limit_payloads: dict[int, bytes]) -> None:
    # One compressed byte per frame: the pending-output trap of python-isal
    # #248 shows when a call fills max_length with nothing left unconsumed.
    payload = limit_payloads[4096]
    frames = [payload[i : i + 1] for i in range(len(payload))]
    inflater = Inflater(DeflateParams(), zlib=backend)
    assert len(inflate_frames(inflater, frames, max_size=4096)) == 4096
    inflater = Inflater(DeflateParams(), zlib=backend)
    with pytest.raises(PayloadTooBig):
        inflate_frames(inflater, [limit_payloads[4097]], max_size=4096)


@pytest.mark.parametrize("backend", BACKEND)
def test_max_size_small_budgets_each_frame_exact(backend: str) -> None:
    # Feeding a bounded call exactly what it may produce, over and over, is
    # where a "tail empty means done" loop truncates: the output must be
    # complete and identical to the unbounded one.
    rng = random.Random(11)
    data = rng.randbytes(5000) * 6
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    payload = (c.compress(data) + c.flush(zlib.Z_SYNC_FLUSH))[:-4]
    for budget in (len(data), len(data) + 1, 10**9):
        inflater = Inflater(DeflateParams(), zlib=backend)
        frames = [payload[i : i + 7] for i in range(0, len(payload), 7)]
        assert inflate_frames(inflater, frames, max_size=budget) == data


# ---------------------------------------------------------------------------
# The cross product: what any backend compresses, any other inflates
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("compressor", BACKEND)
@pytest.mark.parametrize("decompressor", BACKEND)
@pytest.mark.parametrize("bits", range(8, 16))
@pytest.mark.parametrize("takeover", [True, False], ids=["takeover", "no_takeover"])
def test_cross_backend_round_trip(compressor: str, decompressor: str, bits: int, takeover: bool) -> None:
    params = DeflateParams(
        server_no_context_takeover=not takeover,
        client_no_context_takeover=not takeover,
        server_max_window_bits=bits,
        client_max_window_bits=bits,
    )
    rng = random.Random(bits * 2 + takeover)
    # Client to server and server to client.
    for client_sends in (True, False):
        deflater = Deflater(params, client=client_sends, zlib=compressor)
        inflater = Inflater(params, client=not client_sends, zlib=decompressor)
        checker = strict_inflater(bits)
        for message in sample_messages(bits):
            payload = deflater.compress(message)
            if not takeover:
                checker = strict_inflater(bits)
            assert checker.decompress(payload + TRAILER) == message
            frames = split(payload, rng)
            assert inflate_frames(inflater, frames, max_size=len(message)) == message


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize("level", [0, 1, 6, 9])
def test_levels_round_trip(backend: str, level: int) -> None:
    if backend == "isal" and level > 3:
        level = 3  # isal levels are 0..3
    deflater = Deflater(DeflateParams(), level=level, zlib=backend)
    inflater = Inflater(DeflateParams(), zlib="zlib")
    for message in sample_messages():
        assert inflater.feed(deflater.compress(message), fin=True) == message


# ---------------------------------------------------------------------------
# Backend choice
# ---------------------------------------------------------------------------


def test_default_backend_is_fastest_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WSFRAME_ZLIB", raising=False)
    if hasattr(zlib, "ZLIBNG_VERSION"):
        expected = "zlib"  # CPython links zlib-ng: its own zlib is the fast one
    else:
        expected = "zlib-ng" if installed("zlib-ng") else "zlib"
    assert backend_name(zlib_backend()) == expected
    assert Inflater(DeflateParams()).zlib_name == expected
    assert Deflater(DeflateParams()).zlib_name == expected


def test_default_backend_is_stdlib_zlib_when_cpython_links_zlib_ng(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A CPython built with zlib-ng in compatibility mode says so in
    # zlib.ZLIBNG_VERSION: no extra package is needed for the fast zlib.
    import wsframe._zlib

    monkeypatch.delenv("WSFRAME_ZLIB", raising=False)
    monkeypatch.setattr(wsframe._zlib, "_default_cache", {})
    monkeypatch.setattr(zlib, "ZLIBNG_VERSION", "2.2.1", raising=False)
    assert zlib_backend() is zlib
    assert Deflater(DeflateParams()).zlib_name == "zlib"
    monkeypatch.delattr(zlib, "ZLIBNG_VERSION")
    monkeypatch.setattr(wsframe._zlib, "_default_cache", {})
    if installed("zlib-ng"):
        assert backend_name(zlib_backend()) == "zlib-ng"


@pytest.mark.parametrize("backend", BACKEND)
def test_env_var_forces_backend(monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    monkeypatch.setenv("WSFRAME_ZLIB", backend)
    assert backend_name(zlib_backend()) == backend
    assert Inflater(DeflateParams()).zlib_name == backend
    assert Deflater(DeflateParams()).zlib_name == backend


def test_env_var_unknown_name_is_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WSFRAME_ZLIB", "brotli")
    with pytest.raises(ValueError, match="WSFRAME_ZLIB.*unknown zlib backend 'brotli'"):
        Inflater(DeflateParams())


def test_missing_backend_package_is_clear_import_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import wsframe._zlib

    monkeypatch.setitem(sys.modules, "isal.isal_zlib", None)
    monkeypatch.setattr(wsframe._zlib, "_default_cache", {})
    with pytest.raises(ImportError, match="pip install isal"):
        zlib_backend("isal")
    monkeypatch.setenv("WSFRAME_ZLIB", "isal")
    with pytest.raises(ImportError, match="'isal'"):
        Deflater(DeflateParams())


def test_explicit_module_accepted() -> None:
    assert zlib_backend(zlib) is zlib
    assert Inflater(DeflateParams(), zlib=zlib).zlib_name == "zlib"
    if installed("zlib-ng"):
        import zlib_ng.zlib_ng as zng

        assert Deflater(DeflateParams(), zlib=zng).zlib_name == "zlib-ng"


def test_module_with_zlib_api_is_named_after_itself() -> None:
    fake = types.ModuleType("myzlib")
    for name in dir(zlib):
        if not name.startswith("__"):
            setattr(fake, name, getattr(zlib, name))
    deflater = Deflater(DeflateParams(), zlib=fake)
    assert deflater.zlib_name == "myzlib"
    assert Inflater(DeflateParams(), zlib=fake).feed(deflater.compress(b"x"), fin=True) == b"x"


def test_object_without_zlib_api_is_type_error() -> None:
    with pytest.raises(TypeError):
        zlib_backend(types.ModuleType("empty"))
    with pytest.raises(TypeError):
        zlib_backend(object())  # type: ignore[arg-type]


def test_level_the_backend_refuses_fails_at_construction() -> None:
    if not installed("isal"):
        pytest.skip("isal not installed")
    with pytest.raises(ValueError, match="isal cannot compress with level=6"):
        Deflater(DeflateParams(), level=6, zlib="isal")


# ---------------------------------------------------------------------------
# Property: any messages, any agreement, any frame split, any backend pair
# ---------------------------------------------------------------------------

_INSTALLED = [name for name in BACKENDS if installed(name)]
_messages = st.lists(
    st.one_of(
        st.binary(max_size=600),
        st.builds(lambda b, n: b * n, st.binary(min_size=1, max_size=40), st.integers(1, 300)),
    ),
    min_size=1,
    max_size=6,
)


@given(
    messages=_messages,
    bits=st.integers(8, 15),
    takeover=st.booleans(),
    client=st.booleans(),
    compressor=st.sampled_from(_INSTALLED),
    decompressor=st.sampled_from(_INSTALLED),
    level=st.integers(0, 3),
    seed=st.integers(0, 2**32),
)
def test_property_round_trip(
    messages: list[bytes],
    bits: int,
    takeover: bool,
    client: bool,
    compressor: str,
    decompressor: str,
    level: int,
    seed: int,
) -> None:
    params = DeflateParams(not takeover, not takeover, bits, bits)
    deflater = Deflater(params, client=client, level=level, zlib=compressor)
    inflater = Inflater(params, client=not client, zlib=decompressor)
    rng = random.Random(seed)
    for message in messages:
        frames = split(deflater.compress(message), rng)
        limit = len(message) + rng.choice([0, 1, 1000])
        assert inflate_frames(inflater, frames, max_size=limit) == message
        if message:
            # The same message under a budget one byte short is refused.
            again = Deflater(params, client=client, level=level, zlib=compressor)
            fresh = Inflater(params, client=not client, zlib=decompressor)
            with pytest.raises(PayloadTooBig):
                inflate_frames(fresh, split(again.compress(message), rng), len(message) - 1)
