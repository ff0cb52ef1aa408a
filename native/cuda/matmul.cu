/*
 * matmul (CUDA): C[M,N] (= | +=) op(A)[M,K] · op(B)[K,N], row-major.
 *   op(A) = A stored M×K (ta=0) or Aᵀ with A stored K×M (ta=1);
 *   op(B) = B stored K×N (tb=0) or Bᵀ with B stored N×K (tb=1).
 * FLOPs 2MNK; bytes ≥ 4(MK + KN + MN) (+MN read when acc=1).
 *
 * Numbered versions, SGEMM_CUDA style, all kept selectable (lam_cuda_set_gemm_version or env
 * LAMKIT_CUDA_GEMM=1|2|3|4) so a wrong or slow result can be bisected:
 *   v1  naive: one thread per C element, operands straight from global memory.
 *   v2  shared-memory tiling: 32×32 C tile per block, one element per thread.
 *   v3  register blocking: 128×128 C tile per 256-thread block, BK = 8, each thread an 8×8
 *       sub-tile held in registers; A/B tiles staged k-major in shared memory so the inner
 *       loop reads 2×float4 of A and 2×float4 of B per k; float4 global loads when the base
 *       pointer is 16-byte aligned and the leading dimension is a multiple of 4 (arena offsets
 *       need not be, so scalar twins cover the rest); split-K over gridDim.z with atomicAdd
 *       when the C tile count alone cannot fill the GPU (e.g. weight gradients: small M·N,
 *       K = batch).
 *   v4  v3 + BK = 16 with a two-stage shared-memory pipeline (register-staged prefetch of the
 *       next tile) and a bank-conflict-free thread→(row, column) map.
 *   v0  auto: v3 when M ≥ 64 and N ≥ 64, else v2. (v4 stays opt-in until a GPU run shows it
 *       validated and faster; then flip auto to it.)
 * Transposes are folded into the tile loaders (no explicit transpose pass).
 * No TF32: plain FFMA in fp32.
 *
 * Test: native/tests/cuda_kernels_test.cpp (vs lam_f32_matmul, every version, every ta/tb,
 * sizes 1, primes, tile±1). Bench: benchmarks/cuda/cuda_bench.cu (1024–8192, vs torch.matmul
 * through benchmarks/cuda/torch_compare.py).
 */
#include <stdlib.h>

#include "common.cuh"

