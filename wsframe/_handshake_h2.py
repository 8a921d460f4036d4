"""The WebSocket handshake over HTTP/2 (RFC 8441, extended CONNECT), Sans-I/O.

Re-exported by :mod:`wsframe.handshake`; see there for the HTTP/1.1 handshake.
The HTTP/2 framing (HPACK, streams, SETTINGS) stays the caller's, e.g. the
``h2`` package; these functions read and build one stream's header list,
pseudo-header fields included.

RFC 8441 §5 says that Sec-WebSocket-Version, Origin, Sec-WebSocket-Protocol
and Sec-WebSocket-Extensions "are used ... as defined in [RFC6455]".  So the
checks of those fields are not written again here: after the HTTP/2 rules
(RFC 9113 §8.2-§8.3, RFC 8441 §4-§5) pass, the regular fields go through
:func:`~wsframe.handshake.check_request` / :func:`~wsframe.handshake.check_response`
with the HTTP/1.1-only fields that RFC 8441 replaces (Host by ``:authority``,
Upgrade by ``:protocol``, the key and accept values by nothing) filled in.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence

from ._handshake import (
    VERSION,
    Request,
    _check_host,
    _check_offer,
    _check_value,
    _chosen_fields,
    _offered_fields,
    accept_key,
    check_request,
    check_response,
)
from ._headers import ascii_lower as _lower
from ._headers import field_pairs as _field_pairs
from ._headers import is_host
from ._headers import text as _text
from .errors import HandshakeError

__all__ = [
    "check_connect_request",
    "check_connect_response",
    "connect_request_headers",
    "connect_response_headers",
]

Headers = Iterable["tuple[str | bytes, str | bytes]"]

# RFC 9113 §8.3.1 (request) and §8.3.2 (response) pseudo-header fields, plus RFC 8441 §4's
# :protocol.  Any other pseudo-header field makes the message malformed (§8.3).
_REQUEST_PSEUDO = frozenset({":method", ":scheme", ":authority", ":path", ":protocol"})
_RESPONSE_PSEUDO = frozenset({":status"})

# RFC 9113 §8.2.2: connection-specific fields are malformed in HTTP/2 (te is allowed with
# the value "trailers" only).  RFC 8441 §5 says the same of Connection and Upgrade.
_CONNECTION_SPECIFIC = frozenset({"connection", "upgrade", "keep-alive", "proxy-connection", "transfer-encoding"})

# RFC 9113 §8.2.1: a field name has no character in 0x00-0x20, 0x41-0x5a (uppercase) or
# 0x7f-0xff (nor anything beyond, in a str), and no colon after the first character.
_BAD_NAME_CHAR = re.compile(r"[^\x21-\x40\x5b-\x7e]")
# RFC 9113 §8.2.1: no NUL, CR or LF in a value, and no leading or trailing SP / HTAB.
_BAD_VALUE = re.compile(r"[\x00\r\n]|\A[ \t]|[ \t]\Z")
_STATUS = re.compile(r"[0-9]{3}\Z")
# RFC 9113 §8.3.1: :path is the target URI's path and query: it starts with "/" and holds
# no whitespace, no control character, nothing outside ASCII and no fragment ("#").
_PATH = re.compile(r"/[\x21-\x22\x24-\x7e]*\Z")
# RFC 9113 §8.3.1 / RFC 3986 §6.2.3: the port a scheme implies may be left out.
_DEFAULT_PORT = {"http": ":80", "https": ":443"}

# Stand-ins for the HTTP/1.1 fields that RFC 8441 §5 supersedes, so that the HTTP/1.1
# checks see a complete upgrade; they never reach the caller or the wire.
_NO_KEY = "AAAAAAAAAAAAAAAAAAAAAA=="  # base64 of 16 zero bytes
_SUPERSEDED = frozenset({"sec-websocket-key", "sec-websocket-accept"})


def _field_block(headers: object, allowed_pseudo: frozenset[str]) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Split an HTTP/2 field block into pseudo-header fields and regular fields.

    Returns:
        ``(pseudo, regular)``: the pseudo-header fields by name, and the
        regular fields as ``(name, value)`` pairs in order.

    Raises:
        HandshakeError: (400) the block is malformed (RFC 9113 §8.1.1).
        TypeError: headers are not (str | bytes) pairs.
    """
    pairs = _field_pairs(headers)
    pseudo: dict[str, str] = {}
    regular: list[tuple[str, str]] = []
    for raw_name, raw_value in pairs:
        name, value = _text(raw_name, "name"), _text(raw_value, "value")
        # RFC 9113 §8.2.1: lowercase names, the allowed characters, a clean value.
        body = name[1:] if name.startswith(":") else name
        if not body or _BAD_NAME_CHAR.search(body) or ":" in body:
            what = "uppercase" if _lower(body) != body else "invalid"
            raise HandshakeError(f"{what} field name {name!r:.60} (HTTP/2 field names are lowercase tokens)")
        if _BAD_VALUE.search(value):
            raise HandshakeError(
                f"field {name!r:.40} has a value with NUL, CR, LF or surrounding whitespace: {value!r:.60}"
            )
        if name.startswith(":"):
            # RFC 9113 §8.3: pseudo-header fields first, each at most once, only the defined ones.
            if regular:
                raise HandshakeError(f"pseudo-header field {name!r:.40} after a regular field")
            if name not in allowed_pseudo:
                raise HandshakeError(f"pseudo-header field {name!r:.40} is not allowed here")
            if name in pseudo:
                raise HandshakeError(f"pseudo-header field {name!r:.40} appears more than once")
            pseudo[name] = value
            continue
        # RFC 9113 §8.2.2: connection-specific fields are malformed; te only as "trailers".
        if name in _CONNECTION_SPECIFIC or (name == "te" and _lower(value) != "trailers"):
            raise HandshakeError(f"connection-specific field {name}: {value!r:.40} is not allowed in HTTP/2")
        regular.append((name, value))
    return pseudo, regular


