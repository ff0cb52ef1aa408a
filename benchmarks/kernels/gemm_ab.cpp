// Same-process SGEMM A/B: lamkit::sgemm (this tree) against OpenBLAS and, optionally, a frozen
// copy of an earlier lamkit SGEMM driver (benchmarks/kernels/gemm_ab.sh builds it from a git
// commit with its symbols renamed *_old). Rounds alternate the contenders call by call; each
// reports its best time, which on a shared machine measures the work rather than the wait.
// 1 thread: best thread CPU time; 2+ threads: best wall time (CPU time would sum the threads).
// Build and run: benchmarks/kernels/gemm_ab.sh [old-commit] -- [args below]
//   gemm_ab [threads = 1] [rounds = 15] [shape …]   shape = ta,tb,M,N,K[,acc] (default: the 1024³
//   NN, NT, TN products; linear-1k's pred is NT, pred_dB is TN; "linear-1k" adds all of that
//   preset's step matmuls)
// GEMM_AB_COLD=1 sweeps a 64 MiB buffer before each call (untimed), so operands and C come from
// DRAM as in a training step whose arena exceeds the L3, instead of staying cache-warm.
// Checks every contender against OpenBLAS (max |Δ| relative to max |C|) before timing.
#include <cblas.h>
#include <lamkit/kernels.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <vector>

#include "kernels/gemm.h"

#if defined(LAMKIT_AB_OLD)
namespace lamkit {
void sgemm_old(int ta, int tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
               const float* B, int64_t ldb, float* C, int64_t ldc, int acc, int max_threads);
}
#endif

extern "C" void openblas_set_num_threads(int);

