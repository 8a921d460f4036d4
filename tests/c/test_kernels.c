/*
 * Standalone tests of the wsframe C kernels (wsf_dispatch.h: every level's
 * kernel table; wsf_mask.h / wsf_utf8.h: the inline entry points).
 *
 * Every SIMD level this CPU supports is checked against independent scalar
 * references written from RFC 6455 §5.3 (masking) and Unicode Table 3-7
 * (UTF-8).  Inputs live in heap buffers of exactly their length (no slack),
 * so AddressSanitizer or valgrind catch any read or write past the end.
 *
 * Build and run (see tests/c/README.md and tests/c/run.sh):
 *   gcc -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
 *       -I wsframe/_speedups tests/c/test_kernels.c -o /tmp/wsf_test && /tmp/wsf_test
 *   gcc -O2 -g -I wsframe/_speedups tests/c/test_kernels.c -o /tmp/wsf_test \
 *       && valgrind --error-exitcode=1 /tmp/wsf_test --quick
 *
 * Options: --quick (smaller exhaustive placements, for valgrind),
 *          --level NAME (test only that level).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wsf_dispatch.h"

static unsigned long failures = 0;
static unsigned long checks = 0;
static int quick = 0;

#define CHECK(cond, ...) do {                                              \
    checks++;                                                              \
    if (!(cond)) {                                                         \
        if (failures++ < 20) {                                             \
            fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);           \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
        }                                                                  \
    }                                                                      \
} while (0)

/* xorshift64*: deterministic pseudo-random numbers. */
static uint64_t rng_state = 0x9E3779B97F4A7C15ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}
static size_t rnd_below(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

static uint8_t *xmalloc(size_t n)
{
    /* malloc(0) may return NULL; keep a valid pointer to a 0-byte block. */
    uint8_t *p = (uint8_t *)malloc(n ? n : 1);
    if (!p) {
        fprintf(stderr, "out of memory\n");
        exit(2);
    }
    return p;
}

/* ---------------------------------------------------------------- mask -- */

/* RFC 6455 §5.3: j = i MOD 4; transformed-octet-i = original-octet-i XOR
 * masking-key-octet-j (with the chunk starting at payload offset `phase`). */
static void ref_mask(uint8_t *dst, const uint8_t *src, size_t len,
                     const uint8_t key[4], size_t phase)
{
    size_t i;
    for (i = 0; i < len; i++) {
        dst[i] = src[i] ^ key[(phase + i) % 4];
    }
}

static void check_mask_len(int level, size_t len)
{
    uint8_t *src = xmalloc(len), *dst = xmalloc(len), *exp = xmalloc(len);
    uint8_t *inplace = xmalloc(len);
    uint8_t key[4];
    size_t i, phase;
    for (i = 0; i < len; i++) {
        src[i] = (uint8_t)rnd();
    }
    for (phase = 0; phase < 8; phase++) { /* phases >= 4 wrap */
        for (i = 0; i < 4; i++) {
            key[i] = (uint8_t)rnd();
        }
        ref_mask(exp, src, len, key, phase);
        wsf_mask_level(level, dst, src, len, key, phase & 3);
        CHECK(memcmp(dst, exp, len) == 0, "mask copy level=%s len=%zu phase=%zu",
              wsf_level_name(level), len, phase);
        memcpy(inplace, src, len);
        wsf_mask_level(level, inplace, inplace, len, key, phase & 3);
        CHECK(memcmp(inplace, exp, len) == 0, "mask inplace level=%s len=%zu phase=%zu",
              wsf_level_name(level), len, phase);
    }
    free(src); free(dst); free(exp); free(inplace);
}

/* The fused unmask + ASCII test (mask_ascii, NULL at the scalar level): the
 * bytes of wsf_mask, and 1 exactly when every byte written is below 0x80 --
 * with no high byte, and with one at every position of the buffer (the
 * aligning head, the vector loops and the tail each see one). */
static void check_mask_ascii_len(int level, size_t len)
{
    wsf_mask_ascii_fn fused = wsf_table_for(level)->mask_ascii;
    uint8_t *plain = xmalloc(len + 64), *src = xmalloc(len + 64);
    uint8_t *dst = xmalloc(len + 64), *exp = xmalloc(len + 64);
    uint8_t key[4];
    size_t i, at, off = rnd_below(64); /* destination alignment */
    int got;
    if (fused == NULL) {
        free(plain); free(src); free(dst); free(exp);
        return;
    }
    for (i = 0; i < 4; i++) {
        key[i] = (uint8_t)rnd();
    }
    for (i = 0; i < len; i++) {
        plain[i] = (uint8_t)(rnd() & 0x7F);
    }
    for (at = 0; at <= len; at++) { /* at == len: all ASCII */
        size_t phase = rnd_below(4);
        if (at < len) {
            plain[at] |= 0x80;
        }
        ref_mask(src, plain, len, key, phase); /* the wire form */
        ref_mask(exp, src, len, key, phase);
        got = fused(dst + off, src, len, key, phase);
        CHECK(memcmp(dst + off, exp, len) == 0, "mask_ascii bytes level=%s len=%zu at=%zu",
              wsf_level_name(level), len, at);
        CHECK(got == (at == len), "mask_ascii verdict level=%s len=%zu at=%zu got=%d",
              wsf_level_name(level), len, at, got);
        if (at < len) {
            plain[at] &= 0x7F;
        }
        if (len > 600 && at < len - 64) {
            at += rnd_below(97); /* long buffers: a sample of positions */
        }
    }
    free(plain); free(src); free(dst); free(exp);
}

static void test_mask(int level)
{
    static const size_t big[] = {511, 512, 513, 4095, 4096, 4099, 65536 + 3,
                                 (1 << 20) + 7};
    size_t len, i;
    for (len = 0; len <= 300; len++) {
        check_mask_len(level, len);
        check_mask_ascii_len(level, len);
    }
    check_mask_ascii_len(level, 8192);
    check_mask_ascii_len(level, 4099);
    for (i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
        if (quick && big[i] > 70000) {
            continue;
        }
        check_mask_len(level, big[i]);
    }
    /* Unaligned starts: masking a window inside a larger buffer must leave
     * the bytes around it untouched. */
    {
        uint8_t *buf = xmalloc(600), *copy = xmalloc(600), *exp = xmalloc(600);
        uint8_t key[4] = {0x12, 0x34, 0x56, 0x78};
        size_t start;
        for (i = 0; i < 600; i++) {
            buf[i] = (uint8_t)rnd();
        }
        for (start = 0; start < 70; start++) {
            size_t n = rnd_below(600 - start);
            memcpy(copy, buf, 600);
            memcpy(exp, buf, 600);
            ref_mask(exp + start, buf + start, n, key, start);
            wsf_mask_level(level, copy + start, copy + start, n, key, start & 3);
            CHECK(memcmp(copy, exp, 600) == 0, "mask window level=%s start=%zu n=%zu",
                  wsf_level_name(level), start, n);
        }
        free(buf); free(copy); free(exp);
    }
}

/* ---------------------------------------------------------------- utf8 -- */

/* Trusted reference, written row by row from Unicode Table 3-7.  Returns the
 * start of the first ill-formed sequence (CPython's UnicodeDecodeError.start)
 * or -1; *fail gets the index of the first byte that no valid continuation
 * could follow (-1 if the input is valid or only truncated at the end). */
static ptrdiff_t ref_utf8(const uint8_t *s, size_t len, ptrdiff_t *fail)
{
    size_t i = 0, k, n;
    unsigned c, lo, hi;
    while (i < len) {
        c = s[i];
        lo = 0x80;
        hi = 0xBF;
        if (c <= 0x7F) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            n = 1;
        } else if (c == 0xE0) {
            n = 2; lo = 0xA0;
        } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
            n = 2;
        } else if (c == 0xED) {
            n = 2; hi = 0x9F;
        } else if (c == 0xF0) {
            n = 3; lo = 0x90;
        } else if (c >= 0xF1 && c <= 0xF3) {
            n = 3;
        } else if (c == 0xF4) {
            n = 3; hi = 0x8F;
        } else {
            *fail = (ptrdiff_t)i;
            return (ptrdiff_t)i;
        }
        for (k = 1; k <= n; k++) {
            if (i + k >= len) {
                *fail = -1;
                return (ptrdiff_t)i;
            }
            if (s[i + k] < lo || s[i + k] > hi) {
                *fail = (ptrdiff_t)(i + k);
                return (ptrdiff_t)i;
            }
            lo = 0x80;
            hi = 0xBF;
        }
        i += n + 1;
    }
    *fail = -1;
    return -1;
}

