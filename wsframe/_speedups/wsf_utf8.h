/*
 * wsf_utf8.h -- UTF-8 validation (RFC 3629; Unicode Standard Table 3-7).
 *
 * One streaming primitive and three conveniences built on it:
 *
 *   wsf_utf8_state st; wsf_utf8_init(&st);
 *   ptrdiff_t wsf_utf8_stream(wsf_utf8_state *st, const uint8_t *s, size_t len);
 *       Feeds s[0..len) to a validator whose state survives between calls.
 *       Returns -1 when every byte can still be part of valid UTF-8 (st then
 *       describes the unfinished sequence at the end, if any), or the index
 *       in s of the first byte that makes the stream impossible ("cannot be a
 *       prefix of valid UTF-8": fails fast, e.g. ED A0 fails at A0, F4 90 at
 *       90, C0 at C0).  On failure st describes the sequence pending *before*
 *       that byte, so the ill-formed sequence starts st->seen bytes before the
 *       failing byte, possibly in an earlier chunk:
 *           start = (stream offset of s) + index - st->seen
 *       which is exactly CPython's UnicodeDecodeError.start.  After a failure
 *       the state must be re-initialised before further use.
 *   int wsf_utf8_pending(const wsf_utf8_state *st);
 *       Bytes of an unfinished sequence at the end (0 = ends on a code point).
 *   ptrdiff_t wsf_utf8_find_invalid(const uint8_t *s, size_t len);
 *       One shot: -1 or the start of the first ill-formed sequence; a
 *       sequence truncated by the end of the input is ill-formed and starts
 *       at its lead byte.
 *   ptrdiff_t wsf_unmask_utf8_stream(wsf_utf8_state *st, uint8_t *dst,
 *                                    const uint8_t *src, size_t len,
 *                                    const uint8_t key[4], size_t phase);
 *       Fused RFC 6455 §5.3 unmasking and §8.1 validation: unmasks src into
 *       dst (dst == src allowed) in cache-sized blocks and validates each
 *       block while it is hot.  Same return value as wsf_utf8_stream.  On
 *       failure dst is written up to the end of the block holding the failing
 *       byte at least; later bytes may be left unwritten.
 *
 * Kernels: a scalar DFA (the table's byte ranges, with an 8-byte-word ASCII
 * fast path) and the Keiser-Lemire "lookup" algorithm (Validating UTF-8 In
 * Less Than One Instruction Per Byte, SPE 2021), written once in
 * wsf_utf8_body.h over the per-ISA layers (SSSE3/SSE4.1, AVX2, AVX-512,
 * NEON), four vectors per step (64, 128, 256 bytes) with an ASCII fast
 * path, and reached through the kernel table (wsf_kernels.h); the drivers
 * below are inline in the caller.  The same body also gives the str
 * builders a kernel fused with the transcoder's scan (utf8_scan_blocks,
 * driven by wsf_decode_scan_stream_with in wsf_decode.h).  The SIMD kernels only say *which block*
 * first shows an error; the exact position then comes from the scalar DFA,
 * restarted at the last sequence boundary before that block (an error can belong to a
 * sequence that began in the previous block).  The last partial block (and
 * a whole input shorter than 64 bytes) is copied into a zero-padded local
 * block and checked by the same SIMD kernel, so no load ever touches a byte
 * outside [0, len); only a tail that the kernel flags (an error, or a
 * sequence the end of the input cuts short) goes to the scalar DFA.
 */
#ifndef WSF_UTF8_H
#define WSF_UTF8_H

#include "wsf_mask.h"

/* Fused kernel block: src + dst blocks stay within a 32 KiB L1 cache. */
#define WSF_FUSED_BLOCK 8192

static inline void wsf_utf8_init(wsf_utf8_state *st)
{
    st->need = 0;
    st->seen = 0;
    st->lo = 0x80;
    st->hi = 0xBF;
}

