"""wsframe: a fast, strict WebSocket (RFC 6455) frame codec.

``wsframe.backend`` is ``"c"`` when the compiled modules are in use and
``"python"`` when the pure-Python reference is (set ``WSFRAME_PURE_PYTHON=1``
before import to force it).
"""

from __future__ import annotations

from ._backend import backend
from .errors import HandshakeError, InvalidUTF8, PayloadTooBig, ProtocolError

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "backend",
    "ProtocolError",
    "InvalidUTF8",
    "PayloadTooBig",
    "HandshakeError",
    "mask",
    "utf8",
    "frames",
    "handshake",
    "errors",
]

from . import errors, frames, handshake, mask, utf8
