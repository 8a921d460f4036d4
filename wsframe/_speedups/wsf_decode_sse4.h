/*
 * wsf_decode_sse4.h -- the transcoder's SSE4.1 steps and stages (16 bytes a step).
 * Included once, by wsf_dispatch.h, after wsf_decode_vec.h and this ISA's
 * instantiation of wsf_decode_body.h / wsf_decode_lanes_body.h.
 */
#ifndef WSF_DECODE_SSE4_H
#define WSF_DECODE_SSE4_H

#if defined(WSF_ARCH_X86_64)

/* ---- SSE4.1 steps: one 16-byte chunk at s (s[0..19) readable), at most
 * 16 code points written from out + *po. ---- */

/* Positions that start a character: not 10xxxxxx. */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE unsigned wsf_dec_keep_sse4(__m128i a)
{
    return ~(unsigned)_mm_movemask_epi8(_mm_cmplt_epi8(a, _mm_set1_epi8(-64)))
           & 0xFFFF;
}

/* ---- Uniform runs: 16 bytes whose characters all have one width (every
 * second byte a 2-byte lead, every third a 3-byte lead, every fourth a
 * 4-byte lead, from the first lead at offset r) have a fixed layout, so
 * they decode with fixed shuffles and shifts: no compaction tables, no
 * per-position arithmetic.  Text in one script (Cyrillic, Greek, CJK,
 * emoji, accented Latin) is mostly such runs.  Each returns 0 (not a run:
 * the caller's general step runs) or the code points it wrote at out.
 * `keep` is wsf_dec_keep_sse4(a): a run needs every character start to be
 * a lead of the run's width, so an ASCII byte or another width among them
 * is never dropped.  The loads read at most s[0..19) (the steps' 3 bytes of
 * look-ahead); ill-formed input (a broken promise) gives unspecified code
 * points, UCS-4 ones clamped to U+10FFFF, and never more than 8 (UCS-1/2)
 * or 4 (UCS-4) of them. ---- */

/* Bit j set: byte j of a, masked with `mask`, equals `lead`. */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE unsigned wsf_dec_leads_sse4(__m128i a, char mask,
                                                             char lead)
{
    return (unsigned)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_and_si128(a, _mm_set1_epi8(mask)), _mm_set1_epi8(lead)));
}

/* The offset r (0..w-1) of a run of w-byte characters: `leads` (the w-byte
 * leads) has its bits at r, r + w, ... (the pattern `base` shifted by r) and
 * is every character start (`keep`); -1 when not a run.  `all` is the
 * block's positions: 0xFFFF (16 bytes) or 0xFFFFFFFF (AVX2's 32); the bits
 * shifted out of it are positions of the next block. */
static inline int wsf_dec_run_at(uint32_t leads, uint32_t keep, uint32_t base, unsigned w,
                                 uint32_t all)
{
    unsigned r;
    if (leads != keep) {
        return -1;
    }
    for (r = 0; r < w; r++) {
        if (leads == ((base << r) & all)) {
            return (int)r;
        }
    }
    return -1;
}

/* What a run checks of itself in the one-pass decoder (wsf_dec_vloop16
 * below): the code points it decodes, kept as running minima and maxima.
 * Every ill-formed sequence a run's fixed layout can hold is a code point
 * out of its width's range (RFC 3629 section 4): a 2-byte one below U+0080
 * (C0, C1 leads), a 3-byte one below U+0800 (E0 80..9F) or a surrogate
 * (ED A0..BF), a 4-byte one below U+10000 (F0 80..8F) or above U+10FFFF
 * (F4 90..BF, F5..F7 leads).  sur keeps cp - D800 (below 0x800: a
 * surrogate).  Callers that do not validate pass a local one the compiler
 * drops. */
typedef struct {
    __m128i min2, min3, sur, min4, max4;
} wsf_dec_chk_sse4;

WSF_TARGET_SSE4 WSF_ALWAYS_INLINE void wsf_dec_chk_init_sse4(wsf_dec_chk_sse4 *z)
{
    z->min2 = z->min3 = z->sur = z->min4 = _mm_set1_epi8(-1);
    z->max4 = _mm_setzero_si128();
}

