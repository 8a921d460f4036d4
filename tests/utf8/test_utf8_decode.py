"""Tests for ``decode(data) -> str`` (RFC 3629; Unicode Standard Table 3-7).

Both implementations run in this one process: the reference
(``wsframe._reference.utf8``) and the compiled module
(``wsframe._speedups._utf8``, skipped only when it is not built), plus the
public ``wsframe.utf8.decode``.  The oracle is CPython's strict decoder: the
result equals ``bytes(data).decode("utf-8")``; on ill-formed input
``InvalidUTF8.position`` equals ``UnicodeDecodeError.start`` and the message
says "truncated UTF-8 sequence" exactly when CPython's reason is "unexpected
end of data".

The compiled transcoder works in 16/32/64-byte vector blocks that need 3
bytes of look-ahead and writes 16-64 code points per step, so lengths and
positions are swept across those edges; every input kind (ASCII, Latin-1,
BMP, astral) selects a different output width.  Each SIMD level is checked in
its own interpreter (``WSFRAME_SIMD``, read at import).
"""

from __future__ import annotations

import importlib
import inspect
import random
import textwrap
import threading
from array import array
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import wsframe.utf8
from _support import run_at_simd_level
from wsframe.errors import InvalidUTF8, ProtocolError

ROOT = Path(__file__).resolve().parents[2]


def _compiled() -> ModuleType | None:
    try:
        return importlib.import_module("wsframe._speedups._utf8")
    except ImportError:
        return None


_COMPILED = _compiled()


# The reference and the compiled decode are the same in every process (both_backends:
# the pure-Python pass skips them); the public one changes with WSFRAME_PURE_PYTHON.
@pytest.fixture(
    scope="module",
    params=[
        pytest.param("reference", marks=pytest.mark.both_backends),
        pytest.param("compiled", marks=pytest.mark.both_backends),
        "public",
    ],
)
def impl(request: pytest.FixtureRequest) -> Callable[[Any], str]:
    """One ``decode`` function: the reference's, the compiled one, the public one."""
    if request.param == "reference":
        from wsframe._reference import utf8 as ref

        return ref.decode
    if request.param == "compiled":
        if _COMPILED is None:
            pytest.skip("compiled backend not built")
        return _COMPILED.decode  # type: ignore[no-any-return]
    return wsframe.utf8.decode


def _is_reference(impl: Callable[[Any], str]) -> bool:
    return impl.__module__ == "wsframe._reference.utf8"


def cpython(data: bytes) -> tuple[str, Any, Any]:
    """CPython's verdict: ("ok", text, None) or ("err", start, truncated?)."""
    try:
        return ("ok", data.decode("utf-8"), None)
    except UnicodeDecodeError as exc:
        return ("err", exc.start, exc.reason == "unexpected end of data")


def ours(impl: Callable[[Any], str], data: Any) -> tuple[str, Any, Any]:
    """The same verdict from ``impl``, checking the error's form on the way."""
    try:
        text = impl(data)
    except InvalidUTF8 as exc:
        assert isinstance(exc, ProtocolError) and exc.code == 1007
        message = str(exc)
        truncated = message.startswith("truncated UTF-8 sequence at byte ")
        if not truncated:
            assert message.startswith("invalid UTF-8 at byte "), message
        assert message.endswith(f" at byte {exc.position}"), message
        return ("err", exc.position, truncated)
    assert type(text) is str
    return ("ok", text, None)


def check(impl: Callable[[Any], str], data: bytes) -> None:
    got, want = ours(impl, data), cpython(data)
    assert got == want, (data[:80], len(data), got[:2], want[:2])


# ---------------------------------------------------------------------------
# Table 3-7, one boundary at a time.
# ---------------------------------------------------------------------------

