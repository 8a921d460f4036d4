"""Drop-in accelerators for other WebSocket libraries.

Each submodule has ``install()`` / ``uninstall()`` (idempotent, reversible,
safe before or after the peer library is imported) and ``is_installed()``:

- :mod:`wsframe.integrations.wsproto`: wsproto's frame layer.
- :mod:`wsframe.integrations.websockets`: websockets' masking, framing,
  permessage-deflate inflating and receive loop.
- :mod:`wsframe.integrations.websocket_client`: websocket-client's masking and
  UTF-8 validation (the hooks it uses for wsaccel).
- :mod:`wsframe.integrations.autobahn`: wsaccel-compatible ``Utf8Validator``,
  ``XorMaskerNull``, ``XorMaskerSimple``, ``create_xor_masker`` and patches
  for ``autobahn.websocket``.
- :mod:`wsframe.integrations.aiohttp`: aiohttp's WebSocket reader and writer.

The submodules are imported on demand (``wsframe.integrations.wsproto`` works
after a bare ``import wsframe.integrations``), and the wsaccel-compatible names
are also available here (``from wsframe.integrations import Utf8Validator``).
Importing this package or its submodules does not import any peer library.  See docs/integrations.md.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = [
    "wsproto",
    "websockets",
    "autobahn",
    "aiohttp",
    "websocket_client",
    "Utf8Validator",
    "XorMaskerNull",
    "XorMaskerSimple",
    "create_xor_masker",
]

_SUBMODULES = ("wsproto", "websockets", "autobahn", "aiohttp", "websocket_client")
_WSACCEL_NAMES = ("Utf8Validator", "XorMaskerNull", "XorMaskerSimple", "create_xor_masker")


def __getattr__(name: str) -> Any:
    # PEP 562: submodules and the wsaccel-compatible names on first use, so
    # that `wsframe.integrations.wsproto.install()` works after a bare
    # `import wsframe.integrations`, and importing this package stays cheap.
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _WSACCEL_NAMES:
        return getattr(importlib.import_module(f"{__name__}.autobahn"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
