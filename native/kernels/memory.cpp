// fill / copy (n elements).
//   fill: y = value            copy: y (= | +=) x
// Bytes 4n (fill), 8n (copy). Memory bound; large ones are split over the pool.
// Test: native/tests/elementwise_test.cpp, test/kernels/fill.test.ts. Bench: lamkit bench kernels.
#include <lamkit/kernels.h>

#include <string.h>

#include "runtime/thread_pool.h"

extern "C" void lam_f32_fill(float* y, int64_t n, float value) {
  lamkit::parallel_for(n, 0.25, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) y[i] = value;
  });
}

extern "C" void lam_f32_copy(const float* x, float* y, int64_t n, int acc) {
  if (x == y && !acc) return;
  lamkit::parallel_for(n, 0.25, [&](int64_t i0, int64_t i1) {
    if (acc) {
      for (int64_t i = i0; i < i1; ++i) y[i] += x[i];
    } else {
      memmove(y + i0, x + i0, sizeof(float) * (size_t)(i1 - i0));
    }
  });
}
