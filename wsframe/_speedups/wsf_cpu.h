/*
 * wsf_cpu.h -- runtime CPU feature detection for the wsframe kernels.
 *
 * The extension modules are compiled for the baseline ISA of the target
 * (x86-64 = SSE2, arm64 = NEON).  Wider kernels are compiled per function with
 * target attributes (GCC/Clang) or plain intrinsics (MSVC) and only called
 * after wsf_cpu_init() has proved that the CPU *and* the operating system
 * support them.  So one binary wheel runs everywhere and is fast on new CPUs.
 *
 * Levels are ordered: a level implies every lower level of the same family.
 *
 *   WSF_SCALAR  portable C (8-byte words)                 any CPU
 *   WSF_SSE2    128-bit XOR masking                        x86-64 baseline
 *   WSF_SSE4    + SSSE3 pshufb / SSE4.1 ptest: 128-bit UTF-8 lookup kernel
 *   WSF_AVX2    256-bit kernels (needs OS-saved YMM state)
 *   WSF_AVX512  512-bit kernels: AVX-512 F+BW+VL (needs OS-saved ZMM/opmask);
 *               the default only with AVX512_VBMI2 too (Ice Lake, Zen 4 and
 *               later), where 512-bit code does not lower the core clock
 *   WSF_NEON    128-bit kernels on arm64 (always present there)
 *
 * Private test switch: WSFRAME_SIMD=scalar|sse2|sse4|avx2|avx512|neon, read
 * once, when the module that owns the kernels (_mask, see wsf_dispatch.h)
 * initialises; the other modules copy its level through the kernel table.  A level above what the CPU supports is
 * clamped down to the best supported level (never executes an instruction the
 * CPU lacks); an unknown name makes wsf_cpu_init() return -1 so the importing
 * module can raise ImportError with a clear message.
 *
 * wsf_level and wsf_cpu_best are per extension module (static); each module
 * sets them once at import (the owner by detection, the others from the
 * owner's table).  Nothing else picks per-ISA code: every kernel, the
 * transcoder's included, is reached through the owner's table.
 *
 * Thread safety: wsf_cpu_init() runs from module initialisation (under the
 * import lock).  It only stores plain ints and is idempotent: running it twice
 * concurrently stores the same values, so no lock is needed.
 */
#ifndef WSF_CPU_H
#define WSF_CPU_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) || defined(_M_X64) || defined(_M_AMD64)
#  define WSF_ARCH_X86_64 1
#elif defined(__aarch64__) || defined(_M_ARM64)
#  define WSF_ARCH_ARM64 1
#endif

/* WSF_NO_SIMD (e.g. -DWSF_NO_SIMD) builds the scalar kernels only. */
#if defined(WSF_NO_SIMD)
#  undef WSF_ARCH_X86_64
#  undef WSF_ARCH_ARM64
#endif

/* Per-function target attributes: GCC and Clang compile the body with the
 * named extensions while the rest of the module stays baseline.  MSVC lets
 * intrinsics be used anywhere, so the macros are empty there. */
#if defined(WSF_ARCH_X86_64) && (defined(__GNUC__) || defined(__clang__))
#  define WSF_TARGET_SSE4   __attribute__((target("ssse3,sse4.1")))
#  define WSF_TARGET_AVX2   __attribute__((target("avx2")))
#  define WSF_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2")))
/* The transcoder's AVX-512 code: vpcompressb/w (VBMI2), and POPCNT; its
 * UCS-4 stage also vpermb/vpermt2b (VBMI). */
#  define WSF_TARGET_VBMI2 \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi2,avx2,popcnt")))
#  define WSF_TARGET_VBMI \
    __attribute__((target("avx512f,avx512bw,avx512vl,avx512vbmi,avx512vbmi2,avx2,popcnt")))
#else
#  define WSF_TARGET_SSE4
#  define WSF_TARGET_AVX2
#  define WSF_TARGET_AVX512
#  define WSF_TARGET_VBMI2
#  define WSF_TARGET_VBMI
#endif

/* Force inlining of the small per-ISA helpers into their (target) callers. */
#if defined(_MSC_VER)
#  define WSF_ALWAYS_INLINE static __forceinline
#elif defined(__GNUC__) || defined(__clang__)
#  define WSF_ALWAYS_INLINE static inline __attribute__((always_inline))
#else
#  define WSF_ALWAYS_INLINE static inline
#endif

