"""The memory-bandwidth yardstick: a plain copy of the data, never a peer."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Impl, Prepared

__all__ = ["CopyImpl"]


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
