"""The shared policy module, the work done once per byte, the compressed message
path of the assembler, the key pool, one-buffer encoding, and the hardening of
the compiled types and the decoder's memory.

Every test runs on both implementations in one process: ``impl`` is the
reference ``wsframe._reference.frames`` or the compiled
``wsframe._speedups._frames``.
"""

from __future__ import annotations

import os
import signal
import threading
import tracemalloc
from types import ModuleType
from typing import Any

import pytest

from _support import BACKENDS, load_implementation
from wsframe import _keys, _rules
from wsframe.deflate import DeflateParams, Deflater, Inflater
from wsframe.errors import InvalidUTF8, PayloadTooBig, ProtocolError

# Each test compares or runs both implementations itself: the pure-Python pass of
# tools/run_tests.py need not run them again.
pytestmark = pytest.mark.both_backends


def _load(name: str) -> ModuleType:
    """The reference (``"python"``) or compiled (``"c"``) frames module; the compiled
    one skips when not built, or fails under WSFRAME_REQUIRE_C=1."""
    return load_implementation("frames", name)


@pytest.fixture(params=BACKENDS)
def impl(request: pytest.FixtureRequest) -> ModuleType:
    return _load(request.param)


KEY = b"\x01\x02\x03\x04"


def masked(impl: ModuleType, opcode: int, payload: bytes, fin: bool = True, rsv1: bool = False) -> bytes:
    return impl.encode_frame(opcode, payload, fin=fin, rsv1=rsv1, mask=KEY)


# ---------------------------------------------------------------------------
# One home per rule


def test_policy_objects_are_the_shared_ones(impl: ModuleType) -> None:
    assert impl.Opcode is _rules.Opcode
    assert impl.CloseCode is _rules.CloseCode
    assert impl.is_valid_close_code is _rules.is_valid_close_code
    assert impl.DEFAULT_MAX_SIZE == _rules.DEFAULT_MAX_SIZE == 2**20


def test_close_code_table_matches_the_policy() -> None:
    """The compiled decoder's table of close codes is the policy, code by code."""
    C = _load("c")
    for code in range(0, 1 << 16):
        body = code.to_bytes(2, "big") + b"bye"
        if _rules.is_valid_close_code(code):
            (frame,) = list(C.FrameDecoder().feed(masked(C, 8, body)))
            assert frame.payload == body
        else:
            with pytest.raises(ProtocolError) as info:
                list(C.FrameDecoder().feed(masked(C, 8, body)))
            assert str(info.value) == f"invalid close code {code}"


@pytest.mark.parametrize("in_message", [False, True])
@pytest.mark.parametrize("opcode", [0, 1, 2])
def test_fragmentation_rule_one_wording(impl: ModuleType, opcode: int, in_message: bool) -> None:
    expected = _rules.fragmentation_error(opcode, in_message)
    decoder = impl.FrameDecoder()
    wire = masked(impl, 1, b"a", fin=False) if in_message else b""
    wire += masked(impl, opcode, b"b")
    if expected is None:
        assert len(list(decoder.feed(wire))) == (2 if in_message else 1)
    else:
        with pytest.raises(ProtocolError) as info:
            list(decoder.feed(wire))
        assert str(info.value) == str(expected) and info.value.code == 1002
    assembler = impl.MessageAssembler()
    if in_message:
        assembler.add(impl.Frame(impl.Opcode.TEXT, b"a", fin=False))
    if expected is None:
        assembler.add(impl.Frame(opcode, b"b"))
    else:
        with pytest.raises(ProtocolError) as info:
            assembler.add(impl.Frame(opcode, b"b"))
        assert str(info.value) == str(expected)


# ---------------------------------------------------------------------------
# Work done once per byte


def test_decoded_text_frames_carry_the_validated_flag(impl: ModuleType) -> None:
    decoder = impl.FrameDecoder()
    text, binary = list(decoder.feed(masked(impl, 1, "héllo".encode()) + masked(impl, 2, b"\xff")))
    assert text._text_valid is True
    assert binary._text_valid is False
    assert impl.Frame(impl.Opcode.TEXT, b"x")._text_valid is False
    # Not part of the value.
    assert text == impl.Frame(impl.Opcode.TEXT, "héllo".encode())
    assert "_text_valid" not in repr(text)
    unchecked = impl.FrameDecoder(validate_utf8=False)
    (frame,) = list(unchecked.feed(masked(impl, 1, b"ok")))
    assert frame._text_valid is False


