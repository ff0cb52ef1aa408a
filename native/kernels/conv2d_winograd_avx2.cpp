// lamkit::conv2d_winograd_avx2 — Winograd F(2×2, 2×2) forward for 4×4 stride-2 convolutions
// (every conv of conv64 and grid32), AVX2+FMA (conv2d_direct.h).
// Why: a 4×4 stride-2 conv is four 2×2 stride-1 convs, one per input phase (a, b) = (row, column)
// parity: y[oh][ow] = Σ_{c,a,b,i,j} W[c][2i+a][2j+b] · xp[c][2(oh+i)+a][2(ow+j)+b]. On that
// 2×2 stride-1 conv over K = 4C phase channels, F(2×2, 2×2) makes each 2×2 output tile from 9
// products per (k, output channel) instead of 16: 1.78× fewer FMAs, with transforms whose
// coefficients are all ±1 (the transforms: conv2d_winograd_avx2.h).
// Steps per unit of images (a thread's work):
//   1. split_phases: the images' zero-padded, phase-split copy in channel-last order,
//      xs[r][s][k] = xp[c][2r+a][2s+b] with k = (2a+b)·C + c (8 phase channels are one vector);
//   2. per chunk of tiles: transform_input → V[ξ][t][k] (9 positions × tiles × Kp);
//   3. per 16-channel block: for each ξ the 16 × 6 register tile of the direct kernel (2 weight
//      loads, 6 broadcasts, 12 FMAs per k) over U[ξ][block][k][16] and 6 tiles of V → M;
//   4. transform_output: the 9 sums of each (tile, channel) → 2×2 outputs, + bias, old y when
//      acc, activation, stores into NCHW y.
// Chunks hold about 192 KiB of V (L2 with the weight panel in L1), taps are split in runs of
// 256 (16 KiB of U in L1) with partial sums kept in M.
// Weights: U is cached in conv2d_direct_wcache.h's cache like the direct kernel's panels
// (compared against W, or trusted under a weight stamp), else transformed per call.
// Threads (wg::run_units): units of whole images; with fewer units than threads (batch 1), each
// chunk's output-channel blocks are split instead. Results do not depend on the thread count.
// Compiled with -mavx2 -mfma (file suffix); empty on other targets.
// Test: native/tests/conv2d_direct_test.cpp.
#include "conv2d_direct.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#include <algorithm>
#include <vector>

#include "conv2d_direct_avx2.h"
#include "conv2d_direct_wcache.h"
#include "conv2d_winograd_avx2.h"
#include "transpose8_avx2.h"
#include "weight_stamp.h"
#include "runtime/thread_pool.h"