SPECIAL = [
    b"",
    b"\x00",
    b"\x7f",
    b"\xc2\x80",  # U+0080
    b"\xc3\xbf",  # U+00FF, the last Latin-1 code point
    b"\xc4\x80",  # U+0100, the first UCS-2 one
    b"\xdf\xbf",
    b"\xe0\xa0\x80",
    b"\xed\x9f\xbf",  # U+D7FF, just below the surrogates
    b"\xee\x80\x80",  # U+E000, just above
    b"\xef\xbf\xbe",  # U+FFFE noncharacter: valid
    b"\xef\xbf\xbf",  # U+FFFF noncharacter: valid
    b"\xef\xb7\x90",  # U+FDD0 noncharacter: valid
    b"\xf0\x90\x80\x80",  # U+10000
    b"\xf4\x8f\xbf\xbf",  # U+10FFFF: valid
    # ill-formed
    b"\x80",
    b"\xbf",
    b"\xc0\x80",  # overlong NUL
    b"\xc1\xbf",  # overlong
    b"\xe0\x80\x80",  # overlong 3-byte
    b"\xe0\x9f\xbf",
    b"\xf0\x80\x80\x80",  # overlong 4-byte
    b"\xf0\x8f\xbf\xbf",
    b"\xf4\x90\x80\x80",  # above U+10FFFF
    b"\xf5\x80\x80\x80",
    b"\xff",
    b"\xfe",
    b"\xc2",  # truncated
    b"\xe2\x82",
    b"\xf0\x9f\x98",
    b"a\xf0\x9f",
    b"\xc2\x41",
    b"\xe2\x28\xa1",
    b"\xed\xa0\x80",  # surrogate D800
    b"\xed\xbf\xbf",  # surrogate DFFF
    b"\xed\xa0",
]


@pytest.mark.parametrize("data", SPECIAL, ids=lambda d: d.hex() or "empty")
def test_special_sequences(impl: Callable[[Any], str], data: bytes) -> None:
    check(impl, data)
    # the same at every offset of a vector block, after text of each kind
    for lead in ("", "a" * 13, "é" * 9, "Ж" * 20, "中" * 21, "😀" * 16):
        for pad in range(0, 70, 1 if not _is_reference(impl) else 9):
            check(impl, lead.encode() + b"x" * pad + data + b"y" * (pad % 5))


def test_all_surrogates_are_ill_formed(impl: Callable[[Any], str]) -> None:
    for second in range(0xA0, 0xC0):
        for third in range(0x80, 0xC0):
            data = "Ж".encode() * 10 + bytes([0xED, second, third]) + b"tail" * 10
            got = ours(impl, data)
            assert got == ("err", 20, False)


def test_exhaustive_one_and_two_bytes(impl: Callable[[Any], str]) -> None:
    for a in range(256):
        check(impl, bytes([a]))
        for b in range(256):
            check(impl, bytes([a, b]))


def test_all_three_byte_sequences(impl: Callable[[Any], str]) -> None:
    # Every lead E0..EF with every second byte, and every third byte after
    # the second bytes that do not fail at once (after the others, a sample:
    # the sequence is already ill-formed at its lead), alone and inside
    # vector blocks of Latin-1 text, so the UCS-2 kernels see them after a
    # vector prefix.
    prefix = "é".encode() * 20 + b"a" * 3
    thorough = impl is getattr(_COMPILED, "decode", None)
    for a in range(0xE0, 0xF0):
        for b in range(256):
            cont = 0x80 <= b < 0xC0
            for c in range(256) if cont else (0x00, 0x7F, 0x80, 0xBF, 0xC0, 0xFF):
                seq = bytes([a, b, c])
                check(impl, seq)
                if cont and (thorough or c % 3 == 0):
                    check(impl, prefix + seq + b"z" * 40)


# ---------------------------------------------------------------------------
# Every kind, every position, every length.
# ---------------------------------------------------------------------------

KINDS = {
    "ascii": "abcxyz 0129~\x7f",
    "latin1": "aéüßÿ\x80 ",
    "bmp2": "aЖж\u0100\u07ffé ",  # 2-byte sequences beyond Latin-1
    "cjk": "中文字符\u0800\ufffd\uffff a",
    "astral": "😀\U00010000\U0010ffff a€é",
    "mixed": "aé€中😀Ж ",
}


def _text(rnd: random.Random, kind: str, n: int) -> str:
    return "".join(rnd.choice(KINDS[kind]) for _ in range(n))


@pytest.mark.parametrize("kind", list(KINDS))
def test_random_text_every_length(impl: Callable[[Any], str], kind: str) -> None:
    rnd = random.Random(kind)
    for n in list(range(301)) + [1000, 4099, 70000]:
        text = _text(rnd, kind, n)
        data = text.encode()
        assert impl(data) == text
        # truncated at every cut near the end
        for cut in range(max(0, len(data) - 4), len(data)):
            check(impl, data[:cut])


