/*
 * wsf_decode.h -- UTF-8 to UCS-1/2/4: the transcoder's entry points and its
 * scalar code (plain C, no Python).  The CPython str built with it is in
 * wsf_str.h; the vector kernels are compiled once, by wsf_dispatch.h, into
 * the kernel table (wsf_kernels.h) that every module shares.
 *
 *   unsigned wsf_decode_scan(s, n, &nchars)
 *       A value < 0x80 when s is ASCII, else the largest byte of s; nchars =
 *       n minus the continuation bytes (10xxxxxx).  For valid UTF-8 the
 *       largest byte fixes the str kind: < 80 ASCII, C2..C3 Latin-1 (UCS-1),
 *       C4..EF BMP (UCS-2), F0..F4 astral (UCS-4).
 *   size_t wsf_decode_ascii(s, n, out)
 *       Copy s to out while it is ASCII: n when all of s is, else a length
 *       before the first non-ASCII byte (out is then partly written).
 *   void wsf_decode_ucs1/ucs2/ucs4(s, n, out, nout)
 *       Transcode valid UTF-8 s[0..n) holding nout code points into
 *       out[0..nout) (uint8_t / uint16_t / uint32_t).  Writes exactly
 *       out[0..nout) (zero-filling if s held fewer), reads only s[0..n).
 *       Ill-formed input (a caller's broken promise, a buffer another thread
 *       mutates) gives unspecified code points, never a memory error; UCS-4
 *       code points are clamped to U+10FFFF.
 *   int wsf_decode_ucs2v_with / wsf_decode_ucs4v_with(k, s, n, out, nout)
 *       The one-pass form (wsf_str.h, validated=0, text with 3- and 4-byte
 *       characters): transcode as wsf_decode_ucs2/4 and validate in the same
 *       pass; 0 when s is well-formed (see WSF_DEC_VLOOP16 in
 *       wsf_decode_onepass.h).
 *   ptrdiff_t wsf_decode_scan_stream_with(k, st, s, n, &top, &nchars)
 *       Streaming validation (wsf_utf8_stream's contract) and the scan in
 *       one pass over s, with the level's fused kernel (utf8_scan_blocks,
 *       wsf_utf8_body.h): what wsf_decode_str and the text path run.
 *   int wsf_decode_truncated(s, n, pos)
 *       Is the ill-formed sequence at s[pos] only cut short by the end of s?
 *
 * Each runs the active level's kernels (wsf_kt); the _with(k, ...) forms
 * take a table (the C tests reach every level through wsf_dispatch.h's
 * wsf_decode_*_level).  A NULL kernel in the table means "none at this
 * level": the scalar code here does the whole job.
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
 * vpcompress, written from the description, not from their code.  At SSE4
 * and AVX2 a 16-byte chunk that is a uniform run (every character start a
 * lead of one width: 2-byte leads every second byte, 3-byte every third,
 * 4-byte every fourth, from offset r) skips that: its layout is fixed, so
 * one or two fixed shuffles and shifts give its 8, 5-6 or 4 code points
 * (wsf_dec_run*_sse4; text in one script is mostly such runs); after a
 * 2-byte run SSE4 takes the blocks that follow in a loop while they are
 * runs too (WSF_DEC_BLOCK2, Latin-1 and UCS-2 output).  AVX2
 * takes 32-byte blocks for every output width: whole blocks of 2- or
 * 4-byte runs, known from the character-start mask alone, the blocks after
 * one taken in a loop while they are runs too, and every other block
 * through the general block over 32 bytes (wsf_dec_any32_ucs1/2/4_avx2,
 * wsf_dec_gen32_*_avx2).  AVX-512 keeps
 * vpcompress for every Latin-1 and UCS-2 block except a 64-byte block of
 * 2-byte characters only, which goes to AVX2's 32-byte block and its run
 * loop (as does a UCS-4 block of 4-byte characters only); its other UCS-4
 * blocks compute nothing per position: each character's bytes are gathered
 * into a 32-bit lane (vpermb/vpermt2b from the vpcompressb-packed positions
 * of the characters' last bytes), a block taking the characters that end
 * in it (wsf_decode_avx512.h).  UCS-4
 * chunks without a 4-byte lead skip the bits 16..20 arithmetic. *
 * Levels (wsf_level from wsf_cpu.h): SSE4 (16 bytes a step), AVX2 (16
 * positions per register, 32-byte blocks) and AVX-512 (64 bytes a step,
 * with VBMI2's vpcompress and VBMI's vpermb; without them the AVX2 kernels) have SIMD
 * transcoders; NEON for Latin-1 and UCS-2 (UCS-4 goes to CPython's decoder
 * until it is measured on hardware).  SSE2 and scalar have the SIMD or
 * word-wise ASCII bet, then the one-pass scalar decoder (wsf_dec_checked*:
 * validation and transcoding in the same loop, 1.1-2.4x CPython's
 * PyUnicode_DecodeUTF8; after a separate scan and validation a scalar
 * transcoder was 0.1-0.5x of it), which also takes every input below 128
 * bytes at the vector levels; the unchecked scalar transcoders
 * (wsf_dec_scalar_*) stay as the tails of the vector loops and for the C
 * tests.  Each level's row of the kernel
 * table (wsf_dispatch.h) names its kernels; wider kernels hand their tail to the
 * next narrower one, the scalar loop finishes.  Loads need 3 bytes of
 * look-ahead beyond the chunk, so a vector loop stops 19 (SSE4), 35 (AVX2)
 * or 67 (AVX-512) bytes before the end of s and 16, 32 or 64 code points
 * before the end of out, never touching a byte outside either.
 *
 * Where the pieces live (one algorithm, one body, over the per-ISA layer
 * wsf_simd_<isa>.h, as for masking and UTF-8 validation):
 *   wsf_decode.h             this: the entry points and the scalar code
 *                            (the fallback and every tail);
 *   wsf_decode_vec.h         what the vector steps share: the compaction
 *                            tables, the block loop (WSF_DEC_LOOP), the
 *                            stage function around it (WSF_DEC_STAGE), the
 *                            hand-off to a narrower stage (WSF_DEC_HANDOFF);
 *   wsf_decode_body.h        the ASCII copy-and-check and the scan, one body
 *                            per ISA, each handing its tail to the next
 *                            narrower one (WSF_DEC_NEXT);
 *   wsf_decode_lanes_body.h  the code point of every position in 16-bit
 *                            lanes (SSE4, AVX2, NEON);
 *   wsf_decode_sse4.h, wsf_decode_avx2.h, wsf_decode_avx512.h,
 *   wsf_decode_neon.h        the per-ISA steps and stages;
 *   wsf_decode_onepass.h     the one-pass loop (validate while
 *                            transcoding), SSE4 and AVX2;
 *   wsf_dispatch.h           includes them per ISA and fills the table;
 *   wsf_str.h                the CPython str builder.
 * What stays per ISA, and why it is not shared:
 *   - the compaction and the stores (wsf_dec_step*, wsf_dec_half*): SSE4
 *     compacts each 8-position half with a pshufb row of wsf_dec_pos16;
 *     AVX2 widens all 16 positions into one register and compacts both
 *     128-bit lanes with one vpshufb (two rows, wsf_dec_idx16_avx2, then
 *     per-lane stores and a per-lane 32-bit interleave; its UCS-2/4 block
 *     compacts 32 positions in two registers, four rows); AVX-512 VBMI2 has
 *     no tables at all (vpcompressb/w under a mask register, 64 bytes a
 *     step, 4-byte work skipped per 32-byte half); NEON has no movemask
 *     (wsf_dec_movemask_neon sums bit weights) and compacts 8-byte halves
 *     with the 64-bit vqtbl1.  These are different instruction sequences,
 *     not one sequence at different widths, so a shared body would only
 *     move each into a layer macro used once.
 *   - Latin-1 steps (wsf_dec_step1_sse4/_neon, AVX2's 32-byte block, the
 *     AVX-512 8-bit-lane loop): the same split (byte tables vs vpcompressb;
 *     NEON's movemask).
 *   - the all-ASCII block widenings (wsf_dec_ascii2/4_sse4, the AVX2 and
 *     NEON ones in their stage): one or two instructions per ISA.
 */
