/*
 * wsf_decode.h -- UTF-8 to str: validate, size, allocate once, transcode.
 *
 * Python-level entry (compiled only when Python.h was included first, as in
 * every Cython module; the kernels below need no Python):
 *
 *   PyObject *wsf_decode_str(const uint8_t *s, Py_ssize_t n, int validated,
 *                            Py_ssize_t *error_pos);
 *
 *   Call with the GIL held.  Returns a new reference to the str equal to
 *   bytes(s[0..n)).decode("utf-8"), allocated once at its final size and
 *   kind.  On failure returns NULL and either
 *     - *error_pos >= 0, no exception set: s is not well-formed UTF-8 and the
 *       first ill-formed sequence starts at *error_pos (exactly CPython's
 *       UnicodeDecodeError.start; a sequence cut short by the end of s counts
 *       as ill-formed at its lead byte).  wsf_decode_truncated(s, n, pos)
 *       tells whether that sequence is merely cut short by the end (for the
 *       error message); or
 *     - *error_pos == -1 with an exception set (MemoryError).
 *   validated=1 skips validation: the caller promises that s is well-formed
 *   (e.g. the frame decoder checked it while unmasking).  If it is not, the
 *   result is a str of unspecified content (or, at levels that delegate to
 *   CPython's decoder, the ill-formed-input failure), never a memory error:
 *   every
 *   kernel bounds its reads by n and its writes by the str's length, and
 *   UCS-4 code points are clamped to U+10FFFF.  The same holds when another
 *   thread mutates s during the call (a bytearray): garbage in, no crash.
 *   For n >= WSF_DECODE_NOGIL the GIL is released while scanning,
 *   validating and transcoding (the str is not yet shared then), so the
 *   caller must keep s pinned: an immutable bytes it holds a reference to,
 *   or memory of a Py_buffer it holds.
 *   Every module including this header must have run wsf_cpu_init() (the
 *   kernels follow wsf_level) and then wsf_decode_init() once at import
 *   (it looks for AVX-512 VBMI2; without it the AVX512 level runs the
 *   AVX2 kernels).
 *
 * Kernel layer (plain C, testable without Python):
 *
 *   unsigned wsf_decode_scan(s, n, &nchars)
 *       A value < 0x80 when s is ASCII, else the largest byte of s; nchars =
 *       n minus the continuation bytes (10xxxxxx).  For valid UTF-8 the
 *       largest byte fixes the str kind: < 80 ASCII, C2..C3 Latin-1 (UCS-1),
 *       C4..EF BMP (UCS-2), F0..F4 astral (UCS-4).
 *   void wsf_decode_ucs1/ucs2/ucs4(s, n, out, nout)
 *       Transcode valid UTF-8 s[0..n) holding nout code points into
 *       out[0..nout) (uint8_t / uint16_t / uint32_t).  Writes exactly
 *       out[0..nout) (zero-filling if s held fewer), reads only s[0..n).
 *
 * Steps of wsf_decode_str: (1) ASCII bet: an input shorter than 64 bytes
 * that is all ASCII (inline 8-byte-word test), or one whose first 64 bytes
 * are ASCII, is copied into a 1-byte str while being checked, in one pass,
 * as CPython's ASCII decoder does (a lost bet drops the partial copy: only
 * that ASCII prefix was read twice).  (2) Scan: largest byte and count of
 * continuation bytes (the kind and the length of the str).  (3) Validate
 * with wsf_utf8_find_invalid (wsf_utf8.h).  (4) PyUnicode_New(nchars,
 * maxchar), once.  (5) Transcode into its storage.
 *
 * Transcoding (one pass, no intermediate buffer).  Every byte position i of
 * a chunk computes the code point that a sequence *starting* at i would
 * have, from s[i..i+3] (the chunk loaded again at offsets 1..3), in 8-bit
 * (Latin-1) or 16-bit lanes; continuation positions are then dropped: with
 * vpcompressb/w (AVX-512 VBMI2), else with pshufb and a 256-entry table
 * indexed by 8 bits of the "starts a character" mask (wsf_dec_pos,
 * wsf_dec_pos16, defined by their rule at compile time).  UCS-4 keeps the
 * low 16 bits of each code point in 16-bit lanes and bits 16..20 (4-byte
 * leads only) in a second register compacted alike; interleaving the two
 * (or widening them) gives the 32-bit code points, at twice the density of
 * 32-bit lanes.  Chunks need not start on a character boundary: leading
 * continuation bytes belong to a character already written and are dropped
 * like any other.  An all-ASCII chunk is only widened.  This is the "compute
 * at every position, then compress" idea of simdutf's converters and of
 * vpcompress, written from the description, not from their code.
 *
 * Levels (wsf_level from wsf_cpu.h): SSE4 (16 bytes a step), AVX2 (16
 * positions per register, 32-byte ASCII runs) and AVX-512 (64 bytes a step,
 * with VBMI2's vpcompress; without VBMI2 the AVX2 kernels) have SIMD
 * transcoders; NEON for Latin-1 and UCS-2 (UCS-4 goes to CPython's decoder
 * until it is measured on hardware).  SSE2 and scalar have the SIMD or
 * word-wise ASCII bet only and otherwise call CPython's PyUnicode_DecodeUTF8
 * (faster than a scalar transcoder after a separate scan and validation,
 * measured 0.1-0.5x of it); their portable C transcoders stay as the tails
 * of the vector loops and for the C tests.  Each level's table row
 * (wsf_decode_table) names its kernels; wider kernels hand their tail to the
 * next narrower one, the scalar loop finishes.  Loads need 3 bytes of
 * look-ahead beyond the chunk, so a vector loop stops 19 (SSE4), 35 (AVX2)
 * or 67 (AVX-512) bytes before the end of s and 16, 32 or 64 code points
 * before the end of out, never touching a byte outside either.
 *
 * Code layout (issue 9 item 3: one algorithm, one body, over the per-ISA
 * layer wsf_simd_<isa>.h, as wsf_dispatch.h does for masking and UTF-8
 * validation).  Written once and included per ISA below:
 *   wsf_decode_body.h        the ASCII copy-and-check (SSE2, AVX2, AVX-512,
 *                            NEON) and the scan (largest byte, continuation
 *                            count), each handing its tail to the next
 *                            narrower one (WSF_DEC_NEXT);
 *   wsf_decode_lanes_body.h  the code point of every position in 16-bit
 *                            lanes (SSE4, AVX2, NEON).
 * Written once as macros here: the block loop of every SSE4/AVX2/NEON stage
 * (WSF_DEC_LOOP), the stage function around it (WSF_DEC_STAGE), the AVX-512
 * hand-off to AVX2 (WSF_DEC_HANDOFF), the scalar transcoders
 * (WSF_DEC_SCALAR), the ucsK entry points (WSF_DEC_UCS_API).
 * What stays per ISA, and why it is not shared:
 *   - the compaction and the stores (wsf_dec_step*, wsf_dec_half*): SSE4
 *     compacts each 8-position half with a pshufb row of wsf_dec_pos16;
 *     AVX2 widens all 16 positions into one register and compacts both
 *     128-bit lanes with one vpshufb (two rows, wsf_dec_idx16_avx2, then
 *     per-lane stores and a per-lane 32-bit interleave); AVX-512 VBMI2 has
 *     no tables at all (vpcompressb/w under a mask register, 64 bytes a
 *     step, 4-byte work skipped per 32-byte half); NEON has no movemask
 *     (wsf_dec_movemask_neon sums bit weights) and compacts 8-byte halves
 *     with the 64-bit vqtbl1.  These are different instruction sequences,
 *     not one sequence at different widths, so a shared body would only
 *     move each into a layer macro used once.
 *   - Latin-1 steps (wsf_dec_step1_sse4/_neon, the AVX-512 8-bit-lane loop):
 *     the same split (byte tables vs vpcompressb; NEON's movemask).
 *   - the all-ASCII block widenings (wsf_dec_ascii2/4_sse4, the AVX2 and
 *     NEON ones in their stage): one or two instructions per ISA.
 */
