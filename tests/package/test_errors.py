"""Tests for :mod:`wsframe.errors` (close codes of RFC 6455 §7.4.1)."""

from __future__ import annotations

import pickle

import pytest

import wsframe
from wsframe import errors
from wsframe.errors import InvalidUTF8, PayloadTooBig, ProtocolError


def test_errors_all_names() -> None:
    assert set(errors.__all__) == {"ProtocolError", "InvalidUTF8", "PayloadTooBig", "HandshakeError"}
    for name in errors.__all__:
        assert getattr(wsframe, name) is getattr(errors, name)


def test_protocol_error_is_value_error() -> None:
    # DESIGN: callers that already catch ValueError for bad input keep working.
    assert issubclass(ProtocolError, ValueError)
    with pytest.raises(ValueError):
        raise ProtocolError("bad frame")


def test_rfc6455_7_4_1_protocol_error_default_code_1002() -> None:
    exc = ProtocolError("reserved opcode 3")
    assert exc.code == 1002
    assert str(exc) == "reserved opcode 3"


def test_protocol_error_custom_code() -> None:
    exc = ProtocolError("invalid close code 1005", code=1002)
    assert exc.code == 1002
    exc = ProtocolError("policy", 1008)
    assert exc.code == 1008


def test_rfc6455_7_4_1_invalid_utf8_code_1007() -> None:
    exc = InvalidUTF8("text payload is not valid UTF-8 at byte 17", position=17)
    assert isinstance(exc, ProtocolError)
    assert isinstance(exc, ValueError)
    assert exc.code == 1007
    assert exc.position == 17
    assert "17" in str(exc)


def test_rfc6455_7_4_1_payload_too_big_code_1009() -> None:
    exc = PayloadTooBig("frame of 2000000 bytes exceeds max_frame_size 1048576")
    assert isinstance(exc, ProtocolError)
    assert exc.code == 1009
    assert "2000000" in str(exc)


def test_error_classes_are_distinct() -> None:
    assert not issubclass(InvalidUTF8, PayloadTooBig)
    assert not issubclass(PayloadTooBig, InvalidUTF8)


@pytest.mark.parametrize(
    "exc",
    [
        ProtocolError("reserved opcode 3"),
        ProtocolError("policy", 1008),
        InvalidUTF8("bad UTF-8 at byte 5", position=5),
        PayloadTooBig("too big"),
    ],
    ids=["protocol", "protocol-1008", "utf8", "too-big"],
)
def test_errors_survive_pickling(exc: ProtocolError) -> None:
    # Errors cross process boundaries (multiprocessing, logging handlers).
    clone = pickle.loads(pickle.dumps(exc))
    assert type(clone) is type(exc)
    assert str(clone) == str(exc)
    assert clone.code == exc.code
    if isinstance(exc, InvalidUTF8):
        assert isinstance(clone, InvalidUTF8)
        assert clone.position == exc.position


def test_handshake_error_carries_status_and_headers() -> None:
    import pickle

    from wsframe.errors import HandshakeError

    exc = HandshakeError("unsupported version", 426, [("Sec-WebSocket-Version", "13")])
    assert isinstance(exc, ValueError) and not isinstance(exc, ProtocolError)
    assert exc.status == 426
    assert exc.headers == (("Sec-WebSocket-Version", "13"),)
    copy = pickle.loads(pickle.dumps(exc))
    assert (str(copy), copy.status, copy.headers) == (str(exc), 426, exc.headers)
    assert HandshakeError("bad").status == 400 and HandshakeError("bad").headers == ()