namespace {

using lamcuda::store_acc;

// ---- v1 -------------------------------------------------------------------------------------
__global__ void sgemm_v1(int ta, int tb, int M, int N, int K, const float* __restrict__ A,
                         const float* __restrict__ B, float* __restrict__ C, int acc) {
  const int n = blockIdx.x * blockDim.x + threadIdx.x;
  const int m = blockIdx.y * blockDim.y + threadIdx.y;
  if (m >= M || n >= N) return;
  float s = 0.f;
  for (int k = 0; k < K; ++k) {
    const float a = ta ? A[(size_t)k * M + m] : A[(size_t)m * K + k];
    const float b = tb ? B[(size_t)n * K + k] : B[(size_t)k * N + n];
    s = fmaf(a, b, s);
  }
  float* c = C + (size_t)m * N + n;
  *c = store_acc(acc ? *c : 0.f, s, acc);
}

// ---- v2 -------------------------------------------------------------------------------------
constexpr int T2 = 32;
__global__ void sgemm_v2(int ta, int tb, int M, int N, int K, const float* __restrict__ A,
                         const float* __restrict__ B, float* __restrict__ C, int acc) {
  // +1 column of padding: the transposed loads would otherwise hit one bank 32 times.
  __shared__ float As[T2][T2 + 1];  // As[m][k]
  __shared__ float Bs[T2][T2 + 1];  // Bs[k][n]
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int m0 = blockIdx.y * T2, n0 = blockIdx.x * T2;
  float s = 0.f;
  for (int k0 = 0; k0 < K; k0 += T2) {
    // Threads walk the contiguous dimension of each stored operand so global loads coalesce.
    {
      int m, k;
      if (ta) { k = k0 + ty; m = m0 + tx; } else { m = m0 + ty; k = k0 + tx; }
      float v = 0.f;
      if (m < M && k < K) v = ta ? A[(size_t)k * M + m] : A[(size_t)m * K + k];
      if (ta) As[tx][ty] = v; else As[ty][tx] = v;
    }
    {
      int k, n;
      if (tb) { n = n0 + ty; k = k0 + tx; } else { k = k0 + ty; n = n0 + tx; }
      float v = 0.f;
      if (n < N && k < K) v = tb ? B[(size_t)n * K + k] : B[(size_t)k * N + n];
      if (tb) Bs[tx][ty] = v; else Bs[ty][tx] = v;
    }
    __syncthreads();
#pragma unroll 8
    for (int kk = 0; kk < T2; ++kk) s = fmaf(As[ty][kk], Bs[kk][tx], s);
    __syncthreads();
  }
  const int m = m0 + ty, n = n0 + tx;
  if (m < M && n < N) {
    float* c = C + (size_t)m * N + n;
    *c = store_acc(acc ? *c : 0.f, s, acc);
  }
}

// ---- v3 -------------------------------------------------------------------------------------
constexpr int BM = 128, BN = 128, BK = 8, TM = 8, TN = 8, T3 = 256;

// Loads 4 consecutive elements p[0..3] of a row whose valid length ends at `lim` (exclusive,
// relative to p): one float4 when allowed and fully in range, else guarded scalars (zeros past
// the edge, so partial tiles contribute nothing).
__device__ __forceinline__ void load4(const float* p, int avail, bool vec, float v[4]) {
  if (vec && avail >= 4) {
    const float4 t = *reinterpret_cast<const float4*>(p);
    v[0] = t.x; v[1] = t.y; v[2] = t.z; v[3] = t.w;
  } else {
#pragma unroll
    for (int j = 0; j < 4; ++j) v[j] = (j < avail) ? p[j] : 0.f;
  }
}

template <int TA, int TB>
__global__ void __launch_bounds__(T3) sgemm_v3(int M, int N, int K, const float* __restrict__ A,
                                               const float* __restrict__ B, float* __restrict__ C,
                                               int acc, int kchunk, int atomic, int vecA, int vecB,
                                               int vecC) {
  __shared__ __align__(16) float As[BK][BM];  // k-major: the inner loop reads float4 along m
  __shared__ __align__(16) float Bs[BK][BN];
  const int tid = threadIdx.x;
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  const int kbeg = blockIdx.z * kchunk;
  const int kend = min(K, kbeg + kchunk);
  const int ty = tid / (BN / TN), tx = tid % (BN / TN);  // 16×16 threads, 8×8 each

  float r[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; ++i)
#pragma unroll
    for (int j = 0; j < TN; ++j) r[i][j] = 0.f;

  for (int k0 = kbeg; k0 < kend; k0 += BK) {
    float v[4];
    if (!TA) {  // A stored M×K: 128 rows × 8 k → two float4 per row, stored transposed
      const int row = tid >> 1, col = (tid & 1) * 4;
      const int gm = m0 + row, gk = k0 + col;
      if (gm < M) load4(A + (size_t)gm * K + gk, kend - gk, vecA, v);
      else v[0] = v[1] = v[2] = v[3] = 0.f;
#pragma unroll
      for (int j = 0; j < 4; ++j) As[col + j][row] = v[j];
    } else {  // A stored K×M: 8 k-rows × 128 m → float4 along m, stored as is
      const int row = tid >> 5, col = (tid & 31) * 4;
      const int gk = k0 + row, gm = m0 + col;
      if (gk < kend) load4(A + (size_t)gk * M + gm, M - gm, vecA, v);
      else v[0] = v[1] = v[2] = v[3] = 0.f;
#pragma unroll
      for (int j = 0; j < 4; ++j) As[row][col + j] = v[j];
    }
    if (!TB) {  // B stored K×N: 8 k-rows × 128 n
      const int row = tid >> 5, col = (tid & 31) * 4;
      const int gk = k0 + row, gn = n0 + col;
      if (gk < kend) load4(B + (size_t)gk * N + gn, N - gn, vecB, v);
      else v[0] = v[1] = v[2] = v[3] = 0.f;
#pragma unroll
      for (int j = 0; j < 4; ++j) Bs[row][col + j] = v[j];
    } else {  // B stored N×K: 128 n-rows × 8 k, stored transposed
      const int row = tid >> 1, col = (tid & 1) * 4;
      const int gn = n0 + row, gk = k0 + col;
      if (gn < N) load4(B + (size_t)gn * K + gk, kend - gk, vecB, v);
      else v[0] = v[1] = v[2] = v[3] = 0.f;
#pragma unroll
      for (int j = 0; j < 4; ++j) Bs[col + j][row] = v[j];
    }
    __syncthreads();
#pragma unroll
    for (int k = 0; k < BK; ++k) {
      float a[TM], b[TN];
      const float4 a0 = *reinterpret_cast<const float4*>(&As[k][ty * TM]);
      const float4 a1 = *reinterpret_cast<const float4*>(&As[k][ty * TM + 4]);
      const float4 b0 = *reinterpret_cast<const float4*>(&Bs[k][tx * TN]);
      const float4 b1 = *reinterpret_cast<const float4*>(&Bs[k][tx * TN + 4]);
      a[0] = a0.x; a[1] = a0.y; a[2] = a0.z; a[3] = a0.w;
      a[4] = a1.x; a[5] = a1.y; a[6] = a1.z; a[7] = a1.w;
      b[0] = b0.x; b[1] = b0.y; b[2] = b0.z; b[3] = b0.w;
      b[4] = b1.x; b[5] = b1.y; b[6] = b1.z; b[7] = b1.w;
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) r[i][j] = fmaf(a[i], b[j], r[i][j]);
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const int gm = m0 + ty * TM + i;
    if (gm >= M) break;
    const int gn0 = n0 + tx * TN;
    float* c = C + (size_t)gm * N + gn0;
    if (atomic) {
#pragma unroll
      for (int j = 0; j < TN; ++j)
        if (gn0 + j < N) atomicAdd(c + j, r[i][j]);
    } else if (vecC && gn0 + TN <= N) {
#pragma unroll
      for (int h = 0; h < TN; h += 4) {
        float4 o = acc ? *reinterpret_cast<float4*>(c + h) : make_float4(0.f, 0.f, 0.f, 0.f);
        o.x += r[i][h]; o.y += r[i][h + 1]; o.z += r[i][h + 2]; o.w += r[i][h + 3];
        *reinterpret_cast<float4*>(c + h) = o;
      }
    } else {
#pragma unroll
      for (int j = 0; j < TN; ++j)
        if (gn0 + j < N) c[j] = store_acc(acc ? c[j] : 0.f, r[i][j], acc);
    }
  }
}

// ---- v4 -------------------------------------------------------------------------------------
// v3's 128×128 tile and 8×8 outputs per thread, plus: BK = 16 with two shared-memory stages —
// the next tile's global loads are issued into registers before the current tile's FMAs and
// stored to the other stage after them, so one __syncthreads per k-tile and the load latency
// hides behind 16·64 FMAs; and each thread owns rows {4ty..4ty+3, 64+4ty..} and columns
// {4tx.., 64+4tx..} so 8 neighbouring threads read 8 consecutive float4 (no bank conflicts,
// unlike v3's 8-wide stride).
constexpr int BK4 = 16;

template <int TA, int TB>
__device__ __forceinline__ void v4_load(int tid, int m0, int n0, int k0, int kend, int M, int N, int K,
                                        const float* __restrict__ A, const float* __restrict__ B,
                                        bool vecA, bool vecB, float ra[2][4], float rb[2][4]) {
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int idx = tid + 256 * r;
    if (!TA) {  // 128 m-rows × 16 k: 4 float4 per row
      const int row = idx >> 2, kc = (idx & 3) * 4, gm = m0 + row, gk = k0 + kc;
      if (gm < M) load4(A + (size_t)gm * K + gk, kend - gk, vecA, ra[r]);
      else ra[r][0] = ra[r][1] = ra[r][2] = ra[r][3] = 0.f;
    } else {  // 16 k-rows × 128 m
      const int row = idx >> 5, mc = (idx & 31) * 4, gk = k0 + row, gm = m0 + mc;
      if (gk < kend) load4(A + (size_t)gk * M + gm, M - gm, vecA, ra[r]);
      else ra[r][0] = ra[r][1] = ra[r][2] = ra[r][3] = 0.f;
    }
    if (!TB) {  // 16 k-rows × 128 n
      const int row = idx >> 5, nc = (idx & 31) * 4, gk = k0 + row, gn = n0 + nc;
      if (gk < kend) load4(B + (size_t)gk * N + gn, N - gn, vecB, rb[r]);
      else rb[r][0] = rb[r][1] = rb[r][2] = rb[r][3] = 0.f;
    } else {  // 128 n-rows × 16 k
      const int row = idx >> 2, kc = (idx & 3) * 4, gn = n0 + row, gk = k0 + kc;
      if (gn < N) load4(B + (size_t)gn * K + gk, kend - gk, vecB, rb[r]);
      else rb[r][0] = rb[r][1] = rb[r][2] = rb[r][3] = 0.f;
    }
  }
}

