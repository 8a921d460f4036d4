"""Tests for :mod:`wsframe.handshake` (RFC 6455 §4.2.2, Sec-WebSocket-Accept)."""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wsframe.handshake import (
    GUID,
    HandshakeError,
    Request,
    accept_key,
    check_request,
    check_response,
    new_key,
    request_headers,
    response_headers,
)

#: RFC 6455 §1.3 / §4.2.2: the GUID appended to the client's key.
RFC6455_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def _oracle(key: str) -> str:
    digest = hashlib.sha1((key + RFC6455_GUID).encode("ascii")).digest()
    return base64.b64encode(digest).decode("ascii")


def test_rfc6455_4_2_2_example_key() -> None:
    # RFC 6455 §1.3 and §4.2.2 worked example.
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_rfc6455_4_2_2_accept_is_str() -> None:
    assert type(accept_key("dGhlIHNhbXBsZSBub25jZQ==")) is str


@given(st.binary(min_size=16, max_size=16))
def test_rfc6455_4_2_2_accept_is_base64_sha1_of_key_and_guid(nonce: bytes) -> None:
    # RFC 6455 §4.1: the key is a base64-encoded random 16-byte value.
    key = base64.b64encode(nonce).decode("ascii")
    result = accept_key(key)
    assert result == _oracle(key)
    assert len(base64.b64decode(result, validate=True)) == 20  # a SHA-1 digest


@pytest.mark.parametrize(
    "bad_key",
    [
        "",  # empty
        "dGhlIHNhbXBsZSBub25jZQ",  # missing padding
        "dGhlIHNhbXBsZSBub25j",  # decodes to 15 bytes
        "dGhlIHNhbXBsZSBub25jZQ==dGhl",  # trailing garbage
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAA",  # decodes to 21 bytes
        "!!!!!!!!!!!!!!!!!!!!!!==",  # not base64
        "dGhlIHNhbXBsZSBub25jZé==",  # not ASCII
    ],
)
def test_rfc6455_4_2_1_key_must_be_base64_of_16_bytes(bad_key: str) -> None:
    # RFC 6455 §4.2.1 item 5: a |Sec-WebSocket-Key| header field with a
    # base64-encoded value that, when decoded, is 16 bytes in length.
    with pytest.raises(ValueError):
        accept_key(bad_key)


@pytest.mark.parametrize("bad_type", [None, 16, ["dGhlIHNhbXBsZSBub25jZQ=="]])
def test_accept_key_non_string_is_type_error(bad_type: Any) -> None:
    with pytest.raises(TypeError):
        accept_key(bad_type)


@pytest.mark.parametrize(
    "padded", [" dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ==\t ", "\t dGhlIHNhbXBsZSBub25jZQ== "]
)
def test_rfc7230_optional_whitespace_around_key_is_ignored(padded: str) -> None:
    # RFC 7230 §3.2.4: OWS around a header field value is not part of it.
    assert accept_key(padded) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


@pytest.mark.parametrize("as_bytes", [bytes, bytearray])
def test_accept_key_accepts_ascii_bytes(as_bytes: type) -> None:
    # Header values often arrive as bytes (sans-I/O HTTP parsers).
    key = as_bytes(b"dGhlIHNhbXBsZSBub25jZQ==")
    assert accept_key(key) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_accept_key_non_ascii_bytes_is_value_error() -> None:
    with pytest.raises(ValueError):
        accept_key("dGhlIHNhbXBsZSBub25jZé==".encode())


def test_invalid_key_error_names_the_problem() -> None:
    with pytest.raises(ValueError) as info:
        accept_key("dGhlIHNhbXBsZSBub25j")
    assert "16" in str(info.value)


# ============================================================== check_request (§4.2.1)


KEY = "dGhlIHNhbXBsZSBub25jZQ=="
ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def _request(**changes: Any) -> list[tuple[str, str]]:
    """RFC 6455 §1.2's example request headers; a change of None drops the field."""
    fields = {
        "Host": "server.example.com",
        "Upgrade": "websocket",
        "Connection": "Upgrade",
        "Sec-WebSocket-Key": KEY,
        "Origin": "http://example.com",
        "Sec-WebSocket-Version": "13",
    }
    for name, value in changes.items():
        name = name.replace("_", "-")
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    return list(fields.items())


def _refused(headers: Any, method: Any = "GET", status: int = 400) -> HandshakeError:
    with pytest.raises(HandshakeError) as info:
        check_request(method, headers)
    assert info.value.status == status
    return info.value


