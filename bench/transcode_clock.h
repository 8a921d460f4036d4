/*
 * transcode_clock.h -- what bench/transcode_time.c, bench/transcode_ab.c and
 * bench/validate_time.c share: a monotonic clock in nanoseconds, a
 * comparison for qsort of doubles (the medians) and the reading of the
 * input file.
 */
#ifndef TRANSCODE_CLOCK_H
#define TRANSCODE_CLOCK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The file at path, in a buffer from malloc of exactly its length (*pn), as
 * a bytes object's, so that reading past it shows under ASan; NULL after
 * perror when it cannot be read. */
static uint8_t *read_input(const char *path, size_t *pn)
{
    FILE *f = fopen(path, "rb");
    uint8_t *s;
    long size;
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0) {
        perror(path);
        if (f != NULL) fclose(f);
        return NULL;
    }
    rewind(f);
    *pn = (size_t)size;
    s = malloc(*pn ? *pn : 1);
    if (s == NULL || fread(s, 1, *pn, f) != *pn) {
        perror(path);
        free(s);
        fclose(f);
        return NULL;
    }
    fclose(f);
    return s;
}

#endif /* TRANSCODE_CLOCK_H */
