// Generic-vector SGEMM micro-kernel body (GCC/Clang vector extensions), instantiated with the
// ISA flags of the file that includes it. gemm_avx512.cpp builds the 14x32 tile from it with
// -mavx512f (zmm registers); native/tests/matmul_test.cpp builds the very same body with the
// default flags (the compiler splits each 16-lane vector) so the AVX-512 kernel's indexing is
// tested even on CPUs without AVX-512.
//   C[MR×(16·NV)] (= | +=) Ã[MR×kc] · B̃[kc×16·NV]; packed operands as in gemm_ukernels.h.
#ifndef LAMKIT_GEMM_VEC_UKERNEL_H
#define LAMKIT_GEMM_VEC_UKERNEL_H

#include <stdint.h>
#include <string.h>

namespace lamkit {

typedef float vf16 __attribute__((vector_size(64)));

template <int MR, int NV>
inline void gemm_vec_ukernel(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                             int acc) {
  vf16 t[MR][NV];
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) t[i][v] = vf16{};
  for (int64_t k = 0; k < kc; ++k) {
    vf16 bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) memcpy(&bv[v], b + 16 * v, sizeof(vf16));
    __builtin_prefetch(b + 16 * NV * 8);
#pragma GCC unroll 32
    for (int i = 0; i < MR; ++i) {
      const float av = a[i];
#pragma GCC unroll 4
      for (int v = 0; v < NV; ++v) t[i][v] += av * bv[v];
    }
    a += MR;
    b += 16 * NV;
  }
#pragma GCC unroll 32
  for (int i = 0; i < MR; ++i) {
    float* cr = c + i * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      vf16 x = t[i][v];
      if (acc) {
        vf16 old;
        memcpy(&old, cr + 16 * v, sizeof(vf16));
        x += old;
      }
      memcpy(cr + 16 * v, &x, sizeof(vf16));
    }
  }
}

}  // namespace lamkit

#endif