def _origin_key(authority: str, scheme: str) -> str:
    """``host[:port]`` as compared (RFC 3986 §6.2.2-§6.2.3): the host ASCII-lowercased,
    the scheme's default port (or an empty one) left out."""
    authority = _lower(authority)
    for port in (_DEFAULT_PORT[scheme], ":"):
        if authority.endswith(port):
            return authority[: -len(port)]
    return authority


def check_connect_request(headers: Headers | Mapping[str | bytes, str | bytes]) -> Request:
    """Validate a client's extended CONNECT for a WebSocket (RFC 8441 §4-§5).

    Args:
        headers: the stream's request header list, pseudo-header fields
            first, as ``(name, value)`` pairs of str or bytes.

    Returns:
        The :class:`~wsframe.handshake.Request`, its ``key`` None (RFC 8441 §5:
        no key over HTTP/2), ``host`` the ``:authority``, and the subprotocols,
        extension offers and origin as :func:`~wsframe.handshake.check_request`
        reads them.

    Raises:
        HandshakeError: the request is malformed or not a WebSocket request:
            ``.status`` 400, or 426 with ``.headers``
            ``(("sec-websocket-version", "13"),)`` for another version.
            (501 when the server has not sent SETTINGS_ENABLE_CONNECT_PROTOCOL
            is the HTTP/2 layer's answer, before this check.)
        TypeError: headers are not (str | bytes) pairs.
    """
    pseudo, regular = _field_block(headers, _REQUEST_PSEUDO)
    # RFC 8441 §4 / RFC 9113 §8.5: the extended CONNECT method.
    method = pseudo.get(":method")
    if method != "CONNECT":
        raise HandshakeError(
            "missing :method (expected CONNECT)"
            if method is None
            else f"a WebSocket over HTTP/2 is opened with CONNECT, not {method!r:.40}"
        )
    # RFC 8441 §5: :protocol MUST be included, with the value "websocket" (an upgrade token:
    # RFC 9110 §7.8 says to compare protocol names case-insensitively).
    protocol = pseudo.get(":protocol")
    if protocol is None:
        raise HandshakeError("CONNECT without :protocol (expected :protocol websocket; RFC 8441)")
    if _lower(protocol) != "websocket":
        raise HandshakeError(f":protocol is {protocol!r:.40}, not websocket")
    # RFC 8441 §4: with :protocol, :scheme and :path MUST be included; §5: the scheme is
    # https (wss) or http (ws) and :path the URI's path and query (RFC 9113 §8.3.1: not empty,
    # "/" at least).
    scheme = pseudo.get(":scheme")
    if scheme is None:
        raise HandshakeError("extended CONNECT without :scheme")
    if scheme not in ("http", "https"):
        raise HandshakeError(f":scheme is {scheme!r:.40}; a WebSocket uses https (wss) or http (ws)")
    path = pseudo.get(":path")
    if not path:
        raise HandshakeError("extended CONNECT without :path" if path is None else "empty :path")
    if not _PATH.match(path):
        raise HandshakeError(f":path {path!r:.60} is not a path and query (a '/' first, then visible ASCII, no '#')")
    # RFC 8441 §5: the authority part of the target URI (it stands for RFC 6455's Host), with
    # no userinfo (RFC 9113 §8.3.1); a Host field, if any, names the same entity.
    authority = pseudo.get(":authority")
    if not authority:
        raise HandshakeError("extended CONNECT without :authority" if authority is None else "empty :authority")
    if "@" in authority:
        raise HandshakeError(f":authority {authority!r:.60} must not contain userinfo")
    if not is_host(authority):
        raise HandshakeError(f"invalid :authority {authority!r:.60} (expected host or host:port)")
    hosts = [value for name, value in regular if name == "host"]
    if len(hosts) > 1:
        raise HandshakeError(f"host appears {len(hosts)} times; it must appear at most once")
    if hosts and _origin_key(hosts[0], scheme) != _origin_key(authority, scheme):
        raise HandshakeError(f"host {hosts[0]!r:.60} differs from :authority {authority!r:.60}")

    # RFC 8441 §5: the version, origin, subprotocol and extension fields as in RFC 6455;
    # Host, Upgrade, Connection and the key are superseded (any key sent is not processed).
    fields = [(name, value) for name, value in regular if name != "host" and name not in _SUPERSEDED]
    try:
        request = check_request(
            "GET",
            [
                ("host", authority),
                ("upgrade", "websocket"),
                ("connection", "upgrade"),
                ("sec-websocket-key", _NO_KEY),
                *fields,
            ],
        )
    except HandshakeError as exc:
        # HTTP/2 field names are lowercase (RFC 9113 §8.2): the 426's version field too.
        raise HandshakeError(
            str(exc), status=exc.status, headers=tuple((name.lower(), value) for name, value in exc.headers)
        ) from None
    return dataclasses.replace(request, key=None)