#ifndef WSF_DECODE_H
#define WSF_DECODE_H

#include "wsf_utf8.h"

#if defined(__GNUC__) || defined(__clang__)
#  define WSF_DEC_INLINE static inline __attribute__((always_inline))
#elif defined(_MSC_VER)
#  define WSF_DEC_INLINE static __forceinline
#else
#  define WSF_DEC_INLINE static inline
#endif

/* The level the kernels follow (one place to change if dispatch moves). */
#define WSF_DECODE_LEVEL() (wsf_level)

/* ---------------------------------------------------------------------- */
/* Compaction tables, defined by their rule at compile time: for an 8-bit
 * mask m (bit j set = position j starts a character), row m lists the kept
 * positions in order, then 0x80 (pshufb: "write zero"); wsf_dec_cnt[m] is
 * the number of kept positions. */
#define WSF_DB(m, j) ((((m)) >> (j)) & 1)
#define WSF_PC1(m) (WSF_DB(m, 0))
#define WSF_PC2(m) (WSF_PC1(m) + WSF_DB(m, 1))
#define WSF_PC3(m) (WSF_PC2(m) + WSF_DB(m, 2))
#define WSF_PC4(m) (WSF_PC3(m) + WSF_DB(m, 3))
#define WSF_PC5(m) (WSF_PC4(m) + WSF_DB(m, 4))
#define WSF_PC6(m) (WSF_PC5(m) + WSF_DB(m, 5))
#define WSF_PC7(m) (WSF_PC6(m) + WSF_DB(m, 6))
#define WSF_PC8(m) (WSF_PC7(m) + WSF_DB(m, 7))
/* Position j is the t-th kept one when its bit is set and t bits lie below. */
#define WSF_AT(m, t, j, below) ((WSF_DB(m, j) && (below) == (t)) ? (j) : 0)
#define WSF_POS(m, t) (                                                  \
    WSF_AT(m, t, 1, WSF_PC1(m)) + WSF_AT(m, t, 2, WSF_PC2(m))            \
    + WSF_AT(m, t, 3, WSF_PC3(m)) + WSF_AT(m, t, 4, WSF_PC4(m))          \
    + WSF_AT(m, t, 5, WSF_PC5(m)) + WSF_AT(m, t, 6, WSF_PC6(m))          \
    + WSF_AT(m, t, 7, WSF_PC7(m)))
#define WSF_E(m, t) ((uint8_t)(WSF_PC8(m) <= (t) ? 0x80 : WSF_POS(m, t)))
/* The same for 16-bit lanes: bytes 2p, 2p+1 of each kept position p. */
#define WSF_W(m, t, b) ((uint8_t)(WSF_PC8(m) <= (t) ? 0x80 : 2 * WSF_POS(m, t) + (b)))
#define WSF_W2(m, t) WSF_W(m, t, 0), WSF_W(m, t, 1)
#define WSF_ROW2(m) {WSF_W2(m, 0), WSF_W2(m, 1), WSF_W2(m, 2), WSF_W2(m, 3),  \
                     WSF_W2(m, 4), WSF_W2(m, 5), WSF_W2(m, 6), WSF_W2(m, 7)}
#define WSF_ROW2_4(m) WSF_ROW2(m), WSF_ROW2((m) + 1), WSF_ROW2((m) + 2), WSF_ROW2((m) + 3)
#define WSF_ROW2_16(m) WSF_ROW2_4(m), WSF_ROW2_4((m) + 4), WSF_ROW2_4((m) + 8), \
                       WSF_ROW2_4((m) + 12)
#define WSF_ROW2_64(m) WSF_ROW2_16(m), WSF_ROW2_16((m) + 16), WSF_ROW2_16((m) + 32), \
                       WSF_ROW2_16((m) + 48)
#define WSF_ROW(m) {WSF_E(m, 0), WSF_E(m, 1), WSF_E(m, 2), WSF_E(m, 3),  \
                    WSF_E(m, 4), WSF_E(m, 5), WSF_E(m, 6), WSF_E(m, 7)}
#define WSF_ROW4(m) WSF_ROW(m), WSF_ROW((m) + 1), WSF_ROW((m) + 2), WSF_ROW((m) + 3)
#define WSF_ROW16(m) WSF_ROW4(m), WSF_ROW4((m) + 4), WSF_ROW4((m) + 8), WSF_ROW4((m) + 12)
#define WSF_ROW64(m) WSF_ROW16(m), WSF_ROW16((m) + 16), WSF_ROW16((m) + 32), WSF_ROW16((m) + 48)
#define WSF_CNT4(m) WSF_PC8(m), WSF_PC8((m) + 1), WSF_PC8((m) + 2), WSF_PC8((m) + 3)
#define WSF_CNT16(m) WSF_CNT4(m), WSF_CNT4((m) + 4), WSF_CNT4((m) + 8), WSF_CNT4((m) + 12)
#define WSF_CNT64(m) WSF_CNT16(m), WSF_CNT16((m) + 16), WSF_CNT16((m) + 32), WSF_CNT16((m) + 48)

