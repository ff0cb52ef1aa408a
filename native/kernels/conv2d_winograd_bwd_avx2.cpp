// lamkit::conv2d_backward_input_winograd_avx2 — dx of a 4×4 stride-2 conv, and so the forward of
// a 4×4 stride-2 conv_transpose2d (conv64's decoder), by Winograd F(2×2, 2×2); AVX2+FMA
// (conv2d_grad_direct.h).
// Why: each output phase (a, b) of dx (rows ≡ a, columns ≡ b mod 2) is a 2×2 stride-1
// correlation of dy with the taps kh ≡ a + ph, kw ≡ b + pw (mod 2):
//   dx[c][2i+a][2j+b] = Σ_{oc,u,v} dy[oc][i + ra + u][j + rb + v] · W[oc][c][kha + 2(1−u)][kwb + 2(1−v)]
//   with kha = (a + ph) mod 2, ra = (a + ph − kha)/2 − 1 (likewise kwb, rb).
// F(2×2, 2×2) on each phase (conv2d_winograd_avx2.h) makes a 2×2 tile of it from 9 products per
// (channel, dy channel) instead of 16. A tile position covers a 4×4 block of dx: 2×2 in each phase.
// Steps per unit of images:
//   1. channel_last: dy zero-padded to R × S, channel-last (8 dy channels are one vector);
//   2. per chunk of tiles: V[phase][ξ][tile][k] (wg::input_tile8 at each phase's offset), then
//      per phase M = U · V (wg::gemm_chunk over 16-channel blocks of dx) and the 2×2 outputs of
//      each tile written at stride 2 into dx (= or +=).
// Weights are transformed per call (training changes them every step): U[phase][ξ][block][k][16].
// Threads (wg::run_units): units of whole images; with fewer units than threads, a chunk's blocks
// are split. Results do not depend on the thread count.
// Compiled with -mavx2 -mfma (file suffix); empty on other targets.
// Test: native/tests/conv2d_grad_direct_test.cpp.
#include "conv2d_grad_direct.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

#include <algorithm>
#include <vector>

#include "conv2d_direct_avx2.h"
#include "conv2d_winograd_avx2.h"
#include "transpose8_avx2.h"
#include "runtime/thread_pool.h"

