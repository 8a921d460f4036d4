"""Deflaters without context takeover hold no compressor between messages.

Their compressors come from a per-thread pool and go back to it reset
(``Z_FULL_FLUSH``).  The test that matters: one connection's message must
never be referenced by another's.  Connection A compresses a secret;
connection B then compresses the same secret with the very compressor A used:
if B's output referred back to A's bytes it would be a few bytes long and
would not inflate without A's history.  On every zlib backend.
"""

from __future__ import annotations

import random
import threading
import zlib

import pytest
from _deflate_support import backend_params

from wsframe.deflate import DeflateParams, Deflater, Inflater

BACKEND = backend_params()
SECRET = random.Random(3).randbytes(3000)  # incompressible: only a back-reference shrinks it
NO_TAKEOVER = DeflateParams(server_no_context_takeover=True, client_no_context_takeover=True)


def inflate_alone(payload: bytes) -> bytes:
    """Inflate with a fresh decompressor: no history from anything before."""
    return zlib.decompressobj(-15).decompress(payload + b"\x00\x00\xff\xff")


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize("bits", [15, 12, 9, 8])
@pytest.mark.parametrize("client", [False, True], ids=["server", "client"])
def test_no_byte_of_one_connection_is_referenced_by_another(backend: str, bits: int, client: bool) -> None:
    params = DeflateParams(True, True, bits, bits)
    a = Deflater(params, client=client, zlib=backend)
    assert a._pool is not None
    free = a._pool.free
    del free[1:]  # what earlier tests left: one compressor for A and B
    b = Deflater(params, client=client, zlib=backend)
    assert a._pool is b._pool and len(free) == 1
    shared = free[0]
    a_out = a.compress(SECRET)
    assert free == [shared]
    # B borrows the compressor A just gave back: the pool is what is tested.
    b_out = b.compress(b"x" + SECRET)
    assert free[0] is shared and len(free) == 1
    assert inflate_alone(a_out) == SECRET
    assert inflate_alone(b_out) == b"x" + SECRET
    assert len(b_out) > len(SECRET)  # no reference into A's message
    # Also within one connection: each message stands alone.
    again = a.compress(SECRET)
    assert inflate_alone(again) == SECRET and len(again) > len(SECRET)


@pytest.mark.parametrize("backend", BACKEND)
def test_takeover_keeps_history_per_connection(backend: str) -> None:
    # The contrast: with context takeover a connection refers to its own
    # previous message, and never shares its compressor.
    a = Deflater(DeflateParams(), zlib=backend)
    first, second = a.compress(SECRET), a.compress(SECRET)
    assert len(second) < len(SECRET) // 10
    inflater = Inflater(DeflateParams(), zlib=backend)
    assert inflater.feed(first, fin=True) == SECRET
    assert inflater.feed(second, fin=True) == SECRET
    assert a._pool is None and a._c is not None


@pytest.mark.parametrize("backend", BACKEND)
def test_idle_deflater_without_takeover_holds_no_compressor(backend: str) -> None:
    d = Deflater(NO_TAKEOVER, zlib=backend)
    d.compress(SECRET)
    assert d._c is None


def test_a_failed_compress_drops_the_compressor() -> None:
    d = Deflater(NO_TAKEOVER)
    assert d._pool is not None
    free = d._pool.free
    before = list(free)
    with pytest.raises(TypeError):
        d.compress("text")  # type: ignore[arg-type]
    assert len(free) == len(before) - 1 if before else not free
    assert inflate_alone(d.compress(SECRET)) == SECRET


def test_threads_use_their_own_compressors() -> None:
    d = Deflater(NO_TAKEOVER)
    results: dict[int, bytes] = {}
    errors: list[BaseException] = []

    def send(i: int) -> None:
        try:
            for _ in range(200):
                message = bytes([i]) * 50 + SECRET[i * 100 : i * 100 + 500]
                out = d.compress(message)
                assert inflate_alone(out) == message
            results[i] = out
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(results) == 4


@pytest.mark.parametrize("backend", BACKEND)
def test_server_requires_client_no_context_takeover_end_to_end(backend: str) -> None:
    # RFC 7692 §7.1.1.2: the server may ask for client_no_context_takeover in
    # its response; then the client's Deflater and the server's Inflater both
    # hold nothing between messages, and every message inflates alone.
    from wsframe.deflate import accept_response, offer, respond

    mine = offer()
    result = respond(mine, client_no_context_takeover=True)
    assert result is not None
    server_params, value = result
    assert "client_no_context_takeover" in value
    client_params = accept_response(value, mine)
    assert client_params == server_params and client_params.client_no_context_takeover
    client = Deflater(client_params, client=True, zlib=backend)
    server = Inflater(server_params, zlib=backend)
    for _ in range(3):
        payload = client.compress(SECRET)
        assert inflate_alone(payload) == SECRET
        assert server.feed(payload, fin=True) == SECRET
        assert server._d is None and client._c is None
