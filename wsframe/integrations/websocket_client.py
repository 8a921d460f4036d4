"""Drop-in acceleration of websocket-client's masking and UTF-8 validation.

Usage::

    import wsframe.integrations.websocket_client as wsframe_websocket_client
    wsframe_websocket_client.install()    # before or after ``import websocket``

websocket-client (the ``websocket`` package) uses wsaccel, when it is
installed, through two hooks; wsaccel is unmaintained and has no wheels for
recent CPython versions.  This integration puts wsframe behind the same hooks
(websocket-client ``>=1.6,<2``, see ``SUPPORTED_SERIES``; with another
version, or internals that fail a feature probe, ``install()`` warns and
leaves websocket-client untouched):

* ``websocket._abnf._mask(mask_value, data_value) -> bytes`` and
  ``websocket._abnf.ABNF.mask(mask_key, data)`` (RFC 6455 §5.3): wsframe's
  SIMD masking.  ``ABNF.mask`` keeps websocket-client's argument handling
  (``None`` data, ``str`` keys and data encoded as latin-1) and masks without
  the two ``array.array`` copies; it masks every client frame sent and every
  masked frame received.
* ``websocket._utils._validate_utf8(utfbytes) -> bool`` (RFC 6455 §8.1), behind
  ``validate_utf8``, which checks text messages and close reasons: wsframe's
  validator, with websocket-client's (and wsaccel's) semantics: False only
  when the bytes can never be valid UTF-8 (a sequence cut at the end passes,
  as with websocket-client's own validator).

websocket-client's own tests (shipped in its wheel, ``websocket/tests``) pass
with this module installed (``tools/peer_suites.sh``).
"""

from __future__ import annotations

import inspect
from types import ModuleType
from typing import Any

from .. import mask as _mask
from .. import utf8 as _utf8
from ._patching import (
    Patch,
    PatchSet,
    Probe,
    check,
    constant,
    entry_points,
    has,
    kind,
    signature,
)

__all__ = [
    "SUPPORTED_SERIES",
    "mask",
    "validate_utf8",
    "install",
    "uninstall",
    "is_installed",
    "active",
]

#: The websocket-client releases this integration is written for: inside this
#: series, a release whose internals pass the feature probes (``_PROBES``) is
#: accelerated; anything else is left untouched with a warning naming the
#: series or the failed probe.  tools/integration_matrix.sh runs
#: websocket-client's own tests and tests/integrations/test_integrations_websocket_client.py
#: on the oldest and newest release of the series, and the refusal on one
#: release outside it.
SUPPORTED_SERIES = ">=1.6,<2"

_ABNF = "websocket._abnf"
_UTILS = "websocket._utils"


def validate_utf8(utfbytes: Any) -> bool:
    """websocket-client's ``_validate_utf8``: False only when ``utfbytes`` can
    never be the beginning of valid UTF-8 (RFC 3629), on wsframe.

    Raises:
        TypeError: ``utfbytes`` is not a bytes-like object.
    """
    if _utf8.is_valid(utfbytes):
        return True
    # Invalid as a whole: either ill-formed, or cut inside a sequence at the
    # end, which websocket-client's validators accept.
    validator = _utf8.Utf8Validator()
    try:
        validator.feed(utfbytes)
    except _utf8.InvalidUTF8:
        return False
    return True


def _make_mask_hook(original: Any, module: ModuleType) -> Any:
    apply_mask = _mask.apply_mask

    def _mask_hook(mask_value: Any, data_value: Any) -> bytes:
        """websocket-client's ``_mask(mask_value, data_value)`` on wsframe."""
        if len(mask_value) != 4:
            own: bytes = original(mask_value, data_value)  # its result for odd keys
            return own
        masked: bytes = apply_mask(data_value, mask_value)
        return masked

    _mask_hook.__wrapped__ = original  # type: ignore[attr-defined]
    _mask_hook.__name__ = _mask_hook.__qualname__ = "_mask"
    return _mask_hook


def mask(mask_key: Any, data: Any) -> bytes:
    """websocket-client's ``ABNF.mask(mask_key, data)`` on wsframe (RFC 6455 §5.3).

    Args:
        mask_key: the 4-byte masking key (``str`` is encoded as latin-1).
        data: the payload (``None`` is empty, ``str`` is encoded as latin-1).

    Returns:
        The masked (or unmasked) bytes.

    Raises:
        UnicodeEncodeError: a ``str`` argument is not latin-1, as with
            websocket-client.
    """
    if data is None:
        data = b""
    if isinstance(mask_key, str):
        mask_key = mask_key.encode("latin-1")
    if isinstance(data, str):
        data = data.encode("latin-1")
    if len(mask_key) != 4:
        import array

        from websocket._abnf import _mask as own_mask

        return bytes(own_mask(array.array("B", mask_key), array.array("B", data)))
    masked: bytes = _mask.apply_mask(data, mask_key)
    return masked


def _two_positional_parameters(module: ModuleType) -> str | None:
    # websocket-client calls ``_mask(mask, data)`` positionally; the names
    # differ between its own and its wsaccel variant in some releases.
    params = list(inspect.signature(module._mask).parameters.values())
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if len(params) != 2 or any(p.kind not in kinds for p in params):
        return f"parameters ({', '.join(p.name for p in params)}), expected two positional"
    return None


_PROBES: list[Probe] = [
    check(_ABNF, f"{_ABNF}._mask(mask, data)", _two_positional_parameters),
    kind(_ABNF, "ABNF.mask", staticmethod),
    signature(_ABNF, "ABNF.mask", ["mask_key", "data"]),
    *has(_ABNF, "validate_utf8", "frame_buffer.recv_frame", "ABNF._get_masked"),
    signature(_UTILS, "_validate_utf8", ["utfbytes"]),
    signature(_UTILS, "validate_utf8", ["utfbytes"]),
]

_patches = PatchSet(
    [
        Patch(_UTILS, "_validate_utf8", constant(validate_utf8)),
        Patch(_ABNF, "_mask", _make_mask_hook),
        Patch(_ABNF, "ABNF.mask", constant(staticmethod(mask))),
    ],
    distribution="websocket-client",
    series=SUPPORTED_SERIES,
    probes=_PROBES,
)


install, uninstall, is_installed, active = entry_points(_patches, __name__, "websocket-client")
