"""Per-message hot paths of wsframe.frames against an older build and the peers.

    python -m bench.hotpaths --old /path/to/old/tree [--base /path] [--rounds 7]

Each round runs one process per side, in turn (interleaved, so a load change on a
shared machine hits every side alike): ``old`` and ``base`` are other wsframe
trees with a compiled backend built in place (``PYTHONPATH`` points at them),
``new`` is this tree, ``peers`` websockets and aiohttp.  A process times every
case with timeit (best of 5 repeats of ~50 ms) and prints JSON; the table gives
the median over rounds of each side and the median [min-max] over rounds of the
per-round ratios.  Not one of ``python -m bench``'s workloads: the figures behind
the "Hot paths" section of docs/design-notes.md.

Cases: ``txt_*`` one masked text message from wire bytes to its str (wsframe:
``FrameDecoder.feed`` + ``MessageAssembler.add``, one decoder and assembler
reused; aiohttp: ``WebSocketReader.feed_data`` into its ``WebSocketDataQueue``,
message popped); ``dec_*`` the feed alone; ``enc*`` encode_frame /
``websockets.frames.Frame.serialize`` / aiohttp's ``_write_websocket_frame``
(``aio_*``); ``emb*`` encode_message_bytes; ``floor_*`` the interpreter's share
of each harness shape (builtins in place of the codec calls).

glibc's allocator serves large blocks (>= 128 KiB at first) with mmap and trims
the heap, so whether a 180 KB str or a 1 MiB frame costs page faults depends on
the history of the process.  Run with ``MALLOC_MMAP_THRESHOLD_=33554432
MALLOC_TRIM_THRESHOLD_=67108864`` to compare codecs rather than allocator states.
"""

from __future__ import annotations

import argparse
import collections
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import timeit
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
KEY = b"\x37\xfa\x21\x3d"
SIZES = (64, 1024, 65536)


def _texts() -> dict[str, bytes]:
    # The bench's deterministic ASCII and mixed-width text, loaded by path: ROOT
    # must not go on sys.path, where it would shadow the wsframe under test.
    spec = importlib.util.spec_from_file_location("_hotpath_inputs", ROOT / "bench" / "inputs.py")
    assert spec is not None and spec.loader is not None
    inputs = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = inputs  # dataclasses looks its module up
    spec.loader.exec_module(inputs)
    return {f"{kind}_{size}": inputs.text(kind, size) for kind in ("ascii", "mixed") for size in SIZES}


