#!/usr/bin/env python3
"""Write the seed corpora of the fuzz harnesses from the conformance data in tests/data.

The corpora are generated, not committed (fuzzing/corpus/ is git-ignored)::

    python fuzzing/make_corpus.py            # fuzzing/corpus/{decoder,assembler,utf8,wsproto}

Each seed is a real input of the harness's layout (see each harness's docstring): the
Autobahn streams (every case of kind "frames" and "close", under a few decoder
configurations and cuts), the Autobahn UTF-8 sequences and Kuhn's UTF-8 test sequences,
as raw text and framed.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "tests" / "data"
OUT = HERE / "corpus"

#: Seeds larger than this are cut (libFuzzer's default -max_len is 4096 when the corpus
#: holds nothing longer; long seeds only slow every mutation down).
MAX_SEED = 8192


def _write(kind: str, blob: bytes) -> None:
    blob = blob[:MAX_SEED]
    folder = OUT / kind
    folder.mkdir(parents=True, exist_ok=True)
    (folder / hashlib.sha1(blob).hexdigest()).write_bytes(blob)


def _mask_frame(opcode: int, payload: bytes, fin: bool = True) -> bytes:
    """One masked frame (RFC 6455 §5.2), fixed key: the shape a server receives."""
    key = b"\x37\xfa\x21\x3d"
    head = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head += bytes([0x80 | n])
    elif n < 65536:
        head += bytes([0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head += bytes([0x80 | 127]) + n.to_bytes(8, "big")
    return head + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def main() -> int:
    autobahn = json.loads((DATA / "autobahn_cases.json").read_text(encoding="utf-8"))
    kuhn = json.loads((DATA / "kuhn_utf8_sequences.json").read_text(encoding="utf-8"))
    texts: list[bytes] = []
    for case in autobahn["cases"]:
        raw = bytes.fromhex(case["input"])
        if case["kind"] == "utf8":
            texts.append(raw)
            continue
        # decoder: server, defaults; whole / bytewise / random cuts; no limits; RSV allowed
        for flags, limits in ((0x00, 0x36), (0x40, 0x36), (0x80, 0x36), (0x1C, 0x00)):
            _write("decoder", bytes([flags, limits, len(raw) & 0xFF]) + raw)
        # wsproto: server side, random cuts
        _write("wsproto", bytes([0x80, len(raw) & 0xFF]) + raw)
    texts += [bytes.fromhex(item["input"]) for item in kuhn["items"]]
    for text in texts:
        _write("utf8", bytes([0x80]) + text)
        _write("utf8", bytes([0x40]) + text)
        framed = _mask_frame(1, text)
        _write("decoder", bytes([0x00, 0x36, 7]) + framed)
        _write("wsproto", bytes([0x00, 0]) + framed)
        # A fragmented text message: the text split over two frames.
        half = len(text) // 2
        frag = _mask_frame(1, text[:half], fin=False) + _mask_frame(0, text[half:])
        _write("decoder", bytes([0x80, 0x36, 3]) + frag)
    # assembler: a config byte, then records (flags, opcode, length, payload); see
    # fuzz_assembler.py.  One-frame texts, fragmented texts with a ping in between.
    for text in texts:
        text = text[:255]
        _write("assembler", bytes([0x06, 0x01, 0x01, len(text)]) + text)
        head, tail = text[:2], text[2:]
        _write(
            "assembler",
            bytes([0x06, 0x00, 0x01, len(head)])
            + head
            + bytes([0x01, 0x09, 0])
            + bytes([0x01, 0x00, len(tail)])
            + tail,
        )
    for folder in sorted(OUT.iterdir()):
        print(f"{folder}: {sum(1 for _ in folder.iterdir())} seeds")
    return 0


if __name__ == "__main__":
    sys.exit(main())