/* Stream s through the validator of `level` in random chunks (each an
 * exact-size copy, at most 8 or `big` bytes): the plain streaming
 * validator, or (scan) the one fused with the transcoder's scan
 * (wsf_decode_scan_stream_with), which also sums *top and *nchars.  Sets
 * *got_fail to the failing byte and *got_start to the start of the
 * ill-formed sequence (-1 when none). */
static void stream_chunks(int level, int scan, size_t big, const uint8_t *s, size_t len,
                          ptrdiff_t *got_fail, ptrdiff_t *got_start, unsigned *top,
                          size_t *nchars)
{
    wsf_utf8_state st;
    size_t pos = 0, c;
    unsigned t;
    *got_fail = *got_start = -1;
    *top = 0;
    *nchars = 0;
    wsf_utf8_init(&st);
    while (pos < len) {
        size_t n = 1 + rnd_below(rnd() & 1 ? 8 : big);
        uint8_t *chunk;
        ptrdiff_t f;
        if (n > len - pos) {
            n = len - pos;
        }
        chunk = xmalloc(n); /* exact-size copy of the chunk */
        memcpy(chunk, s + pos, n);
        if (scan) {
            f = wsf_decode_scan_stream_with(wsf_table_for(level), &st, chunk, n, &t, &c);
        } else {
            f = wsf_utf8_stream_level(level, &st, chunk, n);
        }
        free(chunk);
        if (f >= 0) {
            *got_fail = (ptrdiff_t)pos + f;
            *got_start = *got_fail - st.seen;
            return;
        }
        if (scan) {
            *top = t > *top ? t : *top;
            *nchars += c;
        }
        pos += n;
    }
    if (st.need) {
        *got_start = (ptrdiff_t)len - st.seen;
    }
}

