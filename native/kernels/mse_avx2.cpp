// mse.cpp's row body (mse_rows.h) with -mavx2: the float64 loss lanes are one 4-double
// register instead of two SSE halves. linear-1k's 1024×1024 fused loss + grad at 1 thread:
// see mse.cpp. Empty on non-x86-64 targets.
// Test: native/tests/mse_test.cpp (bit-identical to the baseline build's body).
// Contraction off: with -mfma GCC would fuse `s + e·e` and `g + k·(p − t)` into one rounding.
#include "fp_contract_off.h"

#include "mse_rows.h"

#if defined(__x86_64__) && !defined(__wasm__)
#include <immintrin.h>

namespace {
void widen_avx(lamkit::mse_f4 x, lamkit::mse_d4& y) { y = (lamkit::mse_d4)_mm256_cvtps_pd((__m128)x); }
}  // namespace

namespace lamkit {

void mse_rows_avx2(int rows, const float* const* p, const float* const* t, float* const* g,
                   const float* k, int acc, int64_t D, double* rs) {
  mse_rows_dispatch<widen_avx>(rows, p, t, g, k, acc, D, rs);
}

}  // namespace lamkit
#endif
