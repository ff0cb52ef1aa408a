// lam_f32_gemm_ukernel_14x32__avx512 — AVX-512F SGEMM micro-kernel.
// C[14×32] (= | +=) Ã[14×kc] · B̃[kc×32]: 28 zmm accumulators + 2 for the B row + 1 broadcast
// (31 of 32 registers); 2·14·32·kc FLOPs per call. Compiled with -mavx512f… (CMake, file
// suffix); the dispatcher calls it only when __builtin_cpu_supports("avx512f") holds. Empty on
// non-x86 targets.
// Test: native/tests/matmul_test.cpp (on an AVX-512 machine). Bench: lamkit bench kernels.
#include "gemm_ukernels.h"

#if defined(__x86_64__) && defined(__AVX512F__)
#include <immintrin.h>

extern "C" void lam_f32_gemm_ukernel_14x32__avx512(int64_t kc, const float* a, const float* b,
                                                   float* c, int64_t ldc, int acc) {
  __m512 acc0[14], acc1[14];
  for (int i = 0; i < 14; ++i) {
    acc0[i] = _mm512_setzero_ps();
    acc1[i] = _mm512_setzero_ps();
  }
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16);
    _mm_prefetch((const char*)(b + 256), _MM_HINT_T0);
#pragma GCC unroll 14
    for (int i = 0; i < 14; ++i) {
      const __m512 av = _mm512_set1_ps(a[i]);
      acc0[i] = _mm512_fmadd_ps(av, b0, acc0[i]);
      acc1[i] = _mm512_fmadd_ps(av, b1, acc1[i]);
    }
    a += 14;
    b += 32;
  }
#pragma GCC unroll 14
  for (int i = 0; i < 14; ++i) {
    float* cr = c + i * ldc;
    __m512 x0 = acc0[i], x1 = acc1[i];
    if (acc) {
      x0 = _mm512_add_ps(x0, _mm512_loadu_ps(cr));
      x1 = _mm512_add_ps(x1, _mm512_loadu_ps(cr + 16));
    }
    _mm512_storeu_ps(cr, x0);
    _mm512_storeu_ps(cr + 16, x1);
  }
}

#endif