static inline int wsf_utf8_pending(const wsf_utf8_state *st)
{
    return st->need ? st->seen : 0;
}

/* ---------------------------------------------------------------------- */
/* Scalar DFA.  Unicode Table 3-7, well-formed byte sequences:
 *
 *   U+0000..U+007F     00..7F
 *   U+0080..U+07FF     C2..DF 80..BF
 *   U+0800..U+0FFF     E0     A0..BF 80..BF
 *   U+1000..U+CFFF     E1..EC 80..BF 80..BF
 *   U+D000..U+D7FF     ED     80..9F 80..BF      (no surrogates)
 *   U+E000..U+FFFF     EE..EF 80..BF 80..BF
 *   U+10000..U+3FFFF   F0     90..BF 80..BF 80..BF
 *   U+40000..U+FFFFF   F1..F3 80..BF 80..BF 80..BF
 *   U+100000..U+10FFFF F4     80..8F 80..BF 80..BF
 *
 * Only the second byte has a lead-dependent range; later ones are 80..BF. */
static inline ptrdiff_t wsf_utf8_scalar(wsf_utf8_state *st, const uint8_t *s,
                                        size_t len)
{
    size_t i = 0;
    unsigned need = st->need, seen = st->seen, lo = st->lo, hi = st->hi;
    unsigned c;

    while (i < len) {
        if (need == 0) {
            /* ASCII fast path, 8 bytes at a time (memcpy: unaligned-safe). */
            while (i + 8 <= len) {
                uint64_t w;
                memcpy(&w, s + i, 8);
                if (w & 0x8080808080808080ULL) {
                    break;
                }
                i += 8;
            }
            while (i < len && s[i] < 0x80) {
                i++;
            }
            if (i >= len) {
                break;
            }
            c = s[i];
            if (c < 0xC2) {
                goto fail; /* continuation byte, or C0/C1 (overlong) */
            } else if (c < 0xE0) {
                need = 1; lo = 0x80; hi = 0xBF;
            } else if (c < 0xF0) {
                need = 2;
                lo = c == 0xE0 ? 0xA0 : 0x80; /* E0 80..9F: overlong */
                hi = c == 0xED ? 0x9F : 0xBF; /* ED A0..BF: surrogates */
            } else if (c < 0xF5) {
                need = 3;
                lo = c == 0xF0 ? 0x90 : 0x80; /* F0 80..8F: overlong */
                hi = c == 0xF4 ? 0x8F : 0xBF; /* F4 90..: above U+10FFFF */
            } else {
                goto fail; /* F5..FF never appear in UTF-8 */
            }
            seen = 1;
            i++;
        } else {
            c = s[i];
            if (c < lo || c > hi) {
                goto fail;
            }
            i++;
            lo = 0x80;
            hi = 0xBF;
            if (--need == 0) {
                seen = 0;
            } else {
                seen++;
            }
        }
    }
    st->need = (uint8_t)need; st->seen = (uint8_t)seen;
    st->lo = (uint8_t)lo; st->hi = (uint8_t)hi;
    return -1;
fail:
    st->need = (uint8_t)need; st->seen = (uint8_t)seen;
    st->lo = (uint8_t)lo; st->hi = (uint8_t)hi;
    return (ptrdiff_t)i;
}

/* ---------------------------------------------------------------------- */
/* The block kernel of the levels without a vector validator (scalar, SSE2):
 * the same Table 3-7 as a table-driven DFA without branches (a "shift DFA":
 * row[byte] holds, at bit s of each state s, the next state, so a step is a
 * load and a shift: state = row[byte] >> state).  Nine states, each a
 * multiple of 6 (the next state's 6 bits start there); ERR absorbs. */
