/*
 * transcode_ab.c -- the transcoder of two trees, timed in turn in one process
 * (bench/transcode_ab.sh builds and runs it): on this shared VM a process's
 * figures can move by half between runs, while two builds called in turn on
 * the same buffers see the same machine.
 *
 * Compiled three times: with WSF_AB_SIDE=a and the old tree's headers, with
 * WSF_AB_SIDE=b and this tree's (each defines a_run / b_run ...), and with
 * WSF_AB_MAIN for main().  Usage of the program:
 *
 *   transcode_ab FILE LEVEL
 *
 * LEVEL is a level name (scalar, sse2, sse4, avx2, avx512), or "checked":
 * the one-pass scalar decoder that validates too (wsf_dec_checked*, what the
 * scalar and SSE2 levels run, into the str's kind).  The output kind
 * is the str's (the largest byte of the input).  Prints both medians and the
 * median of the per-round ratios new/old [first - third quartile] over 41
 * rounds, each round calling each build enough times for ~2 ms.  Exits 1 if
 * the two outputs differ.
 */
#ifdef WSF_AB_MAIN
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "transcode_clock.h"

#define ROUNDS 41

int a_init(const char *level);
int b_init(const char *level);
unsigned a_scan(const uint8_t *s, size_t n, size_t *nchars);
void a_run(int k, const uint8_t *s, size_t n, void *out, size_t nchars);
void b_run(int k, const uint8_t *s, size_t n, void *out, size_t nchars);

int main(int argc, char **argv)
{
    uint8_t *s;
    unsigned char *oa, *ob;
    size_t n, nchars, calls, c;
    double ta[ROUNDS], tb[ROUNDS], ratio[ROUNDS], t0;
    unsigned top;
    int k, r;
    if (argc != 3) {
        fprintf(stderr, "usage: %s FILE LEVEL\n", argv[0]);
        return 2;
    }
    if (a_init(argv[2]) != 0 || b_init(argv[2]) != 0) {
        fprintf(stderr, "level %s not supported here\n", argv[2]);
        return 2;
    }
    s = read_input(argv[1], &n);
    if (s == NULL || n == 0) {
        if (s != NULL) fprintf(stderr, "%s: empty\n", argv[1]);
        return 2;
    }
    top = a_scan(s, n, &nchars);
    k = top >= 0xF0 ? 4 : top >= 0xC4 ? 2 : 1;
    oa = calloc(nchars + 1, 4);
    ob = calloc(nchars + 1, 4);
    if (oa == NULL || ob == NULL) {
        return 2;
    }
    a_run(k, s, n, oa, nchars);
    b_run(k, s, n, ob, nchars);
    if (memcmp(oa, ob, (size_t)k * nchars) != 0) {
        printf("%s %s: the two builds' outputs differ\n", argv[1], argv[2]);
        return 1;
    }
    calls = 2000000 / (n + 100) + 1;
    for (r = 0; r < ROUNDS; r++) { /* both builds write the same buffer */
        t0 = now_ns();
        for (c = 0; c < calls; c++) {
            a_run(k, s, n, oa, nchars);
        }
        ta[r] = (now_ns() - t0) / (double)calls;
        t0 = now_ns();
        for (c = 0; c < calls; c++) {
            b_run(k, s, n, oa, nchars);
        }
        tb[r] = (now_ns() - t0) / (double)calls;
        ratio[r] = tb[r] / ta[r];
    }
    qsort(ta, ROUNDS, sizeof ta[0], by_value);
    qsort(tb, ROUNDS, sizeof tb[0], by_value);
    qsort(ratio, ROUNDS, sizeof ratio[0], by_value);
    printf("%s %s n=%zu UCS-%d: old %.1f ns, new %.1f ns, new/old %.3f [%.3f - %.3f]\n",
           argv[1], argv[2], n, k, ta[ROUNDS / 2], tb[ROUNDS / 2], ratio[ROUNDS / 2],
           ratio[ROUNDS / 4], ratio[3 * ROUNDS / 4]);
    return 0;
}

#else /* one tree's side */
#include <string.h>
#include "wsf_dispatch.h"
#include "transcode_checked.h"

#define WSF_AB_CAT2(a, b) a##_##b
#define WSF_AB_CAT(a, b) WSF_AB_CAT2(a, b)
#define WSF_AB(name) WSF_AB_CAT(WSF_AB_SIDE, name)

static int wsf_ab_level = -2; /* -1: the checked decoder */

int WSF_AB(init)(const char *level)
{
    int k;
    wsf_cpu_init();
    if (strcmp(level, "checked") == 0) {
        wsf_ab_level = -1;
        return 0;
    }
    for (k = 0; k <= WSF_NEON; k++) {
        if (strcmp(level, wsf_level_name(k)) == 0 && wsf_level_supported(k)) {
            wsf_ab_level = k;
            return 0;
        }
    }
    return -1;
}

unsigned WSF_AB(scan)(const uint8_t *s, size_t n, size_t *nchars)
{
    return wsf_decode_scan_level(WSF_SCALAR, s, n, nchars);
}

void WSF_AB(run)(int k, const uint8_t *s, size_t n, void *out, size_t nchars)
{
    if (wsf_ab_level < 0) {
        transcode_checked(k, s, n, out);
        return;
    }
    if (k == 4) {
        wsf_decode_ucs4_level(wsf_ab_level, s, n, out, nchars);
    } else if (k == 2) {
        wsf_decode_ucs2_level(wsf_ab_level, s, n, out, nchars);
    } else {
        wsf_decode_ucs1_level(wsf_ab_level, s, n, out, nchars);
    }
    __asm__ volatile("" : : "r"(out) : "memory");
}
#endif
