"""The bare compressor: the floor under every compress + frame figure.

``compressobj.compress(p)`` + ``flush(Z_SYNC_FLUSH)`` with the bound methods
cached, level 1, a 15-bit raw window, context kept across messages: the zlib
work a permessage-deflate sender cannot avoid (RFC 7692 §7.2.1), without
framing, trailer removal or any object around it.  A "reference" (never the
best peer); the compression goals read wsframe against it in the same run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .base import Impl, Prepared, import_or_skip

__all__ = ["BareCompressorImpl"]


@dataclass
class BareCompressorImpl(Impl):
    """The zlib backend wsframe picks by default, called directly."""

    name: str = "bare compressor"
    kind: str = "reference"

    def load(self) -> None:
        deflate = import_or_skip("wsframe.deflate")
        self.zlib: Any = deflate.zlib_backend(None)
        self.detail = f"{deflate.backend_name(self.zlib)} compressobj(1, DEFLATED, -15): compress + flush(Z_SYNC_FLUSH)"

    def _new(self) -> Any:
        return self.zlib.compressobj(1, self.zlib.DEFLATED, -15)

    def deflate_messages(self, payloads: Sequence[bytes]) -> Prepared:
        z = self.zlib

        def run() -> list[bytes]:
            # Its output inflated back: the check that it compressed every message.
            c, d = self._new(), z.decompressobj(-15)
            return [d.decompress(c.compress(p) + c.flush(z.Z_SYNC_FLUSH)) for p in payloads]

        c = self._new()
        stmt = "for p in a0:\n    cc(p)\n    cf(sync)"
        ns = {"cc": c.compress, "cf": c.flush, "sync": z.Z_SYNC_FLUSH, "a0": payloads}
        return Prepared(stmt, ns, run, note="no framing", expected=list(payloads))
