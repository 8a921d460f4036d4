"""permessage-deflate negotiation: RFC 6455 §9.1 grammar, RFC 7692 §7.1 rules.

Each test is named after the rule it checks.  The module is pure Python and
the same for both backends; the suite still runs in both pytest passes.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from wsframe.deflate import (
    DeflateParams,
    accept_response,
    offer,
    parse_extensions,
    respond,
)
from wsframe.errors import HandshakeError

PMD = "permessage-deflate"

# ---------------------------------------------------------------------------
# parse_extensions: RFC 6455 §9.1
# ---------------------------------------------------------------------------


def test_grammar_single_token() -> None:
    assert parse_extensions("permessage-deflate") == [(PMD, [])]


def test_grammar_params_with_and_without_values_in_order() -> None:
    value = "permessage-deflate; client_max_window_bits; server_max_window_bits=10"
    assert parse_extensions(value) == [(PMD, [("client_max_window_bits", None), ("server_max_window_bits", "10")])]


def test_grammar_several_offers_and_ows() -> None:
    value = ' foo ,permessage-deflate ;\ta = 1 ;b\t, bar;x="y" '
    assert parse_extensions(value) == [
        ("foo", []),
        (PMD, [("a", "1"), ("b", None)]),
        ("bar", [("x", "y")]),
    ]


def test_grammar_several_header_lines_joined_with_comma() -> None:
    lines = ["permessage-deflate; client_max_window_bits", "x-webkit-deflate-frame"]
    assert parse_extensions(", ".join(lines)) == [
        (PMD, [("client_max_window_bits", None)]),
        ("x-webkit-deflate-frame", []),
    ]


def test_grammar_duplicates_kept_in_order() -> None:
    assert parse_extensions("a; p=1; p=2; p, a") == [
        ("a", [("p", "1"), ("p", "2"), ("p", None)]),
        ("a", []),
    ]


def test_grammar_quoted_string_value_unquoted() -> None:
    assert parse_extensions('e; p="10"') == [("e", [("p", "10")])]


def test_grammar_quoted_pair_unescaped() -> None:
    assert parse_extensions(r'e; p="a\bc\-d"') == [("e", [("p", "abc-d")])]


def test_grammar_quoted_value_must_unquote_to_a_token() -> None:
    # RFC 6455 §9.1: "the value after quoted-string unescaping MUST conform
    # to the 'token' ABNF".
    for bad in ('e; p="a b"', 'e; p=""', 'e; p="a,b"', r'e; p="a\"b"'):
        with pytest.raises(HandshakeError) as info:
            parse_extensions(bad)
        assert info.value.status == 400


def test_grammar_bytes_accepted() -> None:
    assert parse_extensions(b"permessage-deflate; a=1") == [(PMD, [("a", "1")])]


def test_grammar_empty_list_elements_ignored() -> None:
    # RFC 9110 §5.6.1: a recipient accepts and ignores empty list elements.
    assert parse_extensions(", a ,, b ,") == [("a", []), ("b", [])]


@pytest.mark.parametrize("empty", ["", "  ", ",", " , ,\t", ",,,,"])
def test_grammar_list_without_an_extension_is_400(empty: str) -> None:
    # RFC 9110 §5.6.1: Sec-WebSocket-Extensions is 1#extension, so empty
    # elements are skipped but at least one extension must be there.
    with pytest.raises(HandshakeError) as info:
        parse_extensions(empty)
    assert info.value.status == 400
    with pytest.raises(HandshakeError):
        parse_extensions(empty.encode())


@pytest.mark.parametrize(
    "bad",
    [
        ";",
        "a;",
        "a; =1",
        "a; p=",
        "a; p= ;q",
        "a b",
        "a; p=1 2",
        'a; p="unterminated',
        'a; p="x"y',
        "a=1",
        "[a]",
        "a; p=(1)",
        "a; p=\x7f",
        "a\x00",
        'a;p="\x01"',
        "a\r\n b",
    ],
)
def test_grammar_malformed_is_handshake_error_400(bad: str) -> None:
    with pytest.raises(HandshakeError) as info:
        parse_extensions(bad)
    assert info.value.status == 400
    assert "Sec-WebSocket-Extensions" in str(info.value)


def test_grammar_non_ascii_bytes_is_handshake_error() -> None:
    with pytest.raises(HandshakeError):
        parse_extensions('a; p="\xe9"'.encode("latin-1"))
    with pytest.raises(HandshakeError):
        parse_extensions("é")


def test_grammar_wrong_type_is_type_error() -> None:
    with pytest.raises(TypeError):
        parse_extensions(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        parse_extensions(15)  # type: ignore[arg-type]


_tokens = st.text("abcxyz-_019!~", min_size=1, max_size=8)
_values = st.one_of(st.none(), _tokens)
_exts = st.lists(
    st.tuples(_tokens, st.lists(st.tuples(_tokens, _values), max_size=4)),
    min_size=1,  # 1#extension
    max_size=4,
)


def _render(exts: list[tuple[str, list[tuple[str, str | None]]]], quote: bool) -> str:
    out = []
    for name, params in exts:
        parts = [name]
        for k, v in params:
            if v is None:
                parts.append(k)
            elif quote:
                escaped = "".join("\\" + c for c in v)
                parts.append(f'{k} = "{escaped}"')
            else:
                parts.append(f"{k}={v}")
        out.append(" ;\t".join(parts))
    return " , ".join(out)


@given(_exts, st.booleans())
def test_grammar_round_trip_property(exts: list[tuple[str, list[tuple[str, str | None]]]], quote: bool) -> None:
    assert parse_extensions(_render(exts, quote)) == exts


# ---------------------------------------------------------------------------
# offer(): RFC 7692 §7.1
# ---------------------------------------------------------------------------


def test_offer_default_sends_client_max_window_bits_without_value() -> None:
    # RFC 7692 §7.1.2.2: client_max_window_bits MAY be offered without a value.
    assert offer() == "permessage-deflate; client_max_window_bits"


def test_offer_every_parameter() -> None:
    value = offer(
        server_no_context_takeover=True,
        client_no_context_takeover=True,
        server_max_window_bits=10,
        client_max_window_bits=9,
    )
    assert parse_extensions(value) == [
        (
            PMD,
            [
                ("server_no_context_takeover", None),
                ("client_no_context_takeover", None),
                ("server_max_window_bits", "10"),
                ("client_max_window_bits", "9"),
            ],
        )
    ]


def test_offer_window_left_out_with_none_or_false() -> None:
    assert offer(client_max_window_bits=None) == PMD
    assert offer(client_max_window_bits=False) == PMD
    # the same rule for the server's window (None or False: left out)
    assert offer(server_max_window_bits=None) == offer() == offer(server_max_window_bits=False)


@pytest.mark.parametrize(
    "kwargs, exc",
    [
        ({"server_max_window_bits": 7}, ValueError),
        ({"server_max_window_bits": 16}, ValueError),
        ({"client_max_window_bits": 16}, ValueError),
        ({"server_max_window_bits": True}, TypeError),
        ({"server_max_window_bits": "10"}, TypeError),
        ({"server_no_context_takeover": 1}, TypeError),
    ],
)
def test_offer_bad_arguments(kwargs: dict[str, object], exc: type[Exception]) -> None:
    with pytest.raises(exc):
        offer(**kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# respond(): the server side of RFC 7692 §7.1
# ---------------------------------------------------------------------------


def test_server_accepts_plain_offer_with_defaults() -> None:
    assert respond(PMD) == (DeflateParams(), PMD)


def test_server_accepts_browser_offer() -> None:
    agreed, value = respond("permessage-deflate; client_max_window_bits")  # type: ignore[misc]
    assert agreed == DeflateParams()
    assert value == PMD


def test_server_takes_first_acceptable_offer() -> None:
    offers = "x-unknown, permessage-deflate; foo, permessage-deflate; server_max_window_bits=10, permessage-deflate"
    agreed, value = respond(offers)  # type: ignore[misc]
    assert agreed.server_max_window_bits == 10
    assert value == "permessage-deflate; server_max_window_bits=10"


def test_server_accepts_parse_extensions_output() -> None:
    result = respond(parse_extensions("permessage-deflate; client_no_context_takeover"))
    assert result is not None
    assert result[0].client_no_context_takeover


def test_server_returns_none_when_nothing_is_offered() -> None:
    assert respond([]) is None
    with pytest.raises(HandshakeError):
        respond("")  # a header value with no extension is malformed
    assert respond("x-webkit-deflate-frame") is None


@pytest.mark.parametrize(
    "bad_offer",
    [
        "permessage-deflate; foo",  # unknown parameter
        "permessage-deflate; server_max_window_bits=10; server_max_window_bits=10",
        "permessage-deflate; client_max_window_bits; client_max_window_bits=9",
        "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
        "permessage-deflate; server_max_window_bits",  # value required
        "permessage-deflate; server_max_window_bits=7",
        "permessage-deflate; server_max_window_bits=16",
        "permessage-deflate; server_max_window_bits=010",  # leading zero
        "permessage-deflate; server_max_window_bits=09",
        "permessage-deflate; server_max_window_bits=+9",
        "permessage-deflate; client_max_window_bits=0",
        "permessage-deflate; client_max_window_bits=abc",
        'permessage-deflate; client_max_window_bits="08"',
        "permessage-deflate; server_no_context_takeover=1",  # takes no value
        "permessage-deflate; client_no_context_takeover=true",
    ],
)
def test_server_declines_offer_with_unknown_duplicate_or_invalid_param(
    bad_offer: str,
) -> None:
    # RFC 7692 §7.1: the server MUST decline such an offer ...
    assert respond(bad_offer) is None
    # ... and declining is not failing: the next offer is considered.
    result = respond(bad_offer + ", permessage-deflate; client_no_context_takeover")
    assert result == (
        DeflateParams(client_no_context_takeover=True),
        "permessage-deflate; client_no_context_takeover",
    )


def test_server_accepts_quoted_window_value() -> None:
    result = respond('permessage-deflate; server_max_window_bits="12"')
    assert result is not None and result[0].server_max_window_bits == 12


def test_server_honours_offered_server_no_context_takeover() -> None:
    # RFC 7692 §7.1.1.1: the server MUST include it in the response.
    agreed, value = respond("permessage-deflate; server_no_context_takeover")  # type: ignore[misc]
    assert agreed.server_no_context_takeover
    assert "server_no_context_takeover" in value


def test_server_may_impose_its_own_no_context_takeover() -> None:
    agreed, value = respond(PMD, server_no_context_takeover=True)  # type: ignore[misc]
    assert agreed.server_no_context_takeover
    assert value == "permessage-deflate; server_no_context_takeover"


def test_server_may_require_client_no_context_takeover() -> None:
    # RFC 7692 §7.1.1.2: the server MAY include client_no_context_takeover.
    agreed, value = respond(PMD, client_no_context_takeover=True)  # type: ignore[misc]
    assert agreed.client_no_context_takeover
    assert accept_response(value, PMD) == agreed


def test_server_answers_server_window_with_same_or_smaller_value() -> None:
    # RFC 7692 §7.1.2.1.
    agreed, value = respond("permessage-deflate; server_max_window_bits=12")  # type: ignore[misc]
    assert agreed.server_max_window_bits == 12
    assert value == "permessage-deflate; server_max_window_bits=12"
    agreed, value = respond(  # type: ignore[misc]
        "permessage-deflate; server_max_window_bits=12", server_max_window_bits=10
    )
    assert agreed.server_max_window_bits == 10
    assert value == "permessage-deflate; server_max_window_bits=10"


def test_server_may_limit_its_window_unasked() -> None:
    agreed, value = respond(PMD, server_max_window_bits=11)  # type: ignore[misc]
    assert agreed.server_max_window_bits == 11
    assert value == "permessage-deflate; server_max_window_bits=11"


def test_server_window_8_is_accepted() -> None:
    agreed, value = respond("permessage-deflate; server_max_window_bits=8")  # type: ignore[misc]
    assert agreed.server_max_window_bits == 8
    assert value == "permessage-deflate; server_max_window_bits=8"


def test_server_limits_client_window_only_when_offered() -> None:
    # RFC 7692 §7.1.2.2: no client_max_window_bits in the response unless the
    # offer has it; a policy that needs a smaller client window then declines.
    assert respond(PMD, client_max_window_bits=12) is None
    agreed, value = respond(  # type: ignore[misc]
        "permessage-deflate; client_max_window_bits", client_max_window_bits=12
    )
    assert agreed.client_max_window_bits == 12
    assert value == "permessage-deflate; client_max_window_bits=12"
    result = respond(
        "permessage-deflate, permessage-deflate; client_max_window_bits",
        client_max_window_bits=12,
    )
    assert result is not None and result[0].client_max_window_bits == 12


def test_server_never_sends_client_window_that_was_not_offered() -> None:
    for value in ("permessage-deflate", "permessage-deflate; server_max_window_bits=9"):
        result = respond(value)
        assert result is not None
        assert "client_max_window_bits" not in result[1]


def test_server_keeps_client_window_promise() -> None:
    agreed, value = respond("permessage-deflate; client_max_window_bits=10")  # type: ignore[misc]
    assert agreed.client_max_window_bits == 10
    assert value == "permessage-deflate; client_max_window_bits=10"
    agreed, value = respond(  # type: ignore[misc]
        "permessage-deflate; client_max_window_bits=10", client_max_window_bits=9
    )
    assert agreed.client_max_window_bits == 9


def test_server_extension_name_case_insensitive() -> None:
    assert respond("PerMessage-Deflate; Server_Max_Window_Bits=10") is not None


def test_server_malformed_header_is_handshake_error() -> None:
    with pytest.raises(HandshakeError):
        respond("permessage-deflate; =")


@pytest.mark.parametrize(
    "kwargs, exc",
    [
        ({"server_max_window_bits": 7}, ValueError),
        ({"client_max_window_bits": 16}, ValueError),
        ({"server_max_window_bits": None}, TypeError),
        ({"client_no_context_takeover": "yes"}, TypeError),
    ],
)
def test_server_bad_policy(kwargs: dict[str, object], exc: type[Exception]) -> None:
    with pytest.raises(exc):
        respond(PMD, **kwargs)  # type: ignore[arg-type]


def test_server_bad_offers_type() -> None:
    with pytest.raises(TypeError):
        respond(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        respond([("permessage-deflate",)])  # type: ignore[list-item]


# ---------------------------------------------------------------------------
# accept_response(): the client side of RFC 7692 §7.1
# ---------------------------------------------------------------------------


def test_client_accepts_plain_response() -> None:
    assert accept_response(PMD, offer()) == DeflateParams()


@pytest.mark.parametrize(
    "policy",
    [
        {},
        {"server_no_context_takeover": True},
        {"client_no_context_takeover": True},
        {"server_max_window_bits": 9},
        {"client_max_window_bits": 11},
        {"server_max_window_bits": 8, "client_max_window_bits": 8},
    ],
)
@pytest.mark.parametrize(
    "client_offer",
    [
        offer(),
        offer(client_max_window_bits=10),
        offer(server_no_context_takeover=True, client_no_context_takeover=True),
        offer(server_max_window_bits=12, client_max_window_bits=None),
        offer(server_max_window_bits=8, client_max_window_bits=8),
    ],
)
def test_both_sides_agree(policy: dict[str, object], client_offer: str) -> None:
    result = respond(client_offer, **policy)  # type: ignore[arg-type]
    if result is None:
        # Only a policy limiting the client's window without consent declines.
        assert "client_max_window_bits" in policy
        assert "client_max_window_bits" not in client_offer
        return
    agreed, value = result
    assert accept_response(value, client_offer) == agreed


def test_client_fails_on_unknown_param() -> None:
    # RFC 7692 §7.1: a parameter not defined for use in a response.
    with pytest.raises(HandshakeError, match="unknown parameter"):
        accept_response("permessage-deflate; foo", offer())


def test_client_fails_on_duplicate_param() -> None:
    with pytest.raises(HandshakeError, match="duplicate"):
        accept_response(
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            offer(),
        )


@pytest.mark.parametrize("value", ["7", "16", "010", "x", "-9", "1 0"])
def test_client_fails_on_invalid_window_value(value: str) -> None:
    with pytest.raises(HandshakeError):
        accept_response(f'permessage-deflate; server_max_window_bits="{value}"', offer())


def test_client_fails_on_missing_window_value() -> None:
    # A response's window parameters always carry a value.
    with pytest.raises(HandshakeError, match="needs a value"):
        accept_response("permessage-deflate; server_max_window_bits", offer())
    with pytest.raises(HandshakeError, match="needs a value"):
        accept_response("permessage-deflate; client_max_window_bits", offer())


def test_client_fails_on_value_for_no_context_takeover() -> None:
    with pytest.raises(HandshakeError, match="takes no value"):
        accept_response("permessage-deflate; client_no_context_takeover=1", offer())


def test_client_fails_on_client_window_not_offered() -> None:
    # RFC 7692 §7.1.2.2.
    with pytest.raises(HandshakeError, match="not offered"):
        accept_response(
            "permessage-deflate; client_max_window_bits=10",
            offer(client_max_window_bits=None),
        )


def test_client_fails_on_client_window_larger_than_offered() -> None:
    with pytest.raises(HandshakeError, match="larger"):
        accept_response(
            "permessage-deflate; client_max_window_bits=12",
            offer(client_max_window_bits=10),
        )


def test_client_fails_on_server_window_larger_than_offered() -> None:
    # RFC 7692 §7.1.2.1: "the same or smaller value".
    with pytest.raises(HandshakeError, match="larger"):
        accept_response(
            "permessage-deflate; server_max_window_bits=11",
            offer(server_max_window_bits=10),
        )


def test_client_fails_when_requested_server_window_is_not_answered() -> None:
    with pytest.raises(HandshakeError, match="lacks server_max_window_bits"):
        accept_response(PMD, offer(server_max_window_bits=10))


def test_client_fails_when_server_no_context_takeover_is_dropped() -> None:
    # RFC 7692 §7.1.1.1: the server MUST include it when accepting.
    with pytest.raises(HandshakeError, match="lacks server_no_context_takeover"):
        accept_response(PMD, offer(server_no_context_takeover=True))


def test_client_accepts_unrequested_server_limits() -> None:
    agreed = accept_response(
        "permessage-deflate; server_no_context_takeover; server_max_window_bits=9",
        offer(),
    )
    assert agreed == DeflateParams(server_no_context_takeover=True, server_max_window_bits=9)


def test_client_accepts_smaller_client_window_than_offered() -> None:
    agreed = accept_response("permessage-deflate; client_max_window_bits=9", offer(client_max_window_bits=12))
    assert agreed.client_max_window_bits == 9


def test_client_keeps_window_promise_when_response_omits_it() -> None:
    # RFC 7692 §7.1.2.2: the offered N binds the client.
    assert accept_response(PMD, offer(client_max_window_bits=10)) == DeflateParams(client_max_window_bits=10)


def test_client_keeps_no_context_takeover_hint() -> None:
    # RFC 7692 §7.1.1.2: offering it tells the server the client will not
    # take over context even if the response omits it.
    agreed = accept_response(PMD, offer(client_no_context_takeover=True))
    assert agreed.client_no_context_takeover


def test_client_fails_on_extension_not_offered() -> None:
    with pytest.raises(HandshakeError, match="not offered"):
        accept_response("permessage-deflate, x-other", offer())
    with pytest.raises(HandshakeError, match="was not offered"):
        accept_response(PMD, "x-other")


def test_client_fails_on_two_acceptances() -> None:
    with pytest.raises(HandshakeError, match="once"):
        accept_response("permessage-deflate, permessage-deflate", offer())
    with pytest.raises(HandshakeError, match="no extension"):
        accept_response("", offer())


def test_client_response_may_answer_any_of_several_offers() -> None:
    offers = ", ".join(
        [
            offer(server_max_window_bits=10, client_max_window_bits=None),
            offer(client_no_context_takeover=True, client_max_window_bits=None),
        ]
    )
    # Too large for the first offer, valid for the second.
    agreed = accept_response("permessage-deflate; server_max_window_bits=12", offers)
    assert agreed == DeflateParams(client_no_context_takeover=True, server_max_window_bits=12)
    with pytest.raises(HandshakeError, match="does not match"):
        accept_response(
            "permessage-deflate; server_max_window_bits=12; client_max_window_bits=9",
            offers,
        )


def test_client_malformed_response_is_handshake_error() -> None:
    with pytest.raises(HandshakeError):
        accept_response("permessage-deflate;", offer())


# ---------------------------------------------------------------------------
# DeflateParams
# ---------------------------------------------------------------------------


def test_params_frozen_and_validated() -> None:
    params = DeflateParams()
    with pytest.raises(AttributeError):
        params.server_max_window_bits = 9  # type: ignore[misc]
    with pytest.raises(ValueError):
        DeflateParams(server_max_window_bits=16)
    with pytest.raises(ValueError):
        DeflateParams(client_max_window_bits=7)
    with pytest.raises(TypeError):
        DeflateParams(server_no_context_takeover=1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        DeflateParams(client_max_window_bits=True)


def test_params_header_value_round_trips_as_a_response() -> None:
    params = DeflateParams(True, True, 10, 15)
    assert accept_response(params.header_value(), offer()) == params


def test_parameter_names_in_list_input_fold_ascii_only() -> None:
    # U+212A KELVIN SIGN folds to "k" under str.lower(); a header value with it is a
    # 400, and parse_extensions()-shaped input with it names an unknown parameter.
    from wsframe.deflate import respond

    offer = [("permessage-deflate", [("server_no_context_ta\u212aeover", None)])]
    assert respond(offer) is None
    assert respond([("permessage-deflat\u212a", [])]) is None
    assert respond([("PERMESSAGE-DEFLATE", [("SERVER_NO_CONTEXT_TAKEOVER", None)])]) is not None
