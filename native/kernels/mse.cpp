// mse_loss / mse_grad. pred, target [B, D]; mask [B] or NULL (every row counts).
//   mse_loss: loss[0] = Σ_b mask_b Σ_d (p−t)² / denom                  (always `=`)
//   mse_grad: dpred (= | +=) scale · 2 (p−t) · mask_b / denom
// Rows with mask 0 contribute nothing (their dpred is 0 for `=`, untouched for `+=`), even if
// their p or t are NaN — unlabelled rows may hold anything. Loss accumulates in float64.
// FLOPs 3BD; bytes 8BD (+4BD for the grad).
// Test: native/tests/mse_test.cpp, test/kernels/mse_loss.test.ts. Bench: lamkit bench kernels.
#include <lamkit/kernels.h>

#include <stddef.h>

#include <vector>

#include "runtime/thread_pool.h"

extern "C" void lam_f32_mse_loss(const float* pred, const float* target, const float* mask,
                                 float* loss, int64_t B, int64_t D, float denom) {
  int nt = lamkit::available_threads();
  if ((double)B * (double)D < 65536.0) nt = 1;
  std::vector<double> part((size_t)nt, 0.0);
  // Fixed split per thread id, summed in order: the result does not depend on timing.
  lamkit::parallel(nt, [&](int tid, int nthr) {
    int64_t b0 = B * tid / nthr, b1 = B * (tid + 1) / nthr;
    double s = 0.0;
    for (int64_t b = b0; b < b1; ++b) {
      if (mask && mask[b] == 0.0f) continue;
      const float* p = pred + b * D;
      const float* t = target + b * D;
      // Four independent float64 partial sums: one serial chain of double adds ran at the add
      // latency (~4 cycles per element); four lanes also let the compiler vectorise.
      double r4[4] = {0.0, 0.0, 0.0, 0.0};
      int64_t d = 0;
      for (; d + 4 <= D; d += 4)
        for (int j = 0; j < 4; ++j) {
          const double e = (double)p[d + j] - (double)t[d + j];
          r4[j] += e * e;
        }
      double rs = (r4[0] + r4[1]) + (r4[2] + r4[3]);
      for (; d < D; ++d) {
        const double e = (double)p[d] - (double)t[d];
        rs += e * e;
      }
      s += mask ? rs * (double)mask[b] : rs;
    }
    part[(size_t)tid] = s;
  });
  double total = 0.0;
  for (int t = 0; t < nt; ++t) total += part[(size_t)t];
  loss[0] = (float)(total / (double)denom);
}

extern "C" void lam_f32_mse_grad(const float* pred, const float* target, const float* mask,
                                 float* dpred, int64_t B, int64_t D, float denom, float scale,
                                 int acc) {
  // Cost D per row: the loop vectorises, so 512×64 (linear-exo, ~5 µs) stays serial.
  lamkit::parallel_for(B, (double)D, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b) {
      float* g = dpred + b * D;
      const float m = mask ? mask[b] : 1.0f;
      if (m == 0.0f) {
        if (!acc)
          for (int64_t d = 0; d < D; ++d) g[d] = 0.0f;
        continue;
      }
      const float k = (float)(2.0 * (double)scale * (double)m / (double)denom);
      const float* p = pred + b * D;
      const float* t = target + b * D;
      if (acc) {
        for (int64_t d = 0; d < D; ++d) g[d] += k * (p[d] - t[d]);
      } else {
        for (int64_t d = 0; d < D; ++d) g[d] = k * (p[d] - t[d]);
      }
    }
  });
}
