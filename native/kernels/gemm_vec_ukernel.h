// Generic-vector SGEMM micro-kernel body (GCC/Clang vector extensions), instantiated with the
// ISA flags of the file that includes it. gemm_avx512.cpp builds the 14x32 tile from it with
// -mavx512f (zmm registers); native/tests/matmul_test.cpp builds the very same body with the
// default flags (the compiler splits each 16-lane vector) so the AVX-512 kernel's indexing is
// tested even on CPUs without AVX-512. gemm_direct_avx2.cpp builds its unpacked 8-lane tiles
// from the same body (gemm_vec_tile with strides).
//   C[MR×(16·NV)] (= | +=) Ã[MR×kc] · B̃[kc×16·NV]; packed operands as in gemm_ukernels.h.
#ifndef LAMKIT_GEMM_VEC_UKERNEL_H
#define LAMKIT_GEMM_VEC_UKERNEL_H

#include <stdint.h>
#include <string.h>

#include "vec_load.h"

namespace lamkit {

typedef float vf16 __attribute__((vector_size(64)));

// The generic register tile: C[MR × L·NV] (= | +=) Σ_k a(i,k) · b(k, 0:L·NV), V a vector of
// L floats; a(i,k) = a[i·ars + k·aks], b(k, ·) = b + k·ldb (unit column stride). Packed
// operands are ars = 1, aks = MR, ldb = L·NV; gemm_direct_avx2.cpp runs it on unpacked ones.
template <class V, int MR, int NV>
inline void gemm_vec_tile(int64_t kc, const float* a, int64_t ars, int64_t aks, const float* b,
                          int64_t ldb, float* c, int64_t ldc, int acc) {
  constexpr int L = (int)(sizeof(V) / sizeof(float));
  V t[MR][NV];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) t[i][v] = V{};
  for (int64_t k = 0; k < kc; ++k) {
    V bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) loadv(bv[v], b + L * v);
    __builtin_prefetch(b + 8 * ldb);
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      const float av = a[i * ars];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) t[i][v] += av * bv[v];
    }
    a += aks;
    b += ldb;
  }
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) {
    float* cr = c + i * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      V x = t[i][v];
      if (acc) {
        V old;
        loadv(old, cr + L * v);
        x += old;
      }
      storev(cr + L * v, x);
    }
  }
}

// Packed MR × 16·NV tile of 16-lane vectors (the AVX-512 14x32 micro-kernel).
template <int MR, int NV>
inline void gemm_vec_ukernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                             int acc) {
  gemm_vec_tile<vf16, MR, NV>(kc, a, 1, MR, b, 16 * NV, c, ldc, acc);
}

}  // namespace lamkit

#endif
