"""Fuzz the wsproto integration: wsproto's frame layer with and without wsframe installed.

Each input goes through ``wsproto.connection.Connection`` (events) and
``wsproto.frame_protocol.FrameProtocol`` (frames) twice: once with wsproto's own code,
once after ``wsframe.integrations.wsproto.install()``; the events, frames and
``ParseFailed`` (code and message) must be identical.  The integration promises exactly
that (its fast paths hand anything unusual back to wsproto).

Input layout: byte 0: bit 0 client role; bit 1 permessage-deflate negotiated; bits 6-7
how the stream is cut (as in fuzz_decoder.py); byte 1: the cut's seed; the rest: the
byte stream.
"""

from __future__ import annotations

from typing import Any

import atheris
from _common import Divergence, capture, main, split

with atheris.instrument_imports(include=["wsproto", "wsframe.integrations"]):
    from wsproto.connection import Connection, ConnectionType
    from wsproto.extensions import PerMessageDeflate
    from wsproto.frame_protocol import FrameProtocol

    import wsframe.integrations.wsproto as integration


def _value(x: Any) -> Any:
    """A comparable view of an event or frame (dataclasses / namedtuples, bytearrays)."""
    if isinstance(x, (bytes, bytearray, memoryview)):
        return ("bytes", bytes(x))
    if isinstance(x, tuple) and hasattr(x, "_fields"):
        return (type(x).__name__, tuple(_value(v) for v in x))
    if hasattr(x, "__dict__") and not isinstance(x, type):
        return (type(x).__name__, tuple(sorted((k, _value(v)) for k, v in vars(x).items())))
    if hasattr(x, "name") and hasattr(x, "value"):  # enums
        return repr(x)
    return x


def _extensions(deflate: bool, client: bool) -> list[Any]:
    if not deflate:
        return []
    pmd = PerMessageDeflate()
    pmd.finalize("permessage-deflate")  # negotiated with default parameters
    return [pmd]


def run(flags: int, chunks: list[bytes]) -> list[Any]:
    client = bool(flags & 1)
    deflate = bool(flags & 2)
    out: list[Any] = []
    conn = Connection(
        ConnectionType.CLIENT if client else ConnectionType.SERVER,
        extensions=_extensions(deflate, client),
    )
    for chunk in chunks:
        got = capture(lambda chunk=chunk: (conn.receive_data(chunk), [_value(e) for e in conn.events()])[1])
        out.append(("conn", got))
        if got[0] == "raise":
            break
    proto = FrameProtocol(client=client, extensions=_extensions(deflate, client))
    for chunk in chunks:
        got = capture(lambda chunk=chunk: (proto.receive_bytes(chunk), [_value(f) for f in proto.received_frames()])[1])
        out.append(("frames", got))
        if got[0] == "raise":
            break
    return out


def test_one(data: bytes) -> None:
    if len(data) < 2:
        return
    chunks = split(data[2:], data[1], data[0] >> 6)
    plain = run(data[0], chunks)
    integration.install()
    try:
        patched = run(data[0], chunks)
    finally:
        integration.uninstall()
    if plain != patched:
        raise Divergence(
            f"wsproto with and without wsframe differ on {data!r}\n  wsproto: {plain!r}\n  with wsframe: {patched!r}"
        )


if __name__ == "__main__":
    main(test_one, "wsproto")
