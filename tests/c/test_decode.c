/*
 * C tests of the UTF-8 -> UCS-1/2/4 transcoder (wsf_decode*.h) at every
 * SIMD level this CPU supports, against an independent scalar decoder.
 * Every input and output lives in a heap buffer of exactly its size, so a
 * read or write past either end is caught by AddressSanitizer / valgrind.
 *
 *   cc -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
 *      -Wall -Wextra -Werror -I wsframe/_speedups tests/c/test_decode.c \
 *      -o /tmp/wsf_decode_asan && /tmp/wsf_decode_asan
 *
 * (tests/c/run.sh does exactly this, then valgrind when installed.)
 */
#include <stdio.h>
#include <stdlib.h>
#include "wsf_dispatch.h"

static unsigned long long rng_state = 88172645463325252ULL;
static unsigned rnd(unsigned k)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % k);
}

static int failures = 0;

/* Encode one code point; returns its length. */
static size_t enc(uint32_t c, uint8_t *p)
{
    if (c < 0x80) { p[0] = (uint8_t)c; return 1; }
    if (c < 0x800) { p[0] = (uint8_t)(0xC0 | c >> 6); p[1] = (uint8_t)(0x80 | (c & 63)); return 2; }
    if (c < 0x10000) {
        p[0] = (uint8_t)(0xE0 | c >> 12); p[1] = (uint8_t)(0x80 | ((c >> 6) & 63));
        p[2] = (uint8_t)(0x80 | (c & 63)); return 3;
    }
    p[0] = (uint8_t)(0xF0 | c >> 18); p[1] = (uint8_t)(0x80 | ((c >> 12) & 63));
    p[2] = (uint8_t)(0x80 | ((c >> 6) & 63)); p[3] = (uint8_t)(0x80 | (c & 63));
    return 4;
}

static uint32_t pick(int kind)
{
    static const uint32_t edges[] = {0, 0x7F, 0x80, 0xFF, 0x100, 0x7FF, 0x800, 0xFFF,
                                     0x1000, 0xD7FF, 0xE000, 0xFFFD, 0xFFFE, 0xFFFF,
                                     0x10000, 0x3FFFF, 0x40000, 0x10FFFF, 0x1F600};
    uint32_t c;
    unsigned r = rnd(100);
    if (r < 30) return 0x20 + rnd(0x5F);                 /* ASCII */
    if (kind == 1 || r < 40) return 0x80 + rnd(0x80);     /* Latin-1 */
    if (r < 45) {
        c = edges[rnd(sizeof edges / sizeof edges[0])];
        if (kind == 2 && c > 0xFFFF) c = 0xFFFF;
        return c;
    }
    if (r < 60) return 0x400 + rnd(0x100);                 /* Cyrillic */
    if (kind == 2 || r < 85) {
        do { c = 0x800 + rnd(0xF800); } while (c >= 0xD800 && c < 0xE000);
        return c;
    }
    return 0x10000 + rnd(0x100000);
}

/* The one-pass checked decoder (wsf_dec_checked8/16/32: wsf_str.h's path at
 * the scalar and SSE2 levels and for short input), into an output of exactly
 * ncp code points of the narrowest width that holds them (as the str it
 * writes), and into 32 bits (the stack-buffer form): the code points, no
 * error. */
