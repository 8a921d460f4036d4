"""The compiled paths for compressed messages against the reference.

Out: ``encode_message_bytes`` with a Deflater, an unmasked data message and no
fragment_size writes the compressor's output straight into one frame in the
compiled backend; the reference frames ``Deflater.compress``'s result.  Both
must give the same bytes on every zlib backend, window and takeover setting,
and the frames must inflate back to the message.

In: the compiled ``MessageAssembler`` with an ``Inflater`` inflates each frame
without the ``Inflater.feed`` call and validates and transcodes a one-frame
text message in one pass; the reference assembler must reach the same
messages and the same errors (class, wording, close code, position) on random
messages split into random frames, on corrupted streams and at the exact
limits.
"""

from __future__ import annotations

import functools
import importlib.util
import random
from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest

from wsframe import frames
from wsframe._reference import frames as reference_frames
from wsframe.deflate import DeflateParams, Deflater, Inflater

BACKENDS = [
    name
    for name, module in (("zlib", "zlib"), ("zlib-ng", "zlib_ng"), ("isal", "isal"))
    if importlib.util.find_spec(module) is not None
]
PARAMS = [
    DeflateParams(),
    DeflateParams(server_no_context_takeover=True),
    DeflateParams(server_max_window_bits=9),
    DeflateParams(server_max_window_bits=8),
]
PAYLOADS = [
    b"",
    b"x",
    b"hello " * 20,
    bytes(range(256)) * 300,
    bytearray(b"abc" * 50000),
    random.Random(7).randbytes(2000),  # a body of 2 KiB: a 4-byte header
    random.Random(8).randbytes(70000),  # a body over 64 KiB: a 10-byte header
]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("params", PARAMS, ids=repr)
def test_same_frames_as_reference_and_inflates_back(backend: str, params: DeflateParams) -> None:
    fast = Deflater(params, zlib=backend)
    slow = Deflater(params, zlib=backend)
    inflater = Inflater(params, client=True, zlib=backend)
    decoder = frames.FrameDecoder(client=True, rsv_allowed=4)
    for payload in PAYLOADS * 2:
        for opcode in (1, 2, frames.Opcode.TEXT):
            wire = frames.encode_message_bytes(opcode, payload, deflater=fast)
            assert wire == reference_frames.encode_message_bytes(opcode, payload, deflater=slow)
            (frame,) = list(decoder.feed(wire))
            assert frame.rsv1 and frame.fin
            assert inflater.feed(frame.payload, fin=True) == bytes(payload)
            listed = frames.encode_message(opcode, payload, deflater=fast)
            assert listed == reference_frames.encode_message(opcode, payload, deflater=slow)
            for frame in decoder.feed(b"".join(listed)):
                assert inflater.feed(frame.payload, fin=True) == bytes(payload)


def test_min_size_control_and_masked_frames_take_the_general_path() -> None:
    fast = Deflater(DeflateParams(), min_size=10)
    slow = Deflater(DeflateParams(), min_size=10)
    for opcode, payload in ((1, b"short"), (9, b"ping"), (2, b"long enough payload")):
        assert frames.encode_message_bytes(opcode, payload, deflater=fast) == (
            reference_frames.encode_message_bytes(opcode, payload, deflater=slow)
        )
    wire = frames.encode_message_bytes(1, b"masked message", masked=True, deflater=fast)
    assert wire[0] == 0xC1 and wire[1] & 0x80
    with pytest.raises(ValueError):
        frames.encode_message_bytes(0, b"continuation first", deflater=fast)
    with pytest.raises(TypeError):
        frames.encode_message_bytes(1, "text", deflater=fast)


def test_min_size_is_read_at_each_message() -> None:
    # The compiled path reads the Deflater's slots directly: a min_size set
    # after the compressor's first use still applies, as in the reference.
    fast, slow = Deflater(DeflateParams()), Deflater(DeflateParams())
    for min_size in (0, 100, 0):
        fast.min_size = slow.min_size = min_size
        for payload in (b"short message", b"a longer message, " * 8):
            assert frames.encode_message_bytes(1, payload, deflater=fast) == (
                reference_frames.encode_message_bytes(1, payload, deflater=slow)
            )


