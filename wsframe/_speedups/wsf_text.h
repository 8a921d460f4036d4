/*
 * wsf_text.h -- a whole masked text message straight from the wire to its
 * str (RFC 6455 §5.3 unmasking, §8.1 UTF-8), for FrameDecoder.feed_messages.
 * Include after Python.h (every Cython module does).
 *
 *   PyObject *wsf_text_from_masked(const uint8_t *src, Py_ssize_t n,
 *                                  const uint8_t key[4],
 *                                  Py_ssize_t *error_pos, int *truncated);
 *
 *   Call with the GIL held; src must stay pinned (the decoder's input: a
 *   bytes object it holds, or its own buffer).  key NULL: the payload is not
 *   masked.  Returns a new reference to the str of the unmasked payload, or
 *   NULL with either *error_pos >= 0 and no exception set (the payload is
 *   not UTF-8: the ill-formed sequence starts at *error_pos, and *truncated
 *   says whether it is only cut short by the end of the message, the two
 *   wordings of wsframe._rules), or *error_pos == -1 and MemoryError set.
 *
 * One pass over the payload, in blocks of WSF_FUSED_BLOCK bytes that stay in
 * L1 while they are worked on:
 *   1. The ASCII bet.  A payload longer than one block gets its str at once,
 *      as ASCII of n characters, and each block is unmasked straight into its
 *      storage and checked for a byte >= 0x80 while it is in L1; a payload of
 *      one block is unmasked into a block on the stack and checked there, as
 *      it is unmasked where the level has the fused kernel (mask_ascii: an
 *      OR of each vector stored), then copied into its str.  ASCII text is then done: one allocation,
 *      no validation (ASCII is valid UTF-8), no second pass from memory.
 *   2. From the first block holding a byte >= 0x80, the bet is lost and that
 *      storage (the str's, or the stack block, so a short non-ASCII message
 *      allocates nothing but its str) is the scratch buffer of the unmasked
 *      UTF-8: each block is
 *      unmasked, then validated (fail-fast) and scanned (the transcoder's
 *      scan: largest byte, continuation bytes) in one pass while it is hot
 *      (wsf_decode_scan_stream_with), so when the last block is done the kind of the str
 *      (its largest byte: Latin-1, BMP or astral) and its length are known
 *      without another pass.  The str is allocated once at that kind and
 *      the transcoder writes it from the scratch buffer.
 *   Levels without a vector transcoder (scalar and SSE2) unmask the rest of
 *   a lost bet and hand it to the one-pass scalar decoder (wsf_str_scalar,
 *   wsf_str.h), which validates while it builds the str, at the exact error
 *   position; UCS-4 text on NEON goes to CPython's decoder, and on ill-formed
 *   text there the exact position and wording come from the streaming
 *   validator, run once more over the unmasked bytes.
 *   For n >= WSF_NOGIL_THRESHOLD the GIL is released around each pass (the
 *   str is not shared yet).
 */
#ifndef WSF_TEXT_H
#define WSF_TEXT_H

#include "wsf_python.h"
#include "wsf_decode.h"
#include "wsf_str.h"

/* Unmask (key != NULL) or copy n bytes at payload offset `at`. */
static inline void wsf_text_unmask(const wsf_kernel_table *k, uint8_t *dst,
                                   const uint8_t *src, size_t n,
                                   const uint8_t *key, size_t at)
{
    if (key == NULL) {
        memcpy(dst, src, n);
    } else if (n < WSF_MASK_SMALL) {
        wsf_mask_scalar(dst, src, n, key, at & 3);
    } else {
        k->mask(dst, src, n, key, at & 3);
    }
}

/* Is s[0..n) ASCII?  One OR of four vectors a step, one test at the end
 * (the block is in L1); the tail by wsf_all_ascii's words.  Written once,
 * instantiated with SSE2 (the x86-64 baseline) and with AVX2 for the levels
 * that have it; the scalar level and other architectures use the words. */