enum {
    WSF_D_OK = 0,   /* between characters */
    WSF_D_1 = 6,    /* one continuation to go, 80..BF */
    WSF_D_2 = 12,   /* two to go, 80..BF 80..BF */
    WSF_D_E0 = 18,  /* after E0: A0..BF, then one */
    WSF_D_ED = 24,  /* after ED: 80..9F (no surrogates), then one */
    WSF_D_3 = 30,   /* after F1..F3: three to go */
    WSF_D_F0 = 36,  /* after F0: 90..BF, then two */
    WSF_D_F4 = 42,  /* after F4: 80..8F (up to U+10FFFF), then two */
    WSF_D_ERR = 48
};
#define WSF_D_IN(b, lo, hi) ((b) >= (lo) && (b) <= (hi))
#define WSF_D_LEAD(b)                                                         \
    ((b) < 0x80 ? WSF_D_OK : (b) < 0xC2 ? WSF_D_ERR : (b) < 0xE0 ? WSF_D_1     \
     : (b) == 0xE0 ? WSF_D_E0 : (b) == 0xED ? WSF_D_ED : (b) < 0xF0 ? WSF_D_2  \
     : (b) == 0xF0 ? WSF_D_F0 : (b) < 0xF4 ? WSF_D_3 : (b) == 0xF4 ? WSF_D_F4  \
     : WSF_D_ERR)
#define WSF_D_TO(b, lo, hi, next, from)                                       \
    ((uint64_t)(WSF_D_IN(b, lo, hi) ? (next) : WSF_D_ERR) << (from))
#define WSF_D_ROW(b)                                                          \
    ((uint64_t)WSF_D_LEAD(b) | WSF_D_TO(b, 0x80, 0xBF, WSF_D_OK, WSF_D_1)      \
     | WSF_D_TO(b, 0x80, 0xBF, WSF_D_1, WSF_D_2)                               \
     | WSF_D_TO(b, 0xA0, 0xBF, WSF_D_1, WSF_D_E0)                              \
     | WSF_D_TO(b, 0x80, 0x9F, WSF_D_1, WSF_D_ED)                              \
     | WSF_D_TO(b, 0x80, 0xBF, WSF_D_2, WSF_D_3)                               \
     | WSF_D_TO(b, 0x90, 0xBF, WSF_D_2, WSF_D_F0)                              \
     | WSF_D_TO(b, 0x80, 0x8F, WSF_D_2, WSF_D_F4)                              \
     | (uint64_t)WSF_D_ERR << WSF_D_ERR)
#define WSF_D_ROW4(b) WSF_D_ROW(b), WSF_D_ROW((b) + 1), WSF_D_ROW((b) + 2), WSF_D_ROW((b) + 3)
#define WSF_D_ROW16(b) WSF_D_ROW4(b), WSF_D_ROW4((b) + 4), WSF_D_ROW4((b) + 8), \
                       WSF_D_ROW4((b) + 12)
#define WSF_D_ROW64(b) WSF_D_ROW16(b), WSF_D_ROW16((b) + 16), WSF_D_ROW16((b) + 32), \
                       WSF_D_ROW16((b) + 48)
static const uint64_t wsf_utf8_dfa[256] = {WSF_D_ROW64(0), WSF_D_ROW64(64), WSF_D_ROW64(128),
                                           WSF_D_ROW64(192)};

/* One step; & 63 is free where the shift masks its count (x86, ARM). */
#define WSF_D_STEP(st, b) ((st) = wsf_utf8_dfa[(uint8_t)(b)] >> ((st) & 63))

/* The 8 bytes of the word w, in memory order (little-endian w). */
#define WSF_D_WORD(st, w) do {                                                \
    WSF_D_STEP(st, w); WSF_D_STEP(st, (w) >> 8); WSF_D_STEP(st, (w) >> 16);  \
    WSF_D_STEP(st, (w) >> 24); WSF_D_STEP(st, (w) >> 32);                    \
    WSF_D_STEP(st, (w) >> 40); WSF_D_STEP(st, (w) >> 48);                    \
    WSF_D_STEP(st, (w) >> 56);                                               \
} while (0)

