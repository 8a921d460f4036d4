"""Drop-in accelerators for other WebSocket libraries.

Each submodule has ``install()`` / ``uninstall()`` (idempotent, reversible,
safe before or after the peer library is imported) and ``is_installed()``:

- :mod:`wsframe.integrations.wsproto`: wsproto's frame layer.
- :mod:`wsframe.integrations.websockets`: websockets' masking and frame parsing.
- :mod:`wsframe.integrations.autobahn`: wsaccel-compatible ``Utf8Validator``,
  ``XorMaskerNull``, ``XorMaskerSimple``, ``create_xor_masker`` and patches
  for ``autobahn.websocket``.

The submodules are imported on demand; importing this package does not import
any peer library.  See docs/integrations.md.
"""

from __future__ import annotations

__all__ = ["wsproto", "websockets", "autobahn"]
