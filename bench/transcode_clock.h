/*
 * transcode_clock.h -- what bench/transcode_time.c, bench/transcode_ab.c and
 * bench/validate_time.c share: a monotonic clock in nanoseconds and a
 * comparison for qsort of doubles (the medians).
 */
#ifndef TRANSCODE_CLOCK_H
#define TRANSCODE_CLOCK_H

#include <time.h>

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int by_value(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

#endif /* TRANSCODE_CLOCK_H */
