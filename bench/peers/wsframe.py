"""wsframe itself, one implementation per backend, both in one process.

The compiled modules (``wsframe._speedups``) and the pure-Python reference
(``wsframe._reference``) are imported directly, so both are measured on the same
inputs in the same conditions whatever ``wsframe.backend`` says. A name the
backend module lacks is looked up in the public module when that backend is the
active one (a module split on another branch then still works), and an API that
does not exist yet (``utf8.decode``, ``wsframe.deflate``) makes only the
operations that need it "not available", each with the reason.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

from .base import (
    OP_TEXT,
    Impl,
    Prepared,
    Unavailable,
    call,
    safe_import,
    version_of,
)

__all__ = ["WsframeImpl", "wsframe_c_status", "wsframe_simd_level"]

# concern -> the module of each backend that implements it (the compiled names follow
# wsframe._backend.COMPILED_MODULES where it exists: "_mask" serves the concern "mask")
_MODULES = {
    "c": {
        "mask": "wsframe._speedups._mask",
        "utf8": "wsframe._speedups._utf8",
        "frames": "wsframe._speedups._frames",
        "deflate": "wsframe._speedups._deflate",
    },
    "python": {
        "mask": "wsframe._reference.mask",
        "utf8": "wsframe._reference.utf8",
        "frames": "wsframe._reference.frames",
        "deflate": "wsframe._reference.deflate",
    },
}
_OP_CONCERN = {
    "mask_copy": "mask",
    "mask_inplace": "mask",
    "utf8_validate": "utf8",
    "utf8_incremental": "utf8",
    "utf8_decode": "utf8",
    "decode_frames": "frames",
    "decode_messages": "frames",
    "text_message": "frames",
    "encode_frame": "frames",
    "deflate_messages": "frames",
    "inflate_messages": "frames",
}


def _compiled_modules() -> list[str]:
    """The compiled modules wsframe itself lists, else the three this bench knows."""
    backend = safe_import("wsframe._backend")
    names = getattr(backend, "COMPILED_MODULES", None)
    if names:
        return [f"wsframe._speedups.{n}" for n in names]
    return [name for concern, name in _MODULES["c"].items() if concern != "deflate"]


def wsframe_c_status() -> dict[str, str]:
    """For each compiled module, "ok" or the reason it is not importable."""
    status = {}
    for name in _compiled_modules():
        try:
            importlib.import_module(name)
        except Exception as exc:
            status[name] = f"{type(exc).__name__}: {exc}"
        else:
            status[name] = "ok"
    return status


def wsframe_simd_level() -> str | None:
    """The SIMD kernel the compiled mask module dispatched to, when it says."""
    mod = safe_import(_MODULES["c"]["mask"])
    level = getattr(mod, "simd_level", None)
    if callable(level):
        level = level()
    return None if level is None else str(level)


class _Lookup:
    """Names of one concern of one backend: its module first, then the public module."""

    def __init__(self, backend: str, concern: str, module: ModuleType | None) -> None:
        self.backend, self.concern, self.module = backend, concern, module

    def get(self, name: str) -> Any:
        """The object called ``name``.

        Raises:
            Unavailable: when this backend does not have it (yet).
        """
        if self.module is not None and hasattr(self.module, name):
            return getattr(self.module, name)
        ws = safe_import("wsframe")
        public = safe_import(f"wsframe.{self.concern}")
        active = getattr(ws, "backend", None) == self.backend or self.concern == "deflate"
        if active and public is not None and hasattr(public, name):
            return getattr(public, name)
        raise Unavailable(f"wsframe.{self.concern}.{name} not available in this build")


@dataclass
class WsframeImpl(Impl):
    """wsframe with one backend, importing that backend's modules directly."""

    backend: str = "c"
    _missing: dict[str, str] = field(default_factory=dict, repr=False)

    def load(self) -> None:
        self._lookups: dict[str, _Lookup] = {}
        for concern, name in _MODULES[self.backend].items():
            try:
                mod: ModuleType | None = importlib.import_module(name)
            except Exception as exc:
                mod = None
                if concern != "deflate":
                    self._missing[concern] = (
                        f"c backend not built ({name}: {type(exc).__name__})"
                        if self.backend == "c"
                        else f"{name} not importable ({type(exc).__name__}: {exc})"
                    )
            self._lookups[concern] = _Lookup(self.backend, concern, mod)
        if len(self._missing) == 3:
            raise Unavailable("c backend not built" if self.backend == "c" else self._missing["mask"])
        simd = wsframe_simd_level() if self.backend == "c" else None
        self.detail = f"wsframe {self.backend} backend" + (f", SIMD {simd}" if simd else "")

    def op_unavailable(self, op: str) -> str | None:
        return self._missing.get(_OP_CONCERN.get(op, ""))

    def version(self) -> str | None:
        return version_of("wsframe") or getattr(safe_import("wsframe"), "__version__", None)

    def _get(self, concern: str, name: str) -> Any:
        return self._lookups[concern].get(name)

    # ------------------------------------------------------------ RFC 6455 §5.3

    def mask_copy(self, data: bytes, key: bytes) -> Prepared:
        return call(self._get("mask", "apply_mask"), data, key)

    def mask_inplace(self, data: bytes, key: bytes) -> Prepared:
        apply = self._get("mask", "apply_mask_inplace")
        buf = bytearray(data)

        def run() -> bytes:
            fresh = bytearray(data)
            apply(fresh, key)
            return bytes(fresh)

        return Prepared("f(a0, a1)", {"f": apply, "a0": buf, "a1": key}, run)

    # ------------------------------------------------------------ RFC 3629

    def utf8_validate(self, data: bytes) -> Prepared:
        return call(self._get("utf8", "is_valid"), data)

    def utf8_incremental(self, pieces: Sequence[bytes]) -> Prepared:
        validator = self._get("utf8", "Utf8Validator")()
        error = self._get("utf8", "InvalidUTF8")

        def run() -> bool:
            validator.reset()
            try:
                for p in pieces:
                    validator.feed(p)
                validator.finish()
            except error:
                return False
            return True

        stmt = "r()\nfor p in a0:\n    f(p)\nz()"
        ns = {"r": validator.reset, "f": validator.feed, "z": validator.finish, "a0": pieces}
        return Prepared(stmt, ns, run)

    def utf8_decode(self, data: bytes) -> Prepared:
        return call(self._get("utf8", "decode"), data)

    # ------------------------------------------------------------ RFC 6455 §5.2, §5.4

    def decode_frames(self, chunks: Sequence[bytes]) -> Prepared:
        decoder_cls = self._get("frames", "FrameDecoder")

        def run() -> list[tuple[int, bool, bytes]]:
            decoder = decoder_cls()
            return [(int(f.opcode), bool(f.fin), bytes(f.payload)) for c in chunks for f in decoder.feed(c)]

        if len(chunks) == 1:  # the batch form, exactly as documented
            return Prepared("list(D().feed(a0))", {"D": decoder_cls, "a0": chunks[0]}, run)
        stmt = "d = D()\nout = []\nx = out.extend\nfor c in a0:\n    x(d.feed(c))"
        return Prepared(stmt, {"D": decoder_cls, "a0": chunks}, run)

    def decode_messages(self, chunks: Sequence[bytes]) -> Prepared:
        decoder_cls = self._get("frames", "FrameDecoder")
        assembler_cls = self._get("frames", "MessageAssembler")

        def run() -> list[tuple[int, Any]]:
            decoder, add = decoder_cls(), assembler_cls().add
            out = []
            for c in chunks:
                for f in decoder.feed(c):
                    m = add(f)
                    if m is not None:
                        out.append((int(m.opcode), m.data))
            return out

        # One connection's decoder and assembler: every complete message out, as str
        # for text (what aiohttp's reader and wsproto hand to an application).
        stmt = (
            "d = D()\nadd = A().add\nout = []\nx = out.append\n"
            "for c in a0:\n    for f in d.feed(c):\n        m = add(f)\n"
            "        if m is not None:\n            x(m)"
        )
        return Prepared(stmt, {"D": decoder_cls, "A": assembler_cls, "a0": chunks}, run)

    def text_message(self, wire: bytes) -> Prepared:
        decoder = self._get("frames", "FrameDecoder")()
        assembler = self._get("frames", "MessageAssembler")()
        feed_messages = getattr(decoder, "feed_messages", None)
        if feed_messages is None:  # a tree from before feed_messages (bench.baseline)
            add, feed = assembler.add, decoder.feed

            def run_frames() -> Any:
                message = None
                for f in feed(wire):
                    message = add(f)
                return None if message is None else message.data

            stmt = "for f in feed(a0):\n    m = add(f)\nd = m.data"
            return Prepared(stmt, {"feed": feed, "add": add, "a0": wire}, run_frames)

        def run() -> Any:
            messages = list(feed_messages(wire, assembler))
            return messages[-1].data if messages else None

        # The decoder and the assembler of one connection, reused message after message:
        # the one call that takes a read holding whole messages and gives the messages.
        stmt = "for m in fm(a0, a):\n    pass\nd = m.data"
        return Prepared(stmt, {"fm": feed_messages, "a": assembler, "a0": wire}, run)

    def encode_frame(self, payload: bytes, masked: bool, opcode: int) -> Prepared:
        encode = self._get("frames", "encode_frame")
        op = self._get("frames", "Opcode")(opcode)
        if masked:
            new_mask = self._get("frames", "new_mask")
            # A fresh key per frame, as RFC 6455 §5.3 requires and the peers do.
            return Prepared(
                "f(op, a0, mask=n())",
                {"f": encode, "op": op, "a0": payload, "n": new_mask},
                lambda: bytes(encode(op, payload, mask=new_mask())),
            )
        return Prepared(
            "f(op, a0)",
            {"f": encode, "op": op, "a0": payload},
            lambda: bytes(encode(op, payload)),
        )

    # ------------------------------------------------------------ RFC 7692

    def _deflate(self, name: str) -> Any:
        return self._get("deflate", name)

    def deflate_messages(self, payloads: Sequence[bytes]) -> Prepared:
        params_cls = self._deflate("DeflateParams")
        deflater_cls = self._deflate("Deflater")
        # The one-write form (one bytes per message), as the bare compressor
        # gives one flush's bytes: encode_message's list of frames would add a
        # list per message that a sender writing whole messages never needs.
        encode = self._get("frames", "encode_message_bytes")
        op = self._get("frames", "Opcode")(OP_TEXT)

        def new() -> Any:  # a server's compressor for the default agreement
            return deflater_cls(params_cls(), client=False)

        def run() -> list[bytes]:
            d = new()
            return [encode(op, p, deflater=d) for p in payloads]

        deflater = new()
        stmt = "for p in a0:\n    e(op, p, deflater=d)"
        ns = {"e": encode, "op": op, "d": deflater, "a0": payloads}
        return Prepared(stmt, ns, run, note=_describe_deflater(deflater))

    def broadcast_message(self, payload: bytes, recipients: int) -> Prepared:
        # Without context takeover the frame means the same on every
        # connection: compressed and framed once, written to each.
        params_cls = self._deflate("DeflateParams")
        deflater_cls = self._deflate("Deflater")
        encode = self._get("frames", "encode_message_bytes")
        deflater = deflater_cls(params_cls(server_no_context_takeover=True), client=False)

        def send(d: Any, p: bytes, sinks: Sequence[Any]) -> None:
            wire = encode(OP_TEXT, p, deflater=d)
            for write in sinks:
                write(wire)

        def run() -> list[bytes]:
            out: list[bytes] = []
            send(deflater, payload, [out.append] * recipients)
            return out

        sinks = [_Sink().write for _ in range(recipients)]
        return Prepared("f(d, a0, s)", {"f": send, "d": deflater, "a0": payload, "s": sinks}, run, "compressed once")

    def inflate_messages(self, wires: Sequence[bytes], window_bits: int) -> Prepared:
        params_cls = self._deflate("DeflateParams")
        inflater_cls = self._deflate("Inflater")
        decoder_cls = self._get("frames", "FrameDecoder")
        assembler_cls = self._get("frames", "MessageAssembler")
        params = params_cls(client_max_window_bits=window_bits, server_max_window_bits=window_bits)

        def connection() -> tuple[Any, Any]:
            assembler = assembler_cls(inflater=inflater_cls(params, client=False))
            return decoder_cls(rsv_allowed=4).feed, assembler.add

        def run() -> list[Any]:
            feed, add = connection()
            out = []
            for w in wires:
                for f in feed(w):
                    m = add(f)
                    if m is not None:
                        out.append(m.data)
            return out

        feed, add = connection()
        # The wires are one connection's messages from its start: replaying them on
        # the same inflater is valid (the first message refers to nothing before it).
        stmt = "for w in a0:\n    for f in feed(w):\n        m = add(f)"
        return Prepared(stmt, {"feed": feed, "add": add, "a0": wires}, run)


class _Sink:
    """Stands for a connection's transport: keeps the last frame written."""

    __slots__ = ("last",)

    def write(self, data: bytes) -> None:
        self.last = data


def _describe_deflater(deflater: Any) -> str:
    """What a Deflater was configured with, as far as it says."""
    parts = []
    for attr in ("level", "mem_level"):
        value = getattr(deflater, attr, None)
        if value is not None:
            parts.append(f"{attr}={value}")
    deflate = safe_import("wsframe.deflate")
    try:
        parts.append(deflate.backend_name(deflate.zlib_backend()))  # type: ignore[union-attr]
    except Exception:  # an older wsframe.deflate without these helpers
        pass
    return "DeflateParams() defaults" + (f" ({', '.join(parts)})" if parts else "")