def connect_response_headers(*, subprotocol: str | None = None, extensions: str | None = None) -> list[tuple[str, str]]:
    """The header list that accepts an extended CONNECT (RFC 8441 §5).

    Args:
        subprotocol: the chosen subprotocol, one of :attr:`Request.subprotocols`, or None.
        extensions: the sec-websocket-extensions value to answer with (e.g.
            from :func:`wsframe.deflate.respond`), or None.

    Returns:
        ``[(":status", "200")]`` plus ``sec-websocket-protocol`` and
        ``sec-websocket-extensions`` when given (no accept value over HTTP/2).

    Raises:
        ValueError: ``subprotocol`` is not a token, or ``extensions``
            contains CR, LF or NUL.
    """
    # HTTP/2 field names are lowercase (the rule _field_block enforces).
    chosen = _chosen_fields(subprotocol, extensions)
    return [(":status", "200")] + [(_lower(name), value) for name, value in chosen]


def connect_request_headers(
    authority: str,
    path: str = "/",
    *,
    scheme: str = "https",
    subprotocols: Sequence[str] = (),
    extensions: str | None = None,
    origin: str | None = None,
) -> list[tuple[str, str]]:
    """A client's extended CONNECT header list for a WebSocket (RFC 8441 §4-§5).

    Send it only on a connection whose server sent
    SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 (RFC 8441 §3).

    Args:
        authority: ``host`` or ``host:port`` of the WebSocket URI.
        path: its path and query (``/chat?room=1``).
        scheme: ``"https"`` for a wss URI, ``"http"`` for ws (RFC 8441 §5).
        subprotocols: names to offer, in order of preference.
        extensions: a sec-websocket-extensions value to offer (e.g.
            :func:`wsframe.deflate.offer`), or None.
        origin: an origin value, or None.

    Returns:
        The pseudo-header fields (``:method`` CONNECT, ``:protocol``
        websocket, ``:scheme``, ``:path``, ``:authority``), then
        ``sec-websocket-version: 13`` and the optional fields, names lowercase.

    Raises:
        ValueError: an authority that is not ``host[:port]``, a path that is
            not a path and query (``/`` first, visible ASCII, no ``#``), a
            scheme other than http/https, a subprotocol that is not a token
            or is repeated, extensions that are not a Sec-WebSocket-Extensions
            list, or a value that is not a header field value (control
            characters, surrounding whitespace, characters outside ASCII).
        TypeError: an argument of the wrong type.
    """
    if scheme not in ("http", "https"):
        raise ValueError(f"scheme must be 'https' (wss) or 'http' (ws), not {scheme!r:.40}")
    _check_host(authority, "authority")
    if not _PATH.match(_check_value(path, "path")):
        raise ValueError(f"path must be a path and query ('/' first, visible ASCII, no '#'), not {path!r:.40}")
    headers = [
        (":method", "CONNECT"),
        (":protocol", "websocket"),
        (":scheme", scheme),
        (":path", path),
        (":authority", authority),
        ("sec-websocket-version", VERSION),
    ]
    # HTTP/2 field names are lowercase (the rule _field_block enforces).
    offered = _offered_fields(origin, subprotocols, extensions)
    return headers + [(_lower(name), value) for name, value in offered]


