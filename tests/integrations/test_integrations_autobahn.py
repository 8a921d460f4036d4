"""wsframe.integrations.autobahn: wsaccel-compatible API and install().

The validator is checked differentially against autobahn's own algorithm:
the Hoehrmann DFA table that ``autobahn.websocket.utf8validator`` ships
(``UTF8VALIDATOR_DFA``), driven exactly as autobahn's pure-Python
``Utf8Validator.validate`` drives it, over random chunkings.  autobahn's own
test suite is run with the integration installed by tools/peer_suites.sh.
"""

from __future__ import annotations

import pytest

pytest.importorskip("autobahn")
pytest.importorskip("hypothesis")

from autobahn.websocket import utf8validator as ab_utf8
from autobahn.websocket import xormasker as ab_xor
from hypothesis import given
from hypothesis import strategies as st

import wsframe.integrations.autobahn as integ
from _integration_support import run_in_fresh_interpreter
from _support import PEER_SETTINGS
from wsframe.integrations.autobahn import (
    Utf8Validator,
    XorMaskerNull,
    XorMaskerSimple,
    create_xor_masker,
)

DFA = bytes(ab_utf8.UTF8VALIDATOR_DFA)


class OracleValidator:
    """autobahn's validation semantics, driven by autobahn's own DFA table."""

    def __init__(self) -> None:
        self.state = 0
        self.index = 0

    def validate(self, ba: bytes) -> tuple[bool, bool, int, int]:
        state = self.state
        for i, byte in enumerate(ba):
            state = DFA[256 + (state << 4) + DFA[byte]]
            if state == 1:
                self.state = state
                self.index += i
                return False, False, i, self.index
        self.state = state
        self.index += len(ba)
        return True, state == 0, len(ba), self.index


@pytest.fixture(autouse=True)
def _uninstalled():
    integ.uninstall()
    yield
    integ.uninstall()


utf8ish = st.lists(
    st.one_of(
        st.text(max_size=6).map(lambda s: s.encode()),
        st.sampled_from([b"\xed\xa0\x80", b"\xf4\x90", b"\xc0\xaf", b"\xe0\x80", b"\xff", b"\x80", b"\xf0\x9f\x98"]),
        st.binary(max_size=4),
    ),
    max_size=12,
).map(b"".join)


@PEER_SETTINGS
@given(utf8ish, st.lists(st.integers(0, 64), max_size=6), st.integers(0, 3))
def test_validate_matches_autobahn(data: bytes, cuts: list[int], extra_calls: int) -> None:
    cuts = sorted(c for c in cuts if c <= len(data))
    chunks = [data[i:j] for i, j in zip([0, *cuts], [*cuts, len(data)])]
    chunks += [b"\x41"] * extra_calls + [b""]
    ours, oracle = Utf8Validator(), OracleValidator()
    for chunk in chunks:
        assert ours.validate(chunk) == oracle.validate(chunk), (data, chunks)
    ours.reset()
    assert ours.validate(data) == OracleValidator().validate(data)


@PEER_SETTINGS
@given(utf8ish)
def test_decode_matches_autobahn_states(data: bytes) -> None:
    ours, state = Utf8Validator(), 0
    for byte in data:
        state = DFA[256 + (state << 4) + DFA[byte]]
        got = ours.decode(byte)
        assert (got == 0, got == 1) == (state == 0, state == 1)
        if state == 1:
            break
    if state == 0 and data:
        assert chr(ours.codepoint).encode() == data.decode()[-1].encode()


@PEER_SETTINGS
@given(utf8ish, st.lists(st.integers(0, 3), max_size=24))
def test_decode_and_validate_share_one_state(data: bytes, steps: list[int]) -> None:
    # autobahn's validate() and decode() drive one DFA: a chunk validated
    # whole may end inside the character decode() then finishes.
    ours, oracle, pos = Utf8Validator(), OracleValidator(), 0
    for size in steps:
        if pos >= len(data) or oracle.state == 1:
            break
        if size == 0:  # one byte through decode()
            oracle.validate(data[pos : pos + 1])
            got = ours.decode(data[pos])
            assert (got == 0, got == 1) == (oracle.state == 0, oracle.state == 1), (data, steps)
            pos += 1
            if oracle.state == 0:
                assert ours.codepoint == ord(data[:pos].decode()[-1])
        else:  # a chunk through validate()
            chunk = data[pos : pos + size]
            assert ours.validate(chunk) == oracle.validate(chunk), (data, steps)
            pos += len(chunk)


