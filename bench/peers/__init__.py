"""The implementations compared: wsframe's two backends and every peer.

- :mod:`bench.peers.base`: the framework (:class:`Impl`, :class:`Prepared`,
  :class:`Unavailable`) and the list of operations;
- one module per library: :mod:`~bench.peers.wsframe`,
  :mod:`~bench.peers.websockets`, :mod:`~bench.peers.aiohttp`,
  :mod:`~bench.peers.wsproto`, :mod:`~bench.peers.wsaccel`,
  :mod:`~bench.peers.autobahn`, :mod:`~bench.peers.cpython`,
  :mod:`~bench.peers.simdutf`, and :mod:`~bench.peers.bandwidth` (a plain copy,
  the memory-bandwidth yardstick);
- :mod:`bench.peers.registry`: :func:`implementations`, the list the runner uses.
"""

from __future__ import annotations

from .base import NOTHING, Impl, Prepared, Unavailable, call
from .registry import implementations
from .wsframe import wsframe_c_status, wsframe_simd_level

__all__ = [
    "implementations",
    "NOTHING",
    "Impl",
    "Prepared",
    "Unavailable",
    "call",
    "wsframe_c_status",
    "wsframe_simd_level",
]
