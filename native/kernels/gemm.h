// Internal SGEMM entry used by matmul and the convolutions (strided operands, thread cap).
// C[M,N] (row stride ldc) (= | +=) op(A)·op(B); op(A) = A (M×K, row stride lda) or Aᵀ (A stored
// K×M, ta = 1); op(B) = B (K×N, ldb) or Bᵀ (B stored N×K, tb = 1).
// max_threads = 1 runs on the calling thread (used when the caller already splits the work).
#ifndef LAMKIT_GEMM_H
#define LAMKIT_GEMM_H

#include <stdint.h>

namespace lamkit {

void sgemm(int ta, int tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
           const float* B, int64_t ldb, float* C, int64_t ldc, int acc, int max_threads);

}  // namespace lamkit

#endif
