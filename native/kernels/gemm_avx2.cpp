// lam_f32_gemm_ukernel_6x16__avx2 — AVX2+FMA SGEMM micro-kernel.
// C[6×16] (= | +=) Ã[6×kc] · B̃[kc×16]: 12 ymm accumulators, 2 ymm for the B row, one broadcast
// register; 2·6·16·kc FLOPs per call for 4·(6+16)·kc bytes of packed (L1/L2-resident) input.
// 6x16 is the classic Haswell/Zen tile: 12 FMAs per k hide the 4–5 cycle FMA latency on two
// FMA ports. Compiled with -mavx2 -mfma (CMake, file suffix); the dispatcher calls it only when
// __builtin_cpu_supports says so. Empty on non-x86-64 targets (e.g. a wasm build globbing this dir).
// Test: native/tests/matmul_test.cpp. Bench: lamkit bench kernels --op gemm.
#include "gemm_ukernels.h"

#if defined(__x86_64__)
#include <immintrin.h>

// The k loop is inline assembly: GCC's register allocation of the intrinsic version turned
// some FMAs into 132-form plus reloads of B, costing ~8% of peak. Registers: ymm0-1 the B row,
// ymm2-3 alternating A broadcasts, ymm4-15 the 12 accumulators (row r in ymm4+2r, ymm5+2r).
#define LAMKIT_K_STEP(AOFF, BOFF)                   \
  "vmovaps " #BOFF "(%[b]), %%ymm0\n\t"            \
  "vmovaps " #BOFF "+32(%[b]), %%ymm1\n\t"         \
  "vbroadcastss " #AOFF "(%[a]), %%ymm2\n\t"       \
  "vbroadcastss " #AOFF "+4(%[a]), %%ymm3\n\t"     \
  "vfmadd231ps %%ymm0, %%ymm2, %%ymm4\n\t"         \
  "vfmadd231ps %%ymm1, %%ymm2, %%ymm5\n\t"         \
  "vfmadd231ps %%ymm0, %%ymm3, %%ymm6\n\t"         \
  "vfmadd231ps %%ymm1, %%ymm3, %%ymm7\n\t"         \
  "vbroadcastss " #AOFF "+8(%[a]), %%ymm2\n\t"     \
  "vbroadcastss " #AOFF "+12(%[a]), %%ymm3\n\t"    \
  "vfmadd231ps %%ymm0, %%ymm2, %%ymm8\n\t"         \
  "vfmadd231ps %%ymm1, %%ymm2, %%ymm9\n\t"         \
  "vfmadd231ps %%ymm0, %%ymm3, %%ymm10\n\t"        \
  "vfmadd231ps %%ymm1, %%ymm3, %%ymm11\n\t"        \
  "vbroadcastss " #AOFF "+16(%[a]), %%ymm2\n\t"    \
  "vbroadcastss " #AOFF "+20(%[a]), %%ymm3\n\t"    \
  "vfmadd231ps %%ymm0, %%ymm2, %%ymm12\n\t"        \
  "vfmadd231ps %%ymm1, %%ymm2, %%ymm13\n\t"        \
  "vfmadd231ps %%ymm0, %%ymm3, %%ymm14\n\t"        \
  "vfmadd231ps %%ymm1, %%ymm3, %%ymm15\n\t"

