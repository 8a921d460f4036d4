"""Tests for the WebSocket handshake over HTTP/2 in :mod:`wsframe.handshake` (RFC 8441).

One test per requirement of RFC 8441 §4-§5 and of the RFC 9113 rules they
rest on (§8.2 field names and values, §8.2.2 connection-specific fields, §8.3
pseudo-header fields), through the public module.  The module is pure Python;
the suite runs once per backend in CI all the same.
"""

from __future__ import annotations

from typing import Any

import pytest

from wsframe import deflate
from wsframe.handshake import (
    HandshakeError,
    Request,
    check_connect_request,
    check_connect_response,
    connect_request_headers,
    connect_response_headers,
)

# RFC 8441 §5.1's example request, in its order.
EXAMPLE = [
    (":method", "CONNECT"),
    (":protocol", "websocket"),
    (":scheme", "https"),
    (":path", "/chat"),
    (":authority", "server.example.com"),
    ("sec-websocket-protocol", "chat, superchat"),
    ("sec-websocket-extensions", "permessage-deflate"),
    ("sec-websocket-version", "13"),
    ("origin", "http://www.example.com"),
]


def _without(name: str, headers: list[tuple[str, str]] = EXAMPLE) -> list[tuple[str, str]]:
    return [(n, v) for n, v in headers if n != name]


def _replace(name: str, value: str) -> list[tuple[str, str]]:
    return [(n, value if n == name else v) for n, v in EXAMPLE]


def _refused(headers: Any, status: int = 400) -> HandshakeError:
    with pytest.raises(HandshakeError) as info:
        check_connect_request(headers)
    assert info.value.status == status, info.value
    return info.value


# --------------------------------------------------------------------------- RFC 8441 §4


def test_rfc8441_5_1_example_request_is_accepted() -> None:
    request = check_connect_request(EXAMPLE)
    assert request == Request(
        key=None,
        subprotocols=["chat", "superchat"],
        extensions=[("permessage-deflate", [])],
        host="server.example.com",
        origin="http://www.example.com",
    )


def test_rfc8441_4_headers_as_bytes_are_read_as_h2_gives_them() -> None:
    encoded = [(n.encode(), v.encode()) for n, v in EXAMPLE]
    assert check_connect_request(encoded) == check_connect_request(EXAMPLE)


@pytest.mark.parametrize("name", [":scheme", ":path"])
def test_rfc8441_4_scheme_and_path_must_be_included(name: str) -> None:
    # §4: "On requests that contain the :protocol pseudo-header field, the :scheme and :path
    # pseudo-header fields of the target URI MUST also be included."
    assert name in str(_refused(_without(name)))


def test_rfc8441_4_authority_names_the_target_and_must_be_present() -> None:
    # §4: :authority is the target URI's authority (RFC 9113 §8.3.1), not a host to tunnel to;
    # §5: it carries what Host carried in RFC 6455.
    assert check_connect_request(_replace(":authority", "example.org:8443")).host == "example.org:8443"
    assert ":authority" in str(_refused(_without(":authority")))
    _refused(_replace(":authority", ""))
    # RFC 9113 §8.3.1: no userinfo in the authority of an http(s) URI.
    assert "userinfo" in str(_refused(_replace(":authority", "user:pw@server.example.com")))


def test_rfc8441_4_protocol_is_only_for_connect() -> None:
    # §4 extends CONNECT only; a GET (or any other method) with :protocol is no WebSocket request.
    assert "CONNECT" in str(_refused(_replace(":method", "GET")))
    _refused(_without(":method"))


# --------------------------------------------------------------------------- RFC 8441 §5


def test_rfc8441_5_protocol_must_be_websocket() -> None:
    # §5: ":protocol ... MUST be included in the CONNECT request, and it MUST have a value of
    # 'websocket'".  A plain CONNECT (a tunnel) is not a WebSocket request.
    assert ":protocol" in str(_refused(_without(":protocol")))
    _refused(_replace(":protocol", "webtransport"))
    _refused(_replace(":protocol", "websocket2"))
    # An upgrade token: RFC 9110 §7.8 compares protocol names case-insensitively.
    assert check_connect_request(_replace(":protocol", "WebSocket")).host == "server.example.com"


def test_rfc8441_5_scheme_is_https_for_wss_and_http_for_ws() -> None:
    assert check_connect_request(_replace(":scheme", "http")).host == "server.example.com"
    _refused(_replace(":scheme", "wss"))
    _refused(_replace(":scheme", "ws"))
    assert connect_request_headers("a.example")[2] == (":scheme", "https")
    assert connect_request_headers("a.example", scheme="http")[2] == (":scheme", "http")
    with pytest.raises(ValueError, match="scheme"):
        connect_request_headers("a.example", scheme="wss")


