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
(zlib-ng, else the standard library's zlib); see :func:`zlib_backend`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any, NoReturn

from . import _rules
from .errors import HandshakeError, ProtocolError

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

#: The extension token of RFC 7692 §7.
EXTENSION_NAME = "permessage-deflate"

#: One parsed extension: its token and its ``(name, value)`` parameters.
Extension = tuple[str, list[tuple[str, str | None]]]

# ---------------------------------------------------------------------------
# Sec-WebSocket-Extensions grammar (RFC 6455 §9.1, list rule of RFC 9110 §5.6.1)
# ---------------------------------------------------------------------------
#
#   extension-list = 1#extension
#   extension      = extension-token *( ";" extension-param )
#   extension-param = token [ "=" ( token | quoted-string ) ]
#
# with optional whitespace (SP / HTAB) around every separator.  Empty list
# elements (", ,") are ignored, as RFC 9110 §5.6.1 asks of recipients.

_OWS = re.compile(r"[ \t]*")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE (RFC 9110 §5.6.4)
_QUOTED = re.compile(r'"((?:[\t !#-\[\]-~\x80-\xff]|\\[\t -~\x80-\xff])*)"')
_QUOTED_PAIR = re.compile(r"\\(.)", re.DOTALL)
_TOKEN_FULL = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")


def _malformed(value: str, pos: int, what: str) -> HandshakeError:
    return HandshakeError(
        f"malformed Sec-WebSocket-Extensions at offset {pos}: {what} in {value!r}"
    )


def parse_extensions(
    value: str | bytes | bytearray | memoryview,
) -> list[Extension]:
    """Parse a ``Sec-WebSocket-Extensions`` header value (RFC 6455 §9.1).

    Several header lines are one comma-separated list: join them with ``", "``
    before calling.  Each extension comes with its parameters in header order,
    duplicates kept, ``None`` for a parameter without a value; quoted-string
    values are unquoted (backslash escapes removed).  An empty or blank value
    is an empty list.

    Args:
        value: the header value, ``str`` or ASCII ``bytes``.

    Returns:
        ``[(extension_token, [(param, value_or_None), ...]), ...]``.

    Raises:
        HandshakeError: (status 400) the value does not follow the grammar, or
            a quoted value does not unquote to a token (RFC 6455 §9.1).
        TypeError: ``value`` is neither str nor bytes.
    """
    if isinstance(value, (bytes, bytearray, memoryview)):
        try:
            value = bytes(value).decode("ascii")
        except UnicodeDecodeError:
            raise HandshakeError(
                "malformed Sec-WebSocket-Extensions: not ASCII"
            ) from None
    elif not isinstance(value, str):
        raise TypeError(
            f"extensions header must be str or bytes, not {type(value).__name__}"
        )
    result: list[Extension] = []
    n = len(value)
    pos = _OWS.match(value, 0).end()  # type: ignore[union-attr]
    while pos < n:
        if value[pos] == ",":  # empty list element
            pos = _OWS.match(value, pos + 1).end()  # type: ignore[union-attr]
            continue
        m = _TOKEN.match(value, pos)
        if m is None:
            raise _malformed(value, pos, "expected an extension token")
        name = m.group()
        params: list[tuple[str, str | None]] = []
        pos = _OWS.match(value, m.end()).end()  # type: ignore[union-attr]
        while pos < n and value[pos] == ";":
            pos = _OWS.match(value, pos + 1).end()  # type: ignore[union-attr]
            m = _TOKEN.match(value, pos)
            if m is None:
                raise _malformed(value, pos, "expected a parameter name")
            pname = m.group()
            pvalue: str | None = None
            pos = _OWS.match(value, m.end()).end()  # type: ignore[union-attr]
            if pos < n and value[pos] == "=":
                pos = _OWS.match(value, pos + 1).end()  # type: ignore[union-attr]
                m = _TOKEN.match(value, pos)
                if m is not None:
                    pvalue = m.group()
                else:
                    m = _QUOTED.match(value, pos)
                    if m is None:
                        raise _malformed(
                            value, pos, f"expected a value for parameter {pname!r}"
                        )
                    pvalue = _QUOTED_PAIR.sub(r"\1", m.group(1))
                    # RFC 6455 §9.1: a quoted value, unescaped, MUST be a token.
                    if _TOKEN_FULL.match(pvalue) is None:
                        raise _malformed(
                            value,
                            pos,
                            f"quoted value of {pname!r} is not a token once unquoted",
                        )
                pos = _OWS.match(value, m.end()).end()  # type: ignore[union-attr]
            params.append((pname, pvalue))
        result.append((name, params))
        if pos < n:
            if value[pos] != ",":
                raise _malformed(value, pos, f"unexpected {value[pos]!r}")
            pos = _OWS.match(value, pos + 1).end()  # type: ignore[union-attr]
    return result


def _as_extensions(
    value: str | bytes | bytearray | memoryview | Iterable[Extension],
) -> list[Extension]:
    if isinstance(value, (str, bytes, bytearray, memoryview)):
        return parse_extensions(value)
    try:
        items = list(value)
    except TypeError:
        raise TypeError(
            "offers must be a header value or parse_extensions() output, not "
            f"{type(value).__name__}"
        ) from None
    out: list[Extension] = []
    for item in items:
        try:
            name, params = item
            params = [(str(k), v if v is None else str(v)) for k, v in params]
        except (TypeError, ValueError):
            raise TypeError(
                f"each offer must be (name, [(param, value), ...]), not {item!r}"
            ) from None
        out.append((str(name), params))
    return out


# ---------------------------------------------------------------------------
# Negotiation (RFC 7692 §7.1)
# ---------------------------------------------------------------------------

_SNCT = "server_no_context_takeover"
_CNCT = "client_no_context_takeover"
_SMWB = "server_max_window_bits"
_CMWB = "client_max_window_bits"
_PARAMS = frozenset((_SNCT, _CNCT, _SMWB, _CMWB))
# RFC 7692 §7.1.2.1 / §7.1.2.2: a decimal integer 8..15 without leading zeros.
_WINDOW_VALUE = re.compile(r"(?:[89]|1[0-5])\Z")


@dataclass(frozen=True)
class DeflateParams:
    """The permessage-deflate agreement of one connection (RFC 7692 §7.1).

    Attributes:
        server_no_context_takeover: the server resets its compressor after
            each message.
        client_no_context_takeover: the client resets its compressor after
            each message.
        server_max_window_bits: the largest LZ77 window (2**bits bytes) the
            server compresses with, 8..15.
        client_max_window_bits: the same for the client.

    Raises:
        TypeError: a flag is not a bool or a window not an int.
        ValueError: a window outside 8..15.
    """

    server_no_context_takeover: bool = False
    client_no_context_takeover: bool = False
    server_max_window_bits: int = 15
    client_max_window_bits: int = 15

    def __post_init__(self) -> None:
        for name in (_SNCT, _CNCT):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"{name} must be a bool")
        for name in (_SMWB, _CMWB):
            bits = getattr(self, name)
            if isinstance(bits, bool) or not isinstance(bits, int):
                raise TypeError(f"{name} must be an int")
            if not 8 <= bits <= 15:
                raise ValueError(f"{name} must be between 8 and 15, got {bits}")

    def header_value(self) -> str:
        """This agreement written as a response (every parameter explicit)."""
        parts = [EXTENSION_NAME]
        if self.server_no_context_takeover:
            parts.append(_SNCT)
        if self.client_no_context_takeover:
            parts.append(_CNCT)
        if self.server_max_window_bits != 15:
            parts.append(f"{_SMWB}={self.server_max_window_bits}")
        if self.client_max_window_bits != 15:
            parts.append(f"{_CMWB}={self.client_max_window_bits}")
        return "; ".join(parts)


