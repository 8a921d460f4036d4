"""The text path, wire bytes -> str (FrameDecoder + MessageAssembler), at every SIMD level.

Each check runs twice on the compiled backend: ``feed()`` + ``add()``, and
``feed_messages()``, which takes a whole text message in one frame from the input to its
str in one pass (wsf_text.h).  Where a level has no vector validator (scalar, SSE2) the compiled decoder builds the
str of a whole one-frame text message itself (CPython's decoder validates while it
builds) and the assembler returns it; elsewhere the decoder validates while unmasking
and the assembler transcodes.  Each level runs in its own interpreter (``WSFRAME_SIMD``
is read at import) and compares the compiled backend with the reference one on the
same wire bytes: the messages, and the error (type, code, position, wording) of ill-formed text.
"""

from __future__ import annotations

import textwrap

import pytest

from _support import load_implementation, run_at_simd_level

try:
    _COMPILED = load_implementation("mask", "c")
except pytest.skip.Exception:  # pragma: no cover - pure-Python environments
    _COMPILED = None

_SCRIPT = textwrap.dedent(
    """
    import random, sys
    sys.path.insert(0, ".")
    from tests._support import raw_frame
    from wsframe._reference import frames as ref
    from wsframe._speedups import _frames as c
    from wsframe.errors import ProtocolError

    level = sys.argv[1]
    rnd = random.Random(f"text-path-{level}")
    KEY = b"\\x37\\xfa\\x21\\x3d"

    def outcome(impl, wire, client, validate, decode_text, one_call=False, limit=1 << 21,
                pieces=1 << 30):
        decoder = impl.FrameDecoder(client=client, validate_utf8=validate,
                                    max_frame_size=1 << 21)
        assembler = impl.MessageAssembler(max_message_size=limit,
                                          decode_text=decode_text)
        out = []
        try:
            for i in range(0, len(wire), pieces):
                chunk = wire[i:i + pieces]
                if one_call:
                    # feed_messages: a whole text message straight to its str.
                    messages = decoder.feed_messages(chunk, assembler)
                else:
                    messages = filter(None, map(assembler.add, decoder.feed(chunk)))
                for message in messages:
                    out.append((int(message.opcode), type(message.data), message.data))
        except ProtocolError as exc:
            out.append((type(exc).__name__, exc.code, getattr(exc, "position", None), str(exc)))
        return out

    def same(wire, client=False, validate=True, decode_text=True, **kw):
        want = outcome(ref, wire, client, validate, decode_text, **kw)
        for one_call in (False, True):
            got = outcome(c, wire, client, validate, decode_text, one_call, **kw)
            assert got == want, (level, len(wire), client, validate, decode_text, one_call,
                                 kw, str(got)[:200], str(want)[:200])

    def text_frame(data, client=False, **kw):
        return raw_frame(1, data, mask=None if client else KEY, **kw)

    alphabets = ["ab ~", "aéüÿ", "aЖ\\u0100é", "中\\u0800\\uffffa", "😀\\U0010ffffa€",
                 "aé€中😀Ж "]
    bad = [0x80, 0xBF, 0xC0, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF]
    sizes = list(range(0, 80)) + [127, 128, 200, 320, 448, 1000, 1024, 4099, 70001]
    for n in sizes:
        for alpha in alphabets:
            data = "".join(rnd.choice(alpha) for _ in range(n)).encode()
            for client in (False, True):
                same(text_frame(data, client), client)
                same(text_frame(data, client) * 2 + raw_frame(2, data, mask=KEY), client)
            same(text_frame(data), validate=False)
            same(text_frame(data), decode_text=False)
            if data:
                broken = bytearray(data)
                broken[rnd.randrange(len(broken))] = rnd.choice(bad)
                same(text_frame(bytes(broken)))
                same(text_frame(data[:-1]))
                same(text_frame(data[:-1]) + text_frame(data))
                cut = rnd.randrange(len(data) + 1)
                # Fragmented: the decoder validates across frames.
                same(text_frame(data[:cut], fin=False)
                     + raw_frame(0, data[cut:], mask=KEY))
                # Split reads: the payload arrives in pieces.
                wire = text_frame(data)
                decoder = c.FrameDecoder()
                assembler = c.MessageAssembler(max_message_size=1 << 21)
                messages = []
                for i in range(0, len(wire), 7):
                    for frame in decoder.feed(wire[i:i + 7]):
                        m = assembler.add(frame)
                        if m is not None:
                            messages.append(m.data)
                assert messages == [data.decode()], (level, n)
    # The one-pass str of feed_messages (wsf_text.h) works in 8 KiB blocks: ASCII,
    # then one character of each width, losing the ASCII bet in the first, a middle
    # or the last block; ill-formed bytes; the limit on both sides of the length.
    units = ["\u00e9", "\u00ff", "\u0100", "\u20ac", "\uffff", "\U0001f600", "\U0010ffff"]
    block = 8192
    for n in (block - 1, block, block + 1, 2 * block + 3, 65535, 65536, 70001):
        for tail in units:
            for lead in sorted({0, n // 2, n - 4, n - 1}):
                data = ("a" * lead + tail * max(1, (n - lead) // 4)).encode()
                same(text_frame(data))
                same(text_frame(data, True), True)
                same(text_frame(data), limit=len(data))
                same(text_frame(data), limit=len(data) - 1)
                broken = bytearray(data)
                broken[rnd.randrange(len(broken))] = rnd.choice(bad)
                same(text_frame(bytes(broken)))
                same(text_frame(data[:-1]))
                same(text_frame(data), pieces=5000)
    print("OK", level)
    """
)


@pytest.mark.skipif(_COMPILED is None, reason="compiled backend not built")
@pytest.mark.parametrize("level", list(getattr(_COMPILED, "supported_levels", ())) or ["scalar"])
def test_text_path_at_level(level: str) -> None:
    run_at_simd_level(_SCRIPT, level)
