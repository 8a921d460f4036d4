"""``decode`` of text with 3- and 4-byte characters: the one-pass path.

At the SSE4, AVX2 and AVX-512 levels the compiled ``decode`` of such text (from 256
bytes on) transcodes and validates in one pass: a block of characters of one width
checks itself (the code points it decodes, and that its layout continues where the
block before left off), 48 bytes of 3-byte and 64 bytes of 4-byte characters at once;
other blocks take the validator's check.  So an ill-formed sequence is put where only
those checks can see it: in place of one character of a uniform run, with the run's own
layout (surrogates ``ED A0..BF``, overlongs ``E0 80..9F`` / ``F0 80..8F`` / ``C0``,
``C1``, ``F4 90..``, ``F5..F7`` leads: RFC 3629 section 4), at every character of runs
whose lengths cross the 16-, 48- and 64-byte steps, and in the last bytes (the part the
scalar tail checks); plus a stray or missing continuation byte at every byte and
truncations at the end; and mixed text after a CJK start (the one-pass loop hands it
over to the two-pass stage) with errors anywhere.  The oracle is CPython's decoder (the
result, or ``InvalidUTF8.position == UnicodeDecodeError.start`` and the "truncated"
wording exactly when CPython says "unexpected end of data").  The reference backend runs
the same cases in this process; the compiled one at every SIMD level this CPU supports,
each in its own interpreter.
"""

from __future__ import annotations

import importlib
import textwrap
from types import ModuleType

import pytest

from _support import run_at_simd_level
from wsframe._reference import utf8 as reference_utf8
from wsframe.errors import InvalidUTF8

# The cases, as source shared by this process and the per-level interpreters.
_CASES = textwrap.dedent(
    r"""
    import itertools

    # (run character, sequences of its width that are ill-formed)
    RUNS = [
        ("中", [b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xe0\x80\x80", b"\xe0\x9f\xbf"]),
        ("\uffff", [b"\xed\xa0\x80", b"\xe0\x80\xaf"]),
        ("😀", [b"\xf0\x80\x80\x80", b"\xf0\x8f\xbf\xbf", b"\xf4\x90\x80\x80",
               b"\xf5\x80\x80\x80", b"\xf7\xbf\xbf\xbf"]),
        ("\U0010ffff", [b"\xf4\x90\x80\x80", b"\xf0\x8f\xbf\xbf"]),
        ("Ж", [b"\xc0\x80", b"\xc1\xbf"]),
    ]
    # a 3-byte prefix: the one-pass path needs a byte >= E0 in the first 256
    PREFIXES = ["", "a", "中", "aé"]
    # from 256 bytes on (the one pass's threshold), crossing its 16-, 48- and
    # 64-byte steps; 17 characters: below it, the two passes
    def counts(width):
        first = -(-260 // width)
        return [17, first, first + 17, first + 40]

    def cases():
        for char, bads in RUNS:
            enc = char.encode()
            for prefix in PREFIXES:
                if char == "Ж" and not prefix.startswith("中"):
                    prefix = "中" + prefix
                for count in counts(len(enc)):
                    head = prefix.encode()
                    good = head + enc * count
                    yield good
                    for k in range(count):
                        at = len(head) + k * len(enc)
                        for bad in bads:
                            yield good[:at] + bad + good[at + len(enc):]
                    # a stray continuation, a missing one, a lead for a
                    # continuation, at every byte of the run
                    for at in range(len(head), len(good)):
                        yield good[:at] + b"\x80" + good[at + 1:]
                        yield good[:at] + good[at + 1:]
                        yield good[:at] + b"\xe4" + good[at + 1:]
                    for cut in range(1, len(enc) + 1):
                        yield good[:-cut]
                        yield good[:-cut] + b"x" * (cut + 20)

    def mixed_cases():
        # 64 bytes of CJK (the one-pass bet), then text whose width changes
        # every few characters: the one-pass loop hands it to the two-pass
        # stage after its first blocks; an error anywhere must still be found
        import random
        rnd = random.Random(7)
        words = ["ab", "x.", "éü", "Жи", "中文", "😀😺", "κα", "字", "~"]
        for size in (300, 700, 2000, 5000):
            text = "中" * 22 + "".join(rnd.choice(words) for _ in range(size))
            good = text.encode()
            yield good
            for _ in range(60):
                at = rnd.randrange(66, len(good))
                for bad in (b"\x80", b"\xed\xa0\x80", b"\xe0\x80\x80", b"\xf4\x90\x80\x80",
                            b"\xc0\x80", b"\xe4"):
                    yield good[:at] + bad + good[at + len(bad):]
            yield good[:-1]

    def outcome(decode, error_type, data):
        try:
            return ("ok", decode(data))
        except error_type as exc:
            return ("err", exc.position, "truncated" in str(exc))

    def cpython(data):
        try:
            return ("ok", data.decode("utf-8"))
        except UnicodeDecodeError as exc:
            return ("err", exc.start, exc.reason == "unexpected end of data")

    def check_all(decode, error_type):
        n = 0
        for data in itertools.chain(cases(), mixed_cases()):
            got, want = outcome(decode, error_type, data), cpython(data)
            assert got == want, (data[:40], len(data), got[:2], want[:2])
            n += 1
        return n
    """
)


def _namespace() -> dict[str, object]:
    space: dict[str, object] = {}
    exec(_CASES, space)  # the shared case source, defined above
    return space


@pytest.mark.both_backends
def test_reference_one_pass_cases() -> None:
    check_all = _namespace()["check_all"]
    assert check_all(reference_utf8.decode, InvalidUTF8) > 10000  # type: ignore[operator]


_COMPILED: ModuleType | None
try:
    _COMPILED = importlib.import_module("wsframe._speedups._utf8")
except ImportError:  # the compiled backend is not built
    _COMPILED = None

_LEVEL_SCRIPT = (
    "import sys\n"
    "from wsframe._speedups import _utf8\n"
    "from wsframe.errors import InvalidUTF8\n"
    "assert _utf8.simd_level == sys.argv[1], (_utf8.simd_level, sys.argv[1])\n"
    + _CASES
    + "assert check_all(_utf8.decode, InvalidUTF8) > 10000\n"
    "print('OK', sys.argv[1])\n"
)


@pytest.mark.skipif(_COMPILED is None, reason="compiled backend not built")
@pytest.mark.parametrize("level", list(getattr(_COMPILED, "supported_levels", ())) or ["scalar"])
def test_compiled_one_pass_cases(level: str) -> None:
    run_at_simd_level(_LEVEL_SCRIPT, level)
