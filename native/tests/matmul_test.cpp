// lam_f32_matmul vs a float64 triple loop: every ISA this CPU has (forced via lam_force_isa),
// transposes, `=` with NaN-poisoned C, `+=` with random C, sizes 1 / primes / tile ± 1 / beyond
// one cache block, 1 thread and the full pool. Guard zones and inputs are checked bit-exact.
#include <lamkit/kernels.h>

#include "kernels/gemm_pack.h"
#include "kernels/gemm_ukernels.h"
#include "kernels/gemm_vec_ukernel.h"
#include "test_util.h"

// The AVX-512 14x32 micro-kernel's body, built here with default flags, vs a float64 loop on
// packed panels (covers its indexing on CPUs that cannot run the zmm build).
static void test_vec_ukernel(lt::Rng& r) {
  lt::ErrTracker et("ukernel");
  for (int64_t kc : {1, 2, 7, 64, 385}) {
    for (int acc = 0; acc < 2; ++acc) {
      auto a = lt::randv(r, 14 * kc), b = lt::randv(r, 32 * kc);
      const int64_t ldc = 37;
      lt::Guarded c(14 * ldc, r, !acc);
      const auto c0 = c.copy();
      lamkit::gemm_vec_ukernel<14, 2>(kc, a.data(), b.data(), c.data(), ldc, acc);
      for (int i = 0; i < 14; ++i)
        for (int j = 0; j < ldc; ++j) {
          if (j >= 32) {
            CHECK(memcmp(&c.buf[(size_t)(c.G + i * ldc + j)], &c0[(size_t)(i * ldc + j)], 4) == 0,
                  "ukernel wrote outside its tile at (%d,%d)", i, j);
            continue;
          }
          double s = acc ? c0[(size_t)(i * ldc + j)] : 0.0;
          for (int64_t k = 0; k < kc; ++k) s += (double)a[(size_t)(k * 14 + i)] * b[(size_t)(k * 32 + j)];
          et.add(c[i * ldc + j], s, 2e-6 * sqrt((double)kc + 1) + 1e-6, 1e-5);
        }
      CHECK(c.guards_ok(), "ukernel guard zone");
    }
  }
  et.report("14x32 vector body (avx512 twin)");
}