#if defined(WSF_ARCH_X86_64)
#include <immintrin.h>
#define WSF_TEXT_ASCII(NAME, TARGET, V, W, LOAD, OR, ZERO, HIGH)           \
TARGET static int NAME(const uint8_t *s, size_t n)                         \
{                                                                          \
    V acc = ZERO();                                                        \
    size_t i = 0;                                                          \
    for (; i + 4 * W <= n; i += 4 * W) {                                   \
        acc = OR(acc, OR(OR(LOAD((const V *)(s + i)),                      \
                            LOAD((const V *)(s + i + W))),                 \
                         OR(LOAD((const V *)(s + i + 2 * W)),              \
                            LOAD((const V *)(s + i + 3 * W)))));           \
    }                                                                      \
    return HIGH(acc) == 0 && wsf_all_ascii(s + i, n - i);                  \
}
WSF_TEXT_ASCII(wsf_text_ascii_sse2, , __m128i, 16, _mm_loadu_si128, _mm_or_si128,
               _mm_setzero_si128, _mm_movemask_epi8)
WSF_TEXT_ASCII(wsf_text_ascii_avx2, WSF_TARGET_AVX2, __m256i, 32, _mm256_loadu_si256,
               _mm256_or_si256, _mm256_setzero_si256, _mm256_movemask_epi8)
#endif

static inline int wsf_text_ascii(const wsf_kernel_table *k, const uint8_t *s,
                                 size_t n)
{
#if defined(WSF_ARCH_X86_64)
    if (k->level != WSF_SCALAR) {
        return k->level >= WSF_AVX2 ? wsf_text_ascii_avx2(s, n) : wsf_text_ascii_sse2(s, n);
    }
#endif
    (void)k;
    return wsf_all_ascii(s, n);
}

/* Unmask (or copy) n bytes at payload offset `at` as wsf_text_unmask, and
 * say whether they are all ASCII.  Into the stack block (`hot`: a message
 * of one block, whose stores hit L1) in the same pass where the level has
 * the fused kernel and the bytes are masked (k->mask_ascii: one OR per
 * vector stored, no second read): 1 KiB of mixed text 5% faster at AVX2.
 * Into a long message's str, whose lines are not in L1 yet, the level's
 * mask kernel and then the test: there the fused kernel was slower at SSE4
 * and AVX2 (64 KiB of ASCII 3.2 us against 2.1, 2.13 against 1.83; faster
 * only at AVX-512, 1.50 against 1.70; Intel Emerald Rapids, 16 heap
 * placements each). */
static inline int wsf_text_unmask_ascii(const wsf_kernel_table *k, uint8_t *dst,
                                        const uint8_t *src, size_t n,
                                        const uint8_t *key, size_t at, int hot)
{
    if (hot && key != NULL && n >= WSF_MASK_SMALL && k->mask_ascii != NULL) {
        return k->mask_ascii(dst, src, n, key, at & 3);
    }
    wsf_text_unmask(k, dst, src, n, key, at);
    return wsf_text_ascii(k, dst, n);
}

/* Why s[0..n) is not UTF-8: the start of the ill-formed sequence, and
 * whether it is only cut short by the end (as the decoder words it). */
static void wsf_text_failure(const uint8_t *s, size_t n, Py_ssize_t *error_pos,
                             int *truncated)
{
    wsf_utf8_state st;
    ptrdiff_t f;
    wsf_utf8_init(&st);
    f = wsf_utf8_stream(&st, s, n);
    *truncated = f < 0;
    *error_pos = (Py_ssize_t)((f < 0 ? (ptrdiff_t)n : f) - (ptrdiff_t)st.seen);
}

/* CPython's decoder over the unmasked bytes (which it validates). */
static PyObject *wsf_text_cpython(const uint8_t *s, Py_ssize_t n,
                                  Py_ssize_t *error_pos, int *truncated)
{
    PyObject *v = PyUnicode_DecodeUTF8((const char *)s, n, NULL);
    if (v == NULL && PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) {
        PyErr_Clear();
        wsf_text_failure(s, (size_t)n, error_pos, truncated);
    }
    return v;
}

/* The one-pass scalar decoder over the unmasked bytes (which it validates),
 * at the levels without a transcoder (wsf_str_scalar, as wsf_decode_str). */
