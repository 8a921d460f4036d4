"""The workloads: what is measured, at which sizes, against which oracle.

A workload names an operation of :mod:`bench.peers`, the sizes it runs at in
``--quick`` and full mode, and how to build the input and the expected output
for one size. Names are dotted (``family.variant``) so ``--only`` can select a
family (``--only utf8``) or single workloads (``--only 'frames.decode.*'``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import inputs

__all__ = ["Case", "Workload", "WORKLOADS", "FAMILIES", "select", "size_label"]

KiB = 1024
MiB = 1024 * KiB


@dataclass(frozen=True)
class Case:
    """The input of one workload at one size.

    Attributes:
        args: positional arguments of the operation method.
        expected: the oracle's output, compared with every implementation's.
        nbytes: bytes processed per call (for GB/s).
        items: frames per call (for frames/s), 0 when not a frame workload.
        label: human-readable size, e.g. "16 KiB" or "100k x 16 B".
    """

    args: tuple[Any, ...]
    expected: Any
    nbytes: int
    items: int
    label: str


@dataclass(frozen=True)
class Workload:
    """One benchmark workload.

    Attributes:
        name: dotted name, e.g. "utf8.mixed".
        family: plot/table family, e.g. "utf8".
        op: the :mod:`bench.peers` operation method name.
        title: one-line description.
        full_sizes: sizes of the full run.
        quick_sizes: sizes of ``--quick``.
        build: size -> :class:`Case`.
        normalize: applied to an implementation's output before it is
            compared with :attr:`Case.expected` (None: compared as is).
        describe: a short fact about an implementation's output shown beside
            its figure (the compression ratio), or None.
        optional: run only when ``--only`` names it (not in the default run).
    """

    name: str
    family: str
    op: str
    title: str
    full_sizes: tuple[int, ...]
    quick_sizes: tuple[int, ...]
    build: Callable[[int], Case]
    normalize: Callable[[Any], Any] | None = None
    describe: Callable[[Any], str] | None = None
    optional: bool = False

    def sizes(self, quick: bool) -> tuple[int, ...]:
        """The sizes for the chosen mode."""
        return self.quick_sizes if quick else self.full_sizes


def size_label(n: int) -> str:
    """``16`` -> "16 B", ``16384`` -> "16 KiB", ``1048576`` -> "1 MiB"."""
    for unit, scale in (("MiB", MiB), ("KiB", KiB)):
        if n >= scale and n % scale == 0:
            return f"{n // scale} {unit}"
    return f"{n} B"


def _count_label(n: int) -> str:
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


# ---------------------------------------------------------------- masking, RFC 6455 §5.3

MASK_FULL = (2, 16, 64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, MiB, 4 * MiB, 16 * MiB)
MASK_QUICK = (16, 256, 16 * KiB, MiB)


def _mask_case(size: int) -> Case:
    data = inputs.payload(size)
    return Case(
        (data, inputs.MASK_KEY),
        inputs.xor_mask(data, inputs.MASK_KEY),
        size,
        0,
        size_label(size),
    )


# ---------------------------------------------------------------- UTF-8, RFC 3629

UTF8_FULL = (64, 256, KiB, 4 * KiB, 16 * KiB, 64 * KiB, 256 * KiB, MiB)
UTF8_QUICK = (64, 4 * KiB, 64 * KiB)
INCREMENTAL_FULL = (4 * KiB, 64 * KiB, MiB)
INCREMENTAL_QUICK = (64 * KiB,)
PIECE = KiB


def _is_utf8(data: bytes) -> bool:
    """The expected answer, from CPython's strict decoder."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _utf8_builder(kind: str) -> Callable[[int], Case]:
    def build(size: int) -> Case:
        data = inputs.text(kind, size)
        return Case((data,), _is_utf8(data), size, 0, size_label(size))

    return build


def _incremental_builder(kind: str) -> Callable[[int], Case]:
    def build(size: int) -> Case:
        data = inputs.text(kind, size)
        # 1 KiB pieces cut through multi-byte sequences: validators must carry state.
        return Case((inputs.pieces(data, PIECE),), _is_utf8(data), size, 0, size_label(size))

    return build


# ---------------------------------------------------------------- frames, RFC 6455 §5.2

FRAMES_FULL = (100_000,)
FRAMES_QUICK = (10_000,)
CHUNK = 64 * KiB
TEXT, BINARY = 1, 2  # opcodes, RFC 6455 §5.2


