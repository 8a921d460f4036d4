"""The implementations compared: wsframe's two backends and every peer.

Each implementation is a class with a :meth:`Impl.load` that imports what it
needs (raising :class:`Unavailable` with a reason when it cannot: the peer is
then reported as *skipped*, never as an error) and one method per operation it
supports. An operation method returns a :class:`Prepared`: the statement to
time, the names it uses, and a ``run`` callable giving the implementation's
output in a normal form, which the runner compares with the oracle before any
timing (a benchmark of a wrong result is worthless).

Operations (method names):

``mask_copy(data, key)``          -> masked bytes (RFC 6455 §5.3)
``mask_inplace(data, key)``       -> the buffer's bytes after masking in place
``utf8_validate(data)``           -> bool, complete-input validity (RFC 3629)
``utf8_incremental(pieces)``      -> bool, validity of the pieces' concatenation
``decode_frames(chunks)``         -> list of (opcode, fin, payload) (RFC 6455 §5.2)
``encode_frame(payload, masked)`` -> the wire bytes of one final binary frame
"""

from __future__ import annotations

import codecs
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from types import ModuleType
from typing import Any

__all__ = [
    "IMPLEMENTATIONS",
    "Impl",
    "NOTHING",
    "Prepared",
    "Unavailable",
    "call",
    "wsframe_c_status",
    "wsframe_simd_level",
]

OP_TEXT = 1
OP_BINARY = 2


NOTHING: Any = object()
"""Sentinel: :attr:`Prepared.expected` not set, the workload's oracle applies."""


class Unavailable(Exception):
    """The implementation cannot run here; the message says why."""


@dataclass
class Prepared:
    """One operation of one implementation, ready to verify and time.

    Attributes:
        stmt: statement timed by :mod:`timeit` (see :mod:`bench.timing`).
        ns: the names ``stmt`` uses.
        run: performs the operation once and returns the normalised output.
        note: caveat shown with the results (e.g. "no UTF-8 check").
        expected: what ``run`` must return when it is not the workload's
            oracle (the bandwidth reference copies instead of masking).
    """

    stmt: str
    ns: dict[str, Any]
    run: Callable[[], Any]
    note: str = ""
    expected: Any = NOTHING


def call(func: Callable[..., Any], *args: Any, note: str = "") -> Prepared:
    """Prepare a direct call ``func(*args)``: the loop calls ``func`` itself."""
    names = [f"a{i}" for i in range(len(args))]
    ns: dict[str, Any] = {"f": func}
    ns.update(zip(names, args))
    return Prepared(f"f({', '.join(names)})", ns, lambda: func(*args), note)


