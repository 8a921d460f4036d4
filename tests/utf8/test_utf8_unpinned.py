"""``utf8.decode`` of memory that changes while it is decoded.

Any buffer but ``bytes`` may be written by someone else during the call: a bytearray by
another thread while the GIL is released for a long input, a shared mmap by another
process.  The compiled decoder's passes trust what the passes before them saw (the
str's length and kind), so such input is decoded from a private copy (ASCII is copied
once, while checked).  Before, a scalar-level decode of a shared mmap that another
process rewrote wrote past the end of the str it had sized (glibc aborted), and the
vector levels could build a str of a kind its characters did not need.

Whatever the writer does, the result must be an ``InvalidUTF8`` (a copy torn between
two texts need not be UTF-8) or a well-formed str: equal to the str CPython builds from
the same characters.  Each level runs in its own interpreter (``WSFRAME_SIMD``); the
reference backend too.
"""

from __future__ import annotations

import importlib
import mmap
import os
import subprocess
import sys
import textwrap

import pytest

from _support import REPO_ROOT, run_at_simd_level
from wsframe import utf8

try:
    _COMPILED = importlib.import_module("wsframe._speedups._utf8")
except ImportError:
    _COMPILED = None

needs_fork = pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")

_SCRIPT = textwrap.dedent(
    r"""
    import mmap, os, signal, sys
    from wsframe import utf8
    from wsframe.errors import InvalidUTF8

    level = sys.argv[1]
    N = 1 << 20
    # Same length, different character counts and kinds: Latin-1 + BMP, then ASCII.
    texts = ["\u00e9\u0100" * (N // 4), "abcd" * (N // 4)]
    wires = [t.encode() for t in texts]
    shared = mmap.mmap(-1, N)  # anonymous and MAP_SHARED: the child writes it
    shared[:] = wires[0]
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the writer, until killed or orphaned (the decoder crashed)
        i = 0
        while os.getppid() == parent:
            shared[:] = wires[i & 1]
            i += 1
        os._exit(0)
    kinds = {"str": 0, "error": 0}
    try:
        for _ in range(150):
            try:
                s = utf8.decode(shared)
            except InvalidUTF8:
                kinds["error"] += 1
                continue
            kinds["str"] += 1
            assert len(s.encode("utf-8", "surrogatepass")) == N, len(s)
            # A str of a kind its characters do not need compares unequal to the same text.
            assert s == s.encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass")
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    assert kinds["str"] > 0, kinds
    print("OK", level)
    """
)


@needs_fork
@pytest.mark.skipif(_COMPILED is None, reason="compiled backend not built")
@pytest.mark.parametrize("level", list(getattr(_COMPILED, "supported_levels", ())) or ["scalar"])
def test_decode_of_memory_another_process_writes(level: str) -> None:
    run_at_simd_level(_SCRIPT, level)


@needs_fork
def test_decode_of_memory_another_process_writes_reference() -> None:
    env = dict(os.environ, WSFRAME_PURE_PYTHON="1", PYTHONPATH=str(REPO_ROOT))
    proc = subprocess.run(
        [sys.executable, "-c", _SCRIPT, "python"], env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "OK python"


def _inputs() -> list[bytes]:
    """Lengths around the short path (192), the stack copy (4096) and the ASCII bet's
    64-byte prefix, with the first non-ASCII byte early, late, or an error."""
    out = []
    for n in (1, 63, 64, 191, 192, 193, 383, 384, 385, 4095, 4096, 4097, 9000):
        for where in (0, 64, n // 2, n - 2):
            body = bytearray(b"x" * n)
            if 0 <= where <= n - 2:
                body[where : where + 2] = "\u00e9".encode()
            out.append(bytes(body))
            bad = bytearray(body)
            bad[min(where, n - 1)] = 0xFF
            out.append(bytes(bad))
    return out


@pytest.mark.parametrize("data", _inputs(), ids=lambda d: f"{len(d)}")
def test_buffers_decode_as_bytes_do(data: bytes) -> None:
    """bytearray, memoryview and mmap (the copied path) give bytes' str or error."""
    try:
        want: object = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        want = exc.start
    m = mmap.mmap(-1, len(data))
    m[:] = data
    for buf in (bytearray(data), memoryview(data), memoryview(bytearray(data))[:], m):
        try:
            got: object = utf8.decode(buf)
        except utf8.InvalidUTF8 as exc:
            got = exc.position
        assert got == want, type(buf)
    m.close()