def _check_flag(name: str, flag: object) -> bool:
    if not isinstance(flag, bool):
        raise TypeError(f"{name} must be a bool, not {type(flag).__name__}")
    return flag


def _check_bits(name: str, bits: object) -> int:
    if isinstance(bits, bool) or not isinstance(bits, int):
        raise TypeError(f"{name} must be an int 8..15, not {bits!r}")
    if not 8 <= bits <= 15:
        raise ValueError(f"{name} must be between 8 and 15, got {bits}")
    return bits


def offer(
    *,
    server_no_context_takeover: bool = False,
    client_no_context_takeover: bool = False,
    server_max_window_bits: int | None = None,
    client_max_window_bits: int | bool | None = True,
) -> str:
    """A client's permessage-deflate offer, as a header value (RFC 7692 §7.1).

    Args:
        server_no_context_takeover: ask the server to reset its compressor
            after each message.
        client_no_context_takeover: announce that this client resets its own.
        server_max_window_bits: ask the server to use a window of at most
            2**N bytes (8..15); ``None`` leaves it out.
        client_max_window_bits: an int 8..15 promises that this client's
            window is at most that; ``True`` (the default) sends the parameter
            without a value (the server may then choose one);
            ``None``/``False`` leaves it out.

    Raises:
        TypeError, ValueError: an argument of the wrong type or out of range.
    """
    parts = [EXTENSION_NAME]
    if _check_flag(_SNCT, server_no_context_takeover):
        parts.append(_SNCT)
    if _check_flag(_CNCT, client_no_context_takeover):
        parts.append(_CNCT)
    if server_max_window_bits is not None:
        parts.append(f"{_SMWB}={_check_bits(_SMWB, server_max_window_bits)}")
    if client_max_window_bits is True:
        parts.append(_CMWB)
    elif client_max_window_bits is not None and client_max_window_bits is not False:
        parts.append(f"{_CMWB}={_check_bits(_CMWB, client_max_window_bits)}")
    return "; ".join(parts)