#ifndef WSF_DECODE_H
#define WSF_DECODE_H

#include "wsf_utf8.h"

/* ---------------------------------------------------------------------- */
/* Scalar scan, ASCII copy and transcoders (the fallback, and every tail). */

static unsigned wsf_dec_scan_scalar(const uint8_t *s, size_t n, size_t *ncont)
{
    size_t i = 0, c = 0;
    unsigned mx = 0, b;
    uint64_t w;
    /* 64 bytes a step, branch-free with 8-bit accumulators: a loop the
     * compiler vectorizes with the baseline ISA (pmaxub, compares). */
    for (; i + 64 <= n; i += 64) {
        uint8_t m8 = 0, c8 = 0;
        size_t k;
        for (k = 0; k < 64; k++) {
            uint8_t v = s[i + k];
            m8 = v > m8 ? v : m8;
            c8 = (uint8_t)(c8 + ((v & 0xC0) == 0x80));
        }
        mx = m8 > mx ? m8 : mx;
        c += c8;
    }
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
 * non-ASCII byte (the copy is then unfinished and to be discarded).  32
 * bytes a step: four words OR-ed, one test, one copy (the compiler may move
 * them with the baseline ISA's registers). */
static size_t wsf_dec_ascii_scalar(const uint8_t *s, size_t n, uint8_t *out)
{
    size_t i = 0;
    uint64_t w[4];
    for (; i + 32 <= n; i += 32) {
        memcpy(w, s + i, 32);
        if ((w[0] | w[1] | w[2] | w[3]) & 0x8080808080808080ULL) {
            return i;
        }
        memcpy(out + i, w, 32);
    }
    for (; i + 8 <= n; i += 8) {
        memcpy(w, s + i, 8);
        if (w[0] & 0x8080808080808080ULL) {
            return i;
        }
        memcpy(out + i, w, 8);
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

/* Is the 64-bit word w (8 bytes, little-endian) four well-formed 2-byte
 * characters: leads 110xxxxx but not C0/C1 (bits 1..4 non-zero: + 7FFF
 * carries into bit 15 of the 16-bit lane), continuations 10xxxxxx?
 * wsf_dec_two2: the same for two in the 32-bit u.  WSF_DEC_CP2: the code
 * point of the 2-byte character in bits at..at+15 of w. */
static inline int wsf_dec_four2(uint64_t w)
{
    return (w & 0xC0E0C0E0C0E0C0E0ULL) == 0x80C080C080C080C0ULL
           && (((w & 0x001E001E001E001EULL) + 0x7FFF7FFF7FFF7FFFULL)
               & 0x8000800080008000ULL) == 0x8000800080008000ULL;
}

static inline int wsf_dec_two2(uint32_t u)
{
    return (u & 0xC0E0C0E0u) == 0x80C080C0u
           && (((u & 0x001E001Eu) + 0x7FFF7FFFu) & 0x80008000u) == 0x80008000u;
}

#define WSF_DEC_CP2(w, at)                                                    \
    ((((uint32_t)((w) >> (at)) & 0x1F) << 6) | ((uint32_t)((w) >> ((at) + 8)) & 0x3F))

/* Do the 8 bytes at p start with two well-formed 3-byte characters (lead
 * E0..EF, two continuations each, no overlong, no surrogate)?  Then *c, *c1
 * are their code points. */
static inline int wsf_dec_pair3(const uint8_t *p, uint32_t *c, uint32_t *c1)
{
    uint64_t w = wsf_le64(p);
    if ((w & 0x0000C0C0F0C0C0F0ULL) != 0x00008080E08080E0ULL) {
        return 0;
    }
    *c = ((uint32_t)(w & 0x0F) << 12) | ((uint32_t)(w >> 2) & 0xFC0)
         | ((uint32_t)(w >> 16) & 0x3F);
    *c1 = ((uint32_t)(w >> 12) & 0xF000) | ((uint32_t)(w >> 26) & 0xFC0)
          | ((uint32_t)(w >> 40) & 0x3F);
    return *c >= 0x800 && *c1 >= 0x800 && (*c & 0xF800) != 0xD800
           && (*c1 & 0xF800) != 0xD800;
}

/* Are the 8 bytes at p two well-formed 4-byte characters (U+10000..U+10FFFF:
 * lead F0..F4 and three continuations each)?  Then *c, *c1 are they. */
static inline int wsf_dec_pair4(const uint8_t *p, uint32_t *c, uint32_t *c1)
{
    uint64_t w = wsf_le64(p);
    uint32_t u = (uint32_t)w, v = (uint32_t)(w >> 32);
    if ((w & 0xC0C0C0F8C0C0C0F8ULL) != 0x808080F0808080F0ULL) {
        return 0;
    }
    *c = ((u & 7) << 18) | ((u << 4) & 0x3F000) | ((u >> 10) & 0xFC0) | ((u >> 24) & 0x3F);
    *c1 = ((v & 7) << 18) | ((v << 4) & 0x3F000) | ((v >> 10) & 0xFC0) | ((v >> 24) & 0x3F);
    return *c - 0x10000 <= 0xFFFFF && *c1 - 0x10000 <= 0xFFFFF;
}

/* In WSF_DEC_CHECKED: is the next byte a lead in [LO, HI)?  (Else, or at
 * the end, the loop dispatches again.)  WSF_DEC_PAIRS: while the next 8
 * bytes are two characters of one width (PAIR: wsf_dec_pair3/4), store them
 * and step STEP bytes; then go on with the next lead of that width, or
 * dispatch again (a statement sequence: its continue is the loop's). */
#define WSF_DEC_NEXT_IN(LO, HI) (i < n && (c = s[i]) >= (LO) && c < (HI))
#define WSF_DEC_PAIRS(T, PAIR, STEP, LO, HI)                                  \
    while (i + 8 <= n && PAIR(s + i, &c, &c1)) {                              \
        out[o] = (T)c;                                                        \
        out[o + 1] = (T)c1;                                                   \
        i += (STEP);                                                          \
        o += 2;                                                               \
    }                                                                         \
    if (!WSF_DEC_NEXT_IN(LO, HI)) {                                           \
        continue;                                                             \
    }

/* Validate and decode s[0..n) in ONE pass (wsf_str.h's wsf_str_scalar: the
 * levels without a vector transcoder, and short input at every level):
 * code points into out[0..), the count returned; or -1 and *bad = the
 * start of the first ill-formed sequence, exactly UnicodeDecodeError.start
 * (Unicode Table 3-7; a sequence cut short by the end of s is ill-formed at
 * its lead).  It writes one code point per well-formed character, so out
 * needs room for the non-continuation bytes of s (n - continuations; n
 * always does).  Branches by lead byte, one check per width; runs of ASCII
 * 8 bytes a step; 2-byte characters four or two a step (a 64- or 32-bit
 * word), with the lone spaces of prose in the same loop; 3- and 4-byte
 * characters two a step.  Into 32-bit code points for a short input (a
 * stack buffer, narrowed into the str: wsf_dec_checked32), or straight into
 * a str of the kind the scan found (wsf_dec_checked8/16/32: for
 * well-formed characters the largest byte bounds the code points, so the
 * cast to T loses nothing).  No running OR of the code points for the str
 * kind: in the loop it cost prose 15% (a register spilled); wsf_str_from_cp
 * takes the kind from the largest input byte. */
#define WSF_DEC_CHECKED(NAME, T)                                              \
static inline ptrdiff_t NAME(const uint8_t *s, size_t n, T *out, size_t *bad) \
{                                                                            \
    size_t i = 0, o = 0, k;                                                  \
    uint32_t c, c1, c2, c3;                                                  \
    uint64_t w;                                                              \
    while (i < n) {                                                          \
        c = s[i];                                                            \
        if (c < 0x80) {                                                      \
            while (i + 8 <= n) {                                             \
                memcpy(&w, s + i, 8);                                        \
                if (w & 0x8080808080808080ULL) {                             \
                    break;                                                   \
                }                                                            \
                for (k = 0; k < 8; k++) {                                    \
                    out[o + k] = (T)s[i + k];                                \
                }                                                            \
                i += 8;                                                      \
                o += 8;                                                      \
            }                                                                \
            while (i < n && s[i] < 0x80) {                                   \
                out[o++] = (T)s[i++];                                        \
            }                                                                \
            continue;                                                        \
        }                                                                    \
        if (c < 0xE0) { /* C2..DF 80..BF */                                  \
            if (i + 3 < n && s[i + 2] < 0x80 && s[i + 3] < 0xC4 && c >= 0xC2 \
                && (c1 = s[i + 1] ^ 0x80u) <= 0x3F) {                        \
                /* an accented letter in Latin text, ASCII then ASCII or a \
                 * Latin-1 lead after it: back to the ASCII run at once (the  \
                 * loop below would take those bytes one at a time) */       \
                out[o++] = (T)(((c & 0x1F) << 6) | c1);                      \
                i += 2;                                                      \
                continue;                                                    \
            }                                                                \
            /* Prose: four or two 2-byte characters a step, else one, else   \
             * an ASCII byte among them (a space); back to the dispatch at   \
             * eight ASCII bytes, a wider lead or an error.  One loop for    \
             * every shape: a loop per shape pays a mispredicted exit at     \
             * every word, likely why it was 1.2-1.4x slower */              \
            while (i + 8 <= n) {                                             \
                w = wsf_le64(s + i);                                         \
                if (wsf_dec_four2(w)) {                                      \
                    out[o] = (T)WSF_DEC_CP2(w, 0);                           \
                    out[o + 1] = (T)WSF_DEC_CP2(w, 16);                      \
                    out[o + 2] = (T)WSF_DEC_CP2(w, 32);                      \
                    out[o + 3] = (T)WSF_DEC_CP2(w, 48);                      \
                    i += 8;                                                  \
                    o += 4;                                                  \
                    continue;                                                \
                }                                                            \
                if (wsf_dec_two2((uint32_t)w)) {                             \
                    out[o] = (T)WSF_DEC_CP2(w, 0);                           \
                    out[o + 1] = (T)WSF_DEC_CP2(w, 16);                      \
                    i += 4;                                                  \
                    o += 2;                                                  \
                    continue;                                                \
                }                                                            \
                c = (uint32_t)w & 0xFF;                                      \
                if (c < 0x80 && (w & 0x8080808080808080ULL) != 0) {          \
                    out[o++] = (T)c;                                         \
                    i++;                                                     \
                    continue;                                                \
                }                                                            \
                c1 = (((uint32_t)w >> 8) & 0xFF) ^ 0x80u;                    \
                if (c < 0xC2 || c >= 0xE0 || c1 > 0x3F) {                    \
                    break;                                                   \
                }                                                            \
                out[o++] = (T)(((c & 0x1F) << 6) | c1);                      \
                i += 2;                                                      \
            }                                                                \
            /* the last 8 bytes the same way, one character a step */      \
            while (i + 8 > n && i + 1 < n) {                                 \
                c = s[i];                                                    \
                if (c < 0x80 && s[i + 1] >= 0x80) {                          \
                    out[o++] = (T)c;                                         \
                    i++;                                                     \
                    continue;                                                \
                }                                                            \
                if (c < 0xC2 || c >= 0xE0 || (c1 = s[i + 1] ^ 0x80u) > 0x3F) {\
                    break;                                                   \
                }                                                            \
                out[o++] = (T)(((c & 0x1F) << 6) | c1);                      \
                i += 2;                                                      \
            }                                                                \
            if (!WSF_DEC_NEXT_IN(0x80, 0xE0)) {                              \
                continue;                                                    \
            }                                                                \
            break; /* 80..C1, or a 2-byte lead without its continuation */  \
        } else if (c < 0xF0) { /* E0..EF: no overlong, no surrogate */       \
            WSF_DEC_PAIRS(T, wsf_dec_pair3, 6, 0xE0, 0xF0)                   \
            if (i + 2 >= n) {                                                \
                break;                                                       \
            }                                                                \
            c1 = s[i + 1] ^ 0x80u;                                           \
            c2 = s[i + 2] ^ 0x80u;                                           \
            c = ((c & 0x0F) << 12) | (c1 << 6) | c2;                         \
            if ((c1 | c2) > 0x3F || c < 0x800 || (c & 0xF800) == 0xD800) {  \
                break;                                                       \
            }                                                                \
            i += 3;                                                          \
        } else { /* F0..F4: U+10000..U+10FFFF */                             \
            WSF_DEC_PAIRS(T, wsf_dec_pair4, 8, 0xF0, 0x100)                  \
            if (c > 0xF4 || i + 3 >= n) {                                    \
                break;                                                       \
            }                                                                \
            c1 = s[i + 1] ^ 0x80u;                                           \
            c2 = s[i + 2] ^ 0x80u;                                           \
            c3 = s[i + 3] ^ 0x80u;                                           \
            c = ((c & 0x07) << 18) | (c1 << 12) | (c2 << 6) | c3;            \
            if ((c1 | c2 | c3) > 0x3F || c < 0x10000 || c > 0x10FFFF) {      \
                break;                                                       \
            }                                                                \
            i += 4;                                                          \
        }                                                                    \
        out[o++] = (T)c;                                                     \
    }                                                                        \
    if (i < n) {                                                             \
        *bad = i;                                                            \
        return -1;                                                           \
    }                                                                        \
    return (ptrdiff_t)o;                                                     \
}
WSF_DEC_CHECKED(wsf_dec_checked8, uint8_t)
WSF_DEC_CHECKED(wsf_dec_checked16, uint16_t)
WSF_DEC_CHECKED(wsf_dec_checked32, uint32_t)

/* ---------------------------------------------------------------------- */
/* Entry points over a kernel table k (NULL kernel: the scalar code). */

static inline size_t wsf_decode_ascii_with(const wsf_kernel_table *k,
                                           const uint8_t *s, size_t n, uint8_t *out)
{
    return k->dec_ascii != NULL ? k->dec_ascii(s, n, out)
                                : wsf_dec_ascii_scalar(s, n, out);
}

static inline unsigned wsf_decode_scan_with(const wsf_kernel_table *k,
                                            const uint8_t *s, size_t n,
                                            size_t *nchars)
{
    size_t ncont = 0;
    unsigned m;
    if (k->dec_scan != NULL && n >= 16) {
        m = k->dec_scan(s, n, &ncont);
    } else { /* no vector block: skip the indirect call */
        m = wsf_dec_scan_scalar(s, n, &ncont);
    }
    *nchars = n - ncont;
    return m;
}

/* wsf_decode_ucsK_with (the table's vector stage, then the scalar loop)
 * and wsf_decode_ucsK (at the active level), for K = 1, 2, 4. */
#define WSF_DEC_UCS_API(K, T)                                                 \
static inline void wsf_decode_ucs##K##_with(const wsf_kernel_table *k,        \
                                            const uint8_t *s, size_t n,       \
                                            T *out, size_t nout)              \
{                                                                             \
    size_t o = 0, i = 0;                                                      \
    if (k->dec_ucs##K != NULL) {                                              \
        i = k->dec_ucs##K(s, n, out, nout, &o);                               \
    }                                                                         \
    wsf_dec_scalar_ucs##K(s + i, n - i, out + o, nout - o);                   \
}                                                                             \
static inline void wsf_decode_ucs##K(const uint8_t *s, size_t n, T *out,      \
                                     size_t nout)                             \
{                                                                             \
    wsf_decode_ucs##K##_with(wsf_kt, s, n, out, nout);                        \
}
WSF_DEC_UCS_API(1, uint8_t)
WSF_DEC_UCS_API(2, uint16_t)
WSF_DEC_UCS_API(4, uint32_t)

/* wsf_decode_ucsKv_with (K = 2, 4): transcode AND validate s (the table's
 * one-pass stage, which must not be NULL; then the scalar loop): 0 when s
 * is well-formed UTF-8, else non-zero (out then holds unspecified code
 * points; the validator finds the position).  The stage checks the bytes
 * it consumed; the rest, from the character boundary before them, goes to
 * the streaming validator (and to the two-pass stage, when the one-pass
 * stage stopped early at mixed text). */
#define WSF_DEC_UCSV_API(K, T)                                                \
static inline int wsf_decode_ucs##K##v_with(const wsf_kernel_table *k,        \
                                            const uint8_t *s, size_t n,       \
                                            T *out, size_t nout)              \
{                                                                             \
    size_t o = 0, i, j, r;                                                    \
    int bad = 0;                                                              \
    wsf_utf8_state st;                                                        \
    i = k->dec_ucs##K##v(s, n, out, nout, &o, &bad);                          \
    j = i; /* s[0..i) is checked */                                           \
    if (n - j >= 64 && nout - o >= 64) { /* the stage stopped at mixed text */\
        size_t o2;                                                            \
        j += k->dec_ucs##K(s + j, n - j, out + o, nout - o, &o2);             \
        o += o2;                                                              \
    }                                                                         \
    wsf_dec_scalar_ucs##K(s + j, n - j, out + o, nout - o);                   \
    if (bad) {                                                                \
        return 1;                                                             \
    }                                                                         \
    r = wsf_utf8_boundary(s, 0, i);                                           \
    wsf_utf8_init(&st);                                                       \
    return wsf_utf8_one_shot(&st, wsf_utf8_stream_with(k->utf8_blocks, &st,   \
                                                       s + r, n - r),         \
                             n - r) >= 0;                                     \
}
WSF_DEC_UCSV_API(2, uint16_t)
WSF_DEC_UCSV_API(4, uint32_t)

static inline size_t wsf_decode_ascii(const uint8_t *s, size_t n, uint8_t *out)
{
    return wsf_decode_ascii_with(wsf_kt, s, n, out);
}

/* Streaming validation of s[0..len) (wsf_utf8_stream_with's contract and
 * return value) and the scan (*top, *nchars as wsf_decode_scan_with;
 * meaningful when it returns -1) in one pass over the bytes, where the
 * level has the fused kernel (utf8_scan_blocks); otherwise the two passes. */
static inline ptrdiff_t wsf_decode_scan_stream_with(const wsf_kernel_table *k,
                                                    wsf_utf8_state *st,
                                                    const uint8_t *s, size_t len,
                                                    unsigned *top, size_t *nchars)
{
    size_t i = 0, n, b, r, ncont = 0, tchars;
    unsigned m = 0, t;
    ptrdiff_t f;
    *top = 0;
    *nchars = 0;
    if (k->utf8_scan_blocks == NULL || len < 128) {
        *top = wsf_decode_scan_with(k, s, len, nchars);
        return wsf_utf8_stream_with(k->utf8_blocks, st, s, len);
    }
    if (st->need) { /* the end of a sequence begun in the previous chunk */
        i = st->need;
        f = wsf_utf8_scalar(st, s, i);
        if (f >= 0) {
            return f;
        }
        m = 0x80; /* continuation bytes: not an ASCII chunk */
    }
    n = (len - i) & ~(size_t)63;
    b = i + k->utf8_scan_blocks(s + i, n, &t, &ncont);
    r = wsf_utf8_boundary(s, i, b);
    if (b != i + n) { /* the exact byte from the DFA, as the driver does */
        f = wsf_utf8_scalar(st, s + r, len - r);
        return f < 0 ? -1 : (ptrdiff_t)(r + (size_t)f);
    }
    m = t > m ? t : m;
    t = wsf_decode_scan_with(k, s + b, len - b, &tchars);
    *top = t > m ? t : m;
    *nchars = (n - ncont) + tchars;
    /* The blocks are valid but may end inside a sequence: the rest from
     * the last boundary, by the driver. */
    f = wsf_utf8_stream_with(k->utf8_blocks, st, s + r, len - r);
    return f < 0 ? -1 : (ptrdiff_t)(r + (size_t)f);
}

static inline unsigned wsf_decode_scan(const uint8_t *s, size_t n, size_t *nchars)
{
    return wsf_decode_scan_with(wsf_kt, s, n, nchars);
}

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

#endif /* WSF_DECODE_H */