@pytest.mark.parametrize(("name", "value"), [("connection", "upgrade"), ("upgrade", "websocket")])
def test_rfc8441_5_connection_and_upgrade_must_not_be_included(name: str, value: str) -> None:
    # §5: "They MUST NOT be included in the CONNECT request defined here."
    assert name in str(_refused([*EXAMPLE, (name, value)]))
    assert name not in {n for n, _ in connect_request_headers("a.example")}


def test_rfc8441_5_host_is_conveyed_by_authority() -> None:
    # §5: the Host information is in :authority; a Host field, if any, must agree
    # (RFC 9113 §8.3.1: a server SHOULD treat a disagreement as malformed).
    assert check_connect_request([*EXAMPLE, ("host", "server.example.com")]).host == "server.example.com"
    _refused([*EXAMPLE, ("host", "evil.example")])
    assert "host" not in {n for n, _ in connect_request_headers("a.example")}


def test_rfc8441_5_no_key_and_no_accept() -> None:
    # §5: Sec-WebSocket-Key and Sec-WebSocket-Accept are not processed: none is needed, one
    # sent (even malformed) is ignored, the request has no key and the answer no accept value.
    assert check_connect_request(EXAMPLE).key is None
    assert check_connect_request([*EXAMPLE, ("sec-websocket-key", "not base64")]).key is None
    assert {n for n, _ in connect_request_headers("a.example")}.isdisjoint({"sec-websocket-key"})
    assert connect_response_headers() == [(":status", "200")]
    assert check_connect_response([(":status", "200"), ("sec-websocket-accept", "x")]) == (None, None)


def test_rfc8441_5_version_13_as_in_rfc6455() -> None:
    # §5: Sec-WebSocket-Version is used as in RFC 6455: missing -> 400, another -> 426 with the
    # version this server speaks (RFC 6455 §4.2.2), the name lowercase for HTTP/2.
    assert "Sec-WebSocket-Version" in str(_refused(_without("sec-websocket-version")))
    refused = _refused(_replace("sec-websocket-version", "8"), status=426)
    assert refused.headers == (("sec-websocket-version", "13"),)
    _refused(_replace("sec-websocket-version", "x13"))
    _refused([*EXAMPLE, ("sec-websocket-version", "13")])  # more than once
    assert ("sec-websocket-version", "13") in connect_request_headers("a.example")


def test_rfc8441_5_origin_as_in_rfc6455() -> None:
    assert check_connect_request(_without("origin")).origin is None
    assert ("origin", "https://a.example") in connect_request_headers("a.example", origin="https://a.example")


def test_rfc8441_5_subprotocols_as_in_rfc6455() -> None:
    # The client's order; a malformed list is refused; the server answers one it was offered.
    assert check_connect_request(_replace("sec-websocket-protocol", "b, a")).subprotocols == ["b", "a"]
    _refused(_replace("sec-websocket-protocol", "chat, chat"))
    _refused(_replace("sec-websocket-protocol", "ch@t"))
    headers = connect_request_headers("a.example", subprotocols=["chat", "superchat"])
    assert ("sec-websocket-protocol", "chat, superchat") in headers
    with pytest.raises(ValueError):
        connect_request_headers("a.example", subprotocols=["ch at"])
    response = connect_response_headers(subprotocol="chat")
    assert response == [(":status", "200"), ("sec-websocket-protocol", "chat")]
    assert check_connect_response(response, subprotocols=["superchat", "chat"]) == ("chat", None)
    with pytest.raises(HandshakeError, match="not one of"):
        check_connect_response(response, subprotocols=["superchat"])
    with pytest.raises(HandshakeError, match="none was offered"):
        check_connect_response(response)


def test_rfc8441_5_permessage_deflate_negotiated_as_in_rfc6455() -> None:
    # Client offer -> server agreement -> client check, exactly as over HTTP/1.1.
    offer = deflate.offer(client_no_context_takeover=True)
    request = check_connect_request(connect_request_headers("a.example", extensions=offer))
    agreement = deflate.respond(request.extensions)
    assert agreement is not None
    params, value = agreement
    response = connect_response_headers(extensions=value)
    assert response == [(":status", "200"), ("sec-websocket-extensions", value)]
    subprotocol, answered = check_connect_response(response, extensions=offer)
    assert subprotocol is None and answered == value
    assert deflate.accept_response(answered, offer) == params
    # An extension answered without an offer, or one not offered, fails the client.
    with pytest.raises(HandshakeError, match="no extension was offered"):
        check_connect_response(response)
    with pytest.raises(HandshakeError, match="not offered"):
        check_connect_response([(":status", "200"), ("sec-websocket-extensions", "x-other")], extensions=offer)
    # A malformed offer is a 400, as over HTTP/1.1.
    _refused(_replace("sec-websocket-extensions", "permessage-deflate; =15"))