namespace {

double now_ms(clockid_t id) {
  timespec t;
  clock_gettime(id, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

struct Shape {
  int ta, tb;
  int64_t M, N, K;
  int acc;
};

typedef void (*GemmFn)(const Shape&, const float*, const float*, float*);

void run_lamkit(const Shape& s, const float* A, const float* B, float* C) {
  lamkit::sgemm(s.ta, s.tb, s.M, s.N, s.K, A, s.ta ? s.M : s.K, B, s.tb ? s.K : s.N, C, s.N, s.acc, 1 << 30);
}
#if defined(LAMKIT_AB_OLD)
void run_old(const Shape& s, const float* A, const float* B, float* C) {
  lamkit::sgemm_old(s.ta, s.tb, s.M, s.N, s.K, A, s.ta ? s.M : s.K, B, s.tb ? s.K : s.N, C, s.N, s.acc, 1 << 30);
}
#endif
void run_openblas(const Shape& s, const float* A, const float* B, float* C) {
  cblas_sgemm(CblasRowMajor, s.ta ? CblasTrans : CblasNoTrans, s.tb ? CblasTrans : CblasNoTrans, (int)s.M,
              (int)s.N, (int)s.K, 1.0f, A, (int)(s.ta ? s.M : s.K), B, (int)(s.tb ? s.K : s.N), s.acc ? 1.0f : 0.0f, C,
              (int)s.N);
}

struct Contender {
  const char* name;
  GemmFn fn;
};

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? atoi(argv[1]) : 1;
  const int rounds = argc > 2 ? atoi(argv[2]) : 15;
  if (threads < 1 || rounds < 1) {
    fprintf(stderr, "usage: gemm_ab [threads >= 1] [rounds >= 1] [ta,tb,M,N,K …], got threads %d, rounds %d\n",
            threads, rounds);
    return 2;
  }
  std::vector<Shape> shapes;
  for (int i = 3; i < argc; ++i) {
    if (!strcmp(argv[i], "linear-1k")) {
      // linear-1k's training-step matmuls (tape words ta tb M N K, acc), in tape order:
      // z, z_acc1, pred, pred_acc1, pred_acc1_dA, pred_acc1_dB, pred_dB, z_dB (= z_acc1_dB).
      shapes.insert(shapes.end(), {{0, 1, 1024, 32, 1024, 0}, {0, 1, 1024, 32, 1024, 1}, {0, 1, 1024, 1024, 1024, 0},
                                   {0, 1, 1024, 1024, 32, 1}, {0, 0, 1024, 32, 1024, 0}, {1, 0, 1024, 32, 1024, 0},
                                   {1, 0, 1024, 1024, 1024, 0}, {1, 0, 32, 1024, 1024, 0}});
      continue;
    }
    Shape s;
    long long m, n, k;
    s.acc = 0;
    const int got = sscanf(argv[i], "%d,%d,%lld,%lld,%lld,%d", &s.ta, &s.tb, &m, &n, &k, &s.acc);
    if (got < 5 || m < 1 || n < 1 || k < 1) {
      fprintf(stderr, "gemm_ab: shape '%s' is not ta,tb,M,N,K[,acc] with M, N, K >= 1\n", argv[i]);
      return 2;
    }
    s.M = m, s.N = n, s.K = k;
    shapes.push_back(s);
  }
  if (shapes.empty()) shapes = {{0, 0, 1024, 1024, 1024, 0}, {0, 1, 1024, 1024, 1024, 0}, {1, 0, 1024, 1024, 1024, 0}};
  lam_set_num_threads(threads);
  openblas_set_num_threads(threads);
  const clockid_t clk = threads == 1 ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC;
  const char* cold_env = getenv("GEMM_AB_COLD");
  const bool cold = cold_env && !strcmp(cold_env, "1");
  std::vector<float> sweep(cold ? (size_t)16 << 20 : 0);
  std::vector<Contender> cs = {{"lamkit", run_lamkit}};
#if defined(LAMKIT_AB_OLD)
  cs.push_back({"lamkit-old", run_old});
#endif
  cs.push_back({"openblas", run_openblas});
  printf("# gemm_ab: %d thread%s, %d rounds, best %s ms per call%s; isa %s\n", threads, threads > 1 ? "s" : "",
         rounds, threads == 1 ? "thread-CPU" : "wall", cold ? ", caches swept before each call" : "", lam_isa_name());
  for (const Shape& s : shapes) {
    std::vector<float> A((size_t)(s.M * s.K)), B((size_t)(s.K * s.N)), ref((size_t)(s.M * s.N)),
        C((size_t)(s.M * s.N));
    unsigned r = 12345;
    for (float& x : A) x = (float)((r = r * 1103515245u + 12345u) >> 16) / 65536.0f - 0.5f;
    for (float& x : B) x = (float)((r = r * 1103515245u + 12345u) >> 16) / 65536.0f - 0.5f;
    // acc = 1 adds to C = 1 everywhere (each timed call keeps adding: harmless for timing).
    std::fill(ref.begin(), ref.end(), 1.0f);
    run_openblas(s, A.data(), B.data(), ref.data());
    double cmax = 0;
    for (float x : ref) cmax = fmax(cmax, fabs(x));
    for (const Contender& c : cs) {
      std::fill(C.begin(), C.end(), s.acc ? 1.0f : NAN);
      c.fn(s, A.data(), B.data(), C.data());
      double err = 0;
      for (size_t i = 0; i < C.size(); ++i) err = fmax(err, fabs((double)C[i] - ref[i]));
      if (!(err <= 1e-4 * cmax)) {
        fprintf(stderr, "gemm_ab: %s ta%d tb%d %lldx%lldx%lld differs from OpenBLAS: max |Δ| %g (max |C| %g)\n",
                c.name, s.ta, s.tb, (long long)s.M, (long long)s.N, (long long)s.K, err, cmax);
        return 1;
      }
    }
    std::vector<double> best(cs.size(), 1e300);
    for (int i = 0; i < rounds; ++i)
      for (size_t j = 0; j < cs.size(); ++j) {
        // Alternate the order each round so neither side always runs on a warmer cache.
        const size_t k = i % 2 ? cs.size() - 1 - j : j;
        for (size_t x = 0; x < sweep.size(); x += 16) sweep[x] += 1.0f;
        const double t0 = now_ms(clk);
        cs[k].fn(s, A.data(), B.data(), C.data());
        best[k] = std::min(best[k], now_ms(clk) - t0);
      }
    const double gflop = 2e-9 * (double)s.M * (double)s.N * (double)s.K;
    const double ob = best[cs.size() - 1];
    printf("ta%d tb%d %lldx%lldx%lld%s:", s.ta, s.tb, (long long)s.M, (long long)s.N, (long long)s.K, s.acc ? " +=" : "");
    for (size_t j = 0; j < cs.size(); ++j)
      printf("  %s %.3f ms %.1f GFLOP/s (%.3f× openblas)", cs[j].name, best[j], gflop / (best[j] * 1e-3),
             ob / best[j]);
    printf("\n");
  }
  return 0;
}