/* Non-zero when a run held an ill-formed sequence. */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE int wsf_dec_chk_bad_sse4(const wsf_dec_chk_sse4 *z)
{
    return (_mm_cvtsi128_si32(_mm_minpos_epu16(z->min2)) & 0xFFFF) < 0x80
           || (_mm_cvtsi128_si32(_mm_minpos_epu16(_mm_min_epu16(
                   _mm_srli_epi16(z->min3, 11), _mm_srli_epi16(z->sur, 11))))
               & 0xFFFF) == 0
           || _mm_movemask_epi8(_mm_or_si128(
                  _mm_cmpeq_epi32(_mm_min_epu32(z->min4, _mm_set1_epi32(0xFFFF)), z->min4),
                  _mm_cmpeq_epi32(_mm_max_epu32(z->max4, _mm_set1_epi32(0x110000)),
                                  z->max4))) != 0;
}

/* 2-byte run: the 8 characters at s + r (r = 0 or 1, *pr) in 16-bit
 * lanes, the lead in each lane's low byte: the 11-bit code points, or 0 if
 * no run. */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE int wsf_dec_run2_lanes_sse4(const uint8_t *s, __m128i a,
                                                            unsigned keep, __m128i *pair,
                                                            int *pr)
{
    int r = wsf_dec_run_at(wsf_dec_leads_sse4(a, (char)0xE0, (char)0xC0), keep, 0x5555, 2, 0xFFFF);
    if (r < 0) {
        return 0;
    }
    *pair = r == 0 ? a : _mm_loadu_si128((const __m128i *)(s + 1));
    *pr = r;
    return 1;
}

/* Latin-1 output of a 2-byte run: (lead << 6 | cont & 3F) in 8 bits. */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE size_t wsf_dec_run1_sse4(const uint8_t *s, __m128i a,
                                                         unsigned keep, uint8_t *out)
{
    __m128i x, v;
    int r;
    if (!wsf_dec_run2_lanes_sse4(s, a, keep, &x, &r)) {
        return 0;
    }
    v = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(x, _mm_set1_epi16(0x03)), 6),
                     _mm_and_si128(_mm_srli_epi16(x, 8), _mm_set1_epi16(0x3F)));
    _mm_storel_epi64((__m128i *)out, _mm_packus_epi16(v, v));
    return 8;
}

/* A 2-byte run (8 code points) or a 3-byte run (5 or 6) in the 16-bit
 * lanes of *v (the lanes past the count are zero); returns the count, or 0
 * if no run.  *pr: the run's offset r; *pnx: the continuation bytes of its
 * last character that lie past the 16 bytes (the next block's r); the code
 * points go into z. */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE size_t wsf_dec_run16c_sse4(const uint8_t *s, __m128i a,
                                                           unsigned keep, __m128i *v,
                                                           wsf_dec_chk_sse4 *z, int *pr,
                                                           int *pnx)
{
    __m128i x;
    int r;
    if (wsf_dec_run2_lanes_sse4(s, a, keep, &x, pr)) {
        *v = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(x, _mm_set1_epi16(0x1F)), 6),
                          _mm_and_si128(_mm_srli_epi16(x, 8), _mm_set1_epi16(0x3F)));
        z->min2 = _mm_min_epu16(z->min2, *v);
        *pnx = *pr; /* the last lead is at 14 + r */
        return 8;
    }
    /* leads at 0, 3, ..., 15 (r = 0): the sixth one's bytes end at s[17] */
    r = wsf_dec_run_at(wsf_dec_leads_sse4(a, (char)0xF0, (char)0xE0), keep, 0x9249, 3, 0xFFFF);
    if (r < 0) {
        return 0;
    }
    x = _mm_loadu_si128((const __m128i *)(s + r));
    {
        /* lane k: (last | middle << 8) and (lead << 8) of the character
         * at 3k; code point = lead nibble, 6 + 6 payload bits. */
        const __m128i tail = _mm_setr_epi8(2, 1, 5, 4, 8, 7, 11, 10, 14, 13, -1, -1,
                                           -1, -1, -1, -1);
        const __m128i head = _mm_setr_epi8(-1, 0, -1, 3, -1, 6, -1, 9, -1, 12, -1, -1,
                                           -1, -1, -1, -1);
        __m128i t = _mm_shuffle_epi8(x, tail);
        *v = _mm_or_si128(
            _mm_or_si128(_mm_and_si128(t, _mm_set1_epi16(0x3F)),
                         _mm_srli_epi16(_mm_and_si128(t, _mm_set1_epi16(0x3F00)), 2)),
            _mm_slli_epi16(_mm_shuffle_epi8(x, head), 4));
    }
    *pr = r;
    *pnx = r == 0 ? 2 : r - 1; /* the last lead is at 15, 13 or 14 */
    if (r == 0) {
        *v = _mm_insert_epi16(*v, (int)(((s[15] & 0x0Fu) << 12) | ((s[16] & 0x3Fu) << 6)
                                        | (s[17] & 0x3Fu)), 5);
    }
    {
        /* the lanes past the count read as U+FFFF, a valid code point */
        __m128i w = _mm_or_si128(*v, r == 0 ? _mm_setr_epi16(0, 0, 0, 0, 0, 0, -1, -1)
                                            : _mm_setr_epi16(0, 0, 0, 0, 0, -1, -1, -1));
        z->min3 = _mm_min_epu16(z->min3, w);
        z->sur = _mm_min_epu16(z->sur, _mm_sub_epi16(w, _mm_set1_epi16((short)0xD800)));
    }
    return r == 0 ? 6 : 5;
}