namespace {

using lamkit::conv_scratch;
using lamkit::ConvGeom;
using lamkit::transpose8;
using lamkit::wg::kOB;
using lamkit::wg::kP;
using lamkit::wg::kXi;

struct Bwd {
  int64_t C, H, W, K, OH, OW;  // dx channels and size; dy channels (K) and size
  int64_t TH, TW, timg;        // 4×4 dx blocks per column / row / image
  int64_t kh0[2], kw0[2];      // first tap of each phase
  int64_t ra[2], rb[2];        // dy offset of each phase's patch
  int64_t top, left, R, S;     // ys: dy row r − top, column s − left
  int64_t Kp, ncb;             // K rounded up to 8; 16-channel blocks of dx
};

// ys[r][s][k] = dy[k][r − top][s − left] (0 outside dy and for k ≥ K): R × S × Kp.
void channel_last(const float* dy, const Bwd& q, float* ys) {
  for (int64_t r = 0; r < q.R; ++r)
    for (int64_t s = 0; s < q.S; ++s) {
      const int64_t y = r - q.top, x = s - q.left;
      float* cell = ys + (r * q.S + s) * q.Kp;
      if (y < 0 || y >= q.OH || x < 0 || x >= q.OW) memset(cell, 0, sizeof(float) * (size_t)q.Kp);
      else if (q.Kp > q.K) memset(cell + q.K, 0, sizeof(float) * (size_t)(q.Kp - q.K));
    }
  const int64_t plane = q.OH * q.OW;
  int64_t k = 0;
  for (; k + 8 <= q.K; k += 8)  // 8 channels × 8 columns → 8 column vectors over channels
    for (int64_t y = 0; y < q.OH; ++y) {
      const float* src = dy + k * plane + y * q.OW;
      float* row = ys + ((y + q.top) * q.S + q.left) * q.Kp + k;
      int64_t x = 0;
      for (; x + 8 <= q.OW; x += 8) {
        __m256 v[8];
        for (int i = 0; i < 8; ++i) v[i] = _mm256_loadu_ps(src + i * plane + x);
        transpose8(v);
        for (int i = 0; i < 8; ++i) _mm256_storeu_ps(row + (x + i) * q.Kp, v[i]);
      }
      for (; x < q.OW; ++x)
        for (int i = 0; i < 8; ++i) row[x * q.Kp + i] = src[i * plane + x];
    }
  for (; k < q.K; ++k)
    for (int64_t y = 0; y < q.OH; ++y)
      for (int64_t x = 0; x < q.OW; ++x) ys[((y + q.top) * q.S + x + q.left) * q.Kp + k] = dy[k * plane + y * q.OW + x];
}

// U[phase][ξ][cb][k][16] for dx block cb: phase (a, b)'s kernel g[u][v] = W[k][c][kha + 2(1−u)][kwb + 2(1−v)].
void transform_weights(const float* w, const Bwd& q, int64_t cb, float* U) {
  const int64_t rows = std::min<int64_t>(kOB, q.C - cb * kOB);
  const int64_t xstride = q.ncb * q.Kp * kOB, pstride = kXi * xstride;
  float* ub = U + cb * q.Kp * kOB;
  if (rows < kOB || q.Kp > q.K)
    for (int x = 0; x < 4 * kXi; ++x) memset(ub + x * xstride, 0, sizeof(float) * (size_t)(q.Kp * kOB));
  auto taps = [&](int ph, int (&t)[4]) {  // g00, g01, g10, g11 as kh·4 + kw
    const int64_t kh = q.kh0[ph >> 1], kw = q.kw0[ph & 1];
    t[0] = (int)((kh + 2) * 4 + kw + 2), t[1] = (int)((kh + 2) * 4 + kw), t[2] = (int)(kh * 4 + kw + 2),
    t[3] = (int)(kh * 4 + kw);
  };
  int64_t r0 = 0;
  for (; r0 + 8 <= rows; r0 += 8)  // 8 dx channels: their 16 taps for dy channel k, one vector per tap
    for (int64_t k = 0; k < q.K; ++k) {
      const float* wk = w + (k * q.C + cb * kOB + r0) * 16;
      __m256 tap[16];
      for (int i = 0; i < 8; ++i) {
        tap[i] = _mm256_loadu_ps(wk + i * 16);
        tap[8 + i] = _mm256_loadu_ps(wk + i * 16 + 8);
      }
      transpose8(tap);
      transpose8(tap + 8);
      for (int ph = 0; ph < 4; ++ph) {
        int t[4];
        taps(ph, t);
        __m256 u[kXi];
        lamkit::wg::weight_tile(tap[t[0]], tap[t[1]], tap[t[2]], tap[t[3]], lamkit::wg::add8, u);
        for (int xi = 0; xi < kXi; ++xi) _mm256_store_ps(ub + ph * pstride + xi * xstride + k * kOB + r0, u[xi]);
      }
    }
  for (int64_t r = r0; r < rows; ++r)
    for (int64_t k = 0; k < q.K; ++k) {
      const float* g4 = w + (k * q.C + cb * kOB + r) * 16;
      for (int ph = 0; ph < 4; ++ph) {
        int t[4];
        taps(ph, t);
        float u[kXi];
        lamkit::wg::weight_tile(g4[t[0]], g4[t[1]], g4[t[2]], g4[t[3]], lamkit::wg::add1, u);
        for (int xi = 0; xi < kXi; ++xi) ub[ph * pstride + xi * xstride + k * kOB + r] = u[xi];
      }
    }
}

// V[phase][ξ][t][k] for tiles [t0, t0 + nt) of a unit (images at ys, vt tiles per position).
void transform_input(const float* ys, const Bwd& q, int64_t t0, int64_t nt, int64_t vt, float* V) {
  const int64_t img = q.R * q.S * q.Kp, rowk = q.S * q.Kp;
  for (int ph = 0; ph < 4; ++ph) {
    float* vp = V + ph * kXi * vt * q.Kp;
    const int64_t dr = q.ra[ph >> 1] + q.top, ds = q.rb[ph & 1] + q.left;
    for (int64_t t = 0; t < nt; ++t) {
      const int64_t u = t0 + t, n = u / q.timg, ty = u % q.timg / q.TW, tx = u % q.TW;
      const float* base = ys + n * img + ((2 * ty + dr) * q.S + 2 * tx + ds) * q.Kp;
      for (int64_t k = 0; k < q.Kp; k += 8) lamkit::wg::input_tile8(base + k, rowk, q.Kp, vp + t * q.Kp + k, vt * q.Kp);
    }
  }
}

// Phase ph's sums M ([group][ξ][6][16], block cb) → dx[n][c][4ty + 2i + a][4tx + 2j + b].
void transform_output(const float* M, const Bwd& q, int ph, int64_t n0, int64_t t0, int64_t nt, int64_t cb,
                      float* dx, int acc) {
  const int rows = (int)std::min<int64_t>(kOB, q.C - cb * kOB);
  const int64_t HW = q.H * q.W, a = ph >> 1, b = ph & 1;
  for (int64_t t = 0; t < nt; ++t) {
    const int64_t u = t0 + t, n = n0 + u / q.timg, ty = u % q.timg / q.TW, tx = u % q.TW;
    const float* mt = M + ((t / kP) * kXi * kP + t % kP) * kOB;
    alignas(32) float out[4][kOB];
    for (int half = 0; half < 2; ++half) {
      __m256 m[kXi], yv[4];
      for (int xi = 0; xi < kXi; ++xi) m[xi] = _mm256_load_ps(mt + xi * kP * kOB + 8 * half);
      lamkit::wg::output_tile8(m, yv);
      for (int i = 0; i < 4; ++i) _mm256_store_ps(out[i] + 8 * half, yv[i]);
    }
    const int64_t iy = 4 * ty + a, ix = 4 * tx + b;
    const bool down = iy + 2 < q.H, right = ix + 2 < q.W;
    if (iy >= q.H || ix >= q.W) continue;
    float* db = dx + (n * q.C + cb * kOB) * HW + iy * q.W + ix;
    for (int r = 0; r < rows; ++r) {
      float* d = db + r * HW;
      if (acc) {
        d[0] += out[0][r];
        if (right) d[2] += out[1][r];
        if (down) d[2 * q.W] += out[2][r];
        if (down && right) d[2 * q.W + 2] += out[3][r];
      } else {
        d[0] = out[0][r];
        if (right) d[2] = out[1][r];
        if (down) d[2 * q.W] = out[2][r];
        if (down && right) d[2 * q.W + 2] = out[3][r];
      }
    }
  }
}

}  // namespace

