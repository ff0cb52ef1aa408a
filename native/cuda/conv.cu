/*
 * conv2d forward, backward-input, backward-filter and conv_transpose2d (CUDA), groups = 1,
 * NCHW, as implicit GEMM: the im2col matrix is never stored, the tile loaders gather it.
 *
 *   forward          y[n,oc,oh,ow]   (=|+=) Σ_{c,kh,kw} w[oc,c,kh,kw]·x[n,c,ih,iw]
 *                    GEMM M = OC, N = NB·OH·OW, K = C·KH·KW,  ih = oh·sh − ph + kh·dh
 *   backward-input   dx[n,c,ih,iw]   (=|+=) Σ_{oc,kh,kw} w[oc,c,kh,kw]·dy[n,oc,oh,ow]
 *                    GEMM M = C,  N = NB·H·W,   K = OC·KH·KW, oh = (ih + ph − kh·dh)/sh when
 *                    that divides exactly and lands in [0,OH)
 *   backward-filter  dw[oc,c,kh,kw]  (=|+=) Σ_{n,oh,ow} dy[n,oc,oh,ow]·x[n,c,ih,iw]
 *                    GEMM M = OC, N = C·KH·KW,  K = NB·OH·OW (split-K + atomicAdd: M·N is
 *                    small and K = batch·pixels is huge, so K slices are what fills the GPU)
 *   conv_transpose2d is backward-input with (C, OC) and (H,W)/(OH,OW) swapped; its w is
 *                    [IC,OC,KH,KW] (PyTorch), which is exactly backward-input's [OC_bi,C_bi,..].
 * FLOPs 2·NB·OC·C·KH·KW·OH·OW for each of the three.
 *
 * Tiles: 64×64 outputs per 256-thread block, BK = 16, 4×4 outputs per thread in registers.
 * Each thread's GEMM column (an output pixel, or a filter tap for backward-filter) is decoded
 * once; only the k index is decoded per loaded element. Backward-input (and so
 * conv_transpose2d) with stride > 1 and dilation 1 runs one GEMM per stride phase (version 2,
 * default) so no zero taps are multiplied; version 1 (LAMKIT_CUDA_CONV=1 or
 * lam_cuda_set_conv_version(1)) is the generic gather, kept for bisecting.
 *
 * Test: native/tests/cuda_kernels_test.cpp (vs the CPU lam_f32_conv2d* kernels, odd sizes,
 * stride/pad/dilation). Bench: benchmarks/cuda/cuda_bench.cu (conv64 layer shapes).
 */
#include <stdlib.h>

#include "common.cuh"