namespace {

using lamkit::conv_act;
using lamkit::conv_scratch;
using lamkit::ConvEpilogue;
using lamkit::ConvGeom;
using lamkit::PackedWeights;
using lamkit::transpose8;

using lamkit::wg::kOB;
using lamkit::wg::kP;
using lamkit::wg::kXi;
const int kCacheKind = 1;  // this kernel's entries in the shared weight cache

struct Wino {
  int64_t C, H, W, OC, ph, pw, OH, OW;
  int64_t TH, TW, R, S;  // tiles per column / row; phase-split rows / columns (2·T + 1)
  int64_t K, Kp;         // phase channels 4C, rounded up to 8 (zero channels past K)
  int64_t nob, timg;     // output-channel blocks; tiles per image
};

// xs[r][s][k] for one image (R × S × Kp): k = (2a+b)·C + c ↦ x[c][2r+a−ph][2s+b−pw], 0 outside.
void split_phases(const float* x, const Wino& q, float* xs) {
  // Input rows / columns that land in xs: y + ph < 2R, col + pw < 2S.
  const int64_t y1 = std::min(q.H, 2 * q.R - q.ph), x1 = std::min(q.W, 2 * q.S - q.pw);
  const int64_t y0 = std::max<int64_t>(0, -q.ph), x0 = std::max<int64_t>(0, -q.pw);
  // Zeros only where nothing is copied (padding, past the image, channels past K): a memset of
  // all of xs cost a third of this function.
  for (int64_t r = 0; r < q.R; ++r)
    for (int64_t s = 0; s < q.S; ++s) {
      float* cell = xs + (r * q.S + s) * q.Kp;
      for (int ph = 0; ph < 4; ++ph) {
        const int64_t y = 2 * r + (ph >> 1) - q.ph, col = 2 * s + (ph & 1) - q.pw;
        if (y < y0 || y >= y1 || col < x0 || col >= x1) memset(cell + ph * q.C, 0, sizeof(float) * (size_t)q.C);
      }
      if (q.Kp > q.K) memset(cell + q.K, 0, sizeof(float) * (size_t)(q.Kp - q.K));
    }
  int64_t c = 0;
  // 8 channels at a time: 8 rows × 8 columns transposed to 8 column vectors over channels.
  for (; c + 8 <= q.C; c += 8) {
    for (int64_t y = y0; y < y1; ++y) {
      const int64_t r = (y + q.ph) >> 1, a = (y + q.ph) & 1;
      const float* src = x + (c * q.H + y) * q.W;
      int64_t col = x0;
      for (; col + 8 <= x1; col += 8) {
        __m256 v[8];
        for (int i = 0; i < 8; ++i) v[i] = _mm256_loadu_ps(src + i * q.H * q.W + col);
        transpose8(v);
        for (int i = 0; i < 8; ++i) {
          const int64_t cc = col + i + q.pw, s = cc >> 1, b = cc & 1;
          _mm256_storeu_ps(xs + (r * q.S + s) * q.Kp + (2 * a + b) * q.C + c, v[i]);
        }
      }
      for (; col < x1; ++col) {
        const int64_t cc = col + q.pw, s = cc >> 1, b = cc & 1;
        float* d = xs + (r * q.S + s) * q.Kp + (2 * a + b) * q.C + c;
        for (int i = 0; i < 8; ++i) d[i] = src[i * q.H * q.W + col];
      }
    }
  }
  for (; c < q.C; ++c)
    for (int64_t y = y0; y < y1; ++y) {
      const int64_t r = (y + q.ph) >> 1, a = (y + q.ph) & 1;
      const float* src = x + (c * q.H + y) * q.W;
      for (int64_t col = x0; col < x1; ++col) {
        const int64_t cc = col + q.pw;
        xs[(r * q.S + (cc >> 1)) * q.Kp + (2 * a + (cc & 1)) * q.C + c] = src[col];
      }
    }
}

// V[ξ][t][k] for tiles [t0, t0 + nt) of a unit whose split images start at xs (tile t of the
// unit: image t / timg, tile row and column within it); V has room for vt tiles per position.
void transform_input(const float* xs, const Wino& q, int64_t t0, int64_t nt, int64_t vt, float* V) {
  const int64_t img = q.R * q.S * q.Kp, rowk = q.S * q.Kp;
  for (int64_t t = 0; t < nt; ++t) {
    const int64_t u = t0 + t, n = u / q.timg, ty = u % q.timg / q.TW, tx = u % q.TW;
    const float* base = xs + n * img + (2 * ty * q.S + 2 * tx) * q.Kp;
    for (int64_t k = 0; k < q.Kp; k += 8) lamkit::wg::input_tile8(base + k, rowk, q.Kp, V + t * q.Kp + k, vt * q.Kp);
  }
}

// U[ξ][ob][k][16] for output-channel block ob (zero past OC and past K).
void transform_weights(const float* w, const Wino& q, int64_t ob, float* U) {
  const int64_t rows = std::min<int64_t>(kOB, q.OC - ob * kOB);
  const int64_t pstride = q.nob * q.Kp * kOB;  // floats between positions
  float* ub = U + ob * q.Kp * kOB;
  if (rows < kOB || q.Kp > q.K)
    for (int xi = 0; xi < kXi; ++xi) memset(ub + xi * pstride, 0, sizeof(float) * (size_t)(q.Kp * kOB));
  int64_t r0 = 0;
  // 8 output channels at a time: their 16 taps of channel c, transposed to one vector per tap.
  for (; r0 + 8 <= rows; r0 += 8) {
    const float* wo = w + (ob * kOB + r0) * q.C * 16;
    for (int64_t c = 0; c < q.C; ++c) {
      __m256 lo[8], hi[8];  // lo[t] = tap t (kh·4 + kw, t < 8) of the 8 channels; hi: taps 8–15
      for (int i = 0; i < 8; ++i) {
        lo[i] = _mm256_loadu_ps(wo + i * q.C * 16 + c * 16);
        hi[i] = _mm256_loadu_ps(wo + i * q.C * 16 + c * 16 + 8);
      }
      transpose8(lo);
      transpose8(hi);
      auto tap = [&](int kh, int kw) { return kh < 2 ? lo[kh * 4 + kw] : hi[(kh - 2) * 4 + kw]; };
      for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b) {
          __m256 u[9];
          lamkit::wg::weight_tile(tap(a, b), tap(a, 2 + b), tap(2 + a, b), tap(2 + a, 2 + b), lamkit::wg::add8, u);
          const int64_t k = (2 * a + b) * q.C + c;
          for (int xi = 0; xi < kXi; ++xi) _mm256_store_ps(ub + xi * pstride + k * kOB + r0, u[xi]);
        }
    }
  }
  for (int64_t r = r0; r < rows; ++r) {
    const float* wo = w + (ob * kOB + r) * q.C * 16;
    for (int64_t c = 0; c < q.C; ++c) {
      const float* g4 = wo + c * 16;  // [kh][kw], 4 × 4
      for (int a = 0; a < 2; ++a)
        for (int b = 0; b < 2; ++b) {
          float u[9];
          lamkit::wg::weight_tile(g4[a * 4 + b], g4[a * 4 + 2 + b], g4[(2 + a) * 4 + b], g4[(2 + a) * 4 + 2 + b],
                                  lamkit::wg::add1, u);
          const int64_t k = (2 * a + b) * q.C + c;
          for (int xi = 0; xi < kXi; ++xi) ub[xi * pstride + k * kOB + r] = u[xi];
        }
    }
  }
}

