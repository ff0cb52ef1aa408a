// vq_nearest (argmin, lowest index on ties, int32 output), gather_rows, scatter_add_rows
// (repeated indices accumulate) vs float64 loops.
#include <lamkit/kernels.h>

#include "test_util.h"

int main() {
  lt::Rng r(lt::seed());
  const int64_t shapes[][3] = {{1, 1, 1}, {7, 5, 3}, {512, 64, 16}, {1000, 37, 129}};
  for (int threads : {1, 0}) {
    lam_set_num_threads(threads);
    for (auto& s : shapes) {
      const int64_t N = s[0], K = s[1], D = s[2];
      auto z = lt::randv(r, N * D), cb = lt::randv(r, K * D);
      if (K > 2) {  // a duplicated code: ties must pick the lower index
        for (int64_t d = 0; d < D; ++d) cb[(size_t)(2 * D + d)] = cb[(size_t)(1 * D + d)];
        for (int64_t d = 0; d < D; ++d) z[(size_t)d] = cb[(size_t)(1 * D + d)];
      }
      std::vector<int32_t> idx((size_t)N, -7);
      lam_f32_vq_nearest(z.data(), cb.data(), idx.data(), N, K, D);
      int64_t wrong = 0;
      for (int64_t n = 0; n < N; ++n) {
        double best = 1e300;
        int32_t bi = 0;
        for (int64_t k = 0; k < K; ++k) {
          double t = 0;
          for (int64_t d = 0; d < D; ++d) {
            const double e = (double)z[(size_t)(n * D + d)] - cb[(size_t)(k * D + d)];
            t += e * e;
          }
          if (t < best) { best = t; bi = (int32_t)k; }
        }
        wrong += idx[(size_t)n] != bi;
      }
      CHECK(wrong == 0, "vq_nearest %lldx%lldx%lld: %lld wrong indices", (long long)N, (long long)K,
            (long long)D, (long long)wrong);
      if (K > 2) CHECK(idx[0] == 1, "vq tie must pick the lower index, got %d", idx[0]);
      lt::Guarded out(N * D, r, true);
      lam_f32_gather_rows(cb.data(), idx.data(), out.data(), N, D);
      for (int64_t n = 0; n < N; ++n)
        for (int64_t d = 0; d < D; ++d)
          CHECK(out[n * D + d] == cb[(size_t)(idx[(size_t)n] * D + d)], "gather %lld", (long long)n);
      CHECK(out.guards_ok(), "gather guard");
      lt::Guarded table(K * D, r, false);
      const auto t0 = table.copy();
      lam_f32_scatter_add_rows(z.data(), idx.data(), table.data(), N, D);
      lt::ErrTracker et("scatter_add");
      std::vector<double> want(t0.begin(), t0.end());
      for (int64_t n = 0; n < N; ++n)
        for (int64_t d = 0; d < D; ++d) want[(size_t)(idx[(size_t)n] * D + d)] += z[(size_t)(n * D + d)];
      for (int64_t i = 0; i < K * D; ++i) et.add(table[i], want[(size_t)i], 1e-6 * sqrt((double)N), 1e-6);
      CHECK(et.bad == 0 && table.guards_ok(), "scatter_add max_abs %g", et.max_abs);
    }
  }
  printf("vq_test: %d failures\n", lt::failures());
  return lt::failures() != 0;
}
