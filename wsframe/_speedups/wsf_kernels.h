/*
 * wsf_kernels.h -- the kernel table: the one way a module reaches a SIMD kernel.
 *
 * The vector kernels are compiled once, into the module that owns CPU
 * detection (wsframe._speedups._mask; it includes wsf_dispatch.h).  Every
 * other module gets a pointer to the owner's table for the active level
 * through a PyCapsule at import (wsf_capsule.h), as numpy's C-API capsules do,
 * and copies the owner's level into its own wsf_level / wsf_cpu_best.  So
 * there is one copy of the kernels, one CPUID probe and one WSFRAME_SIMD
 * decision per process.
 *
 * What stays in each module: the short-input paths (scalar masking below
 * WSF_MASK_SMALL bytes, the scalar UTF-8 DFA below WSF_UTF8_VECTOR_MIN) are
 * `static inline` in wsf_mask.h / wsf_utf8.h and inlined into the caller, so
 * a 16-byte call makes no indirect call at all; longer inputs make one
 * indirect call through the table (measured the same as the direct call of
 * the former per-module switch: see the figures in wsf_dispatch.h).
 *
 * Every kernel in the table accepts any length, 0 included.
 */
#ifndef WSF_KERNELS_H
#define WSF_KERNELS_H

#include "wsf_cpu.h"

/* Incremental UTF-8 validator state (wsf_utf8.h). */
typedef struct {
    uint8_t need; /* continuation bytes still needed (0..3) */
    uint8_t seen; /* bytes of the pending sequence already accepted (0..3) */
    uint8_t lo;   /* allowed range of the next byte while need > 0 */
    uint8_t hi;
} wsf_utf8_state;

typedef void (*wsf_mask_fn)(uint8_t *dst, const uint8_t *src, size_t len,
                            const uint8_t key[4], size_t phase);
typedef ptrdiff_t (*wsf_utf8_stream_fn)(wsf_utf8_state *st, const uint8_t *s,
                                        size_t len);
typedef ptrdiff_t (*wsf_unmask_utf8_fn)(wsf_utf8_state *st, uint8_t *dst,
                                        const uint8_t *src, size_t len,
                                        const uint8_t key[4], size_t phase);

/* The kernels of one level (contracts in wsf_mask.h and wsf_utf8.h). */
typedef struct {
    int level;
    wsf_mask_fn mask;                  /* phase in 0..3 */
    wsf_utf8_stream_fn utf8_stream;
    wsf_unmask_utf8_fn unmask_utf8_stream;
} wsf_kernel_table;

/* What the owner exports: bump WSF_KERNELS_ABI whenever this struct or
 * wsf_kernel_table changes, so a stale build fails at import, not later. */
#define WSF_KERNELS_ABI 1
typedef struct {
    int abi;
    int level;     /* active level (after WSFRAME_SIMD) */
    int cpu_best;  /* best level the CPU supports */
    const wsf_kernel_table *kernels; /* the active level's kernels */
} wsf_kernels_api;

/* This module's view of the active kernels; set once at module import. */
static const wsf_kernel_table *wsf_kt = NULL;

#endif /* WSF_KERNELS_H */