/* The 8 bytes at p as a little-endian word (byte k in bits 8k..8k+7): the
 * word steps of the DFAs here and of the scalar decoder (wsf_decode.h). */
static inline uint64_t wsf_le64(const uint8_t *p)
{
    uint64_t w;
    memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

/* Is the 64-byte block at s all ASCII?  (Eight words OR-ed.) */
static inline int wsf_d_ascii64(const uint8_t *s)
{
    uint64_t acc = 0;
    int k;
    for (k = 0; k < 64; k += 8) {
        acc |= wsf_le64(s + k);
    }
    return (acc & 0x8080808080808080ULL) == 0;
}

/* The words k0..7 of the 64-byte block at s from state st; a word of
 * ASCII between characters is skipped. */
static inline uint64_t wsf_utf8_dfa_words(const uint8_t *s, int k0, uint64_t st)
{
    uint64_t w;
    int k;
    for (k = k0; k < 8; k++) {
        w = wsf_le64(s + 8 * k);
        if ((st & 63) != WSF_D_OK || (w & 0x8080808080808080ULL) != 0) {
            WSF_D_WORD(st, w);
        }
    }
    return st;
}

/* The 64-byte block at s from st; a block of ASCII between characters is
 * skipped at once. */
static inline uint64_t wsf_utf8_dfa64(const uint8_t *s, uint64_t st)
{
    if ((st & 63) == WSF_D_OK && wsf_d_ascii64(s)) {
        return st;
    }
    return wsf_utf8_dfa_words(s, 0, st);
}

/* Two blocks side by side, the steps of their two chains interleaved: the
 * 64 bytes at s from *a and the 64 at t from *b. */
static inline void wsf_utf8_dfa_pair(const uint8_t *s, uint64_t *a, const uint8_t *t,
                                     uint64_t *b)
{
    const uint64_t high = 0x8080808080808080ULL;
    uint64_t x = *a, y = *b, u, v;
    int k, skip_s = (x & 63) == WSF_D_OK && wsf_d_ascii64(s);
    int skip_t = (y & 63) == WSF_D_OK && wsf_d_ascii64(t);
    if (skip_s || skip_t) {
        *a = skip_s ? x : wsf_utf8_dfa_words(s, 0, x);
        *b = skip_t ? y : wsf_utf8_dfa_words(t, 0, y);
        return;
    }
    for (k = 0; k < 64; k += 8) {
        int ps, pt;
        u = wsf_le64(s + k);
        v = wsf_le64(t + k);
        ps = (x & 63) != WSF_D_OK || (u & high) != 0;
        pt = (y & 63) != WSF_D_OK || (v & high) != 0;
        if (ps && pt) {
            WSF_D_STEP(x, u); WSF_D_STEP(y, v); WSF_D_STEP(x, u >> 8);
            WSF_D_STEP(y, v >> 8); WSF_D_STEP(x, u >> 16); WSF_D_STEP(y, v >> 16);
            WSF_D_STEP(x, u >> 24); WSF_D_STEP(y, v >> 24); WSF_D_STEP(x, u >> 32);
            WSF_D_STEP(y, v >> 32); WSF_D_STEP(x, u >> 40); WSF_D_STEP(y, v >> 40);
            WSF_D_STEP(x, u >> 48); WSF_D_STEP(y, v >> 48); WSF_D_STEP(x, u >> 56);
            WSF_D_STEP(y, v >> 56);
        } else if (ps) {
            WSF_D_WORD(x, u);
        } else if (pt) {
            WSF_D_WORD(y, v);
        }
    }
    *a = x;
    *b = y;
}

/* The block kernel contract (wsf_utf8_blocks_fn, n a multiple of 64, s
 * from a character boundary): n, or the offset of the first block that
 * shows an error.  Each step waits on the one before, so the halves of s
 * run as two streams side by side: the second from the first character
 * start at or after the middle, the first to there, where it must be
 * between characters. */
static size_t wsf_utf8_blocks_dfa(const uint8_t *s, size_t n)
{
    uint64_t a = WSF_D_OK, b = WSF_D_OK;
    size_t h = (n / 128) * 64, m = h, e = n, i;
    if (h == 0) {
        return (wsf_utf8_dfa64(s, a) & 63) == WSF_D_ERR ? 0 : n;
    }
    /* Up to three continuations at h belong to the first half (a fourth is
     * an error: the second stream, from there, finds it). */
    while (m < h + 3 && (s[m] & 0xC0) == 0x80) {
        m++;
    }
    if (m == h) {
        b = wsf_utf8_dfa64(s + h, b);
    } else {
        for (i = m; i < h + 8; i++) { /* the second half's first word, from m */
            WSF_D_STEP(b, s[i]);
        }
        b = wsf_utf8_dfa_words(s + h, 1, b);
    }
    if ((b & 63) == WSF_D_ERR) {
        e = h;
    }
    for (i = 0; i < h; i += 64) {
        if (e == n && h + i + 64 < n) {
            wsf_utf8_dfa_pair(s + i, &a, s + h + i + 64, &b);
            if ((b & 63) == WSF_D_ERR) {
                e = h + i + 64;
            }
        } else {
            a = wsf_utf8_dfa64(s + i, a);
        }
        if ((a & 63) == WSF_D_ERR) {
            return i;
        }
    }
    if (e == n && h + i + 64 < n) { /* an odd number of blocks: the last */
        b = wsf_utf8_dfa64(s + h + i + 64, b);
        if ((b & 63) == WSF_D_ERR) {
            e = h + i + 64;
        }
    }
    for (i = h; i < m; i++) { /* the first half's last character, to m */
        WSF_D_STEP(a, s[i]);
    }
    return (a & 63) == WSF_D_OK ? e : h;
}

/* ---------------------------------------------------------------------- */
/* Lookup algorithm tables.  Each byte pair (prev1, input) is classified by
 * three 16-entry tables indexed by prev1's high nibble, prev1's low nibble
 * and input's high nibble; the AND of the three is non-zero exactly when the
 * pair is one of these errors: */
#define WSF_TOO_SHORT  (1 << 0) /* 11______ 0_______ or 11______ 11______ */
#define WSF_TOO_LONG   (1 << 1) /* 0_______ 10______ */
#define WSF_OVERLONG_3 (1 << 2) /* 11100000 100_____ */
#define WSF_TOO_LARGE  (1 << 3) /* 11110100 1001____, 11110100 101_____, 11110101+ 1001____+ */
#define WSF_SURROGATE  (1 << 4) /* 11101101 101_____ */
#define WSF_OVERLONG_2 (1 << 5) /* 1100000_ 10______ */
#define WSF_TOO_LARGE_1000 (1 << 6) /* 11110101+ 1000____ */
#define WSF_OVERLONG_4 (1 << 6) /* 11110000 1000____ */
#define WSF_TWO_CONTS  (1 << 7) /* 10______ 10______ (fine as byte 3 or 4) */
#define WSF_CARRY (WSF_TOO_SHORT | WSF_TOO_LONG | WSF_TWO_CONTS)

#define WSF_B1H \
    WSF_TOO_LONG, WSF_TOO_LONG, WSF_TOO_LONG, WSF_TOO_LONG, \
    WSF_TOO_LONG, WSF_TOO_LONG, WSF_TOO_LONG, WSF_TOO_LONG, \
    WSF_TWO_CONTS, WSF_TWO_CONTS, WSF_TWO_CONTS, WSF_TWO_CONTS, \
    WSF_TOO_SHORT | WSF_OVERLONG_2, \
    WSF_TOO_SHORT, \
    WSF_TOO_SHORT | WSF_OVERLONG_3 | WSF_SURROGATE, \
    WSF_TOO_SHORT | WSF_TOO_LARGE | WSF_TOO_LARGE_1000 | WSF_OVERLONG_4

#define WSF_B1L \
    WSF_CARRY | WSF_OVERLONG_3 | WSF_OVERLONG_2 | WSF_OVERLONG_4, \
    WSF_CARRY | WSF_OVERLONG_2, \
    WSF_CARRY, \
    WSF_CARRY, \
    WSF_CARRY | WSF_TOO_LARGE, \
    WSF_CARRY | WSF_TOO_LARGE | WSF_TOO_LARGE_1000, \
    WSF_CARRY | WSF_TOO_LARGE | WSF_TOO_LARGE_1000, \
    WSF_CARRY | WSF_TOO_LARGE | WSF_TOO_LARGE_1000, \
    WSF_CARRY | WSF_TOO_LARGE | WSF_TOO_LARGE_1000, \
    WSF_CARRY | WSF_TOO_LARGE | WSF_TOO_LARGE_1000, \
    WSF_CARRY | WSF_TOO_LARGE | WSF_TOO_LARGE_1000, \
    WSF_CARRY | WSF_TOO_LARGE | WSF_TOO_LARGE_1000, \
    WSF_CARRY | WSF_TOO_LARGE | WSF_TOO_LARGE_1000, \
    WSF_CARRY | WSF_TOO_LARGE | WSF_TOO_LARGE_1000 | WSF_SURROGATE, \
    WSF_CARRY | WSF_TOO_LARGE | WSF_TOO_LARGE_1000, \
    WSF_CARRY | WSF_TOO_LARGE | WSF_TOO_LARGE_1000

#define WSF_B2H \
    WSF_TOO_SHORT, WSF_TOO_SHORT, WSF_TOO_SHORT, WSF_TOO_SHORT, \
    WSF_TOO_SHORT, WSF_TOO_SHORT, WSF_TOO_SHORT, WSF_TOO_SHORT, \
    WSF_TOO_LONG | WSF_OVERLONG_2 | WSF_TWO_CONTS | WSF_OVERLONG_3 \
        | WSF_TOO_LARGE_1000 | WSF_OVERLONG_4, \
    WSF_TOO_LONG | WSF_OVERLONG_2 | WSF_TWO_CONTS | WSF_OVERLONG_3 | WSF_TOO_LARGE, \
    WSF_TOO_LONG | WSF_OVERLONG_2 | WSF_TWO_CONTS | WSF_SURROGATE | WSF_TOO_LARGE, \
    WSF_TOO_LONG | WSF_OVERLONG_2 | WSF_TWO_CONTS | WSF_SURROGATE | WSF_TOO_LARGE, \
    WSF_TOO_SHORT, WSF_TOO_SHORT, WSF_TOO_SHORT, WSF_TOO_SHORT

/* The third and fourth bytes of 3- and 4-byte sequences must be
 * continuations: prev2 >= E0 or prev3 >= F0, found with saturating
 * subtraction (only those leave the high bit set).  Such a position must show
 * exactly TWO_CONTS (0x80), so "must ^ special" is the error. */
#define WSF_IS3_SUB (0xE0 - 0x80)
#define WSF_IS4_SUB (0xF0 - 0x80)

/* A block ends inside a sequence when its last byte is >= C0, its second to
 * last >= E0 or its third to last >= F0: saturating input - max is then
 * non-zero.  The next block must then start with the missing continuations;
 * if it is ASCII (skipped by the fast path), that is an error. */
#define WSF_MAX_TAIL 0xEF, 0xDF, 0xBF

static const uint8_t wsf_utf8_t1h[16] = {WSF_B1H};
static const uint8_t wsf_utf8_t1l[16] = {WSF_B1L};
static const uint8_t wsf_utf8_t2h[16] = {WSF_B2H};
/* The last WSF_VW bytes of this array are the "max" vector of any layer:
 * 0xFF everywhere but the last three bytes (EF DF BF). */
static const uint8_t wsf_utf8_max[64] = {
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, WSF_MAX_TAIL};

/* [lo, b) is valid UTF-8 except that it may end inside a sequence (the SIMD
 * kernels check every byte against the three before it, so only a lead in
 * the last three bytes can still lack continuations).  Returns the start of
 * that unfinished sequence, else b: a sequence boundary either way. */
static inline size_t wsf_utf8_boundary(const uint8_t *s, size_t lo, size_t b)
{
    if (b - lo >= 3 && s[b - 3] >= 0xF0) {
        return b - 3;
    }
    if (b - lo >= 2 && s[b - 2] >= 0xE0) {
        return b - 2;
    }
    if (b - lo >= 1 && s[b - 1] >= 0xC0) {
        return b - 1;
    }
    return b;
}

/* Below this length the scalar DFA beats copying into a padded block (and
 * the indirect call into the kernel table). */
#define WSF_UTF8_VECTOR_MIN 16
/* At the levels without one, from this length on (after the ASCII words
 * the input starts with) the table-driven DFA's blocks, below it the
 * byte-range DFA alone. */
#define WSF_UTF8_DFA_MIN 64

static inline int wsf_all_ascii(const uint8_t *s, size_t n)
{
    uint64_t acc = 0, w, x, y, z;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        memcpy(&w, s + i, 8);
        memcpy(&x, s + i + 8, 8);
        memcpy(&y, s + i + 16, 8);
        memcpy(&z, s + i + 24, 8);
        acc |= (w | x) | (y | z);
    }
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        acc |= w;
    }
    for (; i < n; i++) {
        acc |= s[i];
    }
    return (acc & 0x8080808080808080ULL) == 0;
}

