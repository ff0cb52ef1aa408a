// lam_f32_matmul vs a float64 triple loop: every ISA this CPU has (forced via lam_force_isa),
// transposes, `=` with NaN-poisoned C, `+=` with random C, sizes 1 / primes / tile ± 1 / beyond
// one cache block, 1 thread and the full pool. Guard zones and inputs are checked bit-exact.
#include <lamkit/kernels.h>

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

int main() {
  lt::Rng r(lt::seed());
  const char* isas[] = {"auto", "avx512", "avx2", "scalar"};
  const char* best = lam_isa_name();
  printf("matmul_test: best ISA %s, threads %d\n", best, lam_get_num_threads());
  test_vec_ukernel(r);
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
                              {48, 512, 300}};
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
