/* Register-only fp32 FMA loop: the CPU's practical peak for `lamkit bench kernels` (% of peak).
 * Compiled on the fly with cc -O3 -march=native -pthread. Usage: fma_peak threads.
 * Each thread runs 12 independent vector FMA chains (enough to cover latency × 2 ports) on the
 * widest vectors the compiler enables (AVX-512 → 16 lanes, AVX2 → 8, else 4).
 * Prints {"gflops":…,"threads":n,"lanes":L}. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#if defined(__AVX512F__)
#define LANES 16
#elif defined(__AVX2__) || defined(__AVX__)
#define LANES 8
#else
#define LANES 4
#endif
typedef float vf __attribute__((vector_size(LANES * 4)));

#define CHAINS 12
static const long ITERS = 20000000;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void* work(void* arg) {
  vf a, b, c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11;
  for (int l = 0; l < LANES; ++l) {
    a[l] = 0.999999f;
    b[l] = 1e-7f;
  }
  c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = c8 = c9 = c10 = c11 = a;
  for (long i = 0; i < ITERS; ++i) {
    /* 12 independent chains, contracted to FMAs; the asm keeps them in registers. */
    c0 = c0 * a + b; c1 = c1 * a + b; c2 = c2 * a + b; c3 = c3 * a + b;
    c4 = c4 * a + b; c5 = c5 * a + b; c6 = c6 * a + b; c7 = c7 * a + b;
    c8 = c8 * a + b; c9 = c9 * a + b; c10 = c10 * a + b; c11 = c11 * a + b;
    __asm__ volatile("" : "+x"(c0), "+x"(c1), "+x"(c2), "+x"(c3), "+x"(c4), "+x"(c5));
    __asm__ volatile("" : "+x"(c6), "+x"(c7), "+x"(c8), "+x"(c9), "+x"(c10), "+x"(c11));
  }
  vf s = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11;
  *(float*)arg = s[0];
  return NULL;
}

int main(int argc, char** argv) {
  int nt = argc > 1 ? atoi(argv[1]) : 1;
  if (nt < 1) nt = 1;
  pthread_t th[256];
  float sink[256];
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    double t0 = now_s();
    for (int i = 0; i < nt; ++i) pthread_create(&th[i], NULL, work, &sink[i]);
    for (int i = 0; i < nt; ++i) pthread_join(th[i], NULL);
    double dt = now_s() - t0;
    double g = 2.0 * LANES * CHAINS * (double)ITERS * nt / dt * 1e-9;
    if (g > best) best = g;
  }
  printf("{\"gflops\":%.3f,\"threads\":%d,\"lanes\":%d,\"sink\":%g}\n", best, nt, LANES, sink[0]);
  return 0;
}
