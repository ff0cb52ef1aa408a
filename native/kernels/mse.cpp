// mse_loss / mse_grad. pred, target [B, D]; mask [B] or NULL (every row counts).
//   mse_loss: loss[0] = Σ_b mask_b Σ_d (p−t)² / denom                  (always `=`)
//   mse_grad: dpred (= | +=) scale · 2 (p−t) · mask_b / denom
// Rows with mask 0 contribute nothing (their dpred is 0 for `=`, untouched for `+=`), even if
// their p or t are NaN — unlabelled rows may hold anything. Loss accumulates in float64.
//   mse_loss_grad: both in one pass over pred and target (the executor fuses an adjacent
//   MSE_LOSS, MSE_GRAD pair with the same operands into it); bit-identical to the two calls.
// FLOPs 3BD; bytes 8BD (+4BD for the grad). Row body: mse_rows.h (this file's build, or
// mse_avx2.cpp's with AVX2): linear-1k's 1024×1024 fused pass, 1 thread: 0.87–0.91 → 0.57–0.67 ms with caches
// swept (then memory-bound), 0.70 → 0.24 ns per element from L2; training step A/B 0.985.
// Test: native/tests/mse_test.cpp, test/kernels/mse_loss.test.ts. Bench: lamkit bench kernels.
// Contraction off, as in mse_avx2.cpp: every build rounds each operation the same way.
#include "fp_contract_off.h"

#include <lamkit/kernels.h>

#include <stddef.h>
#include <string.h>

#include <vector>

#include "mse_rows.h"
#include "runtime/thread_pool.h"

namespace {

// The row body's build: -mavx2 where the ISA in use (lam_isa_name, lowered by lam_force_isa)
// has it, else this file's own (SSE2, wasm simd128, or plain scalar code).
lamkit::mse_rows_fn rows_fn() {
#if defined(__x86_64__) && !defined(__wasm__)
  const char* isa = lam_isa_name();
  if (!strcmp(isa, "avx2") || !strcmp(isa, "avx512")) return lamkit::mse_rows_avx2;
#endif
  return lamkit::mse_rows_dispatch<>;
}

// Rows [b0, b1): returns Σ_b mask_b Σ_d (p−t)² in row order when want_loss, and writes dpred
// (= | +=) scale · 2 (p−t) · mask_b / denom when dpred ≠ NULL. A masked-out row (m = 0) is
// skipped whatever it holds; its dpred is zeroed for `=` and left alone for `+=`. Two rows at
// a time where both count (mse_rows.h: their float64 chains overlap).
double rows_block(lamkit::mse_rows_fn fn, const float* pred, const float* target,
                  const float* mask, float* dpred, int64_t b0, int64_t b1, int64_t D, float denom,
                  float scale, int acc, bool want_loss) {
  double s = 0.0;
  auto factor = [&](float m) { return (float)(2.0 * (double)scale * (double)m / (double)denom); };
  for (int64_t b = b0; b < b1;) {
    const float m0 = mask ? mask[b] : 1.0f;
    const float m1 = b + 1 < b1 ? (mask ? mask[b + 1] : 1.0f) : 0.0f;
    const int rows = m0 != 0.0f && m1 != 0.0f ? 2 : 1;
    if (m0 == 0.0f) {
      if (dpred && !acc)
        for (int64_t d = 0; d < D; ++d) dpred[b * D + d] = 0.0f;
      ++b;
      continue;
    }
    const float* p[2] = {pred + b * D, pred + (b + 1) * D};
    const float* t[2] = {target + b * D, target + (b + 1) * D};
    float* g[2] = {dpred ? dpred + b * D : nullptr, dpred ? dpred + (b + 1) * D : nullptr};
    const float k[2] = {factor(m0), factor(m1)};
    double rs[2] = {0.0, 0.0};
    fn(rows, p, t, dpred ? g : nullptr, k, acc, D, want_loss ? rs : nullptr);
    if (want_loss) {
      s += mask ? rs[0] * (double)m0 : rs[0];
      if (rows == 2) s += mask ? rs[1] * (double)m1 : rs[1];
    }
    b += rows;
  }
  return s;
}

// The loss, and with dpred ≠ NULL the gradient in the same pass over pred and target. Fixed row
// split per thread id, partial sums added in order: the loss does not depend on timing, and is
// the same bits with or without the gradient.
void loss_and_grad(const float* pred, const float* target, const float* mask, float* loss,
                   float* dpred, int64_t B, int64_t D, float denom, float scale, int acc) {
  int nt = lamkit::available_threads();
  if ((double)B * (double)D < 65536.0) nt = 1;
  const lamkit::mse_rows_fn fn = rows_fn();
  std::vector<double> part((size_t)nt, 0.0);
  lamkit::parallel(nt, [&](int tid, int nthr) {
    const int64_t b0 = B * tid / nthr, b1 = B * (tid + 1) / nthr;
    part[(size_t)tid] = rows_block(fn, pred, target, mask, dpred, b0, b1, D, denom, scale, acc, true);
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
  const lamkit::mse_rows_fn fn = rows_fn();
  lamkit::parallel_for(B, (double)D, [&](int64_t b0, int64_t b1) {
    rows_block(fn, pred, target, mask, dpred, b0, b1, D, denom, scale, acc, false);
  });
}

extern "C" void lam_f32_mse_loss_grad(const float* pred, const float* target, const float* mask,
                                      float* loss, float* dpred, int64_t B, int64_t D, float denom,
                                      float scale, int acc) {
  loss_and_grad(pred, target, mask, loss, dpred, B, D, denom, scale, acc);
}