/* One-shot check plus chunked streaming checks with random splits: the
 * plain validator, and the one fused with the scan (in chunks long enough
 * for its kernel; on valid text also the largest byte and the characters). */
static void check_utf8(int level, const uint8_t *s, size_t len, const char *what)
{
    ptrdiff_t fail, exp = ref_utf8(s, len, &fail);
    ptrdiff_t got = wsf_utf8_find_invalid_level(level, s, len);
    ptrdiff_t got_fail, got_start;
    size_t i, nchars, want_chars = 0;
    unsigned top, want_top = 0;

    CHECK(got == exp, "find_invalid level=%s %s len=%zu: got %td want %td",
          wsf_level_name(level), what, len, got, exp);
    stream_chunks(level, 0, 300, s, len, &got_fail, &got_start, &top, &nchars);
    CHECK(got_fail == fail && got_start == exp,
          "stream level=%s %s len=%zu: fail %td/%td start %td/%td",
          wsf_level_name(level), what, len, got_fail, fail, got_start, exp);

    for (i = 0; i < len; i++) {
        want_top = s[i] > want_top ? s[i] : want_top;
        want_chars += (s[i] & 0xC0) != 0x80;
    }
    stream_chunks(level, 1, 1200, s, len, &got_fail, &got_start, &top, &nchars);
    CHECK(got_fail == fail && got_start == exp,
          "scan stream level=%s %s len=%zu: fail %td/%td start %td/%td",
          wsf_level_name(level), what, len, got_fail, fail, got_start, exp);
    if (exp < 0) {
        CHECK(nchars == want_chars && (top == want_top || (top < 0x80 && want_top < 0x80)),
              "scan stream level=%s %s len=%zu: chars %zu/%zu top %u/%u",
              wsf_level_name(level), what, len, nchars, want_chars, top, want_top);
    }
}