/* Streaming validation over a block kernel (len >= WSF_UTF8_VECTOR_MIN):
 * the driver of every level, written once and inlined into the caller. */
static inline ptrdiff_t wsf_utf8_stream_blocks(wsf_utf8_blocks_fn blocks,
                                               wsf_utf8_state *st,
                                               const uint8_t *s, size_t len)
{
    size_t i = 0, n, b, r, t, size;
    ptrdiff_t f;
    uint8_t pad[128];

    if (st->need) {
        /* Finish the sequence left over from the previous chunk (need <= 3
         * < len). */
        i = st->need;
        f = wsf_utf8_scalar(st, s, i);
        if (f >= 0) {
            return f;
        }
    }
    n = (len - i) & ~(size_t)63;
    b = n ? i + blocks(s + i, n) : i;
    /* The last boundary before the flagged block, or before the tail: an
     * unfinished sequence at the end of the blocks starts there. */
    r = wsf_utf8_boundary(s, i, b);
    if (b == i + n) {
        /* Every whole block is valid: check the tail [r, len), at most
         * 63 + 3 bytes, in a zero-padded block with room for at least three
         * zero bytes after it, so a sequence the tail cuts short is flagged
         * like any other error. */
        t = len - r;
        if (wsf_all_ascii(s + r, t)) {
            return -1; /* (r == i + n then: nothing is pending) */
        }
        size = t + 3 <= 64 ? 64 : 128;
        memcpy(pad, s + r, t);
        memset(pad + t, 0, size - t);
        if (blocks(pad, size) == size) {
            return -1;
        }
    }
    /* Re-run the scalar DFA from r: it finds the exact failing byte, and it
     * also carries a sequence the end of the input cuts short into the
     * state. */
    f = wsf_utf8_scalar(st, s + r, len - r);
    return f < 0 ? -1 : (ptrdiff_t)(r + (size_t)f);
}

