"""CPython's own UTF-8 decoders: what Python code uses to validate and decode text."""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from dataclasses import dataclass

from .base import Impl, Prepared, python_version

__all__ = ["CPythonDecodeImpl", "CPythonIncrementalImpl"]


@dataclass
class CPythonDecodeImpl(Impl):
    """``bytes.decode("utf-8")``: what Python code uses to validate text."""

    name: str = "CPython decode"

    def load(self) -> None:
        self.detail = "bytes.decode('utf-8'), strict; builds the str"

    def version(self) -> str | None:
        return python_version()

    def utf8_validate(self, data: bytes) -> Prepared:
        def run() -> bool:
            try:
                data.decode("utf-8")
            except UnicodeDecodeError:
                return False
            return True

        stmt = "try:\n    a0.decode('utf-8')\nexcept E:\n    pass"
        return Prepared(stmt, {"a0": data, "E": UnicodeDecodeError}, run)

    def utf8_decode(self, data: bytes) -> Prepared:
        return Prepared("a0.decode()", {"a0": data}, lambda: data.decode("utf-8"))


@dataclass
class CPythonIncrementalImpl(Impl):
    """``codecs.getincrementaldecoder("utf-8")``: what wsproto uses per frame."""

    name: str = "CPython incremental"

    def load(self) -> None:
        self.detail = "codecs.getincrementaldecoder('utf-8')(), strict; builds the str"

    def version(self) -> str | None:
        return python_version()

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
