"""wsframe.integrations.websocket_client: install/uninstall and equivalence.

websocket-client's own tests (shipped in its wheel) are run with the
integration installed by tools/peer_suites.sh.  Here: the hooks are replaced
and restored; masking and UTF-8 validation give websocket-client's results
(checked against independent oracles: a byte-wise XOR, and CPython's
incremental UTF-8 decoder for "can still become valid UTF-8"); frames built
and parsed by websocket-client's own ``ABNF`` / ``frame_buffer`` /
``continuous_frame`` give the same frames and errors with and without it; and
a real connection to a websockets server works end to end.
"""

from __future__ import annotations

import codecs
import threading
from collections.abc import Iterator

import pytest

pytest.importorskip("websocket")
pytest.importorskip("hypothesis")

from hypothesis import given
from hypothesis import strategies as st
from websocket import _abnf, _utils
from websocket._abnf import ABNF, continuous_frame, frame_buffer
from websocket._exceptions import WebSocketPayloadException

import wsframe.integrations.websocket_client as integ
from _integration_support import BAD_UTF8, TEXT_PAYLOADS
from _support import PEER_SETTINGS


@pytest.fixture
def installed() -> Iterator[None]:
    assert integ.install() is True
    try:
        yield
    finally:
        integ.uninstall()


def xor_oracle(key: bytes, data: bytes) -> bytes:
    return bytes(b ^ key[i % 4] for i, b in enumerate(data))