def _read_params(
    params: Sequence[tuple[str, str | None]], side: str
) -> dict[str, str | None]:
    """The parameters of one permessage-deflate element, checked by §7.1.

    Raises ValueError naming the rule broken (the caller declines or fails).
    """
    seen: dict[str, str | None] = {}
    for name, value in params:
        key = name.lower()
        # RFC 7692 §7.1: an unknown parameter, a duplicated one or an invalid
        # value makes the server decline the offer / the client fail.
        if key not in _PARAMS:
            raise ValueError(f"unknown parameter {name!r} in the {side}")
        if key in seen:
            raise ValueError(f"duplicate parameter {name!r} in the {side}")
        if key in (_SNCT, _CNCT):
            if value is not None:
                raise ValueError(f"{name} takes no value, got {value!r} in the {side}")
        elif value is None:
            # client_max_window_bits may come without a value only in an
            # offer (RFC 7692 §7.1.2.2); server_max_window_bits never.
            if not (key == _CMWB and side == "offer"):
                raise ValueError(f"{name} needs a value in the {side}")
        elif _WINDOW_VALUE.match(value) is None:
            raise ValueError(
                f"invalid {name}={value!r} in the {side} "
                "(must be 8..15 without leading zeros)"
            )
        seen[key] = value
    return seen


def _negotiate(
    params: Sequence[tuple[str, str | None]],
    snct: bool,
    cnct: bool,
    smwb: int,
    cmwb: int,
) -> DeflateParams:
    """The server's agreement for one offer, or ValueError to decline it."""
    got = _read_params(params, "offer")
    # RFC 7692 §7.1.1.1: an offered server_no_context_takeover must be
    # honoured; the server may also impose it on itself.
    server_nct = snct or _SNCT in got
    # RFC 7692 §7.1.1.2: the server may require client_no_context_takeover;
    # when the client offers it, it is echoed so that both ends know the
    # server may reset its decompressor after each message.
    client_nct = cnct or _CNCT in got
    # RFC 7692 §7.1.2.1: answer with the offered value or a smaller one.
    server_bits = smwb
    offered_smwb = got.get(_SMWB)
    if offered_smwb is not None:
        server_bits = min(server_bits, int(offered_smwb))
    # RFC 7692 §7.1.2.2: without client_max_window_bits in the offer the
    # server must not limit the client's window; a policy below 15 then
    # cannot be met and the offer is declined.
    if _CMWB in got:
        offered_cmwb = got[_CMWB]
        client_bits = cmwb if offered_cmwb is None else min(cmwb, int(offered_cmwb))
    elif cmwb < 15:
        raise ValueError(
            f"the offer does not allow limiting the client's window to {cmwb} bits"
        )
    else:
        client_bits = 15
    return DeflateParams(server_nct, client_nct, server_bits, client_bits)