/* Fused unmask + validate, in random chunks at random phases. */
static void check_fused(int level, const uint8_t *text, size_t len)
{
    ptrdiff_t fail, exp = ref_utf8(text, len, &fail);
    uint8_t key[4];
    uint8_t *masked = xmalloc(len), *out = xmalloc(len);
    size_t phase = rnd_below(4), pos = 0, i;
    wsf_utf8_state st;
    ptrdiff_t got_fail = -1;
    for (i = 0; i < 4; i++) {
        key[i] = (uint8_t)rnd();
    }
    ref_mask(masked, text, len, key, phase);
    wsf_utf8_init(&st);
    while (pos < len) {
        size_t n = 1 + rnd_below(rnd() & 1 ? 20000 : 200);
        ptrdiff_t f;
        int inplace = (int)(rnd() & 1);
        if (n > len - pos) {
            n = len - pos;
        }
        if (inplace) {
            memcpy(out + pos, masked + pos, n);
        }
        f = wsf_unmask_utf8_stream_level(level, &st, out + pos,
                                         inplace ? out + pos : masked + pos,
                                         n, key, (phase + pos) & 3);
        if (f >= 0) {
            got_fail = (ptrdiff_t)(pos + (size_t)f);
            CHECK(memcmp(out, text, (size_t)got_fail + 1) == 0,
                  "fused output before failure level=%s", wsf_level_name(level));
            break;
        }
        CHECK(memcmp(out + pos, text + pos, n) == 0, "fused output level=%s len=%zu",
              wsf_level_name(level), len);
        pos += n;
    }
    CHECK(got_fail == fail, "fused fail level=%s len=%zu: got %td want %td (start %td)",
          wsf_level_name(level), len, got_fail, fail, exp);
    free(masked);
    free(out);
}