/* UCS-2 output of a 2-byte or 3-byte run (checked: wsf_dec_run16c_sse4). */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE size_t wsf_dec_run2c_sse4(const uint8_t *s, __m128i a,
                                                          unsigned keep, uint16_t *out,
                                                          wsf_dec_chk_sse4 *z, int *pr,
                                                          int *pnx)
{
    __m128i v;
    size_t k = wsf_dec_run16c_sse4(s, a, keep, &v, z, pr, pnx);
    if (k) {
        _mm_storeu_si128((__m128i *)out, v);
    }
    return k;
}

/* UCS-4 output of a 4-byte run (4 code points from s + r, r = 0..3), or
 * of a 2- or 3-byte run (checked as wsf_dec_run16c_sse4). */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE size_t wsf_dec_run4c_sse4(const uint8_t *s, __m128i a,
                                                          unsigned keep, uint32_t *out,
                                                          wsf_dec_chk_sse4 *z, int *pr,
                                                          int *pnx)
{
    unsigned lead4 = wsf_dec_leads_sse4(a, (char)0xF8, (char)0xF0);
    int r;
    __m128i y;
    size_t k;
    if (lead4 == 0) { /* text of another width: a 2- or 3-byte run, widened */
        k = wsf_dec_run16c_sse4(s, a, keep, &y, z, pr, pnx);
        if (k) {
            _mm_storeu_si128((__m128i *)out, _mm_cvtepu16_epi32(y));
            _mm_storeu_si128((__m128i *)(out + 4), _mm_cvtepu16_epi32(_mm_srli_si128(y, 8)));
        }
        return k;
    }
    r = wsf_dec_run_at(lead4, keep, 0x1111, 4, 0xFFFF);
    if (r < 0) {
        return 0;
    }
    /* each 32-bit lane byte-reversed: lead << 24 | c1 << 16 | c2 << 8 | c3 */
    y = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(s + r)),
                         _mm_setr_epi8(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12));
    y = _mm_or_si128(
        _mm_or_si128(_mm_and_si128(y, _mm_set1_epi32(0x3F)),
                     _mm_and_si128(_mm_srli_epi32(y, 2), _mm_set1_epi32(0xFC0))),
        _mm_or_si128(_mm_and_si128(_mm_srli_epi32(y, 4), _mm_set1_epi32(0x3F000)),
                     _mm_and_si128(_mm_srli_epi32(y, 6), _mm_set1_epi32(0x1C0000))));
    z->min4 = _mm_min_epu32(z->min4, y);
    z->max4 = _mm_max_epu32(z->max4, y);
    *pr = r;
    *pnx = r; /* the last lead is at 12 + r */
    _mm_storeu_si128((__m128i *)out, _mm_min_epu32(y, _mm_set1_epi32(0x10FFFF)));
    return 4;
}

