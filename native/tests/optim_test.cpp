// adam_update (Adam+L2 and AdamW), sgd_update (momentum, weight decay), ema_update vs float64
// re-implementations of the PyTorch formulas, over several steps.
#include <lamkit/kernels.h>

#include "test_util.h"

int main() {
  lt::Rng r(lt::seed());
  for (int threads : {1, 0}) {
    lam_set_num_threads(threads);
    for (int64_t n : {1, 17, 100003}) {
      for (int decoupled = 0; decoupled < 2; ++decoupled) {
        auto p = lt::randv(r, n);
        std::vector<float> m((size_t)n, 0.0f), v((size_t)n, 0.0f);
        std::vector<double> pd(p.begin(), p.end()), md((size_t)n, 0.0), vd((size_t)n, 0.0);
        const double lr = 1e-2, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.05;
        for (int64_t t = 1; t <= 4; ++t) {
          auto g = lt::randv(r, n);
          lam_f32_adam_update(p.data(), g.data(), m.data(), v.data(), n, (float)lr, (float)b1,
                              (float)b2, (float)eps, (float)wd, decoupled, t);
          for (int64_t i = 0; i < n; ++i) {
            double gi = g[(size_t)i];
            if (decoupled) pd[(size_t)i] *= 1.0 - lr * wd;
            else gi += wd * pd[(size_t)i];
            md[(size_t)i] = b1 * md[(size_t)i] + (1 - b1) * gi;
            vd[(size_t)i] = b2 * vd[(size_t)i] + (1 - b2) * gi * gi;
            const double mh = md[(size_t)i] / (1 - pow(b1, (double)t)), vh = vd[(size_t)i] / (1 - pow(b2, (double)t));
            pd[(size_t)i] -= lr * mh / (sqrt(vh) + eps);
          }
        }
        lt::ErrTracker et(decoupled ? "adamw" : "adam");
        for (int64_t i = 0; i < n; ++i) et.add(p[(size_t)i], pd[(size_t)i], 2e-6, 1e-5);
        if (n == 100003 && threads == 0) et.report("n=100003, 4 steps");
        CHECK(et.bad == 0, "%s n=%lld max_abs %g", et.name, (long long)n, et.max_abs);
      }
      {
        auto p = lt::randv(r, n);
        std::vector<float> buf((size_t)n, 0.0f);
        std::vector<double> pd(p.begin(), p.end()), bd((size_t)n, 0.0);
        for (int t = 0; t < 3; ++t) {
          auto g = lt::randv(r, n);
          lam_f32_sgd_update(p.data(), g.data(), buf.data(), n, 0.1f, 0.9f, 0.01f);
          for (int64_t i = 0; i < n; ++i) {
            const double gi = g[(size_t)i] + 0.01 * pd[(size_t)i];
            bd[(size_t)i] = 0.9 * bd[(size_t)i] + gi;
            pd[(size_t)i] -= 0.1 * bd[(size_t)i];
          }
        }
        lt::ErrTracker et("sgd");
        for (int64_t i = 0; i < n; ++i) et.add(p[(size_t)i], pd[(size_t)i], 1e-6, 1e-5);
        CHECK(et.bad == 0, "sgd n=%lld max_abs %g", (long long)n, et.max_abs);
      }
      {
        auto tgt = lt::randv(r, n), src = lt::randv(r, n);
        const auto t0 = tgt;
        lam_f32_ema_update(tgt.data(), src.data(), n, 0.99f);
        lt::ErrTracker et("ema");
        for (int64_t i = 0; i < n; ++i)
          et.add(tgt[(size_t)i], 0.99 * t0[(size_t)i] + 0.01 * src[(size_t)i], 1e-7, 1e-6);
        CHECK(et.bad == 0, "ema n=%lld max_abs %g", (long long)n, et.max_abs);
      }
    }
  }
  // The AVX2 body (optim_avx2.cpp) against the 4-lane one (forced "scalar" ISA) and so against
  // the scalar tail: bit for bit, every n mod 8, both weight-decay modes, several steps.
  for (int64_t n : {1, 7, 8, 13, 64, 1031}) {
    for (int decoupled = 0; decoupled < 2; ++decoupled) {
      auto p = lt::randv(r, n);
      std::vector<float> m((size_t)n, 0.0f), v((size_t)n, 0.0f);
      auto p2 = p, m2 = m, v2 = v;
      for (int64_t t = 1; t <= 3; ++t) {
        auto g = lt::randv(r, n);
        lam_force_isa(nullptr);
        lam_f32_adam_update(p.data(), g.data(), m.data(), v.data(), n, 3e-3f, 0.9f, 0.999f, 1e-8f, 0.05f, decoupled, t);
        lam_force_isa("scalar");
        lam_f32_adam_update(p2.data(), g.data(), m2.data(), v2.data(), n, 3e-3f, 0.9f, 0.999f, 1e-8f, 0.05f, decoupled, t);
        lam_force_isa(nullptr);
      }
      CHECK(p == p2 && m == m2 && v == v2, "adam (decoupled %d) n=%lld: %s path differs from the 4-lane path",
            decoupled, (long long)n, lam_isa_name());
    }
  }
  printf("optim_test: %d failures\n", lt::failures());
  return lt::failures() != 0;
}