static PyObject *wsf_text_scalar(const uint8_t *s, Py_ssize_t n,
                                 Py_ssize_t *error_pos, int *truncated)
{
    PyObject *v = wsf_str_scalar(s, n, error_pos);
    if (v == NULL && *error_pos >= 0) {
        *truncated = wsf_decode_truncated(s, (size_t)n, (size_t)*error_pos);
    }
    return v;
}

static PyObject *wsf_text_from_masked(const uint8_t *src, Py_ssize_t n,
                                      const uint8_t *key, Py_ssize_t *error_pos,
                                      int *truncated)
{
    const wsf_kernel_table *k = wsf_kt;
    const int nogil = n >= WSF_NOGIL_THRESHOLD;
    const size_t len = (size_t)n;
    PyThreadState *ts = NULL;
    PyObject *u = NULL, *v = NULL;
    uint8_t local[WSF_FUSED_BLOCK];
    uint8_t *d = local;
    size_t i = 0, m = 0, nchars = 0, c;
    unsigned top = 0, t;
    ptrdiff_t f = -1;
    int ascii = 1, delegate = 0;
    Py_UCS4 maxchar;
    wsf_utf8_state st;

    *error_pos = -1;
    *truncated = 0;
    if (len > WSF_FUSED_BLOCK) {
        u = PyUnicode_New(n, 0x7F);
        if (u == NULL) {
            return NULL;
        }
        d = (uint8_t *)PyUnicode_DATA(u);
    }
    wsf_utf8_init(&st);
    if (nogil) {
        ts = PyEval_SaveThread();
    }
    for (; i < len; i += m) {
        m = len - i < WSF_FUSED_BLOCK ? len - i : WSF_FUSED_BLOCK;
        if (ascii) {
            if (wsf_text_unmask_ascii(k, d + i, src + i, m, key, i, d == local)) {
                nchars += m;
                continue;
            }
            if (k->dec_ucs2 == NULL) {
                /* No transcoder: unmask the rest, the one-pass decoder
                 * validates and decodes it. */
                delegate = 1;
                i += m;
                wsf_text_unmask(k, d + i, src + i, len - i, key, i);
                break;
            }
            ascii = 0;
        } else {
            wsf_text_unmask(k, d + i, src + i, m, key, i);
        }
        f = wsf_decode_scan_stream_with(k, &st, d + i, m, &t, &c);
        if (f >= 0) {
            break;
        }
        nchars += c;
        top = t > top ? t : top;
    }
    if (nogil) {
        PyEval_RestoreThread(ts);
    }
    if (ascii && !delegate) {
        if (u == NULL) { /* one block, unmasked into L1: copy it */
            u = PyUnicode_New(n, 0x7F);
            if (u != NULL) {
                memcpy(PyUnicode_DATA(u), d, len);
            }
        }
        return u; /* won the bet */
    }
    if (delegate) {
        v = wsf_text_scalar(d, n, error_pos, truncated);
        Py_XDECREF(u);
        return v;
    }
    if (f >= 0 || st.need) {
        wsf_text_failure(d, len, error_pos, truncated);
        Py_XDECREF(u);
        return NULL;
    }
    maxchar = wsf_str_maxchar(top); /* (top >= 0x80: the ASCII bet was lost) */
    if (maxchar == 0x10FFFF && k->dec_ucs4 == NULL) {
        v = wsf_text_cpython(d, n, error_pos, truncated);
        Py_XDECREF(u);
        return v;
    }
    v = PyUnicode_New((Py_ssize_t)nchars, maxchar);
    if (v != NULL) {
        void *out = PyUnicode_DATA(v);
        if (nogil) {
            ts = PyEval_SaveThread();
        }
        if (maxchar == 0xFF) {
            wsf_decode_ucs1_with(k, d, len, (uint8_t *)out, nchars);
        } else if (maxchar == 0xFFFF) {
            wsf_decode_ucs2_with(k, d, len, (uint16_t *)out, nchars);
        } else {
            wsf_decode_ucs4_with(k, d, len, (uint32_t *)out, nchars);
        }
        if (nogil) {
            PyEval_RestoreThread(ts);
        }
    }
    Py_XDECREF(u);
    return v;
}

#endif /* WSF_TEXT_H */