#if defined(__x86_64__)
// The AVX2 packers vs the layout of gemm_pack.h written out element by element: bit-exact,
// zero padding, nothing written past the panel. Offsets i0/p0/j0 and leading dimensions of
// 1024 (rows 4 KiB apart, the L1-aliasing case the loop orders are built around) included.
static void test_avx2_packers(lt::Rng& r) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("avx2")) {
    printf("  avx2 packers: CPU has no AVX2, skipped\n");
    return;
  }
  const int64_t G = 64;  // guard floats after the panel
  int cases = 0;
  for (int64_t ld : {300, 1024})
    for (int t = 0; t < 2; ++t)
      for (int64_t ext : {1, 5, 6, 7, 13, 15, 16, 17, 33, 168})
        for (int64_t kc : {1, 3, 4, 5, 7, 8, 9, 15, 16, 17, 33, 256}) {
          // A: op(A)[i0:i0+mc, p0:p0+kc]; B: op(B)[p0:p0+kc, j0:j0+nc] with mc = nc = ext.
          const int64_t o0 = 3, o1 = 2;  // row/column offset inside the stored matrix
          const int64_t rowsA = t ? o1 + kc : o0 + ext, colsA = t ? o0 + ext : o1 + kc;
          if (colsA > ld) continue;
          auto A = lt::randv(r, rowsA * ld);
          for (int which = 0; which < 2; ++which) {
            const int64_t tile = which ? 16 : 6, panel = (ext + tile - 1) / tile * tile * kc;
            std::vector<float> buf((size_t)(panel + G + 8));
            float* dst = buf.data() + (8 - ((uintptr_t)buf.data() / 4) % 8) % 8;  // 32-byte aligned
            for (int64_t i = 0; i < panel + G; ++i) dst[i] = -7.0f;
            // `which` 0 packs A (ta = t, i0 = o0, p0 = o1); 1 packs B from the same storage read
            // as op(B) (tb = !t: stored N×K when t = 0), j0 = o0, p0 = o1.
            if (which == 0) lamkit::gemm_pack_a6_avx2(t, A.data(), ld, o0, o1, ext, kc, dst);
            else lamkit::gemm_pack_b16_avx2(!t, A.data(), ld, o1, o0, kc, ext, dst);
            bool ok = true;
            for (int64_t s = 0; s < panel / kc / tile && ok; ++s)
              for (int64_t k = 0; k < kc && ok; ++k)
                for (int64_t x = 0; x < tile && ok; ++x) {
                  const int64_t e = s * tile + x;  // row of op(A) / column of op(B)
                  const float want = e >= ext ? 0.0f : t ? A[(size_t)((o1 + k) * ld + o0 + e)] : A[(size_t)((o0 + e) * ld + o1 + k)];
                  const float got = dst[s * tile * kc + k * tile + x];
                  ok = memcmp(&want, &got, 4) == 0;
                  CHECK(ok, "%s packer %s=%d ld %lld ext %lld kc %lld: sliver %lld k %lld lane %lld is %g, want %g",
                        which ? "B" : "A", which ? "tb" : "ta", which ? !t : t, (long long)ld, (long long)ext,
                        (long long)kc, (long long)s, (long long)k, (long long)x, got, want);
                }
            for (int64_t i = panel; i < panel + G; ++i)
              CHECK(dst[i] == -7.0f, "%s packer wrote past its panel (ext %lld kc %lld, offset %lld)", which ? "B" : "A",
                    (long long)ext, (long long)kc, (long long)(i - panel));
            ++cases;
          }
        }
  printf("  avx2 packers: %d cases\n", cases);
}
#endif

static void run_case(lt::ErrTracker& et, lt::Rng& r, int ta, int tb, int64_t M, int64_t N, int64_t K, int acc,
                     const char* label) {
  auto A = lt::randv(r, M * K), B = lt::randv(r, K * N);
  const auto A0 = A, B0 = B;
  lt::Guarded C(M * N, r, !acc);
  const auto Cin = C.copy();
  lam_f32_matmul(ta, tb, M, N, K, A.data(), B.data(), C.data(), acc);
  char what[128];
  snprintf(what, sizeof what, "%s ta%d tb%d %lldx%lldx%lld acc%d", label, ta, tb, (long long)M,
           (long long)N, (long long)K, acc);
  const int64_t bad0 = et.bad;
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      double s = acc ? (double)Cin[(size_t)(i * N + j)] : 0.0;
      for (int64_t k = 0; k < K; ++k) {
        const double a = ta ? A[(size_t)(k * M + i)] : A[(size_t)(i * K + k)];
        const double b = tb ? B[(size_t)(j * K + k)] : B[(size_t)(k * N + j)];
        s += a * b;
      }
      et.add(C[i * N + j], s, 2e-6 * sqrt((double)K + 1) + 1e-6, 1e-5);
    }
  if (et.bad != bad0) printf("  mismatch in %s\n", what);
  CHECK(C.guards_ok(), "guard zone overwritten: %s", what);
  CHECK(A == A0 && B == B0, "inputs modified: %s", what);
}

