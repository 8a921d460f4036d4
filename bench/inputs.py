"""Deterministic inputs and independent oracles for the benchmarks.

Every implementation gets byte-for-byte the same input, built here from a fixed
seed, and its output is compared with an oracle computed here *without*
wsframe: big-integer XOR for masking (RFC 6455 §5.3), CPython's strict decoder
for UTF-8 validity, and the list of messages a frame stream was built from.
"""

from __future__ import annotations

import json
import random
import struct
from dataclasses import dataclass

__all__ = [
    "MASK_KEY",
    "SEED",
    "TEXT_KINDS",
    "DECODE_KINDS",
    "FrameStream",
    "chunks",
    "compressed_frames",
    "inflate_frames",
    "json_messages",
    "text_frame",
    "frame_stream",
    "payload",
    "parse_frame",
    "pieces",
    "text",
    "xor_mask",
]

SEED = 6455
MASK_KEY = bytes([0x37, 0xFA, 0x21, 0x3D])  # the key of RFC 6455 §5.7's example

KiB = 1024

# Building blocks for text of a given byte width (RFC 3629 §3): each
# alphabet holds code points whose UTF-8 encoding has that many bytes.
_ALPHABETS: dict[str, str] = {
    "ascii": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?",
    "2byte": "абвгдежзийклмнопрстуфхцчшщъыьэюяαβγδεζηθικλμνξοπρστυφχψω",  # Cyrillic, Greek
    "3byte": "日本語の文章を検証する速度測定漢字仮名交じり文한국어中文字符",  # CJK, Hangul
    "4byte": "".join(chr(c) for c in range(0x1F600, 0x1F650)),  # emoji
    # For decoding to str, by the kind of str they make (PEP 393: 1, 2 or 4 bytes
    # per character): Latin-1 letters (2 UTF-8 bytes, 1-byte str), Cyrillic only.
    "latin1": "àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßÀÉÈÇÑÖÜ",
    "cyrillic": "абвгдежзийклмнопрстуфхцчшщъыьэюяАБВГДЕЖЗИЙКЛМНОПРСТУФХЦЧШЩЭЮЯ",
}
_ALPHABETS["cjk"] = _ALPHABETS["3byte"]
_ALPHABETS["emoji"] = _ALPHABETS["4byte"]

TEXT_KINDS = ("ascii", "2byte", "3byte", "4byte", "mixed", "error_last")
"""UTF-8 workloads: one width each, a mix of all four, and mixed text whose last
byte is replaced by 0xFF (never valid in UTF-8), so a validator must read it all."""

DECODE_KINDS = ("ascii", "latin1", "cyrillic", "cjk", "mixed", "emoji", "prose", "latin_prose", "json_intl")
"""utf8.decode workloads: one per kind of str (ASCII, Latin-1, UCS-2, UCS-4) and mixed;
then text as people write it: Russian prose (words of 2-byte letters between ASCII
spaces and punctuation, so few blocks of one width), French, German, Spanish and
Portuguese prose (ASCII with an accented letter every few words: Latin-1) and JSON
records whose values mix accented, Cyrillic, Greek, CJK and Hangul names with emoji
(mostly ASCII, UCS-4)."""

_PROSE_WORDS = (
    "привет",
    "мир",
    "сообщение",
    "текст",
    "данные",
    "пользователь",
    "сервер",
    "соединение",
    "быстро",
    "и",
    "в",
    "не",
    "это",
    "когда",
)
_LATIN_PROSE_WORDS = (
    "le",
    "café",
    "était",
    "très",
    "agréable",
    "où",
    "nous",
    "étions",
    "à",
    "côté",
    "de",
    "la",
    "fenêtre",
    "die",
    "Straße",
    "führt",
    "über",
    "Brücke",
    "und",
    "schön",
    "el",
    "niño",
    "comió",
    "una",
    "manzana",
    "en",
    "jardín",
    "mañana",
    "não",
    "então",
    "você",
    "et",
    "les",
    "des",
    "est",
    "pour",
    "dans",
    "une",
    "pas",
    "der",
    "das",
    "ist",
    "mit",
    "nicht",
    "sie",
    "los",
    "que",
    "por",
    "con",
    "para",
    "com",
    "uma",
    "message",
    "server",
)
_JSON_NAMES = ("José", "Zoë", "Łukasz", "Søren", "Иван", "Мария", "王芳", "田中", "Ana")
_JSON_CITIES = ("Москва", "東京", "München", "Αθήνα", "São Paulo", "Kraków", "서울")
_JSON_NOTES = ("ok 👍", "🎉 party", "fine", "😀", "see you", "спасибо", "ありがとう")


