/*
 * wsf_decode_vec.h -- what the transcoder's vector steps share (see
 * wsf_decode.h): the compaction tables, the block loop and the stage
 * function around it.  Included once, by wsf_dispatch.h, before the per-ISA
 * step headers (wsf_decode_sse4.h, _avx2.h, _avx512.h, _neon.h).
 */
#ifndef WSF_DECODE_VEC_H
#define WSF_DECODE_VEC_H

#include "wsf_decode.h"

/* ---------------------------------------------------------------------- */
/* Compaction tables, defined by their rule at compile time: for an 8-bit
 * mask m (bit j set = position j starts a character), row m lists the kept
 * positions in order, then 0x80 (pshufb: "write zero"); wsf_dec_cnt[m] is
 * the number of kept positions. */
#define WSF_DB(m, j) ((((m)) >> (j)) & 1)
#define WSF_PC1(m) (WSF_DB(m, 0))
#define WSF_PC2(m) (WSF_PC1(m) + WSF_DB(m, 1))
#define WSF_PC3(m) (WSF_PC2(m) + WSF_DB(m, 2))
#define WSF_PC4(m) (WSF_PC3(m) + WSF_DB(m, 3))
#define WSF_PC5(m) (WSF_PC4(m) + WSF_DB(m, 4))
#define WSF_PC6(m) (WSF_PC5(m) + WSF_DB(m, 5))
#define WSF_PC7(m) (WSF_PC6(m) + WSF_DB(m, 6))
#define WSF_PC8(m) (WSF_PC7(m) + WSF_DB(m, 7))
/* Position j is the t-th kept one when its bit is set and t bits lie below. */
#define WSF_AT(m, t, j, below) ((WSF_DB(m, j) && (below) == (t)) ? (j) : 0)
#define WSF_POS(m, t) (                                                  \
    WSF_AT(m, t, 1, WSF_PC1(m)) + WSF_AT(m, t, 2, WSF_PC2(m))            \
    + WSF_AT(m, t, 3, WSF_PC3(m)) + WSF_AT(m, t, 4, WSF_PC4(m))          \
    + WSF_AT(m, t, 5, WSF_PC5(m)) + WSF_AT(m, t, 6, WSF_PC6(m))          \
    + WSF_AT(m, t, 7, WSF_PC7(m)))
#define WSF_E(m, t) ((uint8_t)(WSF_PC8(m) <= (t) ? 0x80 : WSF_POS(m, t)))
/* The same for 16-bit lanes: bytes 2p, 2p+1 of each kept position p. */
#define WSF_W(m, t, b) ((uint8_t)(WSF_PC8(m) <= (t) ? 0x80 : 2 * WSF_POS(m, t) + (b)))
#define WSF_W2(m, t) WSF_W(m, t, 0), WSF_W(m, t, 1)
#define WSF_ROW2(m) {WSF_W2(m, 0), WSF_W2(m, 1), WSF_W2(m, 2), WSF_W2(m, 3),  \
                     WSF_W2(m, 4), WSF_W2(m, 5), WSF_W2(m, 6), WSF_W2(m, 7)}
#define WSF_ROW2_4(m) WSF_ROW2(m), WSF_ROW2((m) + 1), WSF_ROW2((m) + 2), WSF_ROW2((m) + 3)
#define WSF_ROW2_16(m) WSF_ROW2_4(m), WSF_ROW2_4((m) + 4), WSF_ROW2_4((m) + 8), \
                       WSF_ROW2_4((m) + 12)
#define WSF_ROW2_64(m) WSF_ROW2_16(m), WSF_ROW2_16((m) + 16), WSF_ROW2_16((m) + 32), \
                       WSF_ROW2_16((m) + 48)
#define WSF_ROW(m) {WSF_E(m, 0), WSF_E(m, 1), WSF_E(m, 2), WSF_E(m, 3),  \
                    WSF_E(m, 4), WSF_E(m, 5), WSF_E(m, 6), WSF_E(m, 7)}
#define WSF_ROW4(m) WSF_ROW(m), WSF_ROW((m) + 1), WSF_ROW((m) + 2), WSF_ROW((m) + 3)
#define WSF_ROW16(m) WSF_ROW4(m), WSF_ROW4((m) + 4), WSF_ROW4((m) + 8), WSF_ROW4((m) + 12)
#define WSF_ROW64(m) WSF_ROW16(m), WSF_ROW16((m) + 16), WSF_ROW16((m) + 32), WSF_ROW16((m) + 48)
#define WSF_CNT4(m) WSF_PC8(m), WSF_PC8((m) + 1), WSF_PC8((m) + 2), WSF_PC8((m) + 3)
#define WSF_CNT16(m) WSF_CNT4(m), WSF_CNT4((m) + 4), WSF_CNT4((m) + 8), WSF_CNT4((m) + 12)
#define WSF_CNT64(m) WSF_CNT16(m), WSF_CNT16((m) + 16), WSF_CNT16((m) + 32), WSF_CNT16((m) + 48)

/* 16-byte aligned (the rows of wsf_dec_pos16 are loaded with movdqa). */
#if defined(_MSC_VER)
#  define WSF_DEC_ALIGN16_PRE __declspec(align(16))
#  define WSF_DEC_ALIGN16_POST
#elif defined(__GNUC__) || defined(__clang__)
#  define WSF_DEC_ALIGN16_PRE
#  define WSF_DEC_ALIGN16_POST __attribute__((aligned(16)))
#else
#  define WSF_DEC_ALIGN16_PRE
#  define WSF_DEC_ALIGN16_POST
#endif
WSF_DEC_ALIGN16_PRE static const uint8_t wsf_dec_pos[256][8] WSF_DEC_ALIGN16_POST
    = {WSF_ROW64(0), WSF_ROW64(64), WSF_ROW64(128), WSF_ROW64(192)};
