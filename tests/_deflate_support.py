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
                reason=f"zlib backend {name!r} not installed ({BACKENDS[name]} "
                "does not import)",
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
    text = " ".join(
        rng.choice(["alpha", "beta", "gamma", "delta", "ωμέγα", "€"]) for _ in range(400)
    ).encode()
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
