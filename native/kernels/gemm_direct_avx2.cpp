// lamkit::sgemm_direct_avx2 — unpacked AVX2+FMA SGEMM for skinny products (gemm_direct.h).
// Register tiles of MR rows × 8·NV columns read op(A) and B straight from memory: A values are
// broadcast (any layout), B rows are loaded 8 floats at a time (so B must be K×N with unit
// column stride; the caller transposes a tb operand into that layout first).
// Why: LAM layers are skinny (linear-exo: N, M or K = 8; linear-1k: 32). There the packed BLIS
// path re-packs a whole operand for a few FMAs per element and runs half-empty 6×16 tiles
// (16–30 GFLOP/s measured at 512×8×64); these tiles skip packing and use 12×8 tiles for
// 8-wide column groups.
// Loop order: `rows_outer` keeps one MR-row strip of A in L1 and streams all of B (≤ 256 KiB,
// L2) under it; otherwise one column group of B stays in L1/L2 while all rows of A stream by.
// Compiled with -mavx2 -mfma (file suffix); empty on other targets. Test: native/tests/matmul_test.cpp.
#include "gemm_direct.h"
#include "gemm_vec_ukernel.h"
#include "vec_load.h"

#if defined(__x86_64__)
#include <string.h>

#include <vector>

namespace {

typedef float v8 __attribute__((vector_size(32)));

// C[MR × 8·NV] (= | +=) Σ_k a(i,k) · B[k, 0:8·NV];  a(i,k) = a[i·ars + k·aks].
template <int MR, int NV>
void tile(int64_t K, const float* a, int64_t ars, int64_t aks, const float* b, int64_t ldb,
          float* c, int64_t ldc, int acc) {
  lamkit::gemm_vec_tile<v8, MR, NV>(K, a, ars, aks, b, ldb, c, ldc, acc);
}

typedef void (*tile_fn)(int64_t, const float*, int64_t, int64_t, const float*, int64_t, float*,
                        int64_t, int);

// Full tiles: 6×16 (12 accumulators) and 12×8; row edges use the same width with fewer rows.
const int kMR16 = 6, kMR8 = 12;
const tile_fn kTiles16[kMR16 + 1] = {nullptr, tile<1, 2>, tile<2, 2>, tile<3, 2>, tile<4, 2>, tile<5, 2>, tile<6, 2>};
const tile_fn kTiles8[kMR8 + 1] = {nullptr,    tile<1, 1>, tile<2, 1>, tile<3, 1>,  tile<4, 1>,  tile<5, 1>, tile<6, 1>,
                                   tile<7, 1>, tile<8, 1>, tile<9, 1>, tile<10, 1>, tile<11, 1>, tile<12, 1>};

// Operands whose consecutive k steps sit ≥ 1 KiB apart (a transposed A strip, a B column
// group of a wide matrix) touch a new cache line, often a new page, per k, and their lines
// alias in L1 at 4 KiB strides: such a strip/group is first copied into a contiguous buffer.
const int64_t kCopyStride = 256;

// Columns [j0, j1) (multiples of 8) of rows [i0, i1).
void block(int ta, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
           int64_t ldc, int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t K, int acc,
           bool rows_outer) {
  const int64_t j16 = j0 + (j1 - j0) / 16 * 16;  // 16-wide groups, then one 8-wide group
  thread_local std::vector<float> buf;
  if (rows_outer) {
    const bool copy = ta && lda >= kCopyStride;
    if (copy && (int64_t)buf.size() < K * kMR8) buf.resize((size_t)(K * kMR8));
    for (int64_t i = i0; i < i1; i += kMR8) {
      const int64_t rows = i1 - i < kMR8 ? i1 - i : kMR8;
      const float* a = ta ? A + i : A + i * lda;
      int64_t ars = ta ? 1 : lda, aks = ta ? lda : 1;
      if (copy) {
        // k-major strip: buf[k·12 + r] = A[k·lda + i + r]
        for (int64_t k = 0; k < K; ++k)
          for (int64_t r = 0; r < rows; ++r) buf[(size_t)(k * kMR8 + r)] = A[k * lda + i + r];
        a = buf.data();
        ars = 1;
        aks = kMR8;
      }
      float* c = C + i * ldc;
      for (int64_t sub = 0; sub < rows; sub += kMR16) {
        const int64_t r = rows - sub < kMR16 ? rows - sub : kMR16;
        for (int64_t j = j0; j < j16; j += 16)
          kTiles16[r](K, a + sub * ars, ars, aks, B + j, ldb, c + sub * ldc + j, ldc, acc);
      }
      if (j16 < j1) kTiles8[rows](K, a, ars, aks, B + j16, ldb, c + j16, ldc, acc);
    }
    return;
  }
  const int64_t ars = ta ? 1 : lda, aks = ta ? lda : 1;
  const bool copy = ldb >= kCopyStride;
  if (copy && (int64_t)buf.size() < K * 16) buf.resize((size_t)(K * 16));
  for (int64_t j = j0; j < j1; j += 16) {
    const int64_t w = j < j16 ? 16 : 8;
    const float* b = B + j;
    int64_t bs = ldb;
    if (copy) {
      for (int64_t k = 0; k < K; ++k)
        for (int64_t c = 0; c < w; ++c) buf[(size_t)(k * w + c)] = B[k * ldb + j + c];
      b = buf.data();
      bs = w;
    }
    const int mr = w == 16 ? kMR16 : kMR8;
    for (int64_t i = i0; i < i1; i += mr) {
      const int64_t r = i1 - i < mr ? i1 - i : mr;
      const float* a = A + i * ars;
      float* c = C + i * ldc + j;
      if (w == 16) kTiles16[r](K, a, ars, aks, b, bs, c, ldc, acc);
      else kTiles8[r](K, a, ars, aks, b, bs, c, ldc, acc);
    }
  }
}

// ---- dot-product form: A rows and B rows both run along k ----
// C[R × CC] (= | +=) A[R rows, K] · B[CC rows, K]ᵀ: 8 k at a time into R·CC vector partial
// sums, reduced once at the end (so K must be long for the reduction to vanish in the cost).
inline float hsum(v8 v) {
  // Fixed pairwise order: deterministic, independent of the call site.
  const float a = (v[0] + v[4]) + (v[2] + v[6]);
  const float b = (v[1] + v[5]) + (v[3] + v[7]);
  return a + b;
}

template <int R, int CC>
void dot_tile(int64_t K, const float* a, int64_t lda, const float* b, int64_t ldb, float* c,
              int64_t ldc, int acc) {
  v8 t[R][CC];
#pragma GCC unroll 4
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < CC; ++j) t[i][j] = v8{};
  int64_t k = 0;
  for (; k + 8 <= K; k += 8) {
    // R·CC accumulators + R A vectors + 1 B vector must fit the 16 ymm registers.
    v8 av[R];
#pragma GCC unroll 4
    for (int i = 0; i < R; ++i) av[i] = lamkit::loadv<v8>(a + i * lda + k);
#pragma GCC unroll 4
    for (int j = 0; j < CC; ++j) {
      const v8 bv = lamkit::loadv<v8>(b + j * ldb + k);
#pragma GCC unroll 4
      for (int i = 0; i < R; ++i) t[i][j] += av[i] * bv;
    }
  }
#pragma GCC unroll 4
  for (int i = 0; i < R; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < CC; ++j) {
      float s = hsum(t[i][j]);
      for (int64_t kk = k; kk < K; ++kk) s += a[i * lda + kk] * b[j * ldb + kk];
      float* ci = c + i * ldc + j;
      *ci = acc ? *ci + s : s;
    }
}

