/*
 * wsf_mask_body.h -- the vector masking loop, written once (RFC 6455 §5.3 is
 * quoted in wsf_mask.h).
 *
 * Included once per ISA by wsf_dispatch.h, after a wsf_simd_<isa>.h layer has
 * defined WSF_V (the vector type), WSF_VW (its width in bytes), the WSF_V_*
 * operations, WSF_FN(name) (the name suffix of this instantiation) and
 * WSF_TARGET (the function attribute enabling the ISA).  Defines:
 *
 *   static void WSF_FN(wsf_mask)(dst, src, len, key, phase)   any len, phase 0..3
 *   static int WSF_FN(wsf_mask_ascii)(dst, src, len, key, phase)
 *                                     the same; 1 if every byte written is ASCII
 *
 * Choices (the figures were measured on the former per-ISA copies):
 * - 4 vectors per iteration: enough loads in flight to keep both load ports
 *   busy.
 * - Stores are ordinary cacheable stores: payloads are read right after
 *   being unmasked, and non-temporal stores were measured ~20x slower on
 *   cache-resident data.
 * - Layers with WSF_V_ALIGN_STORES first align the destination to their
 *   vector width when len >= WSF_MASK_ALIGN_MIN: a store that splits a cache
 *   line costs about twice as much (measured ~20-35% on 16 KiB).  16-byte
 *   layers (WSF_V_ALIGN_LINE) then go on with single vectors to a cache line,
 *   so that each pass of the 4-vector loop fills one line: on an Intel Xeon
 *   (SSE4, 64 KiB from a source 14 bytes past a line) a destination at 48
 *   bytes into a line took 2.2-2.8 us against 1.35 at 0, 16 or 32, and one
 *   8 bytes off 16 took 273 ns at 16 KiB against 188 (split stores); with
 *   both heads every placement takes 1.35-1.37 us and 183-190 ns.
 * - Layers with masked loads/stores (WSF_V_PARTIAL, AVX-512) do the head and
 *   the last 1..VW-1 bytes with one masked operation: masked-out bytes are
 *   architecturally not accessed and cannot fault.  Others end in the scalar
 *   word loop, which never touches a byte past the end either.
 */

WSF_TARGET
static void WSF_FN(wsf_mask)(uint8_t *dst, const uint8_t *src, size_t len,
                             const uint8_t key[4], size_t phase)
{
    uint32_t k32;
    uint64_t k64;
    size_t i = 0;
    WSF_V k;
    wsf_mask_key(key, phase, &k32, &k64);
#if WSF_V_ALIGN_STORES
    if (len >= WSF_MASK_ALIGN_MIN) {
        size_t h = (size_t)(-(uintptr_t)dst) & (WSF_VW - 1);
        if (h) {
#  if defined(WSF_V_PARTIAL)
            WSF_V_PARTIAL_XOR(dst, src, h, WSF_V_SPLAT32(k32));
#  else
            wsf_mask_scalar_from(dst, src, 0, h, k64);
#  endif
            dst += h;
            src += h;
            len -= h;
            wsf_mask_key(key, phase + h, &k32, &k64);
        }
    }
#endif
    k = WSF_V_SPLAT32(k32);
#if WSF_V_ALIGN_LINE
    if (len >= WSF_MASK_ALIGN_MIN) { /* whole vectors up to a cache line */
        for (; ((uintptr_t)(dst + i) & (WSF_MASK_LINE - 1)) != 0; i += WSF_VW) {
            WSF_V_STORE(dst + i, WSF_V_XOR(WSF_V_LOAD(src + i), k));
        }
    }
#endif
    for (; i + 4 * WSF_VW <= len; i += 4 * WSF_VW) {
        WSF_V a = WSF_V_LOAD(src + i);
        WSF_V b = WSF_V_LOAD(src + i + WSF_VW);
        WSF_V c = WSF_V_LOAD(src + i + 2 * WSF_VW);
        WSF_V d = WSF_V_LOAD(src + i + 3 * WSF_VW);
        WSF_V_STORE(dst + i, WSF_V_XOR(a, k));
        WSF_V_STORE(dst + i + WSF_VW, WSF_V_XOR(b, k));
        WSF_V_STORE(dst + i + 2 * WSF_VW, WSF_V_XOR(c, k));
        WSF_V_STORE(dst + i + 3 * WSF_VW, WSF_V_XOR(d, k));
    }
    for (; i + WSF_VW <= len; i += WSF_VW) {
        WSF_V_STORE(dst + i, WSF_V_XOR(WSF_V_LOAD(src + i), k));
    }
#if defined(WSF_V_PARTIAL)
    if (i < len) {
        WSF_V_PARTIAL_XOR(dst + i, src + i, len - i, k);
    }
#else
    wsf_mask_scalar_from(dst, src, i, len, k64);
#endif
}

