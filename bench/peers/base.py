"""The framework every implementation is written against.

Each implementation is a class with a :meth:`Impl.load` that imports what it
needs (raising :class:`Unavailable` with a reason when it cannot: the peer is
then reported as *skipped*, never as an error) and one method per operation it
supports. An operation method returns a :class:`Prepared`: the statement to
time, the names it uses, and a ``run`` callable giving the implementation's
output in a normal form, which the runner compares with the oracle before any
timing (a benchmark of a wrong result is worthless). An operation whose API
the installed wsframe lacks raises :class:`Unavailable` from its method; the
runner shows that as a visible "not available" row.

Operations (method names):

``mask_copy(data, key)``            -> masked bytes (RFC 6455 §5.3)
``mask_inplace(data, key)``         -> the buffer's bytes after masking in place
``utf8_validate(data)``             -> bool, complete-input validity (RFC 3629)
``utf8_incremental(pieces)``        -> bool, validity of the pieces' concatenation
``utf8_decode(data)``               -> str, the text of valid UTF-8
``decode_frames(chunks)``           -> list of (opcode, fin, payload) (RFC 6455 §5.2)
``decode_messages(chunks)``         -> list of (opcode, str or bytes): frames to messages
``text_message(wire)``              -> str: one masked text frame to its message
``encode_frame(payload, masked, opcode)`` -> the wire bytes of one final frame
``deflate_messages(payloads)``      -> list of wire frames (RFC 7692, context takeover)
``inflate_messages(wires)``         -> list of str: masked compressed frames to text
``broadcast_message(payload, n)``   -> the frames written to ``n`` recipients (no context takeover)
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from types import ModuleType
from typing import Any

__all__ = [
    "NOTHING",
    "OP_BINARY",
    "OP_TEXT",
    "Impl",
    "Prepared",
    "Unavailable",
    "call",
    "import_or_skip",
    "python_version",
    "safe_import",
    "version_of",
]

OP_TEXT = 1  # RFC 6455 §5.2 opcodes
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


def version_of(dist: str) -> str | None:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def import_or_skip(name: str) -> ModuleType:
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
        return version_of(self.dist) if self.dist else None

    def supports(self, op: str) -> bool:
        """Whether this implementation has operation ``op``."""
        return callable(getattr(self, op, None))

    def op_unavailable(self, op: str) -> str | None:
        """Reason why ``op`` cannot run although the implementation loaded, or None."""
        return None


def safe_import(name: str) -> ModuleType | None:
    """``name`` imported, or None when that fails for any reason."""
    try:
        return importlib.import_module(name)
    except Exception:
        return None


def python_version() -> str:
    """The interpreter's version, for the CPython implementations."""
    import platform

    return platform.python_version()
