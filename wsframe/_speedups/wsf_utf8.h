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
 * Less Than One Instruction Per Byte, SPE 2021) for SSSE3/SSE4.1, AVX2,
 * AVX-512 and NEON, 64 bytes per step (AVX2: 128, AVX-512: 256) with an
 * ASCII fast path.  The SIMD kernels only say *which block* first shows an
 * error; the exact position then comes from the scalar DFA, restarted at the
 * last sequence boundary before that block (an error can belong to a
 * sequence that began in the previous block).  The last partial block (and
 * a whole input shorter than 64 bytes) is copied into a zero-padded local
 * block and checked by the same SIMD kernel, so no load ever touches a byte
 * outside [0, len); only a tail that the kernel flags (an error, or a
 * sequence the end of the input cuts short) goes to the scalar DFA.
 */
#ifndef WSF_UTF8_H
#define WSF_UTF8_H

#include "wsf_mask.h"

typedef struct {
    uint8_t need; /* continuation bytes still needed (0..3) */
    uint8_t seen; /* bytes of the pending sequence already accepted (0..3) */
    uint8_t lo;   /* allowed range of the next byte while need > 0 */
    uint8_t hi;
} wsf_utf8_state;

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

#if defined(WSF_ARCH_X86_64)

/* ---- SSSE3 / SSE4.1 (128-bit) ---- */
#define WSF_SSE_CHECK(input, prev_input, error) do {                          \
    __m128i p1_ = _mm_alignr_epi8((input), (prev_input), 15);                 \
    __m128i p2_ = _mm_alignr_epi8((input), (prev_input), 14);                 \
    __m128i p3_ = _mm_alignr_epi8((input), (prev_input), 13);                 \
    __m128i h1_ = _mm_shuffle_epi8(t1h, _mm_and_si128(_mm_srli_epi16(p1_, 4), nib)); \
    __m128i l1_ = _mm_shuffle_epi8(t1l, _mm_and_si128(p1_, nib));              \
    __m128i h2_ = _mm_shuffle_epi8(t2h, _mm_and_si128(_mm_srli_epi16((input), 4), nib)); \
    __m128i sc_ = _mm_and_si128(_mm_and_si128(h1_, l1_), h2_);                \
    __m128i m_ = _mm_or_si128(_mm_subs_epu8(p2_, is3), _mm_subs_epu8(p3_, is4)); \
    m_ = _mm_and_si128(m_, hi80);                                             \
    (error) = _mm_or_si128((error), _mm_xor_si128(m_, sc_));                 \
} while (0)

/* Validates s[0..n), n a multiple of 64, from a sequence boundary.  Returns
 * the offset of the first 64-byte block holding an error, else n (the input
 * may still end inside a sequence: the caller checks the tail). */
WSF_TARGET_SSE4
static size_t wsf_utf8_blocks_sse4(const uint8_t *s, size_t n)
{
    const __m128i t1h = _mm_setr_epi8(WSF_B1H);
    const __m128i t1l = _mm_setr_epi8(WSF_B1L);
    const __m128i t2h = _mm_setr_epi8(WSF_B2H);
    const __m128i nib = _mm_set1_epi8(0x0F);
    const __m128i hi80 = _mm_set1_epi8((char)0x80);
    const __m128i is3 = _mm_set1_epi8(WSF_IS3_SUB);
    const __m128i is4 = _mm_set1_epi8(WSF_IS4_SUB);
    const __m128i maxv = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
                                       -1, -1, -1, (char)0xEF, (char)0xDF,
                                       (char)0xBF);
    __m128i prev = _mm_setzero_si128(), incomplete = _mm_setzero_si128();
    size_t i;
    for (i = 0; i < n; i += 64) {
        __m128i a = _mm_loadu_si128((const __m128i *)(s + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(s + i + 16));
        __m128i c = _mm_loadu_si128((const __m128i *)(s + i + 32));
        __m128i d = _mm_loadu_si128((const __m128i *)(s + i + 48));
        __m128i any = _mm_or_si128(_mm_or_si128(a, b), _mm_or_si128(c, d));
        __m128i error;
        if (_mm_movemask_epi8(any) == 0) {
            error = incomplete;
            incomplete = _mm_setzero_si128();
        } else {
            error = _mm_setzero_si128();
            WSF_SSE_CHECK(a, prev, error);
            WSF_SSE_CHECK(b, a, error);
            WSF_SSE_CHECK(c, b, error);
            WSF_SSE_CHECK(d, c, error);
            incomplete = _mm_subs_epu8(d, maxv);
        }
        if (!_mm_testz_si128(error, error)) {
            return i;
        }
        prev = d;
    }
    return n;
}

