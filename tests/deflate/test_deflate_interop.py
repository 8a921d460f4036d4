"""Negotiation and messages against websockets' own permessage-deflate.

websockets' extension factories are Sans-I/O: its client's offer goes through
``respond`` and its client must accept the answer; wsframe's ``offer`` goes
through websockets' server and ``accept_response`` must accept its answer.
Messages then flow both ways between websockets' ``PerMessageDeflate`` and
wsframe's ``Inflater`` / ``Deflater`` with the agreed parameters, on every
installed zlib backend.  (The Autobahn 13.x offers are the client rows.)
"""

from __future__ import annotations

from typing import Any

import pytest
from _deflate_support import backend_params, sample_messages

from wsframe.deflate import Deflater, Inflater, accept_response, offer, respond

pmd = pytest.importorskip("websockets.extensions.permessage_deflate", reason="websockets not installed")
headers = pytest.importorskip("websockets.headers")
frames = pytest.importorskip("websockets.frames")

BACKEND = backend_params()

# websockets client configurations: the Autobahn 13.x offers and more.
CLIENT_OFFERS: list[dict[str, Any]] = [
    {},
    {"client_max_window_bits": None},
    {"server_no_context_takeover": True, "client_no_context_takeover": True},
    {"client_max_window_bits": 9},
    {"client_max_window_bits": 15},
    {"server_max_window_bits": 9},
    {"server_max_window_bits": 8},  # websockets inflates with a strict 8-bit window
    {"server_no_context_takeover": True, "server_max_window_bits": 10},
]

# wsframe client offers, answered by websockets' server with its defaults
# and with limits of its own.
SERVER_CONFIGS: list[dict[str, Any]] = [
    {},
    {"server_max_window_bits": 12, "client_max_window_bits": 12},
    {"server_no_context_takeover": True, "client_no_context_takeover": True},
    {"server_max_window_bits": 9},
]
OUR_OFFERS: list[dict[str, Any]] = [
    {},
    {"client_max_window_bits": 10},
    {"server_no_context_takeover": True},
    {"server_max_window_bits": 11, "client_max_window_bits": None},
]


def exchange(ws_ext: Any, inflater: Inflater, deflater: Deflater) -> None:
    """Messages both ways: websockets -> wsframe and wsframe -> websockets."""
    for message in sample_messages():
        sent = ws_ext.encode(frames.Frame(frames.Opcode.BINARY, message))
        assert sent.rsv1
        assert inflater.feed(sent.data, fin=True, max_size=len(message)) == message
        ours = frames.Frame(frames.Opcode.BINARY, deflater.compress(message), rsv1=True)
        assert ws_ext.decode(ours).data == message


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize("client_kwargs", CLIENT_OFFERS, ids=str)
def test_websockets_client_against_respond(backend: str, client_kwargs: dict[str, Any]) -> None:
    client = pmd.ClientPerMessageDeflateFactory(**client_kwargs)
    offer_value = headers.build_extension([(client.name, client.get_request_params())])
    result = respond(offer_value)
    assert result is not None, offer_value
    agreed, response = result
    [(name, params)] = headers.parse_extension(response)
    ws_ext = client.process_response_params(params, [])  # websockets accepts it
    exchange(ws_ext, Inflater(agreed, zlib=backend), Deflater(agreed, zlib=backend))


@pytest.mark.parametrize("backend", BACKEND)
@pytest.mark.parametrize("server_kwargs", SERVER_CONFIGS, ids=str)
@pytest.mark.parametrize("offer_kwargs", OUR_OFFERS, ids=str)
def test_offer_and_accept_response_against_websockets_server(
    backend: str, server_kwargs: dict[str, Any], offer_kwargs: dict[str, Any]
) -> None:
    server = pmd.ServerPerMessageDeflateFactory(**server_kwargs)
    value = offer(**offer_kwargs)
    [(name, params)] = headers.parse_extension(value)
    try:
        response_params, ws_ext = server.process_request_params(params, [])
    except Exception as exc:  # websockets declines this offer
        pytest.skip(f"websockets declines {value!r}: {exc}")
    response = headers.build_extension([(name, response_params)])
    agreed = accept_response(response, value)
    exchange(
        ws_ext,
        Inflater(agreed, client=True, zlib=backend),
        Deflater(agreed, client=True, zlib=backend),
    )
