/* OpenBLAS SGEMM anchor for `lamkit bench kernels` (compiled on the fly: cc -O3 openblas_gemm.c
 * -lopenblas). Usage: openblas_gemm M N K samples  (threads via OPENBLAS_NUM_THREADS).
 * C = A·B, row-major, like lam_f32_matmul(0, 0, …, acc = 0). Prints one JSON line:
 * {"times":[…],"cpu_times":[…],"median_ms":…,"p90_ms":…,"samples":n,"checksum":…} (wall and
 * process CPU ms per call, in sample order). */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static double cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s M N K samples\n", argv[0]);
    return 2;
  }
  const int M = atoi(argv[1]), N = atoi(argv[2]), K = atoi(argv[3]), S = atoi(argv[4]);
  float* A = malloc(sizeof(float) * (size_t)M * K);
  float* B = malloc(sizeof(float) * (size_t)K * N);
  float* C = malloc(sizeof(float) * (size_t)M * N);
  double* t = malloc(sizeof(double) * (size_t)S);
  double* ct = malloc(sizeof(double) * (size_t)S);
  unsigned s = 12345;
  for (size_t i = 0; i < (size_t)M * K; ++i) A[i] = (float)((s = s * 1103515245u + 12345u) >> 16) / 65536.0f - 0.5f;
  for (size_t i = 0; i < (size_t)K * N; ++i) B[i] = (float)((s = s * 1103515245u + 12345u) >> 16) / 65536.0f - 0.5f;
  for (int w = 0; w < 2; ++w)
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
  for (int i = 0; i < S; ++i) {
    double c0 = cpu_ms(), t0 = now_ms();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, M, N, K, 1.0f, A, K, B, N, 0.0f, C, N);
    t[i] = now_ms() - t0;
    ct[i] = cpu_ms() - c0;
  }
  double cs = 0;
  for (size_t i = 0; i < (size_t)M * N; i += 97) cs += C[i];
  printf("{\"times\":[");
  for (int i = 0; i < S; ++i) printf("%s%.6f", i ? "," : "", t[i]);
  printf("],\"cpu_times\":[");
  for (int i = 0; i < S; ++i) printf("%s%.6f", i ? "," : "", ct[i]);
  qsort(t, (size_t)S, sizeof(double), cmp);
  printf("],\"median_ms\":%.6f,\"p90_ms\":%.6f,\"samples\":%d,\"checksum\":%.6g}\n", t[S / 2],
         t[(int)(S * 0.9) < S ? (int)(S * 0.9) : S - 1], S, cs);
  return 0;
}
