"""Decompression bombs: 1 GiB of zeros, compressed to ~1 MiB, on every backend.

What is measured is memory, not time: the inflater must refuse the message
having produced at most ``max_size + 64 KiB`` (counted exactly through a
wrapper around the backend's decompressor), and a process inflating the bomb
under ``max_size=1 MiB`` must stay far below the bomb's size (peak RSS and
tracemalloc peak, measured in a subprocess whose address space is capped so
that a broken bound fails fast instead of exhausting the machine).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import types
import zlib
from pathlib import Path
from typing import Any

import pytest
from _deflate_support import backend_params

from wsframe.deflate import DeflateParams, Inflater, zlib_backend
from wsframe.errors import PayloadTooBig

BACKEND = backend_params()
GIB = 1 << 30
MIB = 1 << 20
MAX_SIZE = MIB
SLACK = 64 * 1024  # the documented bound: at most max_size + 64 KiB inflated


@pytest.fixture(scope="session")
def bomb() -> bytes:
    """1 GiB of zeros as one permessage-deflate payload (trailer removed).

    Built without compressing 1 GiB: after the first MiB the compressor's
    state (history all zeros, output byte-aligned by the sync flush) repeats,
    so every further MiB compresses to the same bytes.  That is checked:
    the first three chunks inflate to exactly 3 MiB of zeros.
    """
    c = zlib.compressobj(9, zlib.DEFLATED, -15, 9)
    zeros = bytes(MIB)
    chunks = [c.compress(zeros) + c.flush(zlib.Z_SYNC_FLUSH) for _ in range(3)]
    assert chunks[1] == chunks[2], "steady state not reached"
    d = zlib.decompressobj(-15)
    assert d.decompress(chunks[0] + chunks[1] + chunks[2]) == bytes(3 * MIB)
    payload = chunks[0] + chunks[1] * (GIB // MIB - 1)
    assert payload.endswith(b"\x00\x00\xff\xff")
    return payload[:-4]


@pytest.fixture(scope="session")
def bomb_file(bomb: bytes, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "zeros-1GiB.deflate"
    path.write_bytes(bomb)
    return path


class _Counting:
    """A decompressor that adds up everything it produces."""

    def __init__(self, inner: Any, counter: list[int]) -> None:
        self._inner = inner
        self._counter = counter

    def decompress(self, data: Any, max_length: int = 0) -> bytes:
        out: bytes = self._inner.decompress(data, max_length)
        self._counter[0] += len(out)
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def counting_backend(name: str) -> tuple[types.ModuleType, list[int]]:
    """A module with zlib's API over backend *name*, counting inflated bytes."""
    inner = zlib_backend(name)
    counter = [0]
    module = types.ModuleType(f"counting_{name.replace('-', '_')}")
    for attr in dir(inner):
        if not attr.startswith("__"):
            setattr(module, attr, getattr(inner, attr))
    module.decompressobj = lambda wbits=15: _Counting(inner.decompressobj(wbits), counter)  # type: ignore[attr-defined]
    return module, counter


@pytest.mark.parametrize("backend", BACKEND)
def test_bomb_one_frame_inflates_at_most_max_size_plus_64k(backend: str, bomb: bytes) -> None:
    module, counter = counting_backend(backend)
    inflater = Inflater(DeflateParams(), zlib=module)
    with pytest.raises(PayloadTooBig) as info:
        inflater.feed(bomb, fin=True, max_size=MAX_SIZE)
    assert info.value.code == 1009
    assert MAX_SIZE < counter[0] <= MAX_SIZE + SLACK


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize("frame_size", [125, 4096, 65536])
def test_bomb_in_frames_with_remaining_budget(backend: str, frame_size: int, bomb: bytes) -> None:
    # As the assembler feeds it: one frame at a time, each call bounded by
    # what is left of the message's budget.  Fails within the first frames.
    module, counter = counting_backend(backend)
    inflater = Inflater(DeflateParams(), zlib=module)
    left = MAX_SIZE
    view = memoryview(bomb)
    with pytest.raises(PayloadTooBig):
        for start in range(0, len(bomb), frame_size):
            left -= len(inflater.feed(view[start : start + frame_size], fin=False, max_size=left))
        inflater.feed(b"", fin=True, max_size=left)
    assert counter[0] <= MAX_SIZE + SLACK


