"""The checks that wsproto's internals are those the patches mirror."""

from __future__ import annotations

from types import ModuleType

from .._patching import Unsupported

__all__ = ["check_structure", "check_pmd", "check_connection"]


def check_structure(module: ModuleType) -> None:
    """Check that wsproto's frame layer is the one the fast paths mirror.

    Raises:
        Unsupported: a name or field the fast paths rely on is missing.
    """
    needed = {
        "FrameDecoder": ("process_buffer", "parse_header", "extension_processing"),
        "FrameProtocol": ("_parse_more_gen", "_process_close", "received_frames"),
        "MessageDecoder": ("process_frame",),
        "Buffer": ("consume_at_most", "commit"),
    }
    for cls_name, attrs in needed.items():
        cls = getattr(module, cls_name, None)
        if cls is None or not all(hasattr(cls, a) for a in attrs):
            raise Unsupported(f"wsproto.frame_protocol.{cls_name} differs from wsproto 1.3")
    if getattr(module.Frame, "_fields", None) != (
        "opcode",
        "payload",
        "frame_finished",
        "message_finished",
    ):
        raise Unsupported("wsproto.frame_protocol.Frame differs from wsproto 1.3")
    if getattr(module, "getincrementaldecoder", None) is None:
        raise Unsupported("wsproto.frame_protocol has no getincrementaldecoder")


def check_connection(module: ModuleType) -> None:
    """Check ``wsproto.connection``'s states.

    Raises:
        Unsupported: a state the fast path sets is missing.
    """
    state = getattr(module, "ConnectionState", None)
    if state is None or not hasattr(module.Connection, "state") or not all(
        hasattr(state, name) for name in ("LOCAL_CLOSING", "REMOTE_CLOSING", "CLOSED")
    ):
        raise Unsupported("wsproto.connection differs from wsproto 1.3")


def check_pmd(module: ModuleType) -> None:
    """Check ``wsproto.extensions.PerMessageDeflate``'s hooks.

    Raises:
        Unsupported: a hook is missing.
    """
    pmd = getattr(module, "PerMessageDeflate", None)
    needed = ("frame_inbound_header", "frame_inbound_payload_data", "frame_inbound_complete",
              "_compressible_opcode")
    if pmd is None or not all(name in pmd.__dict__ for name in needed):
        raise Unsupported("wsproto.extensions.PerMessageDeflate differs from wsproto 1.2/1.3")
