"""The feature probes of :mod:`wsframe.integrations.websockets`: exactly the
websockets internals its patches replace or read, as websockets 16.1 to 17
have them (see ``PatchSet`` in :mod:`wsframe.integrations._patching`)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from ._patching import Probe, check, has, kind, signature

__all__ = ["EXCEPTIONS", "FRAMES", "LEGACY", "PMD", "PROBES", "PROTOCOL", "STREAMS"]

FRAMES = "websockets.frames"
PMD = "websockets.extensions.permessage_deflate"
LEGACY = "websockets.legacy.framing"
STREAMS = "websockets.streams"
EXCEPTIONS = "websockets.exceptions"
PROTOCOL = "websockets.protocol"


def _pmd_state(module: ModuleType) -> str | None:
    """The ``PerMessageDeflate`` attributes the patches read and set."""
    ext = module.PerMessageDeflate(False, False, 15, 15)
    absent = [
        name
        for name in ("remote_no_context_takeover", "remote_max_window_bits", "decoder", "decode_cont_data")
        if not hasattr(ext, name)
    ]
    return f"PerMessageDeflate instance lacks {', '.join(absent)}" if absent else None


def _reader_buffer(module: ModuleType) -> str | None:
    if not isinstance(getattr(module.StreamReader(), "buffer", None), bytearray):
        return "StreamReader().buffer is not a bytearray"
    return None


def _draws_keys_from_secrets(module: ModuleType) -> bool:
    # websockets' serialize() calls secrets.token_bytes(4) through the
    # module's own name: the stdlib module, or whatever a test put there.
    return callable(getattr(getattr(module, "secrets", None), "token_bytes", None))


def _names(function: Any) -> set[str]:
    return set(function.__code__.co_names)


def _receive_loop_is_the_mirrored_one(module: ModuleType) -> str | None:
    """``Protocol.parse`` reads exactly the names of the loop the patched
    ``parse`` reproduces (websockets 16.1 to 17)."""
    protocol = module.Protocol
    expected = {
        "reader",
        "at_eof",
        "max_message_size",
        "current_size",
        "max_fragment_size",
        "parse",
        "side",
        "extensions",
        "recv_frame",
        "fail",
        "parser_exc",
        "debug",
        "logger",
        "set_current_size",
        "SERVER",
        "Frame",
        "CloseCode",
    }
    missing = expected - _names(protocol.parse)
    if missing:
        return f"parse does not read {sorted(missing)}"
    unexpected = (
        _names(protocol.parse)
        - expected
        - {
            "EOFError",
            "ProtocolError",
            "UnicodeDecodeError",
            "PayloadTooBig",
            "Exception",
            "read_exact",
            "PROTOCOL_ERROR",
            "ABNORMAL_CLOSURE",
            "INVALID_DATA",
            "MESSAGE_TOO_BIG",
            "INTERNAL_ERROR",
            "error",
            "reason",
            "start",
            "str",
            "min",
            "AssertionError",
        }
    )
    if unexpected:
        return f"parse also reads {sorted(unexpected)}"
    return None


#: The feature probes.
PROBES: list[Probe] = [
    *has(FRAMES, "apply_mask", "CTRL_OPCODES", "Opcode.CONT", "Frame.check"),
    signature(FRAMES, "Frame", ["opcode", "data", "fin", "rsv1", "rsv2", "rsv3"]),
    kind(FRAMES, "Frame.parse", classmethod),
    signature(FRAMES, "Frame.parse", ["read_exact", "mask", "max_size", "extensions"]),
    signature(FRAMES, "Frame.serialize", ["self", "mask", "extensions"]),
    check(FRAMES, f"{FRAMES} draws mask keys from secrets", _draws_keys_from_secrets),
    signature(STREAMS, "StreamReader.read_exact", ["self", "n"]),
    check(STREAMS, f"{STREAMS}.StreamReader().buffer", _reader_buffer),
    *has(EXCEPTIONS, "ProtocolError", "PayloadTooBig"),
    signature(EXCEPTIONS, "PayloadTooBig", ["size_or_message", "max_size", "current_size"]),
    signature(
        PMD,
        "PerMessageDeflate.__init__",
        [
            "self",
            "remote_no_context_takeover",
            "local_no_context_takeover",
            "remote_max_window_bits",
            "local_max_window_bits",
            "compress_settings",
        ],
    ),
    signature(PMD, "PerMessageDeflate.decode", ["self", "frame", "max_size"]),
    check(PMD, f"{PMD}.PerMessageDeflate state", _pmd_state),
    *has(LEGACY, "apply_mask"),
    signature(STREAMS, "StreamReader.at_eof", ["self"]),
    *has(EXCEPTIONS, "PayloadTooBig.set_current_size"),
    *has(
        FRAMES,
        "CloseCode.PROTOCOL_ERROR",
        "CloseCode.INVALID_DATA",
        "CloseCode.MESSAGE_TOO_BIG",
        "CloseCode.INTERNAL_ERROR",
    ),
    *has(PROTOCOL, "SERVER"),
    signature(PROTOCOL, "Protocol.parse", ["self"]),
    signature(PROTOCOL, "Protocol.recv_frame", ["self", "frame"]),
    signature(PROTOCOL, "Protocol.fail", ["self", "code", "reason"]),
    check(PROTOCOL, f"{PROTOCOL}.Protocol receive loop", _receive_loop_is_the_mirrored_one),
]
