"""Exceptions raised by wsframe.

Every protocol violation is a :class:`ProtocolError` carrying the close code
that the endpoint should send (RFC 6455 §7.4.1).  ``ProtocolError`` is a
``ValueError`` so that callers that already catch ``ValueError`` for bad input
keep working.
"""

from __future__ import annotations

__all__ = ["ProtocolError", "InvalidUTF8", "PayloadTooBig", "HandshakeError"]


class ProtocolError(ValueError):
    """The peer violated RFC 6455; fail the connection with :attr:`code`.

    Args:
        message: what was wrong and where.
        code: the close code to send (default 1002, protocol error).
    """

    code: int

    def __init__(self, message: str, code: int = 1002) -> None:
        super().__init__(message)
        self.code = code

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), (str(self), self.code))


class InvalidUTF8(ProtocolError):
    """Ill-formed UTF-8 in a text message, a close reason or a validated stream.

    ``code`` is 1007 (RFC 6455 §8.1).  ``position`` is the offset of the first
    byte of the first ill-formed sequence, counted from the start of the text
    (the message, the close reason or the validator's stream).

    ``fail_index`` is the offset, counted the same way, of the byte that made
    the stream impossible to complete as valid UTF-8: the fail-fast point
    (Unicode Table 3-7), which is ``position`` for a byte that cannot start a
    sequence and lies after it for a sequence broken by a later byte (``F0 90
    41``: position 0, fail_index 2).  When the stream ends inside a sequence
    (``Utf8Validator.finish()``) it is the stream's length.  Set by
    :class:`wsframe.utf8.Utf8Validator`; ``None`` where an error does not
    record it.
    """

    position: int
    fail_index: int | None

    def __init__(
        self,
        message: str,
        position: int = 0,
        code: int = 1007,
        fail_index: int | None = None,
    ) -> None:
        super().__init__(message, code)
        self.position = position
        self.fail_index = fail_index

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), (str(self), self.position, self.code, self.fail_index))


class PayloadTooBig(ProtocolError):
    """A frame or message exceeds a configured size limit (close code 1009)."""

    def __init__(self, message: str, code: int = 1009) -> None:
        super().__init__(message, code)


class HandshakeError(ValueError):
    """A failed opening handshake (RFC 6455 §4), or a malformed extension header.

    Args:
        message: what was wrong.
        status: the HTTP status a server should answer with (400 Bad Request by
            default; 426 Upgrade Required for an unsupported version, RFC 6455
            §4.2.2).
        headers: the headers to send with that answer, as ``(name, value)``
            pairs (``Sec-WebSocket-Version: 13`` with a 426, RFC 6455 §4.4).
    """

    status: int
    headers: tuple[tuple[str, str], ...]

    def __init__(
        self,
        message: str,
        status: int = 400,
        headers: tuple[tuple[str, str], ...] | list[tuple[str, str]] = (),
    ) -> None:
        super().__init__(message)
        self.status = status
        self.headers = tuple(headers)

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), (str(self), self.status, self.headers))