def test_rfc8441_5_server_accepts_with_200_and_client_fails_on_anything_but_2xx() -> None:
    # §5: "If the server agrees ... it MUST respond with a 200"; RFC 9110 §9.3.6: any 2xx
    # opens the tunnel; another status is the client's error, carrying that status.
    assert connect_response_headers()[0] == (":status", "200")
    assert check_connect_response([(":status", "204")]) == (None, None)
    for status in ("400", "426", "501", "101", "302"):
        with pytest.raises(HandshakeError) as info:
            check_connect_response([(":status", status)])
        assert info.value.status == int(status)
    for bad in ([], [(":status", "2000")], [(":status", "ok")]):
        with pytest.raises(HandshakeError) as info:
            check_connect_response(bad)
        assert info.value.status == 400


def test_rfc8441_5_client_request_matches_the_example() -> None:
    headers = connect_request_headers(
        "server.example.com",
        "/chat",
        subprotocols=["chat", "superchat"],
        extensions="permessage-deflate",
        origin="http://www.example.com",
    )
    assert sorted(headers) == sorted(EXAMPLE)
    assert [n for n, _ in headers][:5] == [":method", ":protocol", ":scheme", ":path", ":authority"]
    assert check_connect_request(headers) == check_connect_request(EXAMPLE)
    for bad in ({"authority": ""}, {"authority": "a\r\nx: y"}, {"path": "chat"}, {"path": ""}):
        with pytest.raises(ValueError):
            connect_request_headers(**{"authority": "a.example", **bad})


# --------------------------------------------------------------------------- RFC 9113


def test_rfc9113_8_2_field_names_are_lowercase() -> None:
    # §8.2: "field names MUST be converted to lowercase"; §8.2.1: an uppercase name is malformed.
    assert "uppercase" in str(_refused([*EXAMPLE[:5], ("Sec-WebSocket-Version", "13")]))
    _refused([(":Method", "CONNECT"), *EXAMPLE[1:]])
    with pytest.raises(HandshakeError, match="uppercase"):
        check_connect_response([(":status", "200"), ("Sec-WebSocket-Protocol", "chat")], subprotocols=["chat"])
    built = connect_request_headers("a.example", subprotocols=["x"], extensions="e", origin="o")
    assert all(name == name.lower() for name, _ in built)
    assert all(name == name.lower() for name, _ in connect_response_headers(subprotocol="x", extensions="e"))


@pytest.mark.parametrize("name", ["", ":", "x y", "x:y", "caf\xe9", "x\x7f", "\u20ac", "::path"])
def test_rfc9113_8_2_1_field_name_characters(name: str) -> None:
    # §8.2.1: no 0x00-0x20, 0x41-0x5a, 0x7f-0xff, no colon except a pseudo-header's first.
    _refused([*EXAMPLE, (name, "v")])


@pytest.mark.parametrize("value", ["a\x00b", "a\rb", "a\nb", " lead", "trail\t"])
def test_rfc9113_8_2_1_field_value_characters(value: str) -> None:
    # §8.2.1: no NUL, CR or LF, and no leading or trailing whitespace.
    _refused([*EXAMPLE, ("x-custom", value)])


@pytest.mark.parametrize(
    ("name", "value"),
    [("keep-alive", "5"), ("proxy-connection", "keep-alive"), ("transfer-encoding", "chunked"), ("te", "gzip")],
)
def test_rfc9113_8_2_2_connection_specific_fields_are_malformed(name: str, value: str) -> None:
    # §8.2.2: Connection, Upgrade (above), Keep-Alive, Proxy-Connection, Transfer-Encoding;
    # TE only with the value "trailers".  In responses too.
    _refused([*EXAMPLE, (name, value)])
    with pytest.raises(HandshakeError, match="connection-specific"):
        check_connect_response([(":status", "200"), (name, value)])
    assert check_connect_request([*EXAMPLE, ("te", "trailers")]).host == "server.example.com"
    assert check_connect_request([*EXAMPLE, ("te", "Trailers")]).host == "server.example.com"


def test_rfc9113_8_3_pseudo_headers_come_first() -> None:
    # §8.3: a pseudo-header field after a regular field line makes the message malformed.
    assert "after a regular field" in str(_refused([*_without(":path"), (":path", "/chat")]))
    with pytest.raises(HandshakeError, match="after a regular field"):
        check_connect_response([("sec-websocket-protocol", "chat"), (":status", "200")], subprotocols=["chat"])


@pytest.mark.parametrize("name", [":method", ":protocol", ":scheme", ":path", ":authority"])
def test_rfc9113_8_3_each_pseudo_header_at_most_once(name: str) -> None:
    value = dict(EXAMPLE)[name]
    assert "more than once" in str(_refused([(name, value), *EXAMPLE]))


