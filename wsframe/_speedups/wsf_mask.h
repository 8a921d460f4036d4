/*
 * wsf_mask.h -- WebSocket payload masking (RFC 6455 §5.3).
 *
 *   void wsf_mask(uint8_t *dst, const uint8_t *src, size_t len,
 *                 const uint8_t key[4], size_t phase);
 *
 * RFC 6455 §5.3: "Octet i of the transformed data is the XOR of octet i of
 * the original data with octet at index i modulo 4 of the masking key", so
 * dst[i] = src[i] ^ key[(phase + i) % 4] for i in [0, len), where `phase` is
 * the number of payload bytes before src (only phase % 4 matters).  dst == src
 * (in place) and non-overlapping buffers are allowed; partial overlap is not.
 * No byte outside [0, len) of either buffer is ever read or written.
 *
 * The key is first rotated by the phase, so every kernel works from offset 0
 * with a key pattern whose period (4) divides every vector width.
 *
 * This header holds the scalar kernel and the entry point; the vector loop is
 * written once in wsf_mask_body.h and compiled per ISA by wsf_dispatch.h.
 */
#ifndef WSF_MASK_H
#define WSF_MASK_H

#include "wsf_kernels.h"

/* Below this length the inline scalar word loop beats any vector setup and
 * the indirect call into the table.  In C the break-even is 32-48 bytes for
 * AVX-512 and above 64 for AVX2/SSE2 (min over 300 x 2000 calls: 1.3-1.9 ns
 * scalar at 16-64 B; through the table 1.7 ns AVX-512, 2.2-2.6 AVX2,
 * 1.7-2.1 SSE2), but from Python, 64 here made a 64-byte apply_mask 0.6 ns
 * (3%) slower on AVX-512 than 32 (medians of 9 alternating runs, each 201
 * samples of 1000 calls), so 32 stays. */
#define WSF_MASK_SMALL 32
/* From this length on, kernels that align their stores do so: to their
 * vector width, then with whole vectors to a cache line (WSF_MASK_LINE). */
#define WSF_MASK_ALIGN_MIN 256
#define WSF_MASK_LINE 64

/* Rotated key as 32- and 64-bit patterns in memory order: byte j of the
 * pattern is key[(phase + j) % 4].  A rotation of the key word by the phase
 * (right on little-endian, left on big-endian); a 4-byte period makes the
 * 64-bit pattern two copies of the 32-bit one on either byte order. */
static inline void wsf_mask_key(const uint8_t key[4], size_t phase,
                                uint32_t *k32, uint64_t *k64)
{
    uint32_t k;
    unsigned r = (unsigned)(phase & 3) * 8;
    memcpy(&k, key, 4);
    if (r) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        k = (k << r) | (k >> (32 - r));
#else
        k = (k >> r) | (k << (32 - r));
#endif
    }
    *k32 = k;
    *k64 = ((uint64_t)k << 32) | k;
}

/* Scalar: 8-byte words through memcpy (compiles to unaligned loads where
 * the target allows them, byte loads elsewhere), then single bytes.
 * `k64` is the rotated key; `start` must be a multiple of 4. */
static inline void wsf_mask_scalar_from(uint8_t *dst, const uint8_t *src,
                                        size_t start, size_t len, uint64_t k64)
{
    size_t i = start;
    uint64_t w;
    uint8_t rk[8];
    memcpy(rk, &k64, 8);
    for (; i + 8 <= len; i += 8) {
        memcpy(&w, src + i, 8);
        w ^= k64;
        memcpy(dst + i, &w, 8);
    }
    for (; i < len; i++) {
        dst[i] = (uint8_t)(src[i] ^ rk[i & 3]);
    }
}

static inline void wsf_mask_scalar(uint8_t *dst, const uint8_t *src, size_t len,
                                   const uint8_t key[4], size_t phase)
{
    uint32_t k32;
    uint64_t k64;
    wsf_mask_key(key, phase, &k32, &k64);
    wsf_mask_scalar_from(dst, src, 0, len, k64);
}

/* The scalar level's table, and this module's view of the active kernels:
 * it starts here, so code that includes the headers without importing the
 * owner's table (a C test that only runs wsf_cpu_init()) runs the scalar
 * kernels instead of calling through NULL. */
static const wsf_kernel_table wsf_table_scalar = {
    WSF_SCALAR, wsf_mask_scalar, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
static const wsf_kernel_table *wsf_kt = &wsf_table_scalar;

/* The entry point: short inputs inline and scalar, the rest through the
 * kernel table of the active level. */
static inline void wsf_mask(uint8_t *dst, const uint8_t *src, size_t len,
                            const uint8_t key[4], size_t phase)
{
    if (len < WSF_MASK_SMALL) {
        wsf_mask_scalar(dst, src, len, key, phase & 3);
        return;
    }
    wsf_kt->mask(dst, src, len, key, phase & 3);
}

#endif /* WSF_MASK_H */