/* Streaming validation with the block kernel `blocks` of a level, or
 * (NULL: a level without a vector validator) the byte-range DFA over the
 * ASCII words it starts with and for short input, the table-driven DFA's
 * blocks for the rest. */
static inline ptrdiff_t wsf_utf8_stream_with(wsf_utf8_blocks_fn blocks,
                                             wsf_utf8_state *st,
                                             const uint8_t *s, size_t len)
{
    size_t a = 0;
    ptrdiff_t f;
    if (blocks != NULL) {
        return len < WSF_UTF8_VECTOR_MIN ? wsf_utf8_scalar(st, s, len)
                                         : wsf_utf8_stream_blocks(blocks, st, s, len);
    }
    if (st->need == 0) { /* four words a step, then one */
        while (len - a >= 32
               && ((wsf_le64(s + a) | wsf_le64(s + a + 8) | wsf_le64(s + a + 16)
                    | wsf_le64(s + a + 24)) & 0x8080808080808080ULL) == 0) {
            a += 32;
        }
        while (len - a >= 8 && (wsf_le64(s + a) & 0x8080808080808080ULL) == 0) {
            a += 8;
        }
    }
    f = len - a < WSF_UTF8_DFA_MIN
            ? wsf_utf8_scalar(st, s + a, len - a)
            : wsf_utf8_stream_blocks(wsf_utf8_blocks_dfa, st, s + a, len - a);
    return f < 0 ? -1 : (ptrdiff_t)a + f;
}

