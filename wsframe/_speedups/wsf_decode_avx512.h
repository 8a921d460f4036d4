/*
 * wsf_decode_avx512.h -- the transcoder's AVX-512 VBMI2 stages (64 bytes a step;
 * vpcompressb/w, and for UCS-4 vpermb/vpermt2b of VBMI), handing their tails
 * to the AVX2 stages.
 * Included once, by wsf_dispatch.h, after wsf_decode_vec.h and this ISA's
 * instantiation of wsf_decode_body.h / wsf_decode_lanes_body.h.
 */
#ifndef WSF_DECODE_AVX512_H
#define WSF_DECODE_AVX512_H

#if defined(WSF_ARCH_X86_64)

/* ---- AVX-512 VBMI2 (Ice Lake, Zen 4 and later): 64 bytes per step, the
 * compaction done by vpcompressb/w.  Used at the AVX512 level only when the
 * CPU has VBMI2 and VBMI (wsf_cpu.h: wsf_cpu_vbmi2; the AVX512 level needs
 * F+BW+VL only); otherwise that level runs the AVX2 kernels. ---- */

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

/* Is a a 64-byte uniform 2-byte run (Cyrillic, Greek, Hebrew, Arabic
 * letters: see wsf_decode_sse4.h), leads at every second byte from 0 or 1
 * and no other character start? */
