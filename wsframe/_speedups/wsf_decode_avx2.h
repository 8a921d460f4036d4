/*
 * wsf_decode_avx2.h -- the transcoder's AVX2 steps and stages (32-byte blocks:
 * uniform runs, the general block in 256-bit registers; the last 16-byte
 * blocks and the one-pass loop take 16-byte steps).
 * Included once, by wsf_dispatch.h, after wsf_decode_vec.h and this ISA's
 * instantiation of wsf_decode_body.h / wsf_decode_lanes_body.h.
 */
#ifndef WSF_DECODE_AVX2_H
#define WSF_DECODE_AVX2_H

#if defined(WSF_ARCH_X86_64)

/* ---- The 16-byte steps: the SSE4 ones VEX-encoded, UCS-2 with its 16
 * positions in one register (the last 16-byte blocks of a stage, the
 * one-pass loop). ---- */

/* pshufb control for 16-bit lanes (wsf_dec_pos16): lane 0 compacts the 8
 * positions of mask lo, lane 1 those of mask hi. */
WSF_TARGET_AVX2 WSF_ALWAYS_INLINE __m256i wsf_dec_idx16_avx2(unsigned lo, unsigned hi)
{
    return _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_load_si128((const __m128i *)wsf_dec_pos16[lo])),
        _mm_load_si128((const __m128i *)wsf_dec_pos16[hi]), 1);
}

/* The 16 bytes at p in 16-bit lanes, masked to their 6 payload bits. */
WSF_TARGET_AVX2 WSF_ALWAYS_INLINE __m256i wsf_dec_cont16_avx2(const uint8_t *p)
{
    return _mm256_and_si256(_mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)p)),
                            _mm256_set1_epi16(0x3F));
}

/* UCS-2 output, 16 positions in the 16 16-bit lanes of one register. */
WSF_TARGET_AVX2 WSF_ALWAYS_INLINE void wsf_dec_step2_avx2(const uint8_t *s, __m128i a,
                                                        uint16_t *out, size_t *po)
{
    __m256i v;
    unsigned keep = wsf_dec_keep_sse4(a), lo = keep & 0xFF, hi = keep >> 8;
    size_t o = *po, run = wsf_dec_run2_sse4(s, a, keep, out + o);
    if (run) {
        *po = o + run;
        return;
    }
    v = wsf_dec_bmp16_avx2(_mm256_cvtepu8_epi16(a), wsf_dec_cont16_avx2(s + 1),
                           wsf_dec_cont16_avx2(s + 2));
    v = _mm256_shuffle_epi8(v, wsf_dec_idx16_avx2(lo, hi));
    _mm_storeu_si128((__m128i *)(out + o), _mm256_castsi256_si128(v));
    o += wsf_dec_cnt[lo];
    _mm_storeu_si128((__m128i *)(out + o), _mm256_extracti128_si256(v, 1));
    *po = o + wsf_dec_cnt[hi];
}

/* The constants of wsf_decode_sse4.h 16 to a row, then AVX2's own (two
 * 16-bit values a row: lo, hi alternate), loaded as wsf_dec_k16's (memory
 * operands). */
