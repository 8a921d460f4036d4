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
 * WSF_MASK_SMALL bytes, the scalar UTF-8 DFA below WSF_UTF8_VECTOR_MIN) and
 * the drivers around the vector loops are `static inline` in wsf_mask.h /
 * wsf_utf8.h and inlined into the caller, so a 16-byte call makes no
 * indirect call at all, and a longer one makes one indirect call per vector
 * loop where the former per-module copies made one direct call (callgrind
 * figures in docs/kernels.md).
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
/* The same, returning whether every byte written is ASCII (below 0x80). */
typedef int (*wsf_mask_ascii_fn)(uint8_t *dst, const uint8_t *src, size_t len,
                                 const uint8_t key[4], size_t phase);
/* A SIMD UTF-8 block kernel: validates s[0..n), n a multiple of 64, from a
 * sequence boundary; returns the offset of the first 64-byte block holding
 * an error (an error may be reported up to one 4-vector group early), else n.
 * The input may still end inside a sequence: the caller checks the tail. */
typedef size_t (*wsf_utf8_blocks_fn)(const uint8_t *s, size_t n);
/* The same check fused with the transcoder's scan: also the largest byte
 * (*mx) and the continuation bytes (*ncont) of the blocks before the one
 * returned (all of s when it returns n). */
typedef size_t (*wsf_utf8_scan_blocks_fn)(const uint8_t *s, size_t n, unsigned *mx,
                                          size_t *ncont);
/* The transcoder's vector kernels (wsf_decode.h): the ASCII copy (returns n,
 * or a length before the first non-ASCII byte), the scan (largest byte,
 * *ncont continuation bytes), and the UCS-1/2/4 stages (transcode a prefix:
 * return the input bytes consumed, *po the code points written; the scalar
 * loop of wsf_decode.h finishes). */
typedef size_t (*wsf_dec_ascii_fn)(const uint8_t *s, size_t n, uint8_t *out);
typedef unsigned (*wsf_dec_scan_fn)(const uint8_t *s, size_t n, size_t *ncont);
typedef size_t (*wsf_dec_ucs1_fn)(const uint8_t *s, size_t n, uint8_t *out,
                                  size_t nout, size_t *po);
typedef size_t (*wsf_dec_ucs2_fn)(const uint8_t *s, size_t n, uint16_t *out,
                                  size_t nout, size_t *po);
typedef size_t (*wsf_dec_ucs4_fn)(const uint8_t *s, size_t n, uint32_t *out,
                                  size_t nout, size_t *po);
/* The one-pass stages (validated=0): the same, and *pbad set when the
 * bytes consumed are not well-formed UTF-8 (wsf_decode.h checks the rest). */
typedef size_t (*wsf_dec_ucs2v_fn)(const uint8_t *s, size_t n, uint16_t *out,
                                   size_t nout, size_t *po, int *pbad);
typedef size_t (*wsf_dec_ucs4v_fn)(const uint8_t *s, size_t n, uint32_t *out,
                                   size_t nout, size_t *po, int *pbad);

/* The kernels of one level.  Only the vector loops live here: the drivers
 * around them (short inputs, the tail, the exact error position, fusing
 * unmasking with validation) are inline in wsf_mask.h / wsf_utf8.h, so a
 * call costs the caller at most one indirect call per kernel, as the former
 * per-module switch cost one direct call. */
typedef struct {
    int level;
    wsf_mask_fn mask;               /* any len; phase in 0..3 */
    wsf_utf8_blocks_fn utf8_blocks; /* NULL: no vector validator (scalar DFA) */
    /* The transcoder; NULL: none at this level (the scalar code, or for the
     * str CPython's decoder, does the job). */
    wsf_dec_ascii_fn dec_ascii;
    wsf_dec_scan_fn dec_scan;
    wsf_dec_ucs1_fn dec_ucs1;
    wsf_dec_ucs2_fn dec_ucs2;
    wsf_dec_ucs4_fn dec_ucs4;
    /* Validation and scan in one pass; NULL where utf8_blocks is NULL. */
    wsf_utf8_scan_blocks_fn utf8_scan_blocks;
    /* Transcode and validate in one pass; NULL: scan+validate, then the
     * transcoder. */
    wsf_dec_ucs2v_fn dec_ucs2v;
    wsf_dec_ucs4v_fn dec_ucs4v;
    /* Unmasking with the ASCII test of what it wrote (a text message's
     * ASCII bet); NULL: mask, then test the bytes written. */
    wsf_mask_ascii_fn mask_ascii;
} wsf_kernel_table;

/* What the owner exports: bump WSF_KERNELS_ABI whenever this struct or
 * wsf_kernel_table changes, so a stale build fails at import, not later. */
#define WSF_KERNELS_ABI 6
typedef struct {
    int abi;
    int level;     /* active level (after WSFRAME_SIMD) */
    int cpu_best;  /* best level the CPU supports */
    const wsf_kernel_table *kernels; /* the active level's kernels */
} wsf_kernels_api;

/* This module's view of the active kernels (wsf_kt) is defined in
 * wsf_mask.h: it starts at the scalar table and is set once at import. */

#endif /* WSF_KERNELS_H */