namespace {

enum Mode { FWD = 0, BWD_IN = 1, BWD_W = 2 };

struct Geo {
  int NB, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW;
  int M, N, K;  // GEMM view for the mode
};

constexpr int BM = 64, BN = 64, BK = 16, T = 256;

// A(m, k): the "weights-like" operand.
template <int MODE>
__device__ __forceinline__ float load_a(const Geo& g, const float* __restrict__ a, int m, int k) {
  if (m >= g.M || k >= g.K) return 0.f;
  if (MODE == FWD) return a[(size_t)m * g.K + k];  // w[oc, (c,kh,kw)]
  if (MODE == BWD_IN) {                             // w[oc,c,kh,kw] with m = c, k = (oc,kh,kw)
    const int khw = g.KH * g.KW;
    const int oc = k / khw, r = k - oc * khw;
    return a[((size_t)oc * g.C + m) * khw + r];
  }
  // BWD_W: dy[n, oc=m, p] with k = (n, p)
  const int ohw = g.OH * g.OW;
  const int n = k / ohw, p = k - n * ohw;
  return a[((size_t)n * g.OC + m) * ohw + p];
}

// Per-column state decoded once per thread.
struct Col {
  int valid, n, y, x;  // FWD/BWD_IN: image n, pixel (y,x); BWD_W: y = kh, x = kw, n = c
};

template <int MODE>
__device__ __forceinline__ Col decode_col(const Geo& g, int col) {
  Col c;
  c.valid = col < g.N;
  if (!c.valid) { c.n = c.y = c.x = 0; return c; }
  if (MODE == FWD) {
    const int ohw = g.OH * g.OW;
    c.n = col / ohw; const int p = col - c.n * ohw;
    c.y = p / g.OW; c.x = p - c.y * g.OW;
  } else if (MODE == BWD_IN) {
    const int hw = g.H * g.W;
    c.n = col / hw; const int p = col - c.n * hw;
    c.y = p / g.W; c.x = p - c.y * g.W;
  } else {
    const int khw = g.KH * g.KW;
    c.n = col / khw; const int r = col - c.n * khw;  // n holds the input channel c
    c.y = r / g.KW; c.x = r - c.y * g.KW;
  }
  return c;
}

// B(k, col): the gathered image operand.
template <int MODE>
__device__ __forceinline__ float load_b(const Geo& g, const float* __restrict__ b, const Col& c,
                                        int k) {
  if (!c.valid || k >= g.K) return 0.f;
  if (MODE == FWD) {  // x[n, ci, oh·sh − ph + kh·dh, ...] with k = (ci,kh,kw)
    const int khw = g.KH * g.KW;
    const int ci = k / khw, r = k - ci * khw;
    const int kh = r / g.KW, kw = r - kh * g.KW;
    const int ih = c.y * g.sh - g.ph + kh * g.dh, iw = c.x * g.sw - g.pw + kw * g.dw;
    if ((unsigned)ih >= (unsigned)g.H || (unsigned)iw >= (unsigned)g.W) return 0.f;
    return b[(((size_t)c.n * g.C + ci) * g.H + ih) * g.W + iw];
  }
  if (MODE == BWD_IN) {  // dy[n, oc, oh, ow] with k = (oc,kh,kw), (ih,iw) = (c.y,c.x)
    const int khw = g.KH * g.KW;
    const int oc = k / khw, r = k - oc * khw;
    const int kh = r / g.KW, kw = r - kh * g.KW;
    const int ty = c.y + g.ph - kh * g.dh, tx = c.x + g.pw - kw * g.dw;
    if (ty < 0 || tx < 0) return 0.f;
    const int oh = ty / g.sh, ow = tx / g.sw;
    if (oh * g.sh != ty || ow * g.sw != tx || oh >= g.OH || ow >= g.OW) return 0.f;
    return b[(((size_t)c.n * g.OC + oc) * g.OH + oh) * g.OW + ow];
  }
  // BWD_W: x[n, ci, oh·sh − ph + kh·dh, ...] with k = (n, oh, ow), column (ci,kh,kw)
  const int ohw = g.OH * g.OW;
  const int n = k / ohw, p = k - n * ohw;
  const int oh = p / g.OW, ow = p - oh * g.OW;
  const int ih = oh * g.sh - g.ph + c.y * g.dh, iw = ow * g.sw - g.pw + c.x * g.dw;
  if ((unsigned)ih >= (unsigned)g.H || (unsigned)iw >= (unsigned)g.W) return 0.f;
  return b[(((size_t)n * g.C + c.n) * g.H + ih) * g.W + iw];
}

// Output address of (m, col).
template <int MODE>
__device__ __forceinline__ size_t out_index(const Geo& g, int m, int col) {
  if (MODE == FWD) {
    const int ohw = g.OH * g.OW;
    const int n = col / ohw, p = col - n * ohw;
    return ((size_t)n * g.OC + m) * ohw + p;
  }
  if (MODE == BWD_IN) {
    const int hw = g.H * g.W;
    const int n = col / hw, p = col - n * hw;
    return ((size_t)n * g.C + m) * hw + p;
  }
  return (size_t)m * g.N + col;  // dw is [OC, C·KH·KW] contiguous
}

template <int MODE>
__global__ void __launch_bounds__(T) conv_igemm(Geo g, const float* __restrict__ a,
                                                const float* __restrict__ b, float* __restrict__ out,
                                                int acc, int kchunk, int atomic) {
  __shared__ __align__(16) float As[BK][BM + 4];  // k-major; +4 keeps rows 16-byte aligned for float4
  __shared__ __align__(16) float Bs[BK][BN + 4];
  const int tid = threadIdx.x;
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  const int kbeg = blockIdx.z * kchunk, kend = min(g.K, kbeg + kchunk);
  const int ty = tid / 16, tx = tid % 16;

  // Loader roles: A tile 64(m)×16(k): k = tid%16, m = tid/16 + 16j. Threads along k read
  // consecutive weights (forward) — for backward-filter, k = pixels, also contiguous.
  const int a_k = tid % BK, a_m = tid / BK;
  // B tile 16(k)×64(col): col = tid%64 fixed for the whole kernel, k = tid/64 + 4j.
  const int b_col = tid % BN, b_k = tid / BN;
  const Col col = decode_col<MODE>(g, n0 + b_col);

  float r[4][4];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) r[i][j] = 0.f;

