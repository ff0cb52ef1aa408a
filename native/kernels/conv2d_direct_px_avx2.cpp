// lamkit::conv2d_direct_px_avx2 — direct conv2d forward for few kernel taps (conv2d_direct.h),
// AVX2+FMA, vectorised over output pixels instead of output channels.
// Why: with C·KH·KW ≤ ~128 taps (conv64's first layers: 3 or 6 input channels, 48 or 96 taps)
// the channel-vector kernel (conv2d_direct_avx2.cpp) spends a large share of each tile in its
// epilogue (two 8×8 transposes to get channel rows back into NCHW), and im2col + SGEMM writes
// and reads a column matrix 16× the image. Here a register tile is 3 output channels × 4
// vectors of 8 consecutive output pixels (12 accumulators): per tap 3 weight broadcasts, 4
// loads, 12 FMAs, and the results are already NCHW rows (bias, activation, stores; no shuffles).
// Input layout: each image is zero-padded and split into sw column phases,
//   xq[c][φ][i][j] = xpad[c][i][j·sw + φ],
// so the 8 pixels of a vector (same output row, consecutive ow) read 8 consecutive floats for
// every tap: tap (c, kh, kw) is at phase (kw·dw) mod sw, row oh·sh + kh·dh, column
// ow + (kw·dw) div sw. Needs OW % 8 == 0 (a vector never straddles output rows).
// Threads take whole images (an atomic counter, as in conv2d_direct_avx2.cpp); with fewer images
// than threads, chunks of (image, tile) units. Every output is summed over the taps in order by
// one thread, so results do not depend on the thread count.
// Compiled with -mavx2 -mfma (file suffix); empty on other targets.
// Test: native/tests/conv2d_direct_test.cpp.
#include "conv2d_direct.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "conv2d_direct_avx2.h"
#include "runtime/thread_pool.h"

namespace {

using lamkit::conv_act;
using lamkit::conv_scratch;
using lamkit::ConvEpilogue;
using lamkit::ConvGeom;

const int kOC = 3;  // output channels per register tile
const int kV = 4;   // vectors of 8 pixels per register tile

struct Job {
  const int32_t* koff;  // [CKK] tap offsets in the phase-split image
  const float* wq;      // [OC/3][CKK][3] weights (0 past OC)
  const float* bias;    // [OC + 1] zero-padded, or null
  int64_t CKK, OC, OHW;
  const ConvEpilogue* ep;
  int acc;
};

// NV vectors at flat output pixels p_v (base pointers b[v] into the image) × channels
// [oc0, oc0 + 3) ∩ [0, OC) of image y (yn = &y[n][0][0]).
template <int NV>
void tile(const Job& j, const float* const* base, const int64_t* pix, int64_t oc0, float* yn) {
  __m256 a0[NV], a1[NV], a2[NV];
  const float* b[NV];
#pragma GCC unroll 4
  for (int v = 0; v < NV; ++v) {
    a0[v] = _mm256_setzero_ps();
    a1[v] = _mm256_setzero_ps();
    a2[v] = _mm256_setzero_ps();
    b[v] = base[v];
    asm("" : "+r"(b[v]));  // keep b[v] + o one addressing mode (see conv2d_direct_avx2.cpp)
  }
  const float* w = j.wq + oc0 * j.CKK;
  const int32_t* ko = j.koff;
  for (int64_t k = 0; k < j.CKK; ++k, w += kOC) {
    const __m256 w0 = _mm256_broadcast_ss(w), w1 = _mm256_broadcast_ss(w + 1),
                 w2 = _mm256_broadcast_ss(w + 2);
    const int64_t o = ko[k];
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      __m256 xv = _mm256_loadu_ps(b[v] + o);
      // One load per vector: otherwise GCC folds it into both FMAs as a memory operand (12
      // unaligned loads per tap instead of 6; the loop was load-bound at ~53 GFLOP/s).
      asm("" : "+x"(xv));
      a0[v] = _mm256_fmadd_ps(w0, xv, a0[v]);
      a1[v] = _mm256_fmadd_ps(w1, xv, a1[v]);
      a2[v] = _mm256_fmadd_ps(w2, xv, a2[v]);
    }
  }
  const ConvEpilogue& ep = *j.ep;
  for (int r = 0; r < kOC && oc0 + r < j.OC; ++r) {
    float* yr = yn + (oc0 + r) * j.OHW;
    const __m256 bv = j.bias ? _mm256_set1_ps(j.bias[oc0 + r]) : _mm256_setzero_ps();
#pragma GCC unroll 4
    for (int v = 0; v < NV; ++v) {
      __m256 s = _mm256_add_ps(r == 0 ? a0[v] : r == 1 ? a1[v] : a2[v], bv);
      if (j.acc) s = _mm256_add_ps(s, _mm256_loadu_ps(yr + pix[v]));
      _mm256_storeu_ps(yr + pix[v], conv_act(s, ep));
    }
  }
}