/* The runs without the checks, for the two-pass steps: a local z that the
 * compiler drops. */
#define WSF_DEC_RUN_UNCHECKED(NAME, CHECKED, OUT)                             \
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE size_t NAME(const uint8_t *s, __m128i a,    \
                                              unsigned keep, OUT out)         \
{                                                                             \
    wsf_dec_chk_sse4 z;                                                       \
    int r, nx;                                                                \
    wsf_dec_chk_init_sse4(&z);                                                \
    return CHECKED(s, a, keep, out, &z, &r, &nx);                             \
}
WSF_DEC_RUN_UNCHECKED(wsf_dec_run16_sse4, wsf_dec_run16c_sse4, __m128i *)
WSF_DEC_RUN_UNCHECKED(wsf_dec_run2_sse4, wsf_dec_run2c_sse4, uint16_t *)
WSF_DEC_RUN_UNCHECKED(wsf_dec_run4_sse4, wsf_dec_run4c_sse4, uint32_t *)

/* Latin-1 output: leads are C2/C3 only, so a 2-byte sequence's code point
 * is (lead << 6 | cont & 3F) in 8 bits.  The general block: every position
 * computed, then compacted by the character starts `keep`. */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE void wsf_dec_gen1_sse4(const uint8_t *s, __m128i a,
                                                       unsigned keep, uint8_t *out,
                                                       size_t *po)
{
    __m128i a1 = _mm_loadu_si128((const __m128i *)(s + 1));
    __m128i v2 = _mm_or_si128(
        _mm_and_si128(_mm_slli_epi16(a, 6), _mm_set1_epi8((char)0xC0)),
        _mm_and_si128(a1, _mm_set1_epi8(0x3F)));
    __m128i v = _mm_blendv_epi8(a, v2, a); /* non-ASCII positions: v2 */
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

/* NAME: one 16-byte block at s (a) -> its code points at out + *po (T):
 * a uniform run stored by RUN, else the general block GEN. */
#define WSF_DEC_STEP(NAME, T, RUN, GEN)                                       \
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE void NAME(const uint8_t *s, __m128i a, T *out, \
                                            size_t *po)                       \
{                                                                             \
    unsigned keep = wsf_dec_keep_sse4(a);                                     \
    size_t run = RUN(s, a, keep, out + *po);                                  \
    if (run) {                                                                \
        *po += run;                                                           \
        return;                                                               \
    }                                                                         \
    GEN(s, a, keep, out, po);                                                 \
}
WSF_DEC_STEP(wsf_dec_step1_sse4, uint8_t, wsf_dec_run1_sse4, wsf_dec_gen1_sse4)

/* UCS-2 output, 8 positions (low halves of b0, c1, c2) in 16-bit lanes. */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE void wsf_dec_half2_sse4(__m128i b0, __m128i c1,
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

/* UCS-2 output of the general block. */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE void wsf_dec_gen2_sse4(const uint8_t *s, __m128i a,
                                                       unsigned keep, uint16_t *out,
                                                       size_t *po)
{
    const __m128i m3f = _mm_set1_epi8(0x3F);
    __m128i c1 = _mm_and_si128(_mm_loadu_si128((const __m128i *)(s + 1)), m3f);
    __m128i c2 = _mm_and_si128(_mm_loadu_si128((const __m128i *)(s + 2)), m3f);
    wsf_dec_half2_sse4(a, c1, c2, keep & 0xFF, out, po);
    wsf_dec_half2_sse4(_mm_srli_si128(a, 8), _mm_srli_si128(c1, 8),
                       _mm_srli_si128(c2, 8), keep >> 8, out, po);
}

/* (Also the one-pass loop's step for blocks that are not runs.) */
WSF_DEC_STEP(wsf_dec_step2_sse4, uint16_t, wsf_dec_run2_sse4, wsf_dec_gen2_sse4)

/* ---- Text in one alphabet of 2-byte letters (Cyrillic, Greek, accented
 * Latin: Latin-1 and UCS-2 output).  After a 16-byte block that is a
 * uniform 2-byte run at offset r, the blocks after it are taken at the same
 * offset while they are runs too, as AVX2's WSF_DEC_RUNS32 does: one masked
 * compare tells such a block (a lead 110xxxxx at every even byte, a
 * continuation at every odd one), and it needs no character-start mask, no
 * offset search and none of the general block's loads. ---- */

/* Whether the 16 bytes x are 8 whole 2-byte characters. */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE int wsf_dec_is_run2_sse4(__m128i x)
{
    return _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_and_si128(x, _mm_set1_epi16((short)0xC0E0)),
                                            _mm_set1_epi16((short)0x80C0))) == 0xFFFF;
}