  for (int k0 = kbeg; k0 < kend; k0 += BK) {
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int m = a_m + 16 * j, k = k0 + a_k;
      As[a_k][m] = (k < kend) ? load_a<MODE>(g, a, m0 + m, k) : 0.f;
    }
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int kk = b_k + 4 * j, k = k0 + kk;
      Bs[kk][b_col] = (k < kend) ? load_b<MODE>(g, b, col, k) : 0.f;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < BK; ++kk) {
      const float4 av = *reinterpret_cast<const float4*>(&As[kk][ty * 4]);
      const float4 bv = *reinterpret_cast<const float4*>(&Bs[kk][tx * 4]);
      const float ar[4] = {av.x, av.y, av.z, av.w};
      const float br[4] = {bv.x, bv.y, bv.z, bv.w};
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) r[i][j] = fmaf(ar[i], br[j], r[i][j]);
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int m = m0 + ty * 4 + i;
    if (m >= g.M) break;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int c = n0 + tx * 4 + j;
      if (c >= g.N) break;
      float* o = out + out_index<MODE>(g, m, c);
      if (atomic) atomicAdd(o, r[i][j]);
      else *o = acc ? *o + r[i][j] : r[i][j];
    }
  }
}

template <int MODE>
int launch(Geo g, const float* a, const float* b, float* out, int acc, int64_t out_elems,
           cudaStream_t s) {
  if (g.M <= 0 || g.N <= 0) return 0;
  const int tiles_n = (g.N + BN - 1) / BN, tiles_m = (g.M + BM - 1) / BM;
  const int tiles = tiles_n * tiles_m;
  int splits = 1;
  if (MODE == BWD_W) {
    // Aim for ~2 blocks per SM; each slice keeps ≥ 8 k-tiles so the atomics stay a small cost.
    const int target = 2 * lamcuda::sm_count();
    if (tiles < target) {
      splits = (target + tiles - 1) / tiles;
      const int max_splits = g.K / (BK * 8);
      if (splits > max_splits) splits = max_splits;
      if (splits < 1) splits = 1;
    }
  }
  int kchunk = BK;
  if (g.K > 0) {
    kchunk = (g.K + splits - 1) / splits;
    kchunk = (kchunk + BK - 1) / BK * BK;
    splits = (g.K + kchunk - 1) / kchunk;
  }
  const int atomic = splits > 1;
  if (atomic && !acc) {
    cudaError_t e = cudaMemsetAsync(out, 0, (size_t)out_elems * sizeof(float), s);
    if (e != cudaSuccess) return (int)e;
  }
  dim3 grid(tiles_n, tiles_m, splits);
  if (grid.y > 65535) return (int)cudaErrorInvalidConfiguration;
  conv_igemm<MODE><<<grid, T, 0, s>>>(g, a, b, out, acc, kchunk, atomic);
  return lamcuda::launch_status();
}

// ---- backward-input by stride phase ------------------------------------------------------------
// For stride s > 1 (dilation 1) an input pixel ih only receives taps kh ≡ (ih + ph) mod s; the
// generic gather loads the other (s−1)/s of the taps as zeros. Here blockIdx.z picks one phase
// (py, px) = ((ih+ph) mod sh, (iw+pw) mod sw): its pixels are ih = ry + iy·sh (ry ≡ py − ph), its
// taps kh = py + ty·sh, and oh = (ih + ph − kh)/sh is exact by construction. GEMM per phase:
// M = C, N = NB·Hp·Wp, K = OC·KHp·KWp — s² fewer FMAs for k4s2 (conv64's decoder and every
// strided conv's backward pass).
struct Phase {
  int py, px, ry, rx, Hp, Wp, KHp, KWp, N, K;
};

__device__ __forceinline__ Phase phase_of(const Geo& g, int z) {
  Phase f;
  f.py = z / g.sw; f.px = z - f.py * g.sw;
  f.ry = ((f.py - g.ph) % g.sh + g.sh) % g.sh;
  f.rx = ((f.px - g.pw) % g.sw + g.sw) % g.sw;
  f.Hp = g.H > f.ry ? (g.H - f.ry + g.sh - 1) / g.sh : 0;
  f.Wp = g.W > f.rx ? (g.W - f.rx + g.sw - 1) / g.sw : 0;
  f.KHp = g.KH > f.py ? (g.KH - f.py + g.sh - 1) / g.sh : 0;
  f.KWp = g.KW > f.px ? (g.KW - f.px + g.sw - 1) / g.sw : 0;
  f.N = g.NB * f.Hp * f.Wp;
  f.K = g.OC * f.KHp * f.KWp;
  return f;
}

