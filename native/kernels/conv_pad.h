// Zero-padded copy of one image, shared by the direct convolution kernels: with the border
// materialised, their inner loops read every kernel tap without bounds checks.
//   xp[c][i][j] = x[c][i − top][j − left] inside the image, 0 elsewhere;  xp is C × HP × WP.
#ifndef LAMKIT_CONV_PAD_H
#define LAMKIT_CONV_PAD_H

#include <stdint.h>
#include <string.h>

namespace lamkit {

inline void pad_image(const float* x, int64_t C, int64_t H, int64_t W, int64_t top,
                      int64_t left, int64_t HP, int64_t WP, float* xp) {
  for (int64_t c = 0; c < C; ++c) {
    const float* xc = x + c * H * W;
    float* pc = xp + c * HP * WP;
    for (int64_t i = 0; i < HP; ++i) {
      float* row = pc + i * WP;
      const int64_t si = i - top;
      if (si < 0 || si >= H) {
        memset(row, 0, sizeof(float) * (size_t)WP);
        continue;
      }
      // Columns [0, left) and [left + W, WP) are border; clip when the padded width is smaller.
      const int64_t j0 = left < 0 ? 0 : (left > WP ? WP : left);
      const int64_t s0 = j0 - left;                          // first source column copied
      int64_t n = W - s0;
      if (n > WP - j0) n = WP - j0;
      if (n < 0) n = 0;
      memset(row, 0, sizeof(float) * (size_t)j0);
      memcpy(row + j0, xc + si * W + s0, sizeof(float) * (size_t)n);
      memset(row + j0 + n, 0, sizeof(float) * (size_t)(WP - j0 - n));
    }
  }
}

}  // namespace lamkit

#endif