/* wsf_mask, and whether every byte it wrote is ASCII (below 0x80): the text
 * message's ASCII bet (wsf_text.h) taken while the unmasked bytes are still
 * in registers, one OR each, instead of a second pass reading them back.
 * The same stores as wsf_mask (the aligning head included); the head and
 * the last 0..VW-1 bytes are checked in memory (wsf_all_ascii). */
WSF_TARGET
static int WSF_FN(wsf_mask_ascii)(uint8_t *dst, const uint8_t *src, size_t len,
                                  const uint8_t key[4], size_t phase)
{
    uint32_t k32;
    uint64_t k64;
    size_t i = 0, h = 0;
    int ascii;
    WSF_V k, acc = WSF_V_ZERO();
    wsf_mask_key(key, phase, &k32, &k64);
#if WSF_V_ALIGN_STORES
    if (len >= WSF_MASK_ALIGN_MIN) {
        h = (size_t)(-(uintptr_t)dst) & (WSF_VW - 1);
        if (h) {
#  if defined(WSF_V_PARTIAL)
            WSF_V_PARTIAL_XOR(dst, src, h, WSF_V_SPLAT32(k32));
#  else
            wsf_mask_scalar_from(dst, src, 0, h, k64);
#  endif
            wsf_mask_key(key, phase + h, &k32, &k64);
        }
    }
#endif
    ascii = wsf_all_ascii(dst, h);
    dst += h;
    src += h;
    len -= h;
    k = WSF_V_SPLAT32(k32);
#if WSF_V_ALIGN_LINE
    if (len >= WSF_MASK_ALIGN_MIN) {
        for (; ((uintptr_t)(dst + i) & (WSF_MASK_LINE - 1)) != 0; i += WSF_VW) {
            WSF_V a = WSF_V_XOR(WSF_V_LOAD(src + i), k);
            WSF_V_STORE(dst + i, a);
            acc = WSF_V_OR(acc, a);
        }
    }
#endif
    for (; i + 4 * WSF_VW <= len; i += 4 * WSF_VW) {
        WSF_V a = WSF_V_XOR(WSF_V_LOAD(src + i), k);
        WSF_V b = WSF_V_XOR(WSF_V_LOAD(src + i + WSF_VW), k);
        WSF_V c = WSF_V_XOR(WSF_V_LOAD(src + i + 2 * WSF_VW), k);
        WSF_V d = WSF_V_XOR(WSF_V_LOAD(src + i + 3 * WSF_VW), k);
        WSF_V_STORE(dst + i, a);
        WSF_V_STORE(dst + i + WSF_VW, b);
        WSF_V_STORE(dst + i + 2 * WSF_VW, c);
        WSF_V_STORE(dst + i + 3 * WSF_VW, d);
        acc = WSF_V_OR(acc, WSF_V_OR(WSF_V_OR(a, b), WSF_V_OR(c, d)));
    }
    for (; i + WSF_VW <= len; i += WSF_VW) {
        WSF_V a = WSF_V_XOR(WSF_V_LOAD(src + i), k);
        WSF_V_STORE(dst + i, a);
        acc = WSF_V_OR(acc, a);
    }
#if defined(WSF_V_PARTIAL)
    if (i < len) {
        WSF_V_PARTIAL_XOR(dst + i, src + i, len - i, k);
    }
#else
    wsf_mask_scalar_from(dst, src, i, len, k64);
#endif
    return ascii && !WSF_V_ANY_HIGH(acc) && wsf_all_ascii(dst + i, len - i);
}
