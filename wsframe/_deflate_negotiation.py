"""permessage-deflate negotiation (RFC 7692 §7.1): offer, respond, accept_response.

The agreement of one connection is a :class:`DeflateParams`; the server
builds it with :func:`respond` from the client's offers, the client with
:func:`accept_response` from the server's answer.  Re-exported by
:mod:`wsframe.deflate`, the public face.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ._headers import Extension, ascii_lower, check_offered, parse_extensions
from .errors import HandshakeError

__all__ = [
    "EXTENSION_NAME",
    "DeflateParams",
    "accept_response",
    "offer",
    "respond",
]

#: The extension token of RFC 7692 §7.
EXTENSION_NAME = "permessage-deflate"


def _as_extensions(
    value: str | bytes | bytearray | memoryview | Iterable[Extension],
) -> list[Extension]:
    if isinstance(value, (str, bytes, bytearray, memoryview)):
        return parse_extensions(value)
    try:
        items = list(value)
    except TypeError:
        raise TypeError(
            f"offers must be a header value or parse_extensions() output, not {type(value).__name__}"
        ) from None
    out: list[Extension] = []
    for item in items:
        try:
            name, params = item
            params = [(str(k), v if v is None else str(v)) for k, v in params]
        except (TypeError, ValueError):
            raise TypeError(f"each offer must be (name, [(param, value), ...]), not {item!r:.60}") from None
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
    server_max_window_bits: int | bool | None = None,
    client_max_window_bits: int | bool | None = True,
) -> str:
    """A client's permessage-deflate offer, as a header value (RFC 7692 §7.1).

    Args:
        server_no_context_takeover: ask the server to reset its compressor
            after each message.
        client_no_context_takeover: announce that this client resets its own.
        server_max_window_bits: ask the server to use a window of at most
            2**N bytes (8..15); ``None``/``False`` leaves it out (``True`` is
            an error: in a response this parameter always has a value).
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
    if server_max_window_bits is not None and server_max_window_bits is not False:
        parts.append(f"{_SMWB}={_check_bits(_SMWB, server_max_window_bits)}")
    if client_max_window_bits is True:
        parts.append(_CMWB)
    elif client_max_window_bits is not None and client_max_window_bits is not False:
        parts.append(f"{_CMWB}={_check_bits(_CMWB, client_max_window_bits)}")
    return "; ".join(parts)


def _read_params(params: Sequence[tuple[str, str | None]], side: str) -> dict[str, str | None]:
    """The parameters of one permessage-deflate element, checked by §7.1.

    Raises ValueError naming the rule broken (the caller declines or fails).
    """
    seen: dict[str, str | None] = {}
    for name, value in params:
        key = ascii_lower(name)
        # RFC 7692 §7.1: an unknown parameter, a duplicated one or an invalid
        # value makes the server decline the offer / the client fail.
        if key not in _PARAMS:
            raise ValueError(f"unknown parameter {name!r:.40} in the {side}")
        if key in seen:
            raise ValueError(f"duplicate parameter {name!r:.40} in the {side}")
        if key in (_SNCT, _CNCT):
            if value is not None:
                raise ValueError(f"{name} takes no value, got {value!r:.40} in the {side}")
        elif value is None:
            # client_max_window_bits may come without a value only in an
            # offer (RFC 7692 §7.1.2.2); server_max_window_bits never.
            if not (key == _CMWB and side == "offer"):
                raise ValueError(f"{name} needs a value in the {side}")
        elif _WINDOW_VALUE.match(value) is None:
            raise ValueError(f"invalid {name}={value!r:.40} in the {side} (must be 8..15 without leading zeros)")
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
        raise ValueError(f"the offer does not allow limiting the client's window to {cmwb} bits")
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
    if _CMWB in offered and (agreed.client_max_window_bits != 15 or offered[_CMWB] is not None):
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
        if ascii_lower(name) != EXTENSION_NAME:
            continue
        try:
            agreed = _negotiate(params, snct, cnct, smwb, cmwb)
        except ValueError:
            continue  # RFC 7692 §7.1: decline, consider the next offer
        offered = {ascii_lower(k): v for k, v in params}
        return agreed, _response_value(agreed, offered)
    return None


def _check_response(got: dict[str, str | None], offered: dict[str, str | None]) -> DeflateParams:
    """Client side of §7.1: the agreement, or ValueError to fail."""
    if _SNCT in offered and _SNCT not in got:
        # RFC 7692 §7.1.1.1: the server MUST include it when accepting.
        raise ValueError("the response lacks server_no_context_takeover, which was offered")
    offered_smwb = offered.get(_SMWB)
    got_smwb = got.get(_SMWB)
    if offered_smwb is not None:
        # RFC 7692 §7.1.2.1: accepted "with the same or smaller value".
        if got_smwb is None:
            raise ValueError(f"the response lacks server_max_window_bits, {offered_smwb} was offered")
        if int(got_smwb) > int(offered_smwb):
            raise ValueError(
                f"server_max_window_bits={got_smwb} in the response is larger than the {offered_smwb} offered"
            )
    got_cmwb = got.get(_CMWB)
    if _CMWB in got:
        # RFC 7692 §7.1.2.2: only in answer to an offer that has it.
        if _CMWB not in offered:
            raise ValueError("client_max_window_bits in the response, but it was not offered")
        offered_cmwb = offered[_CMWB]
        assert got_cmwb is not None  # _read_params: a response value is required
        if offered_cmwb is not None and int(got_cmwb) > int(offered_cmwb):
            raise ValueError(
                f"client_max_window_bits={got_cmwb} in the response is larger than the {offered_cmwb} offered"
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
    offered_all = _as_extensions(offered)
    # RFC 6455 §9.1: the server answers only extensions the client offered.
    check_offered(answer, offered_all)
    offers = [params for name, params in offered_all if ascii_lower(name) == EXTENSION_NAME]
    if not offers:
        raise HandshakeError("permessage-deflate was not offered")
    deflates = [params for name, params in answer if ascii_lower(name) == EXTENSION_NAME]
    if len(deflates) != 1:
        raise HandshakeError(f"the response must accept permessage-deflate once, not {len(deflates)} times")
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
    raise HandshakeError("permessage-deflate response does not match the offer: " + "; ".join(errors))
