// relu / leaky_relu / gelu forward and backward vs float64 formulas (gelu: exact erf form),
// `=` into NaN and `+=` onto random values, NaN inputs propagate, in-place forward.
#include <lamkit/kernels.h>

#include "test_util.h"

static double gelu(double x) { return 0.5 * x * (1.0 + erf(x / sqrt(2.0))); }
static double gelu_d(double x) {
  return 0.5 * (1.0 + erf(x / sqrt(2.0))) + x * exp(-0.5 * x * x) / sqrt(2.0 * M_PI);
}

int main() {
  lt::Rng r(lt::seed());
  const float slope = 0.1f;
  for (int threads : {1, 0}) {
    lam_set_num_threads(threads);
    for (int64_t n : {1, 13, 4099, 200003}) {
      auto x = lt::randv(r, n, -5.0f, 5.0f), dy = lt::randv(r, n);
      x[0] = 0.0f;
      lt::ErrTracker ef[3] = {lt::ErrTracker("relu"), lt::ErrTracker("leaky_relu"), lt::ErrTracker("gelu")};
      for (int op = 0; op < 3; ++op) {
        lt::Guarded y(n, r, true);
        if (op == 0) lam_f32_relu(x.data(), y.data(), n);
        if (op == 1) lam_f32_leaky_relu(x.data(), y.data(), n, slope);
        if (op == 2) lam_f32_gelu(x.data(), y.data(), n);
        for (int64_t i = 0; i < n; ++i) {
          const double v = x[(size_t)i];
          const double want = op == 0 ? (v > 0 ? v : 0) : op == 1 ? (v > 0 ? v : v * slope) : gelu(v);
          ef[op].add(y[i], want, 2e-7, 2e-6);
        }
        CHECK(y.guards_ok(), "act %d guard", op);
        for (int acc = 0; acc < 2; ++acc) {
          lt::Guarded dx(n, r, !acc);
          const auto d0 = dx.copy();
          if (op == 0) lam_f32_relu_backward(x.data(), dy.data(), dx.data(), n, acc);
          if (op == 1) lam_f32_leaky_relu_backward(x.data(), dy.data(), dx.data(), n, slope, acc);
          if (op == 2) lam_f32_gelu_backward(x.data(), dy.data(), dx.data(), n, acc);
          lt::ErrTracker eb("backward");
          for (int64_t i = 0; i < n; ++i) {
            const double v = x[(size_t)i];
            const double d = op == 0 ? (v > 0 ? 1 : 0) : op == 1 ? (v > 0 ? 1 : slope) : gelu_d(v);
            eb.add(dx[i], d * dy[(size_t)i] + (acc ? d0[(size_t)i] : 0.0), 2e-7, 2e-6);
          }
          CHECK(eb.bad == 0 && dx.guards_ok(), "act %d backward n=%lld acc=%d max_abs %g", op,
                (long long)n, acc, eb.max_abs);
        }
      }
      if (n == 200003 && threads == 0)
        for (auto& e : ef) e.report("n=200003");
      for (auto& e : ef) CHECK(e.bad == 0, "%s n=%lld max_abs %g", e.name, (long long)n, e.max_abs);
    }
  }
  // NaN propagates through every forward; in-place works.
  float v[3] = {NAN, -1.0f, 2.0f}, o[3];
  lam_f32_relu(v, o, 3);
  CHECK(o[0] != o[0] && o[1] == 0.0f && o[2] == 2.0f, "relu NaN/in-range");
  lam_f32_leaky_relu(v, o, 3, slope);
  CHECK(o[0] != o[0], "leaky_relu NaN");
  lam_f32_gelu(v, o, 3);
  CHECK(o[0] != o[0], "gelu NaN");
  lam_f32_relu(v, v, 3);
  CHECK(v[1] == 0.0f && v[2] == 2.0f, "relu in place");
  printf("activations_test: %d failures\n", lt::failures());
  return lt::failures() != 0;
}
