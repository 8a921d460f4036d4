/*
 * wsf_simd_neon.h -- the 128-bit AArch64 layer (Advanced SIMD, mandatory on
 * AArch64).  Names: see wsf_simd_undef.h.
 */
#define WSF_V uint8x16_t
#define WSF_VW 16
#define WSF_V_ALIGN_STORES 0
#define WSF_V_ALIGN_LINE 0

#define WSF_V_LOAD(p) vld1q_u8((const uint8_t *)(p))
#define WSF_V_STORE(p, v) vst1q_u8((uint8_t *)(p), (v))
#define WSF_V_XOR(a, b) veorq_u8((a), (b))
#define WSF_V_OR(a, b) vorrq_u8((a), (b))
#define WSF_V_AND(a, b) vandq_u8((a), (b))
#define WSF_V_ZERO() vdupq_n_u8(0)
#define WSF_V_SPLAT32(x) vreinterpretq_u8_u32(vdupq_n_u32((uint32_t)(x)))
#define WSF_V_SPLAT8(x) vdupq_n_u8((uint8_t)(x))
#define WSF_V_TABLE16(p) vld1q_u8((const uint8_t *)(p))
#define WSF_V_LOOKUP16(t, idx) vqtbl1q_u8((t), (idx))
#define WSF_V_HI_NIBBLE(v) vshrq_n_u8((v), 4)
#define WSF_V_LO_NIBBLE(v) vandq_u8((v), vdupq_n_u8(0x0F))
#define WSF_V_SUBS_U8(a, b) vqsubq_u8((a), (b))
/* Byte compares giving all-ones bytes: signed a < b, a == b. */
#define WSF_V_LT8(a, b) vcltq_s8(vreinterpretq_s8_u8(a), vreinterpretq_s8_u8(b))
#define WSF_V_EQ8(a, b) vceqq_u8((a), (b))
/* Compares produce mask registers (WSF_V_LT8/EQ8 cost a conversion). */
#define WSF_V_CMP_MASKS 0
#define WSF_V_PREV_123(in, prev, p1, p2, p3) do {                             \
    (p1) = vextq_u8((prev), (in), 15);                                        \
    (p2) = vextq_u8((prev), (in), 14);                                        \
    (p3) = vextq_u8((prev), (in), 13);                                        \
} while (0)
#define WSF_V_ANY_HIGH(v) (vmaxvq_u8(v) >= 0x80)
#define WSF_V_ANY(v) (vmaxvq_u8(v) != 0)
#define WSF_V_MAX_U8(a, b) vmaxq_u8((a), (b))
#define WSF_V_HMAX_U8(v, m) ((m) = (unsigned)vmaxvq_u8(v))
#define WSF_V_CNT_T uint8x16_t
#define WSF_V_CNT_STEPS 255
#define WSF_V_CNT_ZERO() vdupq_n_u8(0)
#define WSF_V_CNT_ADD(acc, x) \
    vsubq_u8((acc), vcltq_s8(vreinterpretq_s8_u8(x), vdupq_n_s8(-64)))
#define WSF_V_CNT_SUM(acc, c) ((c) += (size_t)vaddlvq_u8(acc))
/* 16-bit lanes, in the layer's byte-vector type. */
#define WSF_V_U16_(v) vreinterpretq_u16_u8(v)
#define WSF_V_U8_(v) vreinterpretq_u8_u16(v)
#define WSF_V_SPLAT16(x) WSF_V_U8_(vdupq_n_u16((uint16_t)(x)))
#define WSF_V_SLL16(v, k) WSF_V_U8_(vshlq_n_u16(WSF_V_U16_(v), (k)))
#define WSF_V_SRL16(v, k) WSF_V_U8_(vshrq_n_u16(WSF_V_U16_(v), (k)))
#define WSF_V_GT16(a, b) WSF_V_U8_(vcgtq_u16(WSF_V_U16_(a), WSF_V_U16_(b)))
#define WSF_V_MIN_U16(a, b) WSF_V_U8_(vminq_u16(WSF_V_U16_(a), WSF_V_U16_(b)))
#define WSF_V_BLEND(a, b, m) vbslq_u8((m), (b), (a))
