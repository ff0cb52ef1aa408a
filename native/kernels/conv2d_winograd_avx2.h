// Winograd F(2×2, 2×2) pieces shared by the 4×4 stride-2 conv kernels: the forward
// (conv2d_winograd_avx2.cpp) and the input gradient / transposed conv
// (conv2d_winograd_bwd_avx2.cpp). Include only from *_avx2.cpp files (compiled with -mavx2 -mfma).
// Both reduce their conv to 2×2 stride-1 convs (over input phases forward, over output phases
// backward) and compute each 2×2 output tile from 9 products per (channel, input channel):
//   input  v = Bᵀ d B, d a 3×3 patch,  Bᵀ = [1 −1 0; 0 1 0; 0 −1 1]
//   weight u = G g Gᵀ, g a 2×2 kernel, G  = [1 0; 1 1; 0 1]
//   output y = Aᵀ m A, m[ξ] = Σ_k u[ξ][k] · v[ξ][k],  Aᵀ = [1 1 0; 0 1 1]
// (all coefficients ±1: no rounding beyond the few extra additions). Positions ξ = 3i + j.
#ifndef LAMKIT_CONV2D_WINOGRAD_AVX2_H
#define LAMKIT_CONV2D_WINOGRAD_AVX2_H

#include <immintrin.h>
#include <stdint.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "conv2d_direct_avx2.h"
#include "runtime/thread_pool.h"

