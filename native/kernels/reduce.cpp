// sum_axis / mean_axis: x viewed as [outer, len, inner] → y [outer, inner].
//   sum:  y[o,i] (= | +=) Σ_l x[o,l,i]      mean: y[o,i] (= | +=) Σ_l x[o,l,i] / len
// Accumulates in float64 per output (len may be large, e.g. a batch mean). FLOPs outer·len·inner;
// bytes 4·outer·len·inner + 4·outer·inner.
// Test: native/tests/reduce_test.cpp, test/kernels/sum_axis.test.ts. Bench: lamkit bench kernels.
#include <lamkit/kernels.h>

#include <stddef.h>

#include <vector>

#include "runtime/thread_pool.h"

namespace {
void reduce(const float* x, float* y, int64_t outer, int64_t len, int64_t inner, int acc,
            double mul) {
  if (inner == 1) {
    lamkit::parallel_for(outer, (double)len, [&](int64_t o0, int64_t o1) {
      for (int64_t o = o0; o < o1; ++o) {
        const float* r = x + o * len;
        double s = 0.0;
        for (int64_t l = 0; l < len; ++l) s += r[l];
        s *= mul;
        y[o] = acc ? (float)(y[o] + s) : (float)s;
      }
    });
    return;
  }
  // Rows of `inner` contiguous floats: stream them into a double row buffer (vectorisable).
  lamkit::parallel_for(outer, (double)(len * inner), [&](int64_t o0, int64_t o1) {
    std::vector<double> buf((size_t)inner);
    for (int64_t o = o0; o < o1; ++o) {
      for (int64_t i = 0; i < inner; ++i) buf[i] = 0.0;
      const float* base = x + o * len * inner;
      for (int64_t l = 0; l < len; ++l) {
        const float* r = base + l * inner;
        for (int64_t i = 0; i < inner; ++i) buf[i] += r[i];
      }
      float* yo = y + o * inner;
      if (acc) {
        for (int64_t i = 0; i < inner; ++i) yo[i] = (float)(yo[i] + buf[i] * mul);
      } else {
        for (int64_t i = 0; i < inner; ++i) yo[i] = (float)(buf[i] * mul);
      }
    }
  });
}
}  // namespace

extern "C" void lam_f32_sum_axis(const float* x, float* y, int64_t outer, int64_t len,
                                 int64_t inner, int acc) {
  reduce(x, y, outer, len, inner, acc, 1.0);
}

extern "C" void lam_f32_mean_axis(const float* x, float* y, int64_t outer, int64_t len,
                                  int64_t inner, int acc) {
  reduce(x, y, outer, len, inner, acc, len > 0 ? 1.0 / (double)len : 0.0);
}
