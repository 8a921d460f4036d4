"""UTF-8 validation (RFC 3629; Unicode Standard Table 3-7).

- :func:`is_valid` ``(data) -> bool``
- :func:`find_invalid` ``(data) -> int``: -1, or the offset where the first
  ill-formed sequence starts (exactly ``UnicodeDecodeError.start`` of CPython's
  strict decoder).
- :class:`Utf8Validator`: incremental and fail-fast; raises
  :class:`~wsframe.errors.InvalidUTF8`.
- :func:`decode` ``(data) -> str``: ``bytes(data).decode("utf-8")``, raising
  :class:`~wsframe.errors.InvalidUTF8` (``position`` =
  ``UnicodeDecodeError.start``); the compiled backend transcodes with SIMD
  straight into the str's storage.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _api, _backend
from .errors import InvalidUTF8 as InvalidUTF8

__all__ = list(_api.UTF8_API)

if TYPE_CHECKING:
    from ._reference.utf8 import Utf8Validator as Utf8Validator
    from ._reference.utf8 import decode as decode
    from ._reference.utf8 import find_invalid as find_invalid
    from ._reference.utf8 import is_valid as is_valid
else:
    # The active backend's objects, under the names of the one list (InvalidUTF8
    # included: each backend exports wsframe.errors.InvalidUTF8 itself).
    globals().update({name: getattr(_backend.utf8, name) for name in __all__})