@pytest.mark.parametrize("char", ["é", "\x80", "\u0100", "Ж", "中", "\uffff", "😀"])
def test_one_char_at_every_position(impl: Callable[[Any], str], char: str) -> None:
    # ASCII around one non-ASCII character: every vector block position,
    # both sides of the 16/32/64-byte boundaries, lengths 0..300.
    enc = char.encode()
    step = 5 if _is_reference(impl) else 1
    for n in range(len(enc), 301, step):
        for p in range(n - len(enc) + 1):
            data = b"a" * p + enc + b"b" * (n - p - len(enc))
            text = impl(data)
            assert text == data.decode("utf-8"), (n, p)


@pytest.mark.parametrize("letter", ["é", "Ж"])
@pytest.mark.parametrize("foreign", ["a", "ÿ", "ж", "中", "😀"])
def test_two_byte_text_broken_at_every_position(impl: Callable[[Any], str], letter: str, foreign: str) -> None:
    # Text in one alphabet of 2-byte letters (the uniform-run loops, which
    # take block after block while each is 8 whole letters) with one other
    # character at every position, after 0 or 1 ASCII byte (runs at both
    # offsets), at lengths that end inside and after a few blocks.
    step = 7 if _is_reference(impl) else 1
    for prefix in ("", "a"):
        for n in (9, 24, 40, 71, 130):
            for p in range(0, n, step):
                text = prefix + letter * p + foreign + letter * (n - p - 1)
                assert impl(text.encode()) == text, (prefix, n, p)


@pytest.mark.parametrize("background", ["a", "é", "Ж", "中", "😀"])
def test_error_at_every_position(impl: Callable[[Any], str], background: str) -> None:
    rnd = random.Random(background)
    bad = [0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF]
    lengths = list(range(140)) + list(range(250, 270))
    if _is_reference(impl):
        lengths = lengths[::4]
    for n in lengths:
        data = (background * n).encode()[:n]
        for p in range(n):
            mutated = bytearray(data)
            mutated[p] = rnd.choice(bad)
            check(impl, bytes(mutated))


def test_byte_flip_mutation(impl: Callable[[Any], str]) -> None:
    rnd = random.Random(7)
    for _ in range(300 if not _is_reference(impl) else 60):
        kind = rnd.choice(list(KINDS))
        data = bytearray(_text(rnd, kind, rnd.randrange(1, 400)).encode())
        for _ in range(rnd.randrange(1, 4)):
            p = rnd.randrange(len(data))
            data[p] ^= 1 << rnd.randrange(8)
        check(impl, bytes(data))


def test_kind_of_result_is_canonical(impl: Callable[[Any], str]) -> None:
    # The str must be of the smallest kind (else it would compare unequal).
    for text in ["abc", "é", "Ā", "\uffff", "😀", "a" * 100 + "ÿ", "a" * 100 + "Ā"]:
        got = impl(text.encode())
        assert got == text and hash(got) == hash(text)
        assert got.isascii() == text.isascii()
        assert max(map(ord, got)) == max(map(ord, text))


# ---------------------------------------------------------------------------
# Properties.
# ---------------------------------------------------------------------------


@given(st.text())
def test_roundtrip_text(impl: Callable[[Any], str], text: str) -> None:
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates cannot be encoded
        return
    assert impl(data) == text


@given(st.binary(max_size=300))
def test_any_bytes_like_cpython(impl: Callable[[Any], str], data: bytes) -> None:
    check(impl, data)


@given(st.text(max_size=200), st.integers(0, 299), st.integers(0, 255))
def test_one_wrong_byte(impl: Callable[[Any], str], text: str, where: int, byte: int) -> None:
    data = bytearray(text.encode("utf-8", "surrogatepass"))
    if data:
        data[where % len(data)] = byte
    check(impl, bytes(data))


# ---------------------------------------------------------------------------
# Buffers (the contract: raw bytes of any C-contiguous buffer), errors.
# ---------------------------------------------------------------------------


def test_buffer_kinds(impl: Callable[[Any], str]) -> None:
    text = "aé€中😀Ж " * 40
    raw = text.encode()
    for offset in (0, 1, 3, 7):
        backing = bytearray(b"\xff" * offset + raw + b"\xff" * 5)
        view = memoryview(backing)[offset : offset + len(raw)]
        assert impl(view) == text
        assert impl(view.toreadonly()) == text
        assert impl(bytes(view)) == text
        assert impl(bytearray(view)) == text
    # exact-size slices: an error just past the slice must not be seen
    backing = bytearray(raw + b"\xff")
    assert impl(memoryview(backing)[: len(raw)]) == text
    # any item format: raw bytes
    padded = raw + b" " * (-len(raw) % 4)
    arr = array("I")
    arr.frombytes(padded)
    assert impl(arr) == padded.decode()
    assert impl(memoryview(bytearray(padded)).cast("I")) == padded.decode()