def _version(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def _import(name: str) -> ModuleType:
    """Import ``name`` or raise :class:`Unavailable` with the reason."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise Unavailable(f"not installed ({exc})") from None
    except Exception as exc:  # a broken install must not stop the run
        raise Unavailable(f"import of {name} failed: {type(exc).__name__}: {exc}") from None


@dataclass
class Impl:
    """Base class: an implementation and how to drive it.

    Attributes:
        name: label in tables and plots.
        kind: "wsframe", "peer" (what users run today) or "reference" (the
            memory-bandwidth yardstick; never the "best peer").
        dist: distribution name whose version is reported.
        detail: what exactly is measured (filled by :meth:`load`).
    """

    name: str = ""
    kind: str = "peer"
    dist: str | None = None
    detail: str = ""

    def load(self) -> None:
        """Import what this implementation needs.

        Raises:
            Unavailable: when it is not installed or not usable here.
        """

    def version(self) -> str | None:
        """Installed version of :attr:`dist`, if any."""
        return _version(self.dist) if self.dist else None

    def supports(self, op: str) -> bool:
        """Whether this implementation has operation ``op``."""
        return callable(getattr(self, op, None))

    def op_unavailable(self, op: str) -> str | None:
        """Reason why ``op`` cannot run although the implementation loaded, or None."""
        return None


# --------------------------------------------------------------------------- wsframe

_WSFRAME_MODULES = {
    "c": ("wsframe._speedups._mask", "wsframe._speedups._utf8", "wsframe._speedups._frames"),
    "python": ("wsframe._reference.mask", "wsframe._reference.utf8", "wsframe._reference.frames"),
}
_OP_MODULE = {
    "mask_copy": 0,
    "mask_inplace": 0,
    "utf8_validate": 1,
    "utf8_incremental": 1,
    "decode_frames": 2,
    "encode_frame": 2,
}


def wsframe_c_status() -> dict[str, str]:
    """For each compiled module, "ok" or the reason it is not importable."""
    status = {}
    for name in _WSFRAME_MODULES["c"]:
        try:
            importlib.import_module(name)
        except Exception as exc:
            status[name] = f"{type(exc).__name__}: {exc}"
        else:
            status[name] = "ok"
    return status


def wsframe_simd_level() -> str | None:
    """The SIMD kernel the compiled mask module dispatched to, when it says."""
    try:
        mod = importlib.import_module("wsframe._speedups._mask")
    except Exception:
        return None
    level = getattr(mod, "simd_level", None)
    if callable(level):
        level = level()
    return None if level is None else str(level)


@dataclass
class WsframeImpl(Impl):
    """wsframe with one backend, importing that backend's modules directly.

    Both backends live in one process, so they are measured on the same
    inputs in the same conditions whatever ``wsframe.backend`` says.
    """

    backend: str = "c"
    _missing: dict[int, str] = field(default_factory=dict, repr=False)

    def load(self) -> None:
        mods: list[Any] = []  # module, or None where that module is missing
        for index, name in enumerate(_WSFRAME_MODULES[self.backend]):
            try:
                mods.append(importlib.import_module(name))
            except Exception as exc:
                mods.append(None)
                if self.backend == "c":
                    self._missing[index] = f"c backend not built ({name}: {type(exc).__name__})"
                else:
                    self._missing[index] = f"{name} not importable ({type(exc).__name__}: {exc})"
        if all(m is None for m in mods):
            raise Unavailable(
                "c backend not built" if self.backend == "c" else self._missing[0]
            )
        self.mask, self.utf8, self.frames = mods
        simd = wsframe_simd_level() if self.backend == "c" else None
        self.detail = f"wsframe {self.backend} backend" + (f", SIMD {simd}" if simd else "")

    def op_unavailable(self, op: str) -> str | None:
        return self._missing.get(_OP_MODULE.get(op, -1))

    def version(self) -> str | None:
        return _version("wsframe") or getattr(_safe_import("wsframe"), "__version__", None)

    # RFC 6455 §5.3
    def mask_copy(self, data: bytes, key: bytes) -> Prepared:
        return call(self.mask.apply_mask, data, key)

    def mask_inplace(self, data: bytes, key: bytes) -> Prepared:
        apply = self.mask.apply_mask_inplace
        buf = bytearray(data)

        def run() -> bytes:
            fresh = bytearray(data)
            apply(fresh, key)
            return bytes(fresh)

        return Prepared("f(a0, a1)", {"f": apply, "a0": buf, "a1": key}, run)

    # RFC 3629
    def utf8_validate(self, data: bytes) -> Prepared:
        return call(self.utf8.is_valid, data)

    def utf8_incremental(self, pieces: Sequence[bytes]) -> Prepared:
        validator = self.utf8.Utf8Validator()
        error = self.utf8.InvalidUTF8

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

    # RFC 6455 §5.2
    def decode_frames(self, chunks: Sequence[bytes]) -> Prepared:
        decoder_cls = self.frames.FrameDecoder

        def run() -> list[tuple[int, bool, bytes]]:
            decoder = decoder_cls()
            return [
                (int(f.opcode), bool(f.fin), bytes(f.payload))
                for c in chunks
                for f in decoder.feed(c)
            ]

        if len(chunks) == 1:  # the batch form, exactly as documented
            return Prepared("list(D().feed(a0))", {"D": decoder_cls, "a0": chunks[0]}, run)
        stmt = "d = D()\nout = []\nx = out.extend\nfor c in a0:\n    x(d.feed(c))"
        return Prepared(stmt, {"D": decoder_cls, "a0": chunks}, run)

    def encode_frame(self, payload: bytes, masked: bool) -> Prepared:
        encode = self.frames.encode_frame
        opcode = self.frames.Opcode.BINARY
        if masked:
            new_mask = self.frames.new_mask
            # A fresh key per frame, as RFC 6455 §5.3 requires and the peers do.
            return Prepared(
                "f(op, a0, mask=n())",
                {"f": encode, "op": opcode, "a0": payload, "n": new_mask},
                lambda: bytes(encode(opcode, payload, mask=new_mask())),
            )
        return Prepared(
            "f(op, a0)",
            {"f": encode, "op": opcode, "a0": payload},
            lambda: bytes(encode(opcode, payload)),
        )


def _safe_import(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except Exception:
        return None


# --------------------------------------------------------------------------- peers


@dataclass
class WebsocketsImpl(Impl):
    """websockets: the C ``speedups.apply_mask`` and the sans-I/O protocol."""

    name: str = "websockets"
    dist: str | None = "websockets"

    def load(self) -> None:
        self.frames_mod = _import("websockets.frames")
        self.protocol_mod = _import("websockets.protocol")
        self.speedups: Any = _safe_import("websockets.speedups")
        self.detail = "websockets.speedups.apply_mask (C); websockets.protocol.Protocol"

    def op_unavailable(self, op: str) -> str | None:
        if op == "mask_copy" and self.speedups is None:
            return "websockets.speedups not compiled"
        return None

    def mask_copy(self, data: bytes, key: bytes) -> Prepared:
        return call(self.speedups.apply_mask, data, key)

    def decode_frames(self, chunks: Sequence[bytes]) -> Prepared:
        protocol_cls = self.protocol_mod.Protocol
        server = self.protocol_mod.Side.SERVER
        state = self.protocol_mod.State.OPEN

        def decode() -> list[Any]:
            proto = protocol_cls(server, state=state, max_size=None)
            out: list[Any] = []
            for c in chunks:
                proto.receive_data(c)
                out.extend(proto.events_received())
            return out

        def run() -> list[tuple[int, bool, bytes]]:
            return [(int(f.opcode), bool(f.fin), bytes(f.data)) for f in decode()]

        note = "frames only: UTF-8 is checked later, by its connection layer"
        return Prepared("f()", {"f": decode}, run, note)

    def encode_frame(self, payload: bytes, masked: bool) -> Prepared:
        frame_cls = self.frames_mod.Frame
        opcode = self.frames_mod.Opcode.BINARY
        return Prepared(
            "F(op, a0).serialize(mask=m)",
            {"F": frame_cls, "op": opcode, "a0": payload, "m": masked},
            lambda: bytes(frame_cls(opcode, payload).serialize(mask=masked)),
        )


class _PausableProtocol:
    """The two attributes aiohttp's WebSocketDataQueue reads from its protocol."""

    def __init__(self) -> None:
        self._reading_paused = False

    def pause_reading(self) -> None:
        self._reading_paused = True

    def resume_reading(self) -> None:
        self._reading_paused = False


@dataclass
class AiohttpImpl(Impl):
    """aiohttp's compiled mask and compiled WebSocket reader, without an event loop.

    ``WebSocketReader.feed_data`` parses synchronously and pushes messages to a
    ``WebSocketDataQueue``; the queue only touches its loop when a reader waits,
    so a queue built with ``loop=None`` and a stub protocol collects every
    message in its ``_buffer`` deque, which is what is read back here.
    """

    name: str = "aiohttp"
    dist: str | None = "aiohttp"

    def load(self) -> None:
        try:
            mask = importlib.import_module("aiohttp._websocket.mask")
            reader = importlib.import_module("aiohttp._websocket.reader_c")
        except ImportError as exc:
            if _safe_import("aiohttp") is None:
                raise Unavailable(f"not installed ({exc})") from None
            raise Unavailable(f"compiled extensions not built ({exc})") from None
        self.mask_fn = mask._websocket_mask_cython
        self.reader_cls = reader.WebSocketReader
        self.queue_cls = reader.WebSocketDataQueue
        self.detail = "aiohttp._websocket.mask (Cython), aiohttp._websocket.reader_c (Cython)"

    def mask_inplace(self, data: bytes, key: bytes) -> Prepared:
        fn = self.mask_fn
        buf = bytearray(data)

        def run() -> bytes:
            fresh = bytearray(data)
            fn(key, fresh)
            return bytes(fresh)

        return Prepared("f(a1, a0)", {"f": fn, "a0": buf, "a1": key}, run)

    def decode_frames(self, chunks: Sequence[bytes]) -> Prepared:
        reader_cls, queue_cls = self.reader_cls, self.queue_cls

        def decode() -> list[Any]:
            queue = queue_cls(_PausableProtocol(), 2**30, loop=None)
            reader = reader_cls(queue, 2**22, compress=False, decode_text=True)
            for c in chunks:
                reader.feed_data(c)
            exc = queue.exception()
            if exc is not None:
                raise exc
            return list(queue._buffer)

        def run() -> list[tuple[int, bool, bytes]]:
            out = []
            for msg, _size in decode():
                data = msg.data.encode("utf-8") if isinstance(msg.data, str) else bytes(msg.data)
                out.append((int(msg.type), True, data))
            return out

        note = "delivers whole messages; text decoded to str (validates UTF-8)"
        return Prepared("f()", {"f": decode}, run, note)


@dataclass
class WsaccelImpl(Impl):
    """wsaccel: Cython XOR masker and Hoehrmann-DFA UTF-8 validator."""

    name: str = "wsaccel"
    dist: str | None = "wsaccel"

    def load(self) -> None:
        self.xormask = _import("wsaccel.xormask")
        self.utf8 = _import("wsaccel.utf8validator")
        self.detail = "wsaccel.xormask.XorMaskerSimple, wsaccel.utf8validator.Utf8Validator"

    def mask_copy(self, data: bytes, key: bytes) -> Prepared:
        cls = self.xormask.XorMaskerSimple
        masker = cls(key)  # one masker reused: the phase moves on, the cost does not
        return Prepared("f(a0)", {"f": masker.process, "a0": data}, lambda: cls(key).process(data))

    def utf8_validate(self, data: bytes) -> Prepared:
        return _dfa_validate(self.utf8.Utf8Validator(), data)

    def utf8_incremental(self, pieces: Sequence[bytes]) -> Prepared:
        return _dfa_incremental(self.utf8.Utf8Validator(), pieces)


def _dfa_validate(validator: Any, data: bytes) -> Prepared:
    """autobahn-style validator: ``validate`` returns (valid, ends_on_codepoint, ...)."""

    def run() -> bool:
        validator.reset()
        valid, complete = validator.validate(data)[:2]
        return bool(valid and complete)

    return Prepared("r()\nf(a0)", {"r": validator.reset, "f": validator.validate, "a0": data}, run)


def _dfa_incremental(validator: Any, pieces: Sequence[bytes]) -> Prepared:
    def run() -> bool:
        validator.reset()
        result = (True, True)
        for p in pieces:
            result = validator.validate(p)
            if not result[0]:
                return False
        return bool(result[1])

    stmt = "r()\nfor p in a0:\n    if not f(p)[0]:\n        break"
    return Prepared(stmt, {"r": validator.reset, "f": validator.validate, "a0": pieces}, run)


@dataclass
class AutobahnImpl(Impl):
    """autobahn's active Utf8Validator and XOR masker (NVX/CFFI when built)."""

    name: str = "autobahn"
    dist: str | None = "autobahn"

    def load(self) -> None:
        ws = _import("autobahn.websocket")
        self.utf8 = _import("autobahn.websocket.utf8validator")
        self.xormask = _import("autobahn.websocket.xormasker")
        nvx = bool(getattr(ws, "USES_NVX", False))
        self.detail = "autobahn.websocket Utf8Validator / create_xor_masker " + (
            "(NVX, CFFI)" if nvx else "(pure Python)"
        )

    def mask_copy(self, data: bytes, key: bytes) -> Prepared:
        create = self.xormask.create_xor_masker
        masker = create(key, len(data))  # the length hint picks autobahn's SIMD path
        return Prepared(
            "f(a0)", {"f": masker.process, "a0": data}, lambda: create(key, len(data)).process(data)
        )

    def utf8_validate(self, data: bytes) -> Prepared:
        return _dfa_validate(self.utf8.Utf8Validator(), data)

    def utf8_incremental(self, pieces: Sequence[bytes]) -> Prepared:
        return _dfa_incremental(self.utf8.Utf8Validator(), pieces)


@dataclass
class WsprotoImpl(Impl):
    """wsproto's FrameProtocol (pure Python)."""

    name: str = "wsproto"
    dist: str | None = "wsproto"

    def load(self) -> None:
        self.fp = _import("wsproto.frame_protocol")
        self.detail = "wsproto.frame_protocol.FrameProtocol"

    def decode_frames(self, chunks: Sequence[bytes]) -> Prepared:
        protocol_cls = self.fp.FrameProtocol

        def decode() -> list[Any]:
            proto = protocol_cls(client=False, extensions=[])
            out: list[Any] = []
            for c in chunks:
                proto.receive_bytes(c)
                out.extend(proto.received_frames())
            return out

        def run() -> list[tuple[int, bool, bytes]]:
            # wsproto hands out a frame in parts when it straddles reads.
            out, parts = [], []
            for f in decode():
                p = f.payload
                parts.append(p.encode("utf-8") if isinstance(p, str) else bytes(p))
                if f.frame_finished:
                    out.append((int(f.opcode), bool(f.message_finished), b"".join(parts)))
                    parts = []
            return out

        note = "text payloads decoded to str (validates UTF-8)"
        return Prepared("f()", {"f": decode}, run, note)

    def encode_frame(self, payload: bytes, masked: bool) -> Prepared:
        proto = self.fp.FrameProtocol(client=masked, extensions=[])
        send = proto.send_data
        return Prepared("f(a0)", {"f": send, "a0": payload}, lambda: bytes(send(payload)))


@dataclass
class CPythonDecodeImpl(Impl):
    """``bytes.decode("utf-8")``: what Python code uses to validate text."""

    name: str = "CPython decode"

    def load(self) -> None:
        self.detail = "bytes.decode('utf-8'), strict; builds the str"

    def version(self) -> str | None:
        import platform

        return platform.python_version()

    def utf8_validate(self, data: bytes) -> Prepared:
        def run() -> bool:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                return False
            return True

        stmt = "try:\n    a0.decode('utf-8')\nexcept E:\n    pass"
        return Prepared(stmt, {"a0": data, "E": UnicodeDecodeError}, run)


@dataclass
class CPythonIncrementalImpl(Impl):
    """``codecs.getincrementaldecoder("utf-8")``: what wsproto uses per frame."""

    name: str = "CPython incremental"

    def load(self) -> None:
        self.detail = "codecs.getincrementaldecoder('utf-8')(), strict; builds the str"

    def version(self) -> str | None:
        import platform

        return platform.python_version()

    def utf8_validate(self, data: bytes) -> Prepared:
        decoder = codecs.getincrementaldecoder("utf-8")()

        def run() -> bool:
            decoder.reset()
            try:
                decoder.decode(data, True)
            except UnicodeDecodeError:
                return False
            return True

        stmt = "try:\n    d(a0, True)\nexcept E:\n    r()"
        ns = {"d": decoder.decode, "r": decoder.reset, "a0": data, "E": UnicodeDecodeError}
        return Prepared(stmt, ns, run)

    def utf8_incremental(self, pieces: Sequence[bytes]) -> Prepared:
        decoder = codecs.getincrementaldecoder("utf-8")()

        def run() -> bool:
            decoder.reset()
            try:
                for p in pieces:
                    decoder.decode(p)
                decoder.decode(b"", True)
            except UnicodeDecodeError:
                return False
            return True

        stmt = "r()\nfor p in a0:\n    d(p)\nd(b'', True)"
        return Prepared(stmt, {"d": decoder.decode, "r": decoder.reset, "a0": pieces}, run)


@dataclass
class SimdutfImpl(Impl):
    """A Python binding of simdutf, when one is installed.

    No such binding installs from PyPI at the time of writing (``pip download
    simdutf`` finds no distribution), so this is normally skipped; it is kept
    so that a binding exposing ``validate_utf8(buffer) -> bool`` is measured
    as soon as it exists.
    """

    name: str = "simdutf"
    dist: str | None = "simdutf"

    def load(self) -> None:
        mod = _import("simdutf")
        fn = getattr(mod, "validate_utf8", None)
        if not callable(fn):
            raise Unavailable("installed, but has no validate_utf8()")
        self.fn = fn
        self.detail = "simdutf.validate_utf8"

    def utf8_validate(self, data: bytes) -> Prepared:
        fn = self.fn
        return Prepared("f(a0)", {"f": fn, "a0": data}, lambda: bool(fn(data)))


@dataclass
class CopyImpl(Impl):
    """``bytes(memoryview)``: one read and one write of the data, the bandwidth bound."""

    name: str = "bytes() copy"
    kind: str = "reference"

    def load(self) -> None:
        self.detail = "bytes(memoryview(data)): a plain copy, memory-bandwidth reference"

    def _copy(self, data: bytes) -> Prepared:
        view = memoryview(data)
        return Prepared("f(a0)", {"f": bytes, "a0": view}, lambda: bytes(view), expected=data)

    def mask_copy(self, data: bytes, key: bytes) -> Prepared:
        return self._copy(data)

    def mask_inplace(self, data: bytes, key: bytes) -> Prepared:
        return self._copy(data)


def IMPLEMENTATIONS() -> list[Impl]:  # noqa: N802 - a factory named like the constant it replaces
    """A fresh list of every implementation, wsframe first."""
    return [
        WsframeImpl(name="wsframe[c]", kind="wsframe", backend="c"),
        WsframeImpl(name="wsframe[python]", kind="wsframe", backend="python"),
        WebsocketsImpl(),
        AiohttpImpl(),
        WsaccelImpl(),
        AutobahnImpl(),
        WsprotoImpl(),
        CPythonDecodeImpl(),
        CPythonIncrementalImpl(),
        SimdutfImpl(),
        CopyImpl(),
    ]
