/*
 * wsf_decode_lanes_body.h -- the decoder's code point arithmetic in 16-bit
 * lanes, written once (see "Transcoding" in wsf_decode.h).
 *
 * Included by wsf_dispatch.h for the SSE4, AVX2 and NEON layers, after the
 * layer, WSF_FN(name) and WSF_TARGET (as wsf_decode_body.h).  Every 16-bit
 * lane holds the byte at one position (w0) and the next three masked to
 * their 6 payload bits (w1, w2, w3); the result is the code point of the
 * sequence that would start there (meaningless at continuation positions,
 * which the caller drops).  Defines:
 *
 *   WSF_V WSF_FN(wsf_dec_bmp16)(w0, w1, w2)          sequences of 1..3 bytes
 *   WSF_V WSF_FN(wsf_dec_cp16)(w0, w1, w2, w3, &hi)  1..4 bytes: the low 16
 *       bits, and bits 16..20 in hi (non-zero at 4-byte leads only, at most
 *       0x10: ill-formed input is clamped to U+10FFFF)
 */

WSF_TARGET WSF_ALWAYS_INLINE WSF_V WSF_FN(wsf_dec_bmp16)(WSF_V w0, WSF_V w1, WSF_V w2)
{
    WSF_V v2 = WSF_V_OR(WSF_V_SLL16(WSF_V_AND(w0, WSF_V_SPLAT16(0x1F)), 6), w1);
    /* 16-bit shift by 12 keeps exactly the lead's low nibble. */
    WSF_V v3 = WSF_V_OR(WSF_V_SLL16(w0, 12), WSF_V_OR(WSF_V_SLL16(w1, 6), w2));
    WSF_V v = WSF_V_BLEND(w0, v2, WSF_V_GT16(w0, WSF_V_SPLAT16(0xBF)));
    return WSF_V_BLEND(v, v3, WSF_V_GT16(w0, WSF_V_SPLAT16(0xDF)));
}

WSF_TARGET WSF_ALWAYS_INLINE WSF_V WSF_FN(wsf_dec_cp16)(WSF_V w0, WSF_V w1, WSF_V w2,
                                                     WSF_V w3, WSF_V *hi)
{
    WSF_V w12 = WSF_V_OR(WSF_V_SLL16(w1, 6), w2);
    WSF_V v4 = WSF_V_OR(WSF_V_SLL16(w12, 6), w3); /* low 16 bits */
    WSF_V is4 = WSF_V_GT16(w0, WSF_V_SPLAT16(0xEF));
    *hi = WSF_V_AND(is4, WSF_V_MIN_U16(
        WSF_V_OR(WSF_V_SLL16(WSF_V_AND(w0, WSF_V_SPLAT16(0x07)), 2),
                 WSF_V_SRL16(w1, 4)),
        WSF_V_SPLAT16(0x10)));
    return WSF_V_BLEND(WSF_FN(wsf_dec_bmp16)(w0, w1, w2), v4, is4);
}