WSF_DEC_ALIGN16_PRE static const uint8_t wsf_dec_pos16[256][16] WSF_DEC_ALIGN16_POST
    = {WSF_ROW2_64(0), WSF_ROW2_64(64), WSF_ROW2_64(128), WSF_ROW2_64(192)};
static const uint8_t wsf_dec_cnt[256] = {
    WSF_CNT64(0), WSF_CNT64(64), WSF_CNT64(128), WSF_CNT64(192)};

/* ---------------------------------------------------------------------- */
/* Vector stage of a level: transcodes a prefix, returns the input bytes
 * consumed and sets *po to the code points written; the scalar loop does
 * the rest.  A stage is its loops (WSF_DEC_LOOP, which advance i and o)
 * wrapped by WSF_DEC_STAGE; levels without one consume nothing. */
#define WSF_DEC_STAGE(ATTR, NAME, T, LOOPS)                                   \
ATTR static size_t NAME(const uint8_t *s, size_t n, T *out, size_t nout,      \
                        size_t *po)                                           \
{                                                                             \
    size_t i = 0, o = 0;                                                      \
    (void)s; (void)n; (void)out; (void)nout;                                  \
    LOOPS                                                                     \
    *po = o;                                                                  \
    return i;                                                                 \
}

/* The same for a stage that also validates (the one-pass stages of
 * wsf_str.h): *pbad is set when s[0..i) is not well-formed (the rest is the
 * caller's to check). */
#define WSF_DEC_VSTAGE(ATTR, NAME, T, LOOPS)                                  \
ATTR static size_t NAME(const uint8_t *s, size_t n, T *out, size_t nout,      \
                        size_t *po, int *pbad)                                \
{                                                                             \
    size_t i = 0, o = 0;                                                      \
    LOOPS                                                                     \
    *po = o;                                                                  \
    return i;                                                                 \
}

/* W bytes per step while W + 3 bytes of input (the look-ahead of the
 * steps) and W code points of output remain: an all-ASCII block (IS_ASCII
 * of the block `a`, type V, loaded by LOAD) is stored by ASCII, widened to
 * the output's width, any other transcoded by STEPS (which advance o). */
#define WSF_DEC_LOOP(W, V, LOAD, IS_ASCII, ASCII, STEPS)                      \
    while (n - i >= (W) + 3 && nout - o >= (W)) {                             \
        V a = LOAD(s + i);                                                    \
        if (IS_ASCII(a)) {                                                    \
            ASCII;                                                            \
            o += (W);                                                         \
        } else {                                                              \
            STEPS;                                                            \
        }                                                                     \
        i += (W);                                                             \
    }
/* 16-byte blocks, one STEP each (SSE4 and NEON: WSF_DEC_V16, _LOAD16 and
 * _ASCII16 are defined per architecture below). */
#define WSF_DEC_LOOP16(STEP, ASCII)                                           \
    WSF_DEC_LOOP(16, WSF_DEC_V16, WSF_DEC_LOAD16, WSF_DEC_ASCII16, ASCII,     \
                 STEP(s + i, a, out, &o))


/* From this length on the ASCII copy (wsf_decode_body.h) aligns its stores. */
#define WSF_DEC_ALIGN_MIN 1024

/* The end of a stage: the next narrower one takes what is left after s + i
 * and out + o, and the stage returns the sum. */
#define WSF_DEC_HANDOFF(NEXT) do {                                            \
    size_t o2_, i2_ = i + NEXT(s + i, n - i, out + o, nout - o, &o2_);        \
    *po = o + o2_;                                                            \
    return i2_;                                                               \
} while (0)

/* WSF_DEC_KEEP(x): the vector x becomes opaque to the compiler, so a
 * constant made before a loop stays in a register instead of being built
 * again inside it (GCC's choice when it thinks a broadcast cheaper than a
 * register).  Nothing where there is no inline asm. */
#if (defined(__GNUC__) || defined(__clang__)) && defined(WSF_ARCH_X86_64)
#  define WSF_DEC_KEEP(x) __asm__("" : "+v"(x))
#else
#  define WSF_DEC_KEEP(x) ((void)0)
#endif

/* POPCNT64; CTZ64 / CLZ64: the zero bits below the lowest / above the
 * highest set bit of x, which must not be 0. */
#if defined(__GNUC__) || defined(__clang__)
#  define WSF_DEC_POPCNT64(x) ((size_t)__builtin_popcountll(x))
#  define WSF_DEC_CTZ64(x) ((unsigned)__builtin_ctzll(x))
#  define WSF_DEC_CLZ64(x) ((unsigned)__builtin_clzll(x))
#elif defined(_MSC_VER)
#  define WSF_DEC_POPCNT64(x) ((size_t)__popcnt64(x))
static __forceinline unsigned wsf_dec_ctz64(unsigned long long x)
{
    unsigned long r;
    _BitScanForward64(&r, x);
    return (unsigned)r;
}
static __forceinline unsigned wsf_dec_clz64(unsigned long long x)
{
    unsigned long r;
    _BitScanReverse64(&r, x);
    return 63u - (unsigned)r;
}
#  define WSF_DEC_CTZ64(x) wsf_dec_ctz64(x)
#  define WSF_DEC_CLZ64(x) wsf_dec_clz64(x)
#endif

#endif /* WSF_DECODE_VEC_H */
