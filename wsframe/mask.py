"""XOR masking of WebSocket payloads (RFC 6455 §5.3).

Public names, backed by the compiled implementation when it is available and
by the pure-Python reference otherwise (see :data:`wsframe.backend`).

- :func:`apply_mask` ``(data, mask, offset=0) -> bytes``
- :func:`apply_mask_inplace` ``(buffer, mask, offset=0) -> None``
- :class:`Masker` ``(mask)``: ``.process(data)``, ``.offset``, ``.reset()``
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import _api, _backend

__all__ = list(_api.MASK_API)

if TYPE_CHECKING:
    from ._reference.mask import Masker as Masker
    from ._reference.mask import apply_mask as apply_mask
    from ._reference.mask import apply_mask_inplace as apply_mask_inplace
else:
    # The active backend's objects, under the names of the one list.
    globals().update({name: getattr(_backend.mask, name) for name in __all__})
