/*
 * wsf_decode_onepass.h -- the one-pass decoder's loop (validated=0 callers of
 * wsf_str.h, text with 3- and 4-byte characters): 16-byte blocks transcoded
 * and validated together, and the 48- and 64-byte steps of CJK and emoji
 * text.  Included once, by wsf_dispatch.h, after wsf_decode_sse4.h (whose
 * runs and steps it uses); the loop is instantiated for SSE4 here and for
 * AVX2 in wsf_decode_avx2.h.
 */
#ifndef WSF_DECODE_ONEPASS_H
#define WSF_DECODE_ONEPASS_H

#if defined(WSF_ARCH_X86_64)

/* 48 bytes of 3-byte characters from a character boundary (CJK text):
 * 16 code points in two registers, *lo and *hi, the layout checked as a
 * whole (a 3-byte lead E0..EF at every third byte, continuations between)
 * and the code points into z; 0 when the 48 bytes at s are not such a run.
 * Reads s[0..48) only.  Characters 0..4 of each 24 bytes come from the
 * load at 0, 5..7 from the load at 8. */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE __m128i wsf_dec_cjk8_sse4(__m128i l0, __m128i l1)
{
    const __m128i t0 = _mm_setr_epi8(2, 1, 5, 4, 8, 7, 11, 10, 14, 13, -1, -1, -1, -1, -1, -1);
    const __m128i t1 = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 9, 8, 12, 11, 15,
                                     14);
    const __m128i h0 = _mm_setr_epi8(-1, 0, -1, 3, -1, 6, -1, 9, -1, 12, -1, -1, -1, -1, -1,
                                     -1);
    const __m128i h1 = _mm_setr_epi8(-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, 7, -1, 10, -1,
                                     13);
    /* lane k: (last | middle << 8) and (lead << 8) of character k */
    __m128i t = _mm_or_si128(_mm_shuffle_epi8(l0, t0), _mm_shuffle_epi8(l1, t1));
    __m128i h = _mm_or_si128(_mm_shuffle_epi8(l0, h0), _mm_shuffle_epi8(l1, h1));
    return _mm_or_si128(
        _mm_or_si128(_mm_and_si128(t, _mm_set1_epi16(0x3F)),
                     _mm_srli_epi16(_mm_and_si128(t, _mm_set1_epi16(0x3F00)), 2)),
        _mm_slli_epi16(h, 4));
}

WSF_TARGET_SSE4 WSF_ALWAYS_INLINE int wsf_dec_run48_sse4(const uint8_t *s, __m128i *lo,
                                                       __m128i *hi, wsf_dec_chk_sse4 *z)
{
    /* byte j of the loads at 0 and 24 is j of a 3-cycle, at 8 and 32 j + 2 */
    const __m128i m0 = _mm_setr_epi8(-16, -64, -64, -16, -64, -64, -16, -64, -64, -16, -64,
                                     -64, -16, -64, -64, -16);
    const __m128i v0 = _mm_setr_epi8(-32, -128, -128, -32, -128, -128, -32, -128, -128, -32,
                                     -128, -128, -32, -128, -128, -32);
    const __m128i m1 = _mm_setr_epi8(-64, -16, -64, -64, -16, -64, -64, -16, -64, -64, -16,
                                     -64, -64, -16, -64, -64);
    const __m128i v1 = _mm_setr_epi8(-128, -32, -128, -128, -32, -128, -128, -32, -128, -128,
                                     -32, -128, -128, -32, -128, -128);
    __m128i l0 = _mm_loadu_si128((const __m128i *)s);
    __m128i l1 = _mm_loadu_si128((const __m128i *)(s + 8));
    __m128i l2 = _mm_loadu_si128((const __m128i *)(s + 24));
    __m128i l3 = _mm_loadu_si128((const __m128i *)(s + 32));
    __m128i ok = _mm_and_si128(
        _mm_and_si128(_mm_cmpeq_epi8(_mm_and_si128(l0, m0), v0),
                      _mm_cmpeq_epi8(_mm_and_si128(l1, m1), v1)),
        _mm_and_si128(_mm_cmpeq_epi8(_mm_and_si128(l2, m0), v0),
                      _mm_cmpeq_epi8(_mm_and_si128(l3, m1), v1)));
    const __m128i d800 = _mm_set1_epi16((short)0xD800);
    if (_mm_movemask_epi8(ok) != 0xFFFF) {
        return 0;
    }
    *lo = wsf_dec_cjk8_sse4(l0, l1);
    *hi = wsf_dec_cjk8_sse4(l2, l3);
    /* below U+0800 (overlong) or a surrogate: min3 < 0x800 */
    z->min3 = _mm_min_epu16(_mm_min_epu16(z->min3, _mm_min_epu16(*lo, *hi)),
                            _mm_min_epu16(_mm_sub_epi16(*lo, d800), _mm_sub_epi16(*hi, d800)));
    return 1;
}

