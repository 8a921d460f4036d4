/*
 * wsf_str.h -- the CPython str of UTF-8 bytes, built with the transcoder of
 * wsf_decode.h.  Include after Python.h (every Cython module does).
 *
 *   PyObject *wsf_decode_str(const uint8_t *s, Py_ssize_t n, int validated,
 *                            Py_ssize_t *error_pos);
 *
 *   Call with the GIL held.  Returns a new reference to the str equal to
 *   bytes(s[0..n)).decode("utf-8"), allocated once at its final size and
 *   kind.  On failure returns NULL and either
 *     - *error_pos >= 0, no exception set: s is not well-formed UTF-8 and the
 *       first ill-formed sequence starts at *error_pos (exactly CPython's
 *       UnicodeDecodeError.start; a sequence cut short by the end of s counts
 *       as ill-formed at its lead byte).  wsf_decode_truncated(s, n, pos)
 *       tells whether that sequence is merely cut short by the end (for the
 *       error message); or
 *     - *error_pos == -1 with an exception set (MemoryError).
 *   validated=1 skips validation: the caller promises that s is well-formed
 *   (e.g. the frame decoder checked it while unmasking).  If it is not, the
 *   result is a str of unspecified content (or, at levels that delegate to
 *   CPython's decoder, the ill-formed-input failure), never a memory error
 *   (see wsf_decode.h).  s must not change during the call: the passes
 *   trust what the passes before them saw (the str's length and kind).  For
 *   n >= WSF_NOGIL_THRESHOLD the GIL is released while scanning, validating
 *   and transcoding (the str is not yet shared then), so the caller must
 *   keep s pinned: an immutable bytes it holds a reference to, or memory
 *   only it can write.  Memory others may write (a bytearray, a memoryview,
 *   a shared mmap: any caller's buffer but bytes) goes to
 *
 *   PyObject *wsf_decode_str_unpinned(const uint8_t *s, Py_ssize_t n,
 *                                     Py_ssize_t *error_pos);
 *
 *   the same with validated=0, which decodes from a private copy of s
 *   (ASCII: copied once, while checked).  The kernels are the module's
 *   table (wsf_kt), taken from _mask at import (wsf_capsule.h).
 *
 * Steps: (1) ASCII bet: an input shorter than WSF_STR_SHORT (192) bytes
 * is checked whole (inline 8-byte-word test) and, if ASCII, copied inline
 * into a 1-byte str; a longer one whose first 64 bytes are ASCII is
 * copied into a 1-byte str while being checked, in one pass, as CPython's
 * ASCII decoder does (a lost bet drops the partial copy: only that ASCII
 * prefix was read twice).  (2) Scan: largest byte and count of continuation
 * bytes (the kind and the length of the str), and (3) validate, in one pass
 * (wsf_decode_scan_stream_with, the level's fused kernel; validated=1: the
 * scan alone).  (4) PyUnicode_New(nchars, maxchar), once.  (5) Transcode
 * into its storage.  Text with 3- and 4-byte characters (the bet of
 * wsf_str_onepass_bet) at levels with one-pass stages instead takes the
 * scan alone, then transcodes and validates in one pass
 * (wsf_decode_str_onepass).  After step (1), input below WSF_STR_TINY (128)
 * bytes at every level, and all input at the levels without a vector
 * transcoder (scalar, SSE2), is validated and decoded in ONE scalar pass
 * instead, with one allocation (wsf_str_scalar); UCS-4 text on NEON goes to
 * CPython's decoder (no UCS-4 transcoder there yet).
 */
#ifndef WSF_STR_H
#define WSF_STR_H

#include "wsf_python.h"
#include "wsf_decode.h"

/* CPython's decoder, for UCS-4 text on NEON (no transcoder there yet).  An
 * ill-formed input (also one a caller promised was validated) gives
 * *error_pos from the validator, the same offset as the exception's start. */
static PyObject *wsf_decode_cpython(const uint8_t *s, Py_ssize_t n,
                                    Py_ssize_t *error_pos)
{
    ptrdiff_t bad;
    PyObject *u = PyUnicode_DecodeUTF8((const char *)s, n, NULL);
    if (u == NULL && PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
        bad = wsf_utf8_find_invalid(s, (size_t)n);
        if (bad >= 0) {
            PyErr_Clear();
            *error_pos = (Py_ssize_t)bad;
        }
    }
    return u;
}

