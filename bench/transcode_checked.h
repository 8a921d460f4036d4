/*
 * transcode_checked.h -- the one-pass scalar decoder as the transcoder
 * harnesses time it (bench/transcode_time.c, bench/transcode_ab.c): what the
 * scalar and SSE2 levels run (wsf_dec_checked*, which validates too), into
 * the output kind k of the str (1, 2 or 4 bytes a code point).  Include
 * after wsf_dispatch.h.
 */
#ifndef TRANSCODE_CHECKED_H
#define TRANSCODE_CHECKED_H

static void transcode_checked(int k, const uint8_t *s, size_t n, void *out)
{
    size_t bad;
    ptrdiff_t m = k == 4 ? wsf_dec_checked32(s, n, out, &bad)
                  : k == 2 ? wsf_dec_checked16(s, n, out, &bad)
                           : wsf_dec_checked8(s, n, out, &bad);
    __asm__ volatile("" : : "r"(m) : "memory");
}

#endif /* TRANSCODE_CHECKED_H */
