"""Type stub for the compiled masking module (same API as wsframe._reference.mask)."""

from typing import Final, final

from typing_extensions import Buffer

__all__ = ["apply_mask", "apply_mask_inplace", "Masker", "simd_level", "supported_levels"]

#: The kernel level in use: "scalar", "sse2", "sse4", "avx2", "avx512" or "neon".
simd_level: Final[str]
#: Every level this CPU can run (what WSFRAME_SIMD may select).
supported_levels: Final[tuple[str, ...]]
#: PyCapsule holding the kernel table that _utf8 and _frames import (private).
_C_API: Final[object]

def apply_mask(data: Buffer, mask: Buffer, offset: int = 0) -> bytes: ...
def apply_mask_inplace(buffer: Buffer, mask: Buffer, offset: int = 0) -> None: ...

@final
class Masker:
    def __init__(self, mask: Buffer) -> None: ...
    @property
    def mask(self) -> bytes: ...
    @property
    def offset(self) -> int: ...
    @offset.setter
    def offset(self, value: int) -> None: ...
    def process(self, data: Buffer) -> bytes: ...
    def reset(self) -> None: ...
