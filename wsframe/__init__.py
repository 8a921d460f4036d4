"""wsframe: a fast, strict WebSocket (RFC 6455) frame codec.

``wsframe.backend`` is ``"c"`` when the compiled modules are in use and
``"python"`` when the pure-Python reference is (set ``WSFRAME_PURE_PYTHON=1``
before import to force it); ``wsframe.backend_reason`` says why.  When the compiled
backend was expected (the install tried to build it) but is absent, importing wsframe
issues a ``RuntimeWarning`` with the reason.
"""

from __future__ import annotations

from ._backend import backend
from ._backend import reason as backend_reason
from .errors import HandshakeError, InvalidUTF8, PayloadTooBig, ProtocolError

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "backend",
    "backend_reason",
    "ProtocolError",
    "InvalidUTF8",
    "PayloadTooBig",
    "HandshakeError",
    "mask",
    "utf8",
    "frames",
    "handshake",
    "deflate",
    "errors",
]

from . import deflate, errors, frames, handshake, mask, utf8