template <int TA, int TB>
__device__ __forceinline__ void v4_store(int tid, float (*As)[BM], float (*Bs)[BN], const float ra[2][4],
                                         const float rb[2][4]) {
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int idx = tid + 256 * r;
    if (!TA) {
      const int row = idx >> 2, kc = (idx & 3) * 4;
#pragma unroll
      for (int j = 0; j < 4; ++j) As[kc + j][row] = ra[r][j];
    } else {
      const int row = idx >> 5, mc = (idx & 31) * 4;
      *reinterpret_cast<float4*>(&As[row][mc]) = make_float4(ra[r][0], ra[r][1], ra[r][2], ra[r][3]);
    }
    if (!TB) {
      const int row = idx >> 5, nc = (idx & 31) * 4;
      *reinterpret_cast<float4*>(&Bs[row][nc]) = make_float4(rb[r][0], rb[r][1], rb[r][2], rb[r][3]);
    } else {
      const int row = idx >> 2, kc = (idx & 3) * 4;
#pragma unroll
      for (int j = 0; j < 4; ++j) Bs[kc + j][row] = rb[r][j];
    }
  }
}

template <int TA, int TB>
__global__ void __launch_bounds__(T3, 2) sgemm_v4(int M, int N, int K, const float* __restrict__ A,
                                                  const float* __restrict__ B, float* __restrict__ C,
                                                  int acc, int kchunk, int atomic, int vecA, int vecB,
                                                  int vecC) {
  __shared__ __align__(16) float As[2][BK4][BM];  // 2 stages × 8 KB
  __shared__ __align__(16) float Bs[2][BK4][BN];
  const int tid = threadIdx.x;
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  const int kbeg = blockIdx.z * kchunk;
  const int kend = min(K, kbeg + kchunk);
  const int ty = tid >> 4, tx = tid & 15;

  float r[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; ++i)
#pragma unroll
    for (int j = 0; j < TN; ++j) r[i][j] = 0.f;

  float ra[2][4], rb[2][4];
  int buf = 0;
  if (kbeg < kend) {
    v4_load<TA, TB>(tid, m0, n0, kbeg, kend, M, N, K, A, B, vecA, vecB, ra, rb);
    v4_store<TA, TB>(tid, As[0], Bs[0], ra, rb);
  }
  __syncthreads();
  for (int k0 = kbeg; k0 < kend; k0 += BK4) {
    const bool next = k0 + BK4 < kend;
    if (next) v4_load<TA, TB>(tid, m0, n0, k0 + BK4, kend, M, N, K, A, B, vecA, vecB, ra, rb);
#pragma unroll
    for (int k = 0; k < BK4; ++k) {
      const float4 a0 = *reinterpret_cast<const float4*>(&As[buf][k][ty * 4]);
      const float4 a1 = *reinterpret_cast<const float4*>(&As[buf][k][64 + ty * 4]);
      const float4 b0 = *reinterpret_cast<const float4*>(&Bs[buf][k][tx * 4]);
      const float4 b1 = *reinterpret_cast<const float4*>(&Bs[buf][k][64 + tx * 4]);
      const float a[TM] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w};
      const float b[TN] = {b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w};
#pragma unroll
      for (int i = 0; i < TM; ++i)
#pragma unroll
        for (int j = 0; j < TN; ++j) r[i][j] = fmaf(a[i], b[j], r[i][j]);
    }
    if (next) v4_store<TA, TB>(tid, As[buf ^ 1], Bs[buf ^ 1], ra, rb);
    __syncthreads();
    buf ^= 1;
  }