// lam_f32_matmul_shared_a vs two float64 loops: both segments' transposes and accs, M and N2
// edges, N1 not a multiple of 32 (the two-call fallback), a split that falls inside a thread's
// column range (2 threads), one panel wider than NC (1024 + 32). Guards and inputs bit-exact;
// results independent of the thread count.
static void test_shared_a(lt::Rng& r) {
  lt::ErrTracker et("matmul_shared_a");
  const int64_t shapes[][4] = {{61, 64, 7, 50}, {100, 96, 33, 300}, {727, 512, 32, 520}, {40, 1024, 32, 64},
                               {13, 40, 9, 11}, {200, 1024, 32, 1024}};
  for (auto& s : shapes) {
    const int64_t M = s[0], N1 = s[1], N2 = s[2], K = s[3];
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 4; ++tb) {
        const int tb1 = tb & 1, tb2 = tb >> 1, acc1 = tb & 1, acc2 = !(tb >> 1);
        auto A = lt::randv(r, M * K), B1 = lt::randv(r, K * N1), B2 = lt::randv(r, K * N2);
        const auto A0 = A, B10 = B1, B20 = B2;
        std::vector<float> out[2][2];
        for (int threads : {1, 2}) {
          lam_set_num_threads(threads);
          lt::Guarded C1(M * N1, r, !acc1), C2(M * N2, r, !acc2);
          const auto C1in = C1.copy(), C2in = C2.copy();
          lam_f32_matmul_shared_a(ta, M, K, A.data(), tb1, N1, B1.data(), C1.data(), acc1, tb2, N2, B2.data(),
                                  C2.data(), acc2);
          for (int seg = 0; seg < 2; ++seg) {
            const int64_t N = seg ? N2 : N1;
            const int tbs = seg ? tb2 : tb1, accs = seg ? acc2 : acc1;
            const std::vector<float>& B = seg ? B2 : B1;
            const std::vector<float>& Cin = seg ? C2in : C1in;
            lt::Guarded& C = seg ? C2 : C1;
            for (int64_t i = 0; i < M; ++i)
              for (int64_t j = 0; j < N; ++j) {
                double v = accs ? (double)Cin[(size_t)(i * N + j)] : 0.0;
                for (int64_t k = 0; k < K; ++k)
                  v += (double)(ta ? A[(size_t)(k * M + i)] : A[(size_t)(i * K + k)]) *
                       (tbs ? B[(size_t)(j * K + k)] : B[(size_t)(k * N + j)]);
                et.add(C[i * N + j], v, 2e-6 * sqrt((double)K + 1) + 1e-6, 1e-5);
              }
            CHECK(C.guards_ok(), "shared_a %lldx(%lld+%lld)x%lld ta%d tb%d%d: guard of C%d", (long long)M,
                  (long long)N1, (long long)N2, (long long)K, ta, tb1, tb2, seg + 1);
            out[threads - 1][seg].assign(C.data(), C.data() + M * N);
          }
          CHECK(A == A0 && B1 == B10 && B2 == B20, "shared_a: inputs modified");
        }
        // Inputs of the two runs differ only in C's initial values for `+=`: compare `=` segments.
        for (int seg = 0; seg < 2; ++seg)
          if (!(seg ? acc2 : acc1))
            CHECK(out[0][seg] == out[1][seg], "shared_a %lldx(%lld+%lld)x%lld ta%d: C%d differs between 1 and 2 threads",
                  (long long)M, (long long)N1, (long long)N2, (long long)K, ta, seg + 1);
      }
  }
  lam_set_num_threads(0);
  et.report("shared A, 1 and 2 threads");
}

