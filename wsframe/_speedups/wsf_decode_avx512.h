/*
 * wsf_decode_avx512.h -- the transcoder's AVX-512 VBMI2 stages (64 bytes a step,
 * vpcompressb/w), handing their tails to the AVX2 stages.
 * Included once, by wsf_dispatch.h, after wsf_decode_vec.h and this ISA's
 * instantiation of wsf_decode_body.h / wsf_decode_lanes_body.h.
 */
#ifndef WSF_DECODE_AVX512_H
#define WSF_DECODE_AVX512_H

#if defined(WSF_ARCH_X86_64)

/* ---- AVX-512 VBMI2 (Ice Lake, Zen 4 and later): 64 bytes per step, the
 * compaction done by vpcompressb/w/d.  Used at the AVX512 level only when
 * the CPU has VBMI2 (wsf_cpu.h: wsf_cpu_vbmi2; the AVX512 level needs F+BW+VL
 * only); otherwise that level runs the AVX2 kernels. ---- */

/* 64 bytes at s (s[0..67) readable) -> at most 64 code points at out + o. */
WSF_TARGET_VBMI2
static size_t wsf_dec_ucs1_avx512(const uint8_t *s, size_t n, uint8_t *out,
                                  size_t nout, size_t *po)
{
    const __m512i c0 = _mm512_set1_epi8((char)0xC0);
    const __m512i x80 = _mm512_set1_epi8((char)0x80);
    const __m512i m3f = _mm512_set1_epi8(0x3F);
    size_t i = 0, o = 0;
    while (n - i >= 67 && nout - o >= 64) {
        __m512i a = _mm512_loadu_si512((const void *)(s + i));
        __mmask64 hi = _mm512_movepi8_mask(a);
        if (hi == 0) {
            _mm512_storeu_si512((void *)(out + o), a);
            o += 64;
        } else {
            __m512i a1 = _mm512_loadu_si512((const void *)(s + i + 1));
            __m512i v2 = _mm512_or_si512(_mm512_and_si512(_mm512_slli_epi16(a, 6), c0),
                                         _mm512_and_si512(a1, m3f));
            __m512i v = _mm512_mask_blend_epi8(hi, a, v2);
            __mmask64 keep = _mm512_cmpneq_epi8_mask(_mm512_and_si512(a, c0), x80);
            _mm512_storeu_si512((void *)(out + o), _mm512_maskz_compress_epi8(keep, v));
            o += WSF_DEC_POPCNT64(keep);
        }
        i += 64;
    }
    WSF_DEC_HANDOFF(wsf_dec_ucs1_avx2);
}

/* Is a a 64-byte uniform 2-byte run (Cyrillic, Greek, Hebrew, Arabic
 * letters: see wsf_decode_sse4.h), leads at every second byte from 0 or 1
 * and no other character start? */
WSF_TARGET_VBMI2 WSF_ALWAYS_INLINE int wsf_dec_is_run64_2_avx512(__m512i a)
{
    const uint64_t even = 0x5555555555555555ULL;
    __mmask64 lead2 = _mm512_cmpeq_epi8_mask(_mm512_and_si512(a, _mm512_set1_epi8((char)0xE0)),
                                             _mm512_set1_epi8((char)0xC0));
    __mmask64 keep = _mm512_cmpgt_epi8_mask(a, _mm512_set1_epi8((char)0xBF));
    return lead2 == keep && (lead2 == even || lead2 == even << 1);
}