/* ---- AVX2 (256-bit) ---- */
#define WSF_AVX2_CHECK(input, prev_input, error) do {                         \
    __m256i pp_ = _mm256_permute2x128_si256((prev_input), (input), 0x21);     \
    __m256i p1_ = _mm256_alignr_epi8((input), pp_, 15);                       \
    __m256i p2_ = _mm256_alignr_epi8((input), pp_, 14);                       \
    __m256i p3_ = _mm256_alignr_epi8((input), pp_, 13);                       \
    __m256i h1_ = _mm256_shuffle_epi8(t1h, _mm256_and_si256(_mm256_srli_epi16(p1_, 4), nib)); \
    __m256i l1_ = _mm256_shuffle_epi8(t1l, _mm256_and_si256(p1_, nib));       \
    __m256i h2_ = _mm256_shuffle_epi8(t2h, _mm256_and_si256(_mm256_srli_epi16((input), 4), nib)); \
    __m256i sc_ = _mm256_and_si256(_mm256_and_si256(h1_, l1_), h2_);          \
    __m256i m_ = _mm256_or_si256(_mm256_subs_epu8(p2_, is3), _mm256_subs_epu8(p3_, is4)); \
    m_ = _mm256_and_si256(m_, hi80);                                          \
    (error) = _mm256_or_si256((error), _mm256_xor_si256(m_, sc_));           \
} while (0)

WSF_TARGET_AVX2
static size_t wsf_utf8_blocks_avx2(const uint8_t *s, size_t n)
{
    const __m256i t1h = _mm256_setr_epi8(WSF_B1H, WSF_B1H);
    const __m256i t1l = _mm256_setr_epi8(WSF_B1L, WSF_B1L);
    const __m256i t2h = _mm256_setr_epi8(WSF_B2H, WSF_B2H);
    const __m256i nib = _mm256_set1_epi8(0x0F);
    const __m256i hi80 = _mm256_set1_epi8((char)0x80);
    const __m256i is3 = _mm256_set1_epi8(WSF_IS3_SUB);
    const __m256i is4 = _mm256_set1_epi8(WSF_IS4_SUB);
    const __m256i maxv = _mm256_setr_epi8(
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
        -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, (char)0xEF,
        (char)0xDF, (char)0xBF);
    __m256i prev = _mm256_setzero_si256(), incomplete = _mm256_setzero_si256();
    size_t i = 0;
    /* Groups of 128 bytes: one ASCII test, or four checks and one error
     * test (an error is reported at the group's start). */
    for (; i + 128 <= n; i += 128) {
        __m256i a0 = _mm256_loadu_si256((const __m256i *)(s + i));
        __m256i a1 = _mm256_loadu_si256((const __m256i *)(s + i + 32));
        __m256i a2 = _mm256_loadu_si256((const __m256i *)(s + i + 64));
        __m256i a3 = _mm256_loadu_si256((const __m256i *)(s + i + 96));
        __m256i any = _mm256_or_si256(_mm256_or_si256(a0, a1),
                                      _mm256_or_si256(a2, a3));
        __m256i error;
        if (_mm256_movemask_epi8(any) == 0) {
            error = incomplete; /* a sequence cut short by ASCII */
        } else {
            error = _mm256_setzero_si256();
            WSF_AVX2_CHECK(a0, prev, error);
            WSF_AVX2_CHECK(a1, a0, error);
            WSF_AVX2_CHECK(a2, a1, error);
            WSF_AVX2_CHECK(a3, a2, error);
        }
        if (!_mm256_testz_si256(error, error)) {
            return i;
        }
        incomplete = _mm256_subs_epu8(a3, maxv);
        prev = a3;
    }
    for (; i < n; i += 64) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(s + i));
        __m256i b = _mm256_loadu_si256((const __m256i *)(s + i + 32));
        __m256i error;
        if (_mm256_movemask_epi8(_mm256_or_si256(a, b)) == 0) {
            error = incomplete;
        } else {
            error = _mm256_setzero_si256();
            WSF_AVX2_CHECK(a, prev, error);
            WSF_AVX2_CHECK(b, a, error);
        }
        if (!_mm256_testz_si256(error, error)) {
            return i;
        }
        incomplete = _mm256_subs_epu8(b, maxv);
        prev = b;
    }
    return n;
}