def test_guid_is_rfc6455_value() -> None:
    assert GUID == RFC6455_GUID


def test_handshake_error_is_reexported() -> None:
    import wsframe.errors

    assert HandshakeError is wsframe.errors.HandshakeError


def test_rfc6455_4_2_1_valid_request() -> None:
    request = check_request("GET", _request())
    assert request == Request(
        key=KEY,
        subprotocols=[],
        extensions=[],
        host="server.example.com",
        origin="http://example.com",
    )
    assert accept_key(request.key) == ACCEPT


def test_rfc6455_4_2_1_1_method_must_be_get() -> None:
    for method in ["POST", "get", "HEAD", "CONNECT", b"PUT"]:
        error = _refused(_request(), method=method)
        assert "GET" in str(error)
    assert check_request(b"GET", _request()).key == KEY


def test_rfc6455_4_2_1_2_host_required() -> None:
    assert "Host" in str(_refused(_request(Host=None)))
    assert "Host" in str(_refused(_request(Host="")))


def test_rfc6455_4_2_1_2_host_only_once() -> None:
    # RFC 9112 §3.2: a request with more than one Host field is a 400.
    error = _refused(_request() + [("Host", "other.example")])
    assert "Host appears 2 times" in str(error)


@pytest.mark.parametrize("value", ["websocket", "WebSocket", "WEBSOCKET", "h2c, websocket", "websocket, foo/2"])
def test_rfc6455_4_2_1_3_upgrade_contains_websocket_case_insensitive(value: str) -> None:
    assert check_request("GET", _request(Upgrade=value)).key == KEY


@pytest.mark.parametrize(
    "value",
    ["h2c", "websockets", "web socket", "websocket/13x, h2", "websoc\u212aet", ""],
)
def test_rfc6455_4_2_1_3_upgrade_without_websocket_is_400(value: str) -> None:
    # "websoc\u212aet": U+212A KELVIN SIGN folds to "k" with str.lower(), not in ASCII.
    error = _refused(_request(Upgrade=value))
    assert "Upgrade" in str(error) and "websocket" in str(error)


def test_rfc6455_4_2_1_3_upgrade_missing_is_400() -> None:
    assert "missing Upgrade" in str(_refused(_request(Upgrade=None)))


def test_rfc6455_4_2_1_3_upgrade_on_several_lines() -> None:
    headers = _request(Upgrade="h2c") + [("upgrade", "websocket")]
    assert check_request("GET", headers).key == KEY


@pytest.mark.parametrize(
    "value", ["Upgrade", "upgrade", "UPGRADE", "keep-alive, Upgrade", "Upgrade,keep-alive", " , upgrade ,"]
)
def test_rfc6455_4_2_1_4_connection_contains_upgrade_token(value: str) -> None:
    assert check_request("GET", _request(Connection=value)).key == KEY


@pytest.mark.parametrize("value", ["keep-alive", "Upgrade-Insecure", "close", "upgrade keep-alive", "upgr\u0430de"])
def test_rfc6455_4_2_1_4_connection_without_upgrade_token_is_400(value: str) -> None:
    error = _refused(_request(Connection=value))
    assert "Connection" in str(error) and "Upgrade" in str(error)


def test_rfc6455_4_2_1_4_connection_missing_is_400() -> None:
    assert "missing Connection" in str(_refused(_request(Connection=None)))


def test_rfc6455_4_2_1_4_connection_on_several_lines() -> None:
    headers = _request(Connection="keep-alive") + [("Connection", "Upgrade")]
    assert check_request("GET", headers).key == KEY


def test_rfc6455_4_2_1_5_key_missing_is_400() -> None:
    assert "missing Sec-WebSocket-Key" in str(_refused(_request(Sec_WebSocket_Key=None)))


@pytest.mark.parametrize(
    "key",
    [
        "",
        "dGhlIHNhbXBsZSBub25j",
        "dGhlIHNhbXBsZSBub25jZQ",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "!!!!!!!!!!!!!!!!!!!!!!==",
        f"{KEY}, {KEY}",
    ],
)
def test_rfc6455_4_2_1_5_key_must_be_base64_of_16_bytes(key: str) -> None:
    error = _refused(_request(Sec_WebSocket_Key=key))
    assert "Sec-WebSocket-Key" in str(error)