def test_validated_then_unvalidated_fragments_are_checked_across(impl: ModuleType) -> None:
    """A fragment that did not come from a validating decoder, after one that
    did, is checked with the state of the whole message (the earlier bytes
    end inside a code point here)."""
    decoder = impl.FrameDecoder()
    (first,) = list(decoder.feed(masked(impl, 1, b"ab\xe2\x82", fin=False)))
    assert first._text_valid
    assembler = impl.MessageAssembler()
    assert assembler.add(first) is None
    message = assembler.add(impl.Frame(impl.Opcode.CONTINUATION, b"\xac!"))
    assert message.data == "ab€!"
    assembler.add(first)
    with pytest.raises(InvalidUTF8) as info:
        assembler.add(impl.Frame(impl.Opcode.CONTINUATION, b"\x41"))
    assert info.value.position == 2


def test_one_frame_message_data_is_the_payload(impl: ModuleType) -> None:
    assembler = impl.MessageAssembler(decode_text=False)
    frame = impl.Frame(impl.Opcode.BINARY, b"payload")
    message = assembler.add(frame)
    assert message.data is frame.payload
    assert not assembler.in_message


def test_limit_is_read_at_each_change(impl: ModuleType) -> None:
    assembler = impl.MessageAssembler(max_message_size=4)
    assembler.add(impl.Frame(impl.Opcode.BINARY, b"1234"))
    assembler.max_message_size = 3
    with pytest.raises(PayloadTooBig):
        assembler.add(impl.Frame(impl.Opcode.BINARY, b"1234"))
    assembler.max_message_size = None
    assert assembler.add(impl.Frame(impl.Opcode.BINARY, b"x" * 100)).data == b"x" * 100
    with pytest.raises(ValueError):
        impl.MessageAssembler(max_message_size=-1)


# ---------------------------------------------------------------------------
# The assembler with an inflater (RFC 7692)

PARAMS = DeflateParams()


def compressed_frames(
    impl: ModuleType, opcode: int, data: bytes, fragment: int | None, deflater: Deflater
) -> list[Any]:
    wire = b"".join(impl.encode_message(opcode, data, fragment_size=fragment, masked=True, deflater=deflater))
    return list(impl.FrameDecoder(rsv_allowed=4).feed(wire))


@pytest.mark.parametrize("fragment", [None, 1, 7, 300])
def test_compressed_text_round_trip(impl: ModuleType, fragment: int | None) -> None:
    deflater = Deflater(PARAMS, client=True)
    inflater = Inflater(PARAMS)
    assembler = impl.MessageAssembler(inflater=inflater)
    for text in ["héllo wörld " * 50, "", "€" * 3000, "plain"]:
        frames = compressed_frames(impl, 1, text.encode(), fragment, deflater)
        assert frames[0].rsv1 and not any(f.rsv1 for f in frames[1:])
        results = [assembler.add(f) for f in frames]
        assert results[:-1] == [None] * (len(frames) - 1)
        assert results[-1].data == text
        assert results[-1].compressed is True


def test_uncompressed_and_control_frames_interleave(impl: ModuleType) -> None:
    deflater = Deflater(PARAMS, client=True)
    assembler = impl.MessageAssembler(inflater=Inflater(PARAMS))
    data = bytes(range(256)) * 2 + os.urandom(500)
    frames = compressed_frames(impl, 2, data, 100, deflater)
    assert len(frames) > 2
    assert assembler.add(frames[0]) is None
    ping = assembler.add(impl.Frame(impl.Opcode.PING, b"p"))
    assert ping.opcode == impl.Opcode.PING and ping.data == b"p"
    for frame in frames[1:-1]:
        assert assembler.add(frame) is None
    assert assembler.add(frames[-1]).data == data
    plain = assembler.add(impl.Frame(impl.Opcode.TEXT, b"plain"))
    assert plain.data == "plain" and plain.compressed is False