/* The 8 11-bit code points of such x ((lead & 1F) << 6 | cont & 3F, one
 * multiply-add), stored as UCS-2, or as Latin-1 (saturated to 8 bits). */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE __m128i wsf_dec_two8_sse4(__m128i x)
{
    return _mm_maddubs_epi16(_mm_and_si128(x, _mm_set1_epi16(0x3F1F)), _mm_set1_epi16(0x0140));
}
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE void wsf_dec_two8_ucs2_sse4(__m128i x, uint16_t *out)
{
    _mm_storeu_si128((__m128i *)out, wsf_dec_two8_sse4(x));
}
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE void wsf_dec_two8_ucs1_sse4(__m128i x, uint8_t *out)
{
    __m128i v = wsf_dec_two8_sse4(x);
    _mm_storel_epi64((__m128i *)out, _mm_packus_epi16(v, v));
}

/* NAME: the 16-byte block at s + *pi (a, not all ASCII) -> its code points
 * at out + *po (T: Latin-1 or UCS-2).  A uniform 2-byte run is stored by
 * PUT, then the blocks after it while they are runs too, within the bounds
 * of WSF_DEC_LOOP for each (*pi: the last block taken); any other block
 * takes GEN. */
#define WSF_DEC_BLOCK2(NAME, T, PUT, GEN)                                     \
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE void NAME(const uint8_t *s, size_t n, size_t *pi, \
                                            __m128i a, T *out, size_t nout,  \
                                            size_t *po)                       \
{                                                                             \
    size_t i = *pi, o = *po;                                                  \
    unsigned keep = wsf_dec_keep_sse4(a);                                     \
    __m128i x;                                                                \
    int r;                                                                    \
    if (!wsf_dec_run2_lanes_sse4(s + i, a, keep, &x, &r)) {                   \
        GEN(s + i, a, keep, out, po);                                         \
        return;                                                               \
    }                                                                         \
    PUT(x, out + o);                                                          \
    o += 8;                                                                   \
    while (n - i >= 16 + 19 && nout - o >= 16) {                              \
        x = _mm_loadu_si128((const __m128i *)(s + i + 16 + r));               \
        if (!wsf_dec_is_run2_sse4(x)) {                                       \
            break;                                                            \
        }                                                                     \
        PUT(x, out + o);                                                      \
        o += 8;                                                               \
        i += 16;                                                              \
    }                                                                         \
    *pi = i;                                                                  \
    *po = o;                                                                  \
}
WSF_DEC_BLOCK2(wsf_dec_block1_sse4, uint8_t, wsf_dec_two8_ucs1_sse4, wsf_dec_gen1_sse4)
WSF_DEC_BLOCK2(wsf_dec_block2_sse4, uint16_t, wsf_dec_two8_ucs2_sse4, wsf_dec_gen2_sse4)

/* ---- The general block (UCS-4 output): positions in even/odd 16-bit
 * lanes.  The 16 bytes at s read as eight 16-bit lanes hold (s[2k],
 * s[2k+1]): the first two bytes of the sequence at every even position;
 * read at s + 1 they are those of every odd position, and at s + 2, s + 3
 * the next two bytes.  So no byte is widened: pmaddubsw makes
 * p = b0 * 64 + b1 per lane, and valid UTF-8 puts p, at a character start,
 * in disjoint ranges: ASCII <= 20B4, 2-byte leads 3100..387F, 3-byte
 * 38A0..3C7F, 4-byte 3C90..3D8F.  The marker bits of the lead and of the
 * continuations are subtracted as constants; 16-bit arithmetic drops the
 * bits above 16 by itself. ---- */

