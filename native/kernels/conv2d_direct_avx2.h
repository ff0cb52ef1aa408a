// Helpers shared by the two AVX2 direct conv2d forward kernels (conv2d_direct_avx2.cpp,
// conv2d_direct_px_avx2.cpp). Include only from *_avx2.cpp files (compiled with -mavx2 -mfma).
#ifndef LAMKIT_CONV2D_DIRECT_AVX2_H
#define LAMKIT_CONV2D_DIRECT_AVX2_H

#include <immintrin.h>
#include <stdint.h>

#include <vector>

#include "conv2d_direct.h"

namespace lamkit {

// Grow-only per-thread buffer (no allocation, page faults or zeroing per call), 64-byte aligned
// so every packed weight row is one cache line.
inline float* conv_scratch(std::vector<float>& v, int64_t n) {
  if ((int64_t)v.size() < n + 16) v.resize((size_t)(n + 16));
  const uintptr_t a = (uintptr_t)v.data();
  return (float*)((a + 63) & ~(uintptr_t)63);
}

// The epilogue's activation on 8 lanes.
inline __m256 conv_act(__m256 v, const ConvEpilogue& ep) {
  if (ep.act == kConvActRelu) return _mm256_max_ps(_mm256_setzero_ps(), v);  // NaN stays
  if (ep.act == kConvActLeakyRelu) {
    const __m256 neg = _mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_LT_OQ);
    return _mm256_blendv_ps(v, _mm256_mul_ps(v, _mm256_set1_ps(ep.slope)), neg);
  }
  return v;
}

}  // namespace lamkit

#endif
