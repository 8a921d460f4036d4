/*
 * wsf_simd_sse.h -- the 128-bit x86 layer (SSE2 baseline; the UTF-8 ops need
 * SSSE3 pshufb/palignr and SSE4.1 ptest, so wsf_utf8_body.h is compiled
 * with WSF_TARGET_SSE4 only).  See wsf_simd_undef.h for the list of names
 * every layer defines and wsf_dispatch.h for how they are used.
 */
#define WSF_V __m128i
#define WSF_VW 16
/* Masking stores aligned to a cache line (see wsf_mask_body.h): a 16-byte
 * store splits a line at most every fourth store, but on an Intel Xeon that
 * cost 45% at 16 KiB, and a line straddled by each pass of the loop up to
 * 2x at 64 KiB. */
#define WSF_V_ALIGN_STORES 1
#define WSF_V_ALIGN_LINE 1

#define WSF_V_LOAD(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define WSF_V_STORE(p, v) _mm_storeu_si128((__m128i *)(void *)(p), (v))
#define WSF_V_XOR(a, b) _mm_xor_si128((a), (b))
#define WSF_V_OR(a, b) _mm_or_si128((a), (b))
#define WSF_V_AND(a, b) _mm_and_si128((a), (b))
#define WSF_V_ZERO() _mm_setzero_si128()
#define WSF_V_SPLAT32(x) _mm_set1_epi32((int)(x))
#define WSF_V_SPLAT8(x) _mm_set1_epi8((char)(x))
/* A 16-byte lookup table, repeated in every 128-bit lane. */
#define WSF_V_TABLE16(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
/* t[idx] per byte, idx in 0..15 (per 128-bit lane). */
#define WSF_V_LOOKUP16(t, idx) _mm_shuffle_epi8((t), (idx))
#define WSF_V_HI_NIBBLE(v) \
    _mm_and_si128(_mm_srli_epi16((v), 4), _mm_set1_epi8(0x0F))
#define WSF_V_LO_NIBBLE(v) _mm_and_si128((v), _mm_set1_epi8(0x0F))
#define WSF_V_SUBS_U8(a, b) _mm_subs_epu8((a), (b))
/* Byte compares giving all-ones bytes: signed a < b, a == b. */
#define WSF_V_LT8(a, b) _mm_cmplt_epi8((a), (b))
#define WSF_V_EQ8(a, b) _mm_cmpeq_epi8((a), (b))
/* Compares produce mask registers (WSF_V_LT8/EQ8 cost a conversion). */
#define WSF_V_CMP_MASKS 0
/* p1, p2, p3: `in` shifted by 1, 2, 3 bytes, the gap filled from the end of
 * the previous vector `prev` (the bytes before in[0]). */
#define WSF_V_PREV_123(in, prev, p1, p2, p3) do {                             \
    (p1) = _mm_alignr_epi8((in), (prev), 15);                                 \
    (p2) = _mm_alignr_epi8((in), (prev), 14);                                 \
    (p3) = _mm_alignr_epi8((in), (prev), 13);                                 \
} while (0)
/* Any byte >= 0x80?  Any byte non-zero? */
#define WSF_V_ANY_HIGH(v) (_mm_movemask_epi8(v) != 0)
#define WSF_V_ANY(v) (!_mm_testz_si128((v), (v)))
/* Largest byte (statement: m = that byte, 0..255). */
#define WSF_V_MAX_U8(a, b) _mm_max_epu8((a), (b))
#define WSF_V_HMAX_U8(v, m) ((m) = wsf_hmax_u8_sse2(v))
/* Counting continuation bytes (10xxxxxx): per-byte counters, which take at
 * most WSF_V_CNT_STEPS additions before WSF_V_CNT_SUM adds them to c. */
#define WSF_V_CNT_T __m128i
#define WSF_V_CNT_STEPS 255
#define WSF_V_CNT_ZERO() _mm_setzero_si128()
/* signed compare: 80..BF are the bytes below C0 */
#define WSF_V_CNT_ADD(acc, x) \
    _mm_sub_epi8((acc), _mm_cmplt_epi8((x), _mm_set1_epi8(-64)))
#define WSF_V_CNT_SUM(acc, c) do {                                            \
    __m128i s_ = _mm_sad_epu8((acc), _mm_setzero_si128());                    \
    (c) += (size_t)_mm_cvtsi128_si32(s_) + (size_t)_mm_extract_epi16(s_, 4);  \
} while (0)
/* 16-bit lanes (the decoder's code point arithmetic).  GT16 compares
 * signed; BLEND (SSE4.1) takes b where the lanes of m are all ones. */
#define WSF_V_SPLAT16(x) _mm_set1_epi16((short)(x))
#define WSF_V_SLL16(v, k) _mm_slli_epi16((v), (k))
#define WSF_V_SRL16(v, k) _mm_srli_epi16((v), (k))
#define WSF_V_GT16(a, b) _mm_cmpgt_epi16((a), (b))
#define WSF_V_MIN_U16(a, b) _mm_min_epu16((a), (b))
#define WSF_V_BLEND(a, b, m) _mm_blendv_epi8((a), (b), (m))