/* Its constants, loaded from memory through a pointer the compiler cannot
 * see through (wsf_dec_k16_sse4): as constants GCC builds them in registers
 * under AVX2 (a move, a vmovd and a broadcast each, again each time
 * register pressure evicts one), where a load is one instruction or none
 * (a memory operand). */
enum {
    WSF_DEC_K_W = 0, WSF_DEC_K_2, WSF_DEC_K_82, WSF_DEC_K_FF, WSF_DEC_K_3, WSF_DEC_K_7F,
    WSF_DEC_K_F000, WSF_DEC_K_2080, WSF_DEC_K_H, WSF_DEC_K_10, WSF_DEC_K_4, WSF_DEC_K_N
};
/* One list, two tables: 8 to a row here, 16 to a row for AVX2's 256-bit
 * registers (wsf_dec_k32, wsf_decode_avx2.h, which adds its own after). */
#define WSF_DEC_KLIST(K)                                                      \
    K(0x0140) /* pmaddubsw weights: b0 * 64 + b1 */                           \
    K(0x3080) /* 2-byte markers: C0 << 6 | 80 */                              \
    K(0x0082) /* 3-byte markers (80 << 6 | 80) >> 6 */                        \
    K(0x00FF)                                                                 \
    K(0x387F) /* p above: a 3- or 4-byte lead */                              \
    K(0x007F)                                                                 \
    K(0xF000)                                                                 \
    K(0x2080) /* 80 << 6 | 80 */                                              \
    K(0x3C80) /* F0 << 6 | 80 */                                              \
    K(0x0010)                                                                 \
    K(0x3C7F) /* p above: a 4-byte lead */
#define WSF_DEC_K8(x) {x, x, x, x, x, x, x, x},
WSF_DEC_ALIGN16_PRE static const uint16_t wsf_dec_k16[][8] WSF_DEC_ALIGN16_POST = {
    WSF_DEC_KLIST(WSF_DEC_K8)};
#if defined(__GNUC__) || defined(__clang__)
#  define WSF_DEC_OPAQUE(p) __asm__("" : "+r"(p))
#else
#  define WSF_DEC_OPAQUE(p) ((void)0)
#endif
WSF_ALWAYS_INLINE const __m128i *wsf_dec_k16_sse4(void)
{
    const __m128i *k = (const __m128i *)(const void *)wsf_dec_k16;
    WSF_DEC_OPAQUE(k);
    return k;
}
#define WSF_DEC_K(i) _mm_load_si128(k + (i))

/* The low 16 bits of the code point at each lane's position (r: its bytes
 * 0, 1; q: 2, 3), from sequences of 1..3 bytes; *pp = p. */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE __m128i wsf_dec_eo3_sse4(const __m128i *k, __m128i r, __m128i q,
                                                         __m128i *pp)
{
    __m128i p = _mm_maddubs_epi16(r, WSF_DEC_K(WSF_DEC_K_W));
    /* 2-byte: p - 3080 (0 at ASCII, by saturation) */
    __m128i v = _mm_subs_epu16(p, WSF_DEC_K(WSF_DEC_K_2));
    /* 3-byte: (p - 82) << 6 + b2 = lead nibble << 12 | c1 << 6 | c2 */
    __m128i v3 = _mm_add_epi16(_mm_slli_epi16(_mm_sub_epi16(p, WSF_DEC_K(WSF_DEC_K_82)), 6),
                               _mm_and_si128(q, WSF_DEC_K(WSF_DEC_K_FF)));
    v = _mm_blendv_epi8(v, v3, _mm_cmpgt_epi16(p, WSF_DEC_K(WSF_DEC_K_3)));
    /* ASCII: b0 (every other code point is above 7F) */
    *pp = p;
    return _mm_max_epu16(v, _mm_and_si128(r, WSF_DEC_K(WSF_DEC_K_7F)));
}

