"""Type stub for the compiled UTF-8 module (same API as wsframe._reference.utf8).

Beyond the reference's names it has ``simd_level`` and ``supported_levels``.
"""

from typing import Any, Final, final

from wsframe.errors import InvalidUTF8 as InvalidUTF8

__all__ = [
    "is_valid",
    "find_invalid",
    "decode",
    "Utf8Validator",
    "InvalidUTF8",
    "simd_level",
    "supported_levels",
]

#: The kernel level in use: "scalar", "sse2", "sse4", "avx2", "avx512" or "neon".
simd_level: Final[str]
#: Every level this CPU can run (what WSFRAME_SIMD may select).
supported_levels: Final[tuple[str, ...]]

def find_invalid(data: Any) -> int: ...
def is_valid(data: Any) -> bool: ...
def decode(data: Any) -> str: ...

@final
class Utf8Validator:
    def __init__(self) -> None: ...
    @property
    def ends_on_codepoint(self) -> bool: ...
    @property
    def offset(self) -> int: ...
    def feed(self, data: Any) -> None: ...
    def finish(self) -> None: ...
    def reset(self) -> None: ...
