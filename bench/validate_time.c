/*
 * validate_time.c -- the UTF-8 validator's block kernels alone at one SIMD
 * level: utf8_blocks (is_valid, the frame decoder) and utf8_scan_blocks
 * (validation fused with the transcoder's scan: largest byte, continuation
 * count), over the whole 64-byte blocks of one input file.
 *
 *   python -c "from bench.inputs import text; \
 *              open('/tmp/json.bin', 'wb').write(text('json_intl', 65536))"
 *   cc -O3 -I wsframe/_speedups -I bench bench/validate_time.c -o /tmp/validate_time
 *   /tmp/validate_time /tmp/json.bin avx512          (or sse4, avx2, ...)
 *   /tmp/validate_time /tmp/json.bin avx512 novbmi   (the AVX512 row of a CPU
 *                                                     without VBMI2 and VBMI)
 *
 * Prints the median and the minimum over 15 rounds of the time per call of
 * each kernel (each round calls it enough times for ~10 ms).  A build
 * against another tree's headers (git archive REV wsframe/_speedups) run
 * right after compares a change on the same input.
 */
#include <stdio.h>
#include <stdlib.h>
#include "transcode_clock.h"
#include "wsf_dispatch.h"

static volatile size_t sink;

static void time_kernel(const wsf_kernel_table *kt, int fused, const uint8_t *s, size_t n,
                        double *median, double *least)
{
    double t[15], t0;
    size_t calls = 0, c, ncont;
    unsigned mx;
    int r;
    for (r = -1; r < 15; r++) {
        t0 = now_ns();
        if (r < 0) { /* warm-up: how many calls make ~10 ms */
            for (calls = 0; now_ns() - t0 < 1e7; calls++) {
                sink += fused ? kt->utf8_scan_blocks(s, n, &mx, &ncont) : kt->utf8_blocks(s, n);
            }
            continue;
        }
        for (c = 0; c < calls; c++) {
            sink += fused ? kt->utf8_scan_blocks(s, n, &mx, &ncont) : kt->utf8_blocks(s, n);
        }
        t[r] = (now_ns() - t0) / (double)calls;
    }
    qsort(t, 15, sizeof t[0], by_value);
    *median = t[7];
    *least = t[0];
}

int main(int argc, char **argv)
{
    uint8_t *s;
    size_t n;
    int level = -1, k;
    double med[2], least[2];
    const wsf_kernel_table *kt;
    if (argc < 3 || argc > 4 || (argc == 4 && strcmp(argv[3], "novbmi") != 0)) {
        fprintf(stderr, "usage: %s FILE LEVEL [novbmi]\n", argv[0]);
        return 2;
    }
    wsf_cpu_init();
    for (k = 0; k <= WSF_NEON; k++) {
        if (strcmp(argv[2], wsf_level_name(k)) == 0) level = k;
    }
    if (level < 0 || !wsf_level_supported(level)) {
        fprintf(stderr, "level %s not supported here\n", argv[2]);
        return 2;
    }
    if (argc == 4) {
        wsf_cpu_vbmi2 = 0;
    }
    kt = wsf_table_for(level);
    if (kt->utf8_blocks == NULL) {
        fprintf(stderr, "level %s has no vector validator\n", argv[2]);
        return 2;
    }
    s = read_input(argv[1], &n);
    if (s == NULL) {
        return 2;
    }
    n &= ~(size_t)63; /* the kernels take whole 64-byte blocks */
    time_kernel(kt, 0, s, n, &med[0], &least[0]);
    time_kernel(kt, 1, s, n, &med[1], &least[1]);
    printf("%s %s%s n=%zu: utf8_blocks median %.1f ns, min %.1f ns; "
           "utf8_scan_blocks median %.1f ns, min %.1f ns\n",
           argv[1], argv[2], argc == 4 ? " (no vbmi)" : "", n, med[0], least[0], med[1],
           least[1]);
    free(s);
    return 0;
}