/* ---- AVX-512 F+BW (512-bit) ---- */
#define WSF_AVX512_CHECK(input, prev_input, error) do {                       \
    __m512i pp_ = _mm512_alignr_epi64((input), (prev_input), 6);              \
    __m512i p1_ = _mm512_alignr_epi8((input), pp_, 15);                       \
    __m512i p2_ = _mm512_alignr_epi8((input), pp_, 14);                       \
    __m512i p3_ = _mm512_alignr_epi8((input), pp_, 13);                       \
    __m512i h1_ = _mm512_shuffle_epi8(t1h, _mm512_and_si512(_mm512_srli_epi16(p1_, 4), nib)); \
    __m512i l1_ = _mm512_shuffle_epi8(t1l, _mm512_and_si512(p1_, nib));       \
    __m512i h2_ = _mm512_shuffle_epi8(t2h, _mm512_and_si512(_mm512_srli_epi16((input), 4), nib)); \
    __m512i sc_ = _mm512_and_si512(_mm512_and_si512(h1_, l1_), h2_);          \
    __m512i m_ = _mm512_or_si512(_mm512_subs_epu8(p2_, is3), _mm512_subs_epu8(p3_, is4)); \
    m_ = _mm512_and_si512(m_, hi80);                                          \
    (error) = _mm512_or_si512((error), _mm512_xor_si512(m_, sc_));           \
} while (0)

WSF_TARGET_AVX512
static size_t wsf_utf8_blocks_avx512(const uint8_t *s, size_t n)
{
    const __m512i t1h = _mm512_broadcast_i32x4(_mm_setr_epi8(WSF_B1H));
    const __m512i t1l = _mm512_broadcast_i32x4(_mm_setr_epi8(WSF_B1L));
    const __m512i t2h = _mm512_broadcast_i32x4(_mm_setr_epi8(WSF_B2H));
    const __m512i nib = _mm512_set1_epi8(0x0F);
    const __m512i hi80 = _mm512_set1_epi8((char)0x80);
    const __m512i is3 = _mm512_set1_epi8(WSF_IS3_SUB);
    const __m512i is4 = _mm512_set1_epi8(WSF_IS4_SUB);
    /* 0xFF everywhere but the last three bytes (EF DF BF). */
    const __m512i maxv = _mm512_mask_blend_epi8(
        0xE000000000000000ULL, _mm512_set1_epi8(-1),
        _mm512_broadcast_i32x4(_mm_setr_epi8(
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, WSF_MAX_TAIL)));
    __m512i prev = _mm512_setzero_si512(), incomplete = _mm512_setzero_si512();
    size_t i = 0;
    /* Groups of 256 bytes: one ASCII test, or four checks and one error
     * test (an error is reported at the group's start; the caller's scalar
     * pass finds the exact byte). */
    for (; i + 256 <= n; i += 256) {
        __m512i a0 = _mm512_loadu_si512((const void *)(s + i));
        __m512i a1 = _mm512_loadu_si512((const void *)(s + i + 64));
        __m512i a2 = _mm512_loadu_si512((const void *)(s + i + 128));
        __m512i a3 = _mm512_loadu_si512((const void *)(s + i + 192));
        __m512i any = _mm512_or_si512(_mm512_or_si512(a0, a1),
                                      _mm512_or_si512(a2, a3));
        __m512i error;
        if (_mm512_movepi8_mask(any) == 0) {
            error = incomplete; /* a sequence cut short by ASCII */
        } else {
            error = _mm512_setzero_si512();
            WSF_AVX512_CHECK(a0, prev, error);
            WSF_AVX512_CHECK(a1, a0, error);
            WSF_AVX512_CHECK(a2, a1, error);
            WSF_AVX512_CHECK(a3, a2, error);
        }
        if (_mm512_test_epi8_mask(error, error) != 0) {
            return i;
        }
        incomplete = _mm512_subs_epu8(a3, maxv);
        prev = a3;
    }
    for (; i < n; i += 64) {
        __m512i a = _mm512_loadu_si512((const void *)(s + i));
        __m512i error;
        if (_mm512_movepi8_mask(a) == 0) {
            error = incomplete;
        } else {
            error = _mm512_setzero_si512();
            WSF_AVX512_CHECK(a, prev, error);
        }
        if (_mm512_test_epi8_mask(error, error) != 0) {
            return i;
        }
        incomplete = _mm512_subs_epu8(a, maxv);
        prev = a;
    }
    return n;
}

