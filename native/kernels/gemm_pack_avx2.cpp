// AVX2 packing for the 6x16 SGEMM micro-kernel (layouts and contract: gemm_pack.h).
// Transposing cases (row-major A, B stored N×K) load 8 k of 8 rows and transpose in registers;
// the others are straight vector copies. Edge slivers use the same code with zero rows, and
// k % 8 leftovers a scalar loop. Packing only moves values, so results are bit-identical to the
// generic packers'. Compiled with -mavx2 -mfma (file suffix); empty on non-x86-64 targets.
#include "gemm_pack.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#include "transpose8_avx2.h"

namespace {

// Stores lanes 0..5 of x (the last k of an 8-k group, whose 8-wide store would run 2 floats
// past the sliver). memcpy: the 8-byte half has no alignment to promise.
inline void store6(float* p, __m256 x) {
  _mm_storeu_ps(p, _mm256_castps256_ps128(x));
  const double hi = _mm_cvtsd_f64(_mm_castps_pd(_mm256_extractf128_ps(x, 1)));
  memcpy(p + 4, &hi, sizeof hi);
}

}  // namespace

namespace lamkit {

void gemm_pack_a6_avx2(int ta, const float* A, int64_t lda, int64_t i0, int64_t p0, int64_t mc,
                       int64_t kc, float* dst) {
  if (ta) {
    // A stored K×M: 6 contiguous floats per k and sliver. Blocks of 4 k, each copied to every
    // sliver in turn: sliver by sliver re-read each row once per sliver (rows 4 KiB apart share
    // one L1 set), and k by k wrote 28 sliver streams that alias the same way (1024³: 0.60 and
    // 0.38 ms per 1M floats vs 0.17 ms).
    const int64_t full = mc / 6, rest = mc - 6 * full;
    const float* s = A + p0 * lda + i0;
    for (int64_t k0 = 0; k0 < kc; k0 += 4) {
      const int kb = kc - k0 < 4 ? (int)(kc - k0) : 4;
      const float* sk = s + k0 * lda;
      float* d = dst + k0 * 6;
      for (int64_t sv = 0; sv < full; ++sv)
        for (int k = 0; k < kb; ++k) memcpy(d + sv * 6 * kc + k * 6, sk + k * lda + sv * 6, 6 * sizeof(float));
      if (rest)  // the edge sliver, zero-padded
        for (int k = 0; k < kb; ++k)
          for (int i = 0; i < 6; ++i) d[full * 6 * kc + k * 6 + i] = i < rest ? sk[k * lda + full * 6 + i] : 0.0f;
    }
    return;
  }
  // A row-major: 6 row streams (sliver by sliver, 8 k per 8×8 transpose; a sliver's 6 rows fit
  // one L1 set's 8 ways, so each row's line serves both 8-k halves).
  for (int64_t is = 0; is < mc; is += 6) {
    const int rows = mc - is < 6 ? (int)(mc - is) : 6;
    float* d = dst + is * kc;
    const float* s = A + (i0 + is) * lda + p0;
    int64_t k = 0;
    for (; k + 8 <= kc; k += 8) {
      __m256 r[8];
      for (int i = 0; i < 8; ++i) r[i] = i < rows ? _mm256_loadu_ps(s + i * lda + k) : _mm256_setzero_ps();
      transpose8(r);
      // r[t] holds rows 0..7 at k + t; each 8-wide store spills 2 lanes into the next k's
      // slot, which the next store overwrites, so they must stay in this order.
      float* dk = d + k * 6;
      for (int t = 0; t < 7; ++t) _mm256_storeu_ps(dk + 6 * t, r[t]);
      store6(dk + 42, r[7]);
    }
    for (; k < kc; ++k)
      for (int i = 0; i < 6; ++i) d[k * 6 + i] = i < rows ? s[i * lda + k] : 0.0f;
  }
}

void gemm_pack_b16_avx2(int tb, const float* B, int64_t ldb, int64_t p0, int64_t j0, int64_t kc,
                        int64_t nc, float* dst) {
  if (!tb) {
    // B row-major K×N: 16 contiguous floats per k and sliver, in blocks of 8 k copied to every
    // sliver in turn (k by k wrote nc/16 streams 16·kc floats apart, which alias in L1:
    // 0.20 vs 0.12 ms per 1M floats at 1024³).
    const int64_t full = nc / 16, rest = nc - 16 * full;
    const float* s = B + p0 * ldb + j0;
    for (int64_t k0 = 0; k0 < kc; k0 += 8) {
      const int kb = kc - k0 < 8 ? (int)(kc - k0) : 8;
      const float* sk = s + k0 * ldb;
      float* d = dst + k0 * 16;
      for (int64_t sv = 0; sv < full; ++sv)
        for (int k = 0; k < kb; ++k) {
          _mm256_store_ps(d + sv * 16 * kc + k * 16, _mm256_loadu_ps(sk + k * ldb + sv * 16));
          _mm256_store_ps(d + sv * 16 * kc + k * 16 + 8, _mm256_loadu_ps(sk + k * ldb + sv * 16 + 8));
        }
      if (rest)  // the edge sliver, zero-padded
        for (int k = 0; k < kb; ++k)
          for (int c = 0; c < 16; ++c) d[full * 16 * kc + k * 16 + c] = c < rest ? sk[k * ldb + full * 16 + c] : 0.0f;
    }
    return;
  }
  // B stored N×K: 16 rows of B are 16 columns of op(B); two 8×8 transposes per 8 k.
  for (int64_t js = 0; js < nc; js += 16) {
    const int cols = nc - js < 16 ? (int)(nc - js) : 16;
    float* d = dst + js * kc;
    const float* s = B + (j0 + js) * ldb + p0;
    int64_t k = 0;
    // 16 k per row group: both halves of each row's cache line are used while it is in L1 (rows
    // a multiple of 4 KiB apart share one 8-way L1 set, so 16 rows at once would evict them).
    for (; k + 16 <= kc; k += 16)
      for (int h = 0; h < 2; ++h)
        for (int64_t kk = k; kk < k + 16; kk += 8) {
          __m256 r[8];
          for (int i = 0; i < 8; ++i)
            r[i] = 8 * h + i < cols ? _mm256_loadu_ps(s + (8 * h + i) * ldb + kk) : _mm256_setzero_ps();
          transpose8(r);
          for (int t = 0; t < 8; ++t) _mm256_store_ps(d + (kk + t) * 16 + 8 * h, r[t]);
        }
    for (; k + 8 <= kc; k += 8)
      for (int h = 0; h < 2; ++h) {
        __m256 r[8];
        for (int i = 0; i < 8; ++i)
          r[i] = 8 * h + i < cols ? _mm256_loadu_ps(s + (8 * h + i) * ldb + k) : _mm256_setzero_ps();
        transpose8(r);
        for (int t = 0; t < 8; ++t) _mm256_store_ps(d + (k + t) * 16 + 8 * h, r[t]);
      }
    for (; k < kc; ++k)
      for (int c = 0; c < 16; ++c) d[k * 16 + c] = c < cols ? s[c * ldb + k] : 0.0f;
  }
}

}  // namespace lamkit

#endif