enum {
    WSF_DEC_K_C0 = WSF_DEC_K_N, WSF_DEC_K_EF, WSF_DEC_K_M2, WSF_DEC_K_M4, WSF_DEC_K_D4,
    WSF_DEC_K_MAX, WSF_DEC_K_L2M, WSF_DEC_K_L2, WSF_DEC_K_L4M, WSF_DEC_K_L4, WSF_DEC_K_3F,
    WSF_DEC_K_HI8
};
#define WSF_DEC_K16(x) {x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x},
#define WSF_DEC_KP(lo, hi) {lo, hi, lo, hi, lo, hi, lo, hi, lo, hi, lo, hi, lo, hi, lo, hi},
#if defined(_MSC_VER)
__declspec(align(32))
#endif
static const uint16_t wsf_dec_k32[][16]
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((aligned(32)))
#endif
    = {WSF_DEC_KLIST(WSF_DEC_K16)
       WSF_DEC_K16(0xC0C0)         /* bytes below C0 (signed): continuations */
       WSF_DEC_K16(0xEFEF)         /* bytes above EF: 4-byte leads */
       WSF_DEC_K16(0x3F1F)         /* 2-byte payload bits */
       WSF_DEC_KP(0x3F07, 0x3F3F)  /* 4-byte payload bits */
       WSF_DEC_KP(0x1000, 0x0001)  /* pmaddwd weights: lo << 12 | hi */
       WSF_DEC_KP(0xFFFF, 0x0010)  /* U+10FFFF */
       WSF_DEC_K16(0xC0E0)         /* a 2-byte character: 110xxxxx 10xxxxxx */
       WSF_DEC_K16(0x80C0)
       WSF_DEC_KP(0xC0F8, 0xC0C0)  /* a 4-byte one: 11110xxx 10xxxxxx x2 */
       WSF_DEC_KP(0x80F0, 0x8080)
       WSF_DEC_K16(0x3F3F)
       /* + 8 in the high 8 bytes of each 128-bit lane (wsf_dec_pos rows) */
       {0, 0, 0, 0, 0x0808, 0x0808, 0x0808, 0x0808, 0, 0, 0, 0, 0x0808, 0x0808, 0x0808, 0x0808}
};
WSF_ALWAYS_INLINE const __m256i *wsf_dec_k32_avx2(void)
{
    const __m256i *k = (const __m256i *)(const void *)wsf_dec_k32;
    WSF_DEC_OPAQUE(k);
    return k;
}
#define WSF_DEC_KY(i) _mm256_loadu_si256(k + (i))

/* ---- Uniform runs over a whole 32-byte block (see wsf_decode_sse4.h):
 * 2-byte runs (16 code points) and 4-byte runs (8), in 256-bit registers.
 * wsf_dec_run32_ucs4_avx2 checks the block's leads and returns 0 when it is
 * not one (AVX-512's emoji loop); the 32-byte blocks below know a run from
 * the character-start mask (wsf_dec_run_w_avx2).  Loads
 * read at most s[0..35). ---- */

/* Every character start of the 32 bytes at s: not 10xxxxxx. */
WSF_TARGET_AVX2 WSF_ALWAYS_INLINE uint32_t wsf_dec_keep32_avx2(__m256i a)
{
    return ~(uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(_mm256_set1_epi8(-64), a));
}

WSF_TARGET_AVX2 WSF_ALWAYS_INLINE uint32_t wsf_dec_leads32_avx2(__m256i a, char mask,
                                                               char lead)
{
    return (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(
        _mm256_and_si256(a, _mm256_set1_epi8(mask)), _mm256_set1_epi8(lead)));
}

/* The 16 11-bit code points of a 2-byte run whose leads are the low bytes
 * of x's 16-bit lanes: (lead & 1F) << 6 | (cont & 3F) by one multiply-add. */
WSF_TARGET_AVX2 WSF_ALWAYS_INLINE __m256i wsf_dec_two16k_avx2(const __m256i *k, __m256i x)
{
    return _mm256_maddubs_epi16(_mm256_and_si256(x, WSF_DEC_KY(WSF_DEC_K_M2)),
                                WSF_DEC_KY(WSF_DEC_K_W));
}

/* A 2-byte run: its 16 11-bit code points in 16-bit lanes, or 0. */
WSF_TARGET_AVX2 WSF_ALWAYS_INLINE int wsf_dec_run2x16_avx2(const uint8_t *s, __m256i a,
                                                         uint32_t keep, __m256i *v)
{
    int r = wsf_dec_run_at(wsf_dec_leads32_avx2(a, (char)0xE0, (char)0xC0), keep,
                           0x55555555u, 2, 0xFFFFFFFFu);
    if (r < 0) {
        return 0;
    }
    *v = wsf_dec_two16k_avx2(wsf_dec_k32_avx2(),
                             r == 0 ? a : _mm256_loadu_si256((const __m256i *)(s + 1)));
    return 1;
}

/* UCS-4 output of 16 2-byte code points (wsf_dec_two16k_avx2). */
WSF_TARGET_AVX2 WSF_ALWAYS_INLINE void wsf_dec_put2x16_avx2(__m256i y, uint32_t *out)
{
    _mm256_storeu_si256((__m256i *)out, _mm256_cvtepu16_epi32(_mm256_castsi256_si128(y)));
    _mm256_storeu_si256((__m256i *)(out + 8),
                        _mm256_cvtepu16_epi32(_mm256_extracti128_si256(y, 1)));
}