#if defined(WSF_ARCH_X86_64)
#  include <immintrin.h>
#  if defined(_MSC_VER)
#    include <intrin.h>
#  else
#    include <cpuid.h>
#  endif
#elif defined(WSF_ARCH_ARM64)
#  include <arm_neon.h>
#endif

#if defined(WSF_ARCH_X86_64)
/* The largest byte of x (SSE2): where every x86 layer's WSF_V_HMAX_U8
 * (wsf_simd_*.h) ends once it has folded its vector to 128 bits. */
WSF_ALWAYS_INLINE unsigned wsf_hmax_u8_sse2(__m128i x)
{
    x = _mm_max_epu8(x, _mm_srli_si128(x, 8));
    x = _mm_max_epu8(x, _mm_srli_si128(x, 4));
    x = _mm_max_epu8(x, _mm_srli_si128(x, 2));
    x = _mm_max_epu8(x, _mm_srli_si128(x, 1));
    return (unsigned)_mm_cvtsi128_si32(x) & 0xFF;
}
#endif

enum {
    WSF_SCALAR = 0,
    WSF_SSE2 = 1,
    WSF_SSE4 = 2,
    WSF_AVX2 = 3,
    WSF_AVX512 = 4,
    WSF_NEON = 5
};

static const char *const wsf_level_names[] = {
    "scalar", "sse2", "sse4", "avx2", "avx512", "neon"
};

/* The level actually used by the kernels, and the best the CPU supports. */
static int wsf_level = WSF_SCALAR;
static int wsf_cpu_best = WSF_SCALAR;
/* The CPU has AVX512_VBMI2 (vpcompressb/w) and AVX512_VBMI (vpermb,
 * vpermt2b; every CPU with the first has the second): the AVX512 level's
 * transcoder (wsf_decode_avx512.h) needs them; without them that level
 * transcodes with the AVX2 kernels.  Read by wsf_dispatch.h when it picks
 * the table. */
static int wsf_cpu_vbmi2 = 0;

static inline const char *wsf_level_name(int level)
{
    if (level < 0 || level > WSF_NEON) {
        return "unknown";
    }
    return wsf_level_names[level];
}

#if defined(WSF_ARCH_X86_64)
static inline void wsf_cpuid(unsigned leaf, unsigned sub, unsigned r[4])
{
#  if defined(_MSC_VER)
    int regs[4];
    __cpuidex(regs, (int)leaf, (int)sub);
    r[0] = (unsigned)regs[0]; r[1] = (unsigned)regs[1];
    r[2] = (unsigned)regs[2]; r[3] = (unsigned)regs[3];
#  else
    unsigned a = 0, b = 0, c = 0, d = 0;
    if (!__get_cpuid_count(leaf, sub, &a, &b, &c, &d)) {
        a = b = c = d = 0;
    }
    r[0] = a; r[1] = b; r[2] = c; r[3] = d;
#  endif
}