@pytest.mark.parametrize(
    "data, error",
    [
        ("é", TypeError),
        (12, TypeError),
        (None, TypeError),
        (memoryview(b"\xc3\xa9\xc3\xa9")[::2], ValueError),
    ],
)
def test_bad_arguments(impl: Callable[[Any], str], data: Any, error: type) -> None:
    from wsframe._reference import utf8 as ref

    with pytest.raises(error) as got:
        impl(data)
    with pytest.raises(error) as want:
        ref.decode(data)
    assert str(got.value) == str(want.value)


def test_data_by_position_or_by_name(impl: Callable[..., str]) -> None:
    # Both backends: decode(data), as the API documents it.
    assert impl(b"abc") == impl(data=b"abc") == "abc"
    (parameter,) = inspect.signature(impl).parameters.values()
    assert parameter.name == "data" and parameter.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD


def test_large_inputs(impl: Callable[[Any], str]) -> None:
    # >= 64 KiB: the compiled backend releases the GIL here.
    for text in [
        "a" * 200_000,
        "é" * 100_000,
        "Ж€" * 50_000,
        "😀a" * 40_000,
        "aé€中😀Ж " * 20_000,
    ]:
        data = text.encode()
        assert impl(data) == text
        assert impl(bytearray(data)) == text
        broken = bytearray(data)
        broken[len(broken) - 3] = 0xFF
        check(impl, bytes(broken))
        check(impl, data[:-1])