/* 16-byte aligned (the rows of wsf_dec_pos16 are loaded with movdqa). */
#if defined(_MSC_VER)
#  define WSF_DEC_ALIGN16_PRE __declspec(align(16))
#  define WSF_DEC_ALIGN16_POST
#elif defined(__GNUC__) || defined(__clang__)
#  define WSF_DEC_ALIGN16_PRE
#  define WSF_DEC_ALIGN16_POST __attribute__((aligned(16)))
#else
#  define WSF_DEC_ALIGN16_PRE
#  define WSF_DEC_ALIGN16_POST
#endif
WSF_DEC_ALIGN16_PRE static const uint8_t wsf_dec_pos[256][8] WSF_DEC_ALIGN16_POST
    = {WSF_ROW64(0), WSF_ROW64(64), WSF_ROW64(128), WSF_ROW64(192)};
WSF_DEC_ALIGN16_PRE static const uint8_t wsf_dec_pos16[256][16] WSF_DEC_ALIGN16_POST
    = {WSF_ROW2_64(0), WSF_ROW2_64(64), WSF_ROW2_64(128), WSF_ROW2_64(192)};
static const uint8_t wsf_dec_cnt[256] = {
    WSF_CNT64(0), WSF_CNT64(64), WSF_CNT64(128), WSF_CNT64(192)};

/* ---------------------------------------------------------------------- */
/* Scalar scan and transcoders (the fallback, and every tail). */

static unsigned wsf_dec_scan_scalar(const uint8_t *s, size_t n, size_t *ncont)
{
    size_t i = 0, c = 0;
    unsigned mx = 0, b;
    uint64_t w;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ULL) {
            size_t k;
            for (k = 0; k < 8; k++) {
                b = s[i + k];
                mx = b > mx ? b : mx;
                c += (b & 0xC0) == 0x80;
            }
        }
    }
    for (; i < n; i++) {
        b = s[i];
        mx = b > mx ? b : mx;
        c += (b & 0xC0) == 0x80;
    }
    *ncont = c;
    return mx;
}

/* Copy s to out while it is ASCII: returns n, or a length before the first
 * non-ASCII byte (the copy is then unfinished and to be discarded). */
static size_t wsf_dec_ascii_scalar(const uint8_t *s, size_t n, uint8_t *out)
{
    size_t i = 0;
    uint64_t w;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ULL) {
            return i;
        }
        memcpy(out + i, &w, 8);
    }
    for (; i < n; i++) {
        if (s[i] & 0x80) {
            return i;
        }
        out[i] = s[i];
    }
    return n;
}

/* Well-formed input decodes exactly; anything else (a caller's broken
 * promise, a buffer mutated by another thread) still makes progress on every
 * byte, reads nothing past s[n-1], writes exactly out[0..nout). */