/* Appends one random code point (weighted towards non-ASCII). */
static size_t put_char(uint8_t *p, int ascii_bias)
{
    uint32_t cp;
    unsigned r = (unsigned)rnd_below(100);
    if (ascii_bias > 100) {
        /* Sparse: long ASCII runs (1 in ascii_bias chars is non-ASCII), so
         * the kernels' multi-block ASCII skips are exercised. */
        r = rnd_below((size_t)ascii_bias) == 0 ? 99 : 0;
    }
    if (r < (unsigned)ascii_bias) {
        cp = (uint32_t)rnd_below(0x80);
    } else if (r < 70) {
        cp = 0x80 + (uint32_t)rnd_below(0x800 - 0x80);
    } else if (r < 90) {
        do {
            cp = 0x800 + (uint32_t)rnd_below(0x10000 - 0x800);
        } while (cp >= 0xD800 && cp <= 0xDFFF);
    } else {
        cp = 0x10000 + (uint32_t)rnd_below(0x110000 - 0x10000);
    }
    if (cp < 0x80) {
        p[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        p[0] = (uint8_t)(0xC0 | (cp >> 6));
        p[1] = (uint8_t)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        p[0] = (uint8_t)(0xE0 | (cp >> 12));
        p[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        p[2] = (uint8_t)(0x80 | (cp & 0x3F));
        return 3;
    }
    p[0] = (uint8_t)(0xF0 | (cp >> 18));
    p[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
    p[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
    p[3] = (uint8_t)(0x80 | (cp & 0x3F));
    return 4;
}

/* Valid text of exactly `len` bytes (ASCII fills the last few bytes). */
static void random_text(uint8_t *s, size_t len, int ascii_bias)
{
    size_t i = 0;
    uint8_t tmp[4];
    while (i < len) {
        size_t n = put_char(tmp, ascii_bias);
        if (i + n > len) {
            s[i++] = (uint8_t)rnd_below(0x80);
            continue;
        }
        memcpy(s + i, tmp, n);
        i += n;
    }
}

static const uint8_t bad_bytes[] = {0x80, 0xBF, 0xC0, 0xC1, 0xC2, 0xE0, 0xED,
                                    0xEF, 0xF0, 0xF4, 0xF5, 0xFF, 0x41, 0xA0,
                                    0x90, 0x8F};

static void test_utf8_random(int level)
{
    size_t len, i, rounds;
    static const size_t big[] = {4096, 8192 + 5, 65536 + 1, (1 << 20) + 3};
    /* All lengths 0..300, valid, then with mutations. */
    for (len = 0; len <= 300; len++) {
        uint8_t *s = xmalloc(len);
        for (rounds = 0; rounds < (quick ? 3u : 12u); rounds++) {
            int bias = rounds % 3 == 0 ? 95 : rounds % 3 == 1 ? 50 : 0;
            random_text(s, len, bias);
            check_utf8(level, s, len, "valid");
            check_fused(level, s, len);
            if (len) {
                size_t p = rnd_below(len);
                uint8_t old = s[p];
                s[p] = bad_bytes[rnd_below(sizeof bad_bytes)];
                check_utf8(level, s, len, "mutated");
                check_fused(level, s, len);
                s[p] = old;
                s[len - 1] = (uint8_t)(0xC0 + rnd_below(0x40)); /* truncation */
                check_utf8(level, s, len, "tail");
            }
        }
        free(s);
    }
    /* Big inputs: valid, and an error at every offset around 16/32/64-byte
     * block edges near the start, the middle and the end. */
    for (i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
        size_t blen = big[i], edge, d, b;
        uint8_t *s;
        static const size_t edges[] = {16, 32, 48, 64, 128, 8192};
        if (quick && blen > 70000) {
            continue;
        }
        s = xmalloc(blen);
        random_text(s, blen, (int)(i * 30));
        check_utf8(level, s, blen, "big valid");
        check_fused(level, s, blen);
        for (edge = 0; edge < sizeof(edges) / sizeof(edges[0]); edge++) {
            size_t centres[3];
            centres[0] = edges[edge];
            centres[1] = (blen / 2) & ~(size_t)63;
            centres[2] = blen - 64;
            for (d = 0; d < 3; d++) {
                size_t c = centres[d];
                size_t p;
                if (c < 8 || c + 8 > blen) {
                    continue;
                }
                for (p = c - 5; p < c + 5; p++) {
                    for (b = 0; b < sizeof bad_bytes; b += quick ? 5 : 1) {
                        uint8_t old = s[p];
                        s[p] = bad_bytes[b];
                        check_utf8(level, s, blen, "big mutated");
                        s[p] = old;
                    }
                }
            }
        }
        s[blen - 1] = 0xF1;
        check_utf8(level, s, blen, "big truncated");
        free(s);
    }
}

/* Long ASCII runs between sparse non-ASCII characters, with an error or a
 * cut-short sequence placed just before, inside and after each run. */
static void test_utf8_sparse(int level)
{
    size_t len, k;
    for (len = 256; len < 2200; len += quick ? 97 : 13) {
        uint8_t *s = xmalloc(len);
        for (k = 0; k < (quick ? 4u : 16u); k++) {
            size_t p;
            uint8_t old;
            random_text(s, len, 150 + (int)rnd_below(400));
            check_utf8(level, s, len, "sparse valid");
            p = rnd_below(len);
            old = s[p];
            s[p] = bad_bytes[rnd_below(sizeof bad_bytes)];
            check_utf8(level, s, len, "sparse mutated");
            check_fused(level, s, len);
            s[p] = old;
            /* a lead byte followed by a long ASCII run */
            p = rnd_below(len);
            old = s[p];
            s[p] = (uint8_t)(0xC2 + rnd_below(0x33));
            check_utf8(level, s, len, "sparse cut");
            s[p] = old;
        }
        free(s);
    }
}

/* The bytes seq[0..k) at offset at of `padded` bytes of ASCII (in pad):
 * find_invalid at `level` against the reference. */
static void check_placed(int level, uint8_t *pad, size_t padded, const uint8_t *seq, size_t k,
                         size_t at)
{
    ptrdiff_t fail, exp, got;
    memset(pad, 'x', padded);
    memcpy(pad + at, seq, k);
    exp = ref_utf8(pad, padded, &fail);
    got = wsf_utf8_find_invalid_level(level, pad, padded);
    CHECK(got == exp, "%zu bytes %02X %02X.. at %zu of %zu, level=%s: %td vs %td", k, seq[0],
          seq[1], at, padded, wsf_level_name(level), got, exp);
}

/* Exhaustive short inputs: all 1- and 2-byte inputs and all 3-byte inputs
 * led by E0..EF, alone and embedded in ASCII at offsets straddling the
 * 64-byte SIMD blocks (so every SIMD kernel sees them too, and the block
 * DFA of the levels without one); every second byte after F0..FF there. */
static void test_utf8_exhaustive(int level)
{
    static const size_t places_full[] = {0, 13, 14, 15, 16, 31, 32, 61, 62, 63,
                                         64, 65, 125, 127};
    static const size_t places_quick[] = {0, 62, 63};
    const size_t *places = quick ? places_quick : places_full;
    size_t nplaces = quick ? sizeof places_quick / sizeof(size_t)
                           : sizeof places_full / sizeof(size_t);
    const size_t padded = 130;
    uint8_t *pad = xmalloc(padded);
    unsigned a, b, c;
    size_t pl;
    uint8_t *one = xmalloc(1), *two = xmalloc(2), *three = xmalloc(3);

    for (a = 0; a < 256; a++) {
        one[0] = (uint8_t)a;
        check_utf8(level, one, 1, "1 byte");
        for (b = 0; b < 256; b++) {
            two[0] = (uint8_t)a;
            two[1] = (uint8_t)b;
            check_utf8(level, two, 2, "2 bytes");
        }
    }
    for (a = 0xE0; a <= 0xEF; a++) {
        for (b = 0; b < 256; b++) {
            for (c = 0; c < 256; c++) {
                ptrdiff_t fail, exp, got;
                three[0] = (uint8_t)a;
                three[1] = (uint8_t)b;
                three[2] = (uint8_t)c;
                exp = ref_utf8(three, 3, &fail);
                got = wsf_utf8_find_invalid_level(level, three, 3);
                CHECK(got == exp, "3 bytes %02X %02X %02X level=%s: %td vs %td",
                      a, b, c, wsf_level_name(level), got, exp);
                for (pl = 0; pl < nplaces; pl++) {
                    check_placed(level, pad, padded, three, 3, places[pl]);
                }
                /* At the very end of a SIMD-sized input: truncation. */
                check_placed(level, pad, padded, three, 3, padded - 3);
            }
        }
    }
    /* Every second byte after every F0..FF lead, with the third and fourth
     * bytes at the ends of the continuation range and just outside it. */
    {
        static const uint8_t ends[] = {0x7F, 0x80, 0xBF, 0xC0};
        uint8_t four[4];
        unsigned d;
        for (a = 0xF0; a <= 0xFF; a++) {
            for (b = 0; b < 256; b++) {
                for (c = 0; c < 4; c++) {
                    for (d = 0; d < 4; d++) {
                        four[0] = (uint8_t)a;
                        four[1] = (uint8_t)b;
                        four[2] = ends[c];
                        four[3] = ends[d];
                        for (pl = 0; pl < nplaces && places[pl] + 4 <= padded; pl++) {
                            check_placed(level, pad, padded, four, 4, places[pl]);
                        }
                    }
                }
            }
        }
    }
    free(pad); free(one); free(two); free(three);
}

/* The table-driven DFA's block kernel (wsf_utf8_blocks_dfa, the levels
 * without a vector validator) on its own contract: n, or the block of the
 * first failing byte; a sequence cut short by the end of the blocks is not
 * its error.  Its two streams meet at a character start at or after the
 * middle block: every bad byte at every offset around there and around the
 * block edges, in text of each kind, with 0..4 continuation bytes at the
 * middle. */
static void test_utf8_dfa(void)
{
    static const size_t lens[] = {64, 128, 192, 256, 320, 448, 1024, 4160};
    size_t li, k, p, b, h, n, want;
    for (li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        n = lens[li];
        h = (n / 128) * 64;
        for (k = 0; k < (quick ? 3u : 9u); k++) {
            uint8_t *s = xmalloc(n);
            ptrdiff_t fail;
            random_text(s, n, k % 3 == 0 ? 95 : k % 3 == 1 ? 40 : 0);
            if (h >= 4 && k >= 3) { /* a character of k % 4 + 1 bytes across the middle */
                uint8_t c[4];
                size_t w = put_char(c, 0), at = h - (k % w);
                memcpy(s + at, c, w);
                for (p = at + w; p < h + 4 && p < n; p++) {
                    s[p] = 'a';
                }
            }
            if (ref_utf8(s, n, &fail) >= 0 && fail < (ptrdiff_t)n) {
                free(s); /* the splice made it invalid: skip this one */
                continue;
            }
            CHECK(wsf_utf8_blocks_dfa(s, n) == n, "dfa n=%zu valid k=%zu", n, k);
            for (p = 0; p < n; p++) {
                int near = p + 6 > h && p < h + 6;
                if (!near && p % 64 > 3 && p % 64 < 61) {
                    continue;
                }
                for (b = 0; b < sizeof bad_bytes; b += quick ? 4 : 1) {
                    uint8_t old = s[p];
                    s[p] = bad_bytes[b];
                    ref_utf8(s, n, &fail);
                    want = fail >= 0 && fail < (ptrdiff_t)n ? (size_t)fail / 64 * 64 : n;
                    CHECK(wsf_utf8_blocks_dfa(s, n) == want,
                          "dfa n=%zu k=%zu byte %02X at %zu: %zu, want %zu", n, k,
                          bad_bytes[b], p, wsf_utf8_blocks_dfa(s, n), want);
                    s[p] = old;
                }
            }
            free(s);
        }
        { /* 0..4 continuations at the middle, after a 4-byte lead before it */
            uint8_t *s = xmalloc(n);
            size_t c;
            ptrdiff_t fail;
            if (h < 4) {
                free(s);
                continue;
            }
            for (c = 0; c <= 4; c++) {
                memset(s, 'a', n);
                s[h - 1] = 0xF0;
                s[h] = 0x90;
                for (p = 1; p < c && h + p < n; p++) {
                    s[h + p] = 0x80;
                }
                if (c == 0) {
                    s[h - 1] = 'a';
                    s[h] = 0x80; /* a stray continuation at the middle */
                }
                ref_utf8(s, n, &fail);
                want = fail >= 0 && fail < (ptrdiff_t)n ? (size_t)fail / 64 * 64 : n;
                CHECK(wsf_utf8_blocks_dfa(s, n) == want, "dfa n=%zu middle c=%zu: %zu want %zu",
                      n, c, wsf_utf8_blocks_dfa(s, n), want);
            }
            free(s);
        }
    }
}

/* The reference itself against known answers (so it cannot silently agree
 * with a broken kernel on everything). */
static void test_reference(void)
{
    static const struct {
        const char *s;
        size_t len;
        ptrdiff_t start, fail;
    } cases[] = {
        {"abc", 3, -1, -1},
        {"\xC0\x80", 2, 0, 0},
        {"\xED\xA0\x80", 3, 0, 1},
        {"\xED\x9F\xBF", 3, -1, -1},
        {"\xF4\x90\x80\x80", 4, 0, 1},
        {"\xF4\x8F\xBF\xBF", 4, -1, -1},
        {"a\xE1\x80", 3, 1, -1},
        {"a\xE1\x80\x41", 4, 1, 3},
        {"\xF0\x8F", 2, 0, 1},
        {"\xF0\x90\x80\x80", 4, -1, -1},
        {"\xFF", 1, 0, 0},
        {"\xC2", 1, 0, -1},
        {"\xE0\xA0\x80\x80", 4, 3, 3},
    };
    size_t i;
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ptrdiff_t fail, start = ref_utf8((const uint8_t *)cases[i].s, cases[i].len, &fail);
        CHECK(start == cases[i].start && fail == cases[i].fail,
              "reference case %zu: %td/%td", i, start, fail);
    }
}

/* The inline entry points (short inputs inline, the rest through wsf_kt)
 * agree with the level's own kernels and the references at every length
 * around the inline/table switch-over. */
static void test_entry_points(int level)
{
    const wsf_kernel_table *saved = wsf_kt;
    uint8_t key[4] = {0x37, 0xFA, 0x21, 0x3D};
    size_t len, phase;
    wsf_kt = wsf_table_for(level);
    CHECK(wsf_kt->level == level, "table of level %s says %d", wsf_level_name(level),
          wsf_kt->level);
    for (len = 0; len <= 200; len++) {
        uint8_t *src = xmalloc(len), *dst = xmalloc(len), *exp = xmalloc(len);
        uint8_t *text = xmalloc(len);
        size_t i;
        ptrdiff_t want_fail, want_start, got;
        wsf_utf8_state st;
        for (i = 0; i < len; i++) {
            src[i] = (uint8_t)rnd();
            text[i] = (uint8_t)(i % 7 == 3 ? 0xC3 : i % 7 == 4 ? 0xA9 : 'a');
        }
        if (len && rnd_below(2)) {
            text[rnd_below(len)] = 0xFF;
        }
        for (phase = 0; phase < 4; phase++) {
            ref_mask(exp, src, len, key, phase);
            wsf_mask(dst, src, len, key, phase + 4); /* only phase % 4 counts */
            CHECK(memcmp(dst, exp, len) == 0, "wsf_mask level=%s len=%zu phase=%zu",
                  wsf_level_name(level), len, phase);
        }
        want_start = ref_utf8(text, len, &want_fail);
        got = wsf_utf8_find_invalid(text, len);
        CHECK(got == want_start, "wsf_utf8_find_invalid level=%s len=%zu: %td vs %td",
              wsf_level_name(level), len, got, want_start);
        ref_mask(src, text, len, key, 1); /* the masked wire form of text */
        wsf_utf8_init(&st);
        got = wsf_unmask_utf8_stream(&st, dst, src, len, key, 1);
        CHECK(got == want_fail, "wsf_unmask_utf8_stream level=%s len=%zu: %td vs %td",
              wsf_level_name(level), len, got, want_fail);
        CHECK(got >= 0 || memcmp(dst, text, len) == 0, "unmasked text level=%s len=%zu",
              wsf_level_name(level), len);
        free(src);
        free(dst);
        free(exp);
        free(text);
    }
    wsf_kt = saved;
}

int main(int argc, char **argv)
{
    int level, only = -1, i, pass, vbmi2;
    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            quick = 1;
        } else if (strcmp(argv[i], "--level") == 0 && i + 1 < argc) {
            int l;
            i++;
            for (l = 0; l <= WSF_NEON; l++) {
                if (strcmp(argv[i], wsf_level_name(l)) == 0) {
                    only = l;
                }
            }
            if (only < 0) {
                fprintf(stderr, "unknown level %s\n", argv[i]);
                return 2;
            }
        } else {
            fprintf(stderr, "usage: %s [--quick] [--level NAME]\n", argv[0]);
            return 2;
        }
    }
    /* Headers used without the owner's table run the scalar kernels. */
    CHECK(wsf_kt == &wsf_table_scalar && wsf_kt->mask != NULL,
          "wsf_kt must start at the scalar table");
    if (wsf_kernels_init() < 0) {
        fprintf(stderr, "WSFRAME_SIMD names no level\n");
        return 2;
    }
    printf("cpu best level: %s\n", wsf_level_name(wsf_cpu_best));
    test_reference();
    test_utf8_dfa();
    vbmi2 = wsf_cpu_vbmi2;
    for (pass = 0; pass <= WSF_NEON + 1; pass++) {
        /* pass NEON + 1: the AVX512 level without VBMI2 and VBMI (the
         * validator's vpshufb lookups; with them, vpermb) */
        unsigned long before = failures, checks_before = checks;
        level = pass <= WSF_NEON ? pass : WSF_AVX512;
        if (!wsf_level_supported(level) || (only >= 0 && level != only)
            || (pass > WSF_NEON && !vbmi2)) {
            continue;
        }
        wsf_cpu_vbmi2 = pass <= WSF_NEON ? vbmi2 : 0;
        test_mask(level);
        test_entry_points(level);
        test_utf8_random(level);
        test_utf8_sparse(level);
        test_utf8_exhaustive(level);
        printf("level %-7s%s %s (%lu checks)\n", wsf_level_name(level),
               level == WSF_AVX512 ? (wsf_cpu_vbmi2 ? " (vbmi)" : " (no vbmi)") : "",
               failures == before ? "ok" : "FAILED", checks - checks_before);
        fflush(stdout);
    }
    wsf_cpu_vbmi2 = vbmi2;
    printf("%s: %lu checks, %lu failures\n", failures ? "FAILED" : "PASSED",
           checks, failures);
    return failures ? 1 : 0;
}