#pragma unroll
  for (int i = 0; i < TM; ++i) {
    const int gm = m0 + (i < 4 ? ty * 4 + i : 64 + ty * 4 + (i - 4));
    if (gm >= M) continue;
#pragma unroll
    for (int h = 0; h < 2; ++h) {
      const int gn = n0 + h * 64 + tx * 4;
      float* c = C + (size_t)gm * N + gn;
      const float* v = &r[i][h * 4];
      if (atomic) {
#pragma unroll
        for (int j = 0; j < 4; ++j)
          if (gn + j < N) atomicAdd(c + j, v[j]);
      } else if (vecC && gn + 4 <= N) {
        float4 o = acc ? *reinterpret_cast<float4*>(c) : make_float4(0.f, 0.f, 0.f, 0.f);
        o.x += v[0]; o.y += v[1]; o.z += v[2]; o.w += v[3];
        *reinterpret_cast<float4*>(c) = o;
      } else {
#pragma unroll
        for (int j = 0; j < 4; ++j)
          if (gn + j < N) c[j] = store_acc(acc ? c[j] : 0.f, v[j], acc);
      }
    }
  }
}

int g_version = -1;  // -1 = not read from the environment yet

bool aligned16(const void* p) { return (reinterpret_cast<uintptr_t>(p) & 15u) == 0; }

