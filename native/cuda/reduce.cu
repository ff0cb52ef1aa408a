/*
 * Reductions and the MSE loss (CUDA).
 *   sum_axis   x [outer,len,inner] → y [outer,inner] (=|+=) Σ_l x;  mean_axis: Σ_l x / len
 *   bias_grad  db[c] (=|+=) Σ_{n,s} dy[n,c,s]   (dy [N,C,S])
 *   mse_loss   loss[0] = Σ_b mask_b Σ_d (p−t)² / denom     (=, mask NULL = all rows)
 *   mse_grad   dpred (=|+=) scale·2(p−t)·mask_b / denom
 * Memory-bound (bytes ≈ 4·input elements). Layout decides the kernel:
 *   inner == 1  → one block per output row, threads stride along the contiguous len;
 *   inner  > 1  → one thread per output, threads along inner (coalesced), and when there are
 *                 too few outputs to fill the GPU, len is split over gridDim.y and the partial
 *                 sums meet in atomicAdd (y zeroed first for `=`).
 * bias_grad splits N·S per channel the same way. mse_loss is a block reduce + one atomicAdd
 * per block. Atomic paths are not bit-reproducible run to run.
 * Test: native/tests/cuda_kernels_test.cpp.
 */
#include "common.cuh"

namespace {

using lamcuda::grid_for;
using lamcuda::kThreads;
using lamcuda::launch_status;

using lamcuda::block_sum;

// inner == 1: block per row.
__global__ void k_rowsum(const float* __restrict__ x, float* y, int64_t len, float mul, int acc) {
  const int64_t row = blockIdx.x;
  const float* p = x + row * len;
  float s = 0.f;
  for (int64_t l = threadIdx.x; l < len; l += blockDim.x) s += p[l];
  s = block_sum(s);
  if (threadIdx.x == 0) y[row] = acc ? y[row] + s * mul : s * mul;
}

// inner > 1: thread per (outer, inner); blockIdx.y picks a slice of len.
__global__ void k_colsum(const float* __restrict__ x, float* y, int64_t outer, int64_t len,
                         int64_t inner, int64_t lchunk, float mul, int acc, int atomic) {
  const int64_t total = outer * inner;
  const int64_t l0 = blockIdx.y * lchunk;
  const int64_t l1 = min(len, l0 + lchunk);
  for (int64_t o = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; o < total;
       o += (int64_t)gridDim.x * blockDim.x) {
    const int64_t a = o / inner, i = o - a * inner;
    const float* p = x + a * len * inner + i;
    float s = 0.f;
    for (int64_t l = l0; l < l1; ++l) s += p[l * inner];
    if (atomic) atomicAdd(y + o, s * mul);
    else y[o] = acc ? y[o] + s * mul : s * mul;
  }
}

int sum_axis(const float* x, float* y, int64_t outer, int64_t len, int64_t inner, float mul,
             int acc, cudaStream_t s) {
  if (outer <= 0 || inner <= 0) return 0;
  if (len <= 0) {  // empty sum: = writes zeros, += leaves y
    if (acc) return 0;
    return (int)cudaMemsetAsync(y, 0, (size_t)(outer * inner) * sizeof(float), s);
  }
  if (inner == 1 && len >= 64) {
    if (outer > 2147483647) return (int)cudaErrorInvalidConfiguration;
    k_rowsum<<<(unsigned)outer, kThreads, 0, s>>>(x, y, len, mul, acc);
    return launch_status();
  }
  const int64_t total = outer * inner;
  const int64_t blocks_x = (total + kThreads - 1) / kThreads;
  int64_t splits = 1;
  const int64_t target = 4 * lamcuda::sm_count();
  if (blocks_x < target && len >= 256) {
    splits = (target + blocks_x - 1) / blocks_x;
    if (splits > len / 64) splits = len / 64;
    if (splits > 65535) splits = 65535;
    if (splits < 1) splits = 1;
  }
  const int64_t lchunk = (len + splits - 1) / splits;
  splits = (len + lchunk - 1) / lchunk;
  const int atomic = splits > 1;
  if (atomic && !acc) {
    cudaError_t e = cudaMemsetAsync(y, 0, (size_t)total * sizeof(float), s);
    if (e != cudaSuccess) return (int)e;
  }
  dim3 grid(grid_for(total), (unsigned)splits);
  k_colsum<<<grid, kThreads, 0, s>>>(x, y, outer, len, inner, lchunk, mul, acc, atomic);
  return launch_status();
}

// bias_grad: grid (C, P); block (c, p) sums its share of the N·S elements of channel c.
__global__ void k_bias_grad(const float* __restrict__ dy, float* db, int64_t N, int64_t C,
                            int64_t S, int acc, int atomic) {
  const int64_t c = blockIdx.x;
  const int64_t total = N * S;
  float s = 0.f;
  for (int64_t e = blockIdx.y * (int64_t)blockDim.x + threadIdx.x; e < total;
       e += (int64_t)gridDim.y * blockDim.x) {
    const int64_t n = e / S, p = e - n * S;
    s += dy[(n * C + c) * S + p];
  }
  s = block_sum(s);
  if (threadIdx.x == 0) {
    if (atomic) atomicAdd(db + c, s);
    else db[c] = acc ? db[c] + s : s;
  }
}

__global__ void k_mse_loss(const float* __restrict__ p, const float* __restrict__ t,
                           const float* __restrict__ mask, float* loss, int64_t B, int64_t D,
                           float inv_denom) {
  const int64_t n = B * D;
  float s = 0.f;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x) {
    const float d = p[i] - t[i];
    const float m = mask ? mask[i / D] : 1.f;
    s += m * d * d;
  }
  s = block_sum(s);
  if (threadIdx.x == 0) atomicAdd(loss, s * inv_denom);
}

