"""The feature probes of the wsproto integration: exactly the internals its
patches replace or read, as wsproto 1.2 and 1.3 have them (see the version
rule in :mod:`wsframe.integrations._patching`)."""

from __future__ import annotations

from types import ModuleType

from .._patching import Probe, check, fields, has, kind, signature
from ._state import CONNECTION, EXTENSIONS, FRAME_PROTOCOL, PMD_HOOKS

__all__ = ["PROBES"]


def _missing(obj: object, names: tuple[str, ...]) -> str | None:
    absent = [name for name in names if not hasattr(obj, name)]
    return f"{type(obj).__name__} instance lacks {', '.join(absent)}" if absent else None


def _frame_layer_state(fp: ModuleType) -> str | None:
    """The instance attributes the fast paths read and set, on fresh objects."""
    decoder = fp.FrameDecoder(client=False)
    proto = fp.FrameProtocol(client=False, extensions=[])
    if not isinstance(getattr(decoder.buffer, "buffer", None), bytearray):
        return "FrameDecoder().buffer.buffer is not a bytearray"
    if "closed" not in fp.FrameProtocol._parse_more_gen.__code__.co_varnames:
        return "FrameProtocol._parse_more_gen has no local 'closed'"
    return (
        _missing(decoder, ("client", "extensions", "buffer", "header", "payload_required", "payload_consumed"))
        or _missing(decoder.buffer, ("bytes_used",))
        or _missing(proto, ("extensions", "_frame_decoder", "_message_decoder", "_parse_more"))
        or _missing(fp.MessageDecoder(), ("opcode", "decoder"))
    )


def _pmd_state(ext: ModuleType) -> str | None:
    """The ``PerMessageDeflate`` attributes the hooks read and set."""
    pmd = ext.PerMessageDeflate()
    return _missing(
        pmd,
        (
            "_decompressor",
            "_inbound_is_compressible",
            "_inbound_compressed",
            "client_no_context_takeover",
            "server_no_context_takeover",
            "client_max_window_bits",
            "server_max_window_bits",
        ),
    )


def _connection_state(conn: ModuleType) -> str | None:
    absent = [name for name in ("LOCAL_CLOSING", "REMOTE_CLOSING", "CLOSED") if not hasattr(conn.ConnectionState, name)]
    if absent:
        return f"ConnectionState lacks {', '.join(absent)}"
    connection = conn.Connection(conn.ConnectionType.SERVER)
    return _missing(connection, ("_proto", "_events", "_state", "state"))


PROBES: list[Probe] = [
    # wsproto.frame_protocol: the masker, the decoders, the frame protocol.
    kind(FRAME_PROTOCOL, "XorMaskerSimple", type),
    signature(FRAME_PROTOCOL, "XorMaskerSimple.__init__", ["self", "masking_key"]),
    signature(FRAME_PROTOCOL, "XorMaskerSimple.process", ["self", "data"]),
    signature(FRAME_PROTOCOL, "FrameDecoder.process_buffer", ["self"]),
    signature(FRAME_PROTOCOL, "FrameDecoder.parse_header", ["self"]),
    signature(FRAME_PROTOCOL, "FrameDecoder.extension_processing", ["self", "opcode", "rsv", "payload_len"]),
    signature(FRAME_PROTOCOL, "MessageDecoder.process_frame", ["self", "frame"]),
    signature(FRAME_PROTOCOL, "FrameProtocol.received_frames", ["self"]),
    signature(FRAME_PROTOCOL, "FrameProtocol._parse_more_gen", ["self"]),
    signature(FRAME_PROTOCOL, "FrameProtocol._process_close", ["self", "frame"]),
    fields(FRAME_PROTOCOL, "Frame", ["opcode", "payload", "frame_finished", "message_finished"]),
    fields(FRAME_PROTOCOL, "RsvBits", ["rsv1", "rsv2", "rsv3"]),
    *has(
        FRAME_PROTOCOL,
        "Opcode.CONTINUATION",
        "Opcode.TEXT",
        "Opcode.BINARY",
        "Opcode.CLOSE",
        "Opcode.PING",
        "Opcode.PONG",
        "CloseReason.INVALID_FRAME_PAYLOAD_DATA",
        "CloseReason.MESSAGE_TOO_BIG",
        "CloseReason.PROTOCOL_ERROR",
        "ParseFailed",
        "getincrementaldecoder",
    ),
    check(FRAME_PROTOCOL, f"{FRAME_PROTOCOL} decoder and protocol state", _frame_layer_state),
    # wsproto.connection: the event loop and its states.
    signature(CONNECTION, "Connection.events", ["self"]),
    check(CONNECTION, f"{CONNECTION}.Connection state", _connection_state),
    # wsproto.extensions: PerMessageDeflate's inbound hooks and their state.
    signature(EXTENSIONS, f"PerMessageDeflate.{PMD_HOOKS[0]}", ["self", "proto", "opcode", "rsv", "payload_length"]),
    signature(EXTENSIONS, f"PerMessageDeflate.{PMD_HOOKS[1]}", ["self", "proto", "data"]),
    signature(EXTENSIONS, f"PerMessageDeflate.{PMD_HOOKS[2]}", ["self", "proto", "fin"]),
    signature(EXTENSIONS, "PerMessageDeflate._compressible_opcode", ["self", "opcode"]),
    check(EXTENSIONS, f"{EXTENSIONS}.PerMessageDeflate state", _pmd_state),
]
