/*
 * wsf_mask.h -- WebSocket payload masking (RFC 6455 §5.3).
 *
 *   void wsf_mask(uint8_t *dst, const uint8_t *src, size_t len,
 *                 const uint8_t key[4], size_t phase);
 *
 * dst[i] = src[i] ^ key[(phase + i) % 4] for i in [0, len).  dst == src
 * (in place) and non-overlapping buffers are allowed; partial overlap is not.
 * No byte outside [0, len) of either buffer is ever read or written: heads
 * and tails use narrower loads down to single bytes, and the AVX-512 tail uses
 * masked loads/stores, which architecturally do not access masked-out bytes.
 *
 * The key is first rotated by the phase, so every kernel works from offset 0
 * with a key pattern whose period (4) divides every vector width.  Stores are
 * ordinary cacheable stores: payloads are read right after being unmasked,
 * and non-temporal stores were measured ~20x slower on cache-resident data.
 *
 * Requires wsf_cpu.h (wsf_level picks the kernel; call wsf_cpu_init() once).
 */
#ifndef WSF_MASK_H
#define WSF_MASK_H

#include "wsf_cpu.h"

/* Below this length the scalar word loop beats any vector setup. */
#define WSF_MASK_SMALL 32
/* From this length on, AVX2/AVX-512 first align the destination. */
#define WSF_MASK_ALIGN_MIN 256

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
 * `rk` is the rotated key; `start` must be a multiple of 4. */
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

#if defined(WSF_ARCH_X86_64)

/* SSE2 (x86-64 baseline): 4 x 16 bytes per iteration, then 16, then words. */
static inline void wsf_mask_sse2(uint8_t *dst, const uint8_t *src, size_t len,
                                 const uint8_t key[4], size_t phase)
{
    uint32_t k32;
    uint64_t k64;
    size_t i = 0;
    __m128i k;
    wsf_mask_key(key, phase, &k32, &k64);
    k = _mm_set1_epi32((int)k32);
    for (; i + 64 <= len; i += 64) {
        __m128i a = _mm_loadu_si128((const __m128i *)(src + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(src + i + 16));
        __m128i c = _mm_loadu_si128((const __m128i *)(src + i + 32));
        __m128i d = _mm_loadu_si128((const __m128i *)(src + i + 48));
        _mm_storeu_si128((__m128i *)(dst + i), _mm_xor_si128(a, k));
        _mm_storeu_si128((__m128i *)(dst + i + 16), _mm_xor_si128(b, k));
        _mm_storeu_si128((__m128i *)(dst + i + 32), _mm_xor_si128(c, k));
        _mm_storeu_si128((__m128i *)(dst + i + 48), _mm_xor_si128(d, k));
    }
    for (; i + 16 <= len; i += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(src + i));
        _mm_storeu_si128((__m128i *)(dst + i), _mm_xor_si128(a, k));
    }
    wsf_mask_scalar_from(dst, src, i, len, k64);
}

/* AVX2: 4 x 32 bytes per iteration (enough loads in flight to saturate the
 * two load ports), then 32, then one 16, then words. */
WSF_TARGET_AVX2
static void wsf_mask_avx2(uint8_t *dst, const uint8_t *src, size_t len,
                          const uint8_t key[4], size_t phase)
{
    uint32_t k32;
    uint64_t k64;
    size_t i = 0;
    __m256i k;
    if (len >= WSF_MASK_ALIGN_MIN) {
        /* Align the stores: a 32-byte store that splits a cache line costs
         * about twice as much (measured ~20-35% on 16 KiB payloads). */
        size_t h = (size_t)(-(uintptr_t)dst) & 31;
        wsf_mask_key(key, phase, &k32, &k64);
        wsf_mask_scalar_from(dst, src, 0, h, k64);
        dst += h;
        src += h;
        len -= h;
        phase += h;
    }
    wsf_mask_key(key, phase, &k32, &k64);
    k = _mm256_set1_epi32((int)k32);
    for (; i + 128 <= len; i += 128) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(src + i));
        __m256i b = _mm256_loadu_si256((const __m256i *)(src + i + 32));
        __m256i c = _mm256_loadu_si256((const __m256i *)(src + i + 64));
        __m256i d = _mm256_loadu_si256((const __m256i *)(src + i + 96));
        _mm256_storeu_si256((__m256i *)(dst + i), _mm256_xor_si256(a, k));
        _mm256_storeu_si256((__m256i *)(dst + i + 32), _mm256_xor_si256(b, k));
        _mm256_storeu_si256((__m256i *)(dst + i + 64), _mm256_xor_si256(c, k));
        _mm256_storeu_si256((__m256i *)(dst + i + 96), _mm256_xor_si256(d, k));
    }
    for (; i + 32 <= len; i += 32) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(src + i));
        _mm256_storeu_si256((__m256i *)(dst + i), _mm256_xor_si256(a, k));
    }
    if (i + 16 <= len) {
        __m128i a = _mm_loadu_si128((const __m128i *)(src + i));
        _mm_storeu_si128((__m128i *)(dst + i),
                         _mm_xor_si128(a, _mm256_castsi256_si128(k)));
        i += 16;
    }
    wsf_mask_scalar_from(dst, src, i, len, k64);
}

/* AVX-512 (F+BW): 4 x 64 bytes per iteration, then 64, then one masked
 * load/store for the last 1..63 bytes (masked-out bytes are not accessed and
 * cannot fault). */