/* With 4-byte sequences too: the low 16 bits ((c1 & F) << 12 | c2 << 6 |
 * c3) replace v at 4-byte leads; *h = bits 16..20 ((p - 3C80) >> 4, 0
 * below, at most 10: ill-formed input is clamped to U+10FFFF). */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE __m128i wsf_dec_eo4_sse4(const __m128i *k, __m128i r, __m128i q,
                                                         __m128i *h)
{
    __m128i p, v = wsf_dec_eo3_sse4(k, r, q, &p);
    __m128i v4 = _mm_sub_epi16(
        _mm_add_epi16(_mm_and_si128(_mm_slli_epi16(r, 4), WSF_DEC_K(WSF_DEC_K_F000)),
                      _mm_maddubs_epi16(q, WSF_DEC_K(WSF_DEC_K_W))),
        WSF_DEC_K(WSF_DEC_K_2080));
    *h = _mm_min_epu16(_mm_srli_epi16(_mm_subs_epu16(p, WSF_DEC_K(WSF_DEC_K_H)), 4),
                       WSF_DEC_K(WSF_DEC_K_10));
    return _mm_blendv_epi8(v, v4, _mm_cmpgt_epi16(p, WSF_DEC_K(WSF_DEC_K_4)));
}

/* 8 positions in order (16-bit lanes v), compacted with the row of mask m
 * and stored as 32-bit code points: zero-extended, or with bits 16..20
 * from h (compacted alike). */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE void wsf_dec_put3_sse4(__m128i v, unsigned m, uint32_t *out,
                                                       size_t *po)
{
    size_t o = *po;
    v = _mm_shuffle_epi8(v, _mm_load_si128((const __m128i *)wsf_dec_pos16[m]));
    _mm_storeu_si128((__m128i *)(out + o), _mm_cvtepu16_epi32(v));
    _mm_storeu_si128((__m128i *)(out + o + 4), _mm_unpackhi_epi16(v, _mm_setzero_si128()));
    *po = o + wsf_dec_cnt[m];
}

WSF_TARGET_SSE4 WSF_ALWAYS_INLINE void wsf_dec_put4_sse4(__m128i v, __m128i h, unsigned m,
                                                       uint32_t *out, size_t *po)
{
    __m128i idx = _mm_load_si128((const __m128i *)wsf_dec_pos16[m]);
    size_t o = *po;
    v = _mm_shuffle_epi8(v, idx);
    h = _mm_shuffle_epi8(h, idx);
    _mm_storeu_si128((__m128i *)(out + o), _mm_unpacklo_epi16(v, h));
    _mm_storeu_si128((__m128i *)(out + o + 4), _mm_unpackhi_epi16(v, h));
    *po = o + wsf_dec_cnt[m];
}

/* UCS-4 output of any 16 bytes at s (s[0..19) readable); has4: the chunk
 * holds a 4-byte lead (F0..F7; F8..FF, never in UTF-8, take the 3-byte
 * arithmetic, 16 bits at most). */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE void wsf_dec_any4_sse4(const uint8_t *s, __m128i a,
                                                       unsigned keep, int has4,
                                                       uint32_t *out, size_t *po)
{
    __m128i a1 = _mm_loadu_si128((const __m128i *)(s + 1));
    __m128i a2 = _mm_loadu_si128((const __m128i *)(s + 2));
    __m128i a3 = _mm_loadu_si128((const __m128i *)(s + 3));
    const __m128i *k = wsf_dec_k16_sse4();
    __m128i ve, vo, he, ho;
    /* even and odd lanes interleaved: positions 0..7, then 8..15 */
    if (has4) {
        ve = wsf_dec_eo4_sse4(k, a, a2, &he);
        vo = wsf_dec_eo4_sse4(k, a1, a3, &ho);
        wsf_dec_put4_sse4(_mm_unpacklo_epi16(ve, vo), _mm_unpacklo_epi16(he, ho), keep & 0xFF,
                          out, po);
        wsf_dec_put4_sse4(_mm_unpackhi_epi16(ve, vo), _mm_unpackhi_epi16(he, ho), keep >> 8,
                          out, po);
    } else { /* bits 16..20 are zero */
        ve = wsf_dec_eo3_sse4(k, a, a2, &he);
        vo = wsf_dec_eo3_sse4(k, a1, a3, &ho);
        wsf_dec_put3_sse4(_mm_unpacklo_epi16(ve, vo), keep & 0xFF, out, po);
        wsf_dec_put3_sse4(_mm_unpackhi_epi16(ve, vo), keep >> 8, out, po);
    }
}