__global__ void __launch_bounds__(T) conv_bwd_in_phased(Geo g, const float* __restrict__ w,
                                                        const float* __restrict__ dy,
                                                        float* __restrict__ dx, int acc) {
  __shared__ __align__(16) float As[BK][BM + 4];
  __shared__ __align__(16) float Bs[BK][BN + 4];
  const Phase f = phase_of(g, blockIdx.z);
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  if (n0 >= f.N) return;  // the grid is sized for the largest phase; uniform per block
  const int tid = threadIdx.x;
  const int ty = tid / 16, tx = tid % 16;
  const int a_k = tid % BK, a_m = tid / BK;
  const int b_col = tid % BN, b_k = tid / BN;
  const int khw = f.KHp * f.KWp, hwp = f.Hp * f.Wp;
  // This thread's B column: image n, input pixel (ih, iw) of the phase.
  const int col = n0 + b_col;
  const bool col_ok = col < f.N;
  int cn = 0, ih = 0, iw = 0;
  if (col_ok) {
    cn = col / hwp;
    const int p = col - cn * hwp;
    const int iy = p / f.Wp;
    ih = f.ry + iy * g.sh;
    iw = f.rx + (p - iy * f.Wp) * g.sw;
  }
  float r[4][4];
#pragma unroll
  for (int i = 0; i < 4; ++i)
#pragma unroll
    for (int j = 0; j < 4; ++j) r[i][j] = 0.f;

  for (int k0 = 0; k0 < f.K; k0 += BK) {
#pragma unroll
    for (int j = 0; j < 4; ++j) {  // A(m = c, k = (oc, ty, tx)) = w[oc, c, kh, kw]
      const int m = m0 + a_m + 16 * j, k = k0 + a_k;
      float v = 0.f;
      if (m < g.C && k < f.K) {
        const int oc = k / khw, t = k - oc * khw;
        const int tyy = t / f.KWp, txx = t - tyy * f.KWp;
        const int kh = f.py + tyy * g.sh, kw = f.px + txx * g.sw;
        v = w[(((size_t)oc * g.C + m) * g.KH + kh) * g.KW + kw];
      }
      As[a_k][a_m + 16 * j] = v;
    }
#pragma unroll
    for (int j = 0; j < 4; ++j) {  // B(k, col) = dy[n, oc, oh, ow]
      const int kk = b_k + 4 * j, k = k0 + kk;
      float v = 0.f;
      if (col_ok && k < f.K) {
        const int oc = k / khw, t = k - oc * khw;
        const int tyy = t / f.KWp, txx = t - tyy * f.KWp;
        const int th = ih + g.ph - (f.py + tyy * g.sh), tw = iw + g.pw - (f.px + txx * g.sw);
        if (th >= 0 && tw >= 0) {
          const int oh = th / g.sh, ow = tw / g.sw;
          if (oh < g.OH && ow < g.OW) v = dy[(((size_t)cn * g.OC + oc) * g.OH + oh) * g.OW + ow];
        }
      }
      Bs[kk][b_col] = v;
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < BK; ++kk) {
      const float4 av = *reinterpret_cast<const float4*>(&As[kk][ty * 4]);
      const float4 bv = *reinterpret_cast<const float4*>(&Bs[kk][tx * 4]);
      const float ar[4] = {av.x, av.y, av.z, av.w};
      const float br[4] = {bv.x, bv.y, bv.z, bv.w};
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) r[i][j] = fmaf(ar[i], br[j], r[i][j]);
    }
    __syncthreads();
  }

#pragma unroll
  for (int j = 0; j < 4; ++j) {
    const int c = n0 + tx * 4 + j;
    if (c >= f.N) break;
    const int n = c / hwp, p = c - n * hwp;
    const int iy = p / f.Wp;
    const int oy = f.ry + iy * g.sh, ox = f.rx + (p - iy * f.Wp) * g.sw;
#pragma unroll
    for (int i = 0; i < 4; ++i) {
      const int m = m0 + ty * 4 + i;
      if (m >= g.C) break;
      float* o = dx + (((size_t)n * g.C + m) * g.H + oy) * g.W + ox;
      *o = acc ? *o + r[i][j] : r[i][j];
    }
  }
}

int g_conv_version = -1;  // 1 generic gather, 2 stride-phase backward-input (default)

int conv_version() {
  if (g_conv_version < 0) {
    const char* e = getenv("LAMKIT_CUDA_CONV");
    g_conv_version = (e && atoi(e) == 1) ? 1 : 2;
  }
  return g_conv_version;
}

