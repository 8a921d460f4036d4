"""Drop-in acceleration of aiohttp's WebSocket reader and writer.

Usage (in the module that builds the ``web.Application``, or before the
first ``ClientSession.ws_connect``)::

    import wsframe.integrations.aiohttp as wsframe_aiohttp
    wsframe_aiohttp.install()     # before or after ``import aiohttp``

What is replaced, in every module that binds the name (``aiohttp.web_ws``
and ``aiohttp.client`` construct them, ``aiohttp.http``,
``aiohttp.http_websocket`` and ``aiohttp._websocket.reader`` /
``aiohttp._websocket.writer`` re-export them):

* ``WebSocketReader``: frames are decoded in batches by
  :class:`wsframe.frames.FrameDecoder` (header, unmasking, RFC 6455 §5 rules)
  and turned into aiohttp's own ``WSMessage`` / ``WSMessageTextBytes``
  tuples, pushed into aiohttp's own ``WebSocketDataQueue`` (which pauses and
  resumes the transport, as with aiohttp's reader).  Compressed messages are
  inflated frame by frame by :class:`wsframe.deflate.Inflater`, bounded by
  ``max_msg_size``, and text is validated as it is inflated.
* ``WebSocketWriter``: frame headers, masking (keys from
  :func:`wsframe.frames.new_mask`, the OS CSPRNG, instead of
  ``random.Random``) and compression (one :class:`wsframe.deflate.Deflater`
  per connection, and one per window size for the per-send ``compress=``
  override, reset after each such message instead of rebuilt).

Exactness rule: wsframe's decoder is stricter than aiohttp's reader in a few
places (a frame masked against its role, a non-minimal length, RSV1 on a
control frame, a close code aiohttp tolerates, data after a Close frame).
Where wsframe refuses a frame, the frame and everything after it on that
connection go to aiohttp's own (pure-Python) parser, so messages, close
codes and errors are aiohttp's.  ``tests/integrations/test_integrations_aiohttp.py``
proves it differentially through an aiohttp server.

Version safety: the supported series are :data:`SUPPORTED_SERIES`; before
anything is replaced, :func:`probe_reader` and :func:`probe_writer` check
that aiohttp's internals are the ones this module was written for.  With
anything else aiohttp keeps its own code and a ``RuntimeWarning`` says why.
"""

from __future__ import annotations

import warnings
from types import ModuleType
from typing import Any

from .._patching import Patch, PatchSet, Unsupported, entry_points
from ._probes import probe_reader, probe_writer
from ._reader import build_reader_class as _build_reader_class
from ._writer import build_writer_class as _build_writer_class

__all__ = [
    "SUPPORTED_SERIES",
    "probe_reader",
    "probe_writer",
    "install",
    "uninstall",
    "is_installed",
    "active",
]

#: The aiohttp release series this integration is written for; within them
#: the feature probes decide (a release whose internals differ is left alone).
SUPPORTED_SERIES = ">=3.11,<3.15"

#: The modules that bind ``WebSocketReader`` / ``WebSocketWriter``.
_READER_MODULES = (
    "aiohttp._websocket.reader",
    "aiohttp.http_websocket",
    "aiohttp.http",
    "aiohttp.web_ws",
    "aiohttp.client",
    "aiohttp.client_ws",
)
_WRITER_MODULES = (
    "aiohttp._websocket.writer",
    "aiohttp.http_websocket",
    "aiohttp.http",
    "aiohttp.web_ws",
    "aiohttp.client",
)

_reader_cls: Any = None
_writer_cls: Any = None


def _keep_part(original: Any, module: ModuleType, name: str, reason: str) -> Any:
    """The reader and the writer are judged apart (the writer's internals match
    from 3.13.3, the reader's from 3.14.0): a part whose probe fails keeps
    aiohttp's own class, with a warning, while the other is accelerated."""
    warnings.warn(f"wsframe: {module.__name__}.{name} left unaccelerated: {reason}", RuntimeWarning, stacklevel=2)
    return original


def _part(original: Any, module: ModuleType, name: str, cache: str, probe: str, build: Any) -> Any:
    """The replacement for aiohttp's class ``name`` in ``module``: built once
    (kept in the module global ``cache``) when the probe named ``probe``
    passes, else aiohttp's own class (looked up by name, so tests can stand
    in for either)."""
    if original is None or not isinstance(original, type):
        raise Unsupported(f"{module.__name__}.{name} is not a class")
    names = globals()
    if names[cache] is None:
        reason = names[probe]()
        if reason is not None:
            return _keep_part(original, module, name, reason)
        names[cache] = build()
    return names[cache]


def _reader_factory(original: Any, module: ModuleType) -> Any:
    return _part(original, module, "WebSocketReader", "_reader_cls", "probe_reader", _build_reader_class)


def _writer_factory(original: Any, module: ModuleType) -> Any:
    return _part(original, module, "WebSocketWriter", "_writer_cls", "probe_writer", _build_writer_class)


_PATCHES = PatchSet(
    [Patch(m, "WebSocketReader", _reader_factory, optional=True) for m in _READER_MODULES]
    + [Patch(m, "WebSocketWriter", _writer_factory, optional=True) for m in _WRITER_MODULES],
    distribution="aiohttp",
    series=SUPPORTED_SERIES,
)

install, uninstall, is_installed, active = entry_points(_PATCHES, __name__, "aiohttp")
