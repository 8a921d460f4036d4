"""simdutf, when a Python binding of it is installed."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Impl, Prepared, Unavailable, import_or_skip

__all__ = ["SimdutfImpl"]


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
        mod = import_or_skip("simdutf")
        fn = getattr(mod, "validate_utf8", None)
        if not callable(fn):
            raise Unavailable("installed, but has no validate_utf8()")
        self.fn = fn
        self.detail = "simdutf.validate_utf8"

    def utf8_validate(self, data: bytes) -> Prepared:
        fn = self.fn
        return Prepared("f(a0)", {"f": fn, "a0": data}, lambda: bool(fn(data)))