@pytest.mark.parametrize("encode", [frames.encode_message_bytes, reference_frames.encode_message_bytes])
def test_uninitialised_deflater_raises_as_the_reference(encode: Any) -> None:
    deflater = Deflater.__new__(Deflater)  # its slots never set
    with pytest.raises(AttributeError, match="min_size"):
        encode(1, b"hello", deflater=deflater)


@pytest.mark.parametrize("encode", [frames.encode_message_bytes, frames.encode_message])
def test_without_takeover_no_compressor_is_held_between_messages(encode: object) -> None:
    # The idle-memory property of a Deflater without context takeover (its compressor
    # goes back to the per-thread pool after each message) holds on the fast path too.
    deflater = Deflater(DeflateParams(server_no_context_takeover=True))
    for _ in range(3):
        encode(1, b"hello " * 20, deflater=deflater)  # type: ignore[operator]
        assert deflater._c is None


def _call_shapes(deflater: Deflater) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    payload = b"a message of some length, " * 4
    return [
        ((1, payload), {"deflater": deflater}),  # the shape with its own entry
        ((2, bytearray(payload)), {"deflater": deflater}),
        ((frames.Opcode.TEXT, payload), {"deflater": deflater}),
        ((1, payload), {"deflater": None}),
        ((1, payload), {}),
        ((1, payload), {"deflater": deflater, "fragment_size": None}),
        ((1, payload), {"fragment_size": 10, "deflater": deflater}),
        ((1, payload), {"masked": False, "deflater": deflater}),
        ((1, memoryview(payload)), {"deflater": deflater}),
        ((9, b"ping"), {"deflater": deflater}),
        ((0, payload), {"deflater": deflater}),
        ((1, "text"), {"deflater": deflater}),
        ((1.0, payload), {"deflater": deflater}),
        ((1,), {"deflater": deflater}),
        ((1, payload, None), {"deflater": deflater}),
        ((1, payload), {"deflater": deflater, "unknown": 1}),
        ((1, payload), {"deflater": object()}),
    ]


def test_every_call_shape_as_the_reference() -> None:
    # encode_message_bytes(opcode, payload, deflater=d) has an entry of its own
    # in the compiled backend (no general argument parsing); every other way
    # of calling it, and every argument that entry declines, must still get
    # the reference's frames or the reference's error.
    fast, slow = Deflater(DeflateParams()), Deflater(DeflateParams())
    for (args, kwargs), (ref_args, ref_kwargs) in zip(_call_shapes(fast), _call_shapes(slow)):
        got = _outcome(functools.partial(frames.encode_message_bytes, *args, **kwargs))
        want = _outcome(functools.partial(reference_frames.encode_message_bytes, *ref_args, **ref_kwargs))
        assert got[:2] == want[:2], (args, kwargs)
        if got[0] == "ok":
            assert got == want, (args, kwargs)


def test_own_entry_keeps_the_function_as_it_is() -> None:
    import inspect

    fn = frames.encode_message_bytes
    assert fn.__name__ == "encode_message_bytes"
    assert "one contiguous" in (fn.__doc__ or "")
    params = [
        [(p.name, p.kind, p.default) for p in inspect.signature(f).parameters.values()]
        for f in (fn, reference_frames.encode_message_bytes)
    ]
    assert params[0] == params[1]


# ---------------------------------------------------------------------------
# Inflate: compiled assembler against the reference, frame by frame
# ---------------------------------------------------------------------------

IMPLEMENTATIONS = [frames, reference_frames]
TEXTS = ["", "a", "héllo wörld ", "日本語テキスト", "🎉 emoji ", '{"type":"message","text":"hi"}']


def _message(rng: random.Random) -> tuple[int, bytes]:
    if rng.random() < 0.3:
        return 2, rng.randbytes(rng.choice((0, 1, 40, 3000, 70000)))
    words = [rng.choice(TEXTS) for _ in range(rng.choice((1, 5, 60, 900)))]
    return 1, "".join(words).encode()