#define WSF_DEC_SCALAR(NAME, T, CLAMP)                                        \
static void NAME(const uint8_t *s, size_t n, T *out, size_t nout)            \
{                                                                            \
    size_t i = 0, o = 0;                                                     \
    uint32_t c;                                                              \
    /* Continuations of a character the vector loop already wrote. */       \
    while (i < n && (s[i] & 0xC0) == 0x80) {                                 \
        i++;                                                                 \
    }                                                                        \
    while (i < n && o < nout) {                                              \
        c = s[i];                                                            \
        if (c < 0x80) {                                                      \
            out[o++] = (T)c;                                                 \
            i++;                                                             \
            continue;                                                        \
        }                                                                    \
        if (c >= 0xF0 && i + 3 < n) {                                        \
            c = ((c & 0x07) << 18) | ((uint32_t)(s[i + 1] & 0x3F) << 12)     \
                | ((uint32_t)(s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);    \
            i += 4;                                                          \
        } else if (c >= 0xE0 && i + 2 < n) {                                 \
            c = ((c & 0x0F) << 12) | ((uint32_t)(s[i + 1] & 0x3F) << 6)      \
                | (s[i + 2] & 0x3F);                                         \
            i += 3;                                                          \
        } else if (c >= 0xC0 && i + 1 < n) {                                 \
            c = ((c & 0x1F) << 6) | (s[i + 1] & 0x3F);                       \
            i += 2;                                                          \
        } else {                                                             \
            i++; /* not well-formed: one byte, one code point */            \
        }                                                                    \
        out[o++] = (T)CLAMP(c);                                              \
    }                                                                        \
    while (o < nout) {                                                       \
        out[o++] = 0; /* only when s held fewer code points than promised */\
    }                                                                        \
}

#define WSF_DEC_ID(c) (c)
#define WSF_DEC_MAX10FFFF(c) ((c) > 0x10FFFF ? 0x10FFFF : (c))
WSF_DEC_SCALAR(wsf_dec_scalar_ucs1, uint8_t, WSF_DEC_ID)
WSF_DEC_SCALAR(wsf_dec_scalar_ucs2, uint16_t, WSF_DEC_ID)
WSF_DEC_SCALAR(wsf_dec_scalar_ucs4, uint32_t, WSF_DEC_MAX10FFFF)

/* Vector stage of a level: transcodes a prefix, returns the input bytes
 * consumed and sets *po to the code points written; the scalar loop does
 * the rest.  A stage is its loops (WSF_DEC_LOOP, which advance i and o)
 * wrapped by WSF_DEC_STAGE; levels without one consume nothing. */
#define WSF_DEC_STAGE(ATTR, NAME, T, LOOPS)                                   \
ATTR static size_t NAME(const uint8_t *s, size_t n, T *out, size_t nout,      \
                        size_t *po)                                           \
{                                                                             \
    size_t i = 0, o = 0;                                                      \
    (void)s; (void)n; (void)out; (void)nout;                                  \
    LOOPS                                                                     \
    *po = o;                                                                  \
    return i;                                                                 \
}
WSF_DEC_STAGE(, wsf_dec_none1, uint8_t, )
WSF_DEC_STAGE(, wsf_dec_none2, uint16_t, )
WSF_DEC_STAGE(, wsf_dec_none4, uint32_t, )

/* W bytes per step while W + 3 bytes of input (the look-ahead of the
 * steps) and W code points of output remain: an all-ASCII block (IS_ASCII
 * of the block `a`, type V, loaded by LOAD) is stored by ASCII, widened to
 * the output's width, any other transcoded by STEPS (which advance o). */
#define WSF_DEC_LOOP(W, V, LOAD, IS_ASCII, ASCII, STEPS)                      \
    while (n - i >= (W) + 3 && nout - o >= (W)) {                             \
        V a = LOAD(s + i);                                                    \
        if (IS_ASCII(a)) {                                                    \
            ASCII;                                                            \
            o += (W);                                                         \
        } else {                                                              \
            STEPS;                                                            \
        }                                                                     \
        i += (W);                                                             \
    }
/* 16-byte blocks, one STEP each (SSE4 and NEON: WSF_DEC_V16, _LOAD16 and
 * _ASCII16 are defined per architecture below). */
#define WSF_DEC_LOOP16(STEP, ASCII)                                           \
    WSF_DEC_LOOP(16, WSF_DEC_V16, WSF_DEC_LOAD16, WSF_DEC_ASCII16, ASCII,     \
                 STEP(s + i, a, out, &o))

#if defined(WSF_ARCH_X86_64)

/* ---- The ASCII copy and the scan, one body (wsf_decode_body.h) per
 * width: SSE2 (baseline), AVX2, AVX-512 (with the VBMI2 target: it is only
 * used in the VBMI2 row, and its count wants POPCNT); each hands its tail to
 * the next narrower one. ---- */
#if defined(__GNUC__) || defined(__clang__)
#  define WSF_TARGET_VBMI2 \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi2,avx2,popcnt")))
#  define WSF_DEC_POPCNT64(x) ((size_t)__builtin_popcountll(x))
#else
#  define WSF_TARGET_VBMI2
#  define WSF_DEC_POPCNT64(x) ((size_t)__popcnt64(x))
#endif
#define WSF_DEC_HAVE_VBMI2 1

#include "wsf_simd_sse.h"
#define WSF_FN(name) name##_sse2
#define WSF_TARGET
#define WSF_DEC_NEXT(name) name##_scalar
#include "wsf_decode_body.h"
#undef WSF_DEC_NEXT
#include "wsf_simd_undef.h"

#include "wsf_simd_avx2.h"
#define WSF_FN(name) name##_avx2
#define WSF_TARGET WSF_TARGET_AVX2
#define WSF_DEC_NEXT(name) name##_sse2
#include "wsf_decode_body.h"
#include "wsf_decode_lanes_body.h"
#undef WSF_DEC_NEXT
#include "wsf_simd_undef.h"

#include "wsf_simd_avx512.h"
#define WSF_FN(name) name##_avx512
#define WSF_TARGET WSF_TARGET_VBMI2
#define WSF_DEC_NEXT(name) name##_avx2
#include "wsf_decode_body.h"
#undef WSF_DEC_NEXT
#include "wsf_simd_undef.h"

/* The 16-bit-lane code point arithmetic (wsf_decode_lanes_body.h), for the
 * SSE4 steps (the AVX2 one is above). */
#include "wsf_simd_sse.h"
#define WSF_FN(name) name##_sse4
#define WSF_TARGET WSF_TARGET_SSE4
#include "wsf_decode_lanes_body.h"
#include "wsf_simd_undef.h"

/* ---- SSE4.1 steps: one 16-byte chunk at s (s[0..19) readable), at most
 * 16 code points written from out + *po. ---- */

/* Positions that start a character: not 10xxxxxx. */
WSF_TARGET_SSE4 WSF_DEC_INLINE unsigned wsf_dec_keep_sse4(__m128i a)
{
    return ~(unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(a, _mm_set1_epi8(-64)))
           & 0xFFFF;
}

/* Latin-1 output: leads are C2/C3 only, so a 2-byte sequence's code point
 * is (lead << 6 | cont & 3F) in 8 bits. */
WSF_TARGET_SSE4 WSF_DEC_INLINE void wsf_dec_step1_sse4(const uint8_t *s,
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
WSF_TARGET_SSE4 WSF_DEC_INLINE void wsf_dec_half2_sse4(__m128i b0, __m128i c1,
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

WSF_TARGET_SSE4 WSF_DEC_INLINE void wsf_dec_step2_sse4(const uint8_t *s,
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
WSF_TARGET_SSE4 WSF_DEC_INLINE void wsf_dec_half4_sse4(__m128i b0, __m128i c1,
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

WSF_TARGET_SSE4 WSF_DEC_INLINE void wsf_dec_step4_sse4(const uint8_t *s,
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
WSF_TARGET_SSE4 WSF_DEC_INLINE void wsf_dec_ascii2_sse4(__m128i a, uint16_t *out)
{
    _mm_storeu_si128((__m128i *)out, _mm_cvtepu8_epi16(a));
    _mm_storeu_si128((__m128i *)(out + 8), _mm_cvtepu8_epi16(_mm_srli_si128(a, 8)));
}

WSF_TARGET_SSE4 WSF_DEC_INLINE void wsf_dec_ascii4_sse4(__m128i a, uint32_t *out)
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

/* ---- AVX2: 32-byte ASCII runs widened in one step, other 32-byte blocks
 * as two SSE4 steps (VEX-encoded here). ---- */

/* pshufb control for 16-bit lanes (wsf_dec_pos16): lane 0 compacts the 8
 * positions of mask lo, lane 1 those of mask hi. */
WSF_TARGET_AVX2 WSF_DEC_INLINE __m256i wsf_dec_idx16_avx2(unsigned lo, unsigned hi)
{
    return _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_load_si128((const __m128i *)wsf_dec_pos16[lo])),
        _mm_load_si128((const __m128i *)wsf_dec_pos16[hi]), 1);
}

/* The 16 bytes at p in 16-bit lanes, masked to their 6 payload bits. */
WSF_TARGET_AVX2 WSF_DEC_INLINE __m256i wsf_dec_cont16_avx2(const uint8_t *p)
{
    return _mm256_and_si256(_mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)p)),
                            _mm256_set1_epi16(0x3F));
}

/* UCS-2 output, 16 positions in the 16 16-bit lanes of one register. */
WSF_TARGET_AVX2 WSF_DEC_INLINE void wsf_dec_step2_avx2(const uint8_t *s, __m128i a,
                                                        uint16_t *out, size_t *po)
{
    __m256i v = wsf_dec_bmp16_avx2(_mm256_cvtepu8_epi16(a), wsf_dec_cont16_avx2(s + 1),
                                   wsf_dec_cont16_avx2(s + 2));
    unsigned keep = wsf_dec_keep_sse4(a), lo = keep & 0xFF, hi = keep >> 8;
    size_t o = *po;
    v = _mm256_shuffle_epi8(v, wsf_dec_idx16_avx2(lo, hi));
    _mm_storeu_si128((__m128i *)(out + o), _mm256_castsi256_si128(v));
    o += wsf_dec_cnt[lo];
    _mm_storeu_si128((__m128i *)(out + o), _mm256_extracti128_si256(v, 1));
    *po = o + wsf_dec_cnt[hi];
}

/* UCS-4 output, 16 positions: the low 16 bits of each code point in 16-bit
 * lanes, bits 16..20 (4-byte leads only) apart, compacted alike, widened. */
WSF_TARGET_AVX2 WSF_DEC_INLINE void wsf_dec_step4_avx2(const uint8_t *s, __m128i a,
                                                        uint32_t *out, size_t *po)
{
    __m256i h;
    __m256i v = wsf_dec_cp16_avx2(_mm256_cvtepu8_epi16(a), wsf_dec_cont16_avx2(s + 1),
                                  wsf_dec_cont16_avx2(s + 2), wsf_dec_cont16_avx2(s + 3),
                                  &h);
    unsigned keep = wsf_dec_keep_sse4(a), lo = keep & 0xFF, hi = keep >> 8;
    __m256i idx = wsf_dec_idx16_avx2(lo, hi);
    size_t o = *po;
    v = _mm256_shuffle_epi8(v, idx);
    h = _mm256_shuffle_epi8(h, idx);
    /* Interleaving the low and high halves makes the 32-bit code points:
     * per 128-bit lane, unpacklo = its first 4, unpackhi = its next 4. */
    {
        __m256i c03 = _mm256_unpacklo_epi16(v, h), c47 = _mm256_unpackhi_epi16(v, h);
        _mm_storeu_si128((__m128i *)(out + o), _mm256_castsi256_si128(c03));
        _mm_storeu_si128((__m128i *)(out + o + 4), _mm256_castsi256_si128(c47));
        o += wsf_dec_cnt[lo];
        _mm_storeu_si128((__m128i *)(out + o), _mm256_extracti128_si256(c03, 1));
        _mm_storeu_si128((__m128i *)(out + o + 4), _mm256_extracti128_si256(c47, 1));
    }
    *po = o + wsf_dec_cnt[hi];
}

/* 32-byte blocks: an all-ASCII one widened at once, any other as two
 * 16-byte STEPs, then 16-byte blocks. */
#define WSF_DEC_LOAD32(p) _mm256_loadu_si256((const __m256i *)(const void *)(p))
#define WSF_DEC_ASCII32(a) (_mm256_movemask_epi8(a) == 0)
#define WSF_DEC_LOOP32(STEP, ASCII32)                                         \
    WSF_DEC_LOOP(32, __m256i, WSF_DEC_LOAD32, WSF_DEC_ASCII32, ASCII32,       \
                 STEP(s + i, _mm256_castsi256_si128(a), out, &o);             \
                 STEP(s + i + 16, _mm256_extracti128_si256(a, 1), out, &o))

WSF_DEC_STAGE(WSF_TARGET_AVX2, wsf_dec_ucs1_avx2, uint8_t,
    WSF_DEC_LOOP32(wsf_dec_step1_sse4, _mm256_storeu_si256((__m256i *)(out + o), a))
    WSF_DEC_LOOP16(wsf_dec_step1_sse4, _mm_storeu_si128((__m128i *)(out + o), a)))
WSF_DEC_STAGE(WSF_TARGET_AVX2, wsf_dec_ucs2_avx2, uint16_t,
    WSF_DEC_LOOP32(wsf_dec_step2_avx2,
                   _mm256_storeu_si256((__m256i *)(out + o),
                                       _mm256_cvtepu8_epi16(_mm256_castsi256_si128(a)));
                   _mm256_storeu_si256((__m256i *)(out + o + 16),
                                       _mm256_cvtepu8_epi16(_mm256_extracti128_si256(a, 1))))
    WSF_DEC_LOOP16(wsf_dec_step2_avx2, wsf_dec_ascii2_sse4(a, out + o)))
WSF_DEC_STAGE(WSF_TARGET_AVX2, wsf_dec_ucs4_avx2, uint32_t,
    WSF_DEC_LOOP32(wsf_dec_step4_avx2,
                   __m128i lo_ = _mm256_castsi256_si128(a);
                   __m128i hi_ = _mm256_extracti128_si256(a, 1);
                   _mm256_storeu_si256((__m256i *)(out + o), _mm256_cvtepu8_epi32(lo_));
                   _mm256_storeu_si256((__m256i *)(out + o + 8),
                                       _mm256_cvtepu8_epi32(_mm_srli_si128(lo_, 8)));
                   _mm256_storeu_si256((__m256i *)(out + o + 16), _mm256_cvtepu8_epi32(hi_));
                   _mm256_storeu_si256((__m256i *)(out + o + 24),
                                       _mm256_cvtepu8_epi32(_mm_srli_si128(hi_, 8))))
    WSF_DEC_LOOP16(wsf_dec_step4_avx2, wsf_dec_ascii4_sse4(a, out + o)))

/* ---- AVX-512 VBMI2 (Ice Lake, Zen 4 and later): 64 bytes per step, the
 * compaction done by vpcompressb/w/d.  Used at the AVX512 level only when
 * wsf_decode_init() found VBMI2 (wsf_cpu.h's AVX512 level needs F+BW+VL
 * only); otherwise that level runs the AVX2 kernels. ---- */

/* The end of a stage: the next narrower one takes what is left after s + i
 * and out + o, and the stage returns the sum. */
#define WSF_DEC_HANDOFF(NEXT) do {                                            \
    size_t o2_, i2_ = i + NEXT(s + i, n - i, out + o, nout - o, &o2_);        \
    *po = o + o2_;                                                            \
    return i2_;                                                               \
} while (0)

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
WSF_TARGET_VBMI2 WSF_DEC_INLINE void wsf_dec_half4_avx512(const uint8_t *p, int has4,
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

WSF_TARGET_VBMI2
static size_t wsf_dec_ucs4_avx512(const uint8_t *s, size_t n, uint32_t *out,
                                  size_t nout, size_t *po)
{
    const __m512i f0 = _mm512_set1_epi8((char)0xF0);
    size_t i = 0, o = 0, q;
    while (n - i >= 67 && nout - o >= 64) {
        __m512i a = _mm512_loadu_si512((const void *)(s + i));
        __mmask64 high = _mm512_movepi8_mask(a);
        __mmask64 lead4 = _mm512_cmpge_epu8_mask(a, f0);
        for (q = 0; q < 64; q += 32) {
            if (((high >> q) & 0xFFFFFFFFu) == 0) { /* 32 ASCII bytes: widen */
                _mm512_storeu_si512((void *)(out + o), _mm512_cvtepu8_epi32(
                    _mm_loadu_si128((const __m128i *)(s + i + q))));
                _mm512_storeu_si512((void *)(out + o + 16), _mm512_cvtepu8_epi32(
                    _mm_loadu_si128((const __m128i *)(s + i + q + 16))));
                o += 32;
            } else {
                wsf_dec_half4_avx512(s + i + q, ((lead4 >> q) & 0xFFFFFFFFu) != 0,
                                     out, &o);
            }
        }
        i += 64;
    }
    WSF_DEC_HANDOFF(wsf_dec_ucs4_avx2);
}

#endif /* WSF_ARCH_X86_64 */

#if defined(WSF_ARCH_ARM64)
/* ---- NEON (arm64): the SSE4 steps with vqtbl1q as the shuffle (an index
 * >= 16 gives 0, like pshufb's 0x80), and a bit-weight sum for movemask.
 * Checked under qemu (tests/c/run_decode.sh arm64); speed not measured on
 * hardware yet, so UCS-4 (where the SSE4 analogue only ties CPython)
 * still goes to CPython's decoder. ---- */
static const uint8_t wsf_neon_bitw[16] = {1, 2, 4, 8, 16, 32, 64, 128,
                                          1, 2, 4, 8, 16, 32, 64, 128};

/* 16-bit mask of the byte lanes of m (0xFF or 0x00 each). */
static inline unsigned wsf_dec_movemask_neon(uint8x16_t m)
{
    uint8x16_t b = vandq_u8(m, vld1q_u8(wsf_neon_bitw));
    return (unsigned)vaddv_u8(vget_low_u8(b)) | ((unsigned)vaddv_u8(vget_high_u8(b)) << 8);
}

#include "wsf_simd_neon.h"
#define WSF_FN(name) name##_neon
#define WSF_TARGET
#define WSF_DEC_NEXT(name) name##_scalar
#include "wsf_decode_body.h"
#include "wsf_decode_lanes_body.h"
#undef WSF_DEC_NEXT
#include "wsf_simd_undef.h"

static inline unsigned wsf_dec_keep_neon(uint8x16_t a)
{
    /* not 10xxxxxx */
    return ~wsf_dec_movemask_neon(vcltq_s8(vreinterpretq_s8_u8(a), vdupq_n_s8(-64))) & 0xFFFF;
}

static inline void wsf_dec_step1_neon(const uint8_t *s, uint8x16_t a, uint8_t *out,
                                      size_t *po)
{
    uint8x16_t a1 = vld1q_u8(s + 1);
    uint8x16_t v2 = vorrq_u8(vshlq_n_u8(a, 6), vandq_u8(a1, vdupq_n_u8(0x3F)));
    uint8x16_t v = vbslq_u8(vcgeq_u8(a, vdupq_n_u8(0x80)), v2, a);
    unsigned keep = wsf_dec_keep_neon(a), lo = keep & 0xFF, hi = keep >> 8;
    size_t o = *po;
    vst1_u8(out + o, vqtbl1_u8(v, vld1_u8(wsf_dec_pos[lo])));
    o += wsf_dec_cnt[lo];
    vst1_u8(out + o, vqtbl1_u8(v, vadd_u8(vld1_u8(wsf_dec_pos[hi]), vdup_n_u8(8))));
    *po = o + wsf_dec_cnt[hi];
}

/* 8 bytes widened to 16-bit lanes, in the layer's byte-vector type. */
#define WSF_DEC_W16_NEON(x) vreinterpretq_u8_u16(vmovl_u8(x))

static inline void wsf_dec_step2_neon(const uint8_t *s, uint8x16_t a, uint16_t *out,
                                      size_t *po)
{
    const uint8x16_t m3f = vdupq_n_u8(0x3F);
    uint8x16_t c1 = vandq_u8(vld1q_u8(s + 1), m3f);
    uint8x16_t c2 = vandq_u8(vld1q_u8(s + 2), m3f);
    unsigned keep = wsf_dec_keep_neon(a), lo = keep & 0xFF, hi = keep >> 8;
    uint8x16_t vl = wsf_dec_bmp16_neon(WSF_DEC_W16_NEON(vget_low_u8(a)),
                                       WSF_DEC_W16_NEON(vget_low_u8(c1)),
                                       WSF_DEC_W16_NEON(vget_low_u8(c2)));
    uint8x16_t vh = wsf_dec_bmp16_neon(WSF_DEC_W16_NEON(vget_high_u8(a)),
                                       WSF_DEC_W16_NEON(vget_high_u8(c1)),
                                       WSF_DEC_W16_NEON(vget_high_u8(c2)));
    size_t o = *po;
    vst1q_u8((uint8_t *)(out + o), vqtbl1q_u8(vl, vld1q_u8(wsf_dec_pos16[lo])));
    o += wsf_dec_cnt[lo];
    vst1q_u8((uint8_t *)(out + o), vqtbl1q_u8(vh, vld1q_u8(wsf_dec_pos16[hi])));
    *po = o + wsf_dec_cnt[hi];
}

#define WSF_DEC_V16 uint8x16_t
#define WSF_DEC_LOAD16(p) vld1q_u8((const uint8_t *)(p))
#define WSF_DEC_ASCII16(a) (vmaxvq_u8(a) < 0x80)
WSF_DEC_STAGE(, wsf_dec_ucs1_neon, uint8_t,
    WSF_DEC_LOOP16(wsf_dec_step1_neon, vst1q_u8(out + o, a)))
WSF_DEC_STAGE(, wsf_dec_ucs2_neon, uint16_t,
    WSF_DEC_LOOP16(wsf_dec_step2_neon,
                   vst1q_u16(out + o, vmovl_u8(vget_low_u8(a)));
                   vst1q_u16(out + o + 8, vmovl_u8(vget_high_u8(a)))))
#endif /* WSF_ARCH_ARM64 */

/* ---------------------------------------------------------------------- */
/* Per-level kernel table. */
typedef struct {
    size_t (*ascii)(const uint8_t *s, size_t n, uint8_t *out);
    unsigned (*scan)(const uint8_t *s, size_t n, size_t *ncont);
    size_t (*ucs1)(const uint8_t *s, size_t n, uint8_t *out, size_t nout, size_t *po);
    size_t (*ucs2)(const uint8_t *s, size_t n, uint16_t *out, size_t nout, size_t *po);
    size_t (*ucs4)(const uint8_t *s, size_t n, uint32_t *out, size_t nout, size_t *po);
} wsf_decode_kernels;

#define WSF_DEC_SCALAR_ROW \
    {wsf_dec_ascii_scalar, wsf_dec_scan_scalar, wsf_dec_none1, wsf_dec_none2, \
     wsf_dec_none4}

/* Set by wsf_decode_init(): the CPU has AVX-512 VBMI2 (vpcompressb/w). */
static int wsf_decode_vbmi2 = 0;

/* Call once per module at import, after wsf_cpu_init() (like it, it only
 * stores a plain int, the same value every time).  Without it the AVX512
 * level runs the AVX2 kernels. */
static inline void wsf_decode_init(void)
{
#if defined(WSF_ARCH_X86_64) && defined(WSF_DEC_HAVE_VBMI2)
    unsigned r[4];
    wsf_cpuid(7, 0, r);
    wsf_decode_vbmi2 = (int)((r[2] >> 6) & 1);
#endif
}

static const wsf_decode_kernels wsf_decode_table[WSF_NEON + 2] = {
    WSF_DEC_SCALAR_ROW, /* WSF_SCALAR */
#if defined(WSF_ARCH_X86_64)
    {wsf_dec_ascii_sse2, wsf_dec_scan_sse2,
     wsf_dec_none1, wsf_dec_none2, wsf_dec_none4},
    {wsf_dec_ascii_sse2, wsf_dec_scan_sse2,
     wsf_dec_ucs1_sse4, wsf_dec_ucs2_sse4, wsf_dec_ucs4_sse4},
    {wsf_dec_ascii_avx2, wsf_dec_scan_avx2,
     wsf_dec_ucs1_avx2, wsf_dec_ucs2_avx2, wsf_dec_ucs4_avx2},
    /* AVX-512 without VBMI2: the AVX2 kernels (with it: the last row) */
    {wsf_dec_ascii_avx2, wsf_dec_scan_avx2,
     wsf_dec_ucs1_avx2, wsf_dec_ucs2_avx2, wsf_dec_ucs4_avx2},
#else
    WSF_DEC_SCALAR_ROW, WSF_DEC_SCALAR_ROW, WSF_DEC_SCALAR_ROW, WSF_DEC_SCALAR_ROW,
#endif
#if defined(WSF_ARCH_ARM64)
    /* WSF_NEON: UCS-4 goes to CPython's decoder (see the NEON section) */
    {wsf_dec_ascii_neon, wsf_dec_scan_neon,
     wsf_dec_ucs1_neon, wsf_dec_ucs2_neon, wsf_dec_none4},
#else
    WSF_DEC_SCALAR_ROW, /* WSF_NEON */
#endif
#if defined(WSF_ARCH_X86_64) && defined(WSF_DEC_HAVE_VBMI2)
    /* WSF_NEON + 1: AVX512 with VBMI2 */
    {wsf_dec_ascii_avx512, wsf_dec_scan_avx512,
     wsf_dec_ucs1_avx512, wsf_dec_ucs2_avx512, wsf_dec_ucs4_avx512},
#else
    WSF_DEC_SCALAR_ROW,
#endif
};

static inline const wsf_decode_kernels *wsf_decode_kernels_for(int level)
{
    if (level < 0 || level > WSF_NEON) {
        level = WSF_SCALAR;
    }
    if (level == WSF_AVX512 && wsf_decode_vbmi2) {
        return &wsf_decode_table[WSF_NEON + 1];
    }
    return &wsf_decode_table[level];
}

/* Copy while ASCII: n when s is all ASCII (out then holds it), else some
 * length before the first non-ASCII byte (out is then partly written). */
static inline size_t wsf_decode_ascii_level(int level, const uint8_t *s, size_t n,
                                            uint8_t *out)
{
    return wsf_decode_kernels_for(level)->ascii(s, n, out);
}

static inline unsigned wsf_decode_scan_level(int level, const uint8_t *s,
                                             size_t n, size_t *nchars)
{
    size_t ncont = 0;
    unsigned m = wsf_decode_kernels_for(level)->scan(s, n, &ncont);
    *nchars = n - ncont;
    return m;
}

static inline unsigned wsf_decode_scan(const uint8_t *s, size_t n, size_t *nchars)
{
    return wsf_decode_scan_level(WSF_DECODE_LEVEL(), s, n, nchars);
}

/* wsf_decode_ucsK_level (the level's vector stage, then the scalar loop)
 * and wsf_decode_ucsK (at the active level), for K = 1, 2, 4. */
#define WSF_DEC_UCS_API(K, T)                                                 \
static inline void wsf_decode_ucs##K##_level(int level, const uint8_t *s,     \
                                             size_t n, T *out, size_t nout)   \
{                                                                             \
    size_t o = 0;                                                             \
    size_t i = wsf_decode_kernels_for(level)->ucs##K(s, n, out, nout, &o);    \
    wsf_dec_scalar_ucs##K(s + i, n - i, out + o, nout - o);                   \
}                                                                             \
static inline void wsf_decode_ucs##K(const uint8_t *s, size_t n, T *out,      \
                                     size_t nout)                             \
{                                                                             \
    wsf_decode_ucs##K##_level(WSF_DECODE_LEVEL(), s, n, out, nout);           \
}
WSF_DEC_UCS_API(1, uint8_t)
WSF_DEC_UCS_API(2, uint16_t)
WSF_DEC_UCS_API(4, uint32_t)