#endif /* WSF_ARCH_X86_64 */

#if defined(WSF_ARCH_ARM64)
/* ---- NEON (128-bit) ---- */
#define WSF_NEON_CHECK(input, prev_input, error) do {                         \
    uint8x16_t p1_ = vextq_u8((prev_input), (input), 15);                     \
    uint8x16_t p2_ = vextq_u8((prev_input), (input), 14);                     \
    uint8x16_t p3_ = vextq_u8((prev_input), (input), 13);                     \
    uint8x16_t h1_ = vqtbl1q_u8(t1h, vshrq_n_u8(p1_, 4));                     \
    uint8x16_t l1_ = vqtbl1q_u8(t1l, vandq_u8(p1_, nib));                     \
    uint8x16_t h2_ = vqtbl1q_u8(t2h, vshrq_n_u8((input), 4));                 \
    uint8x16_t sc_ = vandq_u8(vandq_u8(h1_, l1_), h2_);                       \
    uint8x16_t m_ = vorrq_u8(vqsubq_u8(p2_, is3), vqsubq_u8(p3_, is4));       \
    m_ = vandq_u8(m_, hi80);                                                  \
    (error) = vorrq_u8((error), veorq_u8(m_, sc_));                          \
} while (0)

static const uint8_t wsf_neon_t1h[16] = {WSF_B1H};
static const uint8_t wsf_neon_t1l[16] = {WSF_B1L};
static const uint8_t wsf_neon_t2h[16] = {WSF_B2H};
static const uint8_t wsf_neon_max[16] = {
    255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    WSF_MAX_TAIL};

static inline size_t wsf_utf8_blocks_neon(const uint8_t *s, size_t n)
{
    const uint8x16_t t1h = vld1q_u8(wsf_neon_t1h);
    const uint8x16_t t1l = vld1q_u8(wsf_neon_t1l);
    const uint8x16_t t2h = vld1q_u8(wsf_neon_t2h);
    const uint8x16_t maxv = vld1q_u8(wsf_neon_max);
    const uint8x16_t nib = vdupq_n_u8(0x0F);
    const uint8x16_t hi80 = vdupq_n_u8(0x80);
    const uint8x16_t is3 = vdupq_n_u8(WSF_IS3_SUB);
    const uint8x16_t is4 = vdupq_n_u8(WSF_IS4_SUB);
    uint8x16_t prev = vdupq_n_u8(0), incomplete = vdupq_n_u8(0);
    size_t i;
    for (i = 0; i < n; i += 64) {
        uint8x16_t a = vld1q_u8(s + i);
        uint8x16_t b = vld1q_u8(s + i + 16);
        uint8x16_t c = vld1q_u8(s + i + 32);
        uint8x16_t d = vld1q_u8(s + i + 48);
        uint8x16_t any = vorrq_u8(vorrq_u8(a, b), vorrq_u8(c, d));
        uint8x16_t error;
        if (vmaxvq_u8(any) < 0x80) {
            error = incomplete;
            incomplete = vdupq_n_u8(0);
        } else {
            error = vdupq_n_u8(0);
            WSF_NEON_CHECK(a, prev, error);
            WSF_NEON_CHECK(b, a, error);
            WSF_NEON_CHECK(c, b, error);
            WSF_NEON_CHECK(d, c, error);
            incomplete = vqsubq_u8(d, maxv);
        }
        if (vmaxvq_u8(error) != 0) {
            return i;
        }
        prev = d;
    }
    return n;
}
#endif /* WSF_ARCH_ARM64 */

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

/* Below this length the scalar DFA beats copying into a padded block. */
#define WSF_UTF8_VECTOR_MIN 16