#define CHECKED_INTO(T, FN)                                                     \
    do {                                                                        \
        T *o = malloc(ncp ? ncp * sizeof(T) : 1);                               \
        size_t bad = 0, j;                                                      \
        ptrdiff_t m = FN(s, n, o, &bad);                                        \
        for (j = 0; m == (ptrdiff_t)ncp && j < ncp; j++) if (o[j] != cps[j]) break; \
        if (m != (ptrdiff_t)ncp || j < ncp) {                                   \
            printf(#FN " n=%zu: m=%td/%zu at %zu\n", n, m, ncp, j);              \
            failures++;                                                         \
        }                                                                       \
        free(o);                                                                \
    } while (0)

static void check_checked(const uint8_t *s, size_t n, const uint32_t *cps, size_t ncp,
                          uint32_t maxcp)
{
    if (maxcp <= 0xFF) {
        CHECKED_INTO(uint8_t, wsf_dec_checked8);
    } else if (maxcp <= 0xFFFF) {
        CHECKED_INTO(uint16_t, wsf_dec_checked16);
    }
    CHECKED_INTO(uint32_t, wsf_dec_checked32);
}

/* On any bytes it fails exactly where the validator does (the start of the
 * first ill-formed sequence), writing at most n code points. */
static void checked_garbage(const uint8_t *s, size_t n)
{
    uint32_t *o = malloc(n ? n * 4 : 4);
    size_t bad = 0;
    ptrdiff_t m = wsf_dec_checked32(s, n, o, &bad);
    ptrdiff_t f = wsf_utf8_find_invalid_level(WSF_SCALAR, s, n);
    if ((m < 0) != (f >= 0) || (f >= 0 && (size_t)f != bad)) {
        printf("checked garbage n=%zu: m=%td bad=%zu, validator %td\n", n, m, bad, f);
        failures++;
    }
    free(o);
}

/* The one-pass stages (transcode and validate, wsf_decode_ucs2v/4v_with),
 * where the level has them: on s[0..n) they must say what the validator
 * says, and on valid input (cps given) write exactly its code points. */
static void onepass(int level, const uint8_t *s, size_t n, const uint32_t *cps, size_t ncp,
                    uint32_t maxcp)
{
    const wsf_kernel_table *k = wsf_table_for(level);
    wsf_utf8_state st;
    int want, got;
    size_t i;
    if (k->dec_ucs2v == NULL) {
        return;
    }
    wsf_utf8_init(&st);
    want = wsf_utf8_one_shot(&st, wsf_utf8_stream_level(level, &st, s, n), n) >= 0;
    if (maxcp <= 0xFFFF) {
        uint16_t *o = malloc(ncp ? ncp * 2 : 2);
        got = wsf_decode_ucs2v_with(k, s, n, o, ncp);
        for (i = 0; cps != NULL && i < ncp; i++) if (o[i] != cps[i]) break;
        if (got != want || (cps != NULL && i < ncp)) {
            printf("level %s ucs2v n=%zu: %d/%d at %zu\n", wsf_level_name(level), n, got, want, i);
            failures++;
        }
        free(o);
    }
    {
        uint32_t *o = malloc(ncp ? ncp * 4 : 4);
        got = wsf_decode_ucs4v_with(k, s, n, o, ncp);
        for (i = 0; cps != NULL && i < ncp; i++) if (o[i] != cps[i]) break;
        if (got != want || (cps != NULL && i < ncp)) {
            printf("level %s ucs4v n=%zu: %d/%d at %zu\n", wsf_level_name(level), n, got, want, i);
            failures++;
        }
        for (i = 0; i < ncp; i++) {
            if (o[i] > 0x10FFFF) { printf("ucs4v: above U+10FFFF\n"); failures++; break; }
        }
        free(o);
    }
}

static void check(int level, const uint32_t *cps, size_t ncp, int kind)
{
    uint8_t *tmp = malloc(ncp * 4 + 1), *s;
    size_t n = 0, i, nchars;
    unsigned top, want_top = 0;
    for (i = 0; i < ncp; i++) {
        n += enc(cps[i], tmp + n);
    }
    s = malloc(n ? n : 1);
    memcpy(s, tmp, n);
    for (i = 0; i < n; i++) want_top = s[i] > want_top ? s[i] : want_top;
    top = wsf_decode_scan_level(level, s, n, &nchars);
    if (nchars != ncp || (want_top >= 0x80 && top != want_top) || (want_top < 0x80 && top >= 0x80)) {
        printf("level %s scan: n=%zu nchars %zu/%zu top %u/%u\n", wsf_level_name(level),
               n, nchars, ncp, top, want_top);
        failures++;
    }
    uint32_t maxcp = 0;
    for (i = 0; i < ncp; i++) maxcp = cps[i] > maxcp ? cps[i] : maxcp;
    (void)kind;
    if (level == WSF_SCALAR) { /* plain C, the same at every level */
        check_checked(s, n, cps, ncp, maxcp);
        if (n) { /* one wrong byte anywhere; cut short */
            uint8_t *w = malloc(n), *c = malloc(n - 1 ? n - 1 : 1);
            memcpy(w, s, n);
            w[rnd((unsigned)n)] = (uint8_t)rnd(256);
            checked_garbage(w, n);
            memcpy(c, s, n - 1);
            checked_garbage(c, n - 1);
            free(w);
            free(c);
        }
    }
    {
        uint8_t *o = malloc(n ? n : 1);
        size_t done = wsf_decode_ascii_level(level, s, n, o);
        size_t first = 0;
        while (first < n && s[first] < 0x80) first++;
        if (done > first || (first == n && done != n) || memcmp(o, s, done) != 0) {
            printf("level %s ascii n=%zu done %zu first %zu\n", wsf_level_name(level), n, done, first);
            failures++;
        }
        free(o);
    }
    if (maxcp <= 0xFF) {
        uint8_t *o = malloc(ncp ? ncp : 1);
        wsf_decode_ucs1_level(level, s, n, o, ncp);
        for (i = 0; i < ncp; i++) if (o[i] != cps[i]) break;
        if (i < ncp) { printf("level %s ucs1 n=%zu at %zu\n", wsf_level_name(level), n, i); failures++; }
        free(o);
    }
    if (maxcp <= 0xFFFF) {
        uint16_t *o = malloc(ncp ? ncp * 2 : 2);
        wsf_decode_ucs2_level(level, s, n, o, ncp);
        for (i = 0; i < ncp; i++) if (o[i] != cps[i]) break;
        if (i < ncp) { printf("level %s ucs2 n=%zu at %zu: %x/%x\n", wsf_level_name(level), n, i, o[i], cps[i]); failures++; }
        free(o);
    }
    {
        uint32_t *o = malloc(ncp ? ncp * 4 : 4);
        wsf_decode_ucs4_level(level, s, n, o, ncp);
        for (i = 0; i < ncp; i++) if (o[i] != cps[i]) break;
        if (i < ncp) { printf("level %s ucs4 n=%zu at %zu: %x/%x\n", wsf_level_name(level), n, i, o[i], cps[i]); failures++; }
        free(o);
    }
    onepass(level, s, n, cps, ncp, maxcp);
    free(s);
    free(tmp);
}

/* Garbage (not UTF-8) must never make a kernel touch memory outside.  w = 0:
 * random bytes; w = 2, 3, 4: run-shaped garbage, a lead of that width every w
 * bytes (F5..F7 included for 4) and random bytes between, which takes the
 * uniform-run paths with broken continuations. */
static void garbage_runs(int level, size_t n, size_t nout, unsigned w)
{
    uint8_t *s = malloc(n ? n : 1);
    uint8_t *o1 = malloc(nout ? nout : 1);
    uint16_t *o2 = malloc(nout ? nout * 2 : 2);
    uint32_t *o4 = malloc(nout ? nout * 4 : 4);
    size_t i;
    for (i = 0; i < n; i++) s[i] = (uint8_t)rnd(256);
    if (w) {
        for (i = 0; i < n; i += w) {
            s[i] = (uint8_t)(w == 2 ? 0xC0 | rnd(32) : w == 3 ? 0xE0 | rnd(16) : 0xF0 | rnd(8));
        }
    }
    if (level == WSF_SCALAR) {
        checked_garbage(s, n);
    }
    wsf_decode_ucs1_level(level, s, n, o1, nout);
    wsf_decode_ucs2_level(level, s, n, o2, nout);
    wsf_decode_ucs4_level(level, s, n, o4, nout);
    onepass(level, s, n, NULL, nout, w == 4 || w == 0 ? 0x10FFFF : 0xFFFF);
    for (i = 0; i < nout; i++) {
        if (o4[i] > 0x10FFFF) { printf("garbage: ucs4 above U+10FFFF\n"); failures++; break; }
    }
    free(s); free(o1); free(o2); free(o4);
}

static void garbage(int level, size_t n, size_t nout)
{
    garbage_runs(level, n, nout, 0);
}

/* Uniform runs (text of one width: the fixed-layout fast paths) after 0..3
 * ASCII bytes, of every length up to 40 characters and of a few lengths
 * that fill two or three 64-byte blocks (so a block also starts inside a
 * character: AVX-512's 2-byte runs at offset 1), and the same with one
 * foreign character (ASCII or another width) at every position. */
static void runs(int level, uint32_t *cps, int quick)
{
    static const uint32_t run_cp[] = {0xE9, 0x416, 0x4E2D, 0x1F600};
    static const uint32_t foreign[] = {'x', 0xDF, 0x416, 0x4E2D, 0x1F600};
    static const size_t longer[] = {64, 65, 66, 97, 130, 131};
    size_t lens[46], nlens = 0, r, f, at, pre, i, len, k;
    for (len = 1; len <= 40; len += quick ? 7 : 1) lens[nlens++] = len;
    for (k = 0; k < 6; k++) lens[nlens++] = longer[k];
    for (r = 0; r < 4; r++) {
        for (pre = 0; pre < 4; pre++) {
            for (k = 0; k < nlens; k++) {
                len = lens[k];
                for (i = 0; i < pre; i++) cps[i] = 'a';
                for (i = pre; i < pre + len; i++) cps[i] = run_cp[r] + rnd(16);
                check(level, cps, pre + len, 0);
                for (f = 0; f < 5; f++) {
                    for (at = pre; at < pre + len; at++) {
                        uint32_t was = cps[at];
                        cps[at] = foreign[f];
                        check(level, cps, pre + len, 0);
                        cps[at] = was;
                    }
                }
            }
        }
    }
    for (len = 0; len < 160; len++) {
        for (r = 2; r <= 4; r++) {
            garbage_runs(level, len, len, (unsigned)r);
            garbage_runs(level, len, len / r, (unsigned)r);
        }
    }
}

/* A code point of width w (1..4 UTF-8 bytes), one of the two ends of its
 * range one time in four (the ends give the edge second bytes: E0 A0,
 * EF BF, F0 90, F4 8F). */
static uint32_t of_width(unsigned w)
{
    static const uint32_t lo[] = {0, 0x20, 0x80, 0x800, 0x10000};
    static const uint32_t hi[] = {0, 0x7E, 0x7FF, 0xFFFF, 0x10FFFF};
    uint32_t c;
    unsigned r = rnd(8);
    if (r == 0) return lo[w];
    if (r == 1) return hi[w];
    do { c = lo[w] + rnd(hi[w] - lo[w] + 1); } while (c >= 0xD800 && c < 0xE000);
    return c;
}

/* Mixed-width text (the general block path): after 0..35 ASCII bytes (so
 * every boundary falls at every offset of a 16- or 32-byte block, and at
 * many of a 64-byte one), a run of width a, one of width b, one of width c,
 * of 1..6 characters each, for every ordered choice of widths; then all
 * code points in order, alone and with 0..3 ASCII bytes after each. */
static void mixes(int level, uint32_t *cps, int quick)
{
    unsigned a, b, c, pre, la, lb, lc;
    size_t n, i;
    uint32_t cp;
    for (a = 1; a <= 4; a++) {
        for (b = 1; b <= 4; b++) {
            for (c = 1; c <= 4; c++) {
                for (pre = 0; pre < 36; pre += quick ? 7 : 1) {
                    for (la = 1; la <= 6; la += quick ? 2 : 1) {
                        for (lb = 1; lb <= 6; lb += quick ? 2 : 1) {
                            lc = 1 + rnd(6);
                            n = 0;
                            for (i = 0; i < pre; i++) cps[n++] = 'a';
                            for (i = 0; i < la; i++) cps[n++] = of_width(a);
                            for (i = 0; i < lb; i++) cps[n++] = of_width(b);
                            for (i = 0; i < lc; i++) cps[n++] = of_width(c);
                            for (i = 0; i < rnd(40); i++) cps[n++] = of_width(1 + rnd(4));
                            check(level, cps, n, 0);
                        }
                    }
                }
            }
        }
    }
    if (quick) return;
    for (n = 0, cp = 0; cp <= 0x10FFFF; cp++) {
        if (cp < 0xD800 || cp >= 0xE000) cps[n++] = cp;
    }
    check(level, cps, n, 0);
    for (n = 0, cp = 0; cp <= 0x10FFFF; cp += 1 + rnd(3)) {
        if (cp >= 0xD800 && cp < 0xE000) continue;
        cps[n++] = cp;
        for (i = rnd(4); i > 0; i--) cps[n++] = 'a' + rnd(26);
    }
    check(level, cps, n, 0);
}

/* ASCII spans of 0..80 bytes between spans of 1..10 characters of other
 * widths: 16-, 32- and 64-byte ASCII stretches at every offset of a block,
 * where the kernels widen ASCII and transcode the rest of the block. */
static void spans(int level, uint32_t *cps, int quick)
{
    size_t rep, n, i, k;
    for (rep = 0; rep < (quick ? 100u : 1000u); rep++) {
        n = 0;
        while (n < 1500) {
            for (i = rnd(81); i > 0; i--) cps[n++] = 'a' + rnd(26);
            for (i = 1 + rnd(10), k = 2 + rnd(3); i > 0; i--) {
                cps[n++] = of_width(rep % 2 ? (unsigned)k : 2 + rnd(3));
            }
        }
        check(level, cps, n, 0);
    }
}

/* Well-formed runs of 2- or 4-byte characters after 0..3 ASCII bytes and
 * before 0..3 more, with a broken promise the other way: told to write one
 * code point per input byte, more than the input holds, so only the input's
 * end stops the loops (the run loops read 32 bytes from the run's offset). */
static void runs_overpromised(int level)
{
    static const uint32_t run_cp[] = {0x416, 0x1F600};
    size_t w, pre, post, len, i, n;
    for (w = 0; w < 2; w++) {
        for (pre = 0; pre < 4; pre++) {
            for (post = 0; post < 4; post++) {
                for (len = 1; len <= 40; len++) {
                    uint8_t *tmp = malloc(pre + 4 * len + post), *s;
                    uint32_t *o4;
                    uint16_t *o2;
                    for (n = 0; n < pre; n++) tmp[n] = 'a';
                    for (i = 0; i < len; i++) n += enc(run_cp[w] + rnd(16), tmp + n);
                    for (i = 0; i < post; i++) tmp[n++] = 'z';
                    s = malloc(n);
                    o4 = malloc(n * 4);
                    o2 = malloc(n * 2);
                    memcpy(s, tmp, n);
                    wsf_decode_ucs4_level(level, s, n, o4, n);
                    wsf_decode_ucs2_level(level, s, n, o2, n);
                    free(tmp); free(s); free(o4); free(o2);
                }
            }
        }
    }
}

int main(int argc, char **argv)
{
    int level, kind, quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    size_t len, rep;
    uint32_t *cps = malloc(3000000 * sizeof(uint32_t));
    int pass, vbmi2;
    wsf_cpu_init();
    vbmi2 = wsf_cpu_vbmi2;
    for (pass = 0; pass <= WSF_NEON + 1; pass++) {
        /* pass NEON + 1: the AVX512 level without VBMI2 (AVX2 kernels) */
        level = pass <= WSF_NEON ? pass : WSF_AVX512;
        if (!wsf_level_supported(level)) continue;
        if (pass == WSF_NEON + 1 && !vbmi2) continue;
        wsf_cpu_vbmi2 = pass <= WSF_NEON ? vbmi2 : 0;
        for (kind = 0; kind <= 3; kind++) {
            for (len = 0; len <= 300; len++) {
                for (rep = 0; rep < (quick ? 2u : 6u); rep++) {
                    size_t i;
                    for (i = 0; i < len; i++) cps[i] = pick(kind);
                    /* one non-ASCII character among ASCII, at every position */
                    if (rep == 0 && len) {
                        for (i = 0; i < len; i++) cps[i] = 'a';
                        cps[rnd((unsigned)len)] = pick(kind) | 0x80;
                        if (kind == 1) { size_t k; for (k = 0; k < len; k++) if (cps[k] > 0xFF) cps[k] = 0xE9; }
                        if (kind == 2) { size_t k; for (k = 0; k < len; k++) if (cps[k] > 0xFFFF || (cps[k] >= 0xD800 && cps[k] < 0xE000)) cps[k] = 0x20AC; }
                    }
                    if (rep == 1) { /* all ASCII */
                        for (i = 0; i < len; i++) cps[i] = 0x20 + rnd(0x60);
                    }
                    check(level, cps, len, kind);
                }
            }
            for (rep = 0; rep < 3; rep++) {
                size_t i, big = quick ? 5000 : 70000 + rnd(1000);
                for (i = 0; i < big; i++) cps[i] = pick(kind);
                check(level, cps, big, kind);
            }
        }
        runs(level, cps, quick);
        runs_overpromised(level);
        mixes(level, cps, quick);
        spans(level, cps, quick);
        for (len = 0; len < 200; len++) {
            garbage(level, len, len);
            garbage(level, len, len / 3);
            garbage(level, len, len + 5);
        }
        garbage(level, 100000, 40000);
        printf("level %s%s done\n", wsf_level_name(level),
               level == WSF_AVX512 ? (wsf_cpu_vbmi2 ? " (vbmi2)" : " (no vbmi2)") : "");
    }
    free(cps);
    if (failures) { printf("%d FAILURES\n", failures); return 1; }
    printf("OK\n");
    return 0;
}