namespace lamkit {

bool conv2d_backward_input_winograd_avx2(const float* dy, const float* w, float* dx, int64_t N, int64_t OC,
                                         const ConvGeom& g, int acc) {
  if (g.KH != 4 || g.KW != 4 || g.sh != 2 || g.sw != 2 || g.dh != 1 || g.dw != 1) return false;
  if (N <= 0 || OC <= 0 || g.C <= 0 || g.H <= 0 || g.W <= 0 || g.ph < 0 || g.pw < 0 || g.OH <= 0 || g.OW <= 0)
    return false;
  Bwd q;
  q.C = g.C, q.H = g.H, q.W = g.W, q.K = OC, q.OH = g.OH, q.OW = g.OW;
  q.TH = (g.H + 3) / 4, q.TW = (g.W + 3) / 4, q.timg = q.TH * q.TW;
  for (int a = 0; a < 2; ++a) {
    q.kh0[a] = (a + g.ph) & 1, q.ra[a] = (a + g.ph - q.kh0[a]) / 2 - 1;
    q.kw0[a] = (a + g.pw) & 1, q.rb[a] = (a + g.pw - q.kw0[a]) / 2 - 1;
  }
  q.top = std::max<int64_t>(0, -std::min(q.ra[0], q.ra[1]));
  q.left = std::max<int64_t>(0, -std::min(q.rb[0], q.rb[1]));
  q.R = q.top + 2 * q.TH + std::max(q.ra[0], q.ra[1]) + 1;
  q.S = q.left + 2 * q.TW + std::max(q.rb[0], q.rb[1]) + 1;
  q.Kp = (OC + 7) / 8 * 8, q.ncb = (g.C + kOB - 1) / kOB;
  if (q.R * q.S * q.Kp >= ((int64_t)1 << 31)) return false;

  // Tiles per chunk: one (phase, position) slice of V (tiles · Kp floats) ≤ 32 KiB, 12–96 tiles
  // (units: wg::run_units).
  const int64_t target = std::min<int64_t>(96, std::max<int64_t>(12, 8192 / q.Kp / kP * kP));
  int nt = available_threads();
  if (2.0 * (double)N * OC * g.C * 36 * q.timg < 2.0e6) nt = 1;

  thread_local std::vector<float> ubuf;
  const int64_t xstride = q.ncb * q.Kp * kOB;
  float* U = conv_scratch(ubuf, 4 * kXi * xstride);
  parallel_for(q.ncb, (double)(kOB * OC * 16 * 12), [&](int64_t b0, int64_t b1) {
    for (int64_t cb = b0; cb < b1; ++cb) transform_weights(w, q, cb, U);
  });

  const int64_t ys_img = q.R * q.S * q.Kp, dy_img = OC * g.OH * g.OW;
  const int64_t vfloats = 4 * kXi * target * q.Kp, mfloats = q.ncb * (target / kP) * kXi * kP * kOB;
  // Blocks [b0, b1) of one chunk, every phase: V → M → dx.
  auto blocks = [&](int64_t n0, int64_t t0, int64_t n, int64_t vt, const float* V, float* M, int64_t b0, int64_t b1) {
    const int64_t mblock = (n + kP - 1) / kP * kXi * kP * kOB;
    for (int ph = 0; ph < 4; ++ph) {
      lamkit::wg::gemm_chunk(U + ph * kXi * xstride, xstride, b0, b1, V + ph * kXi * vt * q.Kp, vt, q.Kp, n, M, mblock);
      for (int64_t cb = b0; cb < b1; ++cb) transform_output(M + cb * mblock, q, ph, n0, t0, n, cb, dx, acc);
    }
  };
  lamkit::wg::run_units(
      N, q.timg, target, nt, q.ncb, ys_img, vfloats, mfloats,
      [&](int64_t n0, int64_t ni, float* ys) {
        for (int64_t i = 0; i < ni; ++i) channel_last(dy + (n0 + i) * dy_img, q, ys + i * ys_img);
      },
      [&](const float* ys, int64_t t0, int64_t n, int64_t vt, float* V) { transform_input(ys, q, t0, n, vt, V); },
      blocks);
  return true;
}

}  // namespace lamkit

#endif  // __x86_64__
