"""A :class:`~wsframe.deflate.Inflater` that also speaks zlib's ``Decompress`` API.

wsproto and websockets keep their permessage-deflate decompressor in an
attribute of their extension object (``PerMessageDeflate._decompressor``,
``PerMessageDeflate.decoder``) and call zlib's API on it.  Their integrations
put a :class:`ZlibCompatibleInflater` there: their fast paths feed it through
:meth:`~wsframe.deflate.Inflater.feed`, and the library's own code, which
takes over for unusual frames or after ``uninstall()``, still finds the part
of zlib's API it uses (``decompress(data[, max_length])``,
``unconsumed_tail``, ``flush()``, ``zlib.error``), so a connection keeps
working whichever code runs next.
"""

from __future__ import annotations

import zlib
from typing import Any

from ..deflate import DeflateParams, Inflater
from ..errors import PayloadTooBig, ProtocolError

__all__ = ["ZlibCompatibleInflater"]


class ZlibCompatibleInflater(Inflater):
    """wsframe's Inflater for one direction of a connection, zlib-compatible.

    Args:
        bits: the peer's LZ77 window (RFC 7692 §7.1.2), 9 to 15.
        client: whether the connection is the client side.

    Context takeover is the library's to manage: it replaces or drops the
    decompressor when the peer may not take over context.  ``inflated`` is a
    counter the integrations may use for the current message's output.
    """

    __slots__ = ("unconsumed_tail", "inflated")

    def __init__(self, bits: int, client: bool = False) -> None:
        super().__init__(
            DeflateParams(server_max_window_bits=bits, client_max_window_bits=bits),
            client=client,
        )
        self.unconsumed_tail = b""
        self.inflated = 0

    def decompress(self, data: Any, max_length: int = 0) -> bytes:
        """zlib's ``Decompress.decompress``.

        Output beyond ``max_length`` (0: no bound) is not produced; it shows
        as a non-empty ``unconsumed_tail``, which is how websockets detects an
        oversized message.

        Raises:
            zlib.error: corrupt compressed data (the error the libraries catch).
        """
        try:
            return self.feed(data, fin=False, max_size=max_length or None)
        except PayloadTooBig:
            self.unconsumed_tail = b"\0"
            return b""
        except ProtocolError as exc:
            raise zlib.error(str(exc)) from None

    def flush(self) -> bytes:
        """zlib's ``Decompress.flush``: nothing is ever held back here."""
        return b""