typedef void (*tile_fn)(const Job&, const float* const*, const int64_t*, int64_t, float*);
const tile_fn kTiles[kV + 1] = {nullptr, tile<1>, tile<2>, tile<3>, tile<4>};

// xq = image x (C × H × W) zero-padded to HP × WP and split into sw column phases of width WQ.
// Each row is padded into tmp (WQ·sw floats, zeros past WP), then split with stride-sw loops.
void phase_pad(const float* x, const ConvGeom& g, int64_t HP, int64_t WP, int64_t WQ, float* tmp,
               float* xq) {
  const int64_t sw = g.sw, plane = HP * WQ, TW = WQ * sw;
  const int64_t j0 = std::min(g.pw, WP), ncol = std::max<int64_t>(0, std::min(g.W, WP - j0));
  for (int64_t c = 0; c < g.C; ++c) {
    const float* xc = x + c * g.H * g.W;
    float* qc = xq + c * sw * plane;
    for (int64_t i = 0; i < HP; ++i) {
      const int64_t si = i - g.ph;
      if (si < 0 || si >= g.H) {
        for (int64_t f = 0; f < sw; ++f) {
          float* __restrict row = qc + f * plane + i * WQ;
          for (int64_t jj = 0; jj < WQ; ++jj) row[jj] = 0.0f;
        }
        continue;
      }
      const float* __restrict src = xc + si * g.W;
      float* __restrict t = tmp;
      for (int64_t jj = 0; jj < j0; ++jj) t[jj] = 0.0f;
      for (int64_t jj = 0; jj < ncol; ++jj) t[j0 + jj] = src[jj];
      for (int64_t jj = j0 + ncol; jj < TW; ++jj) t[jj] = 0.0f;
      if (sw == 1) {
        float* __restrict row = qc + i * WQ;
        for (int64_t jj = 0; jj < WQ; ++jj) row[jj] = t[jj];
      } else if (sw == 2) {
        float* __restrict r0 = qc + i * WQ;
        float* __restrict r1 = qc + plane + i * WQ;
        for (int64_t jj = 0; jj < WQ; ++jj) r0[jj] = t[2 * jj], r1[jj] = t[2 * jj + 1];
      } else {
        for (int64_t f = 0; f < sw; ++f) {
          float* __restrict row = qc + f * plane + i * WQ;
          for (int64_t jj = 0; jj < WQ; ++jj) row[jj] = t[jj * sw + f];
        }
      }
    }
  }
}

}  // namespace

namespace lamkit {

bool conv2d_direct_px_avx2(const float* x, const float* w, float* y, int64_t N, int64_t OC,
                           const ConvGeom& g, int acc, const ConvEpilogue& ep) {
  if (N <= 0 || OC <= 0 || g.C <= 0 || g.KH <= 0 || g.KW <= 0 || g.sh <= 0 || g.sw <= 0 ||
      g.dh <= 0 || g.dw <= 0 || g.ph < 0 || g.pw < 0 || g.OH <= 0 || g.OW <= 0 || g.OW % 8 != 0)
    return false;
  const int64_t HP = (g.OH - 1) * g.sh + (g.KH - 1) * g.dh + 1;
  const int64_t WP = (g.OW - 1) * g.sw + (g.KW - 1) * g.dw + 1;
  // Phase rows a multiple of 8 floats (and the buffer 64-byte aligned): a vector then starts
  // on a 32-byte boundary for every tap with (kw·dw) div sw ≡ 0 mod 8, and never splits a line.
  const int64_t WQ = ((WP + g.sw - 1) / g.sw + 7) / 8 * 8, plane = HP * WQ, img = g.C * g.sw * plane;
  const int64_t CKK = g.C * g.KH * g.KW, OHW = g.OH * g.OW, nv_all = OHW / 8;
  if (img >= ((int64_t)1 << 31) || CKK >= ((int64_t)1 << 24)) return false;  // int32 offsets
  const int64_t nob = (OC + kOC - 1) / kOC, ntiles = (nv_all + kV - 1) / kV;

  thread_local std::vector<float> s_w, s_b;
  thread_local std::vector<int32_t> s_k;
  float* const wq = conv_scratch(s_w, nob * kOC * CKK);
  for (int64_t ob = 0; ob < nob; ++ob)
    for (int64_t k = 0; k < CKK; ++k)
      for (int r = 0; r < kOC; ++r) {
        const int64_t oc = ob * kOC + r;
        wq[(ob * CKK + k) * kOC + r] = oc < OC ? w[oc * CKK + k] : 0.0f;
      }
  float* bias = nullptr;
  if (ep.bias) {
    bias = conv_scratch(s_b, OC + 1);
    memcpy(bias, ep.bias, sizeof(float) * (size_t)OC);
    bias[OC] = 0.0f;
  }
  if ((int64_t)s_k.size() < CKK) s_k.resize((size_t)CKK);
  int32_t* const koff = s_k.data();
  for (int64_t c = 0, k = 0; c < g.C; ++c)
    for (int64_t kh = 0; kh < g.KH; ++kh)
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        const int64_t col = kw * g.dw;
        koff[k++] = (int32_t)((c * g.sw + col % g.sw) * plane + kh * g.dh * WQ + col / g.sw);
      }
  const Job job{koff, wq, bias, CKK, OC, OHW, &ep, acc};

