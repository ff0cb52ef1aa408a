// The AVX2+FMA register tile of the direct conv backward kernels (conv2d_grad_direct.h):
// 12 accumulators = np ≤ 6 broadcast scalars × 16 lanes (2 ymm). Per step: 2 loads of the
// packed 16-lane operand, np broadcasts, 2·np FMAs — enough independent FMAs to hide their
// 4-cycle latency on both pipes, and fewer loads than FMAs.
// Compiled with -mavx2 -mfma (file suffix); empty on other targets.
// Test: native/tests/conv2d_grad_direct_test.cpp.
#include "conv2d_grad_direct.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "transpose8_avx2.h"

namespace {

// Accumulators are named scalars, not arrays: GCC kept __m256 arrays on the stack and stored
// them back every step (measured 27 vs ~60 GFLOP/s).
#define LAM_ROW(J)                                                        \
  if (NP > J) {                                                           \
    const __m256 a = _mm256_broadcast_ss(p + o##J);                        \
    c##J##0 = _mm256_fmadd_ps(b0, a, c##J##0);                             \
    c##J##1 = _mm256_fmadd_ps(b1, a, c##J##1);                             \
  }

template <int NP>
void tile(const float* const* rows, int64_t nrows, int64_t ni, int64_t istride,
          const int64_t* off, const float* B, float* acc, int load) {
  const __m256 z = _mm256_setzero_ps();
  __m256 c00 = z, c01 = z, c10 = z, c11 = z, c20 = z, c21 = z, c30 = z, c31 = z, c40 = z,
         c41 = z, c50 = z, c51 = z;
  if (load) {
    // Rows j ≥ NP are never read or stored.
    if (NP > 0) c00 = _mm256_loadu_ps(acc), c01 = _mm256_loadu_ps(acc + 8);
    if (NP > 1) c10 = _mm256_loadu_ps(acc + 16), c11 = _mm256_loadu_ps(acc + 24);
    if (NP > 2) c20 = _mm256_loadu_ps(acc + 32), c21 = _mm256_loadu_ps(acc + 40);
    if (NP > 3) c30 = _mm256_loadu_ps(acc + 48), c31 = _mm256_loadu_ps(acc + 56);
    if (NP > 4) c40 = _mm256_loadu_ps(acc + 64), c41 = _mm256_loadu_ps(acc + 72);
    if (NP > 5) c50 = _mm256_loadu_ps(acc + 80), c51 = _mm256_loadu_ps(acc + 88);
  }
  const int64_t o0 = off[0], o1 = NP > 1 ? off[1] : 0, o2 = NP > 2 ? off[2] : 0,
                o3 = NP > 3 ? off[3] : 0, o4 = NP > 4 ? off[4] : 0, o5 = NP > 5 ? off[5] : 0;
  for (int64_t r = 0; r < nrows; ++r) {
    const float* p = rows[r];
    for (int64_t i = 0; i < ni; ++i, p += istride, B += 16) {
      const __m256 b0 = _mm256_loadu_ps(B), b1 = _mm256_loadu_ps(B + 8);
      LAM_ROW(0) LAM_ROW(1) LAM_ROW(2) LAM_ROW(3) LAM_ROW(4) LAM_ROW(5)
    }
  }
  if (NP > 0) _mm256_storeu_ps(acc, c00), _mm256_storeu_ps(acc + 8, c01);
  if (NP > 1) _mm256_storeu_ps(acc + 16, c10), _mm256_storeu_ps(acc + 24, c11);
  if (NP > 2) _mm256_storeu_ps(acc + 32, c20), _mm256_storeu_ps(acc + 40, c21);
  if (NP > 3) _mm256_storeu_ps(acc + 48, c30), _mm256_storeu_ps(acc + 56, c31);
  if (NP > 4) _mm256_storeu_ps(acc + 64, c40), _mm256_storeu_ps(acc + 72, c41);
  if (NP > 5) _mm256_storeu_ps(acc + 80, c50), _mm256_storeu_ps(acc + 88, c51);
}
#undef LAM_ROW

}  // namespace

namespace lamkit {

void conv_grad_tile_avx2(int np, const float* const* rows, int64_t nrows, int64_t ni,
                         int64_t istride, const int64_t* off, const float* B, float* acc,
                         int load) {
  switch (np) {
    case 1: tile<1>(rows, nrows, ni, istride, off, B, acc, load); break;
    case 2: tile<2>(rows, nrows, ni, istride, off, B, acc, load); break;
    case 3: tile<3>(rows, nrows, ni, istride, off, B, acc, load); break;
    case 4: tile<4>(rows, nrows, ni, istride, off, B, acc, load); break;
    case 5: tile<5>(rows, nrows, ni, istride, off, B, acc, load); break;
    default: tile<6>(rows, nrows, ni, istride, off, B, acc, load); break;
  }
}

void conv_grad_pack16_avx2(const float* s, int64_t ls, int64_t lanes, int64_t n, float* d,
                           int64_t ld) {
  const __m256 z = _mm256_setzero_ps();
  int64_t p = 0;
  for (; p + 8 <= n; p += 8) {
    for (int h = 0; h < 2; ++h) {
      __m256 r[8];
      for (int v = 0; v < 8; ++v)
        r[v] = h * 8 + v < lanes ? _mm256_loadu_ps(s + (h * 8 + v) * ls + p) : z;
      transpose8(r);
      float* o = d + p * ld + h * 8;
      for (int k = 0; k < 8; ++k) _mm256_storeu_ps(o + k * ld, r[k]);
    }
  }
  for (; p < n; ++p)
    for (int64_t v = 0; v < 16; ++v) d[p * ld + v] = v < lanes ? s[v * ls + p] : 0.0f;
}

void conv_grad_unpack16_avx2(const float* s, int64_t n, int64_t lanes, float* d, int64_t ld,
                             int acc) {
  int64_t p = 0;
  for (; p + 8 <= n; p += 8) {
    for (int h = 0; h < 2 && h * 8 < lanes; ++h) {
      __m256 r[8];
      for (int k = 0; k < 8; ++k) r[k] = _mm256_loadu_ps(s + (p + k) * 16 + h * 8);
      transpose8(r);
      for (int v = 0; v < 8 && h * 8 + v < lanes; ++v) {
        float* o = d + (h * 8 + v) * ld + p;
        _mm256_storeu_ps(o, acc ? _mm256_add_ps(_mm256_loadu_ps(o), r[v]) : r[v]);
      }
    }
  }
  for (; p < n; ++p)
    for (int64_t v = 0; v < lanes; ++v) d[v * ld + p] = (acc ? d[v * ld + p] : 0.0f) + s[p * 16 + v];
}

}  // namespace lamkit
#endif