def _decode_builder(payload_size: int, opcode: int, chunked: bool) -> Callable[[int], Case]:
    def build(count: int) -> Case:
        stream = inputs.frame_stream(count, payload_size, opcode=opcode, masked=True)
        chunks = inputs.chunks(stream.wire, CHUNK) if chunked else [stream.wire]
        expected = [(op, True, body) for op, body in stream.messages]
        label = f"{_count_label(count)} x {size_label(payload_size)}"
        return Case((chunks,), expected, len(stream.wire), count, label)

    return build


ENCODE_FULL = (16, 125, KiB, 16 * KiB, 64 * KiB, MiB)
ENCODE_QUICK = (16, KiB, 64 * KiB)


def _encode_builder(masked: bool, opcode: int = BINARY) -> Callable[[int], Case]:
    def build(size: int) -> Case:
        data = inputs.payload(size) if opcode == BINARY else inputs.text("ascii", size)
        expected = (opcode, True, masked, data)  # opcode, FIN, mask bit, payload
        return Case((data, masked, opcode), expected, size, 1, size_label(size))

    return build


# ---------------------------------------------------------------- UTF-8 to str

DECODE_FULL = (16, 64, KiB, 64 * KiB, MiB)
DECODE_QUICK = (64, KiB, 64 * KiB)
# A length sweep: every vector width's block boundaries and tails (odd lengths, a
# block plus one, the lengths where a remainder path would show), 16 B to 1 MiB.
DECODE_SWEEP = (
    16,
    17,
    31,
    33,
    63,
    64,
    65,
    100,
    127,
    128,
    129,
    192,
    255,
    256,
    257,
    320,
    384,
    448,
    511,
    512,
    576,
    640,
    704,
    768,
    1000,
    1023,
    KiB,
    1025,
    1536,
    2 * KiB,
    3000,
    4 * KiB,
    4 * KiB + 1,
    8 * KiB,
    16 * KiB,
    64 * KiB,
    64 * KiB + 1,
    256 * KiB,
    MiB,
)
DECODE_SWEEP_QUICK = (16, 65, 320, 448, KiB, 4 * KiB, 64 * KiB + 1)
# A fine grid, for finding a cliff anywhere (not in the default runs): every 64 bytes
# from 64 to 4 KiB, the odd short lengths, then powers of two to 1 MiB.
DECODE_FINE = (16, 17, 31, 33, 48, 63, *range(64, 4 * KiB + 1, 64), *(2**k for k in range(13, 21)))
DECODE_FINE_QUICK = (17, 320, 448, KiB, 2 * KiB, 4 * KiB, MiB)


def _decode_text_builder(kind: str) -> Callable[[int], Case]:
    def build(size: int) -> Case:
        data = inputs.text(kind, size)
        return Case((data,), data.decode("utf-8"), size, 0, size_label(size))

    return build


# ---------------------------------------------------------------- one text message

MESSAGE_SIZES = (64, 448, KiB, 64 * KiB)


def _text_message_builder(kind: str) -> Callable[[int], Case]:
    def build(size: int) -> Case:
        body = inputs.text(kind, size)
        wire = inputs.text_frame(body)
        return Case((wire,), body.decode("utf-8"), size, 1, size_label(size))

    return build


# ---------------------------------------------------------------- frames to messages


def _messages_builder(payload_size: int, opcode: int, chunked: bool) -> Callable[[int], Case]:
    def build(count: int) -> Case:
        stream = inputs.frame_stream(count, payload_size, opcode=opcode, masked=True)
        chunks = inputs.chunks(stream.wire, CHUNK) if chunked else [stream.wire]
        expected = [(op, body.decode("utf-8") if op == TEXT else body) for op, body in stream.messages]
        label = f"{_count_label(count)} x {size_label(payload_size)}"
        return Case((chunks,), expected, len(stream.wire), count, label)

    return build


# ---------------------------------------------------------------- permessage-deflate, RFC 7692

DEFLATE_SIZES = (300, 4 * KiB, 64 * KiB)
DEFLATE_QUICK = (300, 4 * KiB)
INFLATE_WINDOW_BITS = 12  # a client honouring websockets' default client_max_window_bits=12


