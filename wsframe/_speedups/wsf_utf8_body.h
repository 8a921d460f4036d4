/*
 * wsf_utf8_body.h -- the Keiser-Lemire "lookup" UTF-8 validator (Validating
 * UTF-8 In Less Than One Instruction Per Byte, SPE 2021), written once over a
 * SIMD layer (see wsf_simd_undef.h for the layer's names).  The error classes
 * and tables are in wsf_utf8.h.
 *
 * Included once per ISA by wsf_dispatch.h.  Defines, for that ISA, the block
 * kernel of the table (contract: wsf_utf8_blocks_fn in wsf_kernels.h):
 *
 *   static size_t WSF_FN(wsf_utf8_blocks)(const uint8_t *s, size_t n)
 *   static size_t WSF_FN(wsf_utf8_scan_blocks)(s, n, &mx, &ncont)
 *       the same check fused with the transcoder's scan (largest byte,
 *       continuation bytes), for the str builders (wsf_decode.h)
 *
 * The driver around it (leftover sequence, zero-padded tail, exact error
 * position by the scalar DFA) is wsf_utf8_stream_with() in wsf_utf8.h.
 */

typedef struct {
    WSF_V t1h, t1l, t2h; /* the three nibble tables */
    WSF_V is3, is4;      /* saturating subtrahends: >= E0 / >= F0 leads */
    WSF_V hi80;
    WSF_V maxv;          /* input - maxv != 0: the vector ends mid-sequence */
} WSF_FN(wsf_utf8_consts);

/* The error bits of every byte of `input` given the three bytes before it
 * (the end of `prev_input` for the first bytes): non-zero where the byte
 * pair is one of the errors of wsf_utf8.h, or where a third or fourth byte
 * of a sequence is not a continuation (or a continuation is not expected). */
WSF_TARGET
WSF_ALWAYS_INLINE WSF_V WSF_FN(wsf_utf8_check3)(const WSF_FN(wsf_utf8_consts) *c,
                                                WSF_V input, WSF_V p1, WSF_V p2, WSF_V p3)
{
    WSF_V special, must;
    special = WSF_V_AND(
        WSF_V_AND(WSF_V_LOOKUP16(c->t1h, WSF_V_HI_NIBBLE(p1)),
                  WSF_V_LOOKUP16(c->t1l, WSF_V_LO_NIBBLE(p1))),
        WSF_V_LOOKUP16(c->t2h, WSF_V_HI_NIBBLE(input)));
    /* A position 2 bytes after an E0+ lead or 3 after an F0+ lead must be a
     * continuation, so it must show exactly TWO_CONTS (0x80). */
    must = WSF_V_AND(WSF_V_OR(WSF_V_SUBS_U8(p2, c->is3), WSF_V_SUBS_U8(p3, c->is4)),
                     c->hi80);
    return WSF_V_XOR(must, special);
}

WSF_TARGET
WSF_ALWAYS_INLINE WSF_V WSF_FN(wsf_utf8_check)(const WSF_FN(wsf_utf8_consts) *c,
                                               WSF_V input, WSF_V prev_input)
{
    WSF_V p1, p2, p3;
    WSF_V_PREV_123(input, prev_input, p1, p2, p3);
    return WSF_FN(wsf_utf8_check3)(c, input, p1, p2, p3);
}

/* The same for the vector at p (p[-3..) readable): the bytes before it
 * loaded again instead of shifted in from the vector before (three loads
 * for a lane-crossing permute and three alignr).  64 KiB of non-ASCII
 * text: validation 18% faster at AVX-512 (the same at SSE4 and AVX2), the
 * decoder's validation and scan 13% at AVX-512, 3% at SSE4 and AVX2.
 * Every group but a call's first. */
#define WSF_UTF8_CHECK_AT(c, p, input)                                        \
    WSF_FN(wsf_utf8_check3)((c), (input), WSF_V_LOAD((p) - 1), WSF_V_LOAD((p) - 2), \
                            WSF_V_LOAD((p) - 3))

