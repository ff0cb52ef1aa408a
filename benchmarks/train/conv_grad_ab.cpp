// Kernel-level A/B of the conv backward kernels on conv64's layer shapes (k4 s2 p1):
// LAMKIT_CONV_GRAD_DIRECT=0 (im2col + SGEMM) against the default (the direct kernels where
// their rule takes them), alternating A B B A … in one process; best CPU time of each side,
// which on a loaded machine measures the work rather than the wait for a core.
// Build against the static core library of a cmake build (npm run build:native makes build/):
//   g++ -O2 -std=c++17 -Inative/include benchmarks/train/conv_grad_ab.cpp build/liblamkit_core.a -lpthread -o /tmp/conv_grad_ab
//   LAMKIT_THREADS=1 /tmp/conv_grad_ab [reps = 7] [filt | inp | all] [batch = 32]
// "filt" rows: conv2d_backward_filter of conv64's 8 convs and of its 4 transposed convs (as the
// conv from their output to their input: C = their OC, OC = their IC, H = their output size);
// "inp": conv2d_backward_input of convs 2–4 and conv_transpose2d's forward (the same kernel).
#include <lamkit/kernels.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <algorithm>
#include <vector>

static double cpu_ms() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

struct Shape {
  const char* kind;
  int64_t C, H, OC;  // x [N, C, H, H] → y [N, OC, H/2, H/2]
};

int main(int argc, char** argv) {
  const int reps = argc > 1 ? atoi(argv[1]) : 7;
  const char* only = argc > 2 ? argv[2] : "all";
  const int64_t N = argc > 3 ? atoll(argv[3]) : 32;
  if (reps < 1 || N < 1 || (strcmp(only, "all") && strcmp(only, "filt") && strcmp(only, "inp"))) {
    fprintf(stderr, "usage: conv_grad_ab [reps >= 1] [filt|inp|all] [batch >= 1], got reps %d, '%s', batch %lld\n",
            reps, only, (long long)N);
    return 2;
  }
  const Shape shapes[] = {
      {"filt", 6, 64, 32},   {"filt", 3, 64, 32},   {"filt", 32, 32, 64},  {"filt", 64, 16, 128},
      {"filt", 128, 8, 128}, {"filt", 128, 8, 128}, {"filt", 64, 16, 256}, {"filt", 32, 32, 128},
      {"filt", 3, 64, 64},   {"inp", 32, 32, 64},   {"inp", 64, 16, 128},  {"inp", 128, 8, 128},
      {"inp", 128, 8, 128},  {"inp", 64, 16, 256},  {"inp", 32, 32, 128},  {"inp", 3, 64, 64},
  };
  printf("conv_grad_ab: batch %lld, %d threads, best of %d per side\n", (long long)N, lam_get_num_threads(), reps);
  double total[2] = {0, 0};
  for (const Shape& s : shapes) {
    if (strcmp(only, "all") && strcmp(only, s.kind)) continue;
    const int64_t OH = s.H / 2, K = 4;
    std::vector<float> x((size_t)(N * s.C * s.H * s.H)), w((size_t)(s.OC * s.C * K * K)),
        dy((size_t)(N * s.OC * OH * OH));
    for (auto* v : {&x, &w, &dy})
      for (float& e : *v) e = (float)rand() / (float)RAND_MAX - 0.5f;
    double best[2] = {1e30, 1e30};
    for (int r = 0; r < 2 * reps; ++r) {
      const int side = (r + r / 2) % 2;  // A B B A A B …
      if (side == 0) setenv("LAMKIT_CONV_GRAD_DIRECT", "0", 1);
      else unsetenv("LAMKIT_CONV_GRAD_DIRECT");
      const double t0 = cpu_ms();
      if (s.kind[0] == 'f')
        lam_f32_conv2d_backward_filter(x.data(), dy.data(), w.data(), N, s.C, s.H, s.H, s.OC, K, K, 2, 2, 1, 1, 1, 1, OH, OH, 0);
      else
        lam_f32_conv2d_backward_input(dy.data(), w.data(), x.data(), N, s.C, s.H, s.H, s.OC, K, K, 2, 2, 1, 1, 1, 1, OH, OH, 0);
      best[side] = std::min(best[side], cpu_ms() - t0);
    }
    const double gflop = 2.0 * (double)N * s.OC * s.C * K * K * OH * OH / 1e9;
    printf("%-4s C%4lld H%3lld OC%4lld  im2col %7.2f ms (%5.1f GFLOP/s)  direct %7.2f ms (%5.1f GFLOP/s)  B/A %.2f\n",
           s.kind, (long long)s.C, (long long)s.H, (long long)s.OC, best[0], gflop / best[0] * 1e3, best[1],
           gflop / best[1] * 1e3, best[1] / best[0]);
    total[0] += best[0];
    total[1] += best[1];
  }
  printf("total im2col %.1f ms, direct %.1f ms (B/A %.3f)\n", total[0], total[1], total[1] / total[0]);
  return 0;
}