WSF_TARGET_SSE4 WSF_ALWAYS_INLINE int wsf_dec_run48_ucs2_sse4(const uint8_t *s, uint16_t *out,
                                                            wsf_dec_chk_sse4 *z)
{
    __m128i lo, hi;
    if (!wsf_dec_run48_sse4(s, &lo, &hi, z)) {
        return 0;
    }
    _mm_storeu_si128((__m128i *)out, lo);
    _mm_storeu_si128((__m128i *)(out + 8), hi);
    return 1;
}

WSF_TARGET_SSE4 WSF_ALWAYS_INLINE int wsf_dec_run48_ucs4_sse4(const uint8_t *s, uint32_t *out,
                                                            wsf_dec_chk_sse4 *z)
{
    __m128i lo, hi;
    if (!wsf_dec_run48_sse4(s, &lo, &hi, z)) {
        return 0;
    }
    _mm_storeu_si128((__m128i *)out, _mm_cvtepu16_epi32(lo));
    _mm_storeu_si128((__m128i *)(out + 4), _mm_cvtepu16_epi32(_mm_srli_si128(lo, 8)));
    _mm_storeu_si128((__m128i *)(out + 8), _mm_cvtepu16_epi32(hi));
    _mm_storeu_si128((__m128i *)(out + 12), _mm_cvtepu16_epi32(_mm_srli_si128(hi, 8)));
    return 1;
}

/* 64 bytes of 4-byte characters from a character boundary (emoji): 16
 * code points, the layout checked as a whole (a lead F0..F7 at every fourth
 * byte, continuations between), the code points into z (F5..F7 leads give
 * code points above U+10FFFF) and stored clamped; 0 when not such a run.
 * Reads s[0..64) only.  Each 32-bit lane's payload bits are gathered by two
 * multiply-adds: (lead << 6 | c1) << 12 | (c2 << 6 | c3). */
WSF_TARGET_SSE4 WSF_ALWAYS_INLINE int wsf_dec_run64_ucs4_sse4(const uint8_t *s, uint32_t *out,
                                                            wsf_dec_chk_sse4 *z)
{
    const __m128i m = _mm_set1_epi32((int)0xC0C0C0F8u), v = _mm_set1_epi32((int)0x808080F0u);
    __m128i l[4], ok, c;
    int k;
    for (k = 0; k < 4; k++) {
        l[k] = _mm_loadu_si128((const __m128i *)(s + 16 * k));
    }
    ok = _mm_and_si128(_mm_and_si128(_mm_cmpeq_epi8(_mm_and_si128(l[0], m), v),
                                     _mm_cmpeq_epi8(_mm_and_si128(l[1], m), v)),
                       _mm_and_si128(_mm_cmpeq_epi8(_mm_and_si128(l[2], m), v),
                                     _mm_cmpeq_epi8(_mm_and_si128(l[3], m), v)));
    if (_mm_movemask_epi8(ok) != 0xFFFF) {
        return 0;
    }
    for (k = 0; k < 4; k++) {
        c = _mm_maddubs_epi16(_mm_and_si128(l[k], _mm_set1_epi32(0x3F3F3F07)),
                              _mm_set1_epi16(0x0140));
        c = _mm_madd_epi16(c, _mm_set1_epi32(0x00011000));
        z->min4 = _mm_min_epu32(z->min4, c);
        z->max4 = _mm_max_epu32(z->max4, c);
        _mm_storeu_si128((__m128i *)(out + 4 * k), _mm_min_epu32(c, _mm_set1_epi32(0x10FFFF)));
    }
    return 1;
}

