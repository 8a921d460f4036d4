"""HTTP field grammar (RFC 9110 §5), the one home for both handshake and deflate.

What the opening handshake and permessage-deflate read from header fields:
optional whitespace, tokens, quoted strings, comma-separated lists, the
``Sec-WebSocket-Extensions`` grammar (RFC 6455 §9.1), and field lookup by
name over ``(name, value)`` pairs of ``str`` or ``bytes``.  Pure Python and
the same for both backends: a handshake happens once per connection.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .errors import HandshakeError

__all__ = [
    "Extension",
    "Fields",
    "ascii_lower",
    "check_offered",
    "field_pairs",
    "is_host",
    "is_token",
    "parse_list",
    "parse_extensions",
    "text",
]

#: One parsed extension: its token and its ``(name, value)`` parameters.
Extension = tuple[str, list[tuple[str, str | None]]]

# RFC 9110 §5.6.3: OWS = *( SP / HTAB ).
_OWS = re.compile(r"[ \t]*")
# RFC 9110 §5.6.2: token = 1*tchar.
_TCHAR = r"[!#$%&'*+\-.^_`|~0-9A-Za-z]"
_TOKEN = re.compile(_TCHAR + "+")
_TOKEN_FULL = re.compile(_TCHAR + r"+\Z")
# RFC 9110 §5.6.4: quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE.
_QUOTED = re.compile(r'"((?:[\t !#-\[\]-~\x80-\xff]|\\[\t -~\x80-\xff])*)"')
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
# RFC 9110 §5.5: a field value holding NUL, CR or LF MUST be rejected (or those replaced with
# SP; rejecting is the safe choice: the value may be echoed into a response).
_BAD_VALUE_CHAR = re.compile(r"[\x00\r\n]")
# RFC 9110 §7.2 / RFC 3986 §3.2.2: Host = uri-host [ ":" port ], uri-host = IP-literal /
# IPv4address / reg-name (reg-name = *( unreserved / pct-encoded / sub-delims ) covers the
# IPv4 form), port = *DIGIT.
_REG_NAME = r"(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})+"
_IP_LITERAL = r"\[(?:(?P<ipv6>[0-9A-Fa-f:.]+)|v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+)\]"
_HOST = re.compile(rf"(?:{_REG_NAME}|{_IP_LITERAL})(?::[0-9]*)?\Z")
# ASCII case folding only: str.lower() would also fold e.g. U+212A KELVIN SIGN to "k".
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def ascii_lower(value: str) -> str:
    """ASCII case folding (RFC 6455 §2.1, RFC 9110 §5.1: "case-insensitive")."""
    return value.translate(_ASCII_LOWER)


def is_token(value: object) -> bool:
    """True for a ``str`` that is an RFC 9110 §5.6.2 token."""
    return isinstance(value, str) and _TOKEN_FULL.match(value) is not None


def is_host(value: str) -> bool:
    """True for a Host field value, ``uri-host [":" port]`` (RFC 9110 §7.2, RFC 3986 §3.2.2).

    A registered name (letters, digits, ``-._~``, sub-delims, percent-encoding),
    an IPv4 address or a bracketed IPv6 (or IPvFuture) literal, then an optional
    port.  No userinfo, no whitespace, nothing outside ASCII; not empty.
    """
    m = _HOST.match(value)
    if m is None:
        return False
    literal = m.group("ipv6")
    if literal is not None:
        try:
            ipaddress.IPv6Address(literal)
        except ValueError:
            return False
    return True


def text(item: object, what: str) -> str:
    """A field name or value as ``str``; bytes are ISO-8859-1 (as h11 gives them).

    Raises:
        TypeError: neither str nor bytes.
    """
    if isinstance(item, str):
        return item
    if isinstance(item, (bytes, bytearray, memoryview)):
        return bytes(item).decode("iso-8859-1")
    raise TypeError(f"header {what} must be str or bytes, not {type(item).__name__}")


def field_pairs(headers: object) -> Iterator[tuple[object, object]]:
    """The ``(name, value)`` pairs of a header block, not yet converted.

    ``headers`` is a mapping (taken as its items) or an iterable of two-item
    pairs; the check of ``headers`` itself is made at once, each pair's as it
    is reached.

    Raises:
        TypeError: ``headers`` is not an iterable of pairs, or an item is not a pair.
    """
    pairs: Iterable[Any]
    if isinstance(headers, Mapping):
        pairs = headers.items()
    elif isinstance(headers, Iterable) and not isinstance(headers, (str, bytes, bytearray)):
        pairs = headers
    else:
        raise TypeError(f"headers must be (name, value) pairs, not {type(headers).__name__}")
    return _unpacked(pairs)


def _unpacked(pairs: Iterable[Any]) -> Iterator[tuple[object, object]]:
    for pair in pairs:
        if isinstance(pair, (str, bytes, bytearray)):  # "TE" would unpack as two letters
            raise TypeError(f"headers must be (name, value) pairs, got {pair!r:.60}")
        try:
            name, value = pair
        except (TypeError, ValueError):
            raise TypeError(f"headers must be (name, value) pairs, got {pair!r:.60}") from None
        yield name, value


def _skip_ows(value: str, pos: int) -> int:
    return _OWS.match(value, pos).end()  # type: ignore[union-attr]


def parse_list(value: str, display: str) -> list[str]:
    """The elements of a ``1#element`` field value (RFC 9110 §5.6.1), OWS stripped.

    Empty elements (``a, , b``) are skipped, as recipients must; a value with
    no element at all (``""``, ``","``) is malformed: ``1#`` asks for at
    least one.

    Raises:
        HandshakeError: (400) the list has no element.
    """
    elements = [item.strip(" \t") for item in value.split(",")]
    elements = [item for item in elements if item]
    if not elements:
        raise HandshakeError(f"{display} must list at least one element, got {value!r:.60}")
    return elements


class Fields:
    """Header fields by ASCII-lower-cased name, each with its values in order.

    ``headers`` is an iterable of ``(name, value)`` pairs (or a mapping, taken
    as its items), each ``str`` or ``bytes``.  A field name must be a token
    (RFC 9110 §5.1) and nothing may stand between it and the colon (RFC 9112
    §5.1: whitespace there is a 400), so a name with any surrounding or inner
    space is refused, never stripped: a lenient reading would let
    ``Host\\xa0``, ``\\x85Host`` or ``"Sec-WebSocket-Key "`` count as the real
    field while a front proxy saw another.  A value holding NUL, CR or LF is
    refused too (RFC 9110 §5.5).  ``pseudo=True`` also takes HTTP/2
    pseudo-header names (``":" token``, RFC 9113 §8.3).

    Raises:
        TypeError: ``headers`` is not (str | bytes) pairs.
        HandshakeError: (400) a field name is not a token, or a value holds
            NUL, CR or LF.
    """

    __slots__ = ("_values",)

    def __init__(self, headers: object, *, pseudo: bool = False) -> None:
        self._values: dict[str, list[str]] = {}
        for raw_name, value in field_pairs(headers):
            name = text(raw_name, "name")
            if _TOKEN_FULL.match(name[1:] if pseudo and name[:1] == ":" else name) is None:
                raise HandshakeError(f"invalid header field name {name!r:.60} (not a token)")
            # RFC 9110 §5.5: leading and trailing whitespace is not part of the value.
            stripped = text(value, "value").strip(" \t")
            if _BAD_VALUE_CHAR.search(stripped):
                raise HandshakeError(f"header {name!r:.40} has a value with NUL, CR or LF: {stripped!r:.60}")
            self._values.setdefault(ascii_lower(name), []).append(stripped)

    def count(self, name: str) -> int:
        """How many lines carry the field."""
        return len(self._values.get(name, ()))

    def joined(self, name: str) -> str | None:
        """The field's lines as one comma-separated list (RFC 9110 §5.3); None if absent."""
        values = self._values.get(name)
        return None if values is None else ", ".join(values)

    def elements(self, name: str, display: str | None = None) -> list[str]:
        """The elements of a ``1#`` list field (:func:`parse_list`); [] if absent.

        ``display`` names the field in the error (default: ``name``)."""
        value = self.joined(name)
        return [] if value is None else parse_list(value, display or name)

    def has_token(self, name: str, token: str) -> bool:
        """True when the list field has ``token`` (lower case) among its elements
        (an empty list has none: the caller's 400 names the token it wanted)."""
        value = self.joined(name) or ""
        return any(ascii_lower(item.strip(" \t")) == token for item in value.split(","))

    def require_token(self, name: str, token: str, missing: str, lacking: str) -> None:
        """Check that the list field ``name`` has ``token`` (lower case) among its elements.

        Raises:
            HandshakeError: (400) ``missing`` when the field is absent, else
                ``lacking`` (its ``{value}`` the field's value) when it lacks ``token``.
        """
        if self.count(name) == 0:
            raise HandshakeError(missing)
        if not self.has_token(name, token):
            raise HandshakeError(lacking.format(value=self.joined(name)))

    def single(self, name: str, display: str) -> str | None:
        """A field that may appear at most once; None if absent.

        Raises:
            HandshakeError: it appears on more than one line.
        """
        values = self._values.get(name)
        if values is None:
            return None
        if len(values) > 1:
            raise HandshakeError(f"{display} appears {len(values)} times; it must appear once")
        return values[0]

    def required(self, name: str, display: str, missing: str) -> str:
        """:meth:`single`, for a field that must be present.

        Raises:
            HandshakeError: (400) ``missing`` when it is absent, or it appears
                on more than one line.
        """
        value = self.single(name, display)
        if value is None:
            raise HandshakeError(missing)
        return value