inline float act1(float v, const ConvEpilogue& ep) {
  if (ep.act == lamkit::kConvActRelu) return v < 0 ? 0.0f : v;  // NaN stays
  if (ep.act == lamkit::kConvActLeakyRelu) return v < 0 ? v * ep.slope : v;
  return v;
}

// M ([group][ξ][6][16] for tiles [t0, t0 + nt) of the unit starting at image n0) → y for block ob.
void transform_output(const float* M, const Wino& q, int64_t n0, int64_t t0, int64_t nt, int64_t ob,
                      const float* bias16, float* y, int acc, const ConvEpilogue& ep) {
  const int rows = (int)std::min<int64_t>(kOB, q.OC - ob * kOB);
  const int64_t OHW = q.OH * q.OW;
  for (int64_t t = 0; t < nt; ++t) {
    const int64_t u = t0 + t, n = n0 + u / q.timg, ty = u % q.timg / q.TW, tx = u % q.TW;
    const float* mt = M + ((t / kP) * kXi * kP + t % kP) * kOB;
    alignas(32) float out[4][kOB];
    for (int half = 0; half < 2; ++half) {
      __m256 m[kXi], yv[4];
      for (int xi = 0; xi < kXi; ++xi) m[xi] = _mm256_load_ps(mt + xi * kP * kOB + 8 * half);
      lamkit::wg::output_tile8(m, yv);
      const __m256 bv = bias16 ? _mm256_loadu_ps(bias16 + 8 * half) : _mm256_setzero_ps();
      for (int i = 0; i < 4; ++i) _mm256_store_ps(out[i] + 8 * half, _mm256_add_ps(yv[i], bv));
    }
    const int64_t oh = 2 * ty, ow = 2 * tx;
    float* yb = y + (n * q.OC + ob * kOB) * OHW + oh * q.OW + ow;
    if (!acc && oh + 1 < q.OH && ow + 1 < q.OW) {
      // Activation on the 4 pixel vectors, then each channel's two pixel pairs as 8-byte stores:
      // unpacklo/hi(y00, y01) hold (channel c: y00, y01) in each 64-bit lane.
      for (int half = 0; half < 2; ++half) {
        const int n8 = std::min(8, rows - 8 * half);
        if (n8 <= 0) break;
        for (int i = 0; i < 2; ++i) {
          const __m256 l = conv_act(_mm256_load_ps(out[2 * i] + 8 * half), ep);
          const __m256 r = conv_act(_mm256_load_ps(out[2 * i + 1] + 8 * half), ep);
          alignas(32) double pr[8];  // channel c's pair at pr[c] (lanes 0,1,4,5 | 2,3,6,7)
          _mm256_store_pd(pr, _mm256_castps_pd(_mm256_unpacklo_ps(l, r)));
          _mm256_store_pd(pr + 4, _mm256_castps_pd(_mm256_unpackhi_ps(l, r)));
          static const int lane[8] = {0, 1, 4, 5, 2, 3, 6, 7};
          float* yr = yb + (8 * half) * OHW + i * q.OW;
          for (int c = 0; c < n8; ++c) memcpy(yr + c * OHW, &pr[lane[c]], sizeof(double));
        }
      }
      continue;
    }
    const bool down = oh + 1 < q.OH, right = ow + 1 < q.OW;
    for (int r = 0; r < rows; ++r) {
      float* yr = yb + r * OHW;
      float v0 = out[0][r], v1 = out[1][r], v2 = out[2][r], v3 = out[3][r];
      if (acc) {
        v0 += yr[0];
        if (right) v1 += yr[1];
        if (down) v2 += yr[q.OW];
        if (down && right) v3 += yr[q.OW + 1];
      }
      yr[0] = act1(v0, ep);
      if (right) yr[1] = act1(v1, ep);
      if (down) yr[q.OW] = act1(v2, ep);
      if (down && right) yr[q.OW + 1] = act1(v3, ep);
    }
  }
}

}  // namespace