int main() {
  lt::Rng r(lt::seed());
  const char* isas[] = {"auto", "avx512", "avx2", "scalar"};
  const char* best = lam_isa_name();
  printf("matmul_test: best ISA %s, threads %d\n", best, lam_get_num_threads());
  test_vec_ukernel(r);
#if defined(__x86_64__)
  test_avx2_packers(r);
#endif
  const int64_t sizes[][3] = {{1, 1, 1},    {1, 17, 3},    {7, 1, 5},     {5, 13, 1},
                              {6, 16, 8},   {14, 32, 9},   {13, 31, 29},  {15, 33, 31},
                              {5, 15, 257}, {61, 67, 71},  {169, 47, 257}, {197, 33, 385},
                              {97, 4097, 3}, {300, 260, 520}, {7, 17, 300}, {13, 33, 100}, {1, 300, 200},
                              // skinny shapes of the unpacked AVX2 path (N % 8 == 0), incl. row edges
                              {512, 8, 64}, {64, 8, 512}, {8, 64, 512}, {512, 64, 8}, {37, 24, 301},
                              {13, 40, 7}, {100, 16, 700}, {16, 1000, 33}, {5, 16, 1}, {300, 8, 50}, {8, 264, 40}, {200, 32, 600},
                              // dot-product path (A·Bᵀ, long K, small output), tile edges
                              {32, 96, 1024}, {7, 5, 515}, {128, 128, 777},
                              // M ≤ 64, A·B: unpacked, column groups copied (ldb ≥ 256), threads over columns
                              {48, 512, 300},
                              // C ≥ 512Ki floats, K > 256: the AVX2 big-C blocking (MC 96, KC 512), two
                              // k blocks (512 + 8), row and column edges
                              {727, 725, 520},
                              // K ≤ 64: row-strip tile order (several MC blocks, row and column edges)
                              {61, 67, 50}, {727, 725, 64}};
  int cases = 0;
  for (const char* isa : isas) {
    lam_force_isa(strcmp(isa, "auto") ? isa : nullptr);
    // A forced ISA the CPU lacks falls back to the best one below it; skip the duplicate run.
    if (strcmp(isa, "auto") && strcmp(lam_isa_name(), isa)) {
      printf("  isa %-7s not available here (runs as %s), skipped\n", isa, lam_isa_name());
      continue;
    }
    for (int threads : {1, 0}) {
      lam_set_num_threads(threads);
      lt::ErrTracker et("matmul");
      for (auto& s : sizes)
        for (int ta = 0; ta < 2; ++ta)
          for (int tb = 0; tb < 2; ++tb)
            for (int acc = 0; acc < 2; ++acc) {
              char label[64];
              snprintf(label, sizeof label, "%s/t%d", lam_isa_name(), lam_get_num_threads());
              run_case(et, r, ta, tb, s[0], s[1], s[2], acc, label);
              ++cases;
            }
      char what[64];
      snprintf(what, sizeof what, "isa %s threads %d", lam_isa_name(), lam_get_num_threads());
      et.report(what);
    }
  }
  // Packed-path results must not depend on the thread count (each thread's block keeps the same
  // k blocking, chosen from the whole product): bit-identical C at 1 and 2 threads.
  lam_force_isa(nullptr);
  {
    const int64_t shapes[][3] = {{300, 260, 520}, {727, 725, 520}, {169, 47, 257}};
    for (auto& s : shapes)
      for (int ta = 0; ta < 2; ++ta)
        for (int tb = 0; tb < 2; ++tb) {
          const int64_t M = s[0], N = s[1], K = s[2];
          auto A = lt::randv(r, M * K), B = lt::randv(r, K * N), C0 = lt::randv(r, M * N);
          std::vector<float> C1 = C0, C2 = C0;
          lam_set_num_threads(1);
          lam_f32_matmul(ta, tb, M, N, K, A.data(), B.data(), C1.data(), 1);
          lam_set_num_threads(2);
          lam_f32_matmul(ta, tb, M, N, K, A.data(), B.data(), C2.data(), 1);
          CHECK(memcmp(C1.data(), C2.data(), C1.size() * sizeof(float)) == 0,
                "ta%d tb%d %lldx%lldx%lld: 1-thread and 2-thread results differ", ta, tb, (long long)M, (long long)N,
                (long long)K);
        }
    lam_set_num_threads(0);
  }
  test_shared_a(r);
  // K = 0: `=` must write zeros, `+=` must leave C alone.
  lam_force_isa(nullptr);
  {
    lt::Guarded C(12, r, true);
    lam_f32_matmul(0, 0, 3, 4, 0, nullptr, nullptr, C.data(), 0);
    for (int i = 0; i < 12; ++i) CHECK(C[i] == 0.0f, "K=0 `=` must zero C[%d]", i);
  }
  printf("matmul_test: %d cases, %d failures\n", cases, lt::failures());
  return lt::failures() != 0;
}