def _frames_of(opcode: int, body: bytes, rng: random.Random) -> list[bytes]:
    """``body`` (a compressed payload) as 1..4 masked (client) frames split at
    random points."""
    cuts = sorted(rng.sample(range(len(body) + 1), min(rng.randint(0, 3), len(body) + 1)))
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)])]
    return [
        frames.encode_frame(
            opcode if i == 0 else 0, piece, fin=i == len(pieces) - 1, rsv1=i == 0, mask=rng.randbytes(4)
        )
        for i, piece in enumerate(pieces)
    ]


def _outcome(fn: Callable[[], Any]) -> Any:
    try:
        return ("ok", fn())
    except Exception as exc:  # the verdict itself is compared
        return ("error", type(exc).__name__, str(exc), getattr(exc, "code", None), getattr(exc, "position", None))


class _Receiver:
    """One implementation's decoder + assembler + inflater for one connection."""

    def __init__(self, impl: ModuleType, params: DeflateParams, backend: str, limit: Any, ratio: Any) -> None:
        self.feed = impl.FrameDecoder(rsv_allowed=4).feed
        inflater = Inflater(params, zlib=backend, max_ratio=ratio)
        self.add = impl.MessageAssembler(max_message_size=limit, inflater=inflater).add
        self.broken: Any = None

    def receive(self, wire: list[bytes]) -> Any:
        if self.broken is not None:
            return self.broken

        def run() -> Any:
            out = None
            for chunk in wire:
                for frame in self.feed(chunk):
                    out = self.add(frame)
            return None if out is None else (out.opcode, out.data, out.compressed)

        result = _outcome(run)
        if result[0] == "error":
            self.broken = result  # a failed connection is not fed again
        return result


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("params", [DeflateParams(), DeflateParams(client_no_context_takeover=True)], ids=repr)
@pytest.mark.parametrize("seed", range(4))
def test_inflate_random_messages_in_random_frames_as_reference(backend: str, params: DeflateParams, seed: int) -> None:
    rng = random.Random(seed)
    limit = rng.choice((None, 1 << 20, 50000))
    ratio = rng.choice((None, None, 3))
    deflater = Deflater(params, client=True, zlib=backend)
    receivers = [_Receiver(impl, params, backend, limit, ratio) for impl in IMPLEMENTATIONS]
    delivered = 0
    for _ in range(25):
        opcode, payload = _message(rng)
        wire = _frames_of(opcode, deflater.compress(payload), rng)
        results = [r.receive(wire) for r in receivers]
        assert results[0] == results[1]
        if results[0][0] == "ok":
            kind, data, compressed = results[0][1]
            assert kind == opcode and compressed
            assert (data.encode() if opcode == 1 else data) == payload
            delivered += 1
    assert delivered  # every seed delivers messages before any limit ends it


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("seed", range(3))
def test_corrupted_streams_get_the_reference_verdict(backend: str, seed: int) -> None:
    rng = random.Random(100 + seed)
    params = DeflateParams(client_no_context_takeover=True)  # each message stands alone
    deflater = Deflater(params, client=True, zlib=backend)
    verdicts: set[str] = set()
    for _ in range(40):
        opcode, payload = _message(rng)
        body = bytearray(deflater.compress(payload))
        for _ in range(rng.randint(1, 4)):
            if body:
                body[rng.randrange(len(body))] ^= 1 << rng.randrange(8)
        if rng.random() < 0.2:
            body = body[: rng.randrange(len(body) + 1)]
        wire = _frames_of(opcode, bytes(body), rng)
        results = [_Receiver(impl, params, backend, 1 << 20, None).receive(wire) for impl in IMPLEMENTATIONS]
        assert results[0] == results[1]
        verdicts.add(results[0][1] if results[0][0] == "error" else "ok")
    assert "ProtocolError" in verdicts  # corrupt data was seen as such


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("split", [False, True])
def test_limits_at_the_exact_boundary(backend: str, split: bool) -> None:
    params = DeflateParams(client_no_context_takeover=True)
    payload = ("ünïcödé " * 700).encode()
    body = Deflater(params, client=True, zlib=backend).compress(payload)
    rng = random.Random(5)
    wire = _frames_of(1, body, rng) if split else [frames.encode_frame(1, body, rsv1=True, mask=b"wsfr")]
    for limit in (len(payload), len(payload) - 1, len(payload) + 1, float(len(payload)), len(body), len(body) - 1):
        results = [_Receiver(impl, params, backend, limit, None).receive(wire) for impl in IMPLEMENTATIONS]
        assert results[0] == results[1]
        ok = limit >= len(payload)
        assert results[0][0] == ("ok" if ok else "error")
        if not ok:
            assert results[0][3] == 1009


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "text",
    [
        b"ok \xff tail",
        b"fine" * 100 + b"\xe2\x82",
        b"\xed\xa0\x80 surrogate",
        b"abc\xf0\x9f\x98",
        "é".encode() * 9000 + b"\xc3",
    ],
)
@pytest.mark.parametrize("split", [False, True])
def test_ill_formed_compressed_text_worded_as_reference(backend: str, text: bytes, split: bool) -> None:
    params = DeflateParams(client_no_context_takeover=True)
    body = Deflater(params, client=True, zlib=backend).compress(text)
    wire = _frames_of(1, body, random.Random(9)) if split else [frames.encode_frame(1, body, rsv1=True, mask=b"wsfr")]
    results = [_Receiver(impl, params, backend, None, None).receive(wire) for impl in IMPLEMENTATIONS]
    assert results[0] == results[1]
    assert results[0][0] == "error" and results[0][1] == "InvalidUTF8"