def _written(kind: str, rng: random.Random) -> str:
    """One sentence (``prose``, ``latin_prose``) or one record (``json_intl``) of
    :data:`DECODE_KINDS`."""
    if kind in ("prose", "latin_prose"):
        vocabulary = _PROSE_WORDS if kind == "prose" else _LATIN_PROSE_WORDS
        words = [rng.choice(vocabulary) for _ in range(rng.randint(3, 12))]
        return " ".join(words).capitalize() + rng.choice((". ", ", ", "! ", "? "))
    record = {
        "id": rng.randrange(10**6),
        "name": rng.choice(_JSON_NAMES),
        "city": rng.choice(_JSON_CITIES),
        "note": rng.choice(_JSON_NOTES),
    }
    return json.dumps(record, ensure_ascii=False) + ", "


def payload(size: int, seed: int = SEED) -> bytes:
    """``size`` pseudo-random bytes, the same for every run and implementation."""
    return random.Random(seed * 31 + size).randbytes(size)


def xor_mask(data: bytes, key: bytes, offset: int = 0) -> bytes:
    """Mask or unmask ``data`` (RFC 6455 §5.3) without wsframe, as an oracle.

    Args:
        data: the bytes to transform.
        key: the 4-byte masking key.
        offset: the mask phase of ``data[0]``.

    Raises:
        ValueError: if ``key`` is not 4 bytes.
    """
    if len(key) != 4:
        raise ValueError("masking key must be 4 bytes")
    n = len(data)
    if n == 0:
        return b""
    phase = offset % 4
    rotated = key[phase:] + key[:phase]
    stream = (rotated * (n // 4 + 1))[:n]
    value = int.from_bytes(data, "little") ^ int.from_bytes(stream, "little")
    return value.to_bytes(n, "little")


def _fill(alphabet: str, size: int, rng: random.Random) -> bytes:
    """Valid UTF-8 of exactly ``size`` bytes drawn from ``alphabet``, ASCII-padded."""
    out = bytearray()
    encoded = [ch.encode("utf-8") for ch in alphabet]
    while len(out) < size:
        piece = rng.choice(encoded)
        if len(out) + len(piece) > size:
            break
        out += piece
    while len(out) < size:  # pad the last few bytes with ASCII to hit the size exactly
        out += b"x"
    return bytes(out)


def text(kind: str, size: int) -> bytes:
    """UTF-8 input of ``size`` bytes for the workload ``kind`` (see :data:`TEXT_KINDS`).

    Raises:
        ValueError: for an unknown kind or a size below 1.
    """
    if size < 1:
        raise ValueError("size must be at least 1")
    rng = random.Random(f"{SEED}-{kind}-{size}")
    if kind in _ALPHABETS:
        return _fill(_ALPHABETS[kind], size, rng)
    if kind in ("prose", "latin_prose", "json_intl"):
        written = ""
        while len(written.encode()) < size:
            written += _written(kind, rng)
        data = written.encode()[:size]
        return data.decode("utf-8", "ignore").encode().ljust(size, b"x")
    if kind in ("mixed", "error_last"):
        # Runs of each width in turn (never starting with ASCII, so even 64 B
        # mixes widths), like chat or JSON traffic in several scripts.
        body = size - 1 if kind == "error_last" else size
        out = bytearray()
        order = ("2byte", "ascii", "3byte", "ascii", "4byte", "ascii")
        turn = 0
        while len(out) < body:
            out += _fill(_ALPHABETS[order[turn % len(order)]], rng.randint(8, 64), rng)
            turn += 1
        # Cut back to a code-point boundary at or below the size, pad with ASCII.
        data = bytes(out[:body])
        while data:
            try:
                data.decode("utf-8")
                break
            except UnicodeDecodeError as exc:
                data = data[: exc.start]
        data += b"x" * (body - len(data))
        if kind == "error_last":
            data += b"\xff"  # never valid in UTF-8 (RFC 3629 §1): the last byte is the error
        return data
    raise ValueError(f"unknown text kind {kind!r}")


def pieces(data: bytes, piece_size: int) -> list[bytes]:
    """``data`` cut into consecutive pieces of ``piece_size`` bytes (the last may be short)."""
    return [data[i : i + piece_size] for i in range(0, len(data), piece_size)]


def chunks(data: bytes, chunk_size: int) -> list[bytes]:
    """Same as :func:`pieces`; named for network reads in the frame workloads."""
    return pieces(data, chunk_size)


def _frame(opcode: int, body: bytes, key: bytes | None, rsv1: bool = False) -> bytes:
    """One final, unfragmented frame (RFC 6455 §5.2), built without wsframe."""
    head = bytearray([0x80 | (0x40 if rsv1 else 0) | opcode])
    mask_bit = 0x80 if key is not None else 0
    n = len(body)
    if n < 126:
        head.append(mask_bit | n)
    elif n < 1 << 16:
        head.append(mask_bit | 126)
        head += struct.pack("!H", n)
    else:
        head.append(mask_bit | 127)
        head += struct.pack("!Q", n)
    if key is None:
        return bytes(head) + body
    return bytes(head) + key + xor_mask(body, key)


@dataclass(frozen=True)
class FrameStream:
    """A wire buffer of frames and the (opcode, payload) list it must decode to."""

    wire: bytes
    messages: tuple[tuple[int, bytes], ...]

    @property
    def count(self) -> int:
        """Number of frames in :attr:`wire`."""
        return len(self.messages)


def frame_stream(count: int, size: int, *, opcode: int, masked: bool = True) -> FrameStream:
    """``count`` frames of ``size``-byte payloads, each masked with a fresh key.

    Text payloads (opcode 1) are ASCII-and-Latin text so UTF-8 validation does
    real work; binary payloads (opcode 2) are random bytes.

    Args:
        count: number of frames.
        size: payload bytes per frame.
        opcode: 1 (text) or 2 (binary).
        masked: mask as a client must (RFC 6455 §5.3); a server's decoder
            requires it.

    Raises:
        ValueError: for an opcode other than 1 or 2.
    """
    if opcode not in (1, 2):
        raise ValueError("opcode must be 1 (text) or 2 (binary)")
    rng = random.Random(f"{SEED}-frames-{count}-{size}-{opcode}")
    if opcode == 1:
        alphabet = [c.encode() for c in _ALPHABETS["ascii"]] + [c.encode() for c in "éàüßø"]
        bodies = []
        for _ in range(min(count, 1024)):
            out = bytearray()
            while len(out) < size:
                piece = rng.choice(alphabet)
                out += piece if len(out) + len(piece) <= size else b"x"
            bodies.append(bytes(out))
    else:
        bodies = [rng.randbytes(size) for _ in range(min(count, 1024))]
    parts = []
    messages = []
    for i in range(count):
        body = bodies[i % len(bodies)]
        key = rng.randbytes(4) if masked else None
        parts.append(_frame(opcode, body, key))
        messages.append((opcode, body))
    return FrameStream(b"".join(parts), tuple(messages))


def parse_frame(wire: bytes) -> tuple[int, bool, bool, bytes]:
    """Decode one complete frame (RFC 6455 §5.2) without wsframe, as an oracle.

    Returns:
        ``(opcode, fin, masked, payload)`` with the payload unmasked.

    Raises:
        ValueError: if ``wire`` is not exactly one frame with a minimal length.
    """
    wire = bytes(wire)
    if len(wire) < 2:
        raise ValueError("short frame")
    fin = bool(wire[0] & 0x80)
    opcode = wire[0] & 0x0F
    masked = bool(wire[1] & 0x80)
    n = wire[1] & 0x7F
    pos = 2
    if n == 126:
        (n,) = struct.unpack_from("!H", wire, pos)
        pos += 2
        if n < 126:
            raise ValueError("non-minimal 16-bit length")
    elif n == 127:
        (n,) = struct.unpack_from("!Q", wire, pos)
        pos += 8
        if n < 1 << 16:
            raise ValueError("non-minimal 64-bit length")
    key = None
    if masked:
        key = wire[pos : pos + 4]
        pos += 4
    body = wire[pos:]
    if len(body) != n:
        raise ValueError(f"length field says {n}, frame has {len(body)} payload bytes")
    return opcode, fin, masked, xor_mask(body, key) if key is not None else body


def text_frame(body: bytes, seed: int = SEED) -> bytes:
    """One masked, final text frame carrying ``body``, as a client sends it."""
    return _frame(1, body, random.Random(f"{seed}-key-{len(body)}").randbytes(4))


_WORDS = (
    "the",
    "quick",
    "message",
    "server",
    "client",
    "frame",
    "status",
    "ready",
    "user",
    "update",
    "price",
    "value",
    "true",
    "false",
    "null",
    "ok",
    "café",
    "naïve",
    "Grüße",
    "привет",
    "мир",
    "日本",
    "東京",
    "😀",
    "ünïcödé",
    "data",
)


def _dumps(doc: object) -> bytes:
    import json

    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def json_messages(count: int, size: int, seed: int = SEED) -> list[bytes]:
    """``count`` distinct JSON chat/event messages of about ``size`` bytes each (UTF-8).

    Every message has the same shape and different values, as on a real
    connection, so a compressor keeping context across messages gains what it
    would gain there (field names, common words) and no more.
    """
    rng = random.Random(f"{seed}-json-{count}-{size}")
    out = []
    for n in range(count):
        items: list[dict[str, object]] = []
        doc: dict[str, object] = {"type": "event", "seq": n, "items": items, "note": ""}
        while True:  # whole items while they fit, then words in "note" up to the size
            items.append(
                {
                    "id": rng.randrange(10**9),
                    "user": {
                        "name": rng.choice(_WORDS).title() + str(rng.randrange(1000)),
                        "verified": rng.random() < 0.5,
                    },
                    "text": " ".join(rng.choice(_WORDS) for _ in range(rng.randint(4, 14))),
                    "score": round(rng.uniform(-1000, 1000), 3),
                    "tags": rng.sample(_WORDS, 3),
                }
            )
            if len(items) > 1 and len(_dumps(doc)) > size:
                items.pop()
                break
        words: list[str] = []
        while len(data := _dumps(doc)) < size:
            words.append(rng.choice(_WORDS))
            doc["note"] = " ".join(words)
        out.append(data)
    return out


def compressed_frames(payloads: list[bytes], window_bits: int, seed: int = SEED) -> list[bytes]:
    """``payloads`` as one client's compressed, masked text frames (RFC 7692 §7.2.1).

    Compressed with stdlib zlib (level 6, the given window, context kept across
    messages), each sync-flushed with its trailing ``00 00 ff ff`` removed, RSV1 set.
    """
    import zlib

    rng = random.Random(f"{seed}-deflate")
    compressor = zlib.compressobj(6, zlib.DEFLATED, -window_bits)
    out = []
    for p in payloads:
        data = compressor.compress(p) + compressor.flush(zlib.Z_SYNC_FLUSH)
        if data[-4:] != b"\x00\x00\xff\xff":
            raise AssertionError("a sync flush ends with 00 00 ff ff")
        out.append(_frame(1, data[:-4], rng.randbytes(4), rsv1=True))
    return out


def inflate_frames(wires: list[bytes]) -> list[bytes]:
    """Payloads of compressed frames from one sender, in order, without wsframe (RFC 7692).

    Raises:
        ValueError: if a frame is not final and compressed (RSV1), or does not inflate.
    """
    import zlib

    decompressor = zlib.decompressobj(-15)  # any window up to 15 bits inflates
    out = []
    for wire in wires:
        wire = bytes(wire)
        if not wire or wire[0] & 0x40 == 0:
            raise ValueError("frame without RSV1: not compressed")
        _op, fin, _masked, body = parse_frame(wire)
        if not fin:
            raise ValueError("fragmented message")
        try:
            out.append(decompressor.decompress(body + b"\x00\x00\xff\xff"))
        except zlib.error as exc:
            raise ValueError(f"does not inflate: {exc}") from None
    return out
