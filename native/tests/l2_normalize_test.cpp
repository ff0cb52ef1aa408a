// l2_normalize / l2_normalize_backward over [rows, len] vs float64 maths: the forward (also in
// place, y aliasing x), the backward (= and +=) against the analytic formula in float64, and
// the backward against central differences of the float64 forward (a wrong sign or missing
// term fails here even if the formula above had the same mistake).
#include <lamkit/kernels.h>

#include <math.h>

#include <vector>

#include "test_util.h"

namespace {
void ref_forward(const std::vector<double>& x, std::vector<double>& y, int64_t R, int64_t L, double eps) {
  for (int64_t r = 0; r < R; ++r) {
    double s = 0;
    for (int64_t l = 0; l < L; ++l) s += x[(size_t)(r * L + l)] * x[(size_t)(r * L + l)];
    const double k = 1.0 / sqrt(s + eps);
    for (int64_t l = 0; l < L; ++l) y[(size_t)(r * L + l)] = x[(size_t)(r * L + l)] * k;
  }
}
}  // namespace

int main() {
  lt::Rng r(lt::seed());
  const int64_t shapes[][2] = {{1, 1}, {1, 7}, {5, 3}, {16, 128}, {257, 33}, {2, 4099}};
  const float eps = 1e-8f;
  for (int threads : {1, 0}) {
    lam_set_num_threads(threads);
    lt::ErrTracker fw("l2_normalize"), bw("l2_normalize_backward");
    for (auto& s : shapes) {
      const int64_t R = s[0], L = s[1], n = R * L;
      auto x = lt::randv(r, n);
      auto dy = lt::randv(r, n);
      std::vector<double> xd(x.begin(), x.end()), yd((size_t)n);
      ref_forward(xd, yd, R, L, eps);
      lt::Guarded y(n, r, true);
      lam_f32_l2_normalize(x.data(), y.data(), R, L, eps);
      for (int64_t i = 0; i < n; ++i) fw.add(y[i], yd[(size_t)i], 1e-6, 1e-6);
      CHECK(y.guards_ok(), "l2_normalize guard");
      auto inplace = x;
      lam_f32_l2_normalize(inplace.data(), inplace.data(), R, L, eps);
      for (int64_t i = 0; i < n; ++i) fw.add(inplace[(size_t)i], yd[(size_t)i], 1e-6, 1e-6);
      for (int acc = 0; acc < 2; ++acc) {
        lt::Guarded dx(n, r, !acc);
        const auto dx0 = dx.copy();
        lam_f32_l2_normalize_backward(x.data(), dy.data(), dx.data(), R, L, eps, acc);
        for (int64_t row = 0; row < R; ++row) {
          double s = 0, dot = 0;
          for (int64_t l = 0; l < L; ++l) s += xd[(size_t)(row * L + l)] * xd[(size_t)(row * L + l)];
          const double k = 1.0 / sqrt(s + eps);
          for (int64_t l = 0; l < L; ++l) dot += yd[(size_t)(row * L + l)] * dy[(size_t)(row * L + l)];
          for (int64_t l = 0; l < L; ++l) {
            const size_t i = (size_t)(row * L + l);
            const double g = (dy[i] - yd[i] * dot) * k;
            bw.add(dx[(int64_t)i], g + (acc ? dx0[i] : 0.0), 1e-5, 1e-5);
          }
        }
        CHECK(dx.guards_ok(), "l2_normalize_backward guard");
      }
      // Central differences of Σ y·dy in float64 on a few elements.
      lt::Guarded dx(n, r, true);
      lam_f32_l2_normalize_backward(x.data(), dy.data(), dx.data(), R, L, eps, 0);
      for (int t = 0; t < 8; ++t) {
        const size_t i = (size_t)((t * 7919) % n);
        const double h = 1e-6;
        std::vector<double> xp = xd, xm = xd, yp((size_t)n), ym((size_t)n);
        xp[i] += h;
        xm[i] -= h;
        ref_forward(xp, yp, R, L, eps);
        ref_forward(xm, ym, R, L, eps);
        double lp = 0, lm = 0;
        for (int64_t j = 0; j < n; ++j) {
          lp += yp[(size_t)j] * dy[(size_t)j];
          lm += ym[(size_t)j] * dy[(size_t)j];
        }
        bw.add(dx[(int64_t)i], (lp - lm) / (2 * h), 1e-4, 1e-4);
      }
    }
    fw.report(threads == 1 ? "threads 1" : "pool");
    bw.report(threads == 1 ? "threads 1" : "pool");
  }
  printf("l2_normalize_test: %d failures\n", lt::failures());
  return lt::failures() != 0;
}
