"""The opening handshake (RFC 6455 §4), Sans-I/O, for servers and clients.

The HTTP parsing stays the caller's: these functions take the request method
or the response status and the header fields, and give back header fields.
Headers are an iterable of ``(name, value)`` pairs, each ``str`` or
``bytes`` (bytes are read as ISO-8859-1, as h11 and other parsers give
them); names are case-insensitive tokens (a name that is not, whitespace
before the colon included, is a 400), a value holding NUL, CR or LF is a 400
(RFC 9110 §5.5), and a field given on several lines is one comma-separated
list (RFC 9110 §5.3).  The builders send only what the checks accept.

Server side::

    request = check_request(method, headers)      # HandshakeError -> answer .status
    agreement = wsframe.deflate.respond(request.extensions)
    response = response_headers(request.key, extensions=agreement and agreement[1])

Client side::

    key = new_key()
    headers = request_headers("example.com", key=key, extensions=deflate.offer())
    subprotocol, extensions = check_response(status, response, key=key, ...)

The same checks for a WebSocket on one HTTP/2 stream (RFC 8441, extended
CONNECT): :func:`check_connect_request`, :func:`connect_response_headers`,
:func:`connect_request_headers`, :func:`check_connect_response`.

This module is the public face: HTTP/1.1 lives in ``wsframe._handshake``,
HTTP/2 in ``wsframe._handshake_h2`` (built on it), the field grammar in
``wsframe._headers``.  This module is pure Python and the same for both
backends: a handshake happens once per connection, so it is not a hot path.
"""

from __future__ import annotations

from ._handshake import (
    GUID,
    Request,
    accept_key,
    check_request,
    check_response,
    new_key,
    request_headers,
    response_headers,
)
from ._handshake_h2 import (
    check_connect_request,
    check_connect_response,
    connect_request_headers,
    connect_response_headers,
)
from .errors import HandshakeError

__all__ = [
    "GUID",
    "HandshakeError",
    "Request",
    "accept_key",
    "check_connect_request",
    "check_connect_response",
    "check_request",
    "check_response",
    "connect_request_headers",
    "connect_response_headers",
    "new_key",
    "request_headers",
    "response_headers",
]