def _frame(opcode: int, payload: bytes, key: bytes) -> bytes:
    """A masked frame (RFC 6455 §5.2, §5.3) built without any codec under test."""
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | opcode, 0x80 | n])
    elif n < 65536:
        head = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
    stream = (key * (n // 4 + 1))[:n]
    body = (int.from_bytes(payload, "little") ^ int.from_bytes(stream, "little")).to_bytes(n, "little")
    return head + key + body


Case = tuple[str, dict[str, Any], str]


def _wsframe_cases(texts: dict[str, bytes]) -> dict[str, Case]:
    from wsframe import frames

    cases: dict[str, Case] = {}
    dec = frames.FrameDecoder(max_frame_size=None)
    asm = frames.MessageAssembler(max_message_size=None, decode_text=True)
    for name, data in texts.items():
        wire = _frame(1, data, KEY)
        (message,) = [asm.add(f) for f in dec.feed(wire)]
        assert message.data == data.decode()
        cases[f"txt_{name}"] = ("for f in feed(w): m = add(f)", {"feed": dec.feed, "add": asm.add, "w": wire}, "")
        cases[f"dec_{name}"] = ("for f in feed(w): pass", {"feed": dec.feed, "w": wire}, "")
    enc, text, binary = frames.encode_frame, frames.Opcode.TEXT, frames.Opcode.BINARY
    p16, big = b"x" * 16, b"y" * (1 << 20)
    cases["enc16_mask"] = ("enc(T, p, mask=nm())", {"enc": enc, "T": text, "p": p16, "nm": frames.new_mask}, "")
    cases["enc16_nomask"] = ("enc(T, p)", {"enc": enc, "T": text, "p": p16}, "")
    cases["new_mask"] = ("nm()", {"nm": frames.new_mask}, "")
    cases["enc64K"] = ("enc(B, p)", {"enc": enc, "B": binary, "p": big[:65536]}, "")
    cases["enc1M"] = ("enc(B, p)", {"enc": enc, "B": binary, "p": big}, "")
    cases["enc1M_mask"] = ("enc(B, p, mask=k)", {"enc": enc, "B": binary, "p": big, "k": KEY}, "")
    if hasattr(frames, "encode_message_bytes"):
        emb = frames.encode_message_bytes
        cases["emb16"] = ("enc(T, p)", {"enc": emb, "T": text, "p": p16}, "")
        cases["emb1M"] = ("enc(B, p)", {"enc": emb, "B": binary, "p": big}, "")
    return cases


class _Protocol:
    """What aiohttp's WebSocketDataQueue reads from its protocol."""

    _reading_paused = False

    def pause_reading(self) -> None:
        self._reading_paused = True

    def resume_reading(self) -> None:
        self._reading_paused = False


class _Transport:
    """A transport whose write keeps nothing (a builtin: no Python frame)."""

    write = collections.deque(maxlen=1).append
    is_closing = staticmethod(bool)


def _peer_cases(texts: dict[str, bytes]) -> dict[str, Case]:
    from aiohttp._websocket import reader_c
    from aiohttp._websocket.writer import WebSocketWriter
    from websockets import frames as wsf

    def reader() -> tuple[Any, Any]:
        # A fresh queue per timeit repeat: its size counter only grows when
        # messages are popped from the deque directly.
        queue = reader_c.WebSocketDataQueue(_Protocol(), 2**30, loop=None)
        r = reader_c.WebSocketReader(queue, 2**30, compress=False, decode_text=True)
        return r.feed_data, queue._buffer.popleft

    cases: dict[str, Case] = {}
    for name, data in texts.items():
        wire = _frame(1, data, KEY)
        feed, pop = reader()
        feed(wire)
        message, _size = pop()
        assert type(message.data) is str and message.data == data.decode()
        cases[f"txt_{name}"] = ("feed(w); pop()", {"mk": reader, "w": wire}, "feed, pop = mk()")
    dq: collections.deque[Any] = collections.deque()
    cases["floor_wsframe_shape"] = ("for f in it(w): m = g(f)", {"it": iter, "g": id, "w": (b"x",)}, "")
    cases["floor_aiohttp_shape"] = ("feed(w); pop()", {"feed": dq.append, "pop": dq.popleft, "w": b"x"}, "")
    frame, text, binary = wsf.Frame, wsf.Opcode.TEXT, wsf.Opcode.BINARY
    p16, big = b"x" * 16, b"y" * (1 << 20)
    cases["enc16_mask"] = ("F(T, p).serialize(mask=True)", {"F": frame, "T": text, "p": p16}, "")
    cases["enc16_nomask"] = ("F(T, p).serialize(mask=False)", {"F": frame, "T": text, "p": p16}, "")
    cases["enc64K"] = ("F(B, p).serialize(mask=False)", {"F": frame, "B": binary, "p": big[:65536]}, "")
    cases["enc1M"] = ("F(B, p).serialize(mask=False)", {"F": frame, "B": binary, "p": big}, "")
    cases["enc1M_mask"] = ("F(B, p).serialize(mask=True)", {"F": frame, "B": binary, "p": big}, "")
    masked = WebSocketWriter(_Protocol(), _Transport(), use_mask=True)  # type: ignore[arg-type]
    plain = WebSocketWriter(_Protocol(), _Transport(), use_mask=False)  # type: ignore[arg-type]
    cases["aio_enc16_mask"] = ("wr(p, 1, 0)", {"wr": masked._write_websocket_frame, "p": p16}, "")
    cases["aio_enc16_nomask"] = ("wr(p, 1, 0)", {"wr": plain._write_websocket_frame, "p": p16}, "")
    return cases


def worker(side: str, only: str) -> None:
    texts = _texts()
    cases = _wsframe_cases(texts) if side == "wsframe" else _peer_cases(texts)
    result = {}
    for name, (stmt, env, setup) in cases.items():
        if only and only not in name:
            continue
        timer = timeit.Timer(stmt, setup or "pass", globals=env)
        # aiohttp's queue counts bytes in a C unsigned int and stalls the
        # reader past its limit: keep each run under 1 GiB of messages.
        cap = 2**30 // len(env["w"]) if setup else 2**40
        number = 1
        while number < cap and timer.timeit(number) < 0.2:
            number = min(number * 10, cap)
        number = max(1, number // 4)
        result[name] = min(timer.repeat(5, number)) / number * 1e9
    print(json.dumps(result))


def drive(sides: dict[str, tuple[str, str]], rounds: int, only: str) -> None:
    runs: dict[str, list[dict[str, float]]] = {side: [] for side in sides}
    for _ in range(rounds):
        for side, (kind, path) in sides.items():
            env = dict(os.environ, PYTHONPATH=path)
            cmd = [sys.executable, __file__, "--worker", kind, "--only", only]
            out = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
            runs[side].append(json.loads(out.stdout))

    def ratio(a: str, b: str, name: str, other: str) -> str:
        values = [x[name] / y[other] for x, y in zip(runs[a], runs[b]) if name in x and other in y]
        if not values:
            return "-"
        return f"{statistics.median(values):.2f}x [{min(values):.2f}-{max(values):.2f}]"

    names = sorted({name for results in runs.values() for r in results for name in r})
    print(f"{rounds} rounds; ns per op (median over rounds); ratios: median [min-max] of per-round ratios")
    for name in names:
        own = name[4:] if name.startswith("aio_") else name
        cells = [f"{name:20s}"]
        for side in sides:
            values = [r[name] for r in runs[side] if name in r]
            cells.append(f"{side}={statistics.median(values):8.0f}" if values else f"{side}=       -")
        for side in sides:
            if side not in ("new", "peers"):
                cells.append(f"{side}/new {ratio(side, 'new', name, own)}")
        cells.append(f"peers/new {ratio('peers', 'new', name, own)}")
        print("  ".join(cells))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", help="another wsframe tree, built in place")
    parser.add_argument("--base", help="a second one (e.g. the commit before a change)")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--only", default="", help="cases whose name contains this")
    parser.add_argument("--worker", choices=("wsframe", "peers"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.only)
        return
    sides: dict[str, tuple[str, str]] = {}
    for side in ("old", "base"):
        if getattr(args, side):
            sides[side] = ("wsframe", getattr(args, side))
    sides["new"] = ("wsframe", str(ROOT))
    sides["peers"] = ("peers", str(ROOT))
    drive(sides, args.rounds, args.only)


if __name__ == "__main__":
    main()
