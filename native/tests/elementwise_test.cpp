// add/sub/mul/scale, bias_add/bias_grad, concat_part/split_part, fill/copy vs float64 loops:
// `=` into NaN, `+=` onto random values, aliasing outputs, sizes 1 / prime / large (threaded).
#include <lamkit/kernels.h>

#include "test_util.h"

static void binary_ops(lt::Rng& r, int64_t n) {
  auto a = lt::randv(r, n), b = lt::randv(r, n);
  for (int op = 0; op < 4; ++op)
    for (int acc = 0; acc < 2; ++acc) {
      lt::Guarded y(n, r, !acc);
      const auto y0 = y.copy();
      const char* names[] = {"add", "sub", "mul", "scale"};
      if (op == 0) lam_f32_add(a.data(), b.data(), y.data(), n, acc);
      if (op == 1) lam_f32_sub(a.data(), b.data(), y.data(), n, acc);
      if (op == 2) lam_f32_mul(a.data(), b.data(), y.data(), n, acc);
      if (op == 3) lam_f32_scale(a.data(), y.data(), n, -1.75f, acc);
      lt::ErrTracker et(names[op]);
      for (int64_t i = 0; i < n; ++i) {
        double v = op == 0 ? (double)a[i] + b[i] : op == 1 ? (double)a[i] - b[i]
                 : op == 2 ? (double)a[i] * b[i] : -1.75 * a[i];
        et.add(y[i], v + (acc ? y0[(size_t)i] : 0.0), 1e-7, 1e-6);
      }
      CHECK(et.bad == 0 && y.guards_ok(), "%s n=%lld acc=%d", names[op], (long long)n, acc);
    }
  // Aliasing: y = a (in place).
  auto y = a;
  lam_f32_add(y.data(), b.data(), y.data(), n, 0);
  for (int64_t i = 0; i < n; ++i) CHECK(y[(size_t)i] == a[(size_t)i] + b[(size_t)i], "add in place %lld", (long long)i);
}

static void bias(lt::Rng& r, int64_t N, int64_t C, int64_t S) {
  auto x = lt::randv(r, N * C * S), b = lt::randv(r, C);
  lt::Guarded y(N * C * S, r, true);
  lam_f32_bias_add(x.data(), b.data(), y.data(), N, C, S);
  for (int64_t i = 0; i < N * C * S; ++i)
    CHECK(y[i] == x[(size_t)i] + b[(size_t)((i / S) % C)], "bias_add %lld", (long long)i);
  CHECK(y.guards_ok(), "bias_add guard");
  auto xi = x;  // alias
  lam_f32_bias_add(xi.data(), b.data(), xi.data(), N, C, S);
  for (int64_t i = 0; i < N * C * S; ++i) CHECK(xi[(size_t)i] == y[i], "bias_add alias %lld", (long long)i);
  for (int acc = 0; acc < 2; ++acc) {
    lt::Guarded db(C, r, !acc);
    const auto d0 = db.copy();
    lam_f32_bias_grad(x.data(), db.data(), N, C, S, acc);
    lt::ErrTracker et("bias_grad");
    for (int64_t c = 0; c < C; ++c) {
      double s = acc ? d0[(size_t)c] : 0.0;
      for (int64_t n = 0; n < N; ++n)
        for (int64_t k = 0; k < S; ++k) s += x[(size_t)((n * C + c) * S + k)];
      et.add(db[c], s, 1e-6 * sqrt((double)(N * S)), 1e-6);
    }
    CHECK(et.bad == 0 && db.guards_ok(), "bias_grad %lldx%lldx%lld acc=%d max_abs %g", (long long)N,
          (long long)C, (long long)S, acc, et.max_abs);
  }
}

static void concat(lt::Rng& r, int64_t N, int64_t Cp, int64_t Ct, int64_t c0, int64_t S) {
  auto part = lt::randv(r, N * Cp * S);
  lt::Guarded whole(N * Ct * S, r, false);
  const auto w0 = whole.copy();
  lam_f32_concat_part(part.data(), whole.data(), N, Cp, Ct, c0, S);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < Ct; ++c)
      for (int64_t s = 0; s < S; ++s) {
        const int64_t i = (n * Ct + c) * S + s;
        const float want = (c >= c0 && c < c0 + Cp) ? part[(size_t)((n * Cp + c - c0) * S + s)] : w0[(size_t)i];
        CHECK(whole[i] == want, "concat_part %lld", (long long)i);
      }
  CHECK(whole.guards_ok(), "concat guard");
  for (int acc = 0; acc < 2; ++acc) {
    lt::Guarded p(N * Cp * S, r, !acc);
    const auto p0 = p.copy();
    lam_f32_split_part(whole.data(), p.data(), N, Cp, Ct, c0, S, acc);
    for (int64_t i = 0; i < N * Cp * S; ++i) {
      const float src = part[(size_t)i];
      CHECK(p[i] == (acc ? p0[(size_t)i] + src : src), "split_part %lld acc %d", (long long)i, acc);
    }
    CHECK(p.guards_ok(), "split guard");
  }
}

static void memory(lt::Rng& r, int64_t n) {
  lt::Guarded y(n, r, true);
  lam_f32_fill(y.data(), n, 2.5f);
  for (int64_t i = 0; i < n; ++i) CHECK(y[i] == 2.5f, "fill %lld", (long long)i);
  CHECK(y.guards_ok(), "fill guard");
  auto x = lt::randv(r, n);
  for (int acc = 0; acc < 2; ++acc) {
    lt::Guarded z(n, r, !acc);
    const auto z0 = z.copy();
    lam_f32_copy(x.data(), z.data(), n, acc);
    for (int64_t i = 0; i < n; ++i)
      CHECK(z[i] == (acc ? z0[(size_t)i] + x[(size_t)i] : x[(size_t)i]), "copy %lld acc %d", (long long)i, acc);
    CHECK(z.guards_ok(), "copy guard");
  }
}

int main() {
  lt::Rng r(lt::seed());
  for (int threads : {1, 0}) {
    lam_set_num_threads(threads);
    for (int64_t n : {1, 7, 1031, 300007}) binary_ops(r, n);
    bias(r, 1, 1, 1);
    bias(r, 3, 5, 7);
    bias(r, 32, 64, 257);
    concat(r, 1, 1, 1, 0, 1);
    concat(r, 3, 5, 12, 4, 7);
    concat(r, 32, 64, 128, 64, 256);
    memory(r, 1);
    memory(r, 1000003);
  }
  printf("elementwise_test: %d failures\n", lt::failures());
  return lt::failures() != 0;
}