def test_rfc6455_4_2_1_5_exactly_one_key() -> None:
    other = base64.b64encode(b"\x01" * 16).decode()
    error = _refused(_request() + [("Sec-WebSocket-Key", other)])
    assert "Sec-WebSocket-Key appears 2 times" in str(error)


def test_rfc6455_4_2_1_6_version_missing_is_400() -> None:
    error = _refused(_request(Sec_WebSocket_Version=None), status=400)
    assert "missing Sec-WebSocket-Version" in str(error)
    assert error.headers == ()


@pytest.mark.parametrize("version", ["8", "7", "0", "12", "14", "255"])
def test_rfc6455_4_2_2_other_version_is_426_with_supported_version(version: str) -> None:
    # RFC 6455 §4.2.2 / §4.4: 426 Upgrade Required and |Sec-WebSocket-Version: 13|.
    error = _refused(_request(Sec_WebSocket_Version=version), status=426)
    assert error.headers == (("Sec-WebSocket-Version", "13"),)
    assert version in str(error) and "13" in str(error)


@pytest.mark.parametrize("version", ["13, 8", "013", "256", "thirteen", "", "-13", "1 3"])
def test_rfc6455_4_2_1_6_malformed_version_is_400(version: str) -> None:
    error = _refused(_request(Sec_WebSocket_Version=version), status=400)
    assert "Sec-WebSocket-Version" in str(error)


def test_rfc6455_4_2_1_6_version_only_once() -> None:
    # RFC 6455 §11.3.5: it MUST NOT appear more than once in a request.
    error = _refused(_request() + [("Sec-WebSocket-Version", "13")])
    assert "Sec-WebSocket-Version appears 2 times" in str(error)


def test_rfc6455_4_2_1_7_origin_is_reported_not_judged() -> None:
    assert check_request("GET", _request(Origin=None)).origin is None
    assert check_request("GET", _request(Origin="null")).origin == "null"


def test_rfc6455_4_2_1_8_subprotocols_in_client_order() -> None:
    headers = _request(Sec_WebSocket_Protocol="chat, superchat") + [("sec-websocket-protocol", "v2.mqtt")]
    assert check_request("GET", headers).subprotocols == ["chat", "superchat", "v2.mqtt"]


@pytest.mark.parametrize("value", ["chat, sup er", "chat; q=1", "ch\u00e4t", "a/b", "chat, chat"])
def test_rfc6455_4_1_10_subprotocols_are_unique_tokens(value: str) -> None:
    error = _refused(_request(Sec_WebSocket_Protocol=value))
    assert "Sec-WebSocket-Protocol" in str(error)


def test_rfc6455_4_2_1_9_extensions_come_back_parsed() -> None:
    from wsframe.deflate import parse_extensions

    value = "permessage-deflate; client_max_window_bits, permessage-deflate; server_no_context_takeover"
    headers = _request(Sec_WebSocket_Extensions=value) + [("Sec-WebSocket-Extensions", "x-foo")]
    request = check_request("GET", headers)
    assert request.extensions == parse_extensions(value + ", x-foo")
    assert [name for name, _ in request.extensions] == ["permessage-deflate", "permessage-deflate", "x-foo"]
    assert request.extensions[0][1] == [("client_max_window_bits", None)]


def test_rfc6455_4_2_1_9_extensions_ready_for_deflate_respond() -> None:
    from wsframe.deflate import respond

    headers = _request(Sec_WebSocket_Extensions="permessage-deflate; client_max_window_bits")
    agreement = respond(check_request("GET", headers).extensions)
    assert agreement is not None and "permessage-deflate" in agreement[1]


def test_rfc6455_9_1_malformed_extensions_are_400() -> None:
    error = _refused(_request(Sec_WebSocket_Extensions="permessage-deflate; =15"))
    assert error.status == 400


def test_rfc6455_4_2_1_9_no_extensions() -> None:
    assert check_request("GET", _request(Sec_WebSocket_Extensions=None)).extensions == []


def test_headers_as_bytes_and_names_case_insensitive() -> None:
    # h11 gives lower-cased bytes names and bytes values.
    headers = [(n.lower().encode(), v.encode()) for n, v in _request(Sec_WebSocket_Protocol="chat")]
    request = check_request(b"GET", headers)
    assert (request.key, request.subprotocols, request.host) == (KEY, ["chat"], "server.example.com")
    shouted = [(n.upper(), v) for n, v in _request()]
    assert check_request("GET", shouted).key == KEY