WSF_TARGET
static size_t WSF_FN(wsf_utf8_blocks)(const uint8_t *s, size_t n)
{
    WSF_FN(wsf_utf8_consts) c;
    WSF_V prev = WSF_V_ZERO(), incomplete = WSF_V_ZERO();
    size_t i = 0;
    c.t1h = WSF_V_TABLE16(wsf_utf8_t1h);
    c.t1l = WSF_V_TABLE16(wsf_utf8_t1l);
    c.t2h = WSF_V_TABLE16(wsf_utf8_t2h);
    c.is3 = WSF_V_SPLAT8(WSF_IS3_SUB);
    c.is4 = WSF_V_SPLAT8(WSF_IS4_SUB);
    c.hi80 = WSF_V_SPLAT8(0x80);
    c.maxv = WSF_V_LOAD(wsf_utf8_max + 64 - WSF_VW);
    /* Groups of four vectors: one ASCII test, or four checks and one error
     * test (an error is reported at the group's start; the caller's scalar
     * pass finds the exact byte). */
    for (; i + 4 * WSF_VW <= n; i += 4 * WSF_VW) {
        WSF_V a0 = WSF_V_LOAD(s + i);
        WSF_V a1 = WSF_V_LOAD(s + i + WSF_VW);
        WSF_V a2 = WSF_V_LOAD(s + i + 2 * WSF_VW);
        WSF_V a3 = WSF_V_LOAD(s + i + 3 * WSF_VW);
        WSF_V error;
        if (!WSF_V_ANY_HIGH(WSF_V_OR(WSF_V_OR(a0, a1), WSF_V_OR(a2, a3)))) {
            error = incomplete; /* a sequence cut short by ASCII */
        } else {
            error = i ? WSF_UTF8_CHECK_AT(&c, s + i, a0)
                      : WSF_FN(wsf_utf8_check)(&c, a0, prev);
            error = WSF_V_OR(error, WSF_UTF8_CHECK_AT(&c, s + i + WSF_VW, a1));
            error = WSF_V_OR(error, WSF_UTF8_CHECK_AT(&c, s + i + 2 * WSF_VW, a2));
            error = WSF_V_OR(error, WSF_UTF8_CHECK_AT(&c, s + i + 3 * WSF_VW, a3));
        }
        if (WSF_V_ANY(error)) {
            return i;
        }
        incomplete = WSF_V_SUBS_U8(a3, c.maxv);
        prev = a3;
    }
    /* The rest is whole 64-byte blocks of 64 / WSF_VW vectors (2 for AVX2,
     * 1 for AVX-512; never reached with 16-byte vectors, whose group is 64
     * bytes). */
    for (; i < n; i += 64) {
        WSF_V a[64 / WSF_VW], any, error;
        size_t j;
        for (j = 0; j < 64 / WSF_VW; j++) {
            a[j] = WSF_V_LOAD(s + i + j * WSF_VW);
        }
        any = a[0];
        for (j = 1; j < 64 / WSF_VW; j++) {
            any = WSF_V_OR(any, a[j]);
        }
        if (!WSF_V_ANY_HIGH(any)) {
            error = incomplete;
        } else {
            error = i ? WSF_UTF8_CHECK_AT(&c, s + i, a[0])
                      : WSF_FN(wsf_utf8_check)(&c, a[0], prev);
            for (j = 1; j < 64 / WSF_VW; j++) {
                error = WSF_V_OR(error, WSF_UTF8_CHECK_AT(&c, s + i + j * WSF_VW, a[j]));
            }
        }
        if (WSF_V_ANY(error)) {
            return i;
        }
        incomplete = WSF_V_SUBS_U8(a[64 / WSF_VW - 1], c.maxv);
        prev = a[64 / WSF_VW - 1];
    }
    return n;
}

/* Validation and the transcoder's scan in one pass (contract:
 * wsf_utf8_scan_blocks_fn in wsf_kernels.h): the blocks kernel above,
 * which also keeps the largest byte and the count of continuation bytes
 * (10xxxxxx) of the groups it passed.  A group whose bytes, and the
 * group's before it, are all below E0 (text of 1- and 2-byte sequences:
 * Latin, Greek, Cyrillic, ...) is checked by the rule for such text alone:
 * a continuation exactly after each lead, no C0/C1 lead (the lookup
 * algorithm's verdict there, in fewer instructions). */
typedef struct {
    WSF_FN(wsf_utf8_consts) c;
    WSF_V prev, incomplete, top;
    WSF_V_CNT_T acc;
    size_t steps, cont;
    int small; /* the previous group had no byte >= E0 */
    int at;    /* the bytes before the group are readable (not its first) */
} WSF_FN(wsf_utf8_scan_state);