def _messages_per_call(size: int) -> int:
    """Enough distinct messages per call that context takeover sees a real stream."""
    return max(2, min(64, (64 * KiB) // size))


def _deflate_builder(size: int) -> Case:
    count = _messages_per_call(size)
    payloads = inputs.json_messages(count, size)
    label = f"{count} x {size_label(size)}"
    return Case((payloads,), payloads, sum(map(len, payloads)), count, label)


def _inflate_builder(size: int) -> Case:
    count = _messages_per_call(size)
    payloads = inputs.json_messages(count, size)
    wires = inputs.compressed_frames(payloads, INFLATE_WINDOW_BITS)
    expected = [p.decode("utf-8") for p in payloads]
    label = f"{count} x {size_label(size)}"
    return Case((wires, INFLATE_WINDOW_BITS), expected, sum(map(len, payloads)), count, label)


BROADCAST_RECIPIENTS = (1000,)


def _broadcast_builder(recipients: int) -> Case:
    (payload,) = inputs.json_messages(1, 300)
    label = f"~300 B to {recipients:,}"
    return Case((payload, recipients), [payload] * recipients, len(payload) * recipients, recipients, label)


def _inflate_each(wires: Any) -> list[bytes]:
    """Each recipient's frame inflated on its own (no context takeover)."""
    return [p for wire in wires for p in inputs.inflate_frames([wire])]


# ---------------------------------------------------------------- integrations, compressed

INTEGRATION_FULL = (100_000,)
INTEGRATION_QUICK = (10_000,)
INTEGRATION_DISTINCT = 1024  # distinct messages, cycled: beyond any window, so no free repeats


@functools.lru_cache(maxsize=2)
def _compressed_stream(count: int) -> tuple[list[bytes], list[str]]:
    payloads = inputs.json_messages(INTEGRATION_DISTINCT, 300)
    messages = [payloads[i % len(payloads)] for i in range(count)]
    wire = b"".join(inputs.compressed_frames(messages, INFLATE_WINDOW_BITS))
    return inputs.chunks(wire, CHUNK), [m.decode("utf-8") for m in messages]


@functools.lru_cache(maxsize=2)
def _plain_stream(count: int) -> tuple[list[bytes], list[str]]:
    payloads = inputs.json_messages(INTEGRATION_DISTINCT, 300)
    messages = [payloads[i % len(payloads)] for i in range(count)]
    wire = b"".join(inputs.text_frame(m, seed=i) for i, m in enumerate(messages))
    return inputs.chunks(wire, CHUNK), [m.decode("utf-8") for m in messages]


def _plain_integration_builder(count: int) -> Case:
    chunks, expected = _plain_stream(count)
    label = f"{_count_label(count)} x ~300 B"
    return Case((chunks,), expected, sum(map(len, chunks)), count, label)


def _integration_builder(count: int) -> Case:
    chunks, expected = _compressed_stream(count)
    label = f"{_count_label(count)} x ~300 B"
    return Case((chunks,), expected, sum(map(len, chunks)), count, label)


# ---------------------------------------------------------------- integrations, websocket-client

CLIENT_BYTES = 2 * MiB  # message bytes per call
CLIENT_SIZES = (300, 16 * KiB)  # a chat message, a larger document


def _client_messages(size: int) -> list[bytes]:
    count = max(1, CLIENT_BYTES // size)
    payloads = inputs.json_messages(min(count, INTEGRATION_DISTINCT), size)
    return [payloads[i % len(payloads)] for i in range(count)]


def _client_send_builder(size: int) -> Case:
    messages = _client_messages(size)
    texts = [m.decode("utf-8") for m in messages]
    label = f"{_count_label(len(texts))} x {size_label(size)}"
    return Case((texts,), texts, sum(map(len, messages)), len(texts), label)


def _client_recv_builder(size: int) -> Case:
    messages = _client_messages(size)
    wire = b"".join(inputs.text_frame(m, seed=i) for i, m in enumerate(messages))
    texts = [m.decode("utf-8") for m in messages]
    label = f"{_count_label(len(texts))} x {size_label(size)}"
    return Case((wire, len(texts)), texts, len(wire), len(texts), label)


def _no_input(size: int) -> Case:
    raise NotImplementedError("memory.deflate is measured by bench.memory")


def _compression_ratio(wires: Any) -> str:
    """Wire bytes (headers included) per payload byte of a compressed message list."""
    wire = sum(len(w) for w in wires)
    payload = sum(len(p) for p in inputs.inflate_frames(list(wires)))
    return f"wire = {wire / payload:.1%} of payload"


WORKLOADS: tuple[Workload, ...] = (
    Workload("mask.copy", "mask", "mask_copy", "apply_mask(data, key) -> new bytes", MASK_FULL, MASK_QUICK, _mask_case),
    Workload(
        "mask.inplace", "mask", "mask_inplace", "apply_mask_inplace(bytearray, key)", MASK_FULL, MASK_QUICK, _mask_case
    ),
    *(
        Workload(
            f"utf8.{kind}",
            "utf8",
            "utf8_validate",
            f"is_valid() on {kind} text",
            UTF8_FULL,
            UTF8_QUICK,
            _utf8_builder(kind),
        )
        for kind in inputs.TEXT_KINDS
    ),
    *(
        Workload(
            f"utf8-incremental.{kind}",
            "utf8-incremental",
            "utf8_incremental",
            f"Utf8Validator fed 1 KiB pieces of {kind} text",
            INCREMENTAL_FULL,
            INCREMENTAL_QUICK,
            _incremental_builder(kind),
        )
        for kind in ("ascii", "mixed")
    ),
    Workload(
        "frames.decode.text16",
        "frames-decode",
        "decode_frames",
        "masked 16 B text frames, whole buffer (frame-only)",
        FRAMES_FULL,
        FRAMES_QUICK,
        _decode_builder(16, TEXT, chunked=False),
    ),
    Workload(
        "frames.decode.text16.chunked",
        "frames-decode",
        "decode_frames",
        "masked 16 B text frames, 64 KiB reads (frame-only)",
        FRAMES_FULL,
        FRAMES_QUICK,
        _decode_builder(16, TEXT, chunked=True),
    ),
    Workload(
        "frames.decode.bin1k",
        "frames-decode",
        "decode_frames",
        "masked 1 KiB binary frames, whole buffer (frame-only)",
        FRAMES_FULL,
        FRAMES_QUICK,
        _decode_builder(KiB, BINARY, chunked=False),
    ),
    Workload(
        "frames.decode.bin1k.chunked",
        "frames-decode",
        "decode_frames",
        "masked 1 KiB binary frames, 64 KiB reads (frame-only)",
        FRAMES_FULL,
        FRAMES_QUICK,
        _decode_builder(KiB, BINARY, chunked=True),
    ),
    Workload(
        "frames.encode.masked",
        "frames-encode",
        "encode_frame",
        "one binary frame, masked with a fresh key",
        ENCODE_FULL,
        ENCODE_QUICK,
        _encode_builder(True),
        inputs.parse_frame,
    ),
    Workload(
        "frames.encode.unmasked",
        "frames-encode",
        "encode_frame",
        "one binary frame, unmasked (server side)",
        ENCODE_FULL,
        ENCODE_QUICK,
        _encode_builder(False),
        inputs.parse_frame,
    ),
    Workload(
        "frames.encode.text16.masked",
        "frames-encode",
        "encode_frame",
        "encode_frame(TEXT, 16 B, mask=new_mask()): a client's small message",
        (16,),
        (16,),
        _encode_builder(True, TEXT),
        inputs.parse_frame,
    ),
    *(
        Workload(
            f"decode.{kind}",
            "utf8-decode",
            "utf8_decode",
            f"utf8.decode() -> str on {kind} text",
            DECODE_FULL,
            DECODE_QUICK,
            _decode_text_builder(kind),
        )
        for kind in inputs.DECODE_KINDS
    ),
    *(
        Workload(
            f"decode.sweep.{kind}",
            "utf8-decode-sweep",
            "utf8_decode",
            f"utf8.decode() -> str on {kind} text, length sweep",
            DECODE_SWEEP,
            DECODE_SWEEP_QUICK,
            _decode_text_builder(kind),
        )
        for kind in ("ascii", "mixed")
    ),
    Workload(
        "decode.fine.ascii",
        "utf8-decode-fine",
        "utf8_decode",
        "utf8.decode() -> str on ascii text, every 64 B to 4 KiB, powers of two to 1 MiB",
        DECODE_FINE,
        DECODE_FINE_QUICK,
        _decode_text_builder("ascii"),
        optional=True,
    ),
    *(
        Workload(
            f"message.text.{kind}",
            "text-message",
            "text_message",
            f"one masked {kind} text message, wire bytes -> str (decoder and assembler reused)",
            MESSAGE_SIZES,
            MESSAGE_SIZES,
            _text_message_builder(kind),
        )
        for kind in ("ascii", "mixed")
    ),
    Workload(
        "messages.text16",
        "messages",
        "decode_messages",
        "masked 16 B text frames -> str messages, whole buffer (equal work)",
        FRAMES_FULL,
        FRAMES_QUICK,
        _messages_builder(16, TEXT, chunked=False),
    ),
    Workload(
        "messages.text16.chunked",
        "messages",
        "decode_messages",
        "masked 16 B text frames -> str messages, 64 KiB reads (equal work)",
        FRAMES_FULL,
        FRAMES_QUICK,
        _messages_builder(16, TEXT, chunked=True),
    ),
    Workload(
        "messages.bin1k.chunked",
        "messages",
        "decode_messages",
        "masked 1 KiB binary frames -> messages, 64 KiB reads (equal work)",
        FRAMES_FULL,
        FRAMES_QUICK,
        _messages_builder(KiB, BINARY, chunked=True),
    ),
    Workload(
        "deflate.compress",
        "deflate",
        "deflate_messages",
        "compress + frame JSON text messages (server, context takeover)",
        DEFLATE_SIZES,
        DEFLATE_QUICK,
        _deflate_builder,
        inputs.inflate_frames,
        _compression_ratio,
    ),
    Workload(
        "deflate.inflate",
        "deflate",
        "inflate_messages",
        "decode + inflate + validate + assemble compressed JSON text messages",
        DEFLATE_SIZES,
        DEFLATE_QUICK,
        _inflate_builder,
    ),
    Workload(
        "deflate.broadcast",
        "deflate",
        "broadcast_message",
        "one compressed JSON message to many connections (server, no context takeover)",
        BROADCAST_RECIPIENTS,
        BROADCAST_RECIPIENTS,
        _broadcast_builder,
        _inflate_each,
    ),
    Workload(
        "integration.wsproto.plain",
        "integration",
        "wsproto_plain",
        "wsproto WSConnection, masked ~300 B JSON messages in 64 KiB reads, with and without wsframe installed",
        INTEGRATION_FULL,
        INTEGRATION_QUICK,
        _plain_integration_builder,
    ),
    Workload(
        "integration.websockets.plain",
        "integration",
        "websockets_plain",
        "websockets ServerProtocol, masked ~300 B JSON messages in 64 KiB reads, with and without wsframe installed",
        INTEGRATION_FULL,
        INTEGRATION_QUICK,
        _plain_integration_builder,
    ),
    Workload(
        "integration.wsproto.deflate",
        "integration",
        "wsproto_deflate",
        "wsproto WSConnection, compressed ~300 B JSON messages in 64 KiB reads, with and without wsframe installed",
        INTEGRATION_FULL,
        INTEGRATION_QUICK,
        _integration_builder,
    ),
    Workload(
        "integration.websockets.deflate",
        "integration",
        "websockets_deflate",
        "websockets ServerProtocol, compressed ~300 B JSON messages in 64 KiB reads, "
        "with and without wsframe installed",
        INTEGRATION_FULL,
        INTEGRATION_QUICK,
        _integration_builder,
    ),
    Workload(
        "integration.websocket_client.send",
        "integration",
        "client_send",
        "websocket-client WebSocket.send(text): JSON text messages framed and masked, "
        "with and without wsframe installed",
        CLIENT_SIZES,
        (300,),
        _client_send_builder,
    ),
    Workload(
        "integration.websocket_client.recv",
        "integration",
        "client_recv",
        "websocket-client WebSocket.recv(): masked JSON text frames parsed, unmasked, "
        "validated, with and without wsframe installed",
        CLIENT_SIZES,
        (300,),
        _client_recv_builder,
    ),
    # Not timed: measured by bench.memory in child processes (no implementation has the op).
    Workload(
        "memory.deflate",
        "deflate-memory",
        "deflate_memory",
        "memory per connection, compressor + decompressor, per zlib backend and window/memLevel",
        (0,),
        (0,),
        _no_input,
    ),
)

FAMILIES: tuple[str, ...] = tuple(dict.fromkeys(w.family for w in WORKLOADS))


def select(patterns: list[str] | None) -> list[Workload]:
    """Workloads matching any of ``patterns`` (fnmatch on the name or the family);
    without patterns, every workload but the optional ones.

    A bare prefix selects everything under it: ``mask`` -> mask.copy and
    mask.inplace, ``frames.decode`` -> the four decode workloads.

    Raises:
        ValueError: if a pattern matches nothing (with the list of names).
    """
    if not patterns:
        return [w for w in WORKLOADS if not w.optional]
    from fnmatch import fnmatchcase

    chosen: list[Workload] = []
    for pattern in patterns:
        hits = [
            w
            for w in WORKLOADS
            if fnmatchcase(w.name, pattern) or fnmatchcase(w.family, pattern) or w.name.startswith(pattern + ".")
        ]
        if not hits:
            names = ", ".join(w.name for w in WORKLOADS)
            raise ValueError(f"--only {pattern!r} matches no workload; choose from: {names}")
        chosen.extend(w for w in hits if w not in chosen)
    return [w for w in WORKLOADS if w in chosen]
