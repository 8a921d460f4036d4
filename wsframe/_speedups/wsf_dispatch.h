/*
 * wsf_dispatch.h -- the one place that compiles the SIMD kernels, detects the
 * CPU and fills the kernel table.  Included by exactly one extension module
 * (wsframe._speedups._mask, which exports the table through a PyCapsule; see
 * wsf_capsule.h) and by the C tests.
 *
 * Each algorithm is written once: wsf_mask_body.h, wsf_utf8_body.h and the
 * transcoder's wsf_decode_body.h / wsf_decode_lanes_body.h are included once
 * per ISA after that ISA's layer header (wsf_simd_<isa>.h) and a name suffix
 * WSF_FN(name) and function attribute WSF_TARGET, as CPython's
 * Objects/stringlib headers are included once per character width; the
 * transcoder's per-ISA steps (wsf_decode_<isa>.h) follow their layer.  The
 * 128-bit x86 layer is instantiated twice: as SSE2 (masking and the
 * transcoder's ASCII copy and scan, baseline ISA) and as SSE4 (SSSE3 +
 * SSE4.1, which the UTF-8 lookups and the transcoder's shuffles need).
 *
 *   level    masking           UTF-8 validation    UTF-8 -> str
 *   scalar   8-byte words      DFA                 CPython's decoder
 *   sse2     128-bit           DFA                 ASCII copy, else CPython's
 *   sse4     128-bit           128-bit lookup      16 bytes a step
 *   avx2     256-bit           256-bit lookup      32-byte blocks
 *   avx512   512-bit, masked   512-bit lookup      64 bytes a step with VBMI2
 *                              (vpermb with VBMI)  and VBMI (else the AVX2
 *                                                  kernels)
 *   neon     128-bit           128-bit lookup      16 bytes a step (UCS-4:
 *                                                  CPython's decoder)
 */
#ifndef WSF_DISPATCH_H
#define WSF_DISPATCH_H

#include "wsf_decode_vec.h"

#if defined(WSF_ARCH_X86_64)

#include "wsf_simd_sse.h"
#define WSF_FN(name) name##_sse2
#define WSF_TARGET
#define WSF_DEC_NEXT(name) name##_scalar
#include "wsf_mask_body.h"
#include "wsf_decode_body.h"
#undef WSF_DEC_NEXT
#undef WSF_FN
#undef WSF_TARGET
#define WSF_FN(name) name##_sse4
#define WSF_TARGET WSF_TARGET_SSE4
#include "wsf_mask_body.h"
#include "wsf_utf8_body.h"
#include "wsf_decode_lanes_body.h"
#include "wsf_decode_sse4.h"
#include "wsf_decode_onepass.h"
#include "wsf_simd_undef.h"

#include "wsf_simd_avx2.h"
#define WSF_FN(name) name##_avx2
#define WSF_TARGET WSF_TARGET_AVX2
#define WSF_DEC_NEXT(name) name##_sse2
#include "wsf_mask_body.h"
#include "wsf_utf8_body.h"
#include "wsf_decode_body.h"
#include "wsf_decode_lanes_body.h"
#include "wsf_decode_avx2.h"
#undef WSF_DEC_NEXT
#include "wsf_simd_undef.h"

#include "wsf_simd_avx512.h"
#define WSF_FN(name) name##_avx512
#define WSF_TARGET WSF_TARGET_AVX512
#include "wsf_mask_body.h"
#include "wsf_utf8_body.h"
/* The transcoder's AVX-512 code runs only where the CPU has VBMI2 and VBMI. */
#undef WSF_TARGET
#define WSF_TARGET WSF_TARGET_VBMI2
#define WSF_DEC_NEXT(name) name##_avx2
#include "wsf_decode_body.h"
#include "wsf_decode_avx512.h"
#undef WSF_DEC_NEXT
/* The validator once more for the same CPUs (name suffix _avx512vbmi): its
 * three nibble lookups by vpermb, which reads the index's low 6 bits, from
 * the 16-byte tables repeated four times (WSF_V_TABLE16), so no nibble
 * needs masking out of its byte: three operations fewer a 64-byte vector,
 * 64 KiB validated 7-17% faster on an Intel Xeon (docs/kernels.md). */
