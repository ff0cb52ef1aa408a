// Vector quantisation: vq_nearest, gather_rows, scatter_add_rows.
//   vq_nearest:       idx[n] = argmin_k ‖z_n − c_k‖²   (z [N,D], codebook [K,D], idx int32;
//                     lowest k wins ties; a NaN distance never wins, all-NaN gives 0)
//   gather_rows:      out[n,:] = table[idx[n],:]                                   (`=`)
//   scatter_add_rows: table[idx[n],:] += src[n,:]                                  (`+=`)
// Distances are computed directly as Σ_d (z−c)² in float64 rather than via ‖z‖²−2z·c+‖c‖²:
// that expansion cancels badly and could pick a different code than the reference.
// FLOPs 3NKD (nearest); bytes 4(ND + KD) + 4N.
// Test: native/tests/vq_test.cpp, test/kernels/vq_nearest.test.ts. Bench: lamkit bench kernels.
#include <lamkit/kernels.h>

#include <string.h>

#include "runtime/thread_pool.h"

extern "C" void lam_f32_vq_nearest(const float* z, const float* codebook, int32_t* idx, int64_t N,
                                   int64_t K, int64_t D) {
  lamkit::parallel_for(N, 3.0 * (double)(K * D), [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const float* zn = z + n * D;
      double best = 0.0;
      int32_t bi = -1;
      for (int64_t k = 0; k < K; ++k) {
        const float* c = codebook + k * D;
        double s = 0.0;
        for (int64_t d = 0; d < D; ++d) {
          double e = (double)zn[d] - (double)c[d];
          s += e * e;
        }
        if (bi < 0 ? s == s : s < best) {
          best = s;
          bi = (int32_t)k;
        }
      }
      idx[n] = bi < 0 ? 0 : bi;
    }
  });
}

extern "C" void lam_f32_gather_rows(const float* table, const int32_t* idx, float* out, int64_t N,
                                    int64_t D) {
  lamkit::parallel_for(N, 0.25 * (double)D, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n)
      memcpy(out + n * D, table + (int64_t)idx[n] * D, sizeof(float) * (size_t)D);
  });
}

extern "C" void lam_f32_scatter_add_rows(const float* src, const int32_t* idx, float* table,
                                         int64_t N, int64_t D) {
  // Rows may repeat, so split over columns (disjoint writes) rather than over n; serial over n
  // keeps the summation order equal to the reference's.
  lamkit::parallel_for(D, (double)N, [&](int64_t d0, int64_t d1) {
    for (int64_t n = 0; n < N; ++n) {
      float* t = table + (int64_t)idx[n] * D;
      const float* s = src + n * D;
      for (int64_t d = d0; d < d1; ++d) t[d] += s[d];
    }
  });
}