__global__ void k_mse_grad(const float* __restrict__ p, const float* __restrict__ t,
                           const float* __restrict__ mask, float* dp, int64_t B, int64_t D,
                           float coef, int acc) {
  const int64_t n = B * D;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < n;
       i += (int64_t)gridDim.x * blockDim.x) {
    const float m = mask ? mask[i / D] : 1.f;
    const float g = coef * (p[i] - t[i]) * m;
    dp[i] = acc ? dp[i] + g : g;
  }
}

}  // namespace

extern "C" {

int lam_cuda_f32_sum_axis(const float* x, float* y, int64_t outer, int64_t len, int64_t inner,
                          int acc, cudaStream_t stream) {
  return sum_axis(x, y, outer, len, inner, 1.f, acc, stream);
}

int lam_cuda_f32_mean_axis(const float* x, float* y, int64_t outer, int64_t len, int64_t inner,
                           int acc, cudaStream_t stream) {
  return sum_axis(x, y, outer, len, inner, len > 0 ? 1.f / (float)len : 0.f, acc, stream);
}

int lam_cuda_f32_bias_grad(const float* dy, float* db, int64_t N, int64_t C, int64_t S, int acc,
                           cudaStream_t stream) {
  if (C <= 0) return 0;
  // S == 1 (a linear layer's bias): dy is [N, C], a column sum — the coalesced sum_axis path.
  if (S == 1) return sum_axis(dy, db, 1, N, C, 1.f, acc, stream);
  const int64_t total = N * S;
  if (total <= 0) {
    if (acc) return 0;
    return (int)cudaMemsetAsync(db, 0, (size_t)C * sizeof(float), stream);
  }
  int64_t parts = (2 * lamcuda::sm_count() + C - 1) / C;
  const int64_t max_parts = (total + 4095) / 4096;  // ≥ 4K elements per block
  if (parts > max_parts) parts = max_parts;
  if (parts > 65535) parts = 65535;
  if (parts < 1) parts = 1;
  const int atomic = parts > 1;
  if (atomic && !acc) {
    cudaError_t e = cudaMemsetAsync(db, 0, (size_t)C * sizeof(float), stream);
    if (e != cudaSuccess) return (int)e;
  }
  if (C > 2147483647) return (int)cudaErrorInvalidConfiguration;
  dim3 grid((unsigned)C, (unsigned)parts);
  k_bias_grad<<<grid, kThreads, 0, stream>>>(dy, db, N, C, S, acc, atomic);
  return launch_status();
}

int lam_cuda_f32_mse_loss(const float* pred, const float* target, const float* mask, float* loss,
                          int64_t B, int64_t D, float denom, cudaStream_t stream) {
  cudaError_t e = cudaMemsetAsync(loss, 0, sizeof(float), stream);
  if (e != cudaSuccess) return (int)e;
  const int64_t n = B * D;
  if (n <= 0) return 0;
  int64_t blocks = grid_for(n);
  const int64_t cap = 4 * lamcuda::sm_count();  // few blocks → few atomics
  if (blocks > cap) blocks = cap;
  k_mse_loss<<<(unsigned)blocks, kThreads, 0, stream>>>(pred, target, mask, loss, B, D,
                                                         1.f / denom);
  return launch_status();
}

int lam_cuda_f32_mse_grad(const float* pred, const float* target, const float* mask, float* dpred,
                          int64_t B, int64_t D, float denom, float scale, int acc,
                          cudaStream_t stream) {
  const int64_t n = B * D;
  if (n <= 0) return 0;
  k_mse_grad<<<grid_for(n), kThreads, 0, stream>>>(pred, target, mask, dpred, B, D,
                                                    scale * 2.f / denom, acc);
  return launch_status();
}

}  // extern "C"
