"""Fuzz MessageAssembler directly: reference vs compiled, every outcome compared.

The decoder only hands the assembler frames it accepted; fed directly, the assembler
also meets frames the decoder would refuse (a continuation without a start, a new data
frame inside a fragmented message, RSV1 on a continuation, reserved opcodes), which its
own checks must handle identically in both backends.

Input layout: byte 0 configures the assembler (bits 0-2 max_message_size from LIMITS,
bit 3 decode_text=False); then records of ``flags, opcode, length, payload``: flags bit 0
FIN, bits 1-3 RSV1-3; the opcode's low 4 bits; ``length`` payload bytes.  Building each
``Frame`` is compared too (both backends normalize or refuse the same arguments).
"""

from __future__ import annotations

from typing import Any

from _common import BACKENDS, capture, compare, main

LIMITS = (None, 0, 1, 2, 125, 1000, 1 << 20, 7)


def records(body: bytes) -> list[tuple[int, int, bytes]]:
    out, i = [], 0
    while i + 3 <= len(body):
        flags, opcode, n = body[i], body[i + 1] & 15, body[i + 2]
        out.append((flags, opcode, body[i + 3 : i + 3 + n]))
        i += 3 + n
    return out


def run(frames_mod: Any, head: int, recs: list[tuple[int, int, bytes]]) -> list[Any]:
    made = capture(lambda: frames_mod.MessageAssembler(max_message_size=LIMITS[head & 7], decode_text=not head & 8))
    if made[0] != "ok":
        return [made]
    assembler, out = made[1], []
    for flags, opcode, payload in recs:
        frame = capture(
            lambda op=opcode, p=payload, fl=flags: frames_mod.Frame(
                op, p, bool(fl & 1), bool(fl & 2), bool(fl & 4), bool(fl & 8)
            )
        )
        if frame[0] != "ok":
            out.append(("frame", frame))
            continue
        got = capture(lambda f=frame[1]: assembler.add(f))
        if got[0] == "ok" and got[1] is not None:
            m = got[1]
            got = ("ok", (int(m.opcode), m.data, type(m.data).__name__, bool(getattr(m, "compressed", False))))
        out.append(("add", got))
        if got[0] == "raise":
            break
    return out


def test_one(data: bytes) -> None:
    if not data:
        return
    recs = records(data[1:])
    outcomes = [run(frames_mod, data[0], recs) for _, frames_mod, _ in BACKENDS]
    compare("assembler", outcomes, data)


if __name__ == "__main__":
    main(test_one, "assembler")