def _response_value(agreed: DeflateParams, offered: dict[str, str | None]) -> str:
    parts = [EXTENSION_NAME]
    if agreed.server_no_context_takeover:
        parts.append(_SNCT)
    if agreed.client_no_context_takeover:
        parts.append(_CNCT)
    # A requested server window is always answered (§7.1.2.1: "by including").
    if agreed.server_max_window_bits != 15 or _SMWB in offered:
        parts.append(f"{_SMWB}={agreed.server_max_window_bits}")
    # Only when offered (§7.1.2.2); explicit when the client gave a value, so
    # the agreement does not depend on the client remembering its offer.
    if _CMWB in offered and (
        agreed.client_max_window_bits != 15 or offered[_CMWB] is not None
    ):
        parts.append(f"{_CMWB}={agreed.client_max_window_bits}")
    return "; ".join(parts)


def respond(
    offers: str | bytes | Iterable[Extension],
    *,
    server_no_context_takeover: bool = False,
    client_no_context_takeover: bool = False,
    server_max_window_bits: int = 15,
    client_max_window_bits: int = 15,
) -> tuple[DeflateParams, str] | None:
    """A server's answer to a client's permessage-deflate offers (RFC 7692 §7.1).

    The first acceptable ``permessage-deflate`` offer wins.  An offer with an
    unknown or duplicated parameter or an invalid value is declined (never
    answered) and the next one considered.  The keywords are the server's
    policy: the takeover flags it requires and the largest windows it allows.
    An offer that says nothing about the client's window is declined when the
    policy limits it (``client_max_window_bits < 15``): the server may not
    impose a limit the client did not invite.

    A window of 8 bits is accepted: the :class:`Deflater` then compresses with
    run-length matches only (distance 1), which any 8-bit inflater accepts,
    since zlib refuses to build a raw 8-bit compressor.

    Args:
        offers: the client's ``Sec-WebSocket-Extensions`` value (str/bytes) or
            :func:`parse_extensions` output (``Request.extensions``).
        server_no_context_takeover: the server resets its compressor after
            every message even if the client did not ask.
        client_no_context_takeover: require the client to reset its
            compressor (lets the server drop its inflate window between
            messages).
        server_max_window_bits: the largest window the server compresses with.
        client_max_window_bits: the largest window the server is willing to
            inflate with (a policy below 15 needs the client's consent).

    Returns:
        ``(agreement, response_header_value)``, or ``None`` when no offer is
        acceptable (answer without the extension).

    Raises:
        HandshakeError: ``offers`` is a malformed header value (400).
        TypeError, ValueError: a policy argument of the wrong type or range.
    """
    snct = _check_flag(_SNCT, server_no_context_takeover)
    cnct = _check_flag(_CNCT, client_no_context_takeover)
    smwb = _check_bits(_SMWB, server_max_window_bits)
    cmwb = _check_bits(_CMWB, client_max_window_bits)
    for name, params in _as_extensions(offers):
        if name.lower() != EXTENSION_NAME:
            continue
        try:
            agreed = _negotiate(params, snct, cnct, smwb, cmwb)
        except ValueError:
            continue  # RFC 7692 §7.1: decline, consider the next offer
        offered = {k.lower(): v for k, v in params}
        return agreed, _response_value(agreed, offered)
    return None


def _check_response(
    got: dict[str, str | None], offered: dict[str, str | None]
) -> DeflateParams:
    """Client side of §7.1: the agreement, or ValueError to fail."""
    if _SNCT in offered and _SNCT not in got:
        # RFC 7692 §7.1.1.1: the server MUST include it when accepting.
        raise ValueError(
            "the response lacks server_no_context_takeover, which was offered"
        )
    offered_smwb = offered.get(_SMWB)
    got_smwb = got.get(_SMWB)
    if offered_smwb is not None:
        # RFC 7692 §7.1.2.1: accepted "with the same or smaller value".
        if got_smwb is None:
            raise ValueError(
                f"the response lacks server_max_window_bits, {offered_smwb} was offered"
            )
        if int(got_smwb) > int(offered_smwb):
            raise ValueError(
                f"server_max_window_bits={got_smwb} in the response is larger "
                f"than the {offered_smwb} offered"
            )
    got_cmwb = got.get(_CMWB)
    if _CMWB in got:
        # RFC 7692 §7.1.2.2: only in answer to an offer that has it.
        if _CMWB not in offered:
            raise ValueError(
                "client_max_window_bits in the response, but it was not offered"
            )
        offered_cmwb = offered[_CMWB]
        assert got_cmwb is not None  # _read_params: a response value is required
        if offered_cmwb is not None and int(got_cmwb) > int(offered_cmwb):
            raise ValueError(
                f"client_max_window_bits={got_cmwb} in the response is larger "
                f"than the {offered_cmwb} offered"
            )
        client_bits = int(got_cmwb)
    else:
        # The client keeps the promise of its offer (RFC 7692 §7.1.2.2).
        offered_cmwb = offered.get(_CMWB)
        client_bits = 15 if offered_cmwb is None else int(offered_cmwb)
    return DeflateParams(
        server_no_context_takeover=_SNCT in got,
        # An offered client_no_context_takeover is a promise kept (§7.1.1.2).
        client_no_context_takeover=_CNCT in got or _CNCT in offered,
        server_max_window_bits=15 if got_smwb is None else int(got_smwb),
        client_max_window_bits=client_bits,
    )


