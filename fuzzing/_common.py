"""Shared pieces of the fuzz harnesses: both backends, outcome capture, comparison.

Every harness runs the same input through the pure-Python reference
(``wsframe._reference``) and the compiled backend (``wsframe._speedups``) in one
process and raises ``Divergence`` when anything observable differs: values, the
exception's type, ``code``, ``position`` and message.
"""

from __future__ import annotations

import os
import random
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run from a checkout: import this tree's wsframe
    sys.path.insert(0, str(REPO))

import atheris  # noqa: E402

# Coverage guidance comes from the reference (pure Python, instrumented here); the
# compiled modules are only instrumented in a clang -fsanitize=fuzzer-no-link build.
with atheris.instrument_imports(include=["wsframe"]):
    from wsframe._reference import frames as ref_frames
    from wsframe._reference import utf8 as ref_utf8

try:
    from wsframe._speedups import _frames as c_frames
    from wsframe._speedups import _utf8 as c_utf8
except ImportError as exc:  # pragma: no cover - nothing to compare against
    raise SystemExit(
        f"fuzzing needs the compiled backend ({exc}); build it first: python setup.py build_ext --inplace"
    ) from exc

#: (name, frames module, utf8 module) for each backend, reference first.
BACKENDS = (("reference", ref_frames, ref_utf8), ("compiled", c_frames, c_utf8))


class Divergence(AssertionError):
    """The two backends disagree on an input."""


def error_summary(exc: BaseException) -> tuple[Any, ...]:
    """Everything observable about an exception: type, code, position, message."""
    return (
        type(exc).__name__,
        getattr(exc, "code", None),
        getattr(exc, "position", None),
        str(exc),
    )


def capture(fn: Callable[[], Any]) -> tuple[str, Any]:
    """``("ok", value)`` or ``("raise", error_summary)`` for ``fn()``.

    Only ordinary exceptions are captured: a crash is a crash, and MemoryError or
    RecursionError propagate so the fuzzer reports them.
    """
    try:
        return "ok", fn()
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:
        return "raise", error_summary(exc)


def compare(what: str, outcomes: list[Any], data: bytes) -> None:
    """Raise Divergence unless every backend's outcome equals the reference's."""
    first = outcomes[0]
    for (name, *_), other in zip(BACKENDS[1:], outcomes[1:]):
        if other != first:
            raise Divergence(
                f"{what}: reference and {name} differ on input {data!r}\n  reference: {first!r}\n  {name}: {other!r}"
            )


def split(data: bytes, seed: int, mode: int) -> list[bytes]:
    """Cut *data* into chunks: whole (mode 0), one byte each (1), random sizes (2, 3).

    The cut is a function of (seed, mode) alone, so every backend gets the same chunks.
    """
    if mode == 0 or not data:
        return [data]
    if mode == 1:
        return [data[i : i + 1] for i in range(len(data))]
    rng = random.Random(seed)
    top = 8 if mode == 2 else 300
    out, i = [], 0
    while i < len(data):
        n = rng.randint(0, top)  # empty chunks included
        out.append(data[i : i + n])
        i += n
    return out


def main(test_one: Callable[[bytes], None], corpus_name: str) -> None:
    """Run *test_one* under atheris with this harness's seed corpus directory added.

    Arguments after the script name go to libFuzzer (``-max_total_time=60``,
    ``-runs=N``, a crash file to replay, corpus directories).
    """
    argv = list(sys.argv)
    corpus = REPO / "fuzzing" / "corpus" / corpus_name
    if corpus.is_dir() and not any(not a.startswith("-") for a in argv[1:]):
        argv.append(str(corpus))
    if os.environ.get("WSFRAME_FUZZ_NO_CORPUS"):
        argv = [a for a in argv if a != str(corpus)]
    atheris.Setup(argv, test_one)
    atheris.Fuzz()
