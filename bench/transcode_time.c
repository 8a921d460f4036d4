/*
 * transcode_time.c -- the transcoder alone (wsf_decode_ucs1/2/4 at one SIMD
 * level, no scan, no validation, no str), timed on one input file: what the
 * Python benchmarks cannot separate from the passes around it.
 *
 *   python -c "from bench.inputs import text; \
 *              open('/tmp/mixed.bin', 'wb').write(text('mixed', 65536))"
 *   cc -O3 -I wsframe/_speedups bench/transcode_time.c -o /tmp/transcode_time
 *   /tmp/transcode_time /tmp/mixed.bin sse4      (or avx2, avx512, ...)
 *   /tmp/transcode_time /tmp/mixed.bin checked   (the one-pass scalar decoder)
 *
 * Prints the median and the minimum over 15 rounds of the time per call
 * (each round calls it enough times for ~10 ms).  The output kind is the one
 * the str would have (the largest byte of the input).  Builds of two trees
 * run one after the other compare a change on the same input.
 */
#include <stdio.h>
#include <stdlib.h>
#include "transcode_clock.h"
#include "wsf_dispatch.h"
#include "transcode_checked.h"

/* One call, in the output kind k (1, 2 or 4 bytes a code point); level -1:
 * the one-pass scalar decoder, which validates too (wsf_dec_checked*, what
 * the scalar and SSE2 levels run), into the str's kind as wsf_str.h does
 * from 2 KiB on. */
static void transcode(int level, int k, const uint8_t *s, size_t n, void *out, size_t nchars)
{
    if (level < 0) {
        transcode_checked(k, s, n, out);
        return;
    }
    if (k == 4) wsf_decode_ucs4_level(level, s, n, out, nchars);
    else if (k == 2) wsf_decode_ucs2_level(level, s, n, out, nchars);
    else wsf_decode_ucs1_level(level, s, n, out, nchars);
    __asm__ volatile("" : : "r"(out) : "memory");
}

int main(int argc, char **argv)
{
    uint8_t *s;
    void *out;
    size_t n, nchars, calls, c;
    unsigned top;
    int level = -2, k, r;
    double t[15], t0;
    if (argc != 3) {
        fprintf(stderr, "usage: %s FILE LEVEL\n", argv[0]);
        return 2;
    }
    wsf_cpu_init();
    for (k = 0; k <= WSF_NEON; k++) {
        if (strcmp(argv[2], wsf_level_name(k)) == 0) level = k;
    }
    if (strcmp(argv[2], "checked") == 0) level = -1;
    if (level < -1 || (level >= 0 && !wsf_level_supported(level))) {
        fprintf(stderr, "level %s not supported here\n", argv[2]);
        return 2;
    }
    s = read_input(argv[1], &n);
    if (s == NULL) {
        return 2;
    }
    top = wsf_decode_scan_level(level < 0 ? WSF_SCALAR : level, s, n, &nchars);
    out = malloc(nchars * 4 + 4);
    k = top >= 0xF0 ? 4 : top >= 0xC4 ? 2 : 1;
    t0 = now_ns();
    for (calls = 0; now_ns() - t0 < 1e7; calls++) {
        transcode(level, k, s, n, out, nchars);
    }
    for (r = 0; r < 15; r++) {
        t0 = now_ns();
        for (c = 0; c < calls; c++) {
            transcode(level, k, s, n, out, nchars);
        }
        t[r] = (now_ns() - t0) / (double)calls;
    }
    qsort(t, 15, sizeof t[0], by_value);
    printf("%s %s n=%zu UCS-%d: median %.1f ns, min %.1f ns\n", argv[1],
           level < 0 ? "checked" : wsf_level_name(level), n, k, t[7], t[0]);
    free(s);
    free(out);
    return 0;
}
