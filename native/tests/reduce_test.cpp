// sum_axis / mean_axis over [outer, len, inner] vs float64 sums (inner = 1 and > 1, large len).
#include <lamkit/kernels.h>

#include "test_util.h"

int main() {
  lt::Rng r(lt::seed());
  const int64_t shapes[][3] = {{1, 1, 1}, {1, 7, 1}, {5, 3, 11}, {3, 1000, 1}, {2, 513, 67}, {64, 32, 1024}};
  for (int threads : {1, 0}) {
    lam_set_num_threads(threads);
    lt::ErrTracker et("sum/mean");
    for (auto& s : shapes)
      for (int mean = 0; mean < 2; ++mean)
        for (int acc = 0; acc < 2; ++acc) {
          const int64_t O = s[0], L = s[1], I = s[2];
          auto x = lt::randv(r, O * L * I);
          lt::Guarded y(O * I, r, !acc);
          const auto y0 = y.copy();
          (mean ? lam_f32_mean_axis : lam_f32_sum_axis)(x.data(), y.data(), O, L, I, acc);
          for (int64_t o = 0; o < O; ++o)
            for (int64_t i = 0; i < I; ++i) {
              double t = 0;
              for (int64_t l = 0; l < L; ++l) t += x[(size_t)((o * L + l) * I + i)];
              if (mean) t /= (double)L;
              et.add(y[o * I + i], t + (acc ? y0[(size_t)(o * I + i)] : 0.0), 1e-6, 1e-6);
            }
          CHECK(y.guards_ok(), "reduce guard");
        }
    et.report(threads == 1 ? "threads 1" : "pool");
  }
  printf("reduce_test: %d failures\n", lt::failures());
  return lt::failures() != 0;
}