/* XCR0: which register states the OS saves on context switch. */
static inline uint64_t wsf_xgetbv0(void)
{
#  if defined(_MSC_VER)
    return (uint64_t)_xgetbv(0);
#  else
    unsigned lo, hi;
    /* Encoded as bytes so that no -mxsave is needed on old assemblers. */
    __asm__ volatile(".byte 0x0f, 0x01, 0xd0" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
#  endif
}

static inline int wsf_detect_x86(int *default_level, int *vbmi2)
{
    unsigned r1[4], r7[4], r0[4];
    int level = WSF_SSE2; /* architectural on x86-64 */
    int osxsave, avx, avx2, ssse3, sse41;
    uint64_t xcr0 = 0;

    *default_level = level; /* meaningful only when AVX-512 is returned */

    wsf_cpuid(0, 0, r0);
    if (r0[0] < 1) {
        return level;
    }
    wsf_cpuid(1, 0, r1);
    ssse3 = (r1[2] >> 9) & 1;
    sse41 = (r1[2] >> 19) & 1;
    osxsave = (r1[2] >> 27) & 1;
    avx = (r1[2] >> 28) & 1;
    if (ssse3 && sse41) {
        level = WSF_SSE4;
    } else {
        return level;
    }
    if (!osxsave || !avx || r0[0] < 7) {
        return level;
    }
    xcr0 = wsf_xgetbv0();
    if ((xcr0 & 0x6) != 0x6) { /* XMM and YMM state */
        return level;
    }
    wsf_cpuid(7, 0, r7);
    avx2 = (r7[1] >> 5) & 1;
    *vbmi2 = (int)((r7[2] >> 6) & (r7[2] >> 1) & 1); /* VBMI2 and VBMI */
    if (!avx2) {
        return level;
    }
    level = WSF_AVX2;
    /* AVX-512 F (ebx bit 16), BW (bit 30), VL (bit 31), and the OS must
     * save opmask, ZMM0-15 upper halves and ZMM16-31 (XCR0 bits 5, 6, 7). */
    if (((r7[1] >> 16) & 1) && ((r7[1] >> 30) & 1) && ((r7[1] >> 31) & 1)
        && (xcr0 & 0xE0) == 0xE0) {
        level = WSF_AVX512;
        /* Default to AVX-512 only where 512-bit integer code does not lower
         * the clock of the whole core: CPUs with AVX512_VBMI2 (Ice Lake and
         * later, Zen 4 and later).  On Skylake-SP/Cascade Lake a short burst
         * of 512-bit XOR would slow the rest of the program; AVX2 is used
         * there unless WSFRAME_SIMD=avx512 asks for it. */
        *default_level = *vbmi2 ? WSF_AVX512 : WSF_AVX2;
        return level;
    }
    *default_level = level;
    return level;
}
#endif

/* Best level this CPU supports, ignoring the environment; *default_level
 * gets the level to use when WSFRAME_SIMD does not choose one, *vbmi2
 * whether the CPU has AVX512_VBMI2.  The one CPUID probe of the process:
 * only the kernels' owner (wsf_dispatch.h) runs it. */
static inline int wsf_cpu_detect(int *default_level, int *vbmi2)
{
    *vbmi2 = 0;
#if defined(WSF_ARCH_X86_64)
    int best = wsf_detect_x86(default_level, vbmi2);
    if (best != WSF_AVX512) {
        *default_level = best; /* only AVX-512 may default lower */
    }
    return best;
#elif defined(WSF_ARCH_ARM64)
    *default_level = WSF_NEON;
    return WSF_NEON; /* Advanced SIMD is mandatory in AArch64 */
#else
    *default_level = WSF_SCALAR;
    return WSF_SCALAR;
#endif
}

/* Is `level` usable on this CPU (given the detected best level)? */
static inline int wsf_level_supported(int level)
{
    if (level == WSF_SCALAR) {
        return 1;
    }
    if (wsf_cpu_best == WSF_NEON) {
        return level == WSF_NEON;
    }
    return level != WSF_NEON && level <= wsf_cpu_best;
}

/* Clamp a requested level to what the CPU supports. */
static inline int wsf_clamp_level(int level)
{
    if (wsf_cpu_best == WSF_NEON) {
        return level == WSF_SCALAR ? WSF_SCALAR : WSF_NEON;
    }
    if (level == WSF_NEON) {
        return wsf_cpu_best;
    }
    return level < wsf_cpu_best ? level : wsf_cpu_best;
}

/* Detect the CPU and apply WSFRAME_SIMD.  Returns the active level, or -1
 * when WSFRAME_SIMD names no level (the level is then the default). */
static inline int wsf_cpu_init(void)
{
    const char *env;
    int i, default_level;

    wsf_cpu_best = wsf_cpu_detect(&default_level, &wsf_cpu_vbmi2);
    wsf_level = default_level;
    env = getenv("WSFRAME_SIMD");
    if (env == NULL || env[0] == '\0' || strcmp(env, "auto") == 0) {
        return wsf_level;
    }
    for (i = 0; i <= WSF_NEON; i++) {
        if (strcmp(env, wsf_level_names[i]) == 0) {
            wsf_level = wsf_clamp_level(i);
            return wsf_level;
        }
    }
    return -1;
}

/* Force a level from C (tests); clamped like the environment switch. */
static inline int wsf_cpu_force(int level)
{
    if (level < 0 || level > WSF_NEON) {
        return -1;
    }
    wsf_level = wsf_clamp_level(level);
    return wsf_level;
}

#endif /* WSF_CPU_H */
