/*
 * wsf_decode_sse4.h -- the transcoder's SSE4.1 steps and stages (16 bytes a step).
 * Included once, by wsf_dispatch.h, after wsf_decode_vec.h and this ISA's
 * instantiation of wsf_decode_body.h / wsf_decode_lanes_body.h.
 */
#ifndef WSF_DECODE_SSE4_H
#define WSF_DECODE_SSE4_H

#if defined(WSF_ARCH_X86_64)

/* ---- SSE4.1 steps: one 16-byte chunk at s (s[0..19) readable), at most
 * 16 code points written from out + *po. ---- */

/* Positions that start a character: not 10xxxxxx. */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE unsigned wsf_dec_keep_sse4(__m128i a)
{
    return ~(unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(a, _mm_set1_epi8(-64)))
           & 0xFFFF;
}

/* Latin-1 output: leads are C2/C3 only, so a 2-byte sequence's code point
 * is (lead << 6 | cont & 3F) in 8 bits. */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE void wsf_dec_step1_sse4(const uint8_t *s,
                                                        __m128i a,
                                                        uint8_t *out, size_t *po)
{
    __m128i a1 = _mm_loadu_si128((const __m128i *)(s + 1));
    __m128i v2 = _mm_or_si128(
        _mm_and_si128(_mm_slli_epi16(a, 6), _mm_set1_epi8((char)0xC0)),
        _mm_and_si128(a1, _mm_set1_epi8(0x3F)));
    __m128i v = _mm_blendv_epi8(a, v2, a); /* non-ASCII positions: v2 */
    unsigned keep = wsf_dec_keep_sse4(a);
    unsigned lo = keep & 0xFF, hi = keep >> 8;
    __m128i ilo = _mm_loadl_epi64((const __m128i *)wsf_dec_pos[lo]);
    __m128i ihi = _mm_add_epi8(_mm_loadl_epi64((const __m128i *)wsf_dec_pos[hi]),
                               _mm_set1_epi8(8)); /* 0x80 stays >= 0x80 */
    size_t o = *po;
    _mm_storel_epi64((__m128i *)(out + o), _mm_shuffle_epi8(v, ilo));
    o += wsf_dec_cnt[lo];
    _mm_storel_epi64((__m128i *)(out + o), _mm_shuffle_epi8(v, ihi));
    *po = o + wsf_dec_cnt[hi];
}

/* UCS-2 output, 8 positions (low halves of b0, c1, c2) in 16-bit lanes. */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE void wsf_dec_half2_sse4(__m128i b0, __m128i c1,
                                                        __m128i c2, unsigned m,
                                                        uint16_t *out, size_t *po)
{
    __m128i v = wsf_dec_bmp16_sse4(_mm_cvtepu8_epi16(b0), _mm_cvtepu8_epi16(c1),
                                   _mm_cvtepu8_epi16(c2));
    __m128i idx;
    /* Byte indices 2p, 2p+1 for each kept position p, then zeros. */
    idx = _mm_load_si128((const __m128i *)wsf_dec_pos16[m]);
    _mm_storeu_si128((__m128i *)(out + *po), _mm_shuffle_epi8(v, idx));
    *po += wsf_dec_cnt[m];
}

WSF_TARGET_SSE4 WSF_ALWAYS_INLINE void wsf_dec_step2_sse4(const uint8_t *s,
                                                        __m128i a,
                                                        uint16_t *out, size_t *po)
{
    const __m128i m3f = _mm_set1_epi8(0x3F);
    __m128i c1 = _mm_and_si128(_mm_loadu_si128((const __m128i *)(s + 1)), m3f);
    __m128i c2 = _mm_and_si128(_mm_loadu_si128((const __m128i *)(s + 2)), m3f);
    unsigned keep = wsf_dec_keep_sse4(a);
    wsf_dec_half2_sse4(a, c1, c2, keep & 0xFF, out, po);
    wsf_dec_half2_sse4(_mm_srli_si128(a, 8), _mm_srli_si128(c1, 8),
                       _mm_srli_si128(c2, 8), keep >> 8, out, po);
}