/* One group of k vectors at s (k * WSF_VW bytes): non-zero on an error. */
WSF_TARGET
WSF_ALWAYS_INLINE int WSF_FN(wsf_utf8_scan_group)(WSF_FN(wsf_utf8_scan_state) *z,
                                                  const uint8_t *s, size_t k)
{
    WSF_V a[4], any, gmax, error;
    size_t j;
    int g_small;
    for (j = 0; j < k; j++) {
        a[j] = WSF_V_LOAD(s + j * WSF_VW);
    }
    any = a[0];
    for (j = 1; j < k; j++) {
        any = WSF_V_OR(any, a[j]);
    }
    if (!WSF_V_ANY_HIGH(any)) {
        error = z->incomplete; /* a sequence cut short by ASCII */
        z->small = 1;
    } else {
        gmax = a[0];
        for (j = 0; j < k; j++) {
            gmax = WSF_V_MAX_U8(gmax, a[j]);
            z->acc = WSF_V_CNT_ADD(z->acc, a[j]);
        }
        z->top = WSF_V_MAX_U8(z->top, gmax);
        g_small = !WSF_V_ANY(WSF_V_SUBS_U8(gmax, WSF_V_SPLAT8(0xDF)));
        if (z->small && g_small) {
#if WSF_V_CMP_MASKS
            /* (Compares give mask registers here: the lookup half of the
             * check, whose other half is zero on such text.) */
            WSF_V p1, p2, p3, x = z->prev;
            error = WSF_V_ZERO();
            for (j = 0; j < k; j++) {
                WSF_V_PREV_123(a[j], x, p1, p2, p3);
                (void)p2;
                (void)p3;
                error = WSF_V_OR(error, WSF_V_AND(
                    WSF_V_AND(WSF_V_LOOKUP16(z->c.t1h, WSF_V_HI_NIBBLE(p1)),
                              WSF_V_LOOKUP16(z->c.t1l, WSF_V_LO_NIBBLE(p1))),
                    WSF_V_LOOKUP16(z->c.t2h, WSF_V_HI_NIBBLE(a[j]))));
                x = a[j];
            }
#else
            /* Bytes below E0 only: valid exactly where a continuation
             * (80..BF) follows a lead (C0..DF) and nothing else does, and
             * no lead is C0 or C1 (overlong). */
            /* lead: C0..FF is 40..7F after flipping bit 7, the only
             * bytes above 3F (signed) then */
            WSF_V lead = WSF_V_LT8(WSF_V_SPLAT8(0x3F), WSF_V_XOR(z->prev, WSF_V_SPLAT8(0x80)));
            WSF_V lj, p1, p2, p3;
            error = WSF_V_ZERO();
            for (j = 0; j < k; j++) {
                lj = WSF_V_LT8(WSF_V_SPLAT8(0x3F), WSF_V_XOR(a[j], WSF_V_SPLAT8(0x80)));
                WSF_V_PREV_123(lj, lead, p1, p2, p3);
                (void)p2;
                (void)p3;
                error = WSF_V_OR(error, WSF_V_OR(
                    WSF_V_XOR(p1, WSF_V_LT8(a[j], WSF_V_SPLAT8(0xC0))),
                    WSF_V_EQ8(WSF_V_AND(a[j], WSF_V_SPLAT8(0xFE)), WSF_V_SPLAT8(0xC0))));
                lead = lj;
            }
#endif
        } else {
            error = z->at ? WSF_UTF8_CHECK_AT(&z->c, s, a[0])
                          : WSF_FN(wsf_utf8_check)(&z->c, a[0], z->prev);
            for (j = 1; j < k; j++) {
                error = WSF_V_OR(error, WSF_UTF8_CHECK_AT(&z->c, s + j * WSF_VW, a[j]));
            }
        }
        z->small = g_small;
        z->steps += k;
        if (z->steps > WSF_V_CNT_STEPS - 4) {
            WSF_V_CNT_SUM(z->acc, z->cont);
            z->acc = WSF_V_CNT_ZERO();
            z->steps = 0;
        }
    }
    z->incomplete = WSF_V_SUBS_U8(a[k - 1], z->c.maxv);
    z->prev = a[k - 1];
    z->at = 1;
    return WSF_V_ANY(error);
}

WSF_TARGET
static size_t WSF_FN(wsf_utf8_scan_blocks)(const uint8_t *s, size_t n, unsigned *mx,
                                           size_t *ncont)
{
    WSF_FN(wsf_utf8_scan_state) z;
    size_t i = 0;
    unsigned m;
    z.c.t1h = WSF_V_TABLE16(wsf_utf8_t1h);
    z.c.t1l = WSF_V_TABLE16(wsf_utf8_t1l);
    z.c.t2h = WSF_V_TABLE16(wsf_utf8_t2h);
    z.c.is3 = WSF_V_SPLAT8(WSF_IS3_SUB);
    z.c.is4 = WSF_V_SPLAT8(WSF_IS4_SUB);
    z.c.hi80 = WSF_V_SPLAT8(0x80);
    z.c.maxv = WSF_V_LOAD(wsf_utf8_max + 64 - WSF_VW);
    z.prev = WSF_V_ZERO();
    z.incomplete = WSF_V_ZERO();
    z.top = WSF_V_ZERO();
    z.acc = WSF_V_CNT_ZERO();
    z.steps = 0;
    z.cont = 0;
    z.small = 1;
    z.at = 0;
    /* Groups of four vectors, then 64-byte groups (as the blocks kernel). */
    for (; i + 4 * WSF_VW <= n; i += 4 * WSF_VW) {
        if (WSF_FN(wsf_utf8_scan_group)(&z, s + i, 4)) {
            n = i;
            break;
        }
    }
    for (; i < n; i += 64) {
        if (WSF_FN(wsf_utf8_scan_group)(&z, s + i, 64 / WSF_VW)) {
            n = i;
            break;
        }
    }
    WSF_V_CNT_SUM(z.acc, z.cont);
    WSF_V_HMAX_U8(z.top, m);
    *mx = m;
    *ncont = z.cont;
    return n;
}