WSF_TARGET_SSE4 WSF_ALWAYS_INLINE void wsf_dec_step4_sse4(const uint8_t *s,
                                                        __m128i a,
                                                        uint32_t *out, size_t *po)
{
    unsigned keep = wsf_dec_keep_sse4(a);
    unsigned lead4 = wsf_dec_leads_sse4(a, (char)0xF8, (char)0xF0);
    size_t run;
    /* A uniform run has no ASCII character: blocks of 1..3-byte text with
     * one (mixed text) skip the run tests (4-byte leads test themselves:
     * wsf_dec_run4_sse4 starts with them). */
    if ((lead4 != 0 || (keep & ~(unsigned)_mm_movemask_epi8(a)) == 0)
        && (run = wsf_dec_run4_sse4(s, a, keep, out + *po)) != 0) {
        *po += run;
        return;
    }
    wsf_dec_any4_sse4(s, a, keep, lead4 != 0, out, po);
}

/* All-ASCII chunk: widen 16 bytes to 16 code points (UCS-4: unpacks with
 * zero, four shuffles where pmovzx needs three byte shifts more). */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE void wsf_dec_ascii2_sse4(__m128i a, uint16_t *out)
{
    _mm_storeu_si128((__m128i *)out, _mm_cvtepu8_epi16(a));
    _mm_storeu_si128((__m128i *)(out + 8), _mm_cvtepu8_epi16(_mm_srli_si128(a, 8)));
}

WSF_TARGET_SSE4 WSF_ALWAYS_INLINE void wsf_dec_ascii4_sse4(__m128i a, uint32_t *out)
{
    const __m128i z = _mm_setzero_si128();
    __m128i lo = _mm_unpacklo_epi8(a, z), hi = _mm_unpackhi_epi8(a, z);
    _mm_storeu_si128((__m128i *)out, _mm_unpacklo_epi16(lo, z));
    _mm_storeu_si128((__m128i *)(out + 4), _mm_unpackhi_epi16(lo, z));
    _mm_storeu_si128((__m128i *)(out + 8), _mm_unpacklo_epi16(hi, z));
    _mm_storeu_si128((__m128i *)(out + 12), _mm_unpackhi_epi16(hi, z));
}

/* The SSE4 vector stages: 16 bytes per step. */
#define WSF_DEC_V16 __m128i
#define WSF_DEC_LOAD16(p) _mm_loadu_si128((const __m128i *)(const void *)(p))
#define WSF_DEC_ASCII16(a) (_mm_movemask_epi8(a) == 0)
WSF_DEC_STAGE(WSF_TARGET_SSE4, wsf_dec_ucs1_sse4, uint8_t,
    WSF_DEC_LOOP(16, WSF_DEC_V16, WSF_DEC_LOAD16, WSF_DEC_ASCII16,
                 _mm_storeu_si128((__m128i *)(out + o), a),
                 wsf_dec_block1_sse4(s, n, &i, a, out, nout, &o)))
WSF_DEC_STAGE(WSF_TARGET_SSE4, wsf_dec_ucs2_sse4, uint16_t,
    WSF_DEC_LOOP(16, WSF_DEC_V16, WSF_DEC_LOAD16, WSF_DEC_ASCII16,
                 wsf_dec_ascii2_sse4(a, out + o),
                 wsf_dec_block2_sse4(s, n, &i, a, out, nout, &o)))
WSF_DEC_STAGE(WSF_TARGET_SSE4, wsf_dec_ucs4_sse4, uint32_t,
    WSF_DEC_LOOP16(wsf_dec_step4_sse4, wsf_dec_ascii4_sse4(a, out + o)))

#endif

#endif /* WSF_DECODE_SSE4_H */
