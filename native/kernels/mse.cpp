// mse_loss / mse_grad. pred, target [B, D]; mask [B] or NULL (every row counts).
//   mse_loss: loss[0] = Σ_b mask_b Σ_d (p−t)² / denom                  (always `=`)
//   mse_grad: dpred (= | +=) scale · 2 (p−t) · mask_b / denom
// Rows with mask 0 contribute nothing (their dpred is 0 for `=`, untouched for `+=`), even if
// their p or t are NaN — unlabelled rows may hold anything. Loss accumulates in float64.
//   mse_loss_grad: both in one pass over pred and target (the executor fuses an adjacent
//   MSE_LOSS, MSE_GRAD pair with the same operands into it); bit-identical to the two calls.
// FLOPs 3BD; bytes 8BD (+4BD for the grad).
// Test: native/tests/mse_test.cpp, test/kernels/mse_loss.test.ts. Bench: lamkit bench kernels.
#include <lamkit/kernels.h>

#include <stddef.h>

#include <vector>

#include "runtime/thread_pool.h"

namespace {

// Σ_d (p−t)² of one row in float64. Four independent partial sums: one serial chain of double
// adds ran at the add latency (~4 cycles per element); four lanes also let the compiler vectorise.
inline double row_sq(const float* p, const float* t, int64_t D) {
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
  return rs;
}

// One row of mse_grad: g (= | +=) k·(p − t); a masked-out row (m = 0) is zeroed or left alone.
inline void row_grad(const float* p, const float* t, float m, float* g, int64_t D, float denom,
                     float scale, int acc) {
  if (m == 0.0f) {
    if (!acc)
      for (int64_t d = 0; d < D; ++d) g[d] = 0.0f;
    return;
  }
  const float k = (float)(2.0 * (double)scale * (double)m / (double)denom);
  if (acc) {
    for (int64_t d = 0; d < D; ++d) g[d] += k * (p[d] - t[d]);
  } else {
    for (int64_t d = 0; d < D; ++d) g[d] = k * (p[d] - t[d]);
  }
}

// The loss, and with dpred ≠ NULL the gradient in the same pass over pred and target. Fixed row
// split per thread id, partial sums added in order: the loss does not depend on timing, and is
// the same bits with or without the gradient.
void loss_and_grad(const float* pred, const float* target, const float* mask, float* loss,
                   float* dpred, int64_t B, int64_t D, float denom, float scale, int acc) {
  int nt = lamkit::available_threads();
  if ((double)B * (double)D < 65536.0) nt = 1;
  std::vector<double> part((size_t)nt, 0.0);
  lamkit::parallel(nt, [&](int tid, int nthr) {
    const int64_t b0 = B * tid / nthr, b1 = B * (tid + 1) / nthr;
    double s = 0.0;
    for (int64_t b = b0; b < b1; ++b) {
      const float m = mask ? mask[b] : 1.0f;
      const float* p = pred + b * D;
      const float* t = target + b * D;
      if (m != 0.0f) {
        const double rs = row_sq(p, t, D);
        s += mask ? rs * (double)m : rs;
      }
      // The row is read again for the gradient while still in L1/L2.
      if (dpred) row_grad(p, t, m, dpred + b * D, D, denom, scale, acc);
    }
    part[(size_t)tid] = s;
  });
  double total = 0.0;
  for (int t = 0; t < nt; ++t) total += part[(size_t)t];
  loss[0] = (float)(total / (double)denom);
}

}  // namespace

extern "C" void lam_f32_mse_loss(const float* pred, const float* target, const float* mask,
                                 float* loss, int64_t B, int64_t D, float denom) {
  loss_and_grad(pred, target, mask, loss, nullptr, B, D, denom, 1.0f, 0);
}

extern "C" void lam_f32_mse_grad(const float* pred, const float* target, const float* mask,
                                 float* dpred, int64_t B, int64_t D, float denom, float scale,
                                 int acc) {
  // Cost D per row: the loop vectorises, so 512×64 (linear-exo, ~5 µs) stays serial.
  lamkit::parallel_for(B, (double)D, [&](int64_t b0, int64_t b1) {
    for (int64_t b = b0; b < b1; ++b)
      row_grad(pred + b * D, target + b * D, mask ? mask[b] : 1.0f, dpred + b * D, D, denom, scale, acc);
  });
}

extern "C" void lam_f32_mse_loss_grad(const float* pred, const float* target, const float* mask,
                                      float* loss, float* dpred, int64_t B, int64_t D, float denom,
                                      float scale, int acc) {
  loss_and_grad(pred, target, mask, loss, dpred, B, D, denom, scale, acc);
}