WSF_TARGET_VBMI2
static size_t wsf_dec_ucs2_avx512(const uint8_t *s, size_t n, uint16_t *out,
                                  size_t nout, size_t *po)
{
    const __m512i c0 = _mm512_set1_epi16(0xC0);
    const __m512i x80 = _mm512_set1_epi16(0x80);
    const __m512i m3f = _mm512_set1_epi16(0x3F);
    const __m512i m1f = _mm512_set1_epi16(0x1F);
    const __m512i bf = _mm512_set1_epi16(0xBF);
    const __m512i df = _mm512_set1_epi16(0xDF);
    const __m256i *k32 = wsf_dec_k32_avx2();
    size_t i = 0, o = 0, h;
    unsigned wait = 0;
    while (n - i >= 67 && nout - o >= 64) {
        __m512i a = _mm512_loadu_si512((const void *)(s + i));
        if (_mm512_movepi8_mask(a) == 0) {
            _mm512_storeu_si512((void *)(out + o),
                                _mm512_cvtepu8_epi16(_mm512_castsi512_si256(a)));
            _mm512_storeu_si512((void *)(out + o + 32),
                                _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(a, 1)));
            o += 64;
        } else if (wait == 0 && wsf_dec_is_run64_2_avx512(a)) {
            /* AVX2's 32-byte block: its run loop takes the blocks after it
             * while they are runs too (fixed layout, no compression); i is
             * then at the last block it took. */
            wsf_dec_any32_ucs2_avx2(s, n, &i, _mm512_castsi512_si256(a), k32, out, nout, &o);
            i += 32;
            continue;
        } else {
            /* After a block that is not a run, the next 15 other blocks
             * skip the test: text in words (spaces, punctuation) seldom
             * has 64-byte runs, and a failing test costs ~20% there. */
            wait = wait != 0 ? wait - 1 : 15;
            for (h = 0; h < 64; h += 32) {
                const uint8_t *p = s + i + h;
                __m512i b0 = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)p));
                __m512i b1 = _mm512_and_si512(
                    _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(p + 1))), m3f);
                __m512i b2 = _mm512_and_si512(
                    _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(p + 2))), m3f);
                __m512i v2 = _mm512_or_si512(_mm512_slli_epi16(_mm512_and_si512(b0, m1f), 6), b1);
                __m512i v3 = _mm512_or_si512(_mm512_or_si512(_mm512_slli_epi16(b0, 12),
                                                             _mm512_slli_epi16(b1, 6)), b2);
                __m512i v = _mm512_mask_blend_epi16(_mm512_cmpgt_epu16_mask(b0, bf), b0, v2);
                __mmask32 keep = _mm512_cmpneq_epi16_mask(_mm512_and_si512(b0, c0), x80);
                v = _mm512_mask_blend_epi16(_mm512_cmpgt_epu16_mask(b0, df), v, v3);
                _mm512_storeu_si512((void *)(out + o), _mm512_maskz_compress_epi16(keep, v));
                o += WSF_DEC_POPCNT64((unsigned long long)keep);
            }
        }
        i += 64;
    }
    WSF_DEC_HANDOFF(wsf_dec_ucs2_avx2);
}

/* ---- UCS-4: the general block in even/odd 16-bit lanes (the arithmetic
 * of wsf_dec_eo3_sse4 / _eo4_sse4, wsf_decode_sse4.h, on 16 lanes): the 32
 * bytes at p read as 16 16-bit lanes hold the first two bytes of the
 * sequences at the even positions, read at p + 1 those at the odd ones, at
 * p + 2 and p + 3 the next two; vpermt2w puts the results in position
 * order, vpcompressw drops the continuation positions. ---- */

/* One of the 16-bit constants of wsf_decode_sse4.h (wsf_dec_k16), in both
 * 128-bit lanes (vbroadcasti128 from memory). */
#define WSF_DEC_K256(i) _mm256_broadcastsi128_si256(_mm_load_si128(k + (i)))