/* Below this length the ASCII bet checks all of s before it allocates
 * (wsf_str_ascii_short), from it on it copies while checking: the level's
 * vector kernel, or at the scalar level wsf_str_ascii_copy.  Measured with
 * bench.ascii_sweep at every level, two builds: on Zen 4 the copy while
 * checking from 192 bytes was a tie with the two inline passes at 192-383
 * bytes (and from 64 bytes it had cost ~10 ns a call, 0.75-0.94x
 * bytes.decode at 64-129 bytes, in an older tree); on an Intel Xeon
 * (Emerald Rapids) the two passes took 32-36 ns at 192-383 bytes
 * against 25-29 for the copy while checking, and 256 bytes of ASCII read
 * 0.96-0.99x bytes.decode with the cut at 384 (1.25-1.35x with it here). */
#define WSF_STR_SHORT 192

/* Non-ASCII input below this length takes the one-pass scalar decoder
 * (wsf_str_scalar) at every level: 1.5-2.2x bytes.decode at 16-127 bytes,
 * where the vector path read 1.2-1.7x (SSE4, AVX2, AVX-512); from 128 bytes
 * the vector path is ahead. */
#define WSF_STR_TINY 128

/* wsf_str_scalar decodes below this length into a stack buffer of 32-bit
 * code points (8 KiB), from it on into the str after a scan. */
#define WSF_STR_SHORT_DEC 2048

/* Is s[0..n) ASCII?  8-byte words OR-ed (the last one overlapping). */
static inline int wsf_str_ascii_short(const uint8_t *s, size_t n)
{
    uint64_t w, acc = 0;
    size_t k;
    if (n >= 8) {
        for (k = 0; k + 8 <= n; k += 8) {
            memcpy(&w, s + k, 8);
            acc |= w;
        }
        memcpy(&w, s + n - 8, 8);
        acc |= w;
    } else {
        for (k = 0; k < n; k++) {
            acc |= s[k];
        }
    }
    return (acc & 0x8080808080808080ULL) == 0;
}

/* Copy s[0..n) to d in 8-byte words (the last one overlapping): inline,
 * where a call to memcpy costs ~5 ns at these lengths. */
static inline void wsf_str_copy_short(uint8_t *d, const uint8_t *s, size_t n)
{
    uint64_t w;
    size_t k;
    if (n >= 8) {
        for (k = 0; k + 8 <= n; k += 8) {
            memcpy(&w, s + k, 8);
            memcpy(d + k, &w, 8);
        }
        memcpy(&w, s + n - 8, 8);
        memcpy(d + n - 8, &w, 8);
    } else {
        for (k = 0; k < n; k++) {
            d[k] = s[k];
        }
    }
}

/* Are the first 64 bytes of s ASCII?  (Eight words OR-ed, no copy.) */
static inline int wsf_str_ascii64(const uint8_t *s)
{
    uint64_t w[8];
    memcpy(w, s, 64);
    return (((w[0] | w[1]) | (w[2] | w[3]) | (w[4] | w[5]) | (w[6] | w[7]))
            & 0x8080808080808080ULL) == 0;
}

/* Copy s[0..n) (n >= 8) to out while it is ASCII, in plain C: the scalar
 * level's copy-while-checking.  Returns n, or a length before the first
 * non-ASCII byte (out is then partly written and to be dropped).  Eight
 * 8-byte words a step, OR-ed and tested once, then stored: a third fewer
 * instructions per byte than one word a step (CPython's ASCII loop; ~1.5x
 * its speed in cache, the compiler may move the words with the baseline
 * ISA's registers); the last word overlaps what is done, no byte loop.
 * Out of line: inlined, it changed how GCC compiled the short path of
 * wsf_decode_str (10-15% slower at 256-383 bytes, measured). */
#if defined(_MSC_VER)
__declspec(noinline)
#elif defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static size_t wsf_str_ascii_copy(const uint8_t *s, size_t n, uint8_t *out)
{
    uint64_t w[8], acc;
    size_t i = 0, k;
    for (; n - i >= 64; i += 64) {
        acc = 0;
        for (k = 0; k < 8; k++) {
            memcpy(&w[k], s + i + 8 * k, 8);
            acc |= w[k];
        }
        if (acc & 0x8080808080808080ULL) {
            return i;
        }
        for (k = 0; k < 8; k++) {
            memcpy(out + i + 8 * k, &w[k], 8);
        }
    }
    for (; n - i >= 8; i += 8) {
        memcpy(&w[0], s + i, 8);
        if (w[0] & 0x8080808080808080ULL) {
            return i;
        }
        memcpy(out + i, &w[0], 8);
    }
    if (i < n) {
        memcpy(&w[0], s + n - 8, 8);
        if (w[0] & 0x8080808080808080ULL) {
            return i; /* s[0..i) was checked: the byte is at or after i */
        }
        memcpy(out + n - 8, &w[0], 8);
    }
    return n;
}