  // Tiles [t0, t1) of image n (phase-split copy xi), in runs of kRun tiles: each channel triple
  // over the run's tiles, so the run's input rows stay in L1 while all triples read them and each
  // triple writes 256-pixel pieces of its 3 output rows (tile by tile over all triples wrote 64
  // rows 4 KiB apart per tile at 32×32 outputs, and they evicted each other from L1).
  const int64_t kRun = 8;
  auto run = [&](const float* xi, int64_t n, int64_t t0, int64_t t1) {
    float* yn = y + n * OC * OHW;
    const float* base[kRun][kV];
    int64_t pix[kRun][kV];
    int nvs[kRun];
    for (int64_t r0 = t0; r0 < t1; r0 += kRun) {
      const int64_t r1 = std::min(t1, r0 + kRun);
      for (int64_t t = r0; t < r1; ++t) {
        const int nv = nvs[t - r0] = (int)std::min<int64_t>(kV, nv_all - t * kV);
        for (int v = 0; v < nv; ++v) {
          const int64_t p = (t * kV + v) * 8, oh = p / g.OW, ow = p % g.OW;
          pix[t - r0][v] = p;
          base[t - r0][v] = xi + oh * g.sh * WQ + ow;
        }
      }
      for (int64_t ob = 0; ob < nob; ++ob)
        for (int64_t t = r0; t < r1; ++t) kTiles[nvs[t - r0]](job, base[t - r0], pix[t - r0], ob * kOC, yn);
    }
  };
  int nt = available_threads();
  if (2.0 * (double)N * OC * CKK * OHW < 2.0e6) nt = 1;  // a region costs more than it saves
  std::atomic<int64_t> next{0};
  if (nt <= 1 || N >= nt) {
    parallel(nt, [&](int, int) {
      thread_local std::vector<float> own, row;
      float* xi = conv_scratch(own, img);
      float* tmp = conv_scratch(row, WQ * g.sw);
      for (int64_t n; (n = next.fetch_add(1, std::memory_order_relaxed)) < N;) {
        phase_pad(x + n * g.C * g.H * g.W, g, HP, WP, WQ, tmp, xi);
        run(xi, n, 0, ntiles);
      }
    });
    return true;
  }
  // Fewer images than threads: split them into chunks of tiles (copies made first, small).
  thread_local std::vector<float> s_all, s_row;
  float* const xall = conv_scratch(s_all, N * img);
  float* const tmp = conv_scratch(s_row, WQ * g.sw);
  for (int64_t n = 0; n < N; ++n) phase_pad(x + n * g.C * g.H * g.W, g, HP, WP, WQ, tmp, xall + n * img);
  const int64_t units = N * ntiles, chunk = std::max<int64_t>(1, units / (4 * (int64_t)nt));
  parallel(nt, [&](int, int) {
    for (int64_t u0; (u0 = next.fetch_add(chunk, std::memory_order_relaxed)) < units;) {
      const int64_t u1 = std::min(units, u0 + chunk);
      for (int64_t u = u0; u < u1;) {
        const int64_t n = u / ntiles, t = u % ntiles, te = std::min(ntiles, t + (u1 - u));
        run(xall + n * img, n, t, te);
        u += te - t;
      }
    }
  });
  return true;
}

}  // namespace lamkit

#endif  // __x86_64__
