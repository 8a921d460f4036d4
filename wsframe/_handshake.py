"""The opening handshake over HTTP/1.1 (RFC 6455 §4): the implementation.

Re-exported by :mod:`wsframe.handshake`, the public face, which documents
both roles; :mod:`wsframe._handshake_h2` builds the HTTP/2 checks (RFC 8441)
on the ones here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ._headers import Extension, Fields, check_offered, is_host, is_token, parse_extensions
from ._headers import ascii_lower as _lower
from ._headers import text as _text
from .errors import HandshakeError

__all__ = [
    "GUID",
    "HandshakeError",
    "Request",
    "accept_key",
    "check_request",
    "check_response",
    "new_key",
    "request_headers",
    "response_headers",
]

#: RFC 6455 §1.3: the GUID appended to the client's key.
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

#: The only protocol version this module speaks (RFC 6455 §4.1 item 9).
VERSION = "13"

Headers = Iterable["tuple[str | bytes, str | bytes]"]
Extensions = list[Extension]

# RFC 6455 §4.4 / §11.3.5: version = DIGIT | (NZDIGIT DIGIT) | ... (0-255).
_VERSION = re.compile(r"(0|[1-9][0-9]{0,2})\Z")


def accept_key(key: str | bytes) -> str:
    """Return the Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key.

    RFC 6455 §4.2.2: base64 of the SHA-1 of the key (as sent, surrounding
    whitespace stripped) followed by the GUID.  §4.2.1 requires the key to be
    the base64 encoding of 16 bytes; anything else is refused, so that a
    server built on this function rejects malformed handshakes.

    Args:
        key: the Sec-WebSocket-Key value.

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
        raise ValueError(f"Sec-WebSocket-Key {key!r:.40} is not valid base64") from None
    if len(raw) != 16:
        raise ValueError(f"Sec-WebSocket-Key must encode 16 bytes, {key!r:.40} encodes {len(raw)}")
    digest = hashlib.sha1((key + GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def new_key() -> str:
    """Return a fresh Sec-WebSocket-Key: 16 bytes from the OS CSPRNG, base64.

    RFC 6455 §4.1 item 7: the nonce MUST be selected randomly for each
    connection.
    """
    return base64.b64encode(os.urandom(16)).decode("ascii")


# --------------------------------------------------------------------------- headers


def _check_subprotocols(names: Sequence[str], display: str) -> list[str]:
    """RFC 6455 §4.1 item 10: non-empty, unique tokens.

    Raises:
        ValueError: one is not a token or appears twice.
    """
    seen: set[str] = set()
    for name in names:
        if not is_token(name):
            raise ValueError(f"{display}: {name!r:.40} is not a valid subprotocol name (a token)")
        if name in seen:
            raise ValueError(f"{display}: subprotocol {name!r:.40} is listed twice")
        seen.add(name)
    return list(names)


# RFC 9110 §5.5: field-value = *field-content, visible characters with SP / HTAB only
# between them (what we send: ASCII; obs-text is obsolete).  No CR, LF or NUL, so no header
# injection, and no surrounding whitespace, which RFC 9113 §8.2.1 forbids in HTTP/2.
_FIELD_VALUE = re.compile(r"(?:[\x21-\x7e](?:[\t\x20-\x7e]*[\x21-\x7e])?)?\Z")


def _check_value(value: str, what: str) -> str:
    """A header value we send: a str of visible ASCII, spaces and tabs only inside.

    Raises:
        TypeError: not a str.
        ValueError: any other character (CR, LF and NUL included), or
            leading or trailing whitespace.
    """
    if not isinstance(value, str):
        raise TypeError(f"{what} must be str, not {type(value).__name__}")
    if _FIELD_VALUE.match(value) is None:
        raise ValueError(
            f"{what} must be a header field value (visible ASCII, spaces and tabs only inside): {value!r:.40}"
        )
    return value


def _check_host(value: str, what: str) -> str:
    """A Host (or :authority) value we send: ``host[:port]`` (:func:`is_host`).

    Raises:
        TypeError: not a str.
        ValueError: empty, or not ``uri-host [":" port]``.
    """
    if not _check_value(value, what):
        raise ValueError(f"{what} must not be empty")
    if not is_host(value):
        raise ValueError(f"{what} must be host or host:port (RFC 9110 §7.2), not {value!r:.40}")
    return value


def _check_extensions(value: str, what: str) -> str:
    """A Sec-WebSocket-Extensions value we send or offered: the §9.1 grammar.

    Raises:
        TypeError: not a str.
        ValueError: not a header field value, or not a ``1#extension`` list.
    """
    try:
        parse_extensions(_check_value(value, what))
    except HandshakeError as exc:  # our own argument: a ValueError, not the peer's fault
        raise ValueError(f"{what}: {exc}") from None
    return value


def _check_offer(subprotocols: object, extensions: object) -> list[str]:
    """What a client offered, checked before a response is judged by it.

    Returns:
        The subprotocol names, as a list.

    Raises:
        TypeError: ``subprotocols`` is not a sequence of str, ``extensions``
            neither a str nor None.
        ValueError: a name is not a token or is repeated, or ``extensions``
            is malformed.
    """
    if isinstance(subprotocols, (str, bytes)) or not isinstance(subprotocols, Iterable):
        raise TypeError(f"subprotocols must be a sequence of names, not {type(subprotocols).__name__}")
    names = list(subprotocols)
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"subprotocols must be str names, not {type(name).__name__}")
    _check_subprotocols(names, "subprotocols")
    if extensions is not None:
        _check_extensions(extensions, "extensions")  # type: ignore[arg-type]
    return names


# --------------------------------------------------------------------------- server


@dataclass(frozen=True)
class Request:
    """A client's valid opening handshake, as :func:`check_request` read it.

    Attributes:
        key: the Sec-WebSocket-Key value (for :func:`response_headers`); None
            for a WebSocket over HTTP/2 (:func:`check_connect_request`), which has no key.
        subprotocols: the Sec-WebSocket-Protocol names, in the client's order
            of preference (empty when none was offered).
        extensions: the Sec-WebSocket-Extensions offers, parsed by
            :func:`wsframe.deflate.parse_extensions` (for
            :func:`wsframe.deflate.respond`); empty when none was offered.
        host: the Host value.
        origin: the Origin value, or None (RFC 6455 §10.2: a server may
            refuse origins it does not trust; that policy is the caller's).
    """

    key: str | None
    subprotocols: list[str] = field(default_factory=list)
    extensions: Extensions = field(default_factory=list)
    host: str = ""
    origin: str | None = None


def check_request(method: str | bytes, headers: Headers | Mapping[str | bytes, str | bytes]) -> Request:
    """Validate a client's opening handshake (RFC 6455 §4.2.1).

    The request line's other parts (a request-target, HTTP/1.1 or later) are
    the caller's HTTP parser's to check.

    Args:
        method: the request method (case-sensitive, RFC 9110 §9.1).
        headers: the request's header fields as ``(name, value)`` pairs (a
            mapping is taken as its items).

    Returns:
        The :class:`Request`: key, subprotocols, extension offers, host, origin.

    Raises:
        HandshakeError: not a valid WebSocket upgrade.  ``.status`` is 400,
            or 426 with ``.headers`` = ``(("Sec-WebSocket-Version", "13"),)``
            when the client asks for another protocol version.
        TypeError: headers are not (str | bytes) pairs.
    """
    method = _text(method, "method") if isinstance(method, (bytes, bytearray, memoryview)) else method
    if not isinstance(method, str):
        raise TypeError(f"method must be str or bytes, not {type(method).__name__}")
    # §4.2.1 item 1: an HTTP/1.1 or higher GET request.
    if method != "GET":
        raise HandshakeError(f"the opening handshake must be a GET request, not {method!r:.40}")
    fields = Fields(headers)

    # §4.2.1 item 2: a |Host| header field (RFC 9110 §7.2: exactly one, RFC 9112 §3.2).
    host = fields.single("host", "Host")
    if not host:
        raise HandshakeError("missing Host header" if host is None else "empty Host header")
    # RFC 9112 §3.2: a Host field with an invalid value is a 400 (RFC 9110 §7.2: uri-host [":" port]).
    if not is_host(host):
        raise HandshakeError(f"invalid Host header {host!r:.60} (expected host or host:port)")

    # §4.2.1 item 3: |Upgrade| containing "websocket", ASCII case-insensitive.
    fields.require_token(
        "upgrade",
        "websocket",
        "missing Upgrade header (expected Upgrade: websocket)",
        "Upgrade header {value!r:.60} does not contain 'websocket'",
    )
    # §4.2.1 item 4: |Connection| including the token "Upgrade", ASCII case-insensitive.
    fields.require_token(
        "connection",
        "upgrade",
        "missing Connection header (expected Connection: Upgrade)",
        "Connection header {value!r:.60} does not contain the token 'Upgrade'",
    )

    # §4.2.1 item 6: |Sec-WebSocket-Version| 13; §4.2.2 / §4.4: else 426 with the versions
    # we speak.  A missing or malformed version is a malformed request: 400.
    version = fields.required(
        "sec-websocket-version", "Sec-WebSocket-Version", "missing Sec-WebSocket-Version header (expected 13)"
    )
    if not _VERSION.match(version) or int(version) > 255:
        raise HandshakeError(f"malformed Sec-WebSocket-Version {version!r:.40} (expected 13)")
    if version != VERSION:
        raise HandshakeError(
            f"unsupported Sec-WebSocket-Version {version}; this server speaks 13",
            status=426,
            headers=(("Sec-WebSocket-Version", VERSION),),
        )

    # §4.2.1 item 5: exactly one |Sec-WebSocket-Key|, base64 of 16 bytes.
    key = fields.required("sec-websocket-key", "Sec-WebSocket-Key", "missing Sec-WebSocket-Key header")
    try:
        accept_key(key)
    except ValueError as exc:
        raise HandshakeError(str(exc)) from None

    # §4.2.1 item 8: optional |Sec-WebSocket-Protocol|, a list of tokens in preference order.
    try:
        subprotocols = _check_subprotocols(
            fields.elements("sec-websocket-protocol", "Sec-WebSocket-Protocol"), "Sec-WebSocket-Protocol"
        )
    except ValueError as exc:
        raise HandshakeError(str(exc)) from None

    # §4.2.1 item 9: optional |Sec-WebSocket-Extensions| (grammar §9.1).
    offered = fields.joined("sec-websocket-extensions")
    extensions = parse_extensions(offered) if offered is not None else []

    # §4.2.1 item 7: optional |Origin| (browsers send it); the policy is the caller's.
    origin = fields.single("origin", "Origin")
    return Request(key.strip(" \t"), subprotocols, extensions, host, origin)


def response_headers(
    key: str | bytes,
    *,
    subprotocol: str | None = None,
    extensions: str | None = None,
) -> list[tuple[str, str]]:
    """The header fields of the server's 101 Switching Protocols (RFC 6455 §4.2.2).

    Args:
        key: the client's Sec-WebSocket-Key (:attr:`Request.key`).
        subprotocol: the chosen subprotocol, one of :attr:`Request.subprotocols`
            (§4.2.2 item 5.4: at most one), or None.
        extensions: the Sec-WebSocket-Extensions value to answer with (e.g.
            from :func:`wsframe.deflate.respond`), or None.

    Returns:
        ``[("Upgrade", "websocket"), ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", ...)]`` plus the subprotocol and extension
        fields when given.

    Raises:
        ValueError: ``key`` is not base64 of 16 bytes, ``subprotocol`` is not
            a token, or ``extensions`` is not a Sec-WebSocket-Extensions value
            (RFC 6455 §9.1: at least one extension, in a header field value).
    """
    headers = [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", accept_key(key)),
    ]
    return headers + _chosen_fields(subprotocol, extensions)


def _chosen_fields(subprotocol: str | None, extensions: str | None) -> list[tuple[str, str]]:
    """A server's optional opening-handshake fields, checked:
    Sec-WebSocket-Protocol and Sec-WebSocket-Extensions, each when given (the
    same over HTTP/1.1 and, lowercased, over HTTP/2)."""
    fields = []
    if subprotocol is not None:
        _check_subprotocols([subprotocol], "subprotocol")
        fields.append(("Sec-WebSocket-Protocol", subprotocol))
    if extensions is not None:
        fields.append(("Sec-WebSocket-Extensions", _check_extensions(extensions, "extensions")))
    return fields


# --------------------------------------------------------------------------- client


def request_headers(
    host: str,
    *,
    key: str | bytes,
    subprotocols: Sequence[str] = (),
    extensions: str | None = None,
    origin: str | None = None,
) -> list[tuple[str, str]]:
    """A client's opening-handshake header fields (RFC 6455 §4.1).

    The request line (``GET /path HTTP/1.1``) is the caller's.

    Args:
        host: the Host value (``host`` or ``host:port``, §4.1 item 4).
        key: from :func:`new_key` (keep it for :func:`check_response`); ASCII
            bytes are taken as str.
        subprotocols: names to offer, in order of preference (§4.1 item 10).
        extensions: a Sec-WebSocket-Extensions value to offer (e.g.
            :func:`wsframe.deflate.offer`), or None.
        origin: an Origin value (§4.1 item 8; browsers always send it).

    Returns:
        Host, Upgrade, Connection, Sec-WebSocket-Key, Sec-WebSocket-Version,
        then Origin, Sec-WebSocket-Protocol and Sec-WebSocket-Extensions when given.

    Raises:
        ValueError: a key that is not base64 of 16 bytes, a subprotocol that is
            not a token or is repeated, a host that is not ``host[:port]``,
            extensions that are not a Sec-WebSocket-Extensions list, or a value
            that is not a header field value (control characters, surrounding
            whitespace, characters outside ASCII).
        TypeError: an argument of the wrong type.
    """
    _check_host(host, "host")
    if isinstance(key, (bytes, bytearray)):
        key = _text(key, "value")
    _check_value(key, "key")
    accept_key(key)  # §4.1 item 7: base64 of 16 bytes
    headers = [
        ("Host", host),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", VERSION),
    ]
    return headers + _offered_fields(origin, subprotocols, extensions)


def _offered_fields(origin: str | None, subprotocols: Sequence[str], extensions: str | None) -> list[tuple[str, str]]:
    """A client's optional opening-handshake fields, checked: Origin,
    Sec-WebSocket-Protocol and Sec-WebSocket-Extensions, each when given
    (the same over HTTP/1.1 and, lowercased, over HTTP/2)."""
    fields = []
    if origin is not None:
        fields.append(("Origin", _check_value(origin, "origin")))
    if isinstance(subprotocols, str):
        raise TypeError("subprotocols must be a sequence of names, not a str")
    if subprotocols:
        names = _check_subprotocols(list(subprotocols), "subprotocols")
        fields.append(("Sec-WebSocket-Protocol", ", ".join(names)))
    if extensions is not None:
        fields.append(("Sec-WebSocket-Extensions", _check_extensions(extensions, "extensions")))
    return fields


def check_response(
    status: int,
    headers: Headers | Mapping[str | bytes, str | bytes],
    *,
    key: str,
    subprotocols: Sequence[str] = (),
    extensions: str | None = None,
) -> tuple[str | None, str | None]:
    """Validate the server's answer to our opening handshake (RFC 6455 §4.1).

    Args:
        status: the response's status code.
        headers: the response's header fields as ``(name, value)`` pairs (a
            mapping is taken as its items).
        key: the Sec-WebSocket-Key we sent.
        subprotocols: the subprotocols we offered.
        extensions: the Sec-WebSocket-Extensions value we offered, or None.

    Returns:
        ``(subprotocol, extensions)``: the subprotocol the server chose (None
        if it chose none) and its Sec-WebSocket-Extensions value (None if
        absent), to check with :func:`wsframe.deflate.accept_response`.

    Raises:
        HandshakeError: the client must fail the WebSocket connection.  For a
            status other than 101, ``.status`` is the status the server sent;
            otherwise it is 400 (the client answers nothing).
        TypeError: ``status`` is not an int, ``subprotocols`` not a sequence
            of str, ``key`` or ``extensions`` not a str.
        ValueError: our own arguments are wrong (checked first, so that the
            server is never blamed for them): ``key`` is not base64 of 16
            bytes, an offered subprotocol is not a token, ``extensions`` is
            malformed.
    """
    if not isinstance(status, int) or isinstance(status, bool):
        raise TypeError(f"status must be an int, not {type(status).__name__}")
    offered = _check_offer(subprotocols, extensions)
    try:
        expected = accept_key(key)
    except ValueError as exc:
        raise ValueError(f"key: {exc}") from None
    # §4.1 (server's response) item 1: anything but 101 is handled per HTTP; no WebSocket.
    if status != 101:
        raise HandshakeError(f"the server answered {status} instead of 101 Switching Protocols", status=status)
    fields = Fields(headers)
    # Item 2: |Upgrade| is an ASCII case-insensitive match for "websocket".
    upgrade = fields.joined("upgrade")
    if upgrade is None:
        raise HandshakeError("the response has no Upgrade header")
    if _lower(upgrade) != "websocket":
        raise HandshakeError(f"the response's Upgrade header is {upgrade!r:.60}, not websocket")
    # Item 3: |Connection| contains the token "Upgrade", ASCII case-insensitive.
    fields.require_token(
        "connection",
        "upgrade",
        "the response has no Connection header",
        "the response's Connection header {value!r:.60} does not contain 'Upgrade'",
    )
    # Item 4: |Sec-WebSocket-Accept| is base64(SHA-1(key + GUID)).
    accept = fields.required(
        "sec-websocket-accept", "Sec-WebSocket-Accept", "the response has no Sec-WebSocket-Accept header"
    )
    if accept != expected:
        raise HandshakeError(f"Sec-WebSocket-Accept {accept!r:.60} does not match our key (expected {expected!r})")

    # Item 5: an extension the client did not offer fails the connection.
    answered = fields.joined("sec-websocket-extensions")
    if answered is not None:
        answer = parse_extensions(answered)  # 1#extension: an empty list is malformed
        if extensions is None:
            raise HandshakeError(
                f"the server answered Sec-WebSocket-Extensions {answered!r:.60} but no extension was offered"
            )
        check_offered(answer, parse_extensions(extensions))

    # Item 6: a subprotocol the client did not offer fails the connection.
    chosen = fields.single("sec-websocket-protocol", "Sec-WebSocket-Protocol")
    if chosen is not None and chosen not in offered:
        if not offered:
            raise HandshakeError(f"the server chose subprotocol {chosen!r:.60} but none was offered")
        raise HandshakeError(f"the server chose subprotocol {chosen!r:.60}, which is not one of {offered}")
    return chosen, answered
