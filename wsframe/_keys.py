"""Masking keys from the OS's CSPRNG, served from a pool (RFC 6455 §5.3, §10.3).

A masking key must be unpredictable to the application (a script in a
browser) that chooses the payload: "The masking key needs to be
unpredictable; thus, the masking key MUST be derived from a strong source of
entropy" (§5.3), so that the payload cannot be chosen to look like another
protocol on the wire (§10.3).  Bytes of os.urandom() taken 4 at a time from
a block are exactly as unpredictable as 4 bytes asked for one by one: the
kernel's CSPRNG output is indistinguishable from random however it is cut.
What must not happen is that two keys are equal because they were served
from the same bytes: the pool hands out every 4 bytes once (a lock makes
the take atomic across threads), wipes them as it serves them, and a forked
child drops the parent's pool (os.register_at_fork) so that parent and child
never use the same keys.  The compiled backend keeps its pool in C with the
same rules and the same block size (see _speedups/_encoder.pxi).
"""

from __future__ import annotations

import os
import threading

__all__ = ["KEY_POOL_SIZE", "new_mask"]

#: Bytes drawn from os.urandom() per refill: 1024 keys per system call.
KEY_POOL_SIZE = 4096

_key_lock = threading.Lock()
_key_pool = bytearray()
_key_pos = 0


def _drop_key_pool() -> None:
    """In a forked child: drop the parent's keys, and take a new lock, since the
    parent's may have been held by another thread at the fork (that thread does not
    exist in the child, so the lock would never be released)."""
    global _key_lock, _key_pool, _key_pos
    _key_lock = threading.Lock()
    _key_pool = bytearray()
    _key_pos = 0


def new_mask() -> bytes:
    """A fresh masking key from the OS's cryptographic source (RFC 6455 §5.3:
    the key must be unpredictable), served from a buffer of os.urandom()
    output refilled in blocks: no system call per frame, no key served
    twice, none shared with a forked child."""
    global _key_pool, _key_pos
    with _key_lock:
        if _key_pos + 4 > len(_key_pool):
            _key_pool = bytearray(os.urandom(KEY_POOL_SIZE))
            _key_pos = 0
        start = _key_pos
        key = bytes(_key_pool[start : start + 4])
        _key_pool[start : start + 4] = b"\0\0\0\0"
        _key_pos = start + 4
    return key


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_drop_key_pool)
