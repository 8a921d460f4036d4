"""autobahn's active UTF-8 validator and XOR masker (NVX/CFFI when built)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .base import Impl, Prepared, import_or_skip
from .wsaccel import dfa_incremental, dfa_validate

__all__ = ["AutobahnImpl"]


@dataclass
class AutobahnImpl(Impl):
    """autobahn's active Utf8Validator and XOR masker (NVX/CFFI when built)."""

    name: str = "autobahn"
    dist: str | None = "autobahn"

    def load(self) -> None:
        ws = import_or_skip("autobahn.websocket")
        self.utf8 = import_or_skip("autobahn.websocket.utf8validator")
        self.xormask = import_or_skip("autobahn.websocket.xormasker")
        nvx = bool(getattr(ws, "USES_NVX", False))
        self.detail = "autobahn.websocket Utf8Validator / create_xor_masker " + (
            "(NVX, CFFI)" if nvx else "(pure Python)"
        )

    def mask_copy(self, data: bytes, key: bytes) -> Prepared:
        create = self.xormask.create_xor_masker
        masker = create(key, len(data))  # the length hint picks autobahn's SIMD path
        return Prepared("f(a0)", {"f": masker.process, "a0": data}, lambda: create(key, len(data)).process(data))

    def utf8_validate(self, data: bytes) -> Prepared:
        return dfa_validate(self.utf8.Utf8Validator(), data)

    def utf8_incremental(self, pieces: Sequence[bytes]) -> Prepared:
        return dfa_incremental(self.utf8.Utf8Validator(), pieces)