WSF_TARGET_AVX512
static void wsf_mask_avx512(uint8_t *dst, const uint8_t *src, size_t len,
                            const uint8_t key[4], size_t phase)
{
    uint32_t k32;
    uint64_t k64;
    size_t i = 0;
    __m512i k;
    wsf_mask_key(key, phase, &k32, &k64);
    k = _mm512_set1_epi32((int)k32);
    if (len >= WSF_MASK_ALIGN_MIN) {
        /* Align the stores to cache lines with one masked head (every
         * unaligned 64-byte store splits a line; measured ~35% slower). */
        size_t h = (size_t)(-(uintptr_t)dst) & 63;
        if (h) {
            __mmask64 m = (((uint64_t)1) << h) - 1;
            __m512i a = _mm512_maskz_loadu_epi8(m, (const void *)src);
            _mm512_mask_storeu_epi8((void *)dst, m, _mm512_xor_si512(a, k));
            dst += h;
            src += h;
            len -= h;
            wsf_mask_key(key, phase + h, &k32, &k64);
            k = _mm512_set1_epi32((int)k32);
        }
    }
    for (; i + 256 <= len; i += 256) {
        __m512i a = _mm512_loadu_si512((const void *)(src + i));
        __m512i b = _mm512_loadu_si512((const void *)(src + i + 64));
        __m512i c = _mm512_loadu_si512((const void *)(src + i + 128));
        __m512i d = _mm512_loadu_si512((const void *)(src + i + 192));
        _mm512_storeu_si512((void *)(dst + i), _mm512_xor_si512(a, k));
        _mm512_storeu_si512((void *)(dst + i + 64), _mm512_xor_si512(b, k));
        _mm512_storeu_si512((void *)(dst + i + 128), _mm512_xor_si512(c, k));
        _mm512_storeu_si512((void *)(dst + i + 192), _mm512_xor_si512(d, k));
    }
    for (; i + 64 <= len; i += 64) {
        __m512i a = _mm512_loadu_si512((const void *)(src + i));
        _mm512_storeu_si512((void *)(dst + i), _mm512_xor_si512(a, k));
    }
    if (i < len) {
        __mmask64 m = (((uint64_t)1) << (len - i)) - 1; /* len - i in 1..63 */
        __m512i a = _mm512_maskz_loadu_epi8(m, (const void *)(src + i));
        _mm512_mask_storeu_epi8((void *)(dst + i), m, _mm512_xor_si512(a, k));
    }
}

#endif /* WSF_ARCH_X86_64 */

#if defined(WSF_ARCH_ARM64)
/* NEON: 4 x 16 bytes per iteration, then 16, then words. */
static inline void wsf_mask_neon(uint8_t *dst, const uint8_t *src, size_t len,
                                 const uint8_t key[4], size_t phase)
{
    uint32_t k32;
    uint64_t k64;
    size_t i = 0;
    uint8x16_t k;
    wsf_mask_key(key, phase, &k32, &k64);
    k = vreinterpretq_u8_u32(vdupq_n_u32(k32));
    for (; i + 64 <= len; i += 64) {
        uint8x16_t a = vld1q_u8(src + i);
        uint8x16_t b = vld1q_u8(src + i + 16);
        uint8x16_t c = vld1q_u8(src + i + 32);
        uint8x16_t d = vld1q_u8(src + i + 48);
        vst1q_u8(dst + i, veorq_u8(a, k));
        vst1q_u8(dst + i + 16, veorq_u8(b, k));
        vst1q_u8(dst + i + 32, veorq_u8(c, k));
        vst1q_u8(dst + i + 48, veorq_u8(d, k));
    }
    for (; i + 16 <= len; i += 16) {
        vst1q_u8(dst + i, veorq_u8(vld1q_u8(src + i), k));
    }
    wsf_mask_scalar_from(dst, src, i, len, k64);
}
#endif /* WSF_ARCH_ARM64 */

/* Mask with the kernel of an explicit level (tests compare levels). */
static inline void wsf_mask_level(int level, uint8_t *dst, const uint8_t *src,
                                  size_t len, const uint8_t key[4], size_t phase)
{
    switch (level) {
#if defined(WSF_ARCH_X86_64)
    case WSF_AVX512:
        wsf_mask_avx512(dst, src, len, key, phase);
        return;
    case WSF_AVX2:
        wsf_mask_avx2(dst, src, len, key, phase);
        return;
    case WSF_SSE4: /* no use for pshufb here */
    case WSF_SSE2:
        wsf_mask_sse2(dst, src, len, key, phase);
        return;
#endif
#if defined(WSF_ARCH_ARM64)
    case WSF_NEON:
        wsf_mask_neon(dst, src, len, key, phase);
        return;
#endif
    default:
        wsf_mask_scalar(dst, src, len, key, phase);
        return;
    }
}

/* The entry point: the active level's kernel; short inputs stay scalar. */
static inline void wsf_mask(uint8_t *dst, const uint8_t *src, size_t len,
                            const uint8_t key[4], size_t phase)
{
    if (len < WSF_MASK_SMALL) {
        wsf_mask_scalar(dst, src, len, key, phase & 3);
        return;
    }
    wsf_mask_level(wsf_level, dst, src, len, key, phase & 3);
}

#endif /* WSF_MASK_H */