/* The 8 characters of a 4-byte run at p (p[0..32)): (lead & 7) << 18 |
 * c1 << 12 | c2 << 6 | c3 by two multiply-adds, clamped to U+10FFFF. */
WSF_TARGET_AVX2 WSF_ALWAYS_INLINE void wsf_dec_four8k_avx2(const __m256i *k, __m256i x,
                                                         uint32_t *out)
{
    __m256i y = _mm256_maddubs_epi16(_mm256_and_si256(x, WSF_DEC_KY(WSF_DEC_K_M4)),
                                     WSF_DEC_KY(WSF_DEC_K_W));
    y = _mm256_madd_epi16(y, WSF_DEC_KY(WSF_DEC_K_D4));
    _mm256_storeu_si256((__m256i *)out, _mm256_min_epu32(y, WSF_DEC_KY(WSF_DEC_K_MAX)));
}

WSF_TARGET_AVX2 WSF_ALWAYS_INLINE void wsf_dec_two16k4_avx2(const __m256i *k, __m256i x,
                                                          uint32_t *out)
{
    wsf_dec_put2x16_avx2(wsf_dec_two16k_avx2(k, x), out);
}

WSF_TARGET_AVX2 WSF_ALWAYS_INLINE void wsf_dec_two16k1_avx2(const __m256i *k, __m256i x,
                                                          uint8_t *out)
{
    /* packus works per 128-bit lane: keep quadwords 0 and 2 */
    __m256i v = wsf_dec_two16k_avx2(k, x);
    v = _mm256_permute4x64_epi64(_mm256_packus_epi16(v, v), 0x08);
    _mm_storeu_si128((__m128i *)out, _mm256_castsi256_si128(v));
}

WSF_TARGET_AVX2 WSF_ALWAYS_INLINE void wsf_dec_two16k2_avx2(const __m256i *k, __m256i x,
                                                          uint16_t *out)
{
    _mm256_storeu_si256((__m256i *)out, wsf_dec_two16k_avx2(k, x));
}

/* UCS-4 output of a 32-byte block (a, at s) that is a uniform 2- or 4-byte
 * run, its leads checked: 16 or 8 code points, or 0 (AVX-512's emoji loop). */
WSF_TARGET_AVX2 WSF_ALWAYS_INLINE size_t wsf_dec_run32_ucs4_avx2(const uint8_t *s, __m256i a,
                                                               uint32_t *out)
{
    uint32_t keep = wsf_dec_keep32_avx2(a);
    int r = wsf_dec_run_at(wsf_dec_leads32_avx2(a, (char)0xF8, (char)0xF0), keep,
                           0x11111111u, 4, 0xFFFFFFFFu);
    __m256i y;
    if (r < 0) {
        if (!wsf_dec_run2x16_avx2(s, a, keep, &y)) {
            return 0;
        }
        wsf_dec_put2x16_avx2(y, out);
        return 16;
    }
    wsf_dec_four8k_avx2(wsf_dec_k32_avx2(), _mm256_loadu_si256((const __m256i *)(s + r)), out);
    return 8;
}

/* ---- The general block over 32 bytes (mixed-width text, UCS-2 and
 * UCS-4): the arithmetic of wsf_dec_eo3_sse4 / _eo4_sse4 on 16 even and 16
 * odd positions at once.  The 32 bytes at s read as 16 16-bit lanes hold the
 * first two bytes of the sequences at the even positions, read at s + 1
 * those at the odd ones, at s + 2 and s + 3 the next two.  Per 128-bit
 * lane, unpacklo/hi of the even and odd results give positions 0..7 |
 * 16..23 and 8..15 | 24..31; one vpshufb each (two rows of wsf_dec_pos16)
 * compacts them, and the four groups of 8 positions are stored in order,
 * each 8 code points wide (the next group overwrites what lies past its
 * count).  Reads s[0..35), writes out[0..32). ---- */

/* P(j) = b[j] * 64 + b[j + 1] in the lane of position j (pmaddubsw). */
#define WSF_DEC_P(x) _mm256_maddubs_epi16((x), WSF_DEC_KY(WSF_DEC_K_W))

/* T(j) = the low nibble of b[j] << 12, plus P(j + 1) less its markers:
 * the code point of a 3-byte sequence at j, the low 16 bits of a 4-byte
 * one at j - 1.  x: the lanes holding b[j], p1: P(j + 1). */
