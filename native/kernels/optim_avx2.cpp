// lam_f32_adam_update's 8-lane body (optim_adam.h) with -mavx2: Adam is bound by its square
// root and division, which AVX does for 8 lanes at about the cost SSE pays for 4. linear-1k's
// 1.15 M-parameter update at 1 thread: 1.77 → 0.65 ms. Empty on non-x86-64 targets.
// Test: native/tests/optim_test.cpp (bit-identical to the 4-lane path and the scalar tail).
// Contraction off: with -mfma GCC would fuse `b1·m + (1−b1)·g` into one rounding, and the
// paths would stop agreeing bit for bit.
#include "fp_contract_off.h"

#include "optim_adam.h"

#if defined(__x86_64__) && !defined(__wasm__)
#include <immintrin.h>

namespace {
typedef float v8 __attribute__((vector_size(32)));
inline v8 sqrt8(v8 x) { return (v8)_mm256_sqrt_ps((__m256)x); }
}  // namespace

namespace lamkit {

int64_t adam_update_avx2(float* param, const float* grad, float* m, float* v, int64_t i,
                         int64_t i1, const AdamCoef& c) {
  return adam_lanes<v8, sqrt8>(param, grad, m, v, i, i1, c);
}

}  // namespace lamkit
#endif