int launch_bwd_in_phased(Geo g, const float* w, const float* dy, float* dx, int acc, cudaStream_t s) {
  // Grid sized for the largest phase (phase 0 pixels / taps are never fewer than the others').
  const int Hp = (g.H + g.sh - 1) / g.sh, Wp = (g.W + g.sw - 1) / g.sw;
  const int64_t nmax = (int64_t)g.NB * Hp * Wp;
  dim3 grid((unsigned)((nmax + BN - 1) / BN), (unsigned)((g.C + BM - 1) / BM), (unsigned)(g.sh * g.sw));
  if (grid.y > 65535 || grid.z > 65535) return (int)cudaErrorInvalidConfiguration;
  conv_bwd_in_phased<<<grid, T, 0, s>>>(g, w, dy, dx, acc);
  return lamcuda::launch_status();
}

Geo make_geo(int64_t N, int64_t C, int64_t H, int64_t W, int64_t OC, int64_t KH, int64_t KW,
             int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t OH,
             int64_t OW) {
  Geo g;
  g.NB = (int)N; g.C = (int)C; g.H = (int)H; g.W = (int)W; g.OC = (int)OC;
  g.KH = (int)KH; g.KW = (int)KW; g.sh = (int)sh; g.sw = (int)sw; g.ph = (int)ph; g.pw = (int)pw;
  g.dh = (int)dh; g.dw = (int)dw; g.OH = (int)OH; g.OW = (int)OW;
  g.M = g.N = g.K = 0;
  return g;
}

}  // namespace

extern "C" {

void lam_cuda_set_conv_version(int version) { g_conv_version = version == 1 ? 1 : 2; }
int lam_cuda_get_conv_version(void) { return conv_version(); }

int lam_cuda_f32_conv2d(const float* x, const float* w, float* y, int64_t N, int64_t C, int64_t H,
                        int64_t W, int64_t OC, int64_t KH, int64_t KW, int64_t sh, int64_t sw,
                        int64_t ph, int64_t pw, int64_t dh, int64_t dw, int64_t OH, int64_t OW,
                        int acc, cudaStream_t stream) {
  Geo g = make_geo(N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW);
  g.M = g.OC; g.N = g.NB * g.OH * g.OW; g.K = g.C * g.KH * g.KW;
  return launch<FWD>(g, w, x, y, acc, N * OC * OH * OW, stream);
}

int lam_cuda_f32_conv2d_backward_input(const float* dy, const float* w, float* dx, int64_t N,
                                       int64_t C, int64_t H, int64_t W, int64_t OC, int64_t KH,
                                       int64_t KW, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                                       int64_t dh, int64_t dw, int64_t OH, int64_t OW, int acc,
                                       cudaStream_t stream) {
  Geo g = make_geo(N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW);
  g.M = g.C; g.N = g.NB * g.H * g.W; g.K = g.OC * g.KH * g.KW;
  if (g.M <= 0 || g.N <= 0) return 0;
  if (conv_version() == 2 && g.dh == 1 && g.dw == 1 && (g.sh > 1 || g.sw > 1))
    return launch_bwd_in_phased(g, w, dy, dx, acc, stream);
  return launch<BWD_IN>(g, w, dy, dx, acc, N * C * H * W, stream);
}

int lam_cuda_f32_conv2d_backward_filter(const float* x, const float* dy, float* dwt, int64_t N,
                                        int64_t C, int64_t H, int64_t W, int64_t OC, int64_t KH,
                                        int64_t KW, int64_t sh, int64_t sw, int64_t ph, int64_t pw,
                                        int64_t dh, int64_t dw, int64_t OH, int64_t OW, int acc,
                                        cudaStream_t stream) {
  Geo g = make_geo(N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW);
  g.M = g.OC; g.N = g.C * g.KH * g.KW; g.K = g.NB * g.OH * g.OW;
  return launch<BWD_W>(g, dy, x, dwt, acc, OC * C * KH * KW, stream);
}

int lam_cuda_f32_conv_transpose2d(const float* x, const float* w, float* y, int64_t N, int64_t IC,
                                  int64_t H, int64_t W, int64_t OC, int64_t KH, int64_t KW,
                                  int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                                  int64_t dw, int64_t OH, int64_t OW, int acc,
                                  cudaStream_t stream) {
  // y = conv2d_backward_input(dy = x, w) for a conv2d with C = OC, OC = IC, input OH×OW.
  return lam_cuda_f32_conv2d_backward_input(x, w, y, N, OC, OH, OW, IC, KH, KW, sh, sw, ph, pw,
                                            dh, dw, H, W, acc, stream);
}

}  // extern "C"
