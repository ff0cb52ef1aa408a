// SGEMM micro-kernels: C[MR×NR] (= | +=) Ã · B̃ over kc, where Ã is an MR-row packed sliver
// (kc steps of MR floats) and B̃ an NR-column packed sliver (kc steps of NR floats), C row-major
// with row stride ldc. acc = 0 writes C without reading it; acc = 1 adds to it.
// Names say dtype, op, tile and ISA (XNNPACK style). Each SIMD kernel has the scalar twin below
// (same math, any tile); the dispatcher in matmul.cpp picks one at run time.
//   *_avx512 in gemm_avx512.cpp (compiled with -mavx512f…, only called when the CPU has it)
//   *_avx2   in gemm_avx2.cpp   (compiled with -mavx2 -mfma)
//   *_wasmsimd in gemm_wasmsimd_wasm.cpp (engineer W; built by wasm/build.mjs only)
//   *_scalar in gemm_scalar.cpp
// Test: native/tests/matmul_test.cpp (every ISA the CPU has, forced via lam_force_isa).
#ifndef LAMKIT_GEMM_UKERNELS_H
#define LAMKIT_GEMM_UKERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef void (*lam_f32_gemm_ukernel_fn)(int64_t kc, const float* a, const float* b, float* c,
                                        int64_t ldc, int acc);

void lam_f32_gemm_ukernel_14x32__avx512(int64_t kc, const float* a, const float* b, float* c,
                                        int64_t ldc, int acc);
void lam_f32_gemm_ukernel_6x16__avx2(int64_t kc, const float* a, const float* b, float* c,
                                     int64_t ldc, int acc);
void lam_f32_gemm_ukernel_4x16__wasmsimd(int64_t kc, const float* a, const float* b, float* c,
                                         int64_t ldc, int acc);
void lam_f32_gemm_ukernel_4x16__scalar(int64_t kc, const float* a, const float* b, float* c,
                                       int64_t ldc, int acc);

#ifdef __cplusplus
}
#endif

#endif