def test_compressed_without_inflater_is_returned_compressed(impl: ModuleType) -> None:
    deflater = Deflater(PARAMS, client=True)
    (frame,) = compressed_frames(impl, 1, b"zzzz" * 100, None, deflater)
    message = impl.MessageAssembler().add(frame)
    assert message.compressed is True and message.data == frame.payload
    assert Inflater(PARAMS).feed(message.data, fin=True) == b"zzzz" * 100


@pytest.mark.parametrize("size", [1000, 1001])
def test_inflated_size_counts_against_the_limit(impl: ModuleType, size: int) -> None:
    """A message that inflates to exactly the limit passes; one byte more fails,
    although its wire size is far below the limit."""
    deflater = Deflater(PARAMS, client=True)
    frames = compressed_frames(impl, 2, b"\x00" * size, 10, deflater)
    assert sum(len(f.payload) for f in frames) < 100
    assembler = impl.MessageAssembler(max_message_size=1000, inflater=Inflater(PARAMS))
    if size == 1000:
        results = [assembler.add(f) for f in frames]
        assert results[-1].data == b"\x00" * 1000
    else:
        with pytest.raises(PayloadTooBig) as info:
            for f in frames:
                assembler.add(f)
        assert info.value.code == 1009
        assert "inflates to more than the limit of 1000 bytes" in str(info.value)
        assert not assembler.in_message


def test_inflated_text_fails_fast_at_the_inflated_position(impl: ModuleType) -> None:
    deflater = Deflater(PARAMS, client=True)
    bad = b"a" * 5000 + b"\xed\xa0\x80" + b"b" * 5000
    frames = compressed_frames(impl, 1, bad, 1, deflater)
    assembler = impl.MessageAssembler(inflater=Inflater(PARAMS))
    added = 0
    with pytest.raises(InvalidUTF8) as info:
        for frame in frames:
            added += 1
            assembler.add(frame)
    assert info.value.position == 5000
    assert added < len(frames)  # before the last frame arrived


def test_corrupt_compressed_data_is_1002(impl: ModuleType) -> None:
    assembler = impl.MessageAssembler(inflater=Inflater(PARAMS))
    with pytest.raises(ProtocolError) as info:
        assembler.add(impl.Frame(impl.Opcode.BINARY, b"\xff\xff\xff\xff", rsv1=True))
    assert info.value.code == 1002


def test_min_size_leaves_small_messages_uncompressed(impl: ModuleType) -> None:
    deflater = Deflater(PARAMS, min_size=64)
    (small,) = impl.encode_message(1, b"tiny", deflater=deflater)
    assert small == impl.encode_frame(1, b"tiny")
    (big,) = impl.encode_message(1, b"x" * 64, deflater=deflater)
    assert big[0] & 0x40
    (ping,) = impl.encode_message(9, b"x" * 100, deflater=deflater)
    assert not ping[0] & 0x40


# ---------------------------------------------------------------------------
# One contiguous buffer, encoded once for many


