"""permessage-deflate (RFC 7692): negotiation, :class:`Inflater`, :class:`Deflater`.

Sans-I/O: nothing here reads a socket.  A server calls :func:`respond` with the
client's ``Sec-WebSocket-Extensions`` offers, a client builds its offer with
:func:`offer` and checks the answer with :func:`accept_response`; both sides
then build one :class:`Inflater` (messages from the peer) and one
:class:`Deflater` (messages to the peer) from the agreed :class:`DeflateParams`.

There is one implementation for both wsframe backends: the time is spent
inside zlib, and the Python around it is a few attribute loads per call (see
docs/deflate.md for the measurements).  The zlib backend is chosen per object:
``zlib=None`` takes ``$WSFRAME_ZLIB`` if set, else the fastest one installed
(the standard library's zlib when CPython links zlib-ng, else zlib-ng, else
the standard library's zlib); see :func:`zlib_backend`.

This module is the public face; the work is done in private modules: the
field grammar in ``wsframe._headers``, the negotiation in
``wsframe._deflate_negotiation``, the codec in ``wsframe._deflate_codec`` and
the backend registry in ``wsframe._zlib``.
"""

from __future__ import annotations

from ._deflate_codec import DEFAULT_LEVEL, DEFAULT_MEM_LEVEL, Deflater, Inflater
from ._deflate_negotiation import (
    EXTENSION_NAME,
    DeflateParams,
    accept_response,
    offer,
    respond,
)
from ._headers import Extension, parse_extensions
from ._zlib import BACKENDS, backend_name, zlib_backend

__all__ = [
    "BACKENDS",
    "DEFAULT_LEVEL",
    "DEFAULT_MEM_LEVEL",
    "EXTENSION_NAME",
    "DeflateParams",
    "Deflater",
    "Extension",
    "Inflater",
    "accept_response",
    "backend_name",
    "offer",
    "parse_extensions",
    "respond",
    "zlib_backend",
]
