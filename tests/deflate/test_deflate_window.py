"""The agreed window: one verdict on every zlib backend and every framing.

wsframe is lenient (docs/deflate.md, "The agreed window"): every message is
inflated with a 32 KiB window, so a back-reference is accepted exactly when it
points at a byte the peer's DEFLATE stream already produced, even beyond the
agreed window, and refused (1002) when it points before the stream's start
(before the message, without context takeover).  The streams are built by
hand (``deflate_message``) so that the distances are exactly the ones tested;
each is fed whole and split into frames of many sizes, on every backend,
directly and through the ``MessageAssembler`` of both implementations (the
compiled one inflates on its own path).
"""

from __future__ import annotations

import random

import pytest
from _deflate_support import backend_params, deflate_message

from _support import BACKENDS, load_implementation
from wsframe.deflate import DeflateParams, Inflater
from wsframe.errors import ProtocolError
from wsframe.frames import Opcode

BACKEND = backend_params()
SPLITS = [None, 512, 100, 7, 1]  # None: the message in one frame
LITERALS = random.Random(7).randbytes(40_000)

Token = bytes | tuple[int, int]


def expand(tokens: list[Token], history: bytes = b"") -> bytes:
    """What a message inflates to (RFC 1951 §3.2.3: copies may overlap)."""
    out = bytearray(history)
    for token in tokens:
        if isinstance(token, bytes):
            out += token
        else:
            length, distance = token
            for _ in range(length):
                out.append(out[-distance])
    return bytes(out[len(history) :])


def frames_of(payload: bytes, split: int | None) -> list[bytes]:
    if split is None or not payload:
        return [payload]
    return [payload[i : i + split] for i in range(0, len(payload), split)]


def inflate(inflater: Inflater, payload: bytes, split: int | None) -> bytes:
    pieces = frames_of(payload, split)
    return b"".join(inflater.feed(piece, fin=i == len(pieces) - 1, max_size=None) for i, piece in enumerate(pieces))


def assemble(inflater: Inflater, payload: bytes, split: int | None, implementation: str) -> bytes:
    """The message's data from a fresh ``MessageAssembler`` of ``implementation``."""
    frames = load_implementation("frames", implementation)
    assembler = frames.MessageAssembler(max_message_size=None, inflater=inflater)
    pieces = frames_of(payload, split)
    message = None
    for i, piece in enumerate(pieces):
        opcode = Opcode.BINARY if i == 0 else Opcode.CONTINUATION
        message = assembler.add(frames.Frame(opcode, piece, fin=i == len(pieces) - 1, rsv1=i == 0))
    assert message is not None
    return bytes(message.data)


# One message: (agreed client window, tokens).  Every one is accepted.
BEYOND_WINDOW = {
    # 1536 > 2**10 = 1024: the case that was accepted in one frame on zlib
    # and refused in 512-byte frames.
    "1536-back-window-10": (10, [LITERALS[:2000], (258, 1536), (100, 1536)]),
    "600-back-window-9": (9, [LITERALS[:1000], (50, 600)]),
    "300-back-window-8": (8, [LITERALS[:1000], (50, 300)]),
    "32768-back-window-9": (9, [LITERALS[:32768], (258, 32768), (3, 32768)]),
    "overlapping-copy": (8, [b"ab", (258, 2), (258, 259)]),
}


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize("case", list(BEYOND_WINDOW))
@pytest.mark.parametrize("split", SPLITS)
def test_reference_beyond_the_agreed_window_within_the_message(backend: str, case: str, split: int | None) -> None:
    bits, tokens = BEYOND_WINDOW[case]
    expected = expand(tokens)
    payload = deflate_message(*tokens)
    params = DeflateParams(client_max_window_bits=bits, server_max_window_bits=bits)
    assert inflate(Inflater(params, zlib=backend), payload, split) == expected
    assert inflate(Inflater(params, client=True, zlib=backend), payload, split) == expected
    for implementation in BACKENDS:
        assert assemble(Inflater(params, zlib=backend), payload, split, implementation) == expected


BEFORE_START = {
    "100-back-after-50": [LITERALS[:50], (10, 100)],
    "1-back-at-start": [(3, 1)],
    "32768-back-after-32767": [LITERALS[:32767], (3, 32768)],
}


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize("case", list(BEFORE_START))
@pytest.mark.parametrize("split", SPLITS)
def test_reference_before_the_stream_start_is_1002(backend: str, case: str, split: int | None) -> None:
    payload = deflate_message(*BEFORE_START[case])
    with pytest.raises(ProtocolError) as info:
        inflate(Inflater(DeflateParams(), zlib=backend), payload, split)
    assert info.value.code == 1002
    for implementation in BACKENDS:
        with pytest.raises(ProtocolError) as info:
            assemble(Inflater(DeflateParams(), zlib=backend), payload, split, implementation)
        assert info.value.code == 1002


PREVIOUS = LITERALS[:600]
# Second messages that reach back into the first (600 bytes): beyond a 9-bit
# window (512), so the old verdict depended on the backend.
INTO_PREVIOUS = {
    "600-back": [(10, 600)],
    "520-back-then-new": [(100, 520), LITERALS[600:700], (3, 700)],
}


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize("case", list(INTO_PREVIOUS))
@pytest.mark.parametrize("split", SPLITS)
@pytest.mark.parametrize("client", [False, True], ids=["server", "client"])
def test_reference_into_the_previous_message(backend: str, case: str, split: int | None, client: bool) -> None:
    tokens = INTO_PREVIOUS[case]
    first, second = deflate_message(PREVIOUS), deflate_message(*tokens)
    # Context takeover: the previous message is history, whatever the window.
    takeover = DeflateParams(client_max_window_bits=9, server_max_window_bits=9)
    inflater = Inflater(takeover, client=client, zlib=backend)
    assert inflate(inflater, first, split) == PREVIOUS
    assert inflate(inflater, second, split) == expand(tokens, PREVIOUS)
    # No context takeover for the peer: each message starts a new stream.
    reset = DeflateParams(
        client_no_context_takeover=True, server_no_context_takeover=True,
        client_max_window_bits=9, server_max_window_bits=9,
    )  # fmt: skip
    inflater = Inflater(reset, client=client, zlib=backend)
    assert inflate(inflater, first, split) == PREVIOUS
    with pytest.raises(ProtocolError) as info:
        inflate(inflater, second, split)
    assert info.value.code == 1002


@pytest.mark.parametrize("backend", BACKEND)
def test_history_reaches_32k_back_across_many_messages(backend: str) -> None:
    # With context takeover the history spans messages: 40 messages of 1000
    # bytes, then a reference 32768 bytes back (into the eighth message).
    inflater = Inflater(DeflateParams(client_max_window_bits=8), zlib=backend)
    history = b""
    for i in range(40):
        chunk = LITERALS[i * 1000 : (i + 1) * 1000]
        assert inflater.feed(deflate_message(chunk), fin=True) == chunk
        history += chunk
    tokens: list[Token] = [(258, 32768)]
    assert inflater.feed(deflate_message(*tokens), fin=True) == expand(tokens, history)