def test_incremental_positions_as_autobahn_documents() -> None:
    """The incremental cases of autobahn's own validator test."""
    v = Utf8Validator()
    assert v.validate("µ@ßöäüàá".encode()) == (True, True, 15, 15)
    v.reset()
    assert v.validate(b"\xf5") == (False, False, 0, 0)
    v.reset()
    assert v.validate(b"edited") == (True, True, 6, 6)
    assert v.validate(b"\xed\xa0\x80") == (False, False, 1, 7)
    v.reset()
    assert v.validate(b"edit") == (True, True, 4, 4)
    assert v.validate(b"ed\xed\xa0\x80") == (False, False, 3, 7)
    v.reset()
    assert v.validate(b"edited\xed") == (True, False, 7, 7)
    assert v.validate(b"\xa0\x80") == (False, False, 0, 7)
    # Stays failed until reset.
    assert v.validate(b"abc") == (False, False, 0, 7)
    v.reset()
    assert v.validate(b"ok") == (True, True, 2, 2)


def test_validate_accepts_buffers() -> None:
    v = Utf8Validator()
    assert v.validate(memoryview(b"\xe2\x82")) == (True, False, 2, 2)
    assert v.validate(bytearray(b"\xac")) == (True, True, 1, 3)
    with pytest.raises(TypeError):
        v.validate("text")  # type: ignore[arg-type]


@PEER_SETTINGS
@given(
    st.binary(min_size=4, max_size=4),
    st.lists(st.binary(max_size=300), max_size=6),
    st.sampled_from([None, 10, 200]),
)
def test_maskers_match_autobahn(mask: bytes, chunks: list[bytes], length: int | None) -> None:
    ours = create_xor_masker(mask, length)
    theirs = ab_xor.create_xor_masker(mask, length)
    for chunk in chunks:
        a, b = ours.process(chunk), theirs.process(chunk)
        assert a == b and isinstance(a, bytes)
        assert ours.pointer() == theirs.pointer()
    ours.reset()
    theirs.reset()
    assert ours.process(b"abcdef") == theirs.process(b"abcdef")
    assert ours.pointer() == 6


def test_masker_null_and_errors() -> None:
    null = XorMaskerNull(b"abcd")
    data = b"unchanged"
    assert null.process(data) is data and null.pointer() == len(data)
    null.reset()
    assert null.pointer() == 0
    with pytest.raises(ValueError):
        XorMaskerSimple(b"abc")
    with pytest.raises(ValueError):
        create_xor_masker(b"abcde")


def test_install_patches_the_names_protocol_uses() -> None:
    from autobahn.websocket import protocol

    originals = (protocol.Utf8Validator, protocol.XorMaskerNull, protocol.create_xor_masker)
    integ.install()
    integ.install()
    assert integ.active()
    assert protocol.Utf8Validator is Utf8Validator
    assert protocol.XorMaskerNull is XorMaskerNull
    assert protocol.create_xor_masker is create_xor_masker
    assert ab_utf8.Utf8Validator is Utf8Validator
    assert ab_xor.create_xor_masker is create_xor_masker
    integ.uninstall()
    integ.uninstall()
    assert (protocol.Utf8Validator, protocol.XorMaskerNull, protocol.create_xor_masker) == originals
    assert not integ.active()


def test_install_before_import_in_fresh_interpreter() -> None:
    out = run_in_fresh_interpreter(
        """
        import sys
        import wsframe.integrations.autobahn as integ
        assert "autobahn.websocket.protocol" not in sys.modules
        integ.install()
        from autobahn.websocket import protocol
        assert protocol.Utf8Validator is integ.Utf8Validator
        assert protocol.create_xor_masker is integ.create_xor_masker
        integ.uninstall()
        assert protocol.Utf8Validator is not integ.Utf8Validator
        print("ok")
        """
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