/* The one-shot result from a stream's: f is the stream's return value. */
static inline ptrdiff_t wsf_utf8_one_shot(const wsf_utf8_state *st, ptrdiff_t f,
                                          size_t len)
{
    if (f >= 0) {
        return f - st->seen;
    }
    if (st->need) {
        return (ptrdiff_t)len - st->seen; /* truncated: starts at its lead */
    }
    return -1;
}

/* Fused unmasking and validation with the kernels of table k (written
 * once; inlined into the caller). */
static inline ptrdiff_t wsf_unmask_utf8_with(const wsf_kernel_table *k,
                                             wsf_utf8_state *st, uint8_t *dst,
                                             const uint8_t *src, size_t len,
                                             const uint8_t key[4], size_t phase)
{
    size_t i = 0, n;
    ptrdiff_t f;
    while (i < len) {
        n = len - i < WSF_FUSED_BLOCK ? len - i : WSF_FUSED_BLOCK;
        if (n < WSF_MASK_SMALL) {
            wsf_mask_scalar(dst + i, src + i, n, key, (phase + i) & 3);
        } else {
            k->mask(dst + i, src + i, n, key, (phase + i) & 3);
        }
        f = wsf_utf8_stream_with(k->utf8_blocks, st, dst + i, n);
        if (f >= 0) {
            return (ptrdiff_t)i + f;
        }
        i += n;
    }
    return -1;
}

