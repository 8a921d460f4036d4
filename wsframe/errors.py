"""Exceptions raised by wsframe.

Every protocol violation is a :class:`ProtocolError` carrying the close code
that the endpoint should send (RFC 6455 §7.4.1).  ``ProtocolError`` is a
``ValueError`` so that callers that already catch ``ValueError`` for bad input
keep working.
"""

from __future__ import annotations

__all__ = ["ProtocolError", "InvalidUTF8", "PayloadTooBig"]


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
    """

    position: int

    def __init__(self, message: str, position: int = 0, code: int = 1007) -> None:
        super().__init__(message, code)
        self.position = position

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (type(self), (str(self), self.position, self.code))


class PayloadTooBig(ProtocolError):
    """A frame or message exceeds a configured size limit (close code 1009)."""

    def __init__(self, message: str, code: int = 1009) -> None:
        super().__init__(message, code)