namespace lamkit {
namespace wg {

const int kOB = 16;        // output channels per block (2 vectors)
const int kP = 6;          // tiles per register tile
const int kXi = 9;         // transform positions (3 × 3)
const int64_t kKC = 256;   // input channels per run (16 KiB of U in L1)

// v[ξ·vstride + 0..7] = (Bᵀ d B)[ξ] for the 8 channels of the 3×3 patch at p (rows rowk floats
// apart, columns colk).
inline void input_tile8(const float* p, int64_t rowk, int64_t colk, float* v, int64_t vstride) {
  __m256 d[3][3];
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) d[i][j] = _mm256_loadu_ps(p + i * rowk + j * colk);
  for (int j = 0; j < 3; ++j) {  // Bᵀ d: rows
    d[0][j] = _mm256_sub_ps(d[0][j], d[1][j]);
    d[2][j] = _mm256_sub_ps(d[2][j], d[1][j]);
  }
  for (int i = 0; i < 3; ++i) {  // (Bᵀ d) B: columns
    _mm256_storeu_ps(v + (3 * i) * vstride, _mm256_sub_ps(d[i][0], d[i][1]));
    _mm256_storeu_ps(v + (3 * i + 1) * vstride, d[i][1]);
    _mm256_storeu_ps(v + (3 * i + 2) * vstride, _mm256_sub_ps(d[i][2], d[i][1]));
  }
}

// u = G g Gᵀ for one 2×2 kernel g = [g00 g01; g10 g11] (float for scalar tails, __m256 over 8
// channels).
template <class T, class Add>
inline void weight_tile(T g00, T g01, T g10, T g11, Add add, T u[9]) {
  const T s[3][2] = {{g00, g01}, {add(g00, g10), add(g01, g11)}, {g10, g11}};  // G g
  for (int i = 0; i < 3; ++i) {  // · Gᵀ
    u[3 * i] = s[i][0];
    u[3 * i + 1] = add(s[i][0], s[i][1]);
    u[3 * i + 2] = s[i][1];
  }
}
inline __m256 add8(__m256 a, __m256 b) { return _mm256_add_ps(a, b); }
inline float add1(float a, float b) { return a + b; }

// y[0..3] (rows (0,0), (0,1), (1,0), (1,1)) = Aᵀ m A for 8 channels.
inline void output_tile8(const __m256 m[9], __m256 y[4]) {
  __m256 o[2][3];  // Aᵀ m: rows
  for (int j = 0; j < 3; ++j) {
    o[0][j] = _mm256_add_ps(m[j], m[3 + j]);
    o[1][j] = _mm256_add_ps(m[3 + j], m[6 + j]);
  }
  for (int i = 0; i < 2; ++i) {  // · A: columns
    y[2 * i] = _mm256_add_ps(o[i][0], o[i][1]);
    y[2 * i + 1] = _mm256_add_ps(o[i][1], o[i][2]);
  }
}

// NP (≤ 6) tiles × 16 channels at one position over input channels [k0, k1): u = the block's
// panel ([k][16]) at k0, v = the first tile's V row (tiles ld floats apart, channel k at v[k]),
// m = [NP][16] sums (first: start from 0, else add to m). The direct conv kernel's register tile
// (conv2d_direct_avx2.cpp): 2 weight loads, NP broadcasts, 2·NP FMAs per k.
template <int NP>
void gemm_tile(const float* u, const float* v, int64_t ld, int64_t k0, int64_t k1, float* m, bool first) {
  __m256 a0[NP], a1[NP];
  const float* b[NP];
#pragma GCC unroll 6
  for (int j = 0; j < NP; ++j) {
    if (first) {
      a0[j] = _mm256_setzero_ps();
      a1[j] = _mm256_setzero_ps();
    } else {
      a0[j] = _mm256_load_ps(m + j * kOB);
      a1[j] = _mm256_load_ps(m + j * kOB + 8);
    }
    b[j] = v + j * ld;
    asm("" : "+r"(b[j]));  // keep b[j] in a register (see conv2d_direct_avx2.cpp's tile)
  }
  for (int64_t k = k0; k < k1; ++k) {
    const __m256 w0 = _mm256_load_ps(u), w1 = _mm256_load_ps(u + 8);
    u += kOB;
#pragma GCC unroll 6
    for (int j = 0; j < NP; ++j) {
      const __m256 xv = _mm256_broadcast_ss(b[j] + k);
      a0[j] = _mm256_fmadd_ps(w0, xv, a0[j]);
      a1[j] = _mm256_fmadd_ps(w1, xv, a1[j]);
    }
  }
#pragma GCC unroll 6
  for (int j = 0; j < NP; ++j) {
    _mm256_store_ps(m + j * kOB, a0[j]);
    _mm256_store_ps(m + j * kOB + 8, a1[j]);
  }
}

// For blocks [b0, b1): M[block][g][ξ][6][16] = U[ξ][block] · V[ξ] over the tiles of a chunk.
// U: positions ustride floats apart, blocks Kp·16 apart ([Kp][16] panels); V = [ξ][vt tiles][Kp];
// M: blocks mblock floats apart; nt tiles in 6-tile groups. Positions outer, so V[ξ] stays in L2
// while every block's panel streams past it.
inline void gemm_chunk(const float* U, int64_t ustride, int64_t b0, int64_t b1, const float* V, int64_t vt,
                       int64_t Kp, int64_t nt, float* M, int64_t mblock) {
  typedef void (*fn)(const float*, const float*, int64_t, int64_t, int64_t, float*, bool);
  static const fn tiles[kP + 1] = {nullptr, gemm_tile<1>, gemm_tile<2>, gemm_tile<3>,
                                   gemm_tile<4>, gemm_tile<5>, gemm_tile<6>};
  const int64_t groups = (nt + kP - 1) / kP;
  for (int xi = 0; xi < kXi; ++xi) {
    const float* vp = V + xi * vt * Kp;
    for (int64_t ob = b0; ob < b1; ++ob) {
      const float* up = U + xi * ustride + ob * Kp * kOB;
      float* mo = M + ob * mblock + xi * kP * kOB;
      for (int64_t k0 = 0; k0 < Kp; k0 += kKC) {
        const int64_t k1 = Kp < k0 + kKC ? Kp : k0 + kKC;
        for (int64_t gi = 0; gi < groups; ++gi) {
          const int np = (int)(nt - gi * kP < kP ? nt - gi * kP : kP);
          tiles[np](up + k0 * kOB, vp + gi * kP * Kp, Kp, k0, k1, mo + gi * kXi * kP * kOB, k0 == 0);
        }
      }
    }
  }
}

// The work plan of both kernels. Images go in units (a thread's work), enough of them to fill a
// chunk of `target` tiles when images have few tiles (conv64's 4×4 layer: 4), units rounded so
// the threads get equal numbers; chunks split a unit's tiles evenly in whole 6-tile groups.
//   prep(n0, ni, buf): copy the unit's images [n0, n0 + ni) into buf (buf_img floats each);
//   input(buf, t0, n, vt, V): V for tiles [t0, t0 + n) of the unit (vt tiles per position);
//   blocks(n0, t0, n, vt, V, M, b0, b1): output-channel blocks [b0, b1) of that chunk from V.
// With at least as many units as threads, each thread takes whole units (atomic counter);
// otherwise units run in turn and each chunk's blocks are split. Which tiles share a chunk does
// not change any sum, so results do not depend on the thread count.
template <class Prep, class Input, class Blocks>
void run_units(int64_t N, int64_t timg, int64_t target, int nt, int64_t nblocks, int64_t buf_img,
               int64_t vfloats, int64_t mfloats, Prep prep, Input input, Blocks blocks) {
  int64_t units = timg >= target ? N : (N + target / timg - 1) / (target / timg);
  if (units < N && nt > 1) units = std::min(N, (units + nt - 1) / nt * nt);
  const int64_t per_unit = (N + units - 1) / units;
  units = (N + per_unit - 1) / per_unit;
  // Unit un: its images into buf, then each chunk's V, then chunk(n0, t0, n, vt).
  auto each_chunk = [&](int64_t un, float* buf, float* V, auto&& chunk_fn) {
    const int64_t n0 = un * per_unit, ni = std::min(per_unit, N - n0), tiles = ni * timg;
    prep(n0, ni, buf);
    const int64_t parts = (tiles + target - 1) / target;
    const int64_t chunk = ((tiles + parts - 1) / parts + kP - 1) / kP * kP;
    for (int64_t t0 = 0; t0 < tiles; t0 += chunk) {
      const int64_t n = std::min(chunk, tiles - t0);
      input(buf, t0, n, chunk, V);
      chunk_fn(n0, t0, n, chunk);
    }
  };
  if (units >= nt) {
    std::atomic<int64_t> next{0};
    parallel(nt, [&](int, int) {
      // Declared here, not in the enclosing function: a thread_local is constructed (and its
      // destructor registered) only on threads that pass its declaration.
      thread_local std::vector<float> bufv, vv, mv;
      float* buf = conv_scratch(bufv, per_unit * buf_img);
      float* V = conv_scratch(vv, vfloats);
      float* M = conv_scratch(mv, mfloats);
      for (int64_t un; (un = next.fetch_add(1, std::memory_order_relaxed)) < units;)
        each_chunk(un, buf, V, [&](int64_t n0, int64_t t0, int64_t n, int64_t vt) {
          blocks(n0, t0, n, vt, V, M, (int64_t)0, nblocks);
        });
    });
    return;
  }
  thread_local std::vector<float> bufv, vv, mv;  // the calling thread's
  float* buf = conv_scratch(bufv, per_unit * buf_img);
  float* V = conv_scratch(vv, vfloats);
  float* M = conv_scratch(mv, mfloats);  // blocks write disjoint slices
  for (int64_t un = 0; un < units; ++un)
    each_chunk(un, buf, V, [&](int64_t n0, int64_t t0, int64_t n, int64_t vt) {
      std::atomic<int64_t> next{0};
      parallel(nt, [&](int, int) {
        for (int64_t b; (b = next.fetch_add(1, std::memory_order_relaxed)) < nblocks;)
          blocks(n0, t0, n, vt, V, M, b, b + 1);
      });
    });
}

}  // namespace wg
}  // namespace lamkit

#endif