def accept_response(
    response: str | bytes | Iterable[Extension],
    offered: str | bytes | Iterable[Extension],
) -> DeflateParams:
    """Check a server's permessage-deflate response against the client's offer.

    Args:
        response: the server's ``Sec-WebSocket-Extensions`` value.
        offered: what the client sent (typically :func:`offer`'s value; with
            several permessage-deflate offers the response may answer any).

    Returns:
        The agreement (for :class:`Inflater` / :class:`Deflater` with
        ``client=True``).

    Raises:
        HandshakeError: RFC 7692 §7.1 says to fail the connection: the
            response has no or several permessage-deflate elements, an
            extension that was not offered, an unknown, duplicated or
            valueless parameter, an invalid value, a window larger than
            offered, ``client_max_window_bits`` that was not offered, or omits
            a parameter the server had to echo.
    """
    answer = _as_extensions(response)
    offers = [
        params
        for name, params in _as_extensions(offered)
        if name.lower() == EXTENSION_NAME
    ]
    if not offers:
        raise HandshakeError("permessage-deflate was not offered")
    deflates = [params for name, params in answer if name.lower() == EXTENSION_NAME]
    others = [name for name, _ in answer if name.lower() != EXTENSION_NAME]
    if others:
        raise HandshakeError(
            f"the response accepts extensions that were not offered: {others}"
        )
    if len(deflates) != 1:
        raise HandshakeError(
            f"the response must accept permessage-deflate once, not {len(deflates)} times"
        )
    try:
        got = _read_params(deflates[0], "response")
    except ValueError as exc:
        raise HandshakeError(f"invalid permessage-deflate response: {exc}") from None
    errors: list[str] = []
    for params in offers:
        try:
            mine = _read_params(params, "offer")
            return _check_response(got, mine)
        except ValueError as exc:
            errors.append(str(exc))
    raise HandshakeError(
        "permessage-deflate response does not match the offer: " + "; ".join(errors)
    )


# ---------------------------------------------------------------------------
# zlib backends
# ---------------------------------------------------------------------------

#: The backends wsframe knows by name, and the module each name imports.
BACKENDS: dict[str, str] = {
    "zlib": "zlib",
    "zlib-ng": "zlib_ng.zlib_ng",
    "isal": "isal.isal_zlib",
}
_PACKAGES = {"zlib": "(standard library)", "zlib-ng": "zlib-ng", "isal": "isal"}
#: Preference order for ``zlib=None`` without ``$WSFRAME_ZLIB``: the fastest
#: installed.  isal is never picked by default: it inflates small messages
#: more slowly than zlib (docs/deflate.md).
_PREFERENCE = ("zlib-ng", "zlib")
_API = (
    "compressobj",
    "decompressobj",
    "error",
    "DEFLATED",
    "Z_SYNC_FLUSH",
    "Z_FULL_FLUSH",
    "Z_DEFAULT_STRATEGY",
)


def _import_backend(name: str) -> ModuleType:
    try:
        dotted = BACKENDS[name]
    except KeyError:
        raise ValueError(
            f"unknown zlib backend {name!r}; choose one of {', '.join(BACKENDS)}"
        ) from None
    import importlib

    try:
        return importlib.import_module(dotted)
    except ImportError as exc:
        raise ImportError(
            f"zlib backend {name!r} needs the {_PACKAGES[name]!r} package, "
            f"which is not installed ({exc}); pip install {_PACKAGES[name]}"
        ) from exc


_default_cache: dict[str | None, ModuleType] = {}


