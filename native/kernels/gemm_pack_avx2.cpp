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

// r[t] ← (s[0·ld + t], …, s[7·ld + t]) for t < 8: 8 floats of each of `rows` rows (the rest
// zero), transposed so each register holds one k across the rows.
inline void load_transposed8(const float* s, int64_t ld, int rows, __m256* r) {
  for (int i = 0; i < 8; ++i) r[i] = i < rows ? _mm256_loadu_ps(s + i * ld) : _mm256_setzero_ps();
  lamkit::transpose8(r);
}

// One 8×8 group of the B-stored-N×K packer: columns 8h..8h+7 of the sliver, steps k..k+7.
inline void pack_b_group(const float* s, int64_t ldb, int cols, int h, int64_t k, float* d) {
  __m256 r[8];
  load_transposed8(s + 8 * h * ldb + k, ldb, cols - 8 * h, r);
  for (int t = 0; t < 8; ++t) _mm256_store_ps(d + (k + t) * 16 + 8 * h, r[t]);
}

// Packs a panel whose k-th row (s + k·ld) holds its `ext` values contiguously into W-wide
// slivers (kc steps of W floats; the edge sliver zero-padded): blocks of KB rows, each copied to
// every sliver in turn. Sliver by sliver re-reads each row once per sliver, and row by row
// writes ext/W sliver streams W·kc floats apart; with rows (or streams) a multiple of 4 KiB
// apart both put all their lines in one 8-way L1 set and thrash it.
template <int W, int KB>
void pack_rows(const float* s, int64_t ld, int64_t ext, int64_t kc, float* dst) {
  const int64_t full = ext / W, rest = ext - W * full;
  for (int64_t k0 = 0; k0 < kc; k0 += KB) {
    const int kb = kc - k0 < KB ? (int)(kc - k0) : KB;
    const float* sk = s + k0 * ld;
    float* d = dst + k0 * W;
    for (int64_t sv = 0; sv < full; ++sv)
      for (int k = 0; k < kb; ++k) {
        float* dd = d + sv * W * kc + k * W;
        const float* ss = sk + k * ld + sv * W;
        if constexpr (W % 8 == 0) {
          // 32-byte moves: memcpy of 64 bytes became four 16-byte ones (1M floats 0.26 → 0.36 ms cold)
          for (int i = 0; i < W; i += 8) _mm256_storeu_ps(dd + i, _mm256_loadu_ps(ss + i));
        } else {
          memcpy(dd, ss, W * sizeof(float));
        }
      }
    if (rest)
      for (int k = 0; k < kb; ++k)
        for (int i = 0; i < W; ++i) d[full * W * kc + k * W + i] = i < rest ? sk[k * ld + full * W + i] : 0.0f;
  }
}

}  // namespace

namespace lamkit {

void gemm_pack_a6_avx2(int ta, const float* A, int64_t lda, int64_t i0, int64_t p0, int64_t mc,
                       int64_t kc, float* dst) {
  if (ta) {
    // A stored K×M: 6 contiguous floats per k and sliver; 4-k blocks (sliver by sliver: 0.60,
    // k by k: 0.38, blocks: 0.17 ms per 1M floats at lda 1024).
    pack_rows<6, 4>(A + p0 * lda + i0, lda, mc, kc, dst);
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
      load_transposed8(s + k, lda, rows, r);
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
    // B row-major K×N: 16 contiguous floats per k and sliver; 8-k blocks (k by k: 0.20, blocks:
    // 0.12 ms per 1M floats at ldb 1024).
    pack_rows<16, 8>(B + p0 * ldb + j0, ldb, nc, kc, dst);
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
        for (int64_t kk = k; kk < k + 16; kk += 8) pack_b_group(s, ldb, cols, h, kk, d);
    for (; k + 8 <= kc; k += 8)
      for (int h = 0; h < 2; ++h) pack_b_group(s, ldb, cols, h, k, d);
    for (; k < kc; ++k)
      for (int c = 0; c < 16; ++c) d[k * 16 + c] = c < cols ? s[c * ldb + k] : 0.0f;
  }
}

}  // namespace lamkit

#endif
