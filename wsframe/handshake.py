"""The opening handshake's Sec-WebSocket-Accept value (RFC 6455 §4.2.2)."""

from __future__ import annotations

import base64
import binascii
import hashlib

__all__ = ["accept_key", "GUID"]

#: RFC 6455 §1.3: the GUID appended to the client's key.
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def accept_key(key: str | bytes) -> str:
    """Return the Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key.

    RFC 6455 §4.2.2: base64 of the SHA-1 of the key (as sent, surrounding
    whitespace stripped) followed by the GUID.  §4.2.1 requires the key to be
    the base64 encoding of 16 bytes; anything else is refused, so that a
    server built on this function rejects malformed handshakes.

    Raises:
        ValueError: ``key`` is not base64 of exactly 16 bytes.
        TypeError: ``key`` is neither str nor bytes.
    """
    if isinstance(key, (bytes, bytearray)):
        try:
            key = bytes(key).decode("ascii")
        except UnicodeDecodeError:
            raise ValueError("Sec-WebSocket-Key must be ASCII") from None
    if not isinstance(key, str):
        raise TypeError(f"key must be str or bytes, not {type(key).__name__}")
    key = key.strip(" \t")
    try:
        raw = base64.b64decode(key.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise ValueError(f"Sec-WebSocket-Key {key!r} is not valid base64") from None
    if len(raw) != 16:
        raise ValueError(
            f"Sec-WebSocket-Key must encode 16 bytes, {key!r} encodes {len(raw)}"
        )
    digest = hashlib.sha1((key + GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")