int launch_tiled(int version, int ta, int tb, int M, int N, int K, const float* A, const float* B,
                 float* C, int acc, cudaStream_t s) {
  const int bk = version == 4 ? BK4 : BK;
  const int tiles_n = (N + BN - 1) / BN, tiles_m = (M + BM - 1) / BM;
  const int tiles = tiles_n * tiles_m;
  // Split K only when the C tiles leave most SMs idle and each slice keeps ≥ 16 k-steps.
  int splits = 1;
  const int target = 2 * lamcuda::sm_count();
  if (tiles < target) {
    splits = (target + tiles - 1) / tiles;
    const int max_splits = K / (bk * 16);
    if (splits > max_splits) splits = max_splits;
    if (splits < 1) splits = 1;
  }
  int kchunk = bk;  // K == 0: one (empty) slice still writes C
  if (K > 0) {
    kchunk = (K + splits - 1) / splits;
    kchunk = (kchunk + bk - 1) / bk * bk;
    splits = (K + kchunk - 1) / kchunk;
  }
  const int atomic = splits > 1;
  if (atomic && !acc) {
    cudaError_t e = cudaMemsetAsync(C, 0, (size_t)M * N * sizeof(float), s);
    if (e != cudaSuccess) return (int)e;
  }
  const int vecA = aligned16(A) && ((ta ? M : K) % 4 == 0);
  const int vecB = aligned16(B) && ((tb ? K : N) % 4 == 0);
  const int vecC = aligned16(C) && (N % 4 == 0);
  dim3 grid(tiles_n, tiles_m, splits);
#define LAUNCH(KERNEL) \
  if (!ta && !tb) KERNEL<0, 0><<<grid, T3, 0, s>>>(M, N, K, A, B, C, acc, kchunk, atomic, vecA, vecB, vecC); \
  else if (!ta && tb) KERNEL<0, 1><<<grid, T3, 0, s>>>(M, N, K, A, B, C, acc, kchunk, atomic, vecA, vecB, vecC); \
  else if (ta && !tb) KERNEL<1, 0><<<grid, T3, 0, s>>>(M, N, K, A, B, C, acc, kchunk, atomic, vecA, vecB, vecC); \
  else KERNEL<1, 1><<<grid, T3, 0, s>>>(M, N, K, A, B, C, acc, kchunk, atomic, vecA, vecB, vecC);
  if (version == 4) { LAUNCH(sgemm_v4) } else { LAUNCH(sgemm_v3) }
#undef LAUNCH
  return lamcuda::launch_status();
}

}  // namespace

extern "C" {

void lam_cuda_set_gemm_version(int version) { g_version = (version >= 0 && version <= 4) ? version : 0; }

int lam_cuda_get_gemm_version(void) {
  if (g_version < 0) {
    const char* e = getenv("LAMKIT_CUDA_GEMM");
    const int v = e ? atoi(e) : 0;
    g_version = (v >= 0 && v <= 4) ? v : 0;
  }
  return g_version;
}

int lam_cuda_f32_matmul(int ta, int tb, int64_t M64, int64_t N64, int64_t K64, const float* A,
                        const float* B, float* C, int acc, cudaStream_t stream) {
  if (M64 <= 0 || N64 <= 0) return 0;
  const int M = (int)M64, N = (int)N64, K = (int)(K64 > 0 ? K64 : 0);
  int v = lam_cuda_get_gemm_version();
  if (v == 0) v = (M >= 64 && N >= 64) ? 3 : 2;
  if (v == 1) {
    dim3 block(16, 16), grid((N + 15) / 16, (M + 15) / 16);
    sgemm_v1<<<grid, block, 0, stream>>>(ta, tb, M, N, K, A, B, C, acc);
    return lamcuda::launch_status();
  }
  if (v == 2) {
    dim3 block(T2, T2), grid((N + T2 - 1) / T2, (M + T2 - 1) / T2);
    sgemm_v2<<<grid, block, 0, stream>>>(ta, tb, M, N, K, A, B, C, acc);
    return lamcuda::launch_status();
  }
  return launch_tiled(v, ta, tb, M, N, K, A, B, C, acc, stream);
}

}  // extern "C"
