"""Helpers for the permessage-deflate tests: the zlib backends, test data."""

from __future__ import annotations

import importlib
import random

import pytest

from wsframe.deflate import BACKENDS

__all__ = ["BACKEND_NAMES", "backend_params", "installed", "sample_messages"]

#: Every backend wsframe knows by name.
BACKEND_NAMES = list(BACKENDS)


def installed(name: str) -> bool:
    """True when the package behind backend *name* imports."""
    try:
        importlib.import_module(BACKENDS[name])
    except ImportError:
        return False
    return True


def backend_params() -> list[object]:
    """pytest params, one per backend; skipped only when not installed."""
    return [
        pytest.param(
            name,
            id=name,
            marks=pytest.mark.skipif(
                not installed(name),
                reason=f"zlib backend {name!r} not installed ({BACKENDS[name]} does not import)",
            ),
        )
        for name in BACKEND_NAMES
    ]


def sample_messages(seed: int = 0) -> list[bytes]:
    """Messages that exercise the window: text, long-distance repeats, noise.

    The 20 000-byte random block repeated at distance 20 000 only compresses
    with a window of 32 KiB: a compressor that ignored a smaller agreed window
    would emit distances its peer's inflater refuses.
    """
    rng = random.Random(seed)
    block = rng.randbytes(20000)
    text = " ".join(rng.choice(["alpha", "beta", "gamma", "delta", "ωμέγα", "€"]) for _ in range(400)).encode()
    return [
        b"Hello",
        b"",
        text,
        block + block,
        bytes(70000),
        rng.randbytes(3000),
        text[:300],
        b"Hello",
        bytes(range(256)) * 40,
    ]


# ---------------------------------------------------------------------------
# Hand-made DEFLATE streams (RFC 1951 §3.2.6, fixed Huffman codes)
# ---------------------------------------------------------------------------

# RFC 1951 §3.2.5: length codes 257..285 (base, extra bits), distance codes 0..29.
_LENGTHS = [
    (3, 0), (4, 0), (5, 0), (6, 0), (7, 0), (8, 0), (9, 0), (10, 0), (11, 1), (13, 1),
    (15, 1), (17, 1), (19, 2), (23, 2), (27, 2), (31, 2), (35, 3), (43, 3), (51, 3),
    (59, 3), (67, 4), (83, 4), (99, 4), (115, 4), (131, 5), (163, 5), (195, 5), (227, 5),
    (258, 0),
]  # fmt: skip
_DISTANCES = [
    (1, 0), (2, 0), (3, 0), (4, 0), (5, 1), (7, 1), (9, 2), (13, 2), (17, 3), (25, 3),
    (33, 4), (49, 4), (65, 5), (97, 5), (129, 6), (193, 6), (257, 7), (385, 7), (513, 8),
    (769, 8), (1025, 9), (1537, 9), (2049, 10), (3073, 10), (4097, 11), (6145, 11),
    (8193, 12), (12289, 12), (16385, 13), (24577, 13),
]  # fmt: skip


class _Bits:
    def __init__(self) -> None:
        self.value = 0
        self.count = 0

    def put(self, value: int, n: int) -> None:
        """``n`` bits of ``value``, least significant first (RFC 1951 §3.1.1)."""
        self.value |= (value & ((1 << n) - 1)) << self.count
        self.count += n

    def code(self, code: int, n: int) -> None:
        """A Huffman code: most significant bit first."""
        self.put(int(f"{code:0{n}b}"[::-1], 2), n)

    def symbol(self, sym: int) -> None:
        # RFC 1951 §3.2.6: the fixed literal/length code.
        if sym < 144:
            self.code(0x30 + sym, 8)
        elif sym < 256:
            self.code(0x190 + sym - 144, 9)
        elif sym < 280:
            self.code(sym - 256, 7)
        else:
            self.code(0xC0 + sym - 280, 8)

    def to_bytes(self) -> bytes:
        return self.value.to_bytes((self.count + 7) // 8, "little")


def _table_code(table: list[tuple[int, int]], value: int) -> tuple[int, int, int]:
    for index in range(len(table) - 1, -1, -1):
        base, extra = table[index]
        if value >= base:
            assert value - base < (1 << extra) or (base, extra) == (258, 0)
            return index, value - base, extra
    raise ValueError(value)


def deflate_message(*tokens: bytes | tuple[int, int]) -> bytes:
    """A permessage-deflate payload built by hand: literals and matches.

    Each token is ``bytes`` (literals) or ``(length, distance)`` (a
    back-reference, RFC 1951 §3.2.5), written in one non-final block with the
    fixed Huffman codes, then the empty stored block of a sync flush whose
    ``00 00 ff ff`` is left off (RFC 7692 §7.2.1): exactly what a compressor
    would send, except that the distances are whatever the test asks for.
    """
    bits = _Bits()
    bits.put(0, 1)  # BFINAL = 0
    bits.put(1, 2)  # BTYPE = 01, fixed Huffman codes
    for token in tokens:
        if isinstance(token, bytes):
            for byte in token:
                bits.symbol(byte)
            continue
        length, distance = token
        assert 3 <= length <= 258 and 1 <= distance <= 32768
        index, extra_value, extra_bits = _table_code(_LENGTHS, length)
        if length == 258:
            index, extra_value, extra_bits = 28, 0, 0
        bits.symbol(257 + index)
        bits.put(extra_value, extra_bits)
        index, extra_value, extra_bits = _table_code(_DISTANCES, distance)
        bits.code(index, 5)
        bits.put(extra_value, extra_bits)
    bits.symbol(256)  # end of block
    bits.put(0, 3)  # BFINAL = 0, BTYPE = 00: the sync flush's stored block
    return bits.to_bytes()  # padded to a byte: LEN/NLEN follow in the trailer