def test_header_values_are_stripped_of_ows() -> None:
    request = check_request("GET", _request(Sec_WebSocket_Key=f" \t{KEY} ", Upgrade="  websocket\t"))
    assert request.key == KEY


def test_extra_headers_are_ignored() -> None:
    headers = _request() + [("User-Agent", "x"), ("Cookie", "a=b"), ("X-Empty", "")]
    assert check_request("GET", headers).key == KEY


@pytest.mark.parametrize("bad", [[("Host",)], [("Host", "a", "b")], [("Host", 3)], [(None, "x")], ["Host: x"]])
def test_malformed_header_items_are_type_errors(bad: Any) -> None:
    with pytest.raises(TypeError):
        check_request("GET", bad + _request())


def test_method_type_error() -> None:
    with pytest.raises(TypeError):
        check_request(None, _request())  # type: ignore[arg-type]


@given(st.lists(st.tuples(st.binary(max_size=20), st.binary(max_size=40)), max_size=8))
def test_arbitrary_headers_give_request_or_handshake_error(extra: list[tuple[bytes, bytes]]) -> None:
    try:
        check_request("GET", extra + [(n.encode(), v.encode()) for n, v in _request()])
    except HandshakeError as exc:
        assert exc.status in (400, 426) and str(exc)


# ============================================================== response_headers (§4.2.2)


def test_rfc6455_4_2_2_5_response_headers() -> None:
    assert response_headers(KEY) == [
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", ACCEPT),
    ]


def test_rfc6455_4_2_2_5_response_with_subprotocol_and_extensions() -> None:
    headers = response_headers(KEY, subprotocol="chat", extensions="permessage-deflate")
    assert headers[3:] == [
        ("Sec-WebSocket-Protocol", "chat"),
        ("Sec-WebSocket-Extensions", "permessage-deflate"),
    ]


@pytest.mark.parametrize("bad", ["", "a b", "chat,superchat", "x\r\nSet-Cookie: a"])
def test_rfc6455_4_2_2_5_4_subprotocol_must_be_one_token(bad: str) -> None:
    with pytest.raises(ValueError):
        response_headers(KEY, subprotocol=bad)


def test_response_headers_refuse_header_injection_and_bad_key() -> None:
    with pytest.raises(ValueError):
        response_headers(KEY, extensions="permessage-deflate\r\nX: y")
    with pytest.raises(ValueError):
        response_headers("short")


# ============================================================== client side (§4.1)


def test_rfc6455_4_1_7_new_key_is_random_16_bytes() -> None:
    keys = {new_key() for _ in range(100)}
    assert len(keys) == 100
    for key in keys:
        assert len(base64.b64decode(key, validate=True)) == 16
        accept_key(key)