@pytest.mark.parametrize("masked_", [False, True])
@pytest.mark.parametrize("fragment", [None, 1, 3, 125, 126, 65536])
@pytest.mark.parametrize("size", [0, 1, 5, 125, 126, 65535, 65536, 70000])
def test_encode_message_bytes_equals_the_joined_frames(
    impl: ModuleType, size: int, fragment: int | None, masked_: bool
) -> None:
    payload = bytes(range(256)) * (size // 256) + bytes(range(size % 256))
    one = impl.encode_message_bytes(2, payload, fragment_size=fragment, masked=masked_)
    frames = list(impl.FrameDecoder(client=not masked_, max_frame_size=None).feed(one))
    assert b"".join(f.payload for f in frames) == payload
    assert [f.fin for f in frames] == [False] * (len(frames) - 1) + [True]
    assert frames[0].opcode == 2 and all(f.opcode == 0 for f in frames[1:])
    if not masked_:
        assert one == b"".join(impl.encode_message(2, payload, fragment_size=fragment))


def test_encode_message_bytes_compressed(impl: ModuleType) -> None:
    params = DeflateParams(server_no_context_takeover=True)
    deflater = Deflater(params)
    data = b"broadcast " * 1000
    once = impl.encode_message_bytes(1, data, fragment_size=256, deflater=deflater)
    # server_no_context_takeover: the same bytes for every message and connection.
    assert impl.encode_message_bytes(1, data, fragment_size=256, deflater=deflater) == once
    for _ in range(3):  # three connections, one encoded message
        frames = list(impl.FrameDecoder(client=True, rsv_allowed=4).feed(once))
        assembler = impl.MessageAssembler(inflater=Inflater(params, client=True))
        assert [assembler.add(f) for f in frames][-1].data == data.decode()


@pytest.mark.parametrize("opcode", [1, 2, 9, _rules.Opcode.TEXT, 0, 3, 1.0, True])
@pytest.mark.parametrize("fragment", [None, 1, 4, 125, 2**70, 0, -1, -(2**70), True, 2.0])
@pytest.mark.parametrize("payload", [b"", b"abcde", bytearray(b"x" * 200), memoryview(b"yz")])
def test_encode_message_bytes_arguments_as_the_reference(
    impl: ModuleType, opcode: Any, fragment: Any, payload: Any
) -> None:
    # The compiled backend plans plain arguments itself (not through
    # _plan.plan_message): every result and every error must be the reference's.
    def outcome(module: Any) -> Any:
        try:
            return module.encode_message_bytes(opcode, payload, fragment_size=fragment)
        except Exception as exc:  # compared below, not swallowed
            return type(exc), str(exc)

    assert outcome(impl) == outcome(_load("python"))


def test_encode_message_bytes_errors(impl: ModuleType) -> None:
    with pytest.raises(ValueError):
        impl.encode_message_bytes(0, b"x")
    with pytest.raises(ValueError):
        impl.encode_message_bytes(9, b"x" * 126)
    with pytest.raises(ValueError):
        impl.encode_message_bytes(3, b"x")
    with pytest.raises(TypeError):
        impl.encode_message_bytes(1, "text")
    with pytest.raises(ValueError):
        impl.encode_message_bytes(1, b"x", fragment_size=0)


def test_truthy_flags_are_flags(impl: ModuleType) -> None:
    assert impl.encode_header(1, 0, fin=2, rsv1=[1]) == bytes([0xC1, 0])
    assert impl.encode_frame(1, b"", fin=0, rsv3="x") == bytes([0x11, 0])


# ---------------------------------------------------------------------------
# Masking keys from a pool (RFC 6455 §5.3)


def _urandom_owner(impl: ModuleType) -> tuple[Any, str]:
    # Where each backend looks os.urandom up when it refills its pool.
    if impl.__name__.endswith("_speedups._frames"):
        return impl, "_urandom"
    return _keys.os, "urandom"


def test_keys_are_never_served_twice_across_threads(impl: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a source whose every 4-byte word is distinct, keys taken by many
    threads at once are all distinct: no bytes of the pool are served twice."""
    counter = iter(range(1 << 30))
    lock = threading.Lock()

    def distinct_words(n: int) -> bytes:
        with lock:
            return b"".join(next(counter).to_bytes(4, "big") for _ in range(n // 4))

    owner, name = _urandom_owner(impl)
    drop = impl._drop_key_pool if hasattr(impl, "_drop_key_pool") else _keys._drop_key_pool
    monkeypatch.setattr(owner, name, distinct_words)
    drop()
    keys: list[bytes] = []

    def take() -> None:
        mine = [impl.new_mask() for _ in range(5000)]
        with lock:
            keys.extend(mine)

    try:
        threads = [threading.Thread(target=take) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        drop()  # the counter's bytes are never served after this test
    assert len(keys) == 40000 and len(set(keys)) == 40000
    assert all(len(k) == 4 and type(k) is bytes for k in keys)


def _in_child(draw: Any) -> bytes:
    """The key ``draw()`` gives in a forked child (through a pipe; a hang ends the
    child after 5 s, not the test run)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        try:
            signal.alarm(5)
            os.write(write, draw())
        finally:
            os._exit(0)
    os.close(write)
    key = os.read(read, 4)
    os.close(read)
    os.waitpid(pid, 0)
    return key


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_does_not_reuse_the_parents_pool(impl: ModuleType) -> None:
    impl.new_mask()  # the pool is filled now
    child_key = _in_child(impl.new_mask)
    parent_key = impl.new_mask()
    # Without dropping the pool at fork both would be the next 4 bytes of it.
    assert len(child_key) == 4 and child_key != parent_key


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_draws_keys_even_if_the_pool_was_locked_at_the_fork() -> None:
    # Regression (reference backend): another thread inside new_mask() at the fork left
    # the child a lock nobody would release, and the child's first new_mask() hung.
    from wsframe import _keys

    with _keys._key_lock:  # as if another thread were drawing a key at this moment
        child_key = _in_child(_keys.new_mask)
    assert len(child_key) == 4


# ---------------------------------------------------------------------------
# Hardening: compiled types created directly; memory follows input


def test_directly_created_iterator_is_safe() -> None:
    C = _load("c")
    it_type = type(C.FrameDecoder().feed(b""))
    it = it_type.__new__(it_type)
    with pytest.raises(StopIteration):
        next(it)  # used to read a NULL decoder: a segfault
    assert list(it_type.__new__(it_type)) == []


def test_directly_created_types_are_usable() -> None:
    C = _load("c")
    frame = C.Frame.__new__(C.Frame)
    assert frame.payload == b"" and frame.opcode is C.Opcode.CONTINUATION
    decoder = C.FrameDecoder.__new__(C.FrameDecoder)
    assert decoder.max_frame_size == C.DEFAULT_MAX_SIZE
    (text,) = list(decoder.feed(C.encode_frame(1, b"hi", mask=KEY)))
    assert text.payload == b"hi"
    assembler = C.MessageAssembler.__new__(C.MessageAssembler)
    with pytest.raises(ProtocolError):
        assembler.add(frame)  # a continuation with no message
    assert assembler.add(C.Frame(C.Opcode.TEXT, b"ok")).data == "ok"
    for cls in (C.FrameHeader, C.Message):
        repr(cls.__new__(cls))


def _held_by(make: Any) -> int:
    """Bytes still allocated (tracemalloc) by the objects ``make`` returns."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        keep = make()
        held = tracemalloc.get_traced_memory()[0] - before
        del keep
        return held
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("declared", [2**63 - 1, 2**20 + 1])
def test_declared_length_does_not_reserve_memory(impl: ModuleType, declared: int) -> None:
    """15 bytes (a header declaring a huge length, then one payload byte) per
    connection: memory follows the bytes received, not the length declared."""
    header = impl.encode_header(2, declared, mask=KEY)

    def connections() -> list[Any]:
        decoders = []
        for _ in range(200):
            decoder = impl.FrameDecoder(max_frame_size=None)
            assert list(decoder.feed(header + b"x")) == []
            decoders.append(decoder)
        return decoders

    assert _held_by(connections) < 200 * 4096


def test_burst_buffer_is_released(impl: ModuleType) -> None:
    """After a burst, feeds that end mid-frame do not pin the burst's buffer."""
    frame = impl.encode_frame(2, b"b" * 1000, mask=KEY)
    tracemalloc.start()
    try:
        decoder = impl.FrameDecoder(max_frame_size=None)
        burst = bytearray(frame * 30000)  # ~31 MB, fed as a bytearray (copied in)
        burst += frame[:1]  # ends one byte into a header: that byte stays in the buffer
        baseline = tracemalloc.get_traced_memory()[0] - len(burst)
        assert len(list(decoder.feed(burst))) == 30000
        del burst
        for _ in range(100):
            assert len(list(decoder.feed(frame[1:] + frame[:1]))) == 1
        held = tracemalloc.get_traced_memory()[0] - baseline
    finally:
        tracemalloc.stop()
    assert decoder.buffered < 2000
    assert held < 1 << 20, held


@pytest.mark.parametrize("name", ["Frame", "FrameHeader", "FrameDecoder", "Message", "MessageAssembler"])
def test_classes_have_the_reference_signature(name: str) -> None:
    """inspect.signature works on the compiled classes and matches the reference."""
    import inspect

    reference = inspect.signature(getattr(_load("python"), name))
    compiled = inspect.signature(getattr(_load("c"), name))
    assert str(compiled) == str(reference).replace("-> None", "").strip() or (
        [(p.name, p.kind, p.default) for p in compiled.parameters.values()]
        == [(p.name, p.kind, p.default) for p in reference.parameters.values()]
    )
    first_line = (getattr(_load("c"), name).__doc__ or "").splitlines()[0]
    assert first_line.startswith(f"{name}(")
    if name == "FrameDecoder":
        assert first_line.startswith("FrameDecoder(*, client=False")