/* The SIMD kernel of `level` on s[0..n), n a multiple of 64 (see the
 * wsf_utf8_blocks_* contract); 0 when the level has none. */
static inline size_t wsf_utf8_blocks_level(int level, const uint8_t *s, size_t n)
{
    switch (level) {
#if defined(WSF_ARCH_X86_64)
    case WSF_AVX512:
        return wsf_utf8_blocks_avx512(s, n);
    case WSF_AVX2:
        return wsf_utf8_blocks_avx2(s, n);
    case WSF_SSE4:
        return wsf_utf8_blocks_sse4(s, n);
#endif
#if defined(WSF_ARCH_ARM64)
    case WSF_NEON:
        return wsf_utf8_blocks_neon(s, n);
#endif
    default:
        (void)s;
        (void)n;
        return 0;
    }
}

static inline int wsf_all_ascii(const uint8_t *s, size_t n)
{
    uint64_t acc = 0, w;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        memcpy(&w, s + i, 8);
        acc |= w;
    }
    for (; i < n; i++) {
        acc |= s[i];
    }
    return (acc & 0x8080808080808080ULL) == 0;
}

/* Streaming validation with the kernels of an explicit level. */
static inline ptrdiff_t wsf_utf8_stream_level(int level, wsf_utf8_state *st,
                                              const uint8_t *s, size_t len)
{
    size_t i = 0, n, b, r, t, size;
    ptrdiff_t f;
    uint8_t pad[128];

    if (level == WSF_SCALAR || level == WSF_SSE2 || len < WSF_UTF8_VECTOR_MIN) {
        return wsf_utf8_scalar(st, s, len);
    }
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
    b = n ? i + wsf_utf8_blocks_level(level, s + i, n) : i;
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
        if (wsf_utf8_blocks_level(level, pad, size) == size) {
            return -1;
        }
    }
    /* Re-run the scalar DFA from r: it finds the exact failing byte, and it
     * also carries a sequence the end of the input cuts short into the
     * state. */
    f = wsf_utf8_scalar(st, s + r, len - r);
    return f < 0 ? -1 : (ptrdiff_t)(r + (size_t)f);
}

static inline ptrdiff_t wsf_utf8_stream(wsf_utf8_state *st, const uint8_t *s,
                                        size_t len)
{
    return wsf_utf8_stream_level(wsf_level, st, s, len);
}

static inline ptrdiff_t wsf_utf8_find_invalid_level(int level, const uint8_t *s,
                                                    size_t len)
{
    wsf_utf8_state st;
    ptrdiff_t f;
    wsf_utf8_init(&st);
    f = wsf_utf8_stream_level(level, &st, s, len);
    if (f >= 0) {
        return f - st.seen;
    }
    if (st.need) {
        return (ptrdiff_t)len - st.seen; /* truncated: starts at its lead */
    }
    return -1;
}

static inline ptrdiff_t wsf_utf8_find_invalid(const uint8_t *s, size_t len)
{
    return wsf_utf8_find_invalid_level(wsf_level, s, len);
}

static inline ptrdiff_t wsf_unmask_utf8_stream_level(
    int level, wsf_utf8_state *st, uint8_t *dst, const uint8_t *src,
    size_t len, const uint8_t key[4], size_t phase)
{
    size_t i = 0, n;
    ptrdiff_t f;
    while (i < len) {
        n = len - i < WSF_FUSED_BLOCK ? len - i : WSF_FUSED_BLOCK;
        if (n < WSF_MASK_SMALL) {
            wsf_mask_scalar(dst + i, src + i, n, key, (phase + i) & 3);
        } else {
            wsf_mask_level(level, dst + i, src + i, n, key, (phase + i) & 3);
        }
        f = wsf_utf8_stream_level(level, st, dst + i, n);
        if (f >= 0) {
            return (ptrdiff_t)i + f;
        }
        i += n;
    }
    return -1;
}

static inline ptrdiff_t wsf_unmask_utf8_stream(wsf_utf8_state *st, uint8_t *dst,
                                               const uint8_t *src, size_t len,
                                               const uint8_t key[4], size_t phase)
{
    return wsf_unmask_utf8_stream_level(wsf_level, st, dst, src, len, key, phase);
}

#endif /* WSF_UTF8_H */