/* ---- The one-pass loop (validated=0, wsf_str.h): 16-byte blocks
 * transcoded and validated together, so the separate validation pass is
 * only a scan (largest byte, continuation count).  A block that is a
 * uniform run (RUNC) checks itself: its code points (wsf_dec_chk_sse4), and
 * its offset r against `need`, the continuation bytes the block before
 * left for it (an ASCII block needs need == 0).  Any other block (STEP)
 * runs the validator's check (wsf_utf8_check_sse4, the Keiser-Lemire
 * lookup, against the block before) and leaves need unknown (-1): a run
 * after it takes the same check.  *pbad is set when anything failed; the
 * caller then finds the exact position with the validator, and checks the
 * input from the last character boundary before the returned offset
 * itself, transcoding the rest with the two-pass stage
 * (wsf_decode_ucs2v_with). ---- */
/* Mixed text (widths changing every few characters) has few runs, and the
 * check of its other blocks here costs more than the validator's pass at
 * full width: when WSF_DEC_MIXED of the first 40 blocks are not runs (ASCII
 * or general), the loop stops and the caller validates and transcodes the
 * rest as the two-pass path does. */
#define WSF_DEC_MIXED 20
#define WSF_DEC_VLOOP16(RUNC, RUN48, RUN64, STEP, ASCII) {                                  \
    wsf_utf8_consts_sse4 c_;                                                  \
    wsf_dec_chk_sse4 z_;                                                      \
    __m128i prev_ = _mm_setzero_si128(), kerr_ = _mm_setzero_si128();         \
    int need_ = 0, r_ = 0, nx_ = 0, run3_ = 0, run4_ = 0, gen_ = 0;           \
    unsigned bad_ = 0, hi_;                                                   \
    c_.t1h = _mm_loadu_si128((const __m128i *)wsf_utf8_t1h);                  \
    c_.t1l = _mm_loadu_si128((const __m128i *)wsf_utf8_t1l);                  \
    c_.t2h = _mm_loadu_si128((const __m128i *)wsf_utf8_t2h);                  \
    c_.is3 = _mm_set1_epi8((char)WSF_IS3_SUB);                                \
    c_.is4 = _mm_set1_epi8((char)WSF_IS4_SUB);                                \
    c_.hi80 = _mm_set1_epi8((char)0x80);                                      \
    c_.maxv = _mm_loadu_si128((const __m128i *)(wsf_utf8_max + 48));          \
    wsf_dec_chk_init_sse4(&z_);                                               \
    while (n - i >= 19 && nout - o >= 16) {                                   \
        __m128i a;                                                            \
        if (need_ == 0 && run3_ >= 2) {                                       \
            if (n - i >= 51 && RUN48(s + i, out + o, &z_)) {                  \
                prev_ = _mm_loadu_si128((const __m128i *)(s + i + 32));       \
                o += 16;                                                      \
                i += 48;                                                      \
                continue;                                                     \
            }                                                                 \
            run3_ = 0;                                                        \
        }                                                                     \
        if (need_ == 0 && run4_ >= 2) {                                       \
            if (n - i >= 67 && RUN64(s + i, out + o, &z_)) {                  \
                prev_ = _mm_loadu_si128((const __m128i *)(s + i + 48));       \
                o += 16;                                                      \
                i += 64;                                                      \
                continue;                                                     \
            }                                                                 \
            run4_ = 0;                                                        \
        }                                                                     \
        a = _mm_loadu_si128((const __m128i *)(s + i));                        \
        hi_ = (unsigned)_mm_movemask_epi8(a);                                 \
        if (hi_ == 0) {                                                       \
            if (need_ < 0) { /* the block before ended mid-sequence? */      \
                kerr_ = _mm_or_si128(kerr_, _mm_subs_epu8(prev_, c_.maxv));   \
            } else {                                                          \
                bad_ |= (unsigned)need_;                                      \
            }                                                                 \
            ASCII;                                                            \
            o += 16;                                                          \
            need_ = 0;                                                        \
            run3_ = run4_ = 0;                                                \
            gen_++;                                                           \
        } else {                                                              \
            unsigned keep_ = wsf_dec_keep_sse4(a);                            \
            /* a run has no ASCII character (mixed text often has one) */   \
            size_t k_ = (keep_ & ~hi_) == 0                                   \
                            ? RUNC(s + i, a, keep_, out + o, &z_, &r_, &nx_)  \
                            : 0;                                              \
            if (k_) {                                                         \
                o += k_;                                                      \
                if (need_ < 0) {                                              \
                    kerr_ = _mm_or_si128(kerr_, wsf_utf8_check_sse4(&c_, a, prev_)); \
                } else {                                                      \
                    bad_ |= (unsigned)(r_ ^ need_);                           \
                }                                                             \
                need_ = nx_;                                                  \
                /* two 3-byte runs in a row: try 48 bytes at once next,   \
                 * two 4-byte ones: 64 (mixed text seldom has such) */       \
                run3_ = k_ == 5 || k_ == 6 ? run3_ + 1 : 0;                   \
                run4_ = k_ == 4 ? run4_ + 1 : 0;                              \
            } else {                                                          \
                STEP(s + i, a, out, &o);                                      \
                kerr_ = _mm_or_si128(kerr_, wsf_utf8_check_sse4(&c_, a, prev_)); \
                need_ = -1;                                                   \
                run3_ = run4_ = 0;                                            \
                if (++gen_ >= WSF_DEC_MIXED && i < 40 * 16) {                 \
                    i += 16; /* mixed text: the caller takes the rest */     \
                    break;                                                    \
                }                                                             \
            }                                                                 \
        }                                                                     \
        prev_ = a;                                                            \
        i += 16;                                                              \
    }                                                                         \
    *pbad = bad_ != 0 || !_mm_testz_si128(kerr_, kerr_) || wsf_dec_chk_bad_sse4(&z_); \
}