@pytest.mark.parametrize("backend", BACKEND)
def test_bomb_exact_limit_with_small_budget(backend: str, bomb: bytes) -> None:
    # max_size = 0: the first inflated byte is one too many.
    module, counter = counting_backend(backend)
    with pytest.raises(PayloadTooBig):
        Inflater(DeflateParams(), zlib=module).feed(bomb, fin=True, max_size=0)
    assert counter[0] <= SLACK


_CHILD = textwrap.dedent(
    """
    import json, resource, sys, tracemalloc
    from wsframe.deflate import DeflateParams, Inflater
    from wsframe.errors import PayloadTooBig

    backend, path, max_size, frame_size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    bomb = open(path, "rb").read()
    # Warm up: the backend's module and a first decompressor are baseline.
    warm = Inflater(DeflateParams(), zlib=backend)
    warm.feed(b"\\xf2\\x48\\xcd\\xc9\\xc9\\x07\\x00", fin=True)
    # Cap the address space so that a broken bound dies here, not the host.
    with open("/proc/self/statm") as f:
        vm = int(f.read().split()[0]) * resource.getpagesize()
    cap = vm + 512 * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    def status(field):
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
        raise KeyError(field)
    try:  # reset the high-water mark (VmHWM) to the current RSS
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        base_rss = status("VmRSS")
    except OSError:
        base_rss = status("VmHWM")
    tracemalloc.start()
    inflater = Inflater(DeflateParams(), zlib=backend)
    refused = False
    try:
        if frame_size:
            left = max_size
            view = memoryview(bomb)
            for i in range(0, len(bomb), frame_size):
                left -= len(inflater.feed(view[i:i + frame_size], fin=False, max_size=left))
        else:
            inflater.feed(bomb, fin=True, max_size=max_size)
    except PayloadTooBig:
        refused = True
    peak_traced = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    peak_rss = status("VmHWM")
    print(json.dumps({"refused": refused, "rss_delta": peak_rss - base_rss,
                      "traced_peak": peak_traced, "backend": inflater.zlib_name}))
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc, RLIMIT_AS")
@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize("frame_size", [0, 16384], ids=["one-frame", "16k-frames"])
def test_bomb_memory_stays_far_below_the_bomb(backend: str, frame_size: int, bomb_file: Path) -> None:
    repo = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, backend, str(bomb_file), str(MAX_SIZE), str(frame_size)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=repo,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    print(f"{backend}: {result}")
    assert result["backend"] == backend
    assert result["refused"]
    # 1 GiB inflated would show as ~1 GiB; the bound is 1 MiB (+ 64 KiB).
    assert result["rss_delta"] < 64 * MIB
    assert result["traced_peak"] < 8 * MIB


@pytest.mark.parametrize("backend", BACKEND)
def test_bomb_is_bounded_by_default(backend: str, bomb: bytes) -> None:
    # Without max_size a call is bounded by the assembler's default message
    # limit (1 MiB); only max_size=None asks for no bound.
    from wsframe._rules import DEFAULT_MAX_SIZE

    module, counter = counting_backend(backend)
    inflater = Inflater(DeflateParams(), zlib=module)
    with pytest.raises(PayloadTooBig) as info:
        inflater.feed(bomb, fin=True)
    assert info.value.code == 1009
    assert counter[0] <= DEFAULT_MAX_SIZE + SLACK


@pytest.mark.parametrize("backend", BACKEND)
def test_bomb_is_refused_by_max_ratio_without_max_size(backend: str, bomb: bytes) -> None:
    # max_ratio bounds the CPU spent per compressed byte even with no size
    # limit: 1 GiB from 1 MiB is a ratio of 1000, refused early.
    module, counter = counting_backend(backend)
    inflater = Inflater(DeflateParams(), zlib=module, max_ratio=100)
    with pytest.raises(PayloadTooBig) as info:
        inflater.feed(bomb, fin=True, max_size=None)
    assert info.value.code == 1009
    assert counter[0] <= 100 * len(bomb) + SLACK + 1
