// add / sub / mul / scale (n elements; the output may alias an input).
//   add: y (= | +=) a + b     sub: y (= | +=) a − b     mul: y (= | +=) a·b
//   scale: y (= | +=) alpha·x
// FLOPs n; bytes 12n (16n with +=). Memory bound: plain loops the compiler vectorises, split
// over the pool when large.
// Test: native/tests/elementwise_test.cpp, test/kernels/<op>.test.ts. Bench: lamkit bench kernels.
#include <lamkit/kernels.h>

#include "runtime/thread_pool.h"

namespace {
template <class Op>
void binary(const float* a, const float* b, float* y, int64_t n, int acc, Op op) {
  lamkit::parallel_for(n, 0.25, [&](int64_t i0, int64_t i1) {
    if (acc) {
      for (int64_t i = i0; i < i1; ++i) y[i] += op(a[i], b[i]);
    } else {
      for (int64_t i = i0; i < i1; ++i) y[i] = op(a[i], b[i]);
    }
  });
}
}  // namespace

extern "C" void lam_f32_add(const float* a, const float* b, float* y, int64_t n, int acc) {
  binary(a, b, y, n, acc, [](float p, float q) { return p + q; });
}

extern "C" void lam_f32_sub(const float* a, const float* b, float* y, int64_t n, int acc) {
  binary(a, b, y, n, acc, [](float p, float q) { return p - q; });
}

extern "C" void lam_f32_mul(const float* a, const float* b, float* y, int64_t n, int acc) {
  binary(a, b, y, n, acc, [](float p, float q) { return p * q; });
}

extern "C" void lam_f32_scale(const float* x, float* y, int64_t n, float alpha, int acc) {
  lamkit::parallel_for(n, 0.25, [&](int64_t i0, int64_t i1) {
    if (acc) {
      for (int64_t i = i0; i < i1; ++i) y[i] += alpha * x[i];
    } else {
      for (int64_t i = i0; i < i1; ++i) y[i] = alpha * x[i];
    }
  });
}
