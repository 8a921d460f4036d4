"""Drop-in acceleration of aiohttp's WebSocket reader and writer.

Usage (in the module that builds the ``web.Application``, or before the
first ``ClientSession.ws_connect``)::

    import wsframe.integrations.aiohttp as wsframe_aiohttp
    wsframe_aiohttp.install()     # before or after ``import aiohttp``

What is replaced, in every module that binds the name (``aiohttp.web_ws``
and ``aiohttp.client`` construct them, ``aiohttp.http``,
``aiohttp.http_websocket`` and ``aiohttp._websocket.reader`` /
``aiohttp._websocket.writer`` re-export them, ``aiohttp.client_ws`` and
``aiohttp.web_protocol`` import them for annotations):

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

import functools
import warnings
from types import ModuleType
from typing import Any

from .._patching import Patch, PatchSet, Unsupported, entry_points, installed_version
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

#: The aiohttp releases this integration is written for; within them the
#: feature probes decide, for the reader and the writer apart (a part whose
#: internals differ is left alone).  The writer's internals are the ones
#: replaced from 3.13.2, the reader's from 3.14.4; 3.11.x, 3.12.x, 3.13.0 and
#: 3.13.1 match neither, so they are outside the series.
SUPPORTED_SERIES = ">=3.13.2,<3.15"

#: The modules that bind ``WebSocketReader`` / ``WebSocketWriter``.
_READER_MODULES = (
    "aiohttp._websocket.reader",
    "aiohttp.http_websocket",
    "aiohttp.http",
    "aiohttp.web_ws",
    "aiohttp.client",
    "aiohttp.client_ws",
    "aiohttp.web_protocol",
)
_WRITER_MODULES = (
    "aiohttp._websocket.writer",
    "aiohttp.http_websocket",
    "aiohttp.http",
    "aiohttp.web_ws",
    "aiohttp.client",
    "aiohttp.client_ws",
)

_reader_cls: Any = None
_writer_cls: Any = None
#: Why the reader / the writer is refused (its probe's failure), once per
#: install: aiohttp binds each class in several modules, and the probe runs,
#: and the refusal is said, only for the first.  Forgotten on uninstall().
_reader_refused: str | None = None
_writer_refused: str | None = None


def _part(original: Any, module: ModuleType, name: str, cache: str, probe: str, build: Any) -> Any:
    """The replacement for aiohttp's class ``name`` in ``module``: built once
    (kept in the module global ``cache``) when the probe named ``probe``
    passes, else aiohttp's own class (looked up by name, so tests can stand
    in for either).  The reader and the writer are judged apart (the
    writer's internals match from 3.13.2, the reader's from 3.14.4): a part
    whose probe fails keeps aiohttp's own class while the other is
    accelerated, with one warning per install (the refusal is kept beside
    the class, ``_reader_refused`` for ``_reader_cls``)."""
    if original is None or not isinstance(original, type):
        raise Unsupported(f"{module.__name__}.{name} is not a class")
    names = globals()
    if names[cache] is None:
        refused = cache.replace("_cls", "_refused")
        if names[refused] is not None:
            return original
        reason = names[probe]()
        if reason is not None:
            names[refused] = reason
            version = installed_version("aiohttp") or ""
            warnings.warn(
                f"wsframe: aiohttp {version}: {name} left unaccelerated (aiohttp's own kept): {probe} failed: {reason}",
                RuntimeWarning,
                stacklevel=2,
            )
            return original
        names[cache] = build()
    return names[cache]


def _forget_refusals() -> None:
    global _reader_refused, _writer_refused
    _reader_refused = _writer_refused = None


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

_install, _uninstall, is_installed, active = entry_points(_PATCHES, __name__, "aiohttp")


@functools.wraps(_install)
def install() -> bool:
    if not _PATCHES.installed:
        _forget_refusals()  # a new install judges (and warns) afresh
    return _install()


@functools.wraps(_uninstall)
def uninstall() -> None:
    _uninstall()
    _forget_refusals()
