/*
 * wsf_simd_avx2.h -- the 256-bit x86 layer (AVX2; the OS must save YMM
 * state, which wsf_cpu.h checks).  Names: see wsf_simd_undef.h.
 */
#define WSF_V __m256i
#define WSF_VW 32
#define WSF_V_ALIGN_STORES 1
#define WSF_V_ALIGN_LINE 0

#define WSF_V_LOAD(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define WSF_V_STORE(p, v) _mm256_storeu_si256((__m256i *)(void *)(p), (v))
#define WSF_V_XOR(a, b) _mm256_xor_si256((a), (b))
#define WSF_V_OR(a, b) _mm256_or_si256((a), (b))
#define WSF_V_AND(a, b) _mm256_and_si256((a), (b))
#define WSF_V_ZERO() _mm256_setzero_si256()
#define WSF_V_SPLAT32(x) _mm256_set1_epi32((int)(x))
#define WSF_V_SPLAT8(x) _mm256_set1_epi8((char)(x))
#define WSF_V_TABLE16(p) \
    _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)(p)))
#define WSF_V_LOOKUP16(t, idx) _mm256_shuffle_epi8((t), (idx))
#define WSF_V_HI_NIBBLE(v) \
    _mm256_and_si256(_mm256_srli_epi16((v), 4), _mm256_set1_epi8(0x0F))
#define WSF_V_LO_NIBBLE(v) _mm256_and_si256((v), _mm256_set1_epi8(0x0F))
#define WSF_V_SUBS_U8(a, b) _mm256_subs_epu8((a), (b))
/* Byte compares giving all-ones bytes: signed a < b, a == b. */
#define WSF_V_LT8(a, b) _mm256_cmpgt_epi8((b), (a))
#define WSF_V_EQ8(a, b) _mm256_cmpeq_epi8((a), (b))
/* Compares produce mask registers (WSF_V_LT8/EQ8 cost a conversion). */
#define WSF_V_CMP_MASKS 0
/* vpalignr shifts within each 128-bit lane: first build the vector whose
 * low lane is prev's high lane and whose high lane is in's low lane. */
#define WSF_V_PREV_123(in, prev, p1, p2, p3) do {                             \
    __m256i pp_ = _mm256_permute2x128_si256((prev), (in), 0x21);              \
    (p1) = _mm256_alignr_epi8((in), pp_, 15);                                 \
    (p2) = _mm256_alignr_epi8((in), pp_, 14);                                 \
    (p3) = _mm256_alignr_epi8((in), pp_, 13);                                 \
} while (0)
#define WSF_V_ANY_HIGH(v) (_mm256_movemask_epi8(v) != 0)
#define WSF_V_ANY(v) (!_mm256_testz_si256((v), (v)))
#define WSF_V_MAX_U8(a, b) _mm256_max_epu8((a), (b))
#define WSF_V_HMAX_U8(v, m) do {                                              \
    __m256i y_ = (v);                                                         \
    (m) = wsf_hmax_u8_sse2(_mm_max_epu8(_mm256_castsi256_si128(y_),           \
                                        _mm256_extracti128_si256(y_, 1)));    \
} while (0)
#define WSF_V_CNT_T __m256i
#define WSF_V_CNT_STEPS 255
#define WSF_V_CNT_ZERO() _mm256_setzero_si256()
#define WSF_V_CNT_ADD(acc, x) \
    _mm256_sub_epi8((acc), _mm256_cmpgt_epi8(_mm256_set1_epi8(-64), (x)))
#define WSF_V_CNT_SUM(acc, c) do {                                            \
    __m256i s_ = _mm256_sad_epu8((acc), _mm256_setzero_si256());             \
    (c) += (size_t)_mm256_extract_epi64(s_, 0)                                \
           + (size_t)_mm256_extract_epi64(s_, 1)                              \
           + (size_t)_mm256_extract_epi64(s_, 2)                              \
           + (size_t)_mm256_extract_epi64(s_, 3);                             \
} while (0)
#define WSF_V_SPLAT16(x) _mm256_set1_epi16((short)(x))
#define WSF_V_SLL16(v, k) _mm256_slli_epi16((v), (k))
#define WSF_V_SRL16(v, k) _mm256_srli_epi16((v), (k))
#define WSF_V_GT16(a, b) _mm256_cmpgt_epi16((a), (b))
#define WSF_V_MIN_U16(a, b) _mm256_min_epu16((a), (b))
#define WSF_V_BLEND(a, b, m) _mm256_blendv_epi8((a), (b), (m))