WSF_TARGET_VBMI2 WSF_ALWAYS_INLINE int wsf_dec_is_run64_2_avx512(__m512i a)
{
    const uint64_t even = 0x5555555555555555ULL;
    __mmask64 lead2 = _mm512_cmpeq_epi8_mask(_mm512_and_si512(a, _mm512_set1_epi8((char)0xE0)),
                                             _mm512_set1_epi8((char)0xC0));
    __mmask64 keep = _mm512_cmpgt_epi8_mask(a, _mm512_set1_epi8((char)0xBF));
    return lead2 == keep && (lead2 == even || lead2 == even << 1);
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
    const __m256i *k32 = wsf_dec_k32_avx2();
    size_t i = 0, o = 0, h;
    unsigned wait = 0;
    while (n - i >= 67 && nout - o >= 64) {
        __m512i a = _mm512_loadu_si512((const void *)(s + i));
        if (_mm512_movepi8_mask(a) == 0) {
            _mm512_storeu_si512((void *)(out + o),
                                _mm512_cvtepu8_epi16(_mm512_castsi512_si256(a)));
            _mm512_storeu_si512((void *)(out + o + 32),
                                _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(a, 1)));
            o += 64;
        } else if (wait == 0 && wsf_dec_is_run64_2_avx512(a)) {
            /* AVX2's 32-byte block: its run loop takes the blocks after it
             * while they are runs too (fixed layout, no compression); i is
             * then at the last block it took. */
            wsf_dec_any32_ucs2_avx2(s, n, &i, _mm512_castsi512_si256(a), k32, out, nout, &o);
            i += 32;
            continue;
        } else {
            /* After a block that is not a run, the next 15 other blocks
             * skip the test: text in words (spaces, punctuation) seldom
             * has 64-byte runs, and a failing test costs ~20% there. */
            wait = wait != 0 ? wait - 1 : 15;
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

/* ---- UCS-4 by gathering: each character's bytes into one 32-bit lane.
 * Over a 64-byte block:
 *   - each byte's payload bits, bit 7 set where a character starts
 *     (wsf_dec_payload_avx512);
 *   - the positions of the characters' last bytes (a byte before a start),
 *     packed by vpcompressb.  A block takes the characters that END in it,
 *     so the one a block starts inside is its own, and the one that runs
 *     past its end is the next block's.
 * Then for each 16 characters (wsf_dec_gather16_avx512): vpermb spreads
 * each last position over a lane's four bytes, minus 0, 1, 2, 3, and
 * vpermt2b fetches those bytes from the block and the one before (vpermb
 * from the block alone after the first 16 characters).  A lane
 * holds its character's bytes, last byte lowest, up to its start byte (the
 * lowest with bit 7 set), then bytes of the character before; clearing
 * those and every bit 7 leaves the payloads, which vpmaddubsw and vpmaddwd
 * join 6 bits apart.
 * No table lookup or variable shift per lane, and nothing between the
 * block's loads and its compress goes through a general register: on Zen 4,
 * which runs a 512-bit operation as two 256-bit halves, the operation count
 * and that chain of latency decided the speed.  What this replaced (the
 * even/odd 16-bit lanes of wsf_decode_sse4.h at every position of each
 * 32-byte half, vpermt2w, vpcompressw) took 9.1 us on 64 KiB of mixed text
 * and 9.0 on the JSON records; this takes 6.5 and 8.0 (bench/transcode_ab.sh). ---- */

/* XORed into a byte whose top 6 bits are k (vpermb reads the low 6 bits of
 * its index, so the byte shifted right by 2 is the index): 0xxxxxxx ->
 * 1xxxxxxx, 10xxxxxx -> 00xxxxxx, 110xxxxx -> 100xxxxx, 1110xxxx ->
 * 1000xxxx, 11110xxx -> 10000xxx. */
#define WSF_DEC_F4(x) (x), (x), (x), (x)
#define WSF_DEC_F16(x) WSF_DEC_F4(x), WSF_DEC_F4(x), WSF_DEC_F4(x), WSF_DEC_F4(x)
static const uint8_t wsf_dec_gflip[64] = {
    WSF_DEC_F16(0x80), WSF_DEC_F16(0x80), WSF_DEC_F16(0x80),
    WSF_DEC_F4(0x40), WSF_DEC_F4(0x40), WSF_DEC_F4(0x60), WSF_DEC_F4(0x70)};

/* vpermb indices for the 16 characters from the j-th on (j = 0, 16, 32,
 * 48): the 64 bytes from 4 j, byte k holding k / 4, so that each lane takes
 * its character's last position in all four of its bytes. */
#define WSF_DEC_G4(j) (j), (j), (j), (j)
#define WSF_DEC_G16(b) WSF_DEC_G4(b), WSF_DEC_G4((b) + 1), WSF_DEC_G4((b) + 2), \
                       WSF_DEC_G4((b) + 3)
#define WSF_DEC_G64(b) WSF_DEC_G16(b), WSF_DEC_G16((b) + 4), WSF_DEC_G16((b) + 8), \
                       WSF_DEC_G16((b) + 12)
static const uint8_t wsf_dec_gspread[256] = {WSF_DEC_G64(0), WSF_DEC_G64(16),
                                             WSF_DEC_G64(32), WSF_DEC_G64(48)};

/* The payload bytes of 64 input bytes (see above). */
WSF_TARGET_VBMI WSF_ALWAYS_INLINE __m512i wsf_dec_payload_avx512(__m512i a, __m512i flip)
{
    return _mm512_xor_si512(a, _mm512_permutexvar_epi8(_mm512_srli_epi16(a, 2), flip));
}

/* The gather's constants, made once per call and held in registers (see
 * wsf_dec_ucs4_avx512). */
typedef struct {
    __m512i at, m80, one, w6, w12, top;
} wsf_dec_gk_avx512;

/* The 16 characters from the j-th on that end in a block (last: the
 * positions of their last bytes; t, tp: the payload bytes of the block and
 * of the 64 bytes before it), as 16 code points at out.  Only the first
 * character can start in the block before, so only the first 16 (`first`)
 * read tp: the others take one-source vpermb, which on Intel is one
 * operation against vpermt2b's three (bench/transcode_ab.sh on an Intel
 * Xeon, 64 KiB: the JSON records 12% faster, mixed text 6%; not measured
 * on Zen 4). */
WSF_TARGET_VBMI WSF_ALWAYS_INLINE void wsf_dec_gather16_avx512(const wsf_dec_gk_avx512 *k,
                                                              __m512i tp, __m512i t,
                                                              __m512i last, size_t j,
                                                              int first, uint32_t *out)
{
    /* byte i of a lane: position last - i, counted from tp's first byte
     * (vpermb reads the index's low 6 bits: last - i in t) */
    __m512i at = _mm512_add_epi8(
        _mm512_permutexvar_epi8(_mm512_loadu_si512(wsf_dec_gspread + 4 * j), last), k->at);
    __m512i x = first ? _mm512_permutex2var_epi8(tp, at, t) : _mm512_permutexvar_epi8(at, t);
    __m512i start = _mm512_and_si512(x, k->m80);
    /* x & ~start & (start - 1): the bits below the lowest start bit */
    __m512i y = _mm512_ternarylogic_epi32(x, start, _mm512_sub_epi32(start, k->one), 0x20);
    __m512i cp = _mm512_madd_epi16(_mm512_maddubs_epi16(y, k->w6), k->w12);
    /* ill-formed input (wsf_decode.h): at most U+10FFFF */
    _mm512_storeu_si512((void *)out, _mm512_min_epu32(cp, k->top));
}

/* 16 ASCII bytes widened to code points at out. */
WSF_TARGET_VBMI WSF_ALWAYS_INLINE void wsf_dec_widen16_avx512(__m128i a, uint32_t *out)
{
    _mm512_storeu_si512((void *)out, _mm512_cvtepu8_epi32(a));
}

/* A 4-byte lead at every fourth byte from the first. */
#define WSF_DEC_EVERY4 0x1111111111111111ULL

/* i moved past the continuation bytes at s + i (at most three: the rest of
 * a character another stage wrote). */
static inline size_t wsf_dec_next_start(const uint8_t *s, size_t n, size_t i)
{
    size_t k;
    for (k = 0; k < 3 && i < n && (s[i] & 0xC0) == 0x80; k++) {
        i++;
    }
    return i;
}

WSF_TARGET_VBMI
static size_t wsf_dec_ucs4_avx512(const uint8_t *s, size_t n, uint32_t *out,
                                  size_t nout, size_t *po)
{
    __m512i f0 = _mm512_set1_epi8((char)0xF0);
    __m512i bf = _mm512_set1_epi8((char)0xBF);
    const __m512i flip = _mm512_loadu_si512(wsf_dec_gflip);
    wsf_dec_gk_avx512 gk;
    const __m512i iota = _mm512_set_epi64(0x3F3E3D3C3B3A3938LL, 0x3736353433323130LL,
                                          0x2F2E2D2C2B2A2928LL, 0x2726252423222120LL,
                                          0x1F1E1D1C1B1A1918LL, 0x1716151413121110LL,
                                          0x0F0E0D0C0B0A0908LL, 0x0706050403020100LL);
    const __m256i *k32 = wsf_dec_k32_avx2();
    /* the payload bytes of the block before, when it was gathered: read
     * only where a block starts inside a character, which only a gathered
     * block leaves (after an ASCII block or AVX2's run loop, and at s, the
     * next block starts at a character) */
    __m512i tp = _mm512_setzero_si512();
    /* a character s starts inside was written by the caller (as a stage
     * that takes characters by their start, wsf_decode_vec.h, leaves it):
     * go on from the next start */
    size_t i = wsf_dec_next_start(s, n, 0), o = 0, j, g, end, count;
    gk.at = _mm512_set1_epi32(0x3D3E3F40);
    gk.m80 = _mm512_set1_epi32((int)0x80808080u);
    gk.one = _mm512_set1_epi32(1);
    gk.w6 = _mm512_set1_epi32(0x40014001);
    gk.w12 = _mm512_set1_epi32(0x10000001);
    gk.top = _mm512_set1_epi32(0x10FFFF);
    /* Opaque to the compiler from here: GCC otherwise builds some of them
     * again in every block (a broadcast from a general register each, on
     * the port the permutes need), 5-9 operations a block. */
    WSF_DEC_KEEP(f0);
    WSF_DEC_KEEP(bf);
    WSF_DEC_KEEP(gk.at);
    WSF_DEC_KEEP(gk.m80);
    WSF_DEC_KEEP(gk.one);
    WSF_DEC_KEEP(gk.w6);
    WSF_DEC_KEEP(gk.w12);
    WSF_DEC_KEEP(gk.top);
    while (n - i >= 67 && nout - o >= 64) {
        __m512i a = _mm512_loadu_si512((const void *)(s + i));
        __mmask64 high = _mm512_movepi8_mask(a);
        __mmask64 ends;
        __m512i t, last;
        if (high == 0) { /* 64 ASCII bytes */
            wsf_dec_widen16_avx512(_mm512_castsi512_si128(a), out + o);
            wsf_dec_widen16_avx512(_mm512_extracti32x4_epi32(a, 1), out + o + 16);
            wsf_dec_widen16_avx512(_mm512_extracti32x4_epi32(a, 2), out + o + 32);
            wsf_dec_widen16_avx512(_mm512_extracti32x4_epi32(a, 3), out + o + 48);
            o += 64;
            i += 64;
            continue;
        }
        if (~high == 0 && _mm512_cmpge_epu8_mask(a, f0) == WSF_DEC_EVERY4) {
            /* 16 4-byte characters from the block's first byte (emoji,
             * other astral text): AVX2's 32-byte block, which takes the
             * blocks after it in its run loop while they are runs too
             * (their fixed layout, no compression); i is then at the last
             * block it took.  It writes the character it ends inside: go
             * on from the next start. */
            wsf_dec_any32_ucs4_avx2(s, n, &i, _mm512_castsi512_si256(a), k32, out, nout, &o);
            i = wsf_dec_next_start(s, n, i + 32);
            continue;
        }
        /* the characters' last bytes: a byte before a start (not
         * 10xxxxxx: signed, above BF); s[i + 64] is read */
        ends = _mm512_cmpgt_epi8_mask(_mm512_loadu_si512((const void *)(s + i + 1)), bf);
        count = WSF_DEC_POPCNT64(ends);
        last = _mm512_maskz_compress_epi8(ends, iota);
        t = wsf_dec_payload_avx512(a, flip);
        /* the ASCII 16-byte quarters before the block's first other byte
         * and after its last: widened, 16 characters each (j: the first
         * character to gather, end: the one after the last) */
        j = 16 * (size_t)(WSF_DEC_CTZ64(high) >> 4);
        end = count - 16 * (size_t)(WSF_DEC_CLZ64(high) >> 4);
        for (g = 0; g < j; g += 16) {
            wsf_dec_widen16_avx512(_mm_loadu_si128((const __m128i *)(s + i + g)), out + o + g);
        }
        for (g = end; g < count; g += 16) {
            wsf_dec_widen16_avx512(_mm_loadu_si128((const __m128i *)(s + i + 64 - count + g)),
                                   out + o + g);
        }
        if (j == 0 && end != 0) {
            wsf_dec_gather16_avx512(&gk, tp, t, last, 0, 1, out + o);
            j = 16;
        }
        for (; j < end; j += 16) {
            wsf_dec_gather16_avx512(&gk, tp, t, last, j, 0, out + o + j);
        }
        tp = t;
        o += count;
        i += 64;
    }
    /* back to the start of the character the last block left to the next */
    i = wsf_utf8_boundary(s, 0, i);
    WSF_DEC_HANDOFF(wsf_dec_ucs4_avx2);
}

#endif

#endif /* WSF_DECODE_AVX512_H */
