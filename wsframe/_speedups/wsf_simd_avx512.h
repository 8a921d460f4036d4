/*
 * wsf_simd_avx512.h -- the 512-bit x86 layer (AVX-512 F+BW+VL; the OS must
 * save opmask and ZMM state, which wsf_cpu.h checks).  Names: see
 * wsf_simd_undef.h.
 */
#define WSF_V __m512i
#define WSF_VW 64
#define WSF_V_ALIGN_STORES 1
#define WSF_V_ALIGN_LINE 0
/* Masked loads/stores: masked-out bytes are architecturally not accessed
 * and cannot fault, so a head or tail of 1..63 bytes is one operation. */
#define WSF_V_PARTIAL 1
#define WSF_V_PARTIAL_XOR(d, s, n, k) do {                                    \
    __mmask64 m_ = (((uint64_t)1) << (n)) - 1; /* n in 1..63 */               \
    __m512i a_ = _mm512_maskz_loadu_epi8(m_, (const void *)(s));              \
    _mm512_mask_storeu_epi8((void *)(d), m_, _mm512_xor_si512(a_, (k)));      \
} while (0)

#define WSF_V_LOAD(p) _mm512_loadu_si512((const void *)(p))
#define WSF_V_STORE(p, v) _mm512_storeu_si512((void *)(p), (v))
#define WSF_V_XOR(a, b) _mm512_xor_si512((a), (b))
#define WSF_V_OR(a, b) _mm512_or_si512((a), (b))
#define WSF_V_AND(a, b) _mm512_and_si512((a), (b))
#define WSF_V_ZERO() _mm512_setzero_si512()
#define WSF_V_SPLAT32(x) _mm512_set1_epi32((int)(x))
#define WSF_V_SPLAT8(x) _mm512_set1_epi8((char)(x))
#define WSF_V_TABLE16(p) \
    _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(const void *)(p)))
#define WSF_V_LOOKUP16(t, idx) _mm512_shuffle_epi8((t), (idx))
#define WSF_V_HI_NIBBLE(v) \
    _mm512_and_si512(_mm512_srli_epi16((v), 4), _mm512_set1_epi8(0x0F))
#define WSF_V_LO_NIBBLE(v) _mm512_and_si512((v), _mm512_set1_epi8(0x0F))
#define WSF_V_SUBS_U8(a, b) _mm512_subs_epu8((a), (b))
/* Byte compares giving all-ones bytes: signed a < b, a == b. */
#define WSF_V_LT8(a, b) _mm512_movm_epi8(_mm512_cmplt_epi8_mask((a), (b)))
#define WSF_V_EQ8(a, b) _mm512_movm_epi8(_mm512_cmpeq_epi8_mask((a), (b)))
/* Compares produce mask registers (WSF_V_LT8/EQ8 cost a conversion). */
#define WSF_V_CMP_MASKS 1
/* vpalignr works per 128-bit lane: pair each lane of `in` with the lane
 * before it (the last lane of `prev` for the first). */
#define WSF_V_PREV_123(in, prev, p1, p2, p3) do {                             \
    __m512i pp_ = _mm512_alignr_epi64((in), (prev), 6);                       \
    (p1) = _mm512_alignr_epi8((in), pp_, 15);                                 \
    (p2) = _mm512_alignr_epi8((in), pp_, 14);                                 \
    (p3) = _mm512_alignr_epi8((in), pp_, 13);                                 \
} while (0)
#define WSF_V_ANY_HIGH(v) (_mm512_movepi8_mask(v) != 0)
#define WSF_V_ANY(v) (_mm512_test_epi8_mask((v), (v)) != 0)
#define WSF_V_MAX_U8(a, b) _mm512_max_epu8((a), (b))
#define WSF_V_HMAX_U8(v, m) do {                                              \
    __m512i z_ = (v);                                                         \
    __m256i y_ = _mm256_max_epu8(_mm512_castsi512_si256(z_),                  \
                                 _mm512_extracti64x4_epi64(z_, 1));           \
    (m) = wsf_hmax_u8_sse2(_mm_max_epu8(_mm256_castsi256_si128(y_),           \
                                        _mm256_extracti128_si256(y_, 1)));    \
} while (0)
/* Per-byte counters (no POPCNT needed, so every AVX-512 instantiation may
 * count): the compare's mask as 0xFF bytes, subtracted. */
#define WSF_V_CNT_T __m512i
#define WSF_V_CNT_STEPS 255
#define WSF_V_CNT_ZERO() _mm512_setzero_si512()
#define WSF_V_CNT_ADD(acc, x) _mm512_sub_epi8((acc), _mm512_movm_epi8(   \
    _mm512_cmplt_epi8_mask((x), _mm512_set1_epi8(-64))))
#define WSF_V_CNT_SUM(acc, c) \
    ((c) += (size_t)_mm512_reduce_add_epi64(_mm512_sad_epu8((acc), _mm512_setzero_si512())))