def test_rfc9113_8_3_only_defined_pseudo_headers_in_their_context() -> None:
    # §8.3: undefined pseudo-header fields, and response ones in requests (and vice versa).
    _refused([(":status", "200"), *EXAMPLE])
    _refused([(":x-custom", "1"), *EXAMPLE])
    for pseudo in (":path", ":method", ":protocol"):
        with pytest.raises(HandshakeError, match="not allowed"):
            check_connect_response([(":status", "200"), (pseudo, "/")])
    with pytest.raises(HandshakeError, match="more than once"):
        check_connect_response([(":status", "200"), (":status", "200")])


def test_rfc9113_8_3_1_path_is_not_empty() -> None:
    # §8.3.1: ":path ... MUST NOT be empty for 'http' or 'https' URIs" (and RFC 8441 §5: the
    # path and query of the WebSocket URI, so an origin-form path).
    _refused(_replace(":path", ""))
    _refused(_replace(":path", "*"))
    _refused(_replace(":path", "chat"))
    assert check_connect_request(_replace(":path", "/a/b?c=d")).host == "server.example.com"


def test_headers_are_pairs_of_str_or_bytes() -> None:
    with pytest.raises(TypeError):
        check_connect_request("CONNECT")
    with pytest.raises(TypeError):
        check_connect_request([(":method", "CONNECT", "x")])
    with pytest.raises(TypeError):
        check_connect_request([":method"])  # a str is not a pair (nor is "te", two letters)
    with pytest.raises(TypeError):
        connect_request_headers("a.example", subprotocols="chat")
    with pytest.raises(TypeError):
        check_connect_request([(":method", 1)])
    with pytest.raises(TypeError):
        check_connect_response([(":status", 200)])
    with pytest.raises(TypeError):
        check_connect_response([(":status", "200")], subprotocols="chat")
    assert check_connect_request(dict(EXAMPLE)) == check_connect_request(EXAMPLE)


def test_rfc9113_8_3_1_host_and_authority_compare_as_the_same_entity() -> None:
    # §8.3.1: the two are compared after normalisation (RFC 3986 §6.2.2-§6.2.3): case and
    # the scheme's default port do not make another entity; another host or port does.
    for host in ("Server.Example.COM", "server.example.com:443", "server.example.com:"):
        assert check_connect_request([*EXAMPLE, ("host", host)]).host == "server.example.com"
    for host in ("server.example.com:80", "server.example.com:8443", "other.example"):
        _refused([*EXAMPLE, ("host", host)])
    http = [(n, "http" if n == ":scheme" else v) for n, v in EXAMPLE]
    assert check_connect_request([*http, ("host", "server.example.com:80")]).key is None
    _refused([*http, ("host", "server.example.com:443")])
    message = str(_refused([*EXAMPLE, ("host", "server.example.com"), ("host", "server.example.com")]))
    assert "2 times" in message


@pytest.mark.parametrize("authority", ["a b", "a,b ", "exa\x01mple", "ex@mple", "[::1", "h:8a", "é.example"])
def test_rfc9113_8_3_1_authority_is_host_and_port(authority: str) -> None:
    _refused(_replace(":authority", authority))


@pytest.mark.parametrize("path", ["/a b", "/a#frag", "/a\x7f", "/é", "/a\tb"])
def test_rfc9113_8_3_1_path_is_path_and_query(path: str) -> None:
    _refused(_replace(":path", path))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"authority": " example.com"},
        {"authority": "u@example.com"},
        {"authority": "a b"},
        {"path": "/a "},
        {"path": "/a#b"},
        {"origin": " https://a"},
        {"extensions": "permessage-deflate "},
        {"extensions": ","},
    ],
)
def test_connect_request_headers_send_only_what_a_server_accepts(kwargs: dict[str, Any]) -> None:
    kwargs.setdefault("authority", "example.com")
    with pytest.raises(ValueError):
        connect_request_headers(**kwargs)


@pytest.mark.parametrize("extensions", [" permessage-deflate", "", ","])
def test_connect_response_headers_send_only_a_valid_extension_list(extensions: str) -> None:
    with pytest.raises(ValueError):
        connect_response_headers(extensions=extensions)


def test_field_name_with_non_ascii_letter_is_invalid_not_uppercase() -> None:
    assert "invalid field name" in str(_refused([*EXAMPLE, ("x\u0130", "1")]))


def test_check_connect_response_checks_our_own_arguments_first() -> None:
    for status in ("200", "404"):
        with pytest.raises(ValueError) as info:
            check_connect_response([(":status", status)], extensions=",")
        assert not isinstance(info.value, HandshakeError)
    with pytest.raises(TypeError):
        check_connect_response([(":status", "200")], subprotocols=None)  # type: ignore[arg-type]
