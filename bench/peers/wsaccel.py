"""wsaccel: Cython XOR masker and Hoehrmann-DFA UTF-8 validator; the DFA drivers autobahn shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .base import Impl, Prepared, import_or_skip

__all__ = ["WsaccelImpl", "dfa_incremental", "dfa_validate"]


@dataclass
class WsaccelImpl(Impl):
    """wsaccel: Cython XOR masker and Hoehrmann-DFA UTF-8 validator."""

    name: str = "wsaccel"
    dist: str | None = "wsaccel"

    def load(self) -> None:
        self.xormask = import_or_skip("wsaccel.xormask")
        self.utf8 = import_or_skip("wsaccel.utf8validator")
        self.detail = "wsaccel.xormask.XorMaskerSimple, wsaccel.utf8validator.Utf8Validator"

    def mask_copy(self, data: bytes, key: bytes) -> Prepared:
        cls = self.xormask.XorMaskerSimple
        masker = cls(key)  # one masker reused: the phase moves on, the cost does not
        return Prepared("f(a0)", {"f": masker.process, "a0": data}, lambda: cls(key).process(data))

    def utf8_validate(self, data: bytes) -> Prepared:
        return dfa_validate(self.utf8.Utf8Validator(), data)

    def utf8_incremental(self, pieces: Sequence[bytes]) -> Prepared:
        return dfa_incremental(self.utf8.Utf8Validator(), pieces)


def dfa_validate(validator: Any, data: bytes) -> Prepared:
    """autobahn-style validator: ``validate`` returns (valid, ends_on_codepoint, ...)."""

    def run() -> bool:
        validator.reset()
        valid, complete = validator.validate(data)[:2]
        return bool(valid and complete)

    return Prepared("r()\nf(a0)", {"r": validator.reset, "f": validator.validate, "a0": data}, run)


def dfa_incremental(validator: Any, pieces: Sequence[bytes]) -> Prepared:
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
