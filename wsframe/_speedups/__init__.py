"""Compiled backend of wsframe (Cython modules over small C SIMD kernels).

- ``_mask``: RFC 6455 §5.3 masking (``wsf_mask.h``).
- ``_utf8``: UTF-8 validation, one-shot and incremental (``wsf_utf8.h``).
- ``_frames``: frame parsing and decoding, fusing unmasking with validation.

The SIMD kernels are compiled once, into ``_mask``, which detects the CPU at
import (``wsf_cpu.h``, ``wsf_dispatch.h``) and exports the active level's
kernel table as the capsule ``_mask._C_API``; ``_utf8`` and ``_frames`` import
it (``wsf_capsule.h``), so the three always run the same level
(``simd_level``; ``supported_levels`` lists what this CPU can run).  See
docs/kernels.md.  The private
environment switch ``WSFRAME_SIMD=scalar|sse2|sse4|avx2|avx512|neon`` (read at
import, for tests and benchmarks) forces a level; a level above what the CPU
supports is clamped to the best supported one, and an unknown name makes the
import fail with ImportError (so the pure-Python backend is used).

Nothing here is public API: use :mod:`wsframe.mask`, :mod:`wsframe.utf8` and
:mod:`wsframe.frames`.
"""