WSF_TARGET_AVX2 WSF_ALWAYS_INLINE __m256i wsf_dec_t3_avx2(const __m256i *k, __m256i x,
                                                        __m256i p1)
{
    return _mm256_sub_epi16(_mm256_add_epi16(_mm256_slli_epi16(x, 12), p1),
                            WSF_DEC_KY(WSF_DEC_K_2080));
}

/* The low 16 bits of the code points at one parity of positions: x holds
 * b[j] (and b[j + 1]), p = P(j), t = T(j), and when has4 t4 = T(j + 1) and
 * *h = bits 16..20 (at most 0x10: ill-formed input is clamped). */
WSF_TARGET_AVX2 WSF_ALWAYS_INLINE __m256i wsf_dec_lanes_avx2(const __m256i *k, __m256i x,
                                                           __m256i p, __m256i t, int has4,
                                                           __m256i t4, __m256i *h)
{
    /* 2-byte: p - 3080 (0 at ASCII, by saturation), then ASCII: b[j] */
    __m256i v = _mm256_subs_epu16(p, WSF_DEC_KY(WSF_DEC_K_2));
    v = _mm256_blendv_epi8(v, t, _mm256_cmpgt_epi16(p, WSF_DEC_KY(WSF_DEC_K_3)));
    v = _mm256_max_epu16(v, _mm256_and_si256(x, WSF_DEC_KY(WSF_DEC_K_7F)));
    if (!has4) {
        *h = _mm256_setzero_si256();
        return v;
    }
    *h = _mm256_min_epu16(_mm256_srli_epi16(_mm256_subs_epu16(p, WSF_DEC_KY(WSF_DEC_K_H)), 4),
                          WSF_DEC_KY(WSF_DEC_K_10));
    return _mm256_blendv_epi8(v, t4, _mm256_cmpgt_epi16(p, WSF_DEC_KY(WSF_DEC_K_4)));
}

/* Rows of wsf_dec_pos16 by their byte offset (16 times the mask). */
#define WSF_DEC_ROW16(off)                                                    \
    _mm_load_si128((const __m128i *)(const void *)((const uint8_t *)wsf_dec_pos16 + (off)))

/* The compaction of positions 0..7 | 16..23 (*il) and 8..15 | 24..31 (*ih)
 * by the character starts `keep`. */
WSF_TARGET_AVX2 WSF_ALWAYS_INLINE void wsf_dec_idx32_avx2(uint32_t keep, __m256i *il,
                                                        __m256i *ih)
{
    *il = _mm256_inserti128_si256(_mm256_castsi128_si256(WSF_DEC_ROW16((keep << 4) & 0xFF0)),
                                  WSF_DEC_ROW16((keep >> 12) & 0xFF0), 1);
    *ih = _mm256_inserti128_si256(_mm256_castsi128_si256(WSF_DEC_ROW16((keep >> 4) & 0xFF0)),
                                  WSF_DEC_ROW16((keep >> 20) & 0xFF0), 1);
}

/* The 32 bytes at s (a; s[0..35) readable), without a 4-byte lead: their
 * code points compacted by the character starts `keep`, positions 0..7 |
 * 16..23 in *lo and 8..15 | 24..31 in *hi (each lane's count of them
 * first, then what the next group overwrites). */
WSF_TARGET_AVX2 WSF_ALWAYS_INLINE void wsf_dec_bmp32_avx2(const uint8_t *s, __m256i a,
                                                        const __m256i *k, uint32_t keep,
                                                        __m256i *lo, __m256i *hi)
{
    __m256i a1 = _mm256_loadu_si256((const __m256i *)(s + 1));
    __m256i a2 = _mm256_loadu_si256((const __m256i *)(s + 2));
    __m256i p1 = WSF_DEC_P(a1), h, il, ih;
    __m256i ve = wsf_dec_lanes_avx2(k, a, WSF_DEC_P(a), wsf_dec_t3_avx2(k, a, p1), 0, a, &h);
    __m256i vo = wsf_dec_lanes_avx2(k, a1, p1, wsf_dec_t3_avx2(k, a1, WSF_DEC_P(a2)), 0, a, &h);
    wsf_dec_idx32_avx2(keep, &il, &ih);
    *lo = _mm256_shuffle_epi8(_mm256_unpacklo_epi16(ve, vo), il);
    *hi = _mm256_shuffle_epi8(_mm256_unpackhi_epi16(ve, vo), ih);
}

