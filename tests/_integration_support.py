"""Helpers shared by the integration and end-to-end tests.

- :func:`bad_frames`, :func:`frame_strategy`, :func:`violation_chunks`:
  streams built with ``_support.raw_frame`` (a frame encoder that can also
  break RFC 6455 §5 on purpose), for the differential tests against wsproto
  and websockets.
- :func:`checkout_env`, :func:`run_in_fresh_interpreter`: run Python in a
  subprocess that imports wsframe from this checkout.
- :func:`load_example`: import one of the scripts in examples/.
"""

from __future__ import annotations

import importlib.util
import os
import struct
import subprocess
import sys
import textwrap
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any

from _support import raw_frame

#: The checkout's top directory (the one holding wsframe/ and examples/).
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

TEXT_PAYLOADS = [b"", b"hello", "h\u00e9llo \u20ac \U0001f600".encode(), b"x" * 200, b"y" * 70000]
BAD_UTF8 = [b"\xff", b"ab\xc0\xaf", b"\xed\xa0\x80", b"ok\xe2\x82", b"\xf4\x90\x80\x80"]


#: The :func:`bad_frames` kinds every integration's stream tests draw from (the
#: frame-level rules of RFC 6455 §5 and §8.1); a suite adds the kinds its
#: library reports in a way of its own (``"too_big"``, ``"close_bad"``).
RULE_BREAKING_KINDS = [
    "opcode",
    "rsv",
    "nonminimal16",
    "nonminimal64",
    "msb",
    "ctrl_long",
    "ctrl_frag",
    "unmasked",
    "bad_utf8",
    "bad_utf8_frag",
    "lone_continuation",
    "nested_start",
]


def bad_frames(bad: str, mask: bytes | None, pick: Callable[[Sequence[Any]], Any]) -> list[bytes]:
    """Frames breaking one rule of RFC 6455 §5 (``pick(options)`` chooses details).

    Args:
        bad: the rule to break: ``"opcode"``, ``"rsv"``, ``"nonminimal16"``,
            ``"nonminimal64"``, ``"msb"``, ``"ctrl_long"``, ``"ctrl_frag"``,
            ``"unmasked"``, ``"bad_utf8"``, ``"bad_utf8_frag"``,
            ``"lone_continuation"``, ``"too_big"`` (5000 bytes), ``"close_bad"``;
            anything else gives ``"nested_start"``.
        mask: the masking key the peer expects, or ``None``.
        pick: chooses one of its options (a hypothesis draw, or ``o[0]``).
    """
    if bad == "opcode":
        return [raw_frame(pick([3, 7, 11, 15]), b"x", mask=mask)]
    if bad == "rsv":
        return [raw_frame(1, b"x", rsv=pick([4, 2, 1, 7]), mask=mask)]
    if bad == "nonminimal16":
        return [raw_frame(2, b"abc", form=16, mask=mask)]
    if bad == "nonminimal64":
        return [raw_frame(2, b"abc" * 50, form=64, mask=mask)]
    if bad == "msb":
        return [raw_frame(2, b"abc", form=64, length=3 | 1 << 63, mask=mask)]
    if bad == "ctrl_long":
        return [raw_frame(9, b"p" * 126, mask=mask)]
    if bad == "ctrl_frag":
        return [raw_frame(9, b"p", fin=False, mask=mask)]
    if bad == "unmasked":
        flipped = None if mask is not None else b"\x01\x02\x03\x04"
        return [raw_frame(1, b"wrong side", mask=flipped)]
    if bad == "bad_utf8":
        return [raw_frame(1, pick(BAD_UTF8), mask=mask)]
    if bad == "bad_utf8_frag":
        data = pick(BAD_UTF8)
        return [raw_frame(1, b"ok", fin=False, mask=mask), raw_frame(0, data, mask=mask)]
    if bad == "lone_continuation":
        return [raw_frame(0, b"c", mask=mask)]
    if bad == "too_big":
        return [raw_frame(2, b"z" * 5000, mask=mask)]
    if bad == "close_bad":
        return [raw_frame(8, pick([b"\x03", b"\x03\xe8\xff", b"\x03\xed", b"\x0b\xb8ok"]), mask=mask)]
    return [raw_frame(1, b"a", fin=False, mask=mask), raw_frame(2, b"b", mask=mask)]