#undef WSF_FN
#undef WSF_TARGET
#undef WSF_V_LOOKUP16
#undef WSF_V_HI_NIBBLE
#undef WSF_V_LO_NIBBLE
#define WSF_FN(name) name##_avx512vbmi
#define WSF_TARGET WSF_TARGET_VBMI
#define WSF_V_LOOKUP16(t, idx) _mm512_permutexvar_epi8((idx), (t))
#define WSF_V_HI_NIBBLE(v) _mm512_srli_epi16((v), 4)
#define WSF_V_LO_NIBBLE(v) (v)
#include "wsf_utf8_body.h"
#include "wsf_simd_undef.h"

#endif /* WSF_ARCH_X86_64 */

#if defined(WSF_ARCH_ARM64)
#include "wsf_simd_neon.h"
#define WSF_FN(name) name##_neon
#define WSF_TARGET
#define WSF_DEC_NEXT(name) name##_scalar
#include "wsf_mask_body.h"
#include "wsf_utf8_body.h"
#include "wsf_decode_body.h"
#include "wsf_decode_lanes_body.h"
#include "wsf_decode_neon.h"
#undef WSF_DEC_NEXT
#include "wsf_simd_undef.h"
#endif /* WSF_ARCH_ARM64 */

#if defined(WSF_ARCH_X86_64)
static const wsf_kernel_table wsf_table_sse2 = {
    WSF_SSE2, wsf_mask_sse2, NULL,
    wsf_dec_ascii_sse2, wsf_dec_scan_sse2, NULL, NULL, NULL, NULL, NULL, NULL,
    wsf_mask_ascii_sse2};
/* A full row: masking of ISA `isa`, UTF-8 validation of `val` (`isa`, or
 * avx512vbmi), the transcoder's ASCII copy and scan of `scan`, its UCS-1/2/4
 * steps of `dec`, the one-pass UCS-2/4 stages of `one` (NULL: none). */