/* The str kind of valid UTF-8 whose largest byte is top (wsf_decode_scan). */
static inline Py_UCS4 wsf_str_maxchar(unsigned top)
{
    return top < 0x80 ? 0x7F : top < 0xC4 ? 0xFF : top < 0xF0 ? 0xFFFF : 0x10FFFF;
}

/* From WSF_STR_SHORT_DEC bytes on, wsf_str_scalar scans first and decodes
 * straight into the str, sized by the scan.  Without a GIL (free-threaded
 * builds) another thread may change a bytearray between the scan and the
 * pass, and the pass could then meet more characters than the str has room
 * for; there it decodes into a heap buffer of n code points instead (each
 * takes at least one byte of s, whatever s holds by then) and copies. */
#ifndef WSF_STR_SCAN_FIRST
#  ifdef Py_GIL_DISABLED
#    define WSF_STR_SCAN_FIRST 0
#  else
#    define WSF_STR_SCAN_FIRST 1
#  endif
#endif

/* The str of the m code points cp[0..m) (wsf_dec_checked32) decoded from
 * the valid UTF-8 s[0..n): the largest byte of s gives its kind
 * (wsf_str_maxchar; a loop the compiler vectorises, a quarter of the work of
 * OR-ing the code points: JSON records 1 KiB 490 -> 435 ns), then it is
 * allocated once and narrowed into.  Without a GIL s may have changed since
 * the pass, so there the code points themselves pick the kind (the OR's
 * highest bit is the largest's): a kind too narrow for them would break the
 * str's invariants. */
static PyObject *wsf_str_from_cp(const uint32_t *cp, ptrdiff_t m, const uint8_t *s,
                                 size_t n)
{
    ptrdiff_t k;
    Py_UCS4 maxchar;
    void *d;
    PyObject *u;
#ifdef Py_GIL_DISABLED
    uint32_t bits = 0;
    (void)s;
    (void)n;
    for (k = 0; k < m; k++) {
        bits |= cp[k];
    }
    maxchar = bits < 0x80 ? 0x7F : bits < 0x100 ? 0xFF : bits < 0x10000 ? 0xFFFF : 0x10FFFF;
#else
    size_t i;
    uint8_t top = 0;
    for (i = 0; i < n; i++) {
        top = s[i] > top ? s[i] : top;
    }
    maxchar = wsf_str_maxchar(top);
#endif
    u = PyUnicode_New(m, maxchar);
    if (u == NULL) {
        return NULL;
    }
    d = PyUnicode_DATA(u);
    if (maxchar <= 0xFF) {
        for (k = 0; k < m; k++) {
            ((uint8_t *)d)[k] = (uint8_t)cp[k];
        }
    } else if (maxchar == 0xFFFF) {
        for (k = 0; k < m; k++) {
            ((uint16_t *)d)[k] = (uint16_t)cp[k];
        }
    } else {
        memcpy(d, cp, (size_t)m * 4);
    }
    return u;
}

/* The str of s[0..n) at the levels without a vector transcoder (scalar,
 * SSE2) and of every input below WSF_STR_TINY bytes, after the ASCII bet:
 * validated and decoded in ONE pass (wsf_dec_checked*, wsf_decode.h) with
 * ONE PyUnicode_New at the final kind and length.  Below WSF_STR_SHORT_DEC
 * bytes into 32-bit code points on the stack, then allocated and narrowed;
 * from it on the scan (largest byte, continuation count: kind and length)
 * first, then the pass writes the str itself (dropped on an error).
 * CPython's decoder, which these levels used to call, starts a 1-byte str,
 * widens it at the first wider character and resizes it at the end (and is
 * one call layer further): this is faster at every length measured
 * (BENCHMARKS.md).  The GIL stays held, as in CPython's decoder, so s cannot
 * change between the scan and the pass (the pass writes one code point per
 * character start the scan counted); where there is no GIL, see
 * WSF_STR_SCAN_FIRST.  Out of line: its 8 KiB buffer stays off the stack
 * frame of the other paths. */