namespace lamkit {

bool conv2d_winograd_avx2(const float* x, const float* w, float* y, int64_t N, int64_t OC,
                          const ConvGeom& g, int acc, const ConvEpilogue& ep) {
  if (g.KH != 4 || g.KW != 4 || g.sh != 2 || g.sw != 2 || g.dh != 1 || g.dw != 1) return false;
  if (N <= 0 || OC <= 0 || g.C <= 0 || g.ph < 0 || g.pw < 0 || g.OH <= 0 || g.OW <= 0) return false;
  Wino q;
  q.C = g.C, q.H = g.H, q.W = g.W, q.OC = OC, q.ph = g.ph, q.pw = g.pw, q.OH = g.OH, q.OW = g.OW;
  q.TH = (g.OH + 1) / 2, q.TW = (g.OW + 1) / 2, q.R = 2 * q.TH + 1, q.S = 2 * q.TW + 1;
  q.K = 4 * g.C, q.Kp = (q.K + 7) / 8 * 8, q.nob = (OC + kOB - 1) / kOB, q.timg = q.TH * q.TW;
  if (q.R * q.S * q.Kp >= ((int64_t)1 << 31)) return false;

  // Tiles per chunk: one position's V (tiles · Kp floats) at most 128 KiB, so it stays in L2
  // while every block's U panel streams past it; 12–96 tiles (units: wg::run_units).
  const int64_t target = std::min<int64_t>(96, std::max<int64_t>(12, 32768 / q.Kp / kP * kP));
  int nt = available_threads();
  if (2.0 * (double)N * OC * q.K * 9 * q.timg < 2.0e6) nt = 1;

  // Transformed weights: cached (compared with W, or trusted under a stamp) or per call.
  thread_local lamkit::PackedWeightCache cache;
  thread_local std::vector<float> ubuf, bbuf;
  const int64_t ufloats = kXi * q.nob * q.Kp * kOB;
  const uint64_t stamp = weight_stamp();
  const bool small = N * q.timg * 4 <= 256;
  PackedWeights* cached = small || stamp != 0 ? cache.get(w, OC, g.C * 16, kOB, ufloats, kCacheKind) : nullptr;
  float* U = cached ? cached->panels() : conv_scratch(ubuf, ufloats);
  const bool trusted = cached && stamp != 0 && cached->stamp == stamp;
  if (cached) cached->stamp = stamp;
  if (!trusted)
    parallel_for(q.nob, (double)(kOB * q.C * 16 * 12), [&](int64_t b0, int64_t b1) {
      for (int64_t ob = b0; ob < b1; ++ob) {
        if (cached && cached->current(w, ob)) continue;
        transform_weights(w, q, ob, U);
        if (cached) cached->refreshed(w, ob);
      }
    });
  float* bias = conv_scratch(bbuf, q.nob * kOB);
  if (ep.bias) {
    memset(bias, 0, sizeof(float) * (size_t)(q.nob * kOB));
    memcpy(bias, ep.bias, sizeof(float) * (size_t)OC);
  }
  const float* biasp = ep.bias ? bias : nullptr;

  // One chunk: tiles [t0, t0 + nt) of the unit at image n0, blocks [b0, b1) from V into y, sums
  // in M ([block][group][ξ][6][16]). Positions outer: V[ξ] stays in L2 across the blocks.
  auto blocks = [&](int64_t n0, int64_t t0, int64_t nt, int64_t vt, const float* V, float* M, int64_t b0,
                    int64_t b1) {
    const int64_t mblock = (nt + kP - 1) / kP * kXi * kP * kOB;
    lamkit::wg::gemm_chunk(U, q.nob * q.Kp * kOB, b0, b1, V, vt, q.Kp, nt, M, mblock);
    for (int64_t ob = b0; ob < b1; ++ob)
      transform_output(M + ob * mblock, q, n0, t0, nt, ob, biasp ? biasp + ob * kOB : nullptr, y, acc, ep);
  };
  const int64_t xs_img = q.R * q.S * q.Kp, xin = g.C * g.H * g.W;
  lamkit::wg::run_units(
      N, q.timg, target, nt, q.nob, xs_img, kXi * target * q.Kp, q.nob * (target / kP) * kXi * kP * kOB,
      [&](int64_t n0, int64_t ni, float* xs) {
        for (int64_t i = 0; i < ni; ++i) split_phases(x + (n0 + i) * xin, q, xs + i * xs_img);
      },
      [&](const float* xs, int64_t t0, int64_t n, int64_t vt, float* V) { transform_input(xs, q, t0, n, vt, V); },
      blocks);
  return true;
}

}  // namespace lamkit

#endif  // __x86_64__
