"""Fuzz the UTF-8 functions: reference vs compiled vs CPython's decoder.

Input layout: byte 0: bits 6-7 how the data is cut for ``Utf8Validator.feed`` (whole,
bytewise, small random chunks, larger random chunks), bits 0-5 the cut's seed; the rest
is the data.

Compared: ``is_valid``, ``find_invalid`` (which must also equal
``UnicodeDecodeError.start`` of CPython's strict decoder), ``Utf8Validator`` fed in
chunks (each feed's outcome, ``ends_on_codepoint``, ``finish()``, and after an error a
``reset()`` and the rest of the data), and ``decode`` where a backend has it.
``decode`` lands on another branch: ``hasattr`` is used only so this harness runs
before and after it (when only one backend has it, that is a divergence).
"""

from __future__ import annotations

from typing import Any

from _common import BACKENDS, Divergence, capture, compare, main, split


def run(utf8: Any, data: bytes, chunks: list[bytes]) -> list[Any]:
    out: list[Any] = [
        capture(lambda: utf8.is_valid(data)),
        capture(lambda: utf8.find_invalid(data)),
        capture(lambda: utf8.find_invalid(memoryview(data))),
        hasattr(utf8, "decode"),
    ]
    if hasattr(utf8, "decode"):
        out.append(capture(lambda: utf8.decode(data)))
    v = utf8.Utf8Validator()
    for chunk in chunks:
        got = capture(lambda chunk=chunk: v.feed(chunk))
        out.append((got, v.ends_on_codepoint))
        if got[0] == "raise":
            v.reset()  # positions restart at 0
    out.append(capture(v.finish))
    return out


def test_one(data: bytes) -> None:
    if not data:
        return
    body = data[1:]
    chunks = split(body, data[0] & 63, data[0] >> 6)
    outcomes = [run(utf8, body, chunks) for _, _, utf8 in BACKENDS]
    compare("utf8", outcomes, data)
    try:
        body.decode("utf-8")
        start = -1
    except UnicodeDecodeError as exc:
        start = exc.start
    if outcomes[0][1] != ("ok", start):
        raise Divergence(f"find_invalid != CPython's start {start} on {body!r}: {outcomes[0][1]}")


if __name__ == "__main__":
    main(test_one, "utf8")