def test_threads_share_nothing(impl: Callable[[Any], str]) -> None:
    texts = ["é" * 70_000, "Ж中" * 30_000, "😀" * 20_000, "ascii" * 20_000]
    datas = [t.encode() for t in texts]
    errors: list[str] = []

    def work(k: int) -> None:
        for _ in range(5):
            if impl(datas[k]) != texts[k]:
                errors.append(f"thread {k}")

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(texts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_public_module_exports_decode() -> None:
    assert "decode" in wsframe.utf8.__all__
    impl_name = "_speedups" if wsframe.backend == "c" else "_reference"
    assert impl_name in wsframe.utf8.decode.__module__ or (
        wsframe.backend == "c" and wsframe.utf8.decode is getattr(_COMPILED, "decode", None)
    )


# ---------------------------------------------------------------------------
# Every SIMD level this CPU supports, each in its own interpreter.
# ---------------------------------------------------------------------------

_LEVEL_SCRIPT = textwrap.dedent(
    r"""
    import random, sys
    from wsframe._speedups import _utf8
    from wsframe.errors import InvalidUTF8

    level = sys.argv[1]
    assert _utf8.simd_level == level, (_utf8.simd_level, level)
    rnd = random.Random(99)

    def cpython(b):
        try:
            return ("ok", b.decode("utf-8"))
        except UnicodeDecodeError as exc:
            return ("err", exc.start)

    def ours(b):
        try:
            return ("ok", _utf8.decode(b))
        except InvalidUTF8 as exc:
            return ("err", exc.position)

    def brief(r):
        return r if r[0] == "err" else "ok"  # no text dumps in the message

    def check(b):
        got, want = ours(b), cpython(b)
        assert got == want, (b[:60], len(b), brief(got), brief(want))

    alphabets = ["ab ~", "aéüÿ\x80", "aЖ\u0100é", "中\u0800\uffffa", "😀\U0010ffffa€",
                 "aé€中😀Ж "]
    bad = [0x80, 0xBF, 0xC0, 0xC2, 0xE0, 0xED, 0xF0, 0xF4, 0xF5, 0xFF]
    for n in list(range(0, 301)) + [1000, 4099, 70001]:
        for alpha in alphabets:
            text = "".join(rnd.choice(alpha) for _ in range(n))
            data = text.encode()
            assert _utf8.decode(data) == text, (n, alpha)
            if data:
                m = bytearray(data)
                m[rnd.randrange(len(m))] = rnd.choice(bad)
                check(bytes(m))
                check(data[:-1])
    for char in ["é", "Ā", "中", "😀"]:
        enc = char.encode()
        for n in range(len(enc), 200):
            for p in range(n - len(enc) + 1):
                data = b"a" * p + enc + b"b" * (n - p - len(enc))
                assert _utf8.decode(data) == data.decode(), (n, p)
    # Text of one width (16-byte blocks of only 2-, 3- or 4-byte characters
    # decode by fixed layout) after 0..3 ASCII bytes; one foreign character
    # (ASCII, or another width: also across the UCS-1/2/4 boundaries) at every
    # position among them; one wrong byte at every position.
    for run_char in ["é", "Ж", "中", "😀"]:
        for pre in range(4):
            for n in (5, 6, 8, 9, 16, 17, 22, 33, 40):
                base = "a" * pre + run_char * n
                assert _utf8.decode(base.encode()) == base, (run_char, pre, n)
                for other in ["x", "ß", "Ж", "中", "😀"]:
                    for k in range(pre, pre + n):
                        text = base[:k] + other + base[k + 1:]
                        assert _utf8.decode(text.encode()) == text, (run_char, pre, n, k, other)
                data = base.encode()
                for p in range(len(data)):
                    for byte in (0x41, 0x80, 0xBF, 0xC1, 0xC3, 0xE4, 0xED, 0xF0, 0xF5):
                        m = bytearray(data)
                        m[p] = byte
                        check(bytes(m))
    # Mixed widths (the general block path): after 0..19 ASCII characters,
    # runs of three widths in turn (every ordered choice), of 1..5 characters
    # each, so every width boundary falls at every offset of a 16-byte block;
    # the characters include the ends of each width's range.
    by_width = ["a~\x7f", "\x80é\u07ff", "\u0800中\uffff", "\U00010000😀\U0010ffff"]
    for wa in by_width:
        for wb in by_width:
            for wc in by_width:
                for pre in range(20):
                    for la in range(1, 6):
                        text = "a" * pre + "".join(
                            "".join(rnd.choice(w) for _ in range(k))
                            for w, k in ((wa, la), (wb, rnd.randint(1, 5)), (wc, rnd.randint(1, 9)))
                        )
                        assert _utf8.decode(text.encode()) == text, (pre, la, text)
    for lead in range(0xE0, 0xF0):
        for second in range(0x80, 0xC0):
            for third in (0x00, 0x7F, 0x80, 0xBF, 0xC0, 0xFF):
                check("Ж".encode() * 30 + bytes([lead, second, third]) + b"x" * 70)
    print("OK", level)
    """
)


@pytest.mark.skipif(_COMPILED is None, reason="compiled backend not built")
@pytest.mark.parametrize("level", list(getattr(_COMPILED, "supported_levels", ())) or ["scalar"])
def test_forced_level(level: str) -> None:
    run_at_simd_level(_LEVEL_SCRIPT, level)


# A bytearray another thread rewrites while it is decoded: whatever text each call sees,
# the result is a str or InvalidUTF8, never a crash or a write past the str.  The writer
# turns 2-byte characters into two ASCII ones (more characters than a scan before the
# change counted) and back.  With a GIL the calls from 64 KiB on release it (every
# vector level); without one (free-threaded builds) every call runs beside the writer.
_MUTATION_SCRIPT = textwrap.dedent(
    r"""
    import sys, threading
    from wsframe._speedups import _utf8
    from wsframe.errors import InvalidUTF8

    level = sys.argv[1]
    assert _utf8.simd_level == level, (_utf8.simd_level, level)
    sys.setswitchinterval(1e-6)  # with a GIL: hand it to the writer as often as it can
    for text in ("é" * 40_000, "é" * 1_500, "aé€中😀Ж " * 6_000):
        data = text.encode()
        buf = bytearray(data)
        stop = threading.Event()

        def writer():
            k = 0
            while not stop.is_set():
                j = (k * 7919) % (len(buf) - 1)
                j -= j % 2 if text[0] == "é" else 0
                buf[j : j + 2] = b"AA" if buf[j] >= 0x80 else data[j : j + 2]
                k += 1

        t = threading.Thread(target=writer)
        t.start()
        try:
            for _ in range(300):
                try:
                    got = _utf8.decode(buf)
                except InvalidUTF8:
                    continue
                assert isinstance(got, str)
        finally:
            stop.set()
            t.join()
    print("OK", level)
    """
)


@pytest.mark.skipif(_COMPILED is None, reason="compiled backend not built")
@pytest.mark.parametrize("level", list(getattr(_COMPILED, "supported_levels", ())) or ["scalar"])
def test_concurrently_rewritten_bytearray_never_crashes(level: str) -> None:
    run_at_simd_level(_MUTATION_SCRIPT, level)