def zlib_backend(zlib: ModuleType | str | None = None) -> ModuleType:
    """Resolve the zlib module that :class:`Inflater`/:class:`Deflater` use.

    Args:
        zlib: ``None`` for the default (``$WSFRAME_ZLIB`` if set, else zlib-ng
            when installed, else the standard library's zlib); a name from
            :data:`BACKENDS` (``"zlib"``, ``"zlib-ng"``, ``"isal"``); or a
            module with zlib's API (``compressobj``, ``decompressobj``,
            ``error``, constants).

    Raises:
        ValueError: an unknown backend name (also from ``$WSFRAME_ZLIB``).
        ImportError: the named backend's package is not installed.
        TypeError: an object that is not a module with zlib's API.
    """
    if zlib is None:
        env = os.environ.get("WSFRAME_ZLIB") or None
        module = _default_cache.get(env)
        if module is None:
            if env is not None:
                try:
                    module = _import_backend(env)
                except ValueError as exc:
                    raise ValueError(f"WSFRAME_ZLIB: {exc}") from None
            else:
                for name in _PREFERENCE:
                    try:
                        module = _import_backend(name)
                        break
                    except ImportError:
                        continue
                assert module is not None  # the standard library's zlib
            _default_cache[env] = module
        return module
    if isinstance(zlib, str):
        return _import_backend(zlib)
    if not isinstance(zlib, ModuleType) or not all(hasattr(zlib, a) for a in _API):
        raise TypeError(
            "zlib must be None, a backend name or a module with zlib's API, "
            f"not {zlib!r}"
        )
    return zlib


def backend_name(zlib: ModuleType) -> str:
    """The :data:`BACKENDS` name of a zlib module, else its ``__name__``."""
    for name, dotted in BACKENDS.items():
        if zlib.__name__ == dotted:
            return name
    return zlib.__name__


# ---------------------------------------------------------------------------
# Inflate (RFC 7692 §7.2.2)
# ---------------------------------------------------------------------------

#: RFC 7692 §7.2.2: appended to a message before inflating; §7.2.1: removed
#: from the end of a compressed message.
_TRAILER = b"\x00\x00\xff\xff"
# Beyond this a bound is no bound: max_length must fit a Py_ssize_t.
_NO_LIMIT = (1 << 62)


class _Ended:
    """Stands in for a decompressor whose stream ended before its message."""

    eof = True
    unconsumed_tail = b""

    @staticmethod
    def decompress(data: object, max_length: int = 0) -> bytes:
        return b""


_ENDED = _Ended()


def _peer_side(params: DeflateParams, peer_is_server: bool) -> tuple[bool, int]:
    if peer_is_server:
        return params.server_no_context_takeover, params.server_max_window_bits
    return params.client_no_context_takeover, params.client_max_window_bits