/* UCS-4 output of wsf_dec_bmp32_avx2 at out, the low 16 bits widened (bits
 * 16..20 are zero); returns how many code points. */
WSF_TARGET_AVX2 WSF_ALWAYS_INLINE size_t wsf_dec_gen32_bmp_avx2(const uint8_t *s, __m256i a,
                                                              const __m256i *k, uint32_t keep,
                                                              uint32_t *out)
{
    __m256i lo, hi;
    wsf_dec_bmp32_avx2(s, a, k, keep, &lo, &hi);
    _mm256_storeu_si256((__m256i *)out, _mm256_cvtepu16_epi32(_mm256_castsi256_si128(lo)));
    out += WSF_DEC_POPCNT64(keep & 0xFF);
    _mm256_storeu_si256((__m256i *)out, _mm256_cvtepu16_epi32(_mm256_castsi256_si128(hi)));
    out += WSF_DEC_POPCNT64(keep & 0xFF00);
    _mm256_storeu_si256((__m256i *)out, _mm256_cvtepu16_epi32(_mm256_extracti128_si256(lo, 1)));
    out += WSF_DEC_POPCNT64(keep & 0xFF0000);
    _mm256_storeu_si256((__m256i *)out, _mm256_cvtepu16_epi32(_mm256_extracti128_si256(hi, 1)));
    return WSF_DEC_POPCNT64(keep);
}

/* UCS-2 output of the same. */
WSF_TARGET_AVX2 WSF_ALWAYS_INLINE size_t wsf_dec_gen32_ucs2_avx2(const uint8_t *s, __m256i a,
                                                               const __m256i *k, uint32_t keep,
                                                               uint16_t *out)
{
    __m256i lo, hi;
    wsf_dec_bmp32_avx2(s, a, k, keep, &lo, &hi);
    _mm_storeu_si128((__m128i *)out, _mm256_castsi256_si128(lo));
    out += WSF_DEC_POPCNT64(keep & 0xFF);
    _mm_storeu_si128((__m128i *)out, _mm256_castsi256_si128(hi));
    out += WSF_DEC_POPCNT64(keep & 0xFF00);
    _mm_storeu_si128((__m128i *)out, _mm256_extracti128_si256(lo, 1));
    out += WSF_DEC_POPCNT64(keep & 0xFF0000);
    _mm_storeu_si128((__m128i *)out, _mm256_extracti128_si256(hi, 1));
    return WSF_DEC_POPCNT64(keep);
}

/* The same with 4-byte leads: bits 16..20 compacted alike and interleaved
 * with the low 16 bits, 4 code points a 128-bit store. */
WSF_TARGET_AVX2 WSF_ALWAYS_INLINE size_t wsf_dec_gen32_any_avx2(const uint8_t *s, __m256i a,
                                                              const __m256i *k, uint32_t keep,
                                                              uint32_t *out)
{
    __m256i a1 = _mm256_loadu_si256((const __m256i *)(s + 1));
    __m256i a2 = _mm256_loadu_si256((const __m256i *)(s + 2));
    __m256i p1 = WSF_DEC_P(a1), p2 = WSF_DEC_P(a2), he, ho, il, ih, lo, hi, hlo, hhi;
    __m256i t1 = wsf_dec_t3_avx2(k, a1, p2);
    __m256i ve = wsf_dec_lanes_avx2(k, a, WSF_DEC_P(a), wsf_dec_t3_avx2(k, a, p1), 1, t1, &he);
    __m256i vo = wsf_dec_lanes_avx2(
        k, a1, p1, t1, 1,
        wsf_dec_t3_avx2(k, a2, WSF_DEC_P(_mm256_loadu_si256((const __m256i *)(s + 3)))), &ho);
    wsf_dec_idx32_avx2(keep, &il, &ih);
    lo = _mm256_shuffle_epi8(_mm256_unpacklo_epi16(ve, vo), il);
    hi = _mm256_shuffle_epi8(_mm256_unpackhi_epi16(ve, vo), ih);
    hlo = _mm256_shuffle_epi8(_mm256_unpacklo_epi16(he, ho), il);
    hhi = _mm256_shuffle_epi8(_mm256_unpackhi_epi16(he, ho), ih);
    ve = _mm256_unpacklo_epi16(lo, hlo);
    vo = _mm256_unpackhi_epi16(lo, hlo);
    lo = _mm256_unpacklo_epi16(hi, hhi);
    hi = _mm256_unpackhi_epi16(hi, hhi);
    _mm_storeu_si128((__m128i *)out, _mm256_castsi256_si128(ve));
    _mm_storeu_si128((__m128i *)(out + 4), _mm256_castsi256_si128(vo));
    out += WSF_DEC_POPCNT64(keep & 0xFF);
    _mm_storeu_si128((__m128i *)out, _mm256_castsi256_si128(lo));
    _mm_storeu_si128((__m128i *)(out + 4), _mm256_castsi256_si128(hi));
    out += WSF_DEC_POPCNT64(keep & 0xFF00);
    _mm_storeu_si128((__m128i *)out, _mm256_extracti128_si256(ve, 1));
    _mm_storeu_si128((__m128i *)(out + 4), _mm256_extracti128_si256(vo, 1));
    out += WSF_DEC_POPCNT64(keep & 0xFF0000);
    _mm_storeu_si128((__m128i *)out, _mm256_extracti128_si256(lo, 1));
    _mm_storeu_si128((__m128i *)(out + 4), _mm256_extracti128_si256(hi, 1));
    return WSF_DEC_POPCNT64(keep);
}

