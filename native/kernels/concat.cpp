// concat_part / split_part along channels: part [N, Cp, S] ↔ whole [N, Ct, S] at channel c0.
//   concat_part: whole[:, c0:c0+Cp, :] = part          (always `=`; other channels untouched)
//   split_part:  part (= | +=) whole[:, c0:c0+Cp, :]   (the gradient of concat)
// Each batch item moves one contiguous block of Cp·S floats. Bytes 8·N·Cp·S, no FLOPs.
// Test: native/tests/elementwise_test.cpp, test/kernels/concat.test.ts. Bench: lamkit bench kernels.
#include <lamkit/kernels.h>

#include <string.h>

#include "runtime/thread_pool.h"

extern "C" void lam_f32_concat_part(const float* part, float* whole, int64_t N, int64_t Cp,
                                    int64_t Ct, int64_t c0, int64_t S) {
  const int64_t blk = Cp * S;
  lamkit::parallel_for(N, 0.25 * (double)blk, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n)
      memcpy(whole + (n * Ct + c0) * S, part + n * blk, sizeof(float) * (size_t)blk);
  });
}

extern "C" void lam_f32_split_part(const float* whole, float* part, int64_t N, int64_t Cp,
                                   int64_t Ct, int64_t c0, int64_t S, int acc) {
  const int64_t blk = Cp * S;
  lamkit::parallel_for(N, 0.25 * (double)blk, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const float* src = whole + (n * Ct + c0) * S;
      float* dst = part + n * blk;
      if (acc) {
        for (int64_t i = 0; i < blk; ++i) dst[i] += src[i];
      } else {
        memcpy(dst, src, sizeof(float) * (size_t)blk);
      }
    }
  });
}