class Inflater:
    """Decompressor for the compressed messages one peer sends (RFC 7692 §7.2.2).

    ``client=False`` (the default) means this side is the server, so the
    client's ``client_no_context_takeover`` and ``client_max_window_bits``
    govern what is inflated; ``client=True`` reads the server's.

    The window is reset after each message exactly when the peer may not
    take over context; the decompressor is then dropped between messages and
    an idle connection holds no inflate memory.  An agreed 8-bit window is
    inflated with a 9-bit one: zlib cannot compress raw deflate with an 8-bit
    window and silently uses 9, so peers built on zlib send 9-bit distances
    (accepting them is harmless).  A peer that ends a message with a final
    (BFINAL) block has ended its DEFLATE stream: the rest of that message is
    ignored and its next message starts a new stream without history.

    Args:
        params: the agreement.
        client: True when this side is the client.
        zlib: the zlib backend (see :func:`zlib_backend`).

    Raises:
        TypeError: ``params`` is not a :class:`DeflateParams`.
    """

    __slots__ = (
        "_d",
        "_decompressobj",
        "_error",
        "_reset",
        "_wbits",
        "_zerror",
        "params",
        "zlib",
        "zlib_name",
    )

    params: DeflateParams
    zlib: ModuleType
    zlib_name: str

    def __init__(
        self,
        params: DeflateParams,
        *,
        client: bool = False,
        zlib: ModuleType | str | None = None,
    ) -> None:
        if not isinstance(params, DeflateParams):
            raise TypeError(f"params must be DeflateParams, not {type(params).__name__}")
        self.params = params
        self.zlib = zlib_backend(zlib)
        self.zlib_name = backend_name(self.zlib)
        self._reset, bits = _peer_side(params, peer_is_server=bool(client))
        self._wbits = -max(bits, 9)
        self._decompressobj = self.zlib.decompressobj
        self._zerror = self.zlib.error
        self._d: Any = None
        self._error: ProtocolError | None = None

    def feed(
        self,
        payload: bytes | bytearray | memoryview,
        *,
        fin: bool,
        max_size: int | None = None,
    ) -> bytes:
        """Inflate one frame's payload of a compressed message.

        Args:
            payload: the frame's (unmasked) payload.
            fin: True for the message's final frame: the trailer
                ``00 00 ff ff`` is appended and the message ends.
            max_size: the most output this call may produce (the assembler
                passes what is left of the message's budget); ``None``
                means no bound.

        Returns:
            The inflated bytes of this frame.

        Raises:
            PayloadTooBig: (1009) the output would pass ``max_size``; at most
                ``max_size + 1`` bytes were inflated.
            ProtocolError: (1002) corrupt compressed data.  After either
                error the inflater is unusable: every later call raises it.
            TypeError, ValueError: bad arguments.
        """
        d = self._d
        if d is None:
            d = self._start()
        if fin:
            data: bytes | bytearray | memoryview = (
                payload + _TRAILER
                if type(payload) is bytes
                else b"".join((payload, _TRAILER))  # one copy, any buffer
            )
        else:
            data = payload
        try:
            if max_size is None:
                out: bytes = d.decompress(data)
            elif 0 <= max_size < _NO_LIMIT:
                # Ask for one byte more than allowed: getting it proves the
                # message too big, and nothing more was inflated.
                out = d.decompress(data, max_size + 1)
                if len(out) > max_size or d.unconsumed_tail:
                    out = self._rest(d, out, max_size)
            elif max_size >= _NO_LIMIT:
                out = d.decompress(data)
            else:
                raise ValueError(f"max_size must be >= 0, got {max_size}")
        except self._zerror as exc:
            self._fail(_rules.corrupt_compressed(exc))
        if fin:
            if self._reset or d.eof:
                self._d = None
        elif d.eof:
            # RFC 7692 §7.2.3.4: the peer ended its DEFLATE stream with a
            # final block; what follows in this message carries nothing.
            self._d = _ENDED
        return out

    def _start(self) -> Any:
        if self._error is not None:
            raise self._error
        d = self._d = self._decompressobj(self._wbits)
        return d

    def _rest(self, d: Any, out: bytes, max_size: int) -> bytes:
        # A call that fills its max_length may leave output pending inside
        # the decompressor even with an empty unconsumed_tail (python-isal
        # #248), so "tail empty" never means "done" by itself: only a call
        # that returns less than it was allowed to and leaves no tail does.
        # Here the first call either overflowed (too big) or left a tail.
        if len(out) > max_size:
            self._too_big(max_size)
        pieces = [out]
        room = max_size - len(out)
        tail = d.unconsumed_tail
        while tail:
            piece = d.decompress(tail, room + 1)
            if len(piece) > room:
                self._too_big(max_size)
            room -= len(piece)
            pieces.append(piece)
            tail = d.unconsumed_tail
        return b"".join(pieces)

    def _too_big(self, max_size: int) -> NoReturn:
        self._fail(_rules.inflated_too_big(max_size))

    def _fail(self, exc: ProtocolError) -> NoReturn:
        self._error = exc
        self._d = None
        raise exc

    def __repr__(self) -> str:
        return f"Inflater({self.params!r}, zlib={self.zlib_name!r})"


# ---------------------------------------------------------------------------
# Deflate (RFC 7692 §7.2.1)
# ---------------------------------------------------------------------------

#: Default compression level (see docs/deflate.md for the measurements).
DEFAULT_LEVEL = 1
#: Default zlib memLevel (zlib-ng ignores it; see docs/deflate.md).
DEFAULT_MEM_LEVEL = 5