def frame_strategy(
    masked: bool,
    *,
    texts: Sequence[bytes],
    close_reasons: Sequence[bytes],
    close_extra: Sequence[bytes],
    bad_kinds: Sequence[str],
) -> Any:
    """A hypothesis strategy for one frame: mostly valid, sometimes broken.

    Each example is a list of encoded frames (a fragmented message, or a
    violation, takes several).

    Args:
        masked: mask the frames (a client's frames, RFC 6455 §5.3).
        texts: the text payloads to choose from.
        close_reasons: the reasons a CLOSE payload may carry after its code.
        close_extra: CLOSE payloads to offer besides empty and code + reason.
        bad_kinds: the :func:`bad_frames` kinds to choose from.
    """
    from hypothesis import strategies as st  # only the differential tests need it

    @st.composite
    def one_frame(draw: Any) -> list[bytes]:
        mask = draw(st.binary(min_size=4, max_size=4)) if masked else None

        def pick(options: Sequence[Any]) -> Any:
            return draw(st.sampled_from(options))

        kind = pick(["text", "binary", "frag", "ping", "pong", "close", "bad", "bad", "bad"])
        if kind == "text":
            return [raw_frame(1, pick(texts), mask=mask)]
        if kind == "binary":
            return [raw_frame(2, draw(st.binary(max_size=300)), mask=mask)]
        if kind == "frag":
            data = pick(texts) + pick([b"", b"\xe2\x82\xac"])
            cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=3)))
            parts = [data[i:j] for i, j in zip([0, *cuts], [*cuts, len(data)])]
            op = pick([1, 2])
            out = []
            for i, part in enumerate(parts):
                out.append(raw_frame(op if i == 0 else 0, part, fin=i == len(parts) - 1, mask=mask))
                if draw(st.booleans()):
                    out.append(raw_frame(9, b"mid", mask=mask))
            return out
        if kind == "ping":
            return [raw_frame(9, draw(st.binary(max_size=125)), mask=mask)]
        if kind == "pong":
            return [raw_frame(10, draw(st.binary(max_size=20)), mask=mask)]
        if kind == "close":
            code = pick([1000, 1001, 1003, 1007, 1014, 3000, 4999, 999, 1005, 2999, 5000])
            reason = pick(close_reasons)
            payload = pick([b"", *close_extra, struct.pack("!H", code) + reason])
            return [raw_frame(8, payload, mask=mask)]
        return bad_frames(pick(bad_kinds), mask, pick)

    return one_frame()


#: How :func:`violation_chunks` cuts its stream.
SPLITS = ["whole", "bytes", "middle"]


def violation_chunks(bad: str, split: str, mask: bytes | None) -> list[bytes]:
    """One violation (``bad_frames`` with the first option of every choice)
    between two valid frames, as one chunk, single bytes, or two halves.

    Args:
        bad: the rule to break (see :func:`bad_frames`).
        split: one of :data:`SPLITS`.
        mask: the masking key the peer expects, or ``None``.
    """
    frames = [raw_frame(1, b"before", mask=mask), *bad_frames(bad, mask, lambda options: options[0])]
    frames.append(raw_frame(2, b"after", mask=mask))
    data = b"".join(frames)
    if split == "whole":
        return [data]
    if split == "bytes":
        return [data[i : i + 1] for i in range(len(data))]
    return [data[: len(data) // 2], data[len(data) // 2 :]]


def checkout_env() -> dict[str, str]:
    """``os.environ`` with this checkout first on ``PYTHONPATH``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_in_fresh_interpreter(code: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` (dedented) in a new Python process (60 s at most).

    Returns:
        The finished process, with its stdout and stderr as text.
    """
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=checkout_env(),
        timeout=60,
    )


def load_example(name: str) -> ModuleType:
    """Import examples/<name>.py (examples/ is not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    path = os.path.join(ROOT, "examples", f"{name}.py")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
