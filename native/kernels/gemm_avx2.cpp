// lam_f32_gemm_ukernel_6x16__avx2 — AVX2+FMA SGEMM micro-kernel.
// C[6×16] (= | +=) Ã[6×kc] · B̃[kc×16]: 12 ymm accumulators, 2 ymm for the B row, one broadcast
// register; 2·6·16·kc FLOPs per call for 4·(6+16)·kc bytes of packed (L1/L2-resident) input.
// 6x16 is the classic Haswell/Zen tile: 12 FMAs per k hide the 4–5 cycle FMA latency on two
// FMA ports. Compiled with -mavx2 -mfma (CMake, file suffix); the dispatcher calls it only when
// __builtin_cpu_supports says so. Empty on non-x86 targets (e.g. a wasm build globbing this dir).
// Test: native/tests/matmul_test.cpp. Bench: lamkit bench kernels --op gemm.
#include "gemm_ukernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

extern "C" void lam_f32_gemm_ukernel_6x16__avx2(int64_t kc, const float* a, const float* b,
                                                float* c, int64_t ldc, int acc) {
  __m256 c00 = _mm256_setzero_ps(), c01 = _mm256_setzero_ps();
  __m256 c10 = _mm256_setzero_ps(), c11 = _mm256_setzero_ps();
  __m256 c20 = _mm256_setzero_ps(), c21 = _mm256_setzero_ps();
  __m256 c30 = _mm256_setzero_ps(), c31 = _mm256_setzero_ps();
  __m256 c40 = _mm256_setzero_ps(), c41 = _mm256_setzero_ps();
  __m256 c50 = _mm256_setzero_ps(), c51 = _mm256_setzero_ps();
#define LAMKIT_AVX2_STEP(A, B)                                              \
  {                                                                         \
    const __m256 b0 = _mm256_load_ps(B), b1 = _mm256_load_ps((B) + 8);      \
    __m256 av = _mm256_broadcast_ss(A);                                     \
    c00 = _mm256_fmadd_ps(av, b0, c00); c01 = _mm256_fmadd_ps(av, b1, c01); \
    av = _mm256_broadcast_ss((A) + 1);                                      \
    c10 = _mm256_fmadd_ps(av, b0, c10); c11 = _mm256_fmadd_ps(av, b1, c11); \
    av = _mm256_broadcast_ss((A) + 2);                                      \
    c20 = _mm256_fmadd_ps(av, b0, c20); c21 = _mm256_fmadd_ps(av, b1, c21); \
    av = _mm256_broadcast_ss((A) + 3);                                      \
    c30 = _mm256_fmadd_ps(av, b0, c30); c31 = _mm256_fmadd_ps(av, b1, c31); \
    av = _mm256_broadcast_ss((A) + 4);                                      \
    c40 = _mm256_fmadd_ps(av, b0, c40); c41 = _mm256_fmadd_ps(av, b1, c41); \
    av = _mm256_broadcast_ss((A) + 5);                                      \
    c50 = _mm256_fmadd_ps(av, b0, c50); c51 = _mm256_fmadd_ps(av, b1, c51); \
  }
  int64_t k = 0;
  for (; k + 4 <= kc; k += 4) {
    // Prefetch the B sliver a few iterations ahead; A is small and streams from L2 well.
    _mm_prefetch((const char*)(b + 128), _MM_HINT_T0);
    LAMKIT_AVX2_STEP(a, b);
    LAMKIT_AVX2_STEP(a + 6, b + 16);
    _mm_prefetch((const char*)(b + 160), _MM_HINT_T0);
    LAMKIT_AVX2_STEP(a + 12, b + 32);
    LAMKIT_AVX2_STEP(a + 18, b + 48);
    a += 24;
    b += 64;
  }
  for (; k < kc; ++k) {
    LAMKIT_AVX2_STEP(a, b);
    a += 6;
    b += 16;
  }
#undef LAMKIT_AVX2_STEP
#define LAMKIT_AVX2_STORE(R, X0, X1)                                                  \
  {                                                                                   \
    float* cr = c + (R) * ldc;                                                        \
    if (acc) {                                                                        \
      X0 = _mm256_add_ps(X0, _mm256_loadu_ps(cr));                                    \
      X1 = _mm256_add_ps(X1, _mm256_loadu_ps(cr + 8));                                \
    }                                                                                 \
    _mm256_storeu_ps(cr, X0);                                                         \
    _mm256_storeu_ps(cr + 8, X1);                                                     \
  }
  LAMKIT_AVX2_STORE(0, c00, c01);
  LAMKIT_AVX2_STORE(1, c10, c11);
  LAMKIT_AVX2_STORE(2, c20, c21);
  LAMKIT_AVX2_STORE(3, c30, c31);
  LAMKIT_AVX2_STORE(4, c40, c41);
  LAMKIT_AVX2_STORE(5, c50, c51);
#undef LAMKIT_AVX2_STORE
}

#endif