/* Is the ill-formed sequence at s[pos] only cut short by the end of s (a
 * valid prefix of a character), rather than wrong in itself? */
static inline int wsf_decode_truncated(const uint8_t *s, size_t n, size_t pos)
{
    wsf_utf8_state st;
    if (pos >= n) {
        return 0;
    }
    wsf_utf8_init(&st);
    return wsf_utf8_stream(&st, s + pos, n - pos) < 0 && wsf_utf8_pending(&st) > 0;
}

/* ---------------------------------------------------------------------- */
#if defined(Py_PYTHON_H)

/* As WSF_NOGIL_THRESHOLD in kernels.pxd: releasing and re-acquiring the GIL
 * costs ~110 ns, under ~5% of the work from 64 KiB on. */
#define WSF_DECODE_NOGIL 65536

/* CPython's decoder, for what a level has no vector transcoder for.  An
 * ill-formed input (also one a caller promised was validated) gives
 * *error_pos from the validator, the same offset as the exception's start. */
static PyObject *wsf_decode_cpython(const uint8_t *s, Py_ssize_t n,
                                    Py_ssize_t *error_pos)
{
    ptrdiff_t bad;
    PyObject *u = PyUnicode_DecodeUTF8((const char *)s, n, NULL);
    if (u == NULL && PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
        bad = wsf_utf8_find_invalid(s, (size_t)n);
        if (bad >= 0) {
            PyErr_Clear();
            *error_pos = (Py_ssize_t)bad;
        }
    }
    return u;
}

