// mse_loss / mse_grad vs float64: with and without mask, masked rows holding NaN are ignored,
// `=` / `+=` grads, scale and denominators.
#include <lamkit/kernels.h>

#include <string.h>

#include "test_util.h"

int main() {
  lt::Rng r(lt::seed());
  const int64_t shapes[][2] = {{1, 1}, {7, 3}, {512, 64}, {1024, 257}};
  for (int threads : {1, 0}) {
    lam_set_num_threads(threads);
    lt::ErrTracker el("mse_loss"), eg("mse_grad");
    for (auto& s : shapes)
      for (int masked = 0; masked < 2; ++masked) {
        const int64_t B = s[0], D = s[1];
        auto p = lt::randv(r, B * D), t = lt::randv(r, B * D);
        std::vector<float> m((size_t)B);
        int64_t labelled = 0;
        for (int64_t b = 0; b < B; ++b) {
          m[(size_t)b] = (b % 3 == 1) ? 0.0f : 1.0f;
          labelled += m[(size_t)b] != 0.0f;
          if (masked && m[(size_t)b] == 0.0f) p[(size_t)(b * D)] = NAN;  // must be ignored
        }
        const float* mp = masked ? m.data() : nullptr;
        const float denom = masked ? (float)(labelled ? labelled : 1) : (float)B;
        float loss = NAN;
        lam_f32_mse_loss(p.data(), t.data(), mp, &loss, B, D, denom);
        double want = 0;
        for (int64_t b = 0; b < B; ++b) {
          if (mp && mp[b] == 0.0f) continue;
          for (int64_t d = 0; d < D; ++d) {
            const double e = (double)p[(size_t)(b * D + d)] - t[(size_t)(b * D + d)];
            want += e * e;
          }
        }
        el.add(loss, want / denom, 1e-6, 1e-5);
        for (int acc = 0; acc < 2; ++acc) {
          lt::Guarded g(B * D, r, !acc);
          const auto g0 = g.copy();
          lam_f32_mse_grad(p.data(), t.data(), mp, g.data(), B, D, denom, 0.5f, acc);
          for (int64_t b = 0; b < B; ++b)
            for (int64_t d = 0; d < D; ++d) {
              const int64_t i = b * D + d;
              const double mb = mp ? mp[b] : 1.0;
              const double v = mb == 0 ? 0.0 : 0.5 * 2.0 * ((double)p[(size_t)i] - t[(size_t)i]) * mb / denom;
              eg.add(g[i], v + (acc ? g0[(size_t)i] : 0.0), 1e-7, 1e-5);
            }
          CHECK(g.guards_ok(), "mse_grad guard");
          // The fused pass gives the same bits as the two calls.
          lt::Guarded gf(B * D, r, !acc);
          for (int64_t i = 0; i < B * D; ++i) gf.data()[i] = g0[(size_t)i];
          float lf = NAN;
          lam_f32_mse_loss_grad(p.data(), t.data(), mp, &lf, gf.data(), B, D, denom, 0.5f, acc);
          bool same = lf == loss && gf.guards_ok();
          for (int64_t i = 0; i < B * D && same; ++i) same = memcmp(gf.data() + i, g.data() + i, sizeof(float)) == 0;
          CHECK(same, "mse_loss_grad B=%lld D=%lld masked %d acc %d differs from mse_loss + mse_grad", (long long)B,
                (long long)D, masked, acc);
        }
      }
    el.report(threads == 1 ? "threads 1" : "pool");
    eg.report(threads == 1 ? "threads 1" : "pool");
  }
  // The AVX2 row body (mse_avx2.cpp) against the baseline build's (forced "scalar" ISA): bit for
  // bit, every D mod 4 and D < 4, odd row counts (a row without a partner), masks splitting
  // row pairs, `=` and `+=`. Values far apart in magnitude so a different rounding would show.
  lam_set_num_threads(1);
  for (int64_t B : {1, 3, 6}) {
    for (int64_t D : {1, 2, 3, 4, 5, 6, 7, 8, 9, 63, 1027}) {
      for (int masked = 0; masked < 2; ++masked) {
        auto p = lt::randv(r, B * D, -1e3f, 1e3f), t = lt::randv(r, B * D);
        for (int64_t i = 0; i < B * D; i += 3) p[(size_t)i] *= 1e-4f;
        std::vector<float> m((size_t)B);
        for (int64_t b = 0; b < B; ++b) m[(size_t)b] = b % 3 == 1 ? 0.0f : 0.5f + (float)b;
        const float* mp = masked ? m.data() : nullptr;
        for (int acc = 0; acc < 2; ++acc) {
          const auto g0 = lt::randv(r, B * D);
          auto ga = g0, gs = g0, gg = g0, gh = g0;
          float la = NAN, ls = NAN;
          lam_force_isa(nullptr);
          lam_f32_mse_loss_grad(p.data(), t.data(), mp, &la, ga.data(), B, D, 3.0f, 0.7f, acc);
          lam_f32_mse_grad(p.data(), t.data(), mp, gg.data(), B, D, 3.0f, 0.7f, acc);
          lam_force_isa("scalar");
          lam_f32_mse_loss_grad(p.data(), t.data(), mp, &ls, gs.data(), B, D, 3.0f, 0.7f, acc);
          lam_f32_mse_grad(p.data(), t.data(), mp, gh.data(), B, D, 3.0f, 0.7f, acc);
          lam_force_isa(nullptr);
          CHECK(memcmp(&la, &ls, sizeof la) == 0 && ga == gs && gg == gh && ga == gg,
                "mse B=%lld D=%lld masked %d acc %d: %s row body differs from the baseline one "
                "(loss %.9g vs %.9g)",
                (long long)B, (long long)D, masked, acc, lam_isa_name(), (double)la, (double)ls);
        }
      }
    }
  }
  printf("mse_test: %d failures\n", lt::failures());
  return lt::failures() != 0;
}
