// Unpacked SGEMM for skinny products (native/kernels/gemm_direct_avx2.cpp), used by
// lamkit::sgemm (matmul.cpp) when one of M, N is tiny or the whole product is small, where
// packing costs more than it saves.
//   C[i0:i1, j0:j1] (= | +=) op(A)[i0:i1, :] · B[:, j0:j1]
// op(A) = A (row stride lda) or, with ta = 1, Aᵀ of A stored K×M (row stride lda). B is K×N
// with row stride ldb and unit column stride (transpose a tb operand first). j0, j1 are
// multiples of 8. rows_outer = 1: each row strip streams all of B (B must fit in L2);
// 0: each 16-column group of B streams all rows (A must fit in L2).
#ifndef LAMKIT_GEMM_DIRECT_H
#define LAMKIT_GEMM_DIRECT_H

#include <stdint.h>

namespace lamkit {

void sgemm_direct_avx2(int ta, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
                       int64_t ldc, int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t K,
                       int acc, int rows_outer);

// Dot-product form for op(A) = A (M×K, row stride lda) and op(B) = Bᵀ (B stored N×K, row
// stride ldb), long K: C[0:M, j0:j1] (= | +=) A · B[j0:j1, :]ᵀ. Both operands are read along k
// without packing (convolution filter gradients: small OC × C·KH·KW outputs, K = pixels).
void sgemm_dot_avx2(const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
                    int64_t ldc, int64_t M, int64_t j0, int64_t j1, int64_t K, int acc);

}  // namespace lamkit

#endif