def _big_text(size: int, seed: int) -> bytes:
    rng = random.Random(seed)
    out = bytearray()
    while len(out) < size:
        out += rng.choice(TEXTS).encode()
    return bytes(out[:size]).decode("utf-8", "ignore").encode()


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("params", [DeflateParams(), DeflateParams(client_no_context_takeover=True)], ids=repr)
def test_large_one_frame_text_as_reference(backend: str, params: DeflateParams) -> None:
    # A whole text message in one compressed frame is inflated piece by piece
    # (32 KiB at a time) into a shared buffer by the compiled assembler: every
    # size around the piece boundaries, a message larger than the buffer is
    # kept at, limits at and around the size, ill-formed text at the end.
    deflater = Deflater(params, client=True, zlib=backend)
    sizes = [0, 1, 32767, 32768, 32769, 65536, 65537, 200000]
    payloads = [_big_text(size, size) for size in sizes]
    payloads += [b"a" * 300000, b"x" * 40000 + b"\xff", "é".encode() * 40000 + b"\xc3", b"b" * (3 << 20)]
    for payload in payloads:
        body = deflater.compress(payload)
        wire = [frames.encode_frame(1, body, rsv1=True, mask=b"wsfr")]
        for limit in (len(payload), len(payload) - 1, 40000, 4 << 20):
            if limit < 0:
                continue
            results = [_Receiver(impl, params, backend, limit, None).receive(wire) for impl in IMPLEMENTATIONS]
            assert results[0] == results[1], (len(payload), limit)
            try:
                text = payload.decode()
            except UnicodeDecodeError:
                assert results[0][1] == ("InvalidUTF8" if limit >= len(payload) else "PayloadTooBig")
                continue
            if limit >= max(len(payload), len(body)):
                assert results[0] == ("ok", (1, text, True))
            else:
                assert results[0][1] == "PayloadTooBig"
        if not params.client_no_context_takeover:
            # the sender's history must stay in step with a receiver's
            deflater = Deflater(params, client=True, zlib=backend)


def test_large_text_from_many_threads() -> None:
    # The buffer is shared by the process and the decompressor lets other
    # threads run while it inflates: each thread must still get its own text.
    import threading

    params = DeflateParams(client_no_context_takeover=True)
    texts = [_big_text(100000 + 7919 * i, i) for i in range(6)]
    bodies = [Deflater(params, client=True).compress(t) for t in texts]
    wires = [frames.encode_frame(1, b, rsv1=True, mask=b"wsfr") for b in bodies]
    failures: list[object] = []

    def worker(i: int) -> None:
        feed = frames.FrameDecoder(rsv_allowed=4).feed
        add = frames.MessageAssembler(inflater=Inflater(params)).add
        for round_ in range(30):
            k = (i + round_) % len(wires)
            for frame in feed(wires[k]):
                message = add(frame)
                if message is None or message.data != texts[k].decode():
                    failures.append((i, round_))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