def check_connect_response(
    headers: Headers | Mapping[str | bytes, str | bytes],
    *,
    subprotocols: Sequence[str] = (),
    extensions: str | None = None,
) -> tuple[str | None, str | None]:
    """Validate the server's answer to our extended CONNECT (RFC 8441 §5).

    Args:
        headers: the stream's response header list, ``:status`` first.
        subprotocols: the subprotocols we offered.
        extensions: the sec-websocket-extensions value we offered, or None.

    Returns:
        ``(subprotocol, extensions)`` as :func:`~wsframe.handshake.check_response`
        returns them.

    Raises:
        HandshakeError: the client must fail the WebSocket connection.  For a
            status other than 2xx, ``.status`` is the status the server sent;
            otherwise 400.
        TypeError, ValueError: our own offer is wrong (checked first, as
            :func:`~wsframe.handshake.check_response` does).
    """
    _check_offer(subprotocols, extensions)  # our own arguments first: never blamed on the server
    pseudo, regular = _field_block(headers, _RESPONSE_PSEUDO)
    # RFC 9113 §8.3.2: every response carries :status (three digits).
    status = pseudo.get(":status")
    if status is None:
        raise HandshakeError("the response has no :status")
    if not _STATUS.match(status):
        raise HandshakeError(f"malformed :status {status!r:.40}")
    # RFC 9110 §9.3.6: any 2xx answer to CONNECT opens the tunnel; anything else does not.
    if not status.startswith("2"):
        raise HandshakeError(f"the server answered {status} to the extended CONNECT", status=int(status))
    # RFC 8441 §5: the subprotocol and extension fields as in RFC 6455 §4.1 (items 5-6);
    # the Upgrade, Connection and accept checks are superseded by :protocol.
    fields = [(name, value) for name, value in regular if name not in _SUPERSEDED]
    return check_response(
        101,
        [("upgrade", "websocket"), ("connection", "upgrade"), ("sec-websocket-accept", accept_key(_NO_KEY)), *fields],
        key=_NO_KEY,
        subprotocols=subprotocols,
        extensions=extensions,
    )