#if defined(_MSC_VER)
__declspec(noinline)
#elif defined(__GNUC__) || defined(__clang__)
__attribute__((noinline))
#endif
static PyObject *wsf_str_scalar(const uint8_t *s, Py_ssize_t n,
                                Py_ssize_t *error_pos)
{
    size_t bad = 0, nchars;
    ptrdiff_t m;
    Py_UCS4 maxchar;
    PyObject *u;
    void *d;
    if (n < WSF_STR_SHORT_DEC) {
        uint32_t cp[WSF_STR_SHORT_DEC];
        m = wsf_dec_checked32(s, (size_t)n, cp, &bad);
        if (m < 0) {
            *error_pos = (Py_ssize_t)bad;
            return NULL;
        }
        return wsf_str_from_cp(cp, m, s, (size_t)n);
    }
    if (!WSF_STR_SCAN_FIRST) {
        uint32_t *cp = (size_t)n <= PY_SSIZE_T_MAX / 4
                           ? (uint32_t *)PyMem_Malloc((size_t)n * 4)
                           : NULL;
        if (cp == NULL) {
            return PyErr_NoMemory();
        }
        m = wsf_dec_checked32(s, (size_t)n, cp, &bad);
        u = m < 0 ? NULL : wsf_str_from_cp(cp, m, s, (size_t)n);
        PyMem_Free(cp);
        if (m < 0) {
            *error_pos = (Py_ssize_t)bad;
        }
        return u;
    }
    maxchar = wsf_str_maxchar(wsf_decode_scan(s, (size_t)n, &nchars));
    u = PyUnicode_New((Py_ssize_t)nchars, maxchar);
    if (u == NULL) {
        return NULL;
    }
    d = PyUnicode_DATA(u);
    m = maxchar <= 0xFF ? wsf_dec_checked8(s, (size_t)n, (uint8_t *)d, &bad)
        : maxchar == 0xFFFF ? wsf_dec_checked16(s, (size_t)n, (uint16_t *)d, &bad)
                            : wsf_dec_checked32(s, (size_t)n, (uint32_t *)d, &bad);
    if (m < 0) {
        Py_DECREF(u);
        *error_pos = (Py_ssize_t)bad;
        return NULL;
    }
    return u;
}

/* From this length on text with 3- and 4-byte characters may take the one
 * pass (below it the separate scan and the vector loop's tail cost more than
 * they save: 64-128 bytes of CJK 5-15% slower, 192 a tie, 256 15% faster at
 * SSE4, measured). */
#define WSF_STR_ONEPASS_MIN 256

/* The bet that picks the one-pass path, on the first 64 bytes of s (a few
 * ns): a byte >= E0 (a 3- or 4-byte lead), and at most one of
 * the eight 8-byte words mixes ASCII with other bytes.  Text of
 * 1- and 2-byte characters keeps the fused scan and validation, whose rule
 * for such text is cheaper than any check in the transcoder; text whose
 * widths change every few characters (an ASCII byte among others: no
 * uniform run there) gains nothing from the one pass and keeps the two. */
static inline int wsf_str_onepass_bet(const uint8_t *s)
{
    const uint64_t h = 0x8080808080808080ULL;
    uint64_t w[8], acc = 0;
    unsigned mixed = 0, k;
    memcpy(w, s, 64);
    for (k = 0; k < 8; k++) {
        acc |= w[k] & (w[k] << 1) & (w[k] << 2); /* bit 7: bits 7, 6, 5 of a byte */
    }
    if ((acc & h) == 0) { /* (the common case of 2-byte text: no more work) */
        return 0;
    }
    for (k = 0; k < 8; k++) {
        mixed += (w[k] & h) != 0 && (w[k] & h) != h;
    }
    return mixed <= 1;
}

/* The one-pass path (validated=0, a level with one-pass stages, text with
 * 3- or 4-byte characters): the scan alone (largest byte, continuation
 * count), the str, then one pass that transcodes and validates
 * (wsf_decode_ucs2v_with).  On failure the str is dropped and the
 * validator finds the exact position, as on the other path. */