# ---------------------------------------------------------------------------
# Sec-WebSocket-Extensions (RFC 6455 §9.1, list rule of RFC 9110 §5.6.1)
# ---------------------------------------------------------------------------
#
#   extension-list  = 1#extension
#   extension       = extension-token *( ";" extension-param )
#   extension-param = token [ "=" ( token | quoted-string ) ]
#
# with optional whitespace (SP / HTAB) around every separator.  Empty list
# elements (", ,") are skipped, as RFC 9110 §5.6.1 asks of recipients, but
# the list must have at least one extension.


def _malformed(value: str, pos: int, what: str) -> HandshakeError:
    return HandshakeError(f"malformed Sec-WebSocket-Extensions at offset {pos}: {what} in {value!r:.80}")


def _param_value(value: str, pos: int, pname: str) -> tuple[str, int]:
    """The token or unquoted quoted-string value at ``pos``, and where it ends."""
    m = _TOKEN.match(value, pos)
    if m is not None:
        return m.group(), m.end()
    m = _QUOTED.match(value, pos)
    if m is None:
        raise _malformed(value, pos, f"expected a value for parameter {pname!r:.40}")
    unquoted = _QUOTED_PAIR.sub(r"\1", m.group(1))
    # RFC 6455 §9.1: a quoted value, unescaped, MUST be a token.
    if _TOKEN_FULL.match(unquoted) is None:
        raise _malformed(value, pos, f"quoted value of {pname!r:.40} is not a token once unquoted")
    return unquoted, m.end()


