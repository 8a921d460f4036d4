"""wsproto's ``XorMaskerSimple`` (``wsproto.frame_protocol``, the masking of
outgoing client frames) on :func:`wsframe.mask.apply_mask_inplace`."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from ... import mask as _mask
from ._state import legacy_types

__all__ = ["make_xor_masker_simple"]


def make_xor_masker_simple(original: Any, module: ModuleType) -> Any:
    apply_mask_inplace = _mask.apply_mask_inplace
    legacy = legacy_types()

    class XorMaskerSimple(original):  # type: ignore[misc]
        """wsproto's ``XorMaskerSimple`` with masking done by wsframe.

        Same interface and results as wsproto's class: ``process(data)``
        returns a new ``bytearray`` and the key phase continues across calls
        (RFC 6455 §5.3: octet i is XOR-ed with key octet i MOD 4).
        """

        __wsframe__ = True

        def __init__(self, masking_key: bytes | bytearray) -> None:
            self._key = masking_key
            self._phase = 0

        @property
        def _masking_key(self) -> Any:
            # wsproto rotates its key after each call; expose the same value.
            key, phase = self._key, self._phase
            return key[phase:] + key[:phase] if phase else key

        @_masking_key.setter
        def _masking_key(self, value: Any) -> None:
            self._key = value
            self._phase = 0

        def process(self, data: Any) -> Any:
            """Return ``data`` masked, as wsproto's own class returns it.

            wsproto 1.3: a new ``bytearray``; wsproto 1.2: ``bytes`` (and
            ``data`` itself when it is empty).

            Raises:
                ValueError: the masking key is not 4 bytes long (wsproto
                    fails the same way).
            """
            if legacy and not data:
                return data
            out = bytearray(data)
            if out:
                if len(self._key) != 4:
                    # Keep wsproto's own failure mode for impossible keys.
                    return original.process(self, out)
                apply_mask_inplace(out, self._key, self._phase)
                self._phase = (self._phase + len(out)) & 3
            return bytes(out) if legacy else out

    XorMaskerSimple.__module__ = module.__name__
    XorMaskerSimple.__qualname__ = "XorMaskerSimple"
    return XorMaskerSimple