typedef void (*dot_fn)(int64_t, const float*, int64_t, const float*, int64_t, float*, int64_t, int);
// 3×3: 9 FMAs per 6 loads per 8 k (FMA-bound); 3×4 needed 19 registers and spilled.
const int kDotR = 3, kDotC = 3;
const dot_fn kDot[kDotR + 1][kDotC + 1] = {
    {nullptr, nullptr, nullptr, nullptr},
    {nullptr, dot_tile<1, 1>, dot_tile<1, 2>, dot_tile<1, 3>},
    {nullptr, dot_tile<2, 1>, dot_tile<2, 2>, dot_tile<2, 3>},
    {nullptr, dot_tile<3, 1>, dot_tile<3, 2>, dot_tile<3, 3>},
};

}  // namespace

namespace lamkit {

void sgemm_direct_avx2(int ta, const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
                       int64_t ldc, int64_t i0, int64_t i1, int64_t j0, int64_t j1, int64_t K,
                       int acc, int rows_outer) {
  block(ta, A, lda, B, ldb, C, ldc, i0, i1, j0, j1, K, acc, rows_outer != 0);
}

void sgemm_dot_avx2(const float* A, int64_t lda, const float* B, int64_t ldb, float* C,
                    int64_t ldc, int64_t M, int64_t j0, int64_t j1, int64_t K, int acc) {
  // A 3-row group of B stays in L1 while all rows of A stream by (A must fit in L2).
  for (int64_t j = j0; j < j1; j += kDotC) {
    const int64_t cc = j1 - j < kDotC ? j1 - j : kDotC;
    for (int64_t i = 0; i < M; i += kDotR) {
      const int64_t r = M - i < kDotR ? M - i : kDotR;
      kDot[r][cc](K, A + i * lda, lda, B + j * ldb, ldb, C + i * ldc + j, ldc, acc);
    }
  }
}

}  // namespace lamkit

#endif