extern "C" void lam_f32_gemm_ukernel_6x16__avx2(int64_t kc, const float* a, const float* b,
                                                float* c, int64_t ldc, int acc) {
  // C rows are touched only at the end; start their (likely L2/L3) fetch now.
  for (int r = 0; r < 6; ++r) {
    _mm_prefetch((const char*)(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch((const char*)(c + r * ldc + 15), _MM_HINT_T0);
  }
  alignas(32) float t[6 * 16];
  int64_t k4 = kc / 4, k1 = kc % 4;
  __asm__ volatile(
      "vxorps %%ymm4, %%ymm4, %%ymm4\n\t"
      "vxorps %%ymm5, %%ymm5, %%ymm5\n\t"
      "vxorps %%ymm6, %%ymm6, %%ymm6\n\t"
      "vxorps %%ymm7, %%ymm7, %%ymm7\n\t"
      "vxorps %%ymm8, %%ymm8, %%ymm8\n\t"
      "vxorps %%ymm9, %%ymm9, %%ymm9\n\t"
      "vxorps %%ymm10, %%ymm10, %%ymm10\n\t"
      "vxorps %%ymm11, %%ymm11, %%ymm11\n\t"
      "vxorps %%ymm12, %%ymm12, %%ymm12\n\t"
      "vxorps %%ymm13, %%ymm13, %%ymm13\n\t"
      "vxorps %%ymm14, %%ymm14, %%ymm14\n\t"
      "vxorps %%ymm15, %%ymm15, %%ymm15\n\t"
      "test %[k4], %[k4]\n\t"
      "jz 2f\n\t"
      ".p2align 5\n"
      "1:\n\t"
      "prefetcht0 512(%[b])\n\t"
      LAMKIT_K_STEP(0, 0)
      LAMKIT_K_STEP(24, 64)
      "prefetcht0 576(%[b])\n\t"
      LAMKIT_K_STEP(48, 128)
      LAMKIT_K_STEP(72, 192)
      "add $96, %[a]\n\t"
      "add $256, %[b]\n\t"
      "dec %[k4]\n\t"
      "jnz 1b\n"
      "2:\n\t"
      "test %[k1], %[k1]\n\t"
      "jz 4f\n"
      "3:\n\t"
      LAMKIT_K_STEP(0, 0)
      "add $24, %[a]\n\t"
      "add $64, %[b]\n\t"
      "dec %[k1]\n\t"
      "jnz 3b\n"
      "4:\n\t"
      "vmovaps %%ymm4, 0(%[t])\n\t"
      "vmovaps %%ymm5, 32(%[t])\n\t"
      "vmovaps %%ymm6, 64(%[t])\n\t"
      "vmovaps %%ymm7, 96(%[t])\n\t"
      "vmovaps %%ymm8, 128(%[t])\n\t"
      "vmovaps %%ymm9, 160(%[t])\n\t"
      "vmovaps %%ymm10, 192(%[t])\n\t"
      "vmovaps %%ymm11, 224(%[t])\n\t"
      "vmovaps %%ymm12, 256(%[t])\n\t"
      "vmovaps %%ymm13, 288(%[t])\n\t"
      "vmovaps %%ymm14, 320(%[t])\n\t"
      "vmovaps %%ymm15, 352(%[t])\n\t"
      : [a] "+r"(a), [b] "+r"(b), [k4] "+r"(k4), [k1] "+r"(k1)
      : [t] "r"(t)
      : "ymm0", "ymm1", "ymm2", "ymm3", "ymm4", "ymm5", "ymm6", "ymm7", "ymm8", "ymm9",
        "ymm10", "ymm11", "ymm12", "ymm13", "ymm14", "ymm15", "memory", "cc");
  // Write-back through the stack tile costs 12 L1 round trips per 6·16·kc FMAs (< 1% at kc 256).
  for (int r = 0; r < 6; ++r) {
    float* cr = c + r * ldc;
    __m256 x0 = _mm256_load_ps(t + r * 16), x1 = _mm256_load_ps(t + r * 16 + 8);
    if (acc) {
      x0 = _mm256_add_ps(x0, _mm256_loadu_ps(cr));
      x1 = _mm256_add_ps(x1, _mm256_loadu_ps(cr + 8));
    }
    _mm256_storeu_ps(cr, x0);
    _mm256_storeu_ps(cr + 8, x1);
  }
  _mm256_zeroupper();
}
#undef LAMKIT_K_STEP

#endif