def test_rfc6455_4_1_request_headers() -> None:
    key = new_key()
    headers = request_headers("example.com:8080", key=key)
    assert headers == [
        ("Host", "example.com:8080"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", "13"),
    ]
    # What we send, we accept as a server.
    assert check_request("GET", headers).key == key


def test_rfc6455_4_1_request_headers_optional_fields() -> None:
    headers = request_headers(
        "h",
        key=KEY,
        subprotocols=["chat", "superchat"],
        extensions="permessage-deflate",
        origin="http://h",
    )
    assert headers[5:] == [
        ("Origin", "http://h"),
        ("Sec-WebSocket-Protocol", "chat, superchat"),
        ("Sec-WebSocket-Extensions", "permessage-deflate"),
    ]
    request = check_request("GET", headers)
    assert request.subprotocols == ["chat", "superchat"] and request.origin == "http://h"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"key": "short"},
        {"key": KEY, "subprotocols": ["a b"]},
        {"key": KEY, "subprotocols": ["a", "a"]},
        {"key": KEY, "origin": "x\r\ny"},
        {"key": KEY, "extensions": "a\nb"},
    ],
)
def test_rfc6455_4_1_request_headers_refuse_bad_arguments(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        request_headers("h", **kwargs)


def test_request_headers_refuse_empty_host_and_str_subprotocols() -> None:
    with pytest.raises(ValueError):
        request_headers("", key=KEY)
    with pytest.raises(TypeError):
        request_headers("h", key=KEY, subprotocols="chat")


def _response(**changes: Any) -> list[tuple[str, str]]:
    fields = dict(response_headers(KEY))
    for name, value in changes.items():
        name = name.replace("_", "-")
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    return list(fields.items())


def _failed(status: int, headers: Any, **kwargs: Any) -> HandshakeError:
    kwargs.setdefault("key", KEY)
    with pytest.raises(HandshakeError) as info:
        check_response(status, headers, **kwargs)
    return info.value


def test_rfc6455_4_1_valid_response() -> None:
    assert check_response(101, _response(), key=KEY) == (None, None)
    as_bytes = [(n.lower().encode(), v.encode()) for n, v in _response()]
    assert check_response(101, as_bytes, key=KEY) == (None, None)


@pytest.mark.parametrize("status", [200, 400, 403, 426, 500, 302])
def test_rfc6455_4_1_server_response_1_status_must_be_101(status: int) -> None:
    error = _failed(status, _response())
    assert str(status) in str(error) and "101" in str(error)
    assert error.status == status


def test_rfc6455_4_1_server_response_2_upgrade_must_be_websocket() -> None:
    assert "no Upgrade" in str(_failed(101, _response(Upgrade=None)))
    for value in ["h2c", "websocket, h2c", "websoc\u212aet"]:
        assert "Upgrade" in str(_failed(101, _response(Upgrade=value)))
    assert check_response(101, _response(Upgrade="WebSocket"), key=KEY) == (None, None)


def test_rfc6455_4_1_server_response_3_connection_must_contain_upgrade() -> None:
    assert "no Connection" in str(_failed(101, _response(Connection=None)))
    assert "Connection" in str(_failed(101, _response(Connection="keep-alive")))
    assert check_response(101, _response(Connection="keep-alive, UPGRADE"), key=KEY) == (None, None)


def test_rfc6455_4_1_server_response_4_accept_must_match_key() -> None:
    assert "no Sec-WebSocket-Accept" in str(_failed(101, _response(Sec_WebSocket_Accept=None)))
    other = accept_key(new_key())
    error = _failed(101, _response(Sec_WebSocket_Accept=other))
    assert "does not match" in str(error)
    assert "appears 2 times" in str(_failed(101, _response() + [("Sec-WebSocket-Accept", ACCEPT)]))
    # Case matters in base64.
    assert "does not match" in str(_failed(101, _response(Sec_WebSocket_Accept=ACCEPT.lower())))


def test_rfc6455_4_1_server_response_5_extensions_only_when_offered() -> None:
    headers = _response(Sec_WebSocket_Extensions="permessage-deflate")
    assert "no extension was offered" in str(_failed(101, headers))
    offer = "permessage-deflate; client_max_window_bits"
    assert check_response(101, headers, key=KEY, extensions=offer) == (None, "permessage-deflate")
    # Declining is allowed.
    assert check_response(101, _response(), key=KEY, extensions=offer) == (None, None)


def test_rfc6455_4_1_server_response_5_extension_not_offered() -> None:
    headers = _response(Sec_WebSocket_Extensions="x-webkit-deflate-frame")
    error = _failed(101, headers, extensions="permessage-deflate")
    assert "x-webkit-deflate-frame" in str(error) and "not offered" in str(error)


def test_rfc6455_4_1_server_response_6_subprotocol_must_be_offered() -> None:
    headers = _response(Sec_WebSocket_Protocol="chat")
    assert "none was offered" in str(_failed(101, headers))
    assert "not one of" in str(_failed(101, headers, subprotocols=["superchat"]))
    assert check_response(101, headers, key=KEY, subprotocols=["superchat", "chat"]) == ("chat", None)
    # Offered but none chosen: allowed.
    assert check_response(101, _response(), key=KEY, subprotocols=["chat"]) == (None, None)
    two = _response(Sec_WebSocket_Protocol="chat") + [("Sec-WebSocket-Protocol", "chat")]
    assert "appears 2 times" in str(_failed(101, two, subprotocols=["chat"]))


def test_check_response_local_misuse() -> None:
    with pytest.raises(ValueError):
        check_response(101, _response(), key="short")
    with pytest.raises(TypeError):
        check_response(101, _response(), key=KEY, subprotocols="chat")


@given(st.lists(st.tuples(st.binary(max_size=20), st.binary(max_size=40)), max_size=8))
def test_arbitrary_response_headers_give_result_or_handshake_error(extra: list[tuple[bytes, bytes]]) -> None:
    try:
        check_response(
            101,
            extra + [(n.encode(), v.encode()) for n, v in _response()],
            key=KEY,
            subprotocols=["chat"],
            extensions="permessage-deflate",
        )
    except HandshakeError as exc:
        assert str(exc)


def test_handshake_module_is_pure_python() -> None:
    import wsframe.handshake as module

    assert module.__file__ is not None and module.__file__.endswith(".py")
    assert "pure Python" in (module.__doc__ or "")
    assert os.path.dirname(module.__file__).endswith("wsframe")


def test_handshake_module_does_not_import_deflate() -> None:
    # The field grammar both use lives in wsframe._headers: the handshake
    # does not depend on the permessage-deflate codec.
    import ast

    import wsframe.handshake as module

    assert module.__file__ is not None
    with open(module.__file__, encoding="utf-8") as source:
        tree = ast.parse(source.read())
    imported = {(node.module or "") for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
        alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    assert not any("deflate" in name for name in imported), imported


@pytest.mark.parametrize("value", ["", " ", ",", ", ,", " ,\t,"])
def test_rfc9110_5_6_1_empty_extension_list_is_400(value: str) -> None:
    # Sec-WebSocket-Extensions is 1#extension: at least one element.
    with pytest.raises(HandshakeError) as info:
        check_request("GET", _request(Sec_WebSocket_Extensions=value))
    assert info.value.status == 400
    with pytest.raises(HandshakeError):
        check_response(101, _response(Sec_WebSocket_Extensions=value), key=KEY, extensions="x")


@pytest.mark.parametrize("value", [",", " , ", ",,"])
def test_rfc9110_5_6_1_empty_subprotocol_list_is_400(value: str) -> None:
    # Sec-WebSocket-Protocol is 1#token too (RFC 6455 §4.1 item 10).
    with pytest.raises(HandshakeError) as info:
        check_request("GET", _request(Sec_WebSocket_Protocol=value))
    assert info.value.status == 400


def test_rfc9110_5_6_1_empty_elements_between_commas_are_skipped() -> None:
    request = check_request("GET", _request(Sec_WebSocket_Protocol=", chat, ,v2", Sec_WebSocket_Extensions=", a, ,"))
    assert request.subprotocols == ["chat", "v2"]
    assert request.extensions == [("a", [])]


# RFC 9110 §5.1: a field name is a token; RFC 9112 §5.1: no whitespace between
# the name and the colon (a 400).  Each name stands in for the real field.
LOOKALIKES = {
    "Host\xa0": "Host",
    "\x85Host": "Host",
    "Host\x0b": "Host",
    "Host\t": "Host",
    "Ho st": "Host",
    "Host:": "Host",
    "\uff28ost": "Host",  # FULLWIDTH LATIN CAPITAL LETTER H
    "\u3000Upgrade": "Upgrade",
    " Connection": "Connection",
    "Sec-WebSocket-Key ": "Sec-WebSocket-Key",
    "Sec-WebSocket-Version\x00": "Sec-WebSocket-Version",
    "": "Origin",
}
LOOKALIKE_NAMES = list(LOOKALIKES)


@pytest.mark.parametrize("name", LOOKALIKE_NAMES)
def test_rfc9110_5_1_field_name_must_be_a_token(name: str) -> None:
    real = LOOKALIKES[name]
    value = dict(_request())[real]
    # In place of the real field: not found, or refused; a 400 either way.
    with pytest.raises(HandshakeError) as info:
        check_request("GET", _request(**{real.replace("-", "_"): None}) + [(name, value)])
    assert info.value.status == 400
    # Beside the real field: refused all the same.
    with pytest.raises(HandshakeError) as info:
        check_request("GET", _request() + [(name, value)])
    assert info.value.status == 400
    try:
        raw = name.encode("iso-8859-1")  # as an HTTP parser's bytes
    except UnicodeEncodeError:
        return
    with pytest.raises(HandshakeError):
        check_request("GET", [(n.encode(), v.encode()) for n, v in _request()] + [(raw, b"x")])


@pytest.mark.parametrize("name", LOOKALIKE_NAMES)
def test_rfc9110_5_1_response_field_name_must_be_a_token(name: str) -> None:
    with pytest.raises(HandshakeError):
        check_response(101, _response() + [(name, "x")], key=KEY)


def test_headers_as_a_mapping() -> None:
    assert check_request("GET", dict(_request())).key == KEY
    assert check_response(101, dict(_response()), key=KEY) == (None, None)


@pytest.mark.parametrize("bad", ["Host: x", b"Host: x", [("Host", "x"), "TE"], [b"TE"]])
def test_strings_are_not_header_pairs(bad: Any) -> None:
    with pytest.raises(TypeError):
        check_request("GET", bad)


# One test per numbered requirement, named after it.


def _field(headers: list[tuple[str, str]], name: str) -> list[str]:
    return [value for n, value in headers if n.lower() == name.lower()]


def test_rfc6455_4_1_item_4_host() -> None:
    assert _field(request_headers("example.com:8080", key=KEY), "Host") == ["example.com:8080"]


def test_rfc6455_4_1_item_5_upgrade_websocket() -> None:
    assert _field(request_headers("h", key=KEY), "Upgrade") == ["websocket"]


def test_rfc6455_4_1_item_6_connection_upgrade() -> None:
    assert _field(request_headers("h", key=KEY), "Connection") == ["Upgrade"]


def test_rfc6455_4_1_item_7_key_is_sent_as_given() -> None:
    key = new_key()
    assert _field(request_headers("h", key=key), "Sec-WebSocket-Key") == [key]


def test_rfc6455_4_1_item_8_origin_only_when_given() -> None:
    assert _field(request_headers("h", key=KEY), "Origin") == []
    assert _field(request_headers("h", key=KEY, origin="https://a.example"), "Origin") == ["https://a.example"]


def test_rfc6455_4_1_item_9_version_13() -> None:
    assert _field(request_headers("h", key=KEY), "Sec-WebSocket-Version") == ["13"]


def test_rfc6455_4_1_item_10_subprotocols_only_when_given() -> None:
    assert _field(request_headers("h", key=KEY), "Sec-WebSocket-Protocol") == []
    assert _field(request_headers("h", key=KEY, subprotocols=["a", "b"]), "Sec-WebSocket-Protocol") == ["a, b"]


def test_rfc6455_4_1_item_11_extensions_only_when_given() -> None:
    assert _field(request_headers("h", key=KEY), "Sec-WebSocket-Extensions") == []
    value = "permessage-deflate; client_max_window_bits"
    assert _field(request_headers("h", key=KEY, extensions=value), "Sec-WebSocket-Extensions") == [value]


def test_rfc6455_4_2_2_item_5_2_upgrade_websocket() -> None:
    assert _field(response_headers(KEY), "Upgrade") == ["websocket"]


def test_rfc6455_4_2_2_item_5_3_connection_upgrade() -> None:
    assert _field(response_headers(KEY), "Connection") == ["Upgrade"]


def test_rfc6455_4_2_2_item_5_4_accept() -> None:
    assert _field(response_headers(f" {KEY} "), "Sec-WebSocket-Accept") == [ACCEPT]


def test_rfc6455_4_2_2_item_5_5_subprotocol_only_when_chosen() -> None:
    assert _field(response_headers(KEY), "Sec-WebSocket-Protocol") == []
    assert _field(response_headers(KEY, subprotocol="chat"), "Sec-WebSocket-Protocol") == ["chat"]


def test_rfc6455_4_2_2_item_5_6_extensions_only_when_agreed() -> None:
    assert _field(response_headers(KEY), "Sec-WebSocket-Extensions") == []
    from wsframe.deflate import respond

    agreement = respond(check_request("GET", _request(Sec_WebSocket_Extensions="permessage-deflate")).extensions)
    assert agreement is not None
    headers = response_headers(KEY, extensions=agreement[1])
    assert _field(headers, "Sec-WebSocket-Extensions") == [agreement[1]]
    # The client side accepts what the server side produced.
    assert check_response(101, headers, key=KEY, extensions="permessage-deflate") == (None, agreement[1])


# ============================================================== field values, Host, our own arguments


@pytest.mark.parametrize("name", ["Host", "Origin", "Sec-WebSocket-Protocol", "Sec-WebSocket-Extensions"])
@pytest.mark.parametrize("bad", ["a\r\nX-Evil: 1", "a\nb", "a\rb", "a\x00b"])
def test_rfc9110_5_5_values_with_cr_lf_or_nul_are_400(name: str, bad: str) -> None:
    # RFC 9110 §5.5: a recipient of CR, LF or NUL in a field value MUST reject the
    # message or replace them with SP; refused, so nothing of it is handed back.
    error = _refused(_request(**{name.replace("-", "_"): bad}))
    assert "NUL, CR or LF" in str(error)
    _refused([(name.encode(), bad.encode("latin-1")) if n == name else (n, v) for n, v in _request(**{name: "x"})])


@pytest.mark.parametrize(
    "host",
    ["a, b", "a b", "\x7f", "\udc80", "éxample.com", "u@example.com", "example.com:80a", "[::1", "[zz::1]", "a:1:2"],
)
def test_rfc9112_3_2_invalid_host_is_400(host: str) -> None:
    # RFC 9112 §3.2: a server MUST answer 400 to a Host field with an invalid value
    # (RFC 9110 §7.2: uri-host [":" port]).
    assert "invalid Host" in str(_refused(_request(Host=host)))


def test_rfc9112_3_2_invalid_host_as_latin1_bytes_is_400() -> None:
    _refused([(b"Host", b"\xe9xample.com")] + [(n, v) for n, v in _request() if n != "Host"])


@pytest.mark.parametrize(
    "host",
    [
        "example.com",
        "EXAMPLE.com.",
        "example.com:8080",
        "example.com:",
        "127.0.0.1:9",
        "[::1]:443",
        "[v1.x]",
        "a%20b",
        "a,b",
    ],
)
def test_rfc9110_7_2_valid_hosts(host: str) -> None:
    assert check_request("GET", _request(Host=host)).host == host


def test_error_messages_do_not_reflect_whole_values() -> None:
    # A 400 body built from str(error) (docs/server-guide.md) must not echo a huge field back.
    big = "x" * 100_000
    for changes in (
        {"Sec_WebSocket_Extensions": big + "="},
        {"Sec_WebSocket_Extensions": "a; " + big + "="},
        {"Sec_WebSocket_Key": big},
        {"Sec_WebSocket_Protocol": big + "("},
        {"Host": big + "<"},
        {"Upgrade": big},
    ):
        assert len(str(_refused(_request(**changes)))) < 300
    for bad in (big, "=" + big):
        with pytest.raises(ValueError) as info:
            accept_key(bad)
        assert len(str(info.value)) < 300
    answer = _response(Sec_WebSocket_Extensions=big)
    assert len(str(_failed(101, answer, extensions="permessage-deflate"))) < 300


@pytest.mark.parametrize(
    "kwargs",
    [
        {"extensions": ""},
        {"extensions": ","},
        {"extensions": "a;;b"},
        {"extensions": " permessage-deflate"},
        {"origin": "a\x01"},
        {"origin": "https://a "},
        {"origin": "https://é.example"},
        {"key": " " + KEY},
    ],
)
def test_request_headers_send_only_what_a_server_accepts(kwargs: dict[str, Any]) -> None:
    kwargs.setdefault("key", KEY)
    with pytest.raises(ValueError):
        request_headers("h", **kwargs)


@pytest.mark.parametrize("host", [" example.com", "example.com ", "a b", "\x01a", "ĥost", "u@h", "h:8a", ""])
def test_request_headers_host_must_be_host_or_host_port(host: str) -> None:
    with pytest.raises(ValueError):
        request_headers(host, key=KEY)


def test_request_headers_key_as_bytes_is_sent_as_str() -> None:
    assert _field(request_headers("h", key=KEY.encode()), "Sec-WebSocket-Key") == [KEY]


@pytest.mark.parametrize("extensions", ["", ",", "a;;b", "a\r\nb"])
def test_response_headers_send_only_a_valid_extension_list(extensions: str) -> None:
    with pytest.raises(ValueError):
        response_headers(KEY, extensions=extensions)


def test_check_response_checks_our_own_arguments_first() -> None:
    ok = response_headers(KEY)
    for status in ("101", None, 101.0, True):
        with pytest.raises(TypeError, match="status must be an int"):
            check_response(status, ok, key=KEY)  # type: ignore[arg-type]
    for subprotocols in (None, 1, [b"chat"], [None]):
        with pytest.raises(TypeError, match="subprotocols"):
            check_response(101, ok, key=KEY, subprotocols=subprotocols)  # type: ignore[arg-type]
    # A wrong key or offer is ours, whatever the server answered (never a HandshakeError).
    for kwargs in ({"key": "abc"}, {"key": KEY, "subprotocols": ["a b"]}, {"key": KEY, "extensions": ""}):
        for status in (101, 404):
            with pytest.raises(ValueError) as info:
                check_response(status, ok, **kwargs)  # type: ignore[arg-type]
            assert not isinstance(info.value, HandshakeError)
    with pytest.raises(TypeError):
        check_response(101, ok, key=None)  # type: ignore[arg-type]


def test_method_as_any_bytes_like() -> None:
    assert check_request(memoryview(b"GET"), _request()).key == KEY
    assert check_request(bytearray(b"GET"), _request()).key == KEY
