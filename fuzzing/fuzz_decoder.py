"""Fuzz FrameDecoder + MessageAssembler: reference vs compiled, every outcome compared.

Input layout (so the seed corpus can hold real WebSocket streams):

* byte 0: bit 0 client role; bit 1 validate_utf8=False; bits 2-4 rsv_allowed;
  bit 5 decode_text=False; bits 6-7 how the stream is cut (whole, bytewise, small random
  chunks, larger random chunks)
* byte 1: bits 0-2 max_frame_size, bits 3-5 max_message_size (see LIMITS)
* byte 2: seed of the random cut
* the rest: the byte stream fed to the decoder

For each chunk, both backends' ``feed()`` results are compared frame by frame, each frame
goes through that backend's MessageAssembler, and the first ProtocolError (type, code,
position, message) must be the same; a decoder that raised must raise again on the next
``feed()``.  The same stream then goes through ``feed_messages()`` on both backends: the
messages of each chunk and the first error must be the same.

Run: ``python fuzzing/fuzz_decoder.py -max_total_time=60`` (see fuzzing/README.md).
"""

from __future__ import annotations

from typing import Any

from _common import BACKENDS, capture, compare, error_summary, main, split

#: max_frame_size / max_message_size choices: None (no limit), the edges of the
#: control-frame and length-encoding limits, and the 1 MiB default.
LIMITS = (None, 0, 1, 125, 126, 65536, 1 << 20, 3)


def _frame(f: Any) -> tuple[Any, ...]:
    return (int(f.opcode), bytes(f.payload), f.fin, f.rsv1, f.rsv2, f.rsv3)


def _message(m: Any) -> tuple[Any, ...]:
    return (int(m.opcode), m.data, type(m.data).__name__, bool(getattr(m, "compressed", False)))


def make(frames_mod: Any, cfg: dict[str, Any]) -> tuple[Any, Any] | list[Any]:
    """One backend's decoder and assembler for *cfg*, or the init failures."""
    made = capture(
        lambda: frames_mod.FrameDecoder(
            client=cfg["client"],
            max_frame_size=cfg["max_frame_size"],
            rsv_allowed=cfg["rsv_allowed"],
            validate_utf8=cfg["validate_utf8"],
        )
    )
    asm = capture(
        lambda: frames_mod.MessageAssembler(max_message_size=cfg["max_message_size"], decode_text=cfg["decode_text"])
    )
    if made[0] != "ok" or asm[0] != "ok":
        return [("init", made if made[0] != "ok" else None, asm if asm[0] != "ok" else None)]
    return made[1], asm[1]


def run(frames_mod: Any, cfg: dict[str, Any], chunks: list[bytes], one_call: bool = False) -> list[Any]:
    """Everything one backend does with *chunks*, as a comparable list (with
    *one_call*: through ``feed_messages()``, each chunk's messages)."""
    out: list[Any] = []
    pair = make(frames_mod, cfg)
    if isinstance(pair, list):
        return pair
    decoder, assembler = pair
    for chunk in chunks:
        events: list[Any] = []
        out.append(events)
        try:
            if one_call:
                for m in decoder.feed_messages(chunk, assembler):
                    events.append(("message", _message(m)))
                continue
            for f in decoder.feed(chunk):
                events.append(("frame", _frame(f)))
                got = capture(lambda f=f: assembler.add(f))
                if got[0] == "raise":
                    events.append(("assembler", got))
                    return out
                if got[1] is not None:
                    events.append(("message", _message(got[1])))
        except (MemoryError, RecursionError):
            raise
        except Exception as exc:
            events.append(("raise", error_summary(exc)))
            # The decoder's error again (an assembler's error leaves the decoder working).
            again = capture(lambda: [_frame(f) for f in decoder.feed(b"\x81")])
            events.append(("again", again))
            return out
    return out


def config(data: bytes) -> tuple[dict[str, Any], list[bytes]]:
    """Decode the input layout described in the module docstring."""
    head = data[:3].ljust(3, b"\0")
    flags, limits, seed = head
    cfg = {
        "client": bool(flags & 1),
        "validate_utf8": not flags & 2,
        "rsv_allowed": (flags >> 2) & 7,
        "decode_text": not flags & 32,
        "max_frame_size": LIMITS[limits & 7],
        "max_message_size": LIMITS[(limits >> 3) & 7],
    }
    return cfg, split(data[3:], seed, flags >> 6)


def test_one(data: bytes) -> None:
    cfg, chunks = config(data)
    outcomes = [run(frames_mod, cfg, chunks) for _, frames_mod, _ in BACKENDS]
    compare(f"decoder {cfg}", outcomes, data)
    outcomes = [run(frames_mod, cfg, chunks, one_call=True) for _, frames_mod, _ in BACKENDS]
    compare(f"feed_messages {cfg}", outcomes, data)


if __name__ == "__main__":
    main(test_one, "decoder")
