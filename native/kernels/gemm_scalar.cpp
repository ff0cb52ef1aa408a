// lam_f32_gemm_ukernel_4x16__scalar — the portable twin of the SIMD micro-kernels.
// C[4×16] (= | +=) Σ_k a[k·4 + i] · b[k·16 + j]; 2·4·16·kc FLOPs. Plain C: the compiler may
// auto-vectorise it for the baseline ISA, but it needs nothing beyond C++17.
// Test: native/tests/matmul_test.cpp (lam_force_isa("scalar")).
#include "gemm_ukernels.h"

extern "C" void lam_f32_gemm_ukernel_4x16__scalar(int64_t kc, const float* a, const float* b,
                                                  float* c, int64_t ldc, int acc) {
  float t[4][16];
  for (int i = 0; i < 4; ++i)
    for (int j = 0; j < 16; ++j) t[i][j] = 0.0f;
  for (int64_t k = 0; k < kc; ++k) {
    const float* ak = a + k * 4;
    const float* bk = b + k * 16;
    for (int i = 0; i < 4; ++i) {
      const float av = ak[i];
      for (int j = 0; j < 16; ++j) t[i][j] += av * bk[j];
    }
  }
  for (int i = 0; i < 4; ++i) {
    float* ci = c + i * ldc;
    if (acc) {
      for (int j = 0; j < 16; ++j) ci[j] += t[i][j];
    } else {
      for (int j = 0; j < 16; ++j) ci[j] = t[i][j];
    }
  }
}