static PyObject *wsf_decode_str_onepass(const uint8_t *s, Py_ssize_t n,
                                        Py_ssize_t *error_pos)
{
    const int nogil = n >= WSF_NOGIL_THRESHOLD;
    PyThreadState *ts = NULL;
    size_t nchars = 0;
    unsigned top;
    int bad;
    ptrdiff_t pos = -1;
    PyObject *u;
    void *data;
    if (nogil) {
        ts = PyEval_SaveThread();
    }
    top = wsf_decode_scan(s, (size_t)n, &nchars);
    if (nogil) {
        PyEval_RestoreThread(ts);
    }
    if (top < 0xE0 || (top >= 0xF0 && wsf_kt->dec_ucs4v == NULL)) {
        /* (Only if another thread changed s since the bet.) */
        return wsf_decode_cpython(s, n, error_pos);
    }
    u = PyUnicode_New((Py_ssize_t)nchars, wsf_str_maxchar(top));
    if (u == NULL) {
        return NULL;
    }
    data = PyUnicode_DATA(u);
    if (nogil) {
        ts = PyEval_SaveThread();
    }
    if (top < 0xF0) {
        bad = wsf_decode_ucs2v_with(wsf_kt, s, (size_t)n, (uint16_t *)data, nchars);
    } else {
        bad = wsf_decode_ucs4v_with(wsf_kt, s, (size_t)n, (uint32_t *)data, nchars);
    }
    if (bad) {
        pos = wsf_utf8_find_invalid(s, (size_t)n);
    }
    if (nogil) {
        PyEval_RestoreThread(ts);
    }
    if (pos >= 0) {
        Py_DECREF(u);
        *error_pos = (Py_ssize_t)pos;
        return NULL;
    }
    return u;
}

/* The ASCII bet's copy: s[0..n) (n >= WSF_STR_SHORT) into out while it is
 * ASCII, with the level's vector kernel, or in plain C at the scalar level
 * (no vector kernel; not CPython's decoder either: its one-word loop is
 * ~1.5x slower); the GIL released for a long input.  Returns n, or a length
 * before the first non-ASCII byte.  Each byte stored is the byte that was
 * checked (loaded once), so what it copies is ASCII even if s changes
 * meanwhile. */
static inline size_t wsf_str_ascii_into(const uint8_t *s, Py_ssize_t n, uint8_t *out)
{
    PyThreadState *ts = NULL;
    size_t done;
    if (n >= WSF_NOGIL_THRESHOLD) {
        ts = PyEval_SaveThread();
    }
    done = wsf_kt->dec_ascii != NULL ? wsf_kt->dec_ascii(s, (size_t)n, out)
                                     : wsf_str_ascii_copy(s, (size_t)n, out);
    if (ts != NULL) {
        PyEval_RestoreThread(ts);
    }
    return done;
}