/* UCS-4 output, 8 positions (low halves): the low 16 bits of each code
 * point in 16-bit lanes, bits 16..20 (4-byte leads only) apart, compacted
 * alike, then widened to 32 bits. */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE void wsf_dec_half4_sse4(__m128i b0, __m128i c1,
                                                        __m128i c2, __m128i c3,
                                                        unsigned m, uint32_t *out,
                                                        size_t *po)
{
    __m128i h;
    __m128i v = wsf_dec_cp16_sse4(_mm_cvtepu8_epi16(b0), _mm_cvtepu8_epi16(c1),
                                  _mm_cvtepu8_epi16(c2), _mm_cvtepu8_epi16(c3), &h);
    __m128i idx;
    size_t o = *po;
    idx = _mm_load_si128((const __m128i *)wsf_dec_pos16[m]);
    v = _mm_shuffle_epi8(v, idx);
    h = _mm_shuffle_epi8(h, idx);
    /* interleaved low and high halves: the 32-bit code points */
    _mm_storeu_si128((__m128i *)(out + o), _mm_unpacklo_epi16(v, h));
    _mm_storeu_si128((__m128i *)(out + o + 4), _mm_unpackhi_epi16(v, h));
    *po = o + wsf_dec_cnt[m];
}

WSF_TARGET_SSE4 WSF_ALWAYS_INLINE void wsf_dec_step4_sse4(const uint8_t *s,
                                                        __m128i a,
                                                        uint32_t *out, size_t *po)
{
    const __m128i m3f = _mm_set1_epi8(0x3F);
    __m128i c1 = _mm_and_si128(_mm_loadu_si128((const __m128i *)(s + 1)), m3f);
    __m128i c2 = _mm_and_si128(_mm_loadu_si128((const __m128i *)(s + 2)), m3f);
    __m128i c3 = _mm_and_si128(_mm_loadu_si128((const __m128i *)(s + 3)), m3f);
    unsigned keep = wsf_dec_keep_sse4(a);
    wsf_dec_half4_sse4(a, c1, c2, c3, keep & 0xFF, out, po);
    wsf_dec_half4_sse4(_mm_srli_si128(a, 8), _mm_srli_si128(c1, 8),
                       _mm_srli_si128(c2, 8), _mm_srli_si128(c3, 8), keep >> 8,
                       out, po);
}

/* All-ASCII chunk: widen 16 bytes to 16 code points. */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE void wsf_dec_ascii2_sse4(__m128i a, uint16_t *out)
{
    _mm_storeu_si128((__m128i *)out, _mm_cvtepu8_epi16(a));
    _mm_storeu_si128((__m128i *)(out + 8), _mm_cvtepu8_epi16(_mm_srli_si128(a, 8)));
}

WSF_TARGET_SSE4 WSF_ALWAYS_INLINE void wsf_dec_ascii4_sse4(__m128i a, uint32_t *out)
{
    _mm_storeu_si128((__m128i *)out, _mm_cvtepu8_epi32(a));
    _mm_storeu_si128((__m128i *)(out + 4), _mm_cvtepu8_epi32(_mm_srli_si128(a, 4)));
    _mm_storeu_si128((__m128i *)(out + 8), _mm_cvtepu8_epi32(_mm_srli_si128(a, 8)));
    _mm_storeu_si128((__m128i *)(out + 12), _mm_cvtepu8_epi32(_mm_srli_si128(a, 12)));
}

/* The SSE4 vector stages: 16 bytes per step. */
#define WSF_DEC_V16 __m128i
#define WSF_DEC_LOAD16(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define WSF_DEC_ASCII16(a) (_mm_movemask_epi8(a) == 0)
WSF_DEC_STAGE(WSF_TARGET_SSE4, wsf_dec_ucs1_sse4, uint8_t,
    WSF_DEC_LOOP16(wsf_dec_step1_sse4, _mm_storeu_si128((__m128i *)(out + o), a)))
WSF_DEC_STAGE(WSF_TARGET_SSE4, wsf_dec_ucs2_sse4, uint16_t,
    WSF_DEC_LOOP16(wsf_dec_step2_sse4, wsf_dec_ascii2_sse4(a, out + o)))
WSF_DEC_STAGE(WSF_TARGET_SSE4, wsf_dec_ucs4_sse4, uint32_t,
    WSF_DEC_LOOP16(wsf_dec_step4_sse4, wsf_dec_ascii4_sse4(a, out + o)))

#endif

#endif /* WSF_DECODE_SSE4_H */
