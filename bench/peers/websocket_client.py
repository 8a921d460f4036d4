"""websocket-client (the ``websocket`` package): its synchronous client's send and receive.

Both operations drive a real ``websocket.WebSocket`` (its ``send`` and ``recv``,
with their frame building, masking, frame parsing and UTF-8 validation) over
an in-memory socket, so only the network is left out.  When wsaccel is
installed, websocket-client uses it for masking and UTF-8 validation, and so
does this row: the detail says which.
"""

from __future__ import annotations

import inspect
import struct
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from unittest import mock

from .base import Impl, Prepared, Unavailable, import_or_skip

__all__ = ["WebsocketClientImpl", "WebsocketClientPureImpl", "unmask_texts"]


class _SendSocket:
    """Takes everything sent; keeps it when ``keep`` is true."""

    def __init__(self, keep: bool) -> None:
        self.sent: list[bytes] = []
        self.keep = keep

    def send(self, data: bytes) -> int:
        if self.keep:
            self.sent.append(bytes(data))
        return len(data)

    def gettimeout(self) -> float | None:
        return None


class _RecvSocket:
    """Serves ``wire`` to ``recv(n)`` from the start (rewind with :meth:`rewind`)."""

    def __init__(self, wire: bytes) -> None:
        self.view = memoryview(wire)
        self.pos = 0

    def rewind(self) -> None:
        self.pos = 0

    def recv(self, n: int) -> bytes:
        start = self.pos
        self.pos = min(start + n, len(self.view))
        return bytes(self.view[start : self.pos])

    def gettimeout(self) -> float | None:
        return None


def unmask_texts(wire: bytes) -> list[str]:
    """The text of every masked, final text frame in ``wire`` (RFC 6455 §5.2, §5.3)."""
    out = []
    pos = 0
    while pos < len(wire):
        length = wire[pos + 1] & 0x7F
        pos += 2
        if length == 126:
            (length,) = struct.unpack_from("!H", wire, pos)
            pos += 2
        elif length == 127:
            (length,) = struct.unpack_from("!Q", wire, pos)
            pos += 8
        key = wire[pos : pos + 4]
        pos += 4
        body = bytes(b ^ key[i % 4] for i, b in enumerate(wire[pos : pos + length]))
        pos += length
        out.append(body.decode("utf-8"))
    return out


@dataclass
class WebsocketClientImpl(Impl):
    """websocket-client's ``WebSocket.send`` / ``recv`` on an in-memory socket."""

    name: str = "websocket-client"
    dist: str | None = "websocket-client"

    def load(self) -> None:
        self.core = import_or_skip("websocket._core")
        abnf = import_or_skip("websocket._abnf")
        accel = "with wsaccel" if "XorMaskerSimple" in vars(abnf) else "pure Python"
        self.detail = f"websocket.WebSocket send()/recv() over an in-memory socket ({accel})"

    def _socket(self, sock: Any) -> Any:
        ws = self.core.WebSocket()
        ws.sock = sock
        ws.connected = True
        return ws

    def client_send(self, texts: Sequence[str]) -> Prepared:
        """``WebSocket.send(text)`` per message: frame, mask with a fresh key, write."""

        def send_all() -> None:
            send = self._socket(_SendSocket(keep=False)).send
            for text in texts:
                send(text)

        def run() -> list[str]:
            sock = _SendSocket(keep=True)
            send = self._socket(sock).send
            for text in texts:
                send(text)
            return unmask_texts(b"".join(sock.sent))

        return Prepared("f()", {"f": send_all}, run, "masked text frames, os.urandom keys")

    def client_recv(self, wire: bytes, count: int) -> Prepared:
        """``WebSocket.recv()`` per message over masked text frames: parse, unmask,
        validate UTF-8, decode."""
        sock = _RecvSocket(wire)
        ws = self._socket(sock)

        def recv_all() -> list[str]:
            sock.rewind()
            recv = ws.recv
            return [recv() for _ in range(count)]

        return Prepared("f()", {"f": recv_all}, recv_all, "masked text frames, 16 KiB reads")


def _pure_python_hooks() -> dict[str, Any]:
    """websocket-client's own ``_mask`` and ``_validate_utf8``, the ones it
    uses without wsaccel: its module sources run again in throw-away
    namespaces with wsaccel's import failing."""
    import websocket._abnf as abnf
    import websocket._utils as utils

    hooks = {}
    blocked = {"wsaccel": None, "wsaccel.xormask": None, "wsaccel.utf8validator": None}
    for module, name in ((utils, "_validate_utf8"), (abnf, "_mask")):
        ns: dict[str, Any] = {"__name__": f"{module.__name__}_pure", "__package__": "websocket"}
        code = compile(inspect.getsource(module), str(module.__file__), "exec")
        with mock.patch.dict(sys.modules, blocked):
            exec(code, ns)
        hooks[name] = ns[name]
    return hooks


@dataclass
class WebsocketClientPureImpl(WebsocketClientImpl):
    """websocket-client as it runs without wsaccel (its pure-Python masking
    and UTF-8 validation): what its users get where wsaccel has no wheel."""

    name: str = "websocket-client[no wsaccel]"

    def load(self) -> None:
        super().load()
        self.abnf = import_or_skip("websocket._abnf")
        self.utils = import_or_skip("websocket._utils")
        if "XorMaskerSimple" not in vars(self.abnf):
            raise Unavailable("wsaccel is not installed: the websocket-client row is this one")
        self.hooks = _pure_python_hooks()
        self.detail = (
            "websocket.WebSocket send()/recv() over an in-memory socket, "
            "its pure-Python _mask and _validate_utf8 swapped in"
        )

    def _swap(self, prepared: Prepared) -> Prepared:
        abnf, utils, hooks = self.abnf, self.utils, self.hooks

        def swap_in() -> tuple[Any, Any]:
            saved = abnf._mask, utils._validate_utf8
            abnf._mask, utils._validate_utf8 = hooks["_mask"], hooks["_validate_utf8"]
            return saved

        def swap_out(saved: tuple[Any, Any]) -> None:
            abnf._mask, utils._validate_utf8 = saved

        def run() -> Any:
            saved = swap_in()
            try:
                return prepared.run()
            finally:
                swap_out(saved)

        ns = dict(prepared.ns, _in=swap_in, _out=swap_out)
        body = "\n".join("    " + line for line in prepared.stmt.splitlines())
        stmt = f"_saved = _in()\ntry:\n{body}\nfinally:\n    _out(_saved)"
        return Prepared(stmt, ns, run, note=f"{prepared.note}; no wsaccel")

    def client_send(self, texts: Sequence[str]) -> Prepared:
        return self._swap(super().client_send(texts))

    def client_recv(self, wire: bytes, count: int) -> Prepared:
        return self._swap(super().client_recv(wire, count))