WSF_TARGET_VBMI2 WSF_ALWAYS_INLINE __m256i wsf_dec_eo_avx512(const __m128i *k, __m256i r,
                                                           __m256i q, int has4, __m256i *h)
{
    __m256i p = _mm256_maddubs_epi16(r, WSF_DEC_K256(WSF_DEC_K_W));
    __m256i v = _mm256_subs_epu16(p, WSF_DEC_K256(WSF_DEC_K_2));
    __m256i v3 = _mm256_add_epi16(
        _mm256_slli_epi16(_mm256_sub_epi16(p, WSF_DEC_K256(WSF_DEC_K_82)), 6),
        _mm256_and_si256(q, WSF_DEC_K256(WSF_DEC_K_FF)));
    v = _mm256_mask_blend_epi16(_mm256_cmpgt_epu16_mask(p, WSF_DEC_K256(WSF_DEC_K_3)), v, v3);
    v = _mm256_max_epu16(v, _mm256_and_si256(r, WSF_DEC_K256(WSF_DEC_K_7F)));
    if (has4) {
        __m256i v4 = _mm256_sub_epi16(
            _mm256_add_epi16(
                _mm256_and_si256(_mm256_slli_epi16(r, 4), WSF_DEC_K256(WSF_DEC_K_F000)),
                _mm256_maddubs_epi16(q, WSF_DEC_K256(WSF_DEC_K_W))),
            WSF_DEC_K256(WSF_DEC_K_2080));
        *h = _mm256_min_epu16(
            _mm256_srli_epi16(_mm256_subs_epu16(p, WSF_DEC_K256(WSF_DEC_K_H)), 4),
            WSF_DEC_K256(WSF_DEC_K_10));
        v = _mm256_mask_blend_epi16(_mm256_cmpgt_epu16_mask(p, WSF_DEC_K256(WSF_DEC_K_4)), v,
                                    v4);
    }
    return v;
}

/* vpermt2w indices: word 2j from lane j of the first register, word 2j + 1
 * from lane j of the second (j = 0..15 for 512 bits; row 0 of 256 bits:
 * j = 0..7, row 1: j = 8..15, with the second register's lanes from 16).
 * They interleave the even and the odd positions, and the low 16 bits of
 * the code points with bits 16..20. */
#define WSF_DEC_EO2(j, n) (j), (n) + (j)
#define WSF_DEC_EO8(j, n) WSF_DEC_EO2(j, n), WSF_DEC_EO2((j) + 1, n), \
                          WSF_DEC_EO2((j) + 2, n), WSF_DEC_EO2((j) + 3, n)
static const uint16_t wsf_dec_eo16[2][16] = {
    {WSF_DEC_EO8(0, 16), WSF_DEC_EO8(4, 16)}, {WSF_DEC_EO8(8, 16), WSF_DEC_EO8(12, 16)}};
static const uint16_t wsf_dec_eo32[32] = {WSF_DEC_EO8(0, 32), WSF_DEC_EO8(4, 32),
                                          WSF_DEC_EO8(8, 32), WSF_DEC_EO8(12, 32)};

/* 16 code points' low 16 bits v (and bits 16..20 h when has4), in order,
 * compressed by the 16 bits of keep and stored at out + *po. */
WSF_TARGET_VBMI2 WSF_ALWAYS_INLINE void wsf_dec_put_avx512(__m256i v, __m256i h, int has4,
                                                         unsigned keep, uint32_t *out,
                                                         size_t *po)
{
    size_t o = *po;
    v = _mm256_maskz_compress_epi16((__mmask16)keep, v);
    if (has4) {
        h = _mm256_maskz_compress_epi16((__mmask16)keep, h);
        _mm512_storeu_si512((void *)(out + o),
                            _mm512_permutex2var_epi16(_mm512_castsi256_si512(v),
                                                      _mm512_loadu_si512(wsf_dec_eo32),
                                                      _mm512_castsi256_si512(h)));
    } else {
        _mm512_storeu_si512((void *)(out + o), _mm512_cvtepu16_epi32(v));
    }
    *po = o + WSF_DEC_POPCNT64((unsigned long long)keep);
}

/* UCS-4, 32 positions at p (p[0..35) readable) -> at most 32 code points
 * at out + *po; has4: a 4-byte lead among them. */
