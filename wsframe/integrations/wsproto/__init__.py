"""Drop-in acceleration of wsproto's frame layer (``wsproto.frame_protocol``).

Usage::

    import wsframe.integrations.wsproto as wsframe_wsproto
    wsframe_wsproto.install()      # before or after ``import wsproto``
    ...
    wsframe_wsproto.uninstall()    # restores wsproto's own code

What is replaced (wsproto ``>=1.2,<1.4``, see ``SUPPORTED_SERIES``; with another version, or
internals that fail a feature probe, ``install()`` warns and leaves wsproto
untouched):

* ``XorMaskerSimple``: a subclass whose ``process()`` masks with
  :func:`wsframe.mask.apply_mask_inplace` (RFC 6455 §5.3) instead of four
  ``bytes.translate`` passes; it still returns a ``bytearray`` and continues
  the key phase across calls.
* ``FrameDecoder.process_buffer``: when a whole frame is buffered and nothing
  unusual is going on, the header is parsed by :func:`wsframe.frames.parse_header`
  and the payload unmasked by :func:`wsframe.mask.apply_mask` in one step,
  producing the very ``Frame`` wsproto would.
* ``MessageDecoder.process_frame``: a text message that arrives as one frame
  is decoded with one ``bytes.decode`` instead of a fresh incremental decoder.
* ``FrameProtocol.received_frames``: a tight loop over the buffered complete
  frames (header, unmask, UTF-8, close payload) that bypasses the generator
  chain for the common case.
* ``wsproto.connection.Connection.events``: the same loop, turning each
  complete frame straight into its event (``TextMessage``, ``BytesMessage``,
  ``Ping``, ``Pong``, ``CloseConnection``) with wsproto's state changes; a
  buffer of at least ``_connection.BATCH_MIN`` bytes is first taken by the
  batch step (``_batch``): one :class:`wsframe.frames.FrameDecoder` pass,
  each whole message (compressed ones inflated) from the buffer to its event
  in one C call on the compiled backend.

Exactness rule: the fast paths only handle what they can prove wsproto would
accept in exactly the same way: a complete, well-formed frame with the right
masking, and RSV bits only through a negotiated extension.  wsproto's own
``PerMessageDeflate`` is run through the same hooks, in the same order, as
``FrameDecoder.process_buffer`` runs it.  Everything else (partial frames,
malformed headers, fragmented text, other extensions) is handed, at a frame
boundary and with wsproto's state untouched, to wsproto's own code, so
events, partial frames, close codes and ``ParseFailed`` messages are
wsproto's.  wsproto's own test suite passes with this package installed
(``tools/peer_suites.sh``).

One module per wsproto layer it touches: ``_masking`` (``XorMaskerSimple``),
``_frame_protocol`` (``FrameDecoder``, ``MessageDecoder``,
``FrameProtocol``), ``_connection`` (``Connection.events``), ``_deflate``
(``PerMessageDeflate``'s inbound hooks, the inflated-size bound), with the
receive loops' shared fast path in ``_fast_path``, the batch step of
``Connection.events`` in ``_batch`` (the compiled ``_WsprotoBatch`` or its
pure-Python twin) and the integration's state on one object in ``_state``.
"""

from __future__ import annotations

from .._patching import Patch, PatchSet, entry_points
from ._connection import make_events
from ._deflate import make_pmd_hook, set_max_inflated_size
from ._frame_protocol import make_process_buffer, make_process_frame, make_received_frames
from ._masking import make_xor_masker_simple
from ._probes import PROBES
from ._state import CONNECTION, EXTENSIONS, FRAME_PROTOCOL, PMD_HOOKS

__all__ = [
    "SUPPORTED_SERIES",
    "install",
    "uninstall",
    "is_installed",
    "active",
    "set_max_inflated_size",
]

#: The wsproto releases this integration is written for: inside this series,
#: a release whose internals pass the feature probes (``_probes.PROBES``) is
#: accelerated; anything else is left untouched with a warning naming the
#: series or the failed probe.  tools/integration_matrix.sh runs wsproto's own
#: suite and tests/integrations/test_integrations_wsproto.py on the oldest and newest
#: release of the series, and the refusal on one release outside it.
SUPPORTED_SERIES = ">=1.2,<1.4"

_patches = PatchSet(
    [
        Patch(FRAME_PROTOCOL, "XorMaskerSimple", make_xor_masker_simple),
        Patch(FRAME_PROTOCOL, "FrameDecoder.process_buffer", make_process_buffer),
        Patch(FRAME_PROTOCOL, "MessageDecoder.process_frame", make_process_frame),
        Patch(FRAME_PROTOCOL, "FrameProtocol.received_frames", make_received_frames),
        Patch(CONNECTION, "Connection.events", make_events),
        *(Patch(EXTENSIONS, f"PerMessageDeflate.{name}", make_pmd_hook(name)) for name in PMD_HOOKS),
    ],
    distribution="wsproto",
    series=SUPPORTED_SERIES,
    probes=PROBES,
)


install, uninstall, is_installed, active = entry_points(_patches, __name__, "wsproto")