def parse_extensions(
    value: str | bytes | bytearray | memoryview,
) -> list[Extension]:
    """Parse a ``Sec-WebSocket-Extensions`` header value (RFC 6455 §9.1).

    Several header lines are one comma-separated list: join them with ``", "``
    before calling.  Each extension comes with its parameters in header order,
    duplicates kept, ``None`` for a parameter without a value; quoted-string
    values are unquoted (backslash escapes removed).  Empty list elements are
    skipped, but the field is ``1#extension``: a value without any extension
    (``""``, ``","``) is malformed.

    Args:
        value: the header value, ``str`` or ASCII ``bytes``.

    Returns:
        ``[(extension_token, [(param, value_or_None), ...]), ...]``, never empty.

    Raises:
        HandshakeError: (status 400) the value does not follow the grammar, has
            no extension, or a quoted value does not unquote to a token.
        TypeError: ``value`` is neither str nor bytes.
    """
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            value = bytes(value).decode("ascii")
        except UnicodeDecodeError:
            raise HandshakeError("malformed Sec-WebSocket-Extensions: not ASCII") from None
    elif not isinstance(value, str):
        raise TypeError(f"extensions header must be str or bytes, not {type(value).__name__}")
    result: list[Extension] = []
    n = len(value)
    pos = _skip_ows(value, 0)
    while pos < n:
        if value[pos] == ",":  # empty list element
            pos = _skip_ows(value, pos + 1)
            continue
        m = _TOKEN.match(value, pos)
        if m is None:
            raise _malformed(value, pos, "expected an extension token")
        name = m.group()
        params: list[tuple[str, str | None]] = []
        pos = _skip_ows(value, m.end())
        while pos < n and value[pos] == ";":
            pos = _skip_ows(value, pos + 1)
            m = _TOKEN.match(value, pos)
            if m is None:
                raise _malformed(value, pos, "expected a parameter name")
            pname = m.group()
            pvalue: str | None = None
            pos = _skip_ows(value, m.end())
            if pos < n and value[pos] == "=":
                pvalue, end = _param_value(value, _skip_ows(value, pos + 1), pname)
                pos = _skip_ows(value, end)
            params.append((pname, pvalue))
        result.append((name, params))
        if pos < n:
            if value[pos] != ",":
                raise _malformed(value, pos, f"unexpected {value[pos]!r}")
            pos = _skip_ows(value, pos + 1)
    if not result:
        # RFC 9110 §5.6.1: 1#extension has at least one non-empty element.
        raise _malformed(value, n, "no extension in the list")
    return result


def check_offered(answer: Iterable[Extension], offered: Iterable[Extension]) -> None:
    """A server's Sec-WebSocket-Extensions answer names only offered extensions.

    RFC 6455 §4.1 (the client's checks, item 5) and §9.1: an extension the
    client did not offer fails the connection.  Names compare
    case-insensitively.

    Raises:
        HandshakeError: naming the first extension that was not offered.
    """
    names = {ascii_lower(name) for name, _ in offered}
    for name, _ in answer:
        if ascii_lower(name) not in names:
            raise HandshakeError(f"the server answered extension {name!r:.40}, which was not offered")