/* Whether x is w-byte characters only, a lead at every w-th byte (w = 2, 4). */
WSF_TARGET_AVX2 WSF_ALWAYS_INLINE int wsf_dec_is_run_avx2(const __m256i *k, __m256i x, int w)
{
    __m256i m = w == 4 ? WSF_DEC_KY(WSF_DEC_K_L4M) : WSF_DEC_KY(WSF_DEC_K_L2M);
    __m256i v = w == 4 ? WSF_DEC_KY(WSF_DEC_K_L4) : WSF_DEC_KY(WSF_DEC_K_L2);
    return _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256(x, m), v)) == -1;
}

/* The 32 bytes at p whose every character start (`keep`) is a lead: the
 * offset r of a uniform run of w-byte characters (a lead at every w-th byte
 * from r, the last one of width w: the others are followed by w - 1
 * continuations, which in valid input makes them so), or -1. */
static inline int wsf_dec_run_w_avx2(const uint8_t *p, uint32_t keep, int w)
{
    uint32_t m = keep & 0xF, r;
    if (w == 2) {
        r = keep >> 31;
        return (keep == 0x55555555u || keep == 0xAAAAAAAAu) && p[30 + r] < 0xE0 ? (int)r : -1;
    }
    r = (m > 1) + (m > 2) + (m > 4);
    return keep == m * 0x11111111u && (m & (m - 1)) == 0 && m != 0 && p[28 + r] >= 0xF0
               ? (int)r : -1;
}

/* The character starts of the 32 bytes a: not 10xxxxxx. */
#define WSF_DEC_STARTS32(a)                                                   \
    (~(uint32_t)_mm256_movemask_epi8(_mm256_cmpgt_epi8(WSF_DEC_KY(WSF_DEC_K_C0), (a))))

/* A uniform run of w-byte characters at s + i + r (cps code points, stored
 * by PUT), and the 32-byte blocks after it while they are runs too (one
 * script), 32 bytes a step from the run's offset r (the r bytes before it
 * finish the character before): advances i to the last block taken, o. */
#define WSF_DEC_RUNS32(w, cps, PUT) do {                                      \
    PUT(k, _mm256_loadu_si256((const __m256i *)(s + i + r)), out + o);        \
    o += (cps);                                                               \
    while (n - i >= 67 && nout - o >= 32) {                                   \
        __m256i x_ = _mm256_loadu_si256((const __m256i *)(s + i + 32 + r));   \
        if (!wsf_dec_is_run_avx2(k, x_, (w))) {                               \
            break;                                                            \
        }                                                                     \
        PUT(k, x_, out + o);                                                  \
        o += (cps);                                                           \
        i += 32;                                                              \
    }                                                                         \
    *pi = i;                                                                  \
    *po = o;                                                                  \
} while (0)

#define WSF_DEC_ROW8(m) _mm_loadl_epi64((const __m128i *)(const void *)wsf_dec_pos[m])