static PyObject *wsf_decode_str(const uint8_t *s, Py_ssize_t n, int validated,
                                Py_ssize_t *error_pos)
{
    const int level = WSF_DECODE_LEVEL();
    const int nogil = n >= WSF_DECODE_NOGIL;
    PyThreadState *ts = NULL;
    ptrdiff_t bad = -1;
    size_t nchars = 0;
    unsigned top;
    Py_UCS4 maxchar;
    PyObject *u;
    void *data;
    uint8_t ascii_probe[64];

    *error_pos = -1;
    if (n <= 0) {
        return PyUnicode_New(0, 0);
    }
    if (n < 64) {
        /* Short: an inline ASCII test with 8-byte words (the last one
         * overlapping), then a word copy; no calls but the allocation. */
        uint64_t w, acc = 0;
        size_t k, m = (size_t)n;
        if (m >= 8) {
            for (k = 0; k + 8 <= m; k += 8) {
                memcpy(&w, s + k, 8);
                acc |= w;
            }
            memcpy(&w, s + m - 8, 8);
            acc |= w;
        } else {
            for (k = 0; k < m; k++) {
                acc |= s[k];
            }
        }
        if ((acc & 0x8080808080808080ULL) == 0) {
            uint8_t *d;
            u = PyUnicode_New(n, 0x7F);
            if (u == NULL) {
                return NULL;
            }
            d = (uint8_t *)PyUnicode_DATA(u);
            if (m >= 8) {
                for (k = 0; k + 8 <= m; k += 8) {
                    memcpy(d + k, s + k, 8);
                }
                memcpy(d + m - 8, s + m - 8, 8);
            } else {
                for (k = 0; k < m; k++) {
                    d[k] = s[k];
                }
            }
            return u;
        }
    } else if (wsf_dec_ascii_scalar(s, 64, ascii_probe) == 64) {
        /* Starts with 64 ASCII bytes: bet on ASCII and copy while checking
         * (one pass, as CPython's ASCII decoder); on losing the bet the
         * partial copy is dropped and only that prefix was read twice. */
        size_t done;
        u = PyUnicode_New(n, 0x7F);
        if (u == NULL) {
            return NULL;
        }
        if (nogil) {
            ts = PyEval_SaveThread();
        }
        done = wsf_decode_ascii_level(level, s, (size_t)n, (uint8_t *)PyUnicode_DATA(u));
        if (nogil) {
            PyEval_RestoreThread(ts);
        }
        if (done == (size_t)n) {
            return u;
        }
        Py_DECREF(u);
    }
    if (wsf_decode_kernels_for(level)->ucs2 == wsf_dec_none2) {
        /* No vector transcoder at this level (scalar, SSE2):
         * CPython's own decoder is the faster scalar one, so delegate. */
        return wsf_decode_cpython(s, n, error_pos);
    }
    if (nogil) {
        ts = PyEval_SaveThread();
    }
    if (n < 16) { /* no vector block: skip the indirect call */
        size_t ncont;
        top = wsf_dec_scan_scalar(s, (size_t)n, &ncont);
        nchars = (size_t)n - ncont;
    } else {
        top = wsf_decode_scan_level(level, s, (size_t)n, &nchars);
    }
    if (top >= 0x80 && !validated) {
        bad = wsf_utf8_find_invalid(s, (size_t)n);
    }
    if (nogil) {
        PyEval_RestoreThread(ts);
    }
    if (bad >= 0) {
        *error_pos = (Py_ssize_t)bad;
        return NULL;
    }
    if (top < 0x80) {
        maxchar = 0x7F;
        nchars = (size_t)n;
    } else if (top < 0xC4) {
        maxchar = 0xFF;
    } else if (top < 0xF0) {
        maxchar = 0xFFFF;
    } else {
        maxchar = 0x10FFFF;
    }
    if (maxchar == 0x10FFFF && wsf_decode_kernels_for(level)->ucs4 == wsf_dec_none4) {
        /* No UCS-4 transcoder at this level (NEON for now): CPython's. */
        return wsf_decode_cpython(s, n, error_pos);
    }
    u = PyUnicode_New((Py_ssize_t)nchars, maxchar);
    if (u == NULL) {
        return NULL;
    }
    data = PyUnicode_DATA(u);
    if (nogil) {
        ts = PyEval_SaveThread();
    }
    if (maxchar == 0x7F) {
        memcpy(data, s, (size_t)n);
    } else if (maxchar == 0xFF) {
        wsf_decode_ucs1_level(level, s, (size_t)n, (uint8_t *)data, nchars);
    } else if (maxchar == 0xFFFF) {
        wsf_decode_ucs2_level(level, s, (size_t)n, (uint16_t *)data, nchars);
    } else {
        wsf_decode_ucs4_level(level, s, (size_t)n, (uint32_t *)data, nchars);
    }
    if (nogil) {
        PyEval_RestoreThread(ts);
    }
    return u;
}

#endif /* Py_PYTHON_H */

#endif /* WSF_DECODE_H */
