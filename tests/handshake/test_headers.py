"""The RFC 9110 field grammar shared by the handshake and permessage-deflate."""

from __future__ import annotations

import pytest

from wsframe._headers import Fields, check_offered, is_token, parse_list
from wsframe.errors import HandshakeError


def test_token() -> None:
    assert is_token("permessage-deflate") and is_token("!#$%&'*+-.^_`|~09AZaz")
    for bad in ("", "a b", "a,b", "a\xa0", "ａ", 'a"', "a:b", b"ab", None):
        assert not is_token(bad)


def test_lookup_is_ascii_case_insensitive_and_joins_lines() -> None:
    fields = Fields([("Upgrade", "a"), (b"UPGRADE", b" b\t"), ("Host", "x")])
    assert fields.joined("upgrade") == "a, b"
    assert fields.count("upgrade") == 2 and fields.count("origin") == 0
    assert fields.single("host", "Host") == "x"
    with pytest.raises(HandshakeError, match="2 times"):
        fields.single("upgrade", "Upgrade")
    assert fields.has_token("upgrade", "b") and not fields.has_token("upgrade", "c")


@pytest.mark.parametrize("name", ["Host ", " Host", "Host\xa0", "\x85Host", "Ho\x0bst", "", ":path"])
def test_field_name_must_be_a_token(name: str) -> None:
    with pytest.raises(HandshakeError) as info:
        Fields([(name, "x")])
    assert info.value.status == 400


def test_pseudo_header_names_when_asked() -> None:
    fields = Fields([(":path", "/"), (":protocol", "websocket")], pseudo=True)
    assert fields.single(":path", ":path") == "/"
    for bad in (": path", ":", "::path"):
        with pytest.raises(HandshakeError):
            Fields([(bad, "x")], pseudo=True)


def test_list_needs_one_element() -> None:
    assert parse_list(" a ,, b,", "X") == ["a", "b"]
    for empty in ("", " ", ",", " , ,\t"):
        with pytest.raises(HandshakeError, match="at least one"):
            parse_list(empty, "X")
    assert Fields([]).elements("x", "X") == []


def test_check_offered() -> None:
    check_offered([("A", [])], [("a", [("p", None)]), ("b", [])])
    with pytest.raises(HandshakeError, match="'c', which was not offered"):
        check_offered([("a", []), ("c", [])], [("a", [])])