/* (UCS-2 text has no 4-byte runs.) */
#define WSF_DEC_NO_RUN64(s, out, z) 0

/* The one-pass stages of an ISA (`isa`: their name's suffix), with its
 * steps for blocks that are not runs; SSE4's here, AVX2's in
 * wsf_decode_avx2.h (VEX-encoded, the AVX2 steps). */
#define WSF_DEC_VSTAGES(ATTR, isa, STEP2, STEP4)                              \
    WSF_DEC_VSTAGE(ATTR, wsf_dec_ucs2v_##isa, uint16_t,                       \
        WSF_DEC_VLOOP16(wsf_dec_run2c_sse4, wsf_dec_run48_ucs2_sse4,          \
                        WSF_DEC_NO_RUN64, STEP2, wsf_dec_ascii2_sse4(a, out + o))) \
    WSF_DEC_VSTAGE(ATTR, wsf_dec_ucs4v_##isa, uint32_t,                       \
        WSF_DEC_VLOOP16(wsf_dec_run4c_sse4, wsf_dec_run48_ucs4_sse4,          \
                        wsf_dec_run64_ucs4_sse4, STEP4,                       \
                        wsf_dec_ascii4_sse4(a, out + o)))
WSF_DEC_VSTAGES(WSF_TARGET_SSE4, sse4, wsf_dec_step2_sse4, wsf_dec_step4_sse4)

#endif

#endif /* WSF_DECODE_ONEPASS_H */