/* Latin-1 output of the 32 bytes at s (a; s[0..33) readable): leads are
 * C2/C3 only, so every position's value is its byte, or at a lead
 * (lead << 6 | cont & 3F) in 8 bits; compacted per 8 bytes with the
 * wsf_dec_pos rows (two a 128-bit lane) and stored 8 bytes a group. */
WSF_TARGET_AVX2 WSF_ALWAYS_INLINE size_t wsf_dec_gen32_ucs1_avx2(const uint8_t *s, __m256i a,
                                                               const __m256i *k, uint32_t keep,
                                                               uint8_t *out)
{
    __m256i v = _mm256_or_si256(
        _mm256_and_si256(_mm256_slli_epi16(a, 6), WSF_DEC_KY(WSF_DEC_K_C0)),
        _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(s + 1)), WSF_DEC_KY(WSF_DEC_K_3F)));
    __m128i lo = _mm_unpacklo_epi64(WSF_DEC_ROW8(keep & 0xFF), WSF_DEC_ROW8((keep >> 8) & 0xFF));
    __m128i hi = _mm_unpacklo_epi64(WSF_DEC_ROW8((keep >> 16) & 0xFF), WSF_DEC_ROW8(keep >> 24));
    __m256i idx = _mm256_add_epi8(_mm256_inserti128_si256(_mm256_castsi128_si256(lo), hi, 1),
                                  WSF_DEC_KY(WSF_DEC_K_HI8));
    v = _mm256_shuffle_epi8(_mm256_blendv_epi8(a, v, a), idx);
    lo = _mm256_castsi256_si128(v);
    hi = _mm256_extracti128_si256(v, 1);
    _mm_storel_epi64((__m128i *)out, lo);
    out += WSF_DEC_POPCNT64(keep & 0xFF);
    _mm_storel_epi64((__m128i *)out, _mm_unpackhi_epi64(lo, lo));
    out += WSF_DEC_POPCNT64(keep & 0xFF00);
    _mm_storel_epi64((__m128i *)out, hi);
    out += WSF_DEC_POPCNT64(keep & 0xFF0000);
    _mm_storel_epi64((__m128i *)out, _mm_unpackhi_epi64(hi, hi));
    return WSF_DEC_POPCNT64(keep);
}

/* UCS-4 output of the general block: without the bits 16..20 arithmetic
 * when there is no 4-byte lead among the 32 bytes. */
WSF_TARGET_AVX2 WSF_ALWAYS_INLINE size_t wsf_dec_gen32_ucs4_avx2(const uint8_t *s, __m256i a,
                                                               const __m256i *k, uint32_t keep,
                                                               uint32_t *out)
{
    __m256i f = _mm256_subs_epu8(a, WSF_DEC_KY(WSF_DEC_K_EF));
    return _mm256_testz_si256(f, f) ? wsf_dec_gen32_bmp_avx2(s, a, k, keep, out)
                                    : wsf_dec_gen32_any_avx2(s, a, k, keep, out);
}

/* NAME: any 32 bytes at s + *pi (a) but all-ASCII ones -> their code points
 * at out + *po (T: UCS-2 or UCS-4; *pi: the last block taken).  A block
 * without an ASCII character is first tried as a uniform run of 2-byte
 * characters (stored by PUT2), then by what MORE says; any other takes the
 * general block GEN.  (3-byte text, CJK, takes the general block too: 32
 * bytes of it cost less than two of the 16-byte 3-byte runs,
 * wsf_dec_run16c_sse4.) */
#define WSF_DEC_ANY32(NAME, T, PUT2, MORE, GEN)                               \
WSF_TARGET_AVX2 WSF_ALWAYS_INLINE void NAME(const uint8_t *s, size_t n, size_t *pi, \
                                            __m256i a, const __m256i *k, T *out, \
                                            size_t nout, size_t *po)          \
{                                                                             \
    uint32_t keep = WSF_DEC_STARTS32(a);                                      \
    size_t i = *pi, o = *po;                                                  \
    int r;                                                                    \
    if ((keep & ~(uint32_t)_mm256_movemask_epi8(a)) == 0) {                   \
        if ((r = wsf_dec_run_w_avx2(s + i, keep, 2)) >= 0) {                  \
            WSF_DEC_RUNS32(2, 16, PUT2);                                      \
            return;                                                           \
        }                                                                     \
        MORE                                                                  \
    }                                                                         \
    *po = o + GEN(s + i, a, k, keep, out + o);                                \
}
WSF_DEC_ANY32(wsf_dec_any32_ucs4_avx2, uint32_t, wsf_dec_two16k4_avx2,
              if ((r = wsf_dec_run_w_avx2(s + i, keep, 4)) >= 0) {
                  WSF_DEC_RUNS32(4, 8, wsf_dec_four8k_avx2);
                  return;
              },
              wsf_dec_gen32_ucs4_avx2)
