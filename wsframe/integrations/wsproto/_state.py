"""What the wsproto integration's modules share: module names, the version's
payload types, and the integration's mutable state (one :data:`STATE` object)."""

from __future__ import annotations

from typing import Any

from .._patching import installed_version

__all__ = ["FRAME_PROTOCOL", "EXTENSIONS", "CONNECTION", "PMD_HOOKS", "State", "STATE", "legacy_types"]

FRAME_PROTOCOL = "wsproto.frame_protocol"
EXTENSIONS = "wsproto.extensions"
CONNECTION = "wsproto.connection"

#: wsproto's inbound hooks of ``PerMessageDeflate``, in the order wsproto calls them.
PMD_HOOKS = ("frame_inbound_header", "frame_inbound_payload_data", "frame_inbound_complete")


class State:
    """The integration's settings and the objects its patches install.

    Attributes:
        inflate_limit: the opt-in bound on a compressed message's inflated
            size, or ``None`` (wsproto's behaviour: no bound); see
            :func:`wsframe.integrations.wsproto.set_max_inflated_size`.
        pmd_hooks: hook name (one of :data:`PMD_HOOKS`) -> the function this
            integration installed on ``PerMessageDeflate``; the receive loops
            inline the hooks only while the class carries exactly these.
    """

    __slots__ = ("inflate_limit", "pmd_hooks")

    def __init__(self) -> None:
        self.inflate_limit: int | None = None
        self.pmd_hooks: dict[str, Any] = {}

    def pmd_hooks_in_place(self, cls: type) -> bool:
        """True if ``cls`` (a ``PerMessageDeflate`` class) carries this
        integration's three inbound hooks."""
        hooks = self.pmd_hooks
        return len(hooks) == len(PMD_HOOKS) and all(getattr(cls, name, None) is hooks[name] for name in PMD_HOOKS)


#: The one state of the integration (process-wide, as the patches are).
STATE = State()


def legacy_types() -> bool:
    """True for wsproto 1.2, whose payload types differ from 1.3's.

    wsproto 1.2 hands out what its buffer and masker produce: ``bytes`` for a
    masked, non-empty payload and a ``bytearray`` otherwise (an unmasked
    payload, an empty one), and ``XorMaskerSimple.process`` returns ``bytes``
    (its argument itself when empty).  wsproto 1.3 turns every frame payload
    into ``bytes`` and ``XorMaskerSimple.process`` returns a ``bytearray``.
    """
    version = installed_version("wsproto") or ""
    return version.startswith("1.2.")