def prefix_valid_oracle(data: bytes) -> bool:
    """websocket-client's verdict: False only when no continuation can make
    ``data`` valid UTF-8 (CPython's incremental decoder, not final)."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        return False
    return True


def test_install_replaces_and_uninstall_restores_the_hooks() -> None:
    own = (_abnf._mask, ABNF.__dict__["mask"], _utils._validate_utf8)
    assert integ.install() is True
    try:
        assert integ.is_installed() and integ.active()
        assert _utils._validate_utf8 is integ.validate_utf8
        assert ABNF.__dict__["mask"].__func__ is integ.mask
        assert _abnf._mask is not own[0] and _abnf._mask.__wrapped__ is own[0]
    finally:
        integ.uninstall()
    assert not integ.is_installed() and not integ.active()
    assert (_abnf._mask, ABNF.__dict__["mask"], _utils._validate_utf8) == own


@PEER_SETTINGS
@given(key=st.binary(min_size=4, max_size=4), data=st.binary(max_size=600))
def test_mask_matches_xor(key: bytes, data: bytes) -> None:
    integ.install()
    try:
        assert ABNF.mask(key, data) == xor_oracle(key, data)
        import array

        assert _abnf._mask(array.array("B", key), array.array("B", data)) == xor_oracle(key, data)
    finally:
        integ.uninstall()


def test_mask_argument_handling_is_websocket_clients(installed: None) -> None:
    assert ABNF.mask("abcd", "hello") == xor_oracle(b"abcd", b"hello")  # str: latin-1
    assert ABNF.mask(b"abcd", None) == b""
    assert ABNF.mask(b"abcd", "\xe9t\xe9") == xor_oracle(b"abcd", "\xe9t\xe9".encode("latin-1"))
    with pytest.raises(UnicodeEncodeError):
        ABNF.mask(b"abcd", "\u20ac")
    assert isinstance(ABNF.mask(b"abcd", bytearray(b"xyz")), bytes)


def _outcome(key: bytes) -> object:
    try:
        return ABNF.mask(key, b"payload!")
    except Exception as exc:  # wsaccel (when installed) refuses odd keys
        return type(exc)


def test_odd_mask_keys_keep_websocket_clients_result() -> None:
    keys = (b"", b"ab", b"abcdef")
    expected = [_outcome(key) for key in keys]
    integ.install()
    try:
        assert [_outcome(key) for key in keys] == expected
    finally:
        integ.uninstall()


@PEER_SETTINGS
@given(
    data=st.one_of(
        st.binary(max_size=64),
        st.text(max_size=40).map(lambda s: s.encode("utf-8", "surrogatepass")),
        st.sampled_from(BAD_UTF8 + [b"ok\xe2\x82", b"\xf0\x9f", b"\xc3"]),
    )
)
def test_validate_utf8_has_websocket_clients_semantics(data: bytes) -> None:
    integ.install()
    try:
        assert _utils.validate_utf8(data) is prefix_valid_oracle(data)
    finally:
        integ.uninstall()


def _validate_outcome(data: object) -> object:
    try:
        return _utils.validate_utf8(data)
    except Exception as exc:  # websocket-client before 1.7 does not take str
        return type(exc)


def test_validate_utf8_of_str_is_websocket_clients() -> None:
    expected = _validate_outcome("h\u00e9llo")
    integ.install()
    try:
        assert _validate_outcome("h\u00e9llo") == expected
    finally:
        integ.uninstall()


def test_validate_utf8_cases(installed: None) -> None:
    for payload in TEXT_PAYLOADS:
        assert _utils.validate_utf8(payload) is True
    assert _utils.validate_utf8(b"\xff\xfe") is False
    assert _utils.validate_utf8(b"\xed\xa0\x80") is False  # a surrogate
    assert _utils.validate_utf8(b"ok\xe2\x82") is True  # cut at the end: accepted
    assert _utils.validate_utf8(b"\xe2\x82ok") is False


def _receive_all(data: bytes, *, skip_utf8: bool = False) -> list[tuple[int, bytes]] | str:
    """websocket-client's receive path over ``data``: the messages, or the
    error it raises (its type and message)."""
    pos = 0

    def recv(n: int) -> bytes:
        nonlocal pos
        chunk = data[pos : pos + min(n, 7)]  # small reads: frames cut anywhere
        pos += len(chunk)
        if not chunk:
            raise EOFError
        return chunk

    fb = frame_buffer(recv, skip_utf8)
    cont = continuous_frame(False, skip_utf8)
    out: list[tuple[int, bytes]] = []
    try:
        while pos < len(data):
            frame = fb.recv_frame()
            if frame.opcode in (ABNF.OPCODE_TEXT, ABNF.OPCODE_BINARY, ABNF.OPCODE_CONT):
                cont.validate(frame)
                cont.add(frame)
                if cont.is_fire(frame):
                    opcode, frame = cont.extract(frame)
                    out.append((opcode, frame.data))
            else:
                out.append((frame.opcode, frame.data))
    except Exception as exc:  # the comparison includes websocket-client's errors
        return f"{type(exc).__name__}: {exc}"
    return out


def _frames(messages: list[tuple[int, bytes, bool]], key: bytes) -> bytes:
    out = b""
    for opcode, payload, fin in messages:
        frame = ABNF(int(fin), 0, 0, 0, opcode, 1, payload)
        frame.get_mask_key = lambda n: key
        out += frame.format()
    return out


@PEER_SETTINGS
@given(
    key=st.binary(min_size=4, max_size=4),
    texts=st.lists(st.sampled_from(TEXT_PAYLOADS[:4] + BAD_UTF8), max_size=4),
    binary=st.binary(max_size=300),
    split=st.booleans(),
)
def test_masked_frames_round_trip_identically(key: bytes, texts: list[bytes], binary: bytes, split: bool) -> None:
    messages: list[tuple[int, bytes, bool]] = []
    for text in texts:
        if split and len(text) > 1:
            messages += [(ABNF.OPCODE_TEXT, text[:1], False), (ABNF.OPCODE_CONT, text[1:], True)]
        else:
            messages.append((ABNF.OPCODE_TEXT, text, True))
    messages += [(ABNF.OPCODE_BINARY, binary, True), (ABNF.OPCODE_PING, b"p", True)]
    plain_wire = _frames(messages, key)
    plain = _receive_all(plain_wire)
    integ.install()
    try:
        wire = _frames(messages, key)
        got = _receive_all(wire)
    finally:
        integ.uninstall()
    assert wire == plain_wire
    assert got == plain


def test_invalid_text_is_websocket_clients_error(installed: None) -> None:
    wire = _frames([(ABNF.OPCODE_TEXT, b"ab\xc0\xaf", True)], b"\x01\x02\x03\x04")
    got = _receive_all(wire)
    assert isinstance(got, str) and got.startswith(WebSocketPayloadException.__name__)
    assert _receive_all(wire, skip_utf8=True) == [(ABNF.OPCODE_TEXT, b"ab\xc0\xaf")]


def test_a_real_connection_to_a_websockets_server(installed: None) -> None:
    pytest.importorskip("websockets")
    import websocket
    from websockets.sync.server import serve

    def echo(connection: object) -> None:
        for message in connection:  # type: ignore[attr-defined]
            connection.send(message)  # type: ignore[attr-defined]

    with serve(echo, "localhost", 0) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            port = server.socket.getsockname()[1]
            ws = websocket.create_connection(f"ws://localhost:{port}/", timeout=10)
            try:
                text = "h\u00e9llo \u20ac \U0001f600" * 100
                ws.send(text)
                assert ws.recv() == text
                blob = bytes(range(256)) * 300
                ws.send_binary(blob)
                assert ws.recv() == blob
            finally:
                ws.close()
        finally:
            server.shutdown()
            thread.join(10)
