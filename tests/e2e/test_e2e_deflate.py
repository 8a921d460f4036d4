"""Autobahn 12.x / 13.x, reproduced: compressed echo round trips against examples/echo_server.py.

What Autobahn's sections 12 and 13 check is that every message comes back
identical over a permessage-deflate connection (RFC 7692): 12.x with the
default offer, 13.x with seven offers (no context takeover, window bits 9
and 15, combinations, and a list of three offers of which the server picks
one), each over five kinds of data (JSON, an image, German prose, HTML,
random bytes) at sizes from 16 B to 128 KiB, whole or fragmented into
256 B - 32 KiB frames.  The client here is websockets' (asyncio), with
explicit ``ClientPerMessageDeflateFactory`` offers.

Subset, to stay in tens of seconds (Autobahn sends 1000 messages per case):
- 12.x: every kind x 8 sizes (16 B - 128 KiB) x {whole, 256 B / 4 KiB / 32 KiB
  fragments} x 3 messages each on one connection (the later ones reuse the
  compression context): 96 messages per kind;
- 13.x: every kind x 7 more offers x 8 sizes x {whole, 4 KiB fragments} x 3
  messages: 48 messages per offer and kind.
1,920 messages in all, against Autobahn's 1000 per case.

Each connection also checks the negotiated parameters (the extension
websockets activated, against what was offered) and that the server really
compressed: frames with RSV1 set arrived at the client.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Callable
from typing import Any

import pytest

pytest.importorskip("websockets")

from websockets.asyncio.client import connect
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
)

from _integration_support import load_example

echo_server = load_example("echo_server")

MAX_SIZE = 2**20
TIMEOUT = 30.0
ALL_SIZES = [16, 64, 256, 1024, 4096, 16384, 65536, 131072]
REPEAT = 3

# ------------------------------------------------------------------ the five kinds of data


def _json_corpus(rng: random.Random, size: int) -> str:
    records = []
    total = 0
    while total < size:
        record = {
            "id": rng.randrange(10**6),
            "user": rng.choice(["anna", "bernd", "chloé", "dmitri", "eun-ji"]),
            "score": round(rng.uniform(0, 100), 3),
            "active": rng.random() < 0.5,
            "tags": rng.sample(["alpha", "beta", "gamma", "delta", "omega", "zeta"], 3),
            "pos": {"x": rng.randrange(1920), "y": rng.randrange(1080)},
        }
        text = json.dumps(record, ensure_ascii=False)
        records.append(text)
        total += len(text) + 2
    return "[" + ", ".join(records) + "]"


def _image_corpus(rng: random.Random, size: int) -> bytes:
    """An RGB bitmap: smooth gradients with a little sensor noise (compresses, but not much)."""
    width = 256
    out = bytearray()
    y = 0
    while len(out) < size:
        for x in range(width):
            noise = rng.randrange(4) if rng.random() < 0.3 else 0
            band = x // 8 * 8  # flat bands of 8 pixels, as in a drawing or a screenshot
            out += bytes(((band + noise) & 255, (y * 2 + noise) & 255, (band + y) // 2 & 255))
        y += 1
    return bytes(out)


_GERMAN = [
    "Es war einmal ein König, der hatte drei Töchter, die waren alle schön.",
    "Die jüngste aber war so schön, daß die Sonne selber sich verwunderte.",
    "Nahe bei dem Schlosse lag ein großer dunkler Wald, und in dem Walde war ein Brunnen.",
    "Wenn nun der Tag recht heiß war, so ging das Königskind hinaus in den Wald.",
    "Sie setzte sich an den Rand des kühlen Brunnens und spielte mit ihrer goldenen Kugel.",
    "Über die Straße fuhren Fuhrwerke, und die Bäcker öffneten früh ihre Läden.",
    "Größere Städte wuchsen an den Flüssen, wo Händler Waren aus fernen Ländern brachten.",
    "Man hörte das Glockenläuten über die Dächer, während der Nebel langsam wich.",
]


def _german_corpus(rng: random.Random, size: int) -> str:
    parts: list[str] = []
    total = 0
    while total < size:
        paragraph = " ".join(rng.choice(_GERMAN) for _ in range(rng.randrange(3, 8)))
        parts.append(paragraph)
        total += len(paragraph.encode()) + 2
    return "\n\n".join(parts)


def _html_corpus(rng: random.Random, size: int) -> str:
    parts = ["<!doctype html><html><head><title>Beispiel</title></head><body>"]
    total = len(parts[0])
    while total < size:
        n = rng.randrange(1000)
        cls = rng.choice(["item", "item active", "note", "warning"])
        part = (
            f'<div class="{cls}" id="row-{n}"><a href="/artikel/{n}?ref=liste">'
            f"{rng.choice(_GERMAN)[: rng.randrange(10, 60)]}</a>"
            f'<span data-n="{n}">{n * 3}</span></div>\n'
        )
        parts.append(part)
        total += len(part.encode())
    return "".join(parts) + "</body></html>"


def _random_corpus(rng: random.Random, size: int) -> bytes:
    return rng.randbytes(size)


CORPUS_SIZE = 2 * max(ALL_SIZES) + 4096
_MAKERS: dict[str, Callable[[random.Random, int], str | bytes]] = {
    "json": _json_corpus,
    "image": _image_corpus,
    "german": _german_corpus,
    "html": _html_corpus,
    "random": _random_corpus,
}
_CORPORA: dict[str, str | bytes] = {}


def _corpus(kind: str) -> str | bytes:
    if kind not in _CORPORA:
        _CORPORA[kind] = _MAKERS[kind](random.Random(f"wsframe-{kind}"), CORPUS_SIZE)
    return _CORPORA[kind]


def _message(kind: str, size: int, index: int) -> str | bytes:
    """``size`` bytes (UTF-8 bytes for text, trimmed to whole characters) of ``kind``."""
    corpus = _corpus(kind)
    start = (index * 7919) % (CORPUS_SIZE // 2)
    if isinstance(corpus, str):
        raw = corpus.encode()[start : start + size]
        return raw.decode("utf-8", "ignore")  # a cut character at either end is dropped
    return corpus[start : start + size]


def _chunks(message: str | bytes, fragment: int) -> list[Any]:
    if isinstance(message, str):  # fragment by UTF-8 bytes, keeping characters whole
        chunks: list[str] = []
        start = used = 0
        for i, char in enumerate(message):
            width = len(char.encode())
            if used + width > fragment and used:
                chunks.append(message[start:i])
                start, used = i, 0
            used += width
        return chunks + [message[start:]]
    return [message[i : i + fragment] for i in range(0, len(message), fragment)] or [b""]


# ------------------------------------------------------------------ offers (Autobahn 13.x)

#: name -> (factories to offer, expected negotiated values: PerMessageDeflate attribute -> value)
OFFERS: dict[str, tuple[list[ClientPerMessageDeflateFactory], dict[str, Any]]] = {
    # 12.x / 13.1: the plain offer, with client_max_window_bits (what browsers send).
    "default": (
        [ClientPerMessageDeflateFactory(client_max_window_bits=True)],
        {"local_no_context_takeover": False, "remote_no_context_takeover": False},
    ),
    "client_no_context_takeover": (
        [ClientPerMessageDeflateFactory(client_no_context_takeover=True)],
        {"local_no_context_takeover": True},
    ),
    "client_max_window_bits_9": (
        [ClientPerMessageDeflateFactory(client_max_window_bits=9)],
        {"local_max_window_bits": 9},
    ),
    "client_max_window_bits_15": (
        [ClientPerMessageDeflateFactory(client_max_window_bits=15)],
        {"local_max_window_bits": 15},
    ),
    "client_no_context_takeover_and_bits_9": (
        [ClientPerMessageDeflateFactory(client_no_context_takeover=True, client_max_window_bits=9)],
        {"local_no_context_takeover": True, "local_max_window_bits": 9},
    ),
    "server_no_context_takeover_and_bits_9": (
        [ClientPerMessageDeflateFactory(server_no_context_takeover=True, server_max_window_bits=9)],
        {"remote_no_context_takeover": True, "remote_max_window_bits": 9},
    ),
    "server_no_context_takeover_and_bits_15": (
        [ClientPerMessageDeflateFactory(server_no_context_takeover=True, server_max_window_bits=15)],
        {"remote_no_context_takeover": True, "remote_max_window_bits": 15},
    ),
    # 13.7: several offers; the server takes the first acceptable one (RFC 7692 §5.1).
    "three_offers": (
        [
            ClientPerMessageDeflateFactory(
                server_no_context_takeover=True,
                server_max_window_bits=9,
                client_no_context_takeover=True,
                client_max_window_bits=9,
            ),
            ClientPerMessageDeflateFactory(server_no_context_takeover=True),
            ClientPerMessageDeflateFactory(),
        ],
        {
            "remote_no_context_takeover": True,
            "remote_max_window_bits": 9,
            "local_no_context_takeover": True,
            "local_max_window_bits": 9,
        },
    ),
}


# ------------------------------------------------------------------ the run


async def _echo_session(offer: str, kind: str, sizes: list[int], fragments: list[int | None]) -> dict[str, Any]:
    factories, expected = OFFERS[offer]
    server = await echo_server.serve("127.0.0.1", 0, max_size=MAX_SIZE)
    port = server.sockets[0].getsockname()[1]
    stats = {"messages": 0, "rsv1_frames": 0, "frames": 0, "bytes": 0}
    try:
        async with connect(
            f"ws://127.0.0.1:{port}/",
            compression="deflate",
            extensions=factories,
            max_size=MAX_SIZE,
            open_timeout=TIMEOUT,
            close_timeout=TIMEOUT,
            ping_interval=None,
        ) as ws:
            header = ws.response.headers.get("Sec-WebSocket-Extensions")
            assert header is not None and header.startswith("permessage-deflate"), header
            active = [e for e in ws.protocol.extensions if isinstance(e, PerMessageDeflate)]
            assert len(active) == 1, ws.protocol.extensions
            extension = active[0]
            for attribute, value in expected.items():
                assert getattr(extension, attribute) == value, (attribute, extension, header)
            stats["header"] = header

            decode = extension.decode

            def counting_decode(frame: Any, **kwargs: Any) -> Any:
                if frame.opcode.value in (0, 1, 2):
                    stats["frames"] += 1
                    stats["rsv1_frames"] += bool(frame.rsv1)
                return decode(frame, **kwargs)

            extension.decode = counting_decode  # type: ignore[method-assign]

            for size in sizes:
                for fragment in fragments:
                    for index in range(REPEAT):
                        message = _message(kind, size, index + size)
                        if fragment is None:
                            await ws.send(message)
                        else:
                            await ws.send(_chunks(message, fragment))
                        reply = await asyncio.wait_for(ws.recv(), TIMEOUT)
                        assert type(reply) is type(message)
                        assert reply == message, (offer, kind, size, fragment, index)
                        stats["messages"] += 1
                        stats["bytes"] += len(message)
        assert ws.close_code == 1000
    finally:
        server.close()
        await asyncio.wait_for(server.wait_closed(), 10)
    return stats


@pytest.mark.parametrize("kind", list(_MAKERS))
def test_autobahn_12_default_offer(kind: str) -> None:
    """12.x: every size, whole and fragmented into 256 B / 4 KiB / 32 KiB frames."""
    stats = asyncio.run(_echo_session("default", kind, ALL_SIZES, [None, 256, 4096, 32768]))
    assert stats["messages"] == len(ALL_SIZES) * 4 * REPEAT
    # The server compressed its replies (RFC 7692 §6: RSV1 on the first frame).
    assert stats["rsv1_frames"] > 0, stats


@pytest.mark.parametrize("kind", list(_MAKERS))
@pytest.mark.parametrize("offer", [name for name in OFFERS if name != "default"])
def test_autobahn_13_offers(offer: str, kind: str) -> None:
    """13.x: each offer, every size, whole and in 4 KiB fragments."""
    stats = asyncio.run(_echo_session(offer, kind, ALL_SIZES, [None, 4096]))
    assert stats["messages"] == len(ALL_SIZES) * 2 * REPEAT
    assert stats["rsv1_frames"] > 0, stats


@pytest.mark.parametrize("fragment", [1, 3, 256, 4096])
def test_text_chunks_keep_characters_whole(fragment: int) -> None:
    text = _message("german", 5000, 3)
    chunks = _chunks(text, fragment)
    assert "".join(chunks) == text
    assert all(len(c.encode()) <= max(fragment, 4) for c in chunks)
    assert all(chunks)


def test_corpora_have_the_intended_character() -> None:
    """The five kinds differ as Autobahn's do: text compresses well, noise does not."""
    import zlib

    ratios = {}
    for kind in _MAKERS:
        data = _message(kind, 65536, 0)
        raw = data.encode() if isinstance(data, str) else data
        assert 65536 - 4 <= len(raw) <= 65536
        ratios[kind] = len(zlib.compress(raw)) / len(raw)
    assert ratios["random"] > 0.99
    assert ratios["german"] < 0.2 and ratios["html"] < 0.35 and ratios["json"] < 0.5
    assert 0.2 < ratios["image"] < 0.9
    for kind in ["json", "german", "html"]:
        assert isinstance(_message(kind, 16, 0), str)
