// bias_add / bias_grad
//   bias_add:  y[n,c,s] = x[n,c,s] + b[c]        (x may alias y; always `=`)
//   bias_grad: db[c] (= | +=) Σ_{n,s} dy[n,c,s]   (float64 accumulation: sums over N·S terms)
// Layout NCHW flattened to [N, C, S]. FLOPs N·C·S; bytes 8·N·C·S (+4C).
// Test: native/tests/elementwise_test.cpp, test/kernels/bias_add.test.ts. Bench: lamkit bench kernels.
#include <lamkit/kernels.h>

#include "runtime/thread_pool.h"

extern "C" void lam_f32_bias_add(const float* x, const float* b, float* y, int64_t N, int64_t C,
                                 int64_t S) {
  lamkit::parallel_for(N * C, (double)S, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float bc = b[r % C];
      const float* xr = x + r * S;
      float* yr = y + r * S;
      for (int64_t s = 0; s < S; ++s) yr[s] = xr[s] + bc;
    }
  });
}

extern "C" void lam_f32_bias_grad(const float* dy, float* db, int64_t N, int64_t C, int64_t S,
                                  int acc) {
  // Parallel over channels: each channel's sum is independent, no reduction across threads.
  lamkit::parallel_for(C, (double)(N * S), [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      double total = 0.0;
      for (int64_t n = 0; n < N; ++n) {
        const float* row = dy + (n * C + c) * S;
        // 8 float partials keep the inner loop vectorisable; flushed to double per row.
        float part[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        int64_t s = 0;
        for (; s + 8 <= S; s += 8)
          for (int j = 0; j < 8; ++j) part[j] += row[s + j];
        double rs = 0.0;
        for (int j = 0; j < 8; ++j) rs += part[j];
        for (; s < S; ++s) rs += row[s];
        total += rs;
      }
      db[c] = acc ? (float)(db[c] + total) : (float)total;
    }
  });
}
