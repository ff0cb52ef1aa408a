// Packing routines of the BLIS-style SGEMM driver (matmul.cpp) for the AVX2 6x16 micro-kernel,
// in the layout gemm_ukernels.h describes:
//   A: op(A)[i0:i0+mc, p0:p0+kc] as 6-row slivers, sliver s at dst + 6·s·kc, element (r, k) at
//      [k·6 + r]; rows past mc are zero. ta = 1: A is stored K×M (element (i,k) at A[k·lda + i]).
//   B: op(B)[p0:p0+kc, j0:j0+nc] as 16-column slivers, sliver s at dst + 16·s·kc, element (k, c)
//      at [k·16 + c]; columns past nc are zero. tb = 1: B is stored N×K (element (k,j) at B[j·ldb + k]).
// dst must be 32-byte aligned (the packed panels are read with aligned loads).
// Why: the generic scalar loops (matmul.cpp) cost ~9% of a 1024³ product, most of it in the
// transposing cases (A row-major, B stored N×K), which here are 8×8 in-register transposes.
// Compiled with -mavx2 (gemm_pack_avx2.cpp); called only when the AVX2 micro-kernel is in use.
// Test: native/tests/matmul_test.cpp (packed panels vs the generic packers, every edge).
#ifndef LAMKIT_GEMM_PACK_H
#define LAMKIT_GEMM_PACK_H

#include <stdint.h>

namespace lamkit {

void gemm_pack_a6_avx2(int ta, const float* A, int64_t lda, int64_t i0, int64_t p0, int64_t mc,
                       int64_t kc, float* dst);
void gemm_pack_b16_avx2(int tb, const float* B, int64_t ldb, int64_t p0, int64_t j0, int64_t kc,
                        int64_t nc, float* dst);

}  // namespace lamkit

#endif