static PyObject *wsf_decode_str(const uint8_t *s, Py_ssize_t n, int validated,
                                Py_ssize_t *error_pos)
{
    const int nogil = n >= WSF_NOGIL_THRESHOLD;
    PyThreadState *ts = NULL;
    ptrdiff_t bad = -1;
    size_t nchars = 0;
    unsigned top;
    Py_UCS4 maxchar;
    PyObject *u;
    void *data;

    *error_pos = -1;
    if (n <= 0) {
        return PyUnicode_New(0, 0);
    }
    if (n < WSF_STR_SHORT) {
        /* Short: check all of s first, then allocate and copy, inline: no
         * call but the allocation. */
        if (s[0] < 0x80 && wsf_str_ascii_short(s, (size_t)n)) {
            u = PyUnicode_New(n, 0x7F);
            if (u != NULL) {
                wsf_str_copy_short((uint8_t *)PyUnicode_DATA(u), s, (size_t)n);
            }
            return u;
        }
    } else if (wsf_str_ascii64(s)) {
        /* Starts with 64 ASCII bytes: bet on ASCII and copy while checking
         * (one pass, as CPython's ASCII decoder); on losing the bet the
         * partial copy is dropped and only that prefix was read twice. */
        u = PyUnicode_New(n, 0x7F);
        if (u == NULL) {
            return NULL;
        }
        if (wsf_str_ascii_into(s, n, (uint8_t *)PyUnicode_DATA(u)) == (size_t)n) {
            return u;
        }
        Py_DECREF(u);
    }
    if (wsf_kt->dec_ucs2 == NULL || n < WSF_STR_TINY) {
        /* No vector transcoder at this level (scalar, SSE2), or too short
         * for one to pay off: the scalar one-pass decoder. */
        return wsf_str_scalar(s, n, error_pos);
    }
    if (!validated && n >= WSF_STR_ONEPASS_MIN && wsf_kt->dec_ucs2v != NULL
        && wsf_str_onepass_bet(s)) {
        return wsf_decode_str_onepass(s, n, error_pos);
    }
    if (nogil) {
        ts = PyEval_SaveThread();
    }
    if (validated) {
        top = wsf_decode_scan(s, (size_t)n, &nchars);
    } else {
        wsf_utf8_state st;
        wsf_utf8_init(&st);
        bad = wsf_utf8_one_shot(
            &st, wsf_decode_scan_stream_with(wsf_kt, &st, s, (size_t)n, &top, &nchars),
            (size_t)n);
    }
    if (nogil) {
        PyEval_RestoreThread(ts);
    }
    if (bad >= 0) {
        *error_pos = (Py_ssize_t)bad;
        return NULL;
    }
    maxchar = wsf_str_maxchar(top);
    if (top < 0x80) {
        nchars = (size_t)n;
    }
    if (maxchar == 0x10FFFF && wsf_kt->dec_ucs4 == NULL) {
        /* No UCS-4 transcoder at this level (NEON for now): CPython's. */
        return wsf_decode_cpython(s, n, error_pos);
    }
    u = PyUnicode_New((Py_ssize_t)nchars, maxchar);
    if (u == NULL) {
        return NULL;
    }
    data = PyUnicode_DATA(u);
    if (nogil) {
        ts = PyEval_SaveThread();
    }
    if (maxchar == 0x7F) {
        memcpy(data, s, (size_t)n);
    } else if (maxchar == 0xFF) {
        wsf_decode_ucs1(s, (size_t)n, (uint8_t *)data, nchars);
    } else if (maxchar == 0xFFFF) {
        wsf_decode_ucs2(s, (size_t)n, (uint16_t *)data, nchars);
    } else {
        wsf_decode_ucs4(s, (size_t)n, (uint32_t *)data, nchars);
    }
    if (nogil) {
        PyEval_RestoreThread(ts);
    }
    return u;
}

/* Up to this length wsf_decode_str_unpinned copies into a buffer on the
 * stack, from it on into one from the heap. */
#define WSF_STR_UNPINNED_LOCAL 4096

/* wsf_decode_str (validated=0) of memory that may change during the call:
 * any buffer but a bytes object -- a bytearray another thread writes while
 * the GIL is released for a long input, a shared mmap another process
 * writes.  The scan, the validation and the transcoding each read s again
 * and trust what the passes before them saw (the str's length and kind), so
 * they must not read a moving target: the str could be written past its end
 * (the scalar pass writes a code point per character start it meets) or
 * built with a kind its characters do not need.  So: the ASCII bet, which
 * stores each byte it checked (the str is ASCII whatever s does), and
 * anything else decoded from a private copy of s -- the str of the bytes as
 * they were at some moment of the copy, or the error it gives. */
static PyObject *wsf_decode_str_unpinned(const uint8_t *s, Py_ssize_t n,
                                         Py_ssize_t *error_pos)
{
    uint8_t local[WSF_STR_UNPINNED_LOCAL];
    uint8_t *p = local;
    PyThreadState *ts = NULL;
    PyObject *u;
    *error_pos = -1;
    if (n >= WSF_STR_SHORT && wsf_str_ascii64(s)) {
        /* The ASCII bet on s itself (a lost bet is tried again on the copy,
         * which reads the ASCII prefix once more). */
        u = PyUnicode_New(n, 0x7F);
        if (u == NULL) {
            return NULL;
        }
        if (wsf_str_ascii_into(s, n, (uint8_t *)PyUnicode_DATA(u)) == (size_t)n) {
            return u;
        }
        Py_DECREF(u);
    }
    if (n <= 0) {
        return PyUnicode_New(0, 0);
    }
    if ((size_t)n > sizeof local) {
        p = (uint8_t *)PyMem_Malloc((size_t)n);
        if (p == NULL) {
            return PyErr_NoMemory();
        }
    }
    if (n >= WSF_NOGIL_THRESHOLD) {
        ts = PyEval_SaveThread();
    }
    memcpy(p, s, (size_t)n);
    if (ts != NULL) {
        PyEval_RestoreThread(ts);
    }
    u = wsf_decode_str(p, n, 0, error_pos);
    if (p != local) {
        PyMem_Free(p);
    }
    return u;
}

#endif /* WSF_STR_H */