WSF_DEC_ANY32(wsf_dec_any32_ucs2_avx2, uint16_t, wsf_dec_two16k2_avx2, ,
              wsf_dec_gen32_ucs2_avx2)
WSF_DEC_ANY32(wsf_dec_any32_ucs1_avx2, uint8_t, wsf_dec_two16k1_avx2, ,
              wsf_dec_gen32_ucs1_avx2)

WSF_TARGET_AVX2 WSF_ALWAYS_INLINE void wsf_dec_ascii32_ucs4_avx2(__m256i a, uint32_t *out)
{
    __m128i lo = _mm256_castsi256_si128(a), hi = _mm256_extracti128_si256(a, 1);
    _mm256_storeu_si256((__m256i *)out, _mm256_cvtepu8_epi32(lo));
    _mm256_storeu_si256((__m256i *)(out + 8), _mm256_cvtepu8_epi32(_mm_srli_si128(lo, 8)));
    _mm256_storeu_si256((__m256i *)(out + 16), _mm256_cvtepu8_epi32(hi));
    _mm256_storeu_si256((__m256i *)(out + 24), _mm256_cvtepu8_epi32(_mm_srli_si128(hi, 8)));
}

/* The stages: 32-byte blocks (wsf_dec_any32_*_avx2), then 16-byte ones. */
#define WSF_DEC_LOAD32(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define WSF_DEC_ASCII32(a) (_mm256_movemask_epi8(a) == 0)
WSF_DEC_STAGE(WSF_TARGET_AVX2, wsf_dec_ucs1_avx2, uint8_t,
    const __m256i *k32 = wsf_dec_k32_avx2();
    WSF_DEC_LOOP(32, __m256i, WSF_DEC_LOAD32, WSF_DEC_ASCII32,
                 _mm256_storeu_si256((__m256i *)(out + o), a),
                 wsf_dec_any32_ucs1_avx2(s, n, &i, a, k32, out, nout, &o))
    WSF_DEC_LOOP16(wsf_dec_step1_sse4, _mm_storeu_si128((__m128i *)(out + o), a)))
WSF_DEC_STAGE(WSF_TARGET_AVX2, wsf_dec_ucs2_avx2, uint16_t,
    const __m256i *k32 = wsf_dec_k32_avx2();
    WSF_DEC_LOOP(32, __m256i, WSF_DEC_LOAD32, WSF_DEC_ASCII32,
                 _mm256_storeu_si256((__m256i *)(out + o),
                                     _mm256_cvtepu8_epi16(_mm256_castsi256_si128(a)));
                 _mm256_storeu_si256((__m256i *)(out + o + 16),
                                     _mm256_cvtepu8_epi16(_mm256_extracti128_si256(a, 1))),
                 wsf_dec_any32_ucs2_avx2(s, n, &i, a, k32, out, nout, &o))
    WSF_DEC_LOOP16(wsf_dec_step2_avx2, wsf_dec_ascii2_sse4(a, out + o)))
WSF_DEC_STAGE(WSF_TARGET_AVX2, wsf_dec_ucs4_avx2, uint32_t,
    const __m256i *k32 = wsf_dec_k32_avx2();
    WSF_DEC_LOOP(32, __m256i, WSF_DEC_LOAD32, WSF_DEC_ASCII32,
                 wsf_dec_ascii32_ucs4_avx2(a, out + o),
                 wsf_dec_any32_ucs4_avx2(s, n, &i, a, k32, out, nout, &o))
    WSF_DEC_LOOP16(wsf_dec_step4_sse4, wsf_dec_ascii4_sse4(a, out + o)))
/* The one-pass stages (wsf_decode_onepass.h), VEX-encoded (UCS-4: the SSE4
 * step, three-operand forms, no register copies). */
WSF_DEC_VSTAGES(WSF_TARGET_AVX2, avx2, wsf_dec_step2_avx2, wsf_dec_step4_sse4)

#endif

#endif /* WSF_DECODE_AVX2_H */
