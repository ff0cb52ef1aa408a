// lam_f32_gemm_ukernel_14x32__avx512 — AVX-512F SGEMM micro-kernel.
// C[14×32] (= | +=) Ã[14×kc] · B̃[kc×32]: 28 zmm accumulators + 2 for the B row + 1 broadcast
// (31 of 32 registers); 2·14·32·kc FLOPs per call. The body is gemm_vec_ukernel.h (vector
// extensions, so the same indexing is tested on non-AVX-512 CPUs by matmul_test); here it is
// compiled with -mavx512f… (CMake, file suffix) and the dispatcher calls it only when
// __builtin_cpu_supports("avx512f") holds. Empty on non-x86-64 targets.
// Test: native/tests/matmul_test.cpp. Bench: lamkit bench kernels --op gemm.
#include "gemm_ukernels.h"

#if defined(__x86_64__) && defined(__AVX512F__)
#include "gemm_vec_ukernel.h"

extern "C" void lam_f32_gemm_ukernel_14x32__avx512(int64_t kc, const float* a, const float* b,
                                                   float* c, int64_t ldc, int acc) {
  lamkit::gemm_vec_ukernel<14, 2>(kc, a, b, c, ldc, acc);
}

#endif
