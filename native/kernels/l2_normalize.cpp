// l2_normalize / l2_normalize_backward: rows of `len` contiguous floats (x viewed as [rows, len]).
//   y = x / n,  n = sqrt(Σ_l x² + eps)                          (y may alias x)
//   dx (= | +=) (dy − y·Σ_l(y·dy)) / n                           (n, y recomputed from x)
// The exact gradient of the smoothed norm (eps inside the sqrt), so finite differences match it.
// Why an op: BYOL/LAOM-style latent objectives compare L2-normalised embeddings (cosine loss);
// the op set had no division or square root to build it from.
// Row sums accumulate in float64. FLOPs 3·rows·len (forward), 6·rows·len (backward).
// Test: native/tests/l2_normalize_test.cpp (float64 maths, finite differences),
// test/kernels/l2_normalize{,_backward}.test.ts (native-cpu and wasm vs the TypeScript reference).
#include <lamkit/kernels.h>

#include <math.h>

#include "runtime/thread_pool.h"

namespace {
inline double inv_norm(const float* r, int64_t len, float eps) {
  double s = 0.0;
  for (int64_t l = 0; l < len; ++l) s += (double)r[l] * r[l];
  return 1.0 / sqrt(s + (double)eps);
}
}  // namespace

extern "C" void lam_f32_l2_normalize(const float* x, float* y, int64_t rows, int64_t len, float eps) {
  lamkit::parallel_for(rows, 3.0 * (double)len, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * len;
      float* yr = y + r * len;
      const double k = inv_norm(xr, len, eps);
      for (int64_t l = 0; l < len; ++l) yr[l] = (float)(xr[l] * k);
    }
  });
}

extern "C" void lam_f32_l2_normalize_backward(const float* x, const float* dy, float* dx, int64_t rows,
                                              int64_t len, float eps, int acc) {
  lamkit::parallel_for(rows, 6.0 * (double)len, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * len;
      const float* gr = dy + r * len;
      float* dr = dx + r * len;
      const double k = inv_norm(xr, len, eps);
      double dot = 0.0;  // Σ y·dy
      for (int64_t l = 0; l < len; ++l) dot += xr[l] * k * gr[l];
      for (int64_t l = 0; l < len; ++l) {
        const double g = (gr[l] - xr[l] * k * dot) * k;
        dr[l] = acc ? (float)(dr[l] + g) : (float)g;
      }
    }
  });
}
