"""Tests for :mod:`wsframe.handshake` (RFC 6455 §4.2.2, Sec-WebSocket-Accept)."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wsframe.handshake import accept_key

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


@pytest.mark.parametrize("padded", [" dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ==\t ", "\t dGhlIHNhbXBsZSBub25jZQ== "])
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
        accept_key("dGhlIHNhbXBsZSBub25jZé==".encode("utf-8"))


def test_invalid_key_error_names_the_problem() -> None:
    with pytest.raises(ValueError) as info:
        accept_key("dGhlIHNhbXBsZSBub25j")
    assert "16" in str(info.value)
