"""Kernel tests of the compiled backend at every SIMD level this CPU supports.

Each level is forced in a fresh interpreter with the private switch
``WSFRAME_SIMD=<level>`` (read once at import), which then checks
``wsframe._speedups._mask`` against a pure-Python XOR (RFC 6455 §5.3) and
``wsframe._speedups._utf8`` against CPython's own UTF-8 decoder
(``UnicodeDecodeError.start``) and the reference validator.  The C-level
tests with sanitizers live in ``tests/c/``.

Skipped when the compiled modules are not built.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from _support import run_at_simd_level
from wsframe._reference import mask as ref_mask
from wsframe._reference import utf8 as ref_utf8

_mask = pytest.importorskip("wsframe._speedups._mask")
_utf8 = pytest.importorskip("wsframe._speedups._utf8")

ROOT = Path(__file__).resolve().parents[2]

# Runs inside the forced-level interpreter: argv[1] is the expected level.
_LEVEL_SCRIPT = textwrap.dedent(
    r"""
    import array, random, sys
    from wsframe._speedups import _frames, _mask, _utf8
    from wsframe._reference import frames as ref_frames
    from wsframe._reference import utf8 as ref_utf8
    from wsframe.errors import InvalidUTF8, ProtocolError

    level = sys.argv[1]
    # One level per process: _mask detects it, _utf8 and _frames share its table.
    assert _mask.simd_level == level, (_mask.simd_level, level)
    assert _utf8.simd_level == level, (_utf8.simd_level, level)
    assert _frames.simd_level == level, (_frames.simd_level, level)
    rnd = random.Random(1234)

    def py_xor(data, key, offset):
        # RFC 6455 §5.3: octet i is XOR-ed with key octet (offset + i) MOD 4.
        return bytes(b ^ key[(offset + i) % 4] for i, b in enumerate(data))

    # ---- masking: every length 0..300, some big ones, all phases ----
    for n in list(range(301)) + [511, 4097, 65536 + 3, (1 << 20) + 5]:
        data = rnd.randbytes(n)
        key = rnd.randbytes(4)
        for offset in (range(8) if n <= 300 else (0, 3, 5)):
            want = py_xor(data, key, offset) if n <= 4097 else None
            got = _mask.apply_mask(data, key, offset)
            if want is None:
                want = _mask.apply_mask(got, key, offset)  # involution
                assert want == data, n
                want = got
                # spot-check the big result against the definition
                for i in (0, 1, 2, 3, n // 2, n - 5, n - 1):
                    assert got[i] == data[i] ^ key[(offset + i) % 4]
            assert got == want, (n, offset)
            buf = bytearray(data)
            _mask.apply_mask_inplace(buf, key, offset)
            assert buf == want, (n, offset)
            mv = memoryview(bytearray(data))
            _mask.apply_mask_inplace(mv, key, offset)
            assert mv.tobytes() == want
        # a payload cut into random chunks masks like the whole
        m = _mask.Masker(key)
        out, pos = [], 0
        while pos < n:
            k = rnd.randint(1, 70)
            out.append(m.process(data[pos:pos + k]))
            pos += k
        assert b"".join(out) == _mask.apply_mask(data, key), n
        assert m.offset == n
    arr = array.array("I", range(1000))
    raw = arr.tobytes()
    key = b"\x01\x02\x03\x04"
    assert _mask.apply_mask(arr, key, 1) == py_xor(raw, key, 1)

    # ---- UTF-8 against CPython's decoder ----
    def cpython_start(b):
        try:
            b.decode("utf-8")
        except UnicodeDecodeError as exc:
            return exc.start
        return -1

    def check(b):
        want = cpython_start(b)
        got = _utf8.find_invalid(b)
        assert got == want, (b[max(0, want - 8):want + 8], got, want, len(b))
        assert _utf8.is_valid(b) == (want == -1)

    for a in range(256):
        check(bytes([a]))
        for c in range(256):
            check(bytes([a, c]))
    pad = bytearray(b"x" * 130)
    for a in range(0xE0, 0xF0):
        for b in range(0x80, 0xC0):  # other second bytes fail at once
            for c in range(256):
                seq = bytes([a, b, c])
                for at in (61, 127):
                    pad[at:at + 3] = seq
                    check(bytes(pad))
                    pad[at:at + 3] = b"xxx"

    alphabet = ["a", "z", "\x7f", "\x80", "\u07ff", "\u0800", "\ud7ff", "\ue000",
                "\uffff", "\U00010000", "\U0010ffff", "é", "€", "😀"]
    bad = [0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF, 0x41]
    for n in list(range(0, 300, 7)) + [1000, 5000, 70000]:
        text = "".join(rnd.choice(alphabet) for _ in range(n)).encode()
        check(text)
        if not text:
            continue
        for _ in range(20 if n < 5000 else 4):
            b = bytearray(text)
            b[rnd.randrange(len(b))] = rnd.choice(bad)
            check(bytes(b))
            check(bytes(b[: rnd.randrange(len(b) + 1)]))
        # errors at every offset around 16/32/64-byte block edges
        for edge in (16, 32, 64, 128):
            for p in range(edge - 4, edge + 4):
                if p < len(text):
                    b = bytearray(text)
                    b[p] = rnd.choice(bad)
                    check(bytes(b))

    # long ASCII runs (the kernels skip them in 128/256-byte groups) with a
    # lead byte cut short, or a bad byte, just before, inside or after a run
    for n in (300, 700, 2000, 9000):
        for _ in range(30):
            chars = [rnd.choice(alphabet[4:]) if rnd.random() < 0.004 else "a"
                     for _ in range(n)]
            text = "".join(chars).encode()
            check(text)
            b = bytearray(text)
            p = rnd.randrange(len(b))
            b[p] = rnd.choice([0xC3, 0xE2, 0xF0] + bad)
            check(bytes(b))

    # ---- incremental validator vs the reference, random splits ----
    def run(cls, data, cuts):
        v = cls()
        pos = 0
        try:
            for cut in cuts:
                v.feed(data[pos:cut])
                pos = cut
            v.feed(data[pos:])
            v.finish()
        except InvalidUTF8 as exc:
            return str(exc), exc.position, exc.code
        return None

    for n in list(range(0, 200, 3)) + [3000, 100000]:
        text = bytearray("".join(rnd.choice(alphabet) for _ in range(n)).encode())
        for trial in range(6):
            data = bytearray(text)
            if data and trial:
                data[rnd.randrange(len(data))] = rnd.choice(bad)
            data = bytes(data)
            cuts = sorted(rnd.sample(range(len(data) + 1), min(len(data), 5)))
            want = run(ref_utf8.Utf8Validator, data, cuts)
            got = run(_utf8.Utf8Validator, data, cuts)
            assert got == want, (got, want)
            if want is not None and want[0].startswith("invalid"):
                assert want[1] == cpython_start(data)
    # ---- fused unmask + validate (FrameDecoder) vs the reference decoder ----
    def decode(module, wire):
        dec = module.FrameDecoder(max_frame_size=None)
        try:
            return [(f.opcode, f.payload) for f in dec.feed(wire)]
        except ProtocolError as exc:
            return (type(exc).__name__, exc.code, getattr(exc, "position", None))

    for n in [0, 1, 15, 16, 31, 32, 33, 63, 64, 65, 255, 256, 257, 8191, 8192,
              8193, 20000, 70000]:
        text = "".join(rnd.choice(alphabet) for _ in range(n)).encode()[:n]
        key = rnd.randbytes(4)
        for trial in range(4):
            data = bytearray(text)
            if data and trial:
                data[rnd.randrange(len(data))] = rnd.choice(bad)
            wire = ref_frames.encode_frame(1, bytes(data), mask=key)
            assert decode(_frames, wire) == decode(ref_frames, wire), (n, trial)
    print("OK", level)
    """
)


@pytest.mark.parametrize("level", list(_mask.supported_levels))
def test_forced_level(level: str) -> None:
    """Every supported kernel level agrees with Python's XOR and decoder."""
    run_at_simd_level(_LEVEL_SCRIPT, level)


def _import_with(simd: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, WSFRAME_SIMD=simd, PYTHONPATH=str(ROOT))
    code = (
        "from wsframe._speedups import _mask, _utf8\n"
        "print(_mask.simd_level, _utf8.simd_level, ' '.join(_mask.supported_levels))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_unknown_level_is_import_error() -> None:
    proc = _import_with("avx9000")
    assert proc.returncode != 0
    assert "ImportError" in proc.stderr and "WSFRAME_SIMD must be one of" in proc.stderr


def test_unknown_level_fails_every_module_alike() -> None:
    # _utf8 and _frames take their kernels from _mask: importing one of them
    # first runs _mask's CPU detection and raises its error.
    env = dict(os.environ, WSFRAME_SIMD="avx9000", PYTHONPATH=str(ROOT))
    for name in ("_utf8", "_frames"):
        proc = subprocess.run(
            [sys.executable, "-c", f"import wsframe._speedups.{name}"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode != 0
        assert "WSFRAME_SIMD must be one of" in proc.stderr, proc.stderr[-2000:]


def test_one_kernel_table_per_process() -> None:
    # _mask owns the kernels and exports them as a capsule (wsf_capsule.h);
    # the other modules hold no copy and no CPU detection of their own.
    frames = pytest.importorskip("wsframe._speedups._frames")
    assert type(_mask._C_API).__name__ == "PyCapsule"
    assert '"wsframe._speedups._mask._C_API"' in repr(_mask._C_API)
    assert not hasattr(_utf8, "_C_API") and not hasattr(frames, "_C_API")
    assert _utf8.simd_level == frames.simd_level == _mask.simd_level


def test_unsupported_level_is_clamped() -> None:
    # "neon" on x86 (or "avx512" on arm64) is never executable here: it must
    # come back as a level this CPU supports, never crash.
    foreign = "avx512" if _mask.simd_level == "neon" else "neon"
    proc = _import_with(foreign)
    assert proc.returncode == 0, proc.stderr
    mask_level, utf8_level, *supported = proc.stdout.split()
    assert mask_level == utf8_level
    assert mask_level in supported


def test_default_level_is_best() -> None:
    # AVX-512 is the default only on CPUs where it does not downclock
    # (AVX512_VBMI2); elsewhere the default stays AVX2.  Checked in a fresh
    # process with the switch at "auto", so that it holds whatever level this
    # run forces.
    proc = _import_with("auto")
    assert proc.returncode == 0, proc.stderr
    mask_level, utf8_level, *supported = proc.stdout.split()
    best = supported[-1]
    assert mask_level == best or (best, mask_level) == ("avx512", "avx2")
    assert utf8_level == mask_level
    assert supported == list(_mask.supported_levels)
    assert _utf8.simd_level == _mask.simd_level
    assert _utf8.supported_levels == _mask.supported_levels
    assert _mask.supported_levels[0] == "scalar"


# ---- API parity with the reference (errors, buffer kinds) ----


def _outcome(func: Any, *args: Any) -> Any:
    try:
        return ("ok", func(*args))
    except Exception as exc:
        return (type(exc), str(exc))


_BAD_CALLS = [
    ("abc", b"abcd"),
    (b"abc", b"abc"),
    (b"abc", b"abcde"),
    (b"abc", "abcd"),
    (b"abc", 1234),
    (123, b"abcd"),
    (memoryview(b"abcdefgh")[::2], b"abcd"),
    (b"abc", memoryview(b"abcdefgh")[::2]),
    (bytearray(b"abc"), bytearray(b"abcd")),
]


@pytest.mark.parametrize("args", _BAD_CALLS)
def test_apply_mask_errors_match_reference(args: tuple[Any, Any]) -> None:
    assert _outcome(_mask.apply_mask, *args) == _outcome(ref_mask.apply_mask, *args)


@pytest.mark.parametrize("args", _BAD_CALLS + [(b"abc", b"abcd"), (memoryview(b"ab"), b"abcd")])
def test_apply_mask_inplace_errors_match_reference(args: tuple[Any, Any]) -> None:
    got = _outcome(_mask.apply_mask_inplace, *args)
    want = _outcome(ref_mask.apply_mask_inplace, *args)
    assert got == want


@pytest.mark.parametrize("offset", [0, 1, -1, -6, 2**64 + 3, -(2**70) + 1, True])
def test_offset_is_taken_mod_4(offset: int) -> None:
    data = bytes(range(40))
    assert _mask.apply_mask(data, b"\x10\x20\x30\x40", offset) == ref_mask.apply_mask(data, b"\x10\x20\x30\x40", offset)


@pytest.mark.parametrize("offset", [1.0, "1", None])
def test_offset_must_be_int(offset: Any) -> None:
    assert _outcome(_mask.apply_mask, b"ab", b"abcd", offset) == _outcome(ref_mask.apply_mask, b"ab", b"abcd", offset)


def test_masker_matches_reference() -> None:
    ours, ref = _mask.Masker(bytearray(b"\x01\x02\x03\x04")), ref_mask.Masker(b"\x01\x02\x03\x04")
    assert ours.mask == ref.mask == b"\x01\x02\x03\x04"
    for chunk in (b"a", b"bcdefg", b"", b"hijklmnopqrstuvwxyz" * 5000):
        assert ours.process(chunk) == ref.process(chunk)
        assert ours.offset == ref.offset
    ours.reset()
    ref.reset()
    assert ours.offset == 0 and ours.process(b"xyz") == ref.process(b"xyz")
    ours.offset = 6
    ref.offset = 6
    assert ours.process(b"xyz") == ref.process(b"xyz")
    assert _outcome(_mask.Masker, b"abc")[0] is ValueError


@pytest.mark.parametrize("data", ["é", 12, memoryview(b"\xc3\xa9\xc3\xa9")[::2], None])
def test_utf8_errors_match_reference(data: Any) -> None:
    for name in ("find_invalid", "is_valid"):
        assert _outcome(getattr(_utf8, name), data) == _outcome(getattr(ref_utf8, name), data)
    assert _outcome(_utf8.Utf8Validator().feed, data) == _outcome(ref_utf8.Utf8Validator().feed, data)


def test_validator_keeps_raising_until_reset() -> None:
    v = _utf8.Utf8Validator()
    v.feed(b"ab\xe2\x82")
    assert not v.ends_on_codepoint
    with pytest.raises(_utf8.InvalidUTF8) as first:
        v.feed(b"\xc0")
    assert first.value.position == 2 and first.value.code == 1007
    assert str(first.value) == "invalid UTF-8 at byte 2"
    with pytest.raises(_utf8.InvalidUTF8) as again:
        v.feed(b"a")
    assert again.value is first.value
    with pytest.raises(_utf8.InvalidUTF8):
        v.finish()
    assert not v.ends_on_codepoint
    v.reset()
    assert v.ends_on_codepoint and v.offset == 0
    v.feed(b"\xf0\x9f")
    with pytest.raises(_utf8.InvalidUTF8) as trunc:
        v.finish()
    assert trunc.value.position == 0 and str(trunc.value) == "truncated UTF-8 sequence at byte 0"


@pytest.mark.parametrize("chunk", [b"\xed\xa0", b"\xf4\x90", b"\xc0", b"\xe0\x80"])
def test_validator_fails_fast(chunk: bytes) -> None:
    # Unicode Table 3-7: no continuation can make these valid.
    v = _utf8.Utf8Validator()
    v.feed(b"xy")
    with pytest.raises(_utf8.InvalidUTF8) as exc:
        v.feed(chunk)
    assert exc.value.position == 2


def test_buffers_of_any_format_are_raw_bytes() -> None:
    import array

    arr = array.array("H", [0x41C3, 0xA9C3])  # little or big endian: raw bytes
    assert _utf8.find_invalid(arr) == ref_utf8.find_invalid(arr)
    buf = array.array("I", range(50))
    want = ref_mask.apply_mask(buf, b"abcd", 3)
    _mask.apply_mask_inplace(buf, b"abcd", 3)
    assert buf.tobytes() == want


def test_large_inputs_release_gil_path() -> None:
    # 1 MiB goes through the nogil branch; results must be identical.
    data = ("€" * 400_000).encode()[: 1 << 20]
    assert _utf8.find_invalid(data) == ref_utf8.find_invalid(data)
    assert _utf8.find_invalid(bytearray(data)) == ref_utf8.find_invalid(data)
    big = bytearray(os.urandom(1 << 20))
    want = ref_mask.apply_mask(big, b"wxyz", 1)
    _mask.apply_mask_inplace(big, b"wxyz", 1)
    assert big == want
