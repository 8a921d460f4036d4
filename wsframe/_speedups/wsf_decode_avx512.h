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
    size_t i = 0, o = 0, h;
    while (n - i >= 67 && nout - o >= 64) {
        __m512i a = _mm512_loadu_si512((const void *)(s + i));
        if (_mm512_movepi8_mask(a) == 0) {
            _mm512_storeu_si512((void *)(out + o),
                                _mm512_cvtepu8_epi16(_mm512_castsi512_si256(a)));
            _mm512_storeu_si512((void *)(out + o + 32),
                                _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(a, 1)));
            o += 64;
        } else {
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

/* UCS-4, 32 positions at p (p[0..35) readable) -> out + *po: the low 16
 * bits of every code point in 16-bit lanes, compressed there and widened;
 * with 4-byte leads (has4) bits 16..20 too, apart, compressed alike. */
WSF_TARGET_VBMI2 WSF_ALWAYS_INLINE void wsf_dec_half4_avx512(const uint8_t *p, int has4,
                                                           uint32_t *out, size_t *po)
{
    const __m512i w3f = _mm512_set1_epi16(0x3F);
    __m512i b0 = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)p));
    __m512i b1 = _mm512_and_si512(
        _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(p + 1))), w3f);
    __m512i b2 = _mm512_and_si512(
        _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(p + 2))), w3f);
    __m512i v2 = _mm512_or_si512(
        _mm512_slli_epi16(_mm512_and_si512(b0, _mm512_set1_epi16(0x1F)), 6), b1);
    __m512i b12 = _mm512_or_si512(_mm512_slli_epi16(b1, 6), b2);
    /* 16-bit shifts drop the bits above 16 by themselves. */
    __m512i v3 = _mm512_or_si512(_mm512_slli_epi16(b0, 12), b12);
    __m512i v = _mm512_mask_blend_epi16(
        _mm512_cmpgt_epu16_mask(b0, _mm512_set1_epi16(0xBF)), b0, v2);
    __mmask32 keep = _mm512_cmpneq_epi16_mask(
        _mm512_and_si512(b0, _mm512_set1_epi16(0xC0)), _mm512_set1_epi16(0x80));
    size_t o = *po;
    v = _mm512_mask_blend_epi16(_mm512_cmpgt_epu16_mask(b0, _mm512_set1_epi16(0xDF)),
                                v, v3);
    if (!has4) {
        v = _mm512_maskz_compress_epi16(keep, v);
        _mm512_storeu_si512((void *)(out + o),
                            _mm512_cvtepu16_epi32(_mm512_castsi512_si256(v)));
        _mm512_storeu_si512((void *)(out + o + 16),
                            _mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(v, 1)));
    } else {
        __m512i b3 = _mm512_and_si512(
            _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(p + 3))), w3f);
        __m512i v4 = _mm512_or_si512(_mm512_slli_epi16(b12, 6), b3);
        __mmask32 is4 = _mm512_cmpgt_epu16_mask(b0, _mm512_set1_epi16(0xEF));
        /* bits 16..20, at most 0x10 (clamps ill-formed input to U+10FFFF) */
        __m512i hi = _mm512_min_epu16(_mm512_or_si512(
            _mm512_slli_epi16(_mm512_and_si512(b0, _mm512_set1_epi16(0x07)), 2),
            _mm512_srli_epi16(b1, 4)), _mm512_set1_epi16(0x10));
        v = _mm512_mask_blend_epi16(is4, v, v4);
        hi = _mm512_maskz_compress_epi16(keep, _mm512_maskz_mov_epi16(is4, hi));
        v = _mm512_maskz_compress_epi16(keep, v);
        _mm512_storeu_si512((void *)(out + o), _mm512_or_si512(
            _mm512_cvtepu16_epi32(_mm512_castsi512_si256(v)),
            _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_castsi512_si256(hi)), 16)));
        _mm512_storeu_si512((void *)(out + o + 16), _mm512_or_si512(
            _mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(v, 1)),
            _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(hi, 1)), 16)));
    }
    *po = o + WSF_DEC_POPCNT64((unsigned long long)keep);
}

/* A 32-byte uniform 4-byte run at p (wsf_dec_run32_ucs4_avx2). */
WSF_TARGET_AVX2 WSF_ALWAYS_INLINE size_t wsf_dec_run32_ucs4_avx512(const uint8_t *p,
                                                                 uint32_t *out)
{
    return wsf_dec_run32_ucs4_avx2(p, _mm256_loadu_si256((const __m256i *)p), out);
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
    size_t i = 0, o = 0, run;
    while (n - i >= 67 && nout - o >= 64) {
        __m512i a = _mm512_loadu_si512((const void *)(s + i));
        __mmask64 high = _mm512_movepi8_mask(a);
        __mmask64 lead4 = _mm512_cmpge_epu8_mask(a, f0);
        /* 64 bytes of 4-byte characters only (emoji, other astral text):
         * the AVX2 fixed layout per 32 bytes, no compression.  (Tested on
         * the whole block: per 32 bytes, mixed text was 20% slower.) */
        if (~high == 0 && WSF_DEC_POPCNT64(lead4) == 16
            && (run = wsf_dec_run32_ucs4_avx512(s + i, out + o)) != 0) {
            o += run;
            if ((run = wsf_dec_run32_ucs4_avx512(s + i + 32, out + o)) != 0) {
                o += run;
            } else {
                wsf_dec_half4_avx512(s + i + 32, 1, out, &o);
            }
        } else {
            wsf_dec_any4_avx512(s + i, (uint32_t)high, (uint32_t)lead4, out, &o);
            wsf_dec_any4_avx512(s + i + 32, (uint32_t)(high >> 32), (uint32_t)(lead4 >> 32),
                                out, &o);
        }
        i += 64;
    }
    WSF_DEC_HANDOFF(wsf_dec_ucs4_avx2);
}

#endif

#endif /* WSF_DECODE_AVX512_H */
