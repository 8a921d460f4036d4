/*
 * wsf_simd_undef.h -- forget the current SIMD layer, so the next one can be
 * included (CPython's stringlib/undef.h pattern).  The list below is also the
 * whole interface a layer provides to the body headers:
 *
 *   WSF_V, WSF_VW                 vector type, width in bytes (16, 32, 64)
 *   WSF_V_ALIGN_STORES            1: align the masking stores to WSF_VW
 *   WSF_V_ALIGN_LINE              1: then to a cache line (WSF_MASK_LINE)
 *   WSF_V_PARTIAL[_XOR]           optional: masked XOR of 1..VW-1 bytes
 *   WSF_V_LOAD/STORE              unaligned
 *   WSF_V_XOR/OR/AND/ZERO/SPLAT32/SPLAT8
 *   WSF_V_TABLE16, WSF_V_LOOKUP16 a 16-entry byte table and its lookup
 *   WSF_V_HI_NIBBLE/LO_NIBBLE     per byte, 0..15
 *   WSF_V_SUBS_U8                 saturating unsigned subtraction
 *   WSF_V_LT8, WSF_V_EQ8          byte compares (signed <, ==) as all-ones bytes
 *   WSF_V_CMP_MASKS               1 where compares natively give mask registers
 *   WSF_V_PREV_123                the input shifted by 1, 2, 3 bytes
 *   WSF_V_ANY_HIGH, WSF_V_ANY     any byte >= 0x80, any byte != 0
 *   WSF_V_MAX_U8, WSF_V_HMAX_U8   per-byte max; largest byte of a vector
 *   WSF_V_CNT_T/STEPS/ZERO/ADD/SUM  counting continuation bytes (10xxxxxx)
 *   WSF_V_SPLAT16/SLL16/SRL16/GT16/MIN_U16, WSF_V_BLEND  16-bit lanes, for
 *                                 wsf_decode_lanes_body.h (not AVX-512)
 *
 * WSF_FN(name) and WSF_TARGET (the instantiation's name suffix and target
 * attribute) are defined by wsf_dispatch.h beside each layer include.
 */
#undef WSF_V
#undef WSF_VW
#undef WSF_V_ALIGN_STORES
#undef WSF_V_ALIGN_LINE
#undef WSF_V_PARTIAL
#undef WSF_V_PARTIAL_XOR
#undef WSF_V_LOAD
#undef WSF_V_STORE
#undef WSF_V_XOR
#undef WSF_V_OR
#undef WSF_V_AND
#undef WSF_V_ZERO
#undef WSF_V_SPLAT32
#undef WSF_V_SPLAT8
#undef WSF_V_TABLE16
#undef WSF_V_LOOKUP16
#undef WSF_V_HI_NIBBLE
#undef WSF_V_LO_NIBBLE
#undef WSF_V_SUBS_U8
#undef WSF_V_LT8
#undef WSF_V_EQ8
#undef WSF_V_CMP_MASKS
#undef WSF_V_PREV_123
#undef WSF_V_ANY_HIGH
#undef WSF_V_ANY
#undef WSF_V_MAX_U8
#undef WSF_V_HMAX_U8
#undef WSF_V_CNT_T
#undef WSF_V_CNT_STEPS
#undef WSF_V_CNT_ZERO
#undef WSF_V_CNT_ADD
#undef WSF_V_CNT_SUM
#undef WSF_V_SPLAT16
#undef WSF_V_SLL16
#undef WSF_V_SRL16
#undef WSF_V_GT16
#undef WSF_V_MIN_U16
#undef WSF_V_BLEND
#undef WSF_V_U16_
#undef WSF_V_U8_
#undef WSF_FN
#undef WSF_TARGET