class Deflater:
    """Compressor for the messages this side sends (RFC 7692 §7.2.1).

    Each message is compressed whole, flushed with ``Z_SYNC_FLUSH`` and
    stripped of the trailing ``00 00 ff ff``.  When this side may not take
    over context (its ``*_no_context_takeover``), the history is discarded
    after each message (a ``Z_FULL_FLUSH``, which resets the compressor
    without reallocating it); otherwise it is kept across messages.

    An agreed 8-bit window cannot be honoured by zlib (it refuses raw 8-bit
    compression, or silently uses 9): the compressor then uses the
    ``Z_RLE`` strategy, whose matches all have distance 1, so any 8-bit
    inflater accepts the output.  isal ignores strategies, so an 8-bit
    Deflater on isal compresses with the standard library's zlib.

    Args:
        params: the agreement.
        client: True when this side is the client (the client's window and
            takeover parameters then apply).
        level: zlib compression level 0..9 (isal: 0..3).
        mem_level: zlib memLevel 1..9 (memory for the match finder).
        min_size: messages shorter than this are sent uncompressed
            (``encode_message`` checks ``len(payload) < deflater.min_size``).
        zlib: the zlib backend (see :func:`zlib_backend`).

    Raises:
        TypeError, ValueError: bad arguments.
    """

    __slots__ = (
        "_c",
        "_compressobj",
        "_flush_mode",
        "_strategy",
        "_wbits",
        "_zerror",
        "level",
        "mem_level",
        "min_size",
        "params",
        "zlib",
        "zlib_name",
    )

    params: DeflateParams
    zlib: ModuleType
    zlib_name: str
    level: int
    mem_level: int
    min_size: int

    def __init__(
        self,
        params: DeflateParams,
        *,
        client: bool = False,
        level: int = DEFAULT_LEVEL,
        mem_level: int = DEFAULT_MEM_LEVEL,
        min_size: int = 0,
        zlib: ModuleType | str | None = None,
    ) -> None:
        if not isinstance(params, DeflateParams):
            raise TypeError(f"params must be DeflateParams, not {type(params).__name__}")
        for name, value, low, high in (
            ("level", level, -1, 9),
            ("mem_level", mem_level, 1, 9),
            ("min_size", min_size, 0, None),
        ):
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"{name} must be an int, not {value!r}")
            if value < low or (high is not None and value > high):
                raise ValueError(f"{name} out of range: {value}")
        self.params = params
        self.level = level
        self.mem_level = mem_level
        self.min_size = min_size
        module = zlib_backend(zlib)
        reset, bits = _peer_side(params, peer_is_server=not client)
        strategy = module.Z_DEFAULT_STRATEGY
        if bits == 8:
            if backend_name(module) == "isal":
                module = _import_backend("zlib")
            strategy = getattr(module, "Z_RLE", 3)  # 3 in zlib.h
            bits = 9
        self.zlib = module
        self.zlib_name = backend_name(module)
        self._wbits = -bits
        self._strategy = strategy
        self._flush_mode = module.Z_FULL_FLUSH if reset else module.Z_SYNC_FLUSH
        self._compressobj = module.compressobj
        self._zerror = module.error
        # Built once here so that a level or memLevel the backend refuses
        # (isal: levels 0..3) fails now, then dropped: the compressor is
        # allocated at the first message, so an idle connection costs nothing.
        self._c: Any = self._new_compressor()
        self._c = None

    def _new_compressor(self) -> Any:
        try:
            return self._compressobj(
                self.level, self.zlib.DEFLATED, self._wbits, self.mem_level, self._strategy
            )
        except (self._zerror, ValueError) as exc:
            raise ValueError(
                f"{self.zlib_name} cannot compress with level={self.level}, "
                f"mem_level={self.mem_level}, window={-self._wbits}: {exc}"
            ) from None

    def compress(self, payload: bytes | bytearray | memoryview) -> bytes:
        """Compress one whole message (RFC 7692 §7.2.1).

        Args:
            payload: the message's data (bytes-like; encode text first).

        Returns:
            The compressed payload, trailing ``00 00 ff ff`` removed; an
            empty message becomes ``00``.

        Raises:
            TypeError: ``payload`` is not bytes-like.
        """
        c = self._c
        if c is None:
            c = self._c = self._new_compressor()
        data: bytes = c.compress(payload)
        # The flush ends with an empty stored block, 00 00 ff ff, which it
        # emits itself: dropping it from the flush's output avoids copying
        # the (possibly large) compressed body twice.
        tail: bytes = c.flush(self._flush_mode)[:-4]
        return data + tail if data else tail

    def __repr__(self) -> str:
        return (
            f"Deflater({self.params!r}, level={self.level}, mem_level={self.mem_level}, "
            f"min_size={self.min_size}, zlib={self.zlib_name!r})"
        )
