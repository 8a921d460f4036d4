/*
 * wsf_decode_body.h -- the decoder's per-ISA loops that are one algorithm at
 * every width, written once (see wsf_decode.h for what they are for).
 *
 * Included once per ISA by wsf_dispatch.h, after a wsf_simd_<isa>.h layer (the
 * WSF_V_* names, listed in wsf_simd_undef.h), WSF_FN(name) (this
 * instantiation's name suffix), WSF_TARGET (its function attribute) and
 * WSF_DEC_NEXT(name) (the next narrower instantiation, or _scalar, which
 * finishes what is left when fewer than a block's bytes remain).  Defines:
 *
 *   size_t   WSF_FN(wsf_dec_ascii)(s, n, out)    copy while ASCII
 *   unsigned WSF_FN(wsf_dec_scan)(s, n, &ncont)  largest byte, continuations
 */

/* ASCII copy-and-check, one pass: 4 vectors per step (loads in flight on
 * both ports), one test of their OR; then one vector a step, and the last
 * vector of s loaded and stored again overlapping what is done, so an input
 * of at least one vector ends in this function at this width: no hand-off
 * to a narrower (for AVX2 and AVX-512: non-VEX SSE2) instantiation, no
 * byte loop, whatever the remainder.  Returns n, or a length before the
 * first non-ASCII byte (out is then partly written). */
WSF_TARGET
static size_t WSF_FN(wsf_dec_ascii)(const uint8_t *s, size_t n, uint8_t *out)
{
    size_t i = 0;
    if (n < WSF_VW) {
        return WSF_DEC_NEXT(wsf_dec_ascii)(s, n, out);
    }
    if (n >= WSF_DEC_ALIGN_MIN) {
        /* Long: one unaligned vector, then stores aligned to the vector
         * width (a str's data starts 40 or 48 bytes into the object, so
         * otherwise every 64-byte store would straddle two cache lines). */
        WSF_V a = WSF_V_LOAD(s);
        if (WSF_V_ANY_HIGH(a)) {
            return 0;
        }
        WSF_V_STORE(out, a);
        i = WSF_VW - ((size_t)(uintptr_t)out & (WSF_VW - 1));
    }
    for (; n - i >= 4 * WSF_VW; i += 4 * WSF_VW) {
        WSF_V a = WSF_V_LOAD(s + i);
        WSF_V b = WSF_V_LOAD(s + i + WSF_VW);
        WSF_V c = WSF_V_LOAD(s + i + 2 * WSF_VW);
        WSF_V d = WSF_V_LOAD(s + i + 3 * WSF_VW);
        if (WSF_V_ANY_HIGH(WSF_V_OR(WSF_V_OR(a, b), WSF_V_OR(c, d)))) {
            return i;
        }
        WSF_V_STORE(out + i, a);
        WSF_V_STORE(out + i + WSF_VW, b);
        WSF_V_STORE(out + i + 2 * WSF_VW, c);
        WSF_V_STORE(out + i + 3 * WSF_VW, d);
    }
    for (; n - i >= WSF_VW; i += WSF_VW) {
        WSF_V a = WSF_V_LOAD(s + i);
        if (WSF_V_ANY_HIGH(a)) {
            return i;
        }
        WSF_V_STORE(out + i, a);
    }
    if (i < n) {
        WSF_V a = WSF_V_LOAD(s + n - WSF_VW);
        if (WSF_V_ANY_HIGH(a)) {
            return i; /* s[0..i) was checked: the byte is at or after i */
        }
        WSF_V_STORE(out + n - WSF_VW, a);
    }
    return n;
}

/* The largest byte of s and the number of continuation bytes (*ncont). */
WSF_TARGET
static unsigned WSF_FN(wsf_dec_scan)(const uint8_t *s, size_t n, size_t *ncont)
{
    WSF_V mx = WSF_V_ZERO(), mx2 = WSF_V_ZERO();
    size_t i = 0, c = 0, end, rest;
    unsigned m;
    /* Four vectors a step in two chains each (the largest byte, the
     * counters): the one-pass decoder's only separate pass (wsf_str.h). */
    while (n - i >= 4 * WSF_VW) {
        WSF_V_CNT_T acc = WSF_V_CNT_ZERO(), acc2 = WSF_V_CNT_ZERO();
        rest = (n - i) & ~(size_t)(4 * WSF_VW - 1);
        end = i + (rest / (4 * WSF_VW) < WSF_V_CNT_STEPS / 2
                       ? rest : 4 * WSF_VW * (WSF_V_CNT_STEPS / 2));
        for (; i < end; i += 4 * WSF_VW) {
            WSF_V x0 = WSF_V_LOAD(s + i), x1 = WSF_V_LOAD(s + i + WSF_VW);
            WSF_V x2 = WSF_V_LOAD(s + i + 2 * WSF_VW), x3 = WSF_V_LOAD(s + i + 3 * WSF_VW);
            mx = WSF_V_MAX_U8(mx, WSF_V_MAX_U8(x0, x1));
            mx2 = WSF_V_MAX_U8(mx2, WSF_V_MAX_U8(x2, x3));
            acc = WSF_V_CNT_ADD(WSF_V_CNT_ADD(acc, x0), x1);
            acc2 = WSF_V_CNT_ADD(WSF_V_CNT_ADD(acc2, x2), x3);
        }
        WSF_V_CNT_SUM(acc, c);
        WSF_V_CNT_SUM(acc2, c);
    }
    mx = WSF_V_MAX_U8(mx, mx2);
    while (n - i >= WSF_VW) {
        /* Counters take at most WSF_V_CNT_STEPS steps before they are summed. */
        WSF_V_CNT_T acc = WSF_V_CNT_ZERO();
        rest = (n - i) & ~(size_t)(WSF_VW - 1);
        end = i + (rest / WSF_VW < WSF_V_CNT_STEPS ? rest : WSF_VW * WSF_V_CNT_STEPS);
        for (; i < end; i += WSF_VW) {
            WSF_V x = WSF_V_LOAD(s + i);
            mx = WSF_V_MAX_U8(mx, x);
            acc = WSF_V_CNT_ADD(acc, x);
        }
        WSF_V_CNT_SUM(acc, c);
    }
    WSF_V_HMAX_U8(mx, m);
    if (i < n) {
        size_t tc;
        unsigned tm = WSF_DEC_NEXT(wsf_dec_scan)(s + i, n - i, &tc);
        m = tm > m ? tm : m;
        c += tc;
    }
    *ncont = c;
    return m;
}