/* ---------------------------------------------------------------------- */
/* Entry points: short inputs inline and scalar, the vector loops through
 * the kernel table of the active level (wsf_kernels.h). */

static inline ptrdiff_t wsf_utf8_stream(wsf_utf8_state *st, const uint8_t *s,
                                        size_t len)
{
    if (len < WSF_UTF8_VECTOR_MIN) {
        return wsf_utf8_scalar(st, s, len);
    }
    return wsf_utf8_stream_with(wsf_kt->utf8_blocks, st, s, len);
}

static inline ptrdiff_t wsf_utf8_find_invalid(const uint8_t *s, size_t len)
{
    wsf_utf8_state st;
    wsf_utf8_init(&st);
    return wsf_utf8_one_shot(&st, wsf_utf8_stream(&st, s, len), len);
}

/* Has the active level a vector validator?  Where it has none (scalar,
 * SSE2), CPython's decoder, which validates while it builds a str, is the
 * cheaper check for text that becomes a str anyway. */
static inline int wsf_utf8_vectorised(void)
{
    return wsf_kt->utf8_blocks != NULL;
}

static inline ptrdiff_t wsf_unmask_utf8_stream(wsf_utf8_state *st, uint8_t *dst,
                                               const uint8_t *src, size_t len,
                                               const uint8_t key[4], size_t phase)
{
    return wsf_unmask_utf8_with(wsf_kt, st, dst, src, len, key, phase);
}

#endif /* WSF_UTF8_H */