#define WSF_TABLE_ROW(level, isa, val, scan, dec, one2, one4)                 \
    {level, wsf_mask_##isa, wsf_utf8_blocks_##val,                            \
     wsf_dec_ascii_##scan, wsf_dec_scan_##scan,                               \
     wsf_dec_ucs1_##dec, wsf_dec_ucs2_##dec, wsf_dec_ucs4_##dec,              \
     wsf_utf8_scan_blocks_##val, one2, one4, wsf_mask_ascii_##isa}
static const wsf_kernel_table wsf_table_sse4 =
    WSF_TABLE_ROW(WSF_SSE4, sse4, sse4, sse2, sse4, wsf_dec_ucs2v_sse4, wsf_dec_ucs4v_sse4);
static const wsf_kernel_table wsf_table_avx2 =
    WSF_TABLE_ROW(WSF_AVX2, avx2, avx2, avx2, avx2, wsf_dec_ucs2v_avx2, wsf_dec_ucs4v_avx2);
/* (The one-pass stages are AVX2's: for text of 3- and 4-byte characters
 * they beat the scan+validate pass and vpcompress, 64 KiB CJK 6.1 us
 * against 10.7, emoji 5.0 against 10.1.) */
static const wsf_kernel_table wsf_table_avx512 =
    WSF_TABLE_ROW(WSF_AVX512, avx512, avx512vbmi, avx512, avx512, wsf_dec_ucs2v_avx2,
                  wsf_dec_ucs4v_avx2);
/* AVX-512 F+BW+VL without VBMI2 (Skylake-SP, Cascade Lake): the AVX2
 * transcoder, the validator's lookups by vpshufb. */
static const wsf_kernel_table wsf_table_avx512_novbmi2 =
    WSF_TABLE_ROW(WSF_AVX512, avx512, avx512, avx2, avx2, wsf_dec_ucs2v_avx2, wsf_dec_ucs4v_avx2);
#undef WSF_TABLE_ROW
#endif
#if defined(WSF_ARCH_ARM64)
/* UCS-4 goes to CPython's decoder on NEON until it is measured on hardware. */
static const wsf_kernel_table wsf_table_neon = {
    WSF_NEON, wsf_mask_neon, wsf_utf8_blocks_neon,
    wsf_dec_ascii_neon, wsf_dec_scan_neon, wsf_dec_ucs1_neon, wsf_dec_ucs2_neon, NULL,
    wsf_utf8_scan_blocks_neon, NULL, NULL, wsf_mask_ascii_neon};
#endif

/* The kernels of `level`; scalar for a level this build has none for.  (The
 * caller makes sure the CPU supports the level: wsf_cpu.h clamps it.) */
static inline const wsf_kernel_table *wsf_table_for(int level)
{
    switch (level) {
#if defined(WSF_ARCH_X86_64)
    case WSF_AVX512:
        return wsf_cpu_vbmi2 ? &wsf_table_avx512 : &wsf_table_avx512_novbmi2;
    case WSF_AVX2:
        return &wsf_table_avx2;
    case WSF_SSE4:
        return &wsf_table_sse4;
    case WSF_SSE2:
        return &wsf_table_sse2;
#endif
#if defined(WSF_ARCH_ARM64)
    case WSF_NEON:
        return &wsf_table_neon;
#endif
    default:
        return &wsf_table_scalar;
    }
}

/* What the owner module exports (wsf_capsule.h). */
static wsf_kernels_api wsf_api = {0, 0, 0, NULL};

/* Detect the CPU, apply WSFRAME_SIMD and point this module's table at the
 * active level.  Returns the level, or -1 when WSFRAME_SIMD names no level
 * (the default level is then in use). */
static inline int wsf_kernels_init(void)
{
    int r = wsf_cpu_init();
    wsf_kt = wsf_table_for(wsf_level);
    wsf_api.abi = WSF_KERNELS_ABI;
    wsf_api.level = wsf_level;
    wsf_api.cpu_best = wsf_cpu_best;
    wsf_api.kernels = wsf_kt;
    return r;
}

/* ---- Kernels of an explicit level, whatever the active one (tests). ---- */

static inline void wsf_mask_level(int level, uint8_t *dst, const uint8_t *src,
                                  size_t len, const uint8_t key[4], size_t phase)
{
    wsf_table_for(level)->mask(dst, src, len, key, phase & 3);
}

static inline ptrdiff_t wsf_utf8_stream_level(int level, wsf_utf8_state *st,
                                              const uint8_t *s, size_t len)
{
    return wsf_utf8_stream_with(wsf_table_for(level)->utf8_blocks, st, s, len);
}

static inline ptrdiff_t wsf_utf8_find_invalid_level(int level, const uint8_t *s,
                                                    size_t len)
{
    wsf_utf8_state st;
    wsf_utf8_init(&st);
    return wsf_utf8_one_shot(&st, wsf_utf8_stream_level(level, &st, s, len), len);
}

static inline ptrdiff_t wsf_unmask_utf8_stream_level(
    int level, wsf_utf8_state *st, uint8_t *dst, const uint8_t *src,
    size_t len, const uint8_t key[4], size_t phase)
{
    return wsf_unmask_utf8_with(wsf_table_for(level), st, dst, src, len, key,
                                phase);
}

static inline size_t wsf_decode_ascii_level(int level, const uint8_t *s, size_t n,
                                            uint8_t *out)
{
    return wsf_decode_ascii_with(wsf_table_for(level), s, n, out);
}

static inline unsigned wsf_decode_scan_level(int level, const uint8_t *s,
                                             size_t n, size_t *nchars)
{
    return wsf_decode_scan_with(wsf_table_for(level), s, n, nchars);
}

static inline void wsf_decode_ucs1_level(int level, const uint8_t *s, size_t n,
                                         uint8_t *out, size_t nout)
{
    wsf_decode_ucs1_with(wsf_table_for(level), s, n, out, nout);
}

static inline void wsf_decode_ucs2_level(int level, const uint8_t *s, size_t n,
                                         uint16_t *out, size_t nout)
{
    wsf_decode_ucs2_with(wsf_table_for(level), s, n, out, nout);
}

static inline void wsf_decode_ucs4_level(int level, const uint8_t *s, size_t n,
                                         uint32_t *out, size_t nout)
{
    wsf_decode_ucs4_with(wsf_table_for(level), s, n, out, nout);
}

#endif /* WSF_DISPATCH_H */
