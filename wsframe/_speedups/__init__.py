"""Compiled backend of wsframe (Cython modules over small C SIMD kernels).

- ``_mask``: RFC 6455 §5.3 masking (``wsf_mask.h``).
- ``_utf8``: UTF-8 validation, one-shot and incremental (``wsf_utf8.h``).
- ``_frames``: frame parsing and decoding, fusing unmasking with validation.

The kernels are chosen once per module at import by runtime CPU detection
(``wsf_cpu.h``); ``_mask.simd_level`` / ``_utf8.simd_level`` name the level in
use and ``supported_levels`` lists what this CPU can run.  The private
environment switch ``WSFRAME_SIMD=scalar|sse2|sse4|avx2|avx512|neon`` (read at
import, for tests and benchmarks) forces a level; a level above what the CPU
supports is clamped to the best supported one, and an unknown name makes the
import fail with ImportError (so the pure-Python backend is used).

Nothing here is public API: use :mod:`wsframe.mask`, :mod:`wsframe.utf8` and
:mod:`wsframe.frames`.
"""