WSF_TARGET_VBMI2 WSF_ALWAYS_INLINE void wsf_dec_half4_avx512(const uint8_t *p, int has4,
                                                           uint32_t *out, size_t *po)
{
    const __m128i *k = wsf_dec_k16_sse4();
    __m256i a = _mm256_loadu_si256((const __m256i *)p);
    __m256i a1 = _mm256_loadu_si256((const __m256i *)(p + 1));
    __m256i he = _mm256_setzero_si256(), ho = he;
    __m256i ve = wsf_dec_eo_avx512(k, a, _mm256_loadu_si256((const __m256i *)(p + 2)), has4,
                                   &he);
    __m256i vo = wsf_dec_eo_avx512(k, a1, _mm256_loadu_si256((const __m256i *)(p + 3)), has4,
                                   &ho);
    __m256i ilo = _mm256_loadu_si256((const __m256i *)wsf_dec_eo16[0]);
    __m256i ihi = _mm256_loadu_si256((const __m256i *)wsf_dec_eo16[1]);
    /* not 10xxxxxx: signed, the bytes above BF */
    uint32_t keep = _mm256_cmpgt_epi8_mask(a, _mm256_set1_epi8((char)0xBF));
    wsf_dec_put_avx512(_mm256_permutex2var_epi16(ve, ilo, vo),
                       _mm256_permutex2var_epi16(he, ilo, ho), has4, keep & 0xFFFF, out, po);
    wsf_dec_put_avx512(_mm256_permutex2var_epi16(ve, ihi, vo),
                       _mm256_permutex2var_epi16(he, ihi, ho), has4, keep >> 16, out, po);
}

/* UCS-4, the 32 bytes at p (high, lead4: their bits of the block's masks). */
WSF_TARGET_VBMI2 WSF_ALWAYS_INLINE void wsf_dec_any4_avx512(const uint8_t *p, uint32_t high,
                                                          uint32_t lead4, uint32_t *out,
                                                          size_t *po)
{
    if (high == 0) { /* 32 ASCII bytes: widen */
        _mm512_storeu_si512((void *)(out + *po),
                            _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)p)));
        _mm512_storeu_si512((void *)(out + *po + 16),
                            _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(p + 16))));
        *po += 32;
    } else {
        wsf_dec_half4_avx512(p, lead4 != 0, out, po);
    }
}

WSF_TARGET_VBMI2
static size_t wsf_dec_ucs4_avx512(const uint8_t *s, size_t n, uint32_t *out,
                                  size_t nout, size_t *po)
{
    const __m512i f0 = _mm512_set1_epi8((char)0xF0);
    const __m256i *k32 = wsf_dec_k32_avx2();
    size_t i = 0, o = 0;
    while (n - i >= 67 && nout - o >= 64) {
        __m512i a = _mm512_loadu_si512((const void *)(s + i));
        __mmask64 high = _mm512_movepi8_mask(a);
        __mmask64 lead4 = _mm512_cmpge_epu8_mask(a, f0);
        if (~high == 0 && WSF_DEC_POPCNT64(lead4) == 16) {
            /* 64 bytes of 4-byte characters only (emoji, other astral
             * text): AVX2's 32-byte block, which takes the blocks after it
             * in its run loop while they are runs too (their fixed layout,
             * no compression); i is then at the last block it took. */
            wsf_dec_any32_ucs4_avx2(s, n, &i, _mm512_castsi512_si256(a), k32, out, nout, &o);
            i += 32;
            continue;
        }
        wsf_dec_any4_avx512(s + i, (uint32_t)high, (uint32_t)lead4, out, &o);
        wsf_dec_any4_avx512(s + i + 32, (uint32_t)(high >> 32), (uint32_t)(lead4 >> 32), out,
                            &o);
        i += 64;
    }
    WSF_DEC_HANDOFF(wsf_dec_ucs4_avx2);
}

#endif

#endif /* WSF_DECODE_AVX512_H */
