/*
 * wsf_decode_neon.h -- the transcoder's NEON steps and stages (arm64).
 * Included once, by wsf_dispatch.h, after wsf_decode_vec.h and this ISA's
 * instantiation of wsf_decode_body.h / wsf_decode_lanes_body.h.
 */
#ifndef WSF_DECODE_NEON_H
#define WSF_DECODE_NEON_H

#if defined(WSF_ARCH_ARM64)

/* ---- NEON (arm64): the SSE4 steps with vqtbl1q as the shuffle (an index
 * >= 16 gives 0, like pshufb's 0x80), and a bit-weight sum for movemask.
 * Checked under qemu (tests/c/run_decode.sh arm64); speed not measured on
 * hardware yet, so UCS-4 (where the SSE4 analogue only ties CPython)
 * still goes to CPython's decoder. ---- */
static const uint8_t wsf_neon_bitw[16] = {1, 2, 4, 8, 16, 32, 64, 128,
                                          1, 2, 4, 8, 16, 32, 64, 128};

/* 16-bit mask of the byte lanes of m (0xFF or 0x00 each). */
static inline unsigned wsf_dec_movemask_neon(uint8x16_t m)
{
    uint8x16_t b = vandq_u8(m, vld1q_u8(wsf_neon_bitw));
    return (unsigned)vaddv_u8(vget_low_u8(b)) | ((unsigned)vaddv_u8(vget_high_u8(b)) << 8);
}

static inline unsigned wsf_dec_keep_neon(uint8x16_t a)
{
    /* not 10xxxxxx */
    return ~wsf_dec_movemask_neon(vcltq_s8(vreinterpretq_s8_u8(a), vdupq_n_s8(-64))) & 0xFFFF;
}

static inline void wsf_dec_step1_neon(const uint8_t *s, uint8x16_t a, uint8_t *out,
                                      size_t *po)
{
    uint8x16_t a1 = vld1q_u8(s + 1);
    uint8x16_t v2 = vorrq_u8(vshlq_n_u8(a, 6), vandq_u8(a1, vdupq_n_u8(0x3F)));
    uint8x16_t v = vbslq_u8(vcgeq_u8(a, vdupq_n_u8(0x80)), v2, a);
    unsigned keep = wsf_dec_keep_neon(a), lo = keep & 0xFF, hi = keep >> 8;
    size_t o = *po;
    vst1_u8(out + o, vqtbl1_u8(v, vld1_u8(wsf_dec_pos[lo])));
    o += wsf_dec_cnt[lo];
    vst1_u8(out + o, vqtbl1_u8(v, vadd_u8(vld1_u8(wsf_dec_pos[hi]), vdup_n_u8(8))));
    *po = o + wsf_dec_cnt[hi];
}

/* 8 bytes widened to 16-bit lanes, in the layer's byte-vector type. */
#define WSF_DEC_W16_NEON(x) vreinterpretq_u8_u16(vmovl_u8(x))

static inline void wsf_dec_step2_neon(const uint8_t *s, uint8x16_t a, uint16_t *out,
                                      size_t *po)
{
    const uint8x16_t m3f = vdupq_n_u8(0x3F);
    uint8x16_t c1 = vandq_u8(vld1q_u8(s + 1), m3f);
    uint8x16_t c2 = vandq_u8(vld1q_u8(s + 2), m3f);
    unsigned keep = wsf_dec_keep_neon(a), lo = keep & 0xFF, hi = keep >> 8;
    uint8x16_t vl = wsf_dec_bmp16_neon(WSF_DEC_W16_NEON(vget_low_u8(a)),
                                       WSF_DEC_W16_NEON(vget_low_u8(c1)),
                                       WSF_DEC_W16_NEON(vget_low_u8(c2)));
    uint8x16_t vh = wsf_dec_bmp16_neon(WSF_DEC_W16_NEON(vget_high_u8(a)),
                                       WSF_DEC_W16_NEON(vget_high_u8(c1)),
                                       WSF_DEC_W16_NEON(vget_high_u8(c2)));
    size_t o = *po;
    vst1q_u8((uint8_t *)(out + o), vqtbl1q_u8(vl, vld1q_u8(wsf_dec_pos16[lo])));
    o += wsf_dec_cnt[lo];
    vst1q_u8((uint8_t *)(out + o), vqtbl1q_u8(vh, vld1q_u8(wsf_dec_pos16[hi])));
    *po = o + wsf_dec_cnt[hi];
}

#define WSF_DEC_V16 uint8x16_t
#define WSF_DEC_LOAD16(p) vld1q_u8((const uint8_t *)(p))
#define WSF_DEC_ASCII16(a) (vmaxvq_u8(a) < 0x80)
WSF_DEC_STAGE(, wsf_dec_ucs1_neon, uint8_t,
    WSF_DEC_LOOP16(wsf_dec_step1_neon, vst1q_u8(out + o, a)))
WSF_DEC_STAGE(, wsf_dec_ucs2_neon, uint16_t,
    WSF_DEC_LOOP16(wsf_dec_step2_neon,
                   vst1q_u16(out + o, vmovl_u8(vget_low_u8(a)));
                   vst1q_u16(out + o + 8, vmovl_u8(vget_high_u8(a)))))

#endif

#endif /* WSF_DECODE_NEON_H */
