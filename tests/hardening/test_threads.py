"""Thread stress: both backends, payloads above the GIL-release threshold, tiny switch interval.

* Several threads, each with its own FrameDecoder, MessageAssembler, Utf8Validator and
  Masker, fed large payloads (the compiled kernels release the GIL from
  ``WSF_NOGIL_THRESHOLD`` = 64 KiB on), while ``sys.setswitchinterval`` forces the
  interpreter to switch threads as often as it can: every result must equal the
  single-threaded one (and the oracles: CPython's decoder, integer XOR).
* One FrameDecoder shared by several threads: the compiled decoder must refuse the
  concurrent use with its documented ``RuntimeError`` ("used concurrently from several
  threads") while another thread is inside a GIL-free payload copy, and never crash;
  the decoder stays usable by its owner.

Bounded: fixed rounds, every join has a timeout.  These tests also run unchanged on a
free-threaded CPython (3.13t/3.14t), where the compiled modules declare
``freethreading_compatible``.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

from _support import raw_frame, xor_mask_reference
from wsframe._reference import frames as ref_frames
from wsframe._reference import mask as ref_mask
from wsframe._reference import utf8 as ref_utf8
from wsframe.errors import ProtocolError

try:
    from wsframe._speedups import _frames as c_frames
    from wsframe._speedups import _mask as c_mask
    from wsframe._speedups import _utf8 as c_utf8
except ImportError:  # pragma: no cover - pure install
    c_frames = c_mask = c_utf8 = None

NOGIL_THRESHOLD = 65536  # kernels.pxd WSF_NOGIL_THRESHOLD
THREADS = 4
JOIN_TIMEOUT = 120.0

BACKENDS = [
    pytest.param((ref_frames, ref_mask, ref_utf8), id="reference"),
    pytest.param(
        (c_frames, c_mask, c_utf8),
        id="compiled",
        marks=pytest.mark.skipif(c_frames is None, reason="compiled backend not built"),
    ),
]


@pytest.fixture(autouse=True)
def tiny_switch_interval() -> Iterator[None]:
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


def _run_threads(targets: list[Callable[[], None]]) -> None:
    """Start every target together, join with a timeout, re-raise the first failure."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(targets))

    def wrap(fn: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                barrier.wait(timeout=JOIN_TIMEOUT)
                fn()
            except BaseException as exc:
                errors.append(exc)

        return run

    threads = [threading.Thread(target=wrap(fn), daemon=True) for fn in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(JOIN_TIMEOUT)
        assert not t.is_alive(), "a stress thread did not finish in time"
    if errors:
        raise errors[0]


def _text(seed: int, size: int) -> bytes:
    """Valid UTF-8 of exactly *size* bytes with 1- to 4-byte code points."""
    unit = f"wsframe {seed} héllo wörld ✓ 𝄞 ".encode()
    data = (unit * (size // len(unit) + 1))[:size]
    while (data[-1] & 0xC0) == 0x80:  # drop a code point cut at the end ...
        data = data[:-1]
    if data[-1] >= 0xC0:
        data = data[:-1]
    data = data.ljust(size, b".")  # ... and pad with ASCII
    data.decode("utf-8")  # valid, or this helper is wrong
    return data


def _boundary(data: bytes, i: int) -> int:
    """The first code point boundary at or after *i*."""
    while (data[i] & 0xC0) == 0x80:
        i += 1
    return i


def _masked_frame(opcode: int, payload: bytes, key: bytes, *, fin: bool = True) -> bytes:
    return raw_frame(opcode, payload, fin=fin, mask=key)


def _stream(seed: int) -> tuple[bytes, list[tuple[int, Any]]]:
    """A client-to-server stream of large messages and the messages it carries."""
    key = bytes([seed, 0x5A, 0xC3, 0x17 ^ seed])
    big = NOGIL_THRESHOLD * 2 + seed
    text = _text(seed, big)
    binary = bytes((i * 7 + seed) & 0xFF for i in range(256)) * (big // 256)
    half = _boundary(text, len(text) // 2)  # cut between code points
    wire = (
        _masked_frame(1, text, key)
        + _masked_frame(2, binary, key)
        + _masked_frame(1, text[:half], key, fin=False)  # fragmented text
        + _masked_frame(9, b"ping", key)
        + _masked_frame(0, text[half:], key)
    )
    expected = [(1, text.decode()), (2, binary), (9, b"ping"), (1, text.decode())]
    return wire, expected


def _decode_all(frames_mod: ModuleType, wire: bytes, chunk: int) -> list[tuple[int, Any]]:
    decoder = frames_mod.FrameDecoder(max_frame_size=None)
    assembler = frames_mod.MessageAssembler(max_message_size=None)
    out = []
    for i in range(0, len(wire), chunk):
        for frame in decoder.feed(wire[i : i + chunk]):
            message = assembler.add(frame)
            if message is not None:
                out.append((int(message.opcode), message.data))
    return out


@pytest.mark.parametrize("backend", BACKENDS)
def test_separate_decoders_in_threads_match_single_threaded(backend: Any) -> None:
    frames_mod, _, _ = backend
    streams = [_stream(seed) for seed in range(THREADS)]
    # Chunks larger than the threshold, so payload copies run without the GIL.
    chunk = NOGIL_THRESHOLD * 3 + 11
    single = [_decode_all(frames_mod, wire, chunk) for wire, _ in streams]
    assert single == [expected for _, expected in streams]
    results: list[Any] = [None] * THREADS

    def worker(i: int) -> Callable[[], None]:
        def run() -> None:
            results[i] = [_decode_all(frames_mod, streams[i][0], chunk) for _ in range(3)]

        return run

    _run_threads([worker(i) for i in range(THREADS)])
    for i in range(THREADS):
        assert results[i] == [single[i]] * 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_separate_validators_and_maskers_in_threads(backend: Any) -> None:
    _, mask_mod, utf8_mod = backend
    size = NOGIL_THRESHOLD * 4 + 3
    texts = [_text(seed, size) for seed in range(THREADS)]
    cuts = [_boundary(t, size // 2) for t in texts]
    bad = [t[:c] + b"\xed\xa0\x80" + t[c:] for t, c in zip(texts, cuts)]  # a surrogate
    keys = [bytes([1 + i, 2, 3, 4 + i]) for i in range(THREADS)]
    expected_masked = [xor_mask_reference(t, k, 1) for t, k in zip(texts, keys)]
    expected_tail = [xor_mask_reference(t[1:], k, 1) for t, k in zip(texts, keys)]
    results: list[Any] = [None] * THREADS

    def worker(i: int) -> Callable[[], None]:
        def run() -> None:
            got = []
            for _ in range(3):
                v = utf8_mod.Utf8Validator()
                for j in range(0, size, NOGIL_THRESHOLD + 5):
                    v.feed(texts[i][j : j + NOGIL_THRESHOLD + 5])
                v.finish()
                try:
                    utf8_mod.Utf8Validator().feed(bad[i])
                    position = None
                except ProtocolError as exc:
                    position = getattr(exc, "position", None)
                m = mask_mod.Masker(keys[i])
                m.process(b"x")  # phase 1 from here on
                masked = m.process(texts[i][1:])
                got.append(
                    (
                        utf8_mod.is_valid(texts[i]),
                        utf8_mod.find_invalid(bad[i]),
                        position,
                        masked == expected_tail[i],
                        mask_mod.apply_mask(texts[i], keys[i], 1) == expected_masked[i],
                    )
                )
            results[i] = got

        return run

    _run_threads([worker(i) for i in range(THREADS)])
    for i in range(THREADS):
        assert results[i] == [(True, cuts[i], cuts[i], True, True)] * 3


@pytest.mark.skipif(c_frames is None, reason="compiled backend not built")
@pytest.mark.parametrize("one_call", [False, True])
def test_shared_compiled_decoder_refuses_concurrent_use(one_call: bool) -> None:
    # One thread decodes frames whose payload copies run without the GIL (with
    # one_call: text messages through feed_messages, whose str is built without the
    # GIL); the others keep calling feed() and next() on the same decoder.  They must
    # get the documented RuntimeError (never a crash, never a corrupted frame or
    # message), and what the owner decodes must all be intact.
    key = b"\x11\x22\x33\x44"
    payload = bytes(range(256)) * (16 * NOGIL_THRESHOLD // 256)  # 1 MiB
    wire = _masked_frame(2, payload, key)
    decoder = c_frames.FrameDecoder(max_frame_size=None)
    assembler = c_frames.MessageAssembler(max_message_size=None)
    if one_call:
        text = ("h\u00e9llo \u20ac\U0001f600" * (len(payload) // 16)).encode()
        wire = _masked_frame(1, text, key)
    stop = threading.Event()
    refused: list[str] = []
    other_errors: list[BaseException] = []
    owner_frames: list[bool] = []

    def owner() -> None:
        # Until a refusal was seen (and 20 frames decoded), bounded by time rather than
        # by a count: on a loaded machine the intruders may need many tries to land
        # inside a GIL-free copy.
        deadline = time.monotonic() + 30
        try:
            while time.monotonic() < deadline:
                if refused and len(owner_frames) >= 20:
                    break
                try:
                    if one_call:
                        got = [m.data.encode() == text for m in decoder.feed_messages(wire, assembler)]
                    else:
                        got = [f.payload == payload for f in decoder.feed(wire)]
                except RuntimeError:
                    continue  # the other thread was inside; the input stays buffered
                owner_frames.extend(got)
        finally:
            stop.set()

    def intruder() -> None:
        while not stop.is_set():
            try:
                list(decoder.feed(b""))
            except RuntimeError as exc:
                refused.append(str(exc))
            except BaseException as exc:
                other_errors.append(exc)

    _run_threads([owner, intruder, intruder])
    assert not other_errors, other_errors
    assert refused, "no concurrent use was refused"
    assert all("concurrently" in message for message in refused)
    assert owner_frames and all(owner_frames)
    # The decoder is still consistent: one more frame decodes normally.
    tail = list(decoder.feed(wire))
    assert [f.payload == (text if one_call else payload) for f in tail] in ([True], [True, True])


@pytest.mark.parametrize("backend", BACKENDS)
def test_shared_decoder_hammered_never_crashes(backend: Any) -> None:
    # Several threads feeding pieces of streams into one decoder garble the stream: the
    # outcome is frames, a ProtocolError (the interleaved bytes are not a valid stream)
    # or the RuntimeError for concurrent use -- nothing else, on either backend (the
    # reference refuses a call that finds another thread inside it, as the compiled
    # decoder does while it works without the GIL).
    frames_mod, _, _ = backend
    allowed: tuple[type[BaseException], ...] = (ProtocolError, RuntimeError)
    wire, _ = _stream(1)
    decoder = frames_mod.FrameDecoder(max_frame_size=None)
    unexpected: list[BaseException] = []

    def worker() -> None:
        for i in range(0, len(wire), NOGIL_THRESHOLD + 1):
            try:
                for frame in decoder.feed(wire[i : i + NOGIL_THRESHOLD + 1]):
                    bytes(frame.payload)
            except allowed:
                pass
            except BaseException as exc:
                unexpected.append(exc)

    _run_threads([worker for _ in range(THREADS)])
    assert not unexpected, unexpected
