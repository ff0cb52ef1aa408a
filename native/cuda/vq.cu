/*
 * Vector quantisation (CUDA).
 *   vq_nearest        z [N,D], codebook [K,D] → idx[n] = argmin_k Σ_d (z_nd − c_kd)²
 *                     (lowest k on ties). FLOPs 3NKD. One block per row n; threads stride
 *                     over codes, then a (distance, index) block arg-min.
 *   gather_rows       out[n,:] = table[idx[n],:]                              (=)
 *   scatter_add_rows  table[idx[n],:] += src[n,:]  (atomicAdd: rows may repeat; not
 *                     bit-reproducible run to run)
 * The distance is the direct Σ(z−c)² (not ‖z‖²−2z·c+‖c‖²), which cannot go negative and
 * keeps near-ties stable. Test: native/tests/cuda_kernels_test.cpp.
 */
#include <math.h>

#include "common.cuh"

namespace {

__device__ __forceinline__ void better(float& bd, int& bk, float d, int k) {
  // Lower distance wins; equal distance → lower index; a NaN distance never wins.
  if (d < bd || (d == bd && k < bk)) { bd = d; bk = k; }
}

__global__ void k_vq_nearest(const float* __restrict__ z, const float* __restrict__ cb,
                             int32_t* idx, int64_t K, int64_t D) {
  const int64_t n = blockIdx.x;
  const float* zr = z + n * D;
  float bd = INFINITY;
  int bk = 0x7fffffff;
  for (int64_t k = threadIdx.x; k < K; k += blockDim.x) {
    const float* c = cb + k * D;
    float s = 0.f;
    for (int64_t d = 0; d < D; ++d) {
      const float t = zr[d] - c[d];
      s = fmaf(t, t, s);
    }
    better(bd, bk, s, (int)k);
  }
  for (int o = 16; o > 0; o >>= 1) {
    const float od = __shfl_down_sync(0xffffffffu, bd, o);
    const int ok = __shfl_down_sync(0xffffffffu, bk, o);
    better(bd, bk, od, ok);
  }
  __shared__ float sd[32];
  __shared__ int sk[32];
  const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
  if (lane == 0) { sd[wid] = bd; sk[wid] = bk; }
  __syncthreads();
  if (threadIdx.x == 0) {
    float fd = sd[0];
    int fk = sk[0];
    for (int w = 1; w < (int)(blockDim.x >> 5); ++w) better(fd, fk, sd[w], sk[w]);
    // All distances NaN (or K = 0 guarded by the caller): fall back to code 0, never garbage.
    idx[n] = (fk == 0x7fffffff) ? 0 : fk;
  }
}

// K < 0: unchecked (the kernels.h contract). K ≥ 0: an index outside [0,K) writes zeros
// (gather) or is skipped (scatter) and raises *flag = tag, so the executor reports it at sync.
__global__ void k_gather(const float* __restrict__ table, const int32_t* __restrict__ idx,
                         float* __restrict__ out, int64_t N, int64_t D, int64_t K, int32_t* flag,
                         int32_t tag) {
  const int64_t total = N * D;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total;
       i += (int64_t)gridDim.x * blockDim.x) {
    const int64_t n = i / D, d = i - n * D;
    const int64_t r = idx[n];
    if (K >= 0 && (r < 0 || r >= K)) {
      out[i] = 0.f;
      if (flag) atomicCAS(flag, 0, tag);
      continue;
    }
    out[i] = table[r * D + d];
  }
}

__global__ void k_scatter_add(const float* __restrict__ src, const int32_t* __restrict__ idx,
                              float* table, int64_t N, int64_t D, int64_t K, int32_t* flag,
                              int32_t tag) {
  const int64_t total = N * D;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total;
       i += (int64_t)gridDim.x * blockDim.x) {
    const int64_t n = i / D, d = i - n * D;
    const int64_t r = idx[n];
    if (K >= 0 && (r < 0 || r >= K)) {
      if (flag) atomicCAS(flag, 0, tag);
      continue;
    }
    atomicAdd(table + r * D + d, src[i]);
  }
}

}  // namespace

extern "C" {

int lam_cuda_f32_vq_nearest(const float* z, const float* codebook, int32_t* idx, int64_t N,
                            int64_t K, int64_t D, cudaStream_t stream) {
  if (N <= 0) return 0;
  if (K <= 0) return (int)cudaMemsetAsync(idx, 0, (size_t)N * sizeof(int32_t), stream);
  if (N > 2147483647) return (int)cudaErrorInvalidConfiguration;
  // Fewer threads than codes is fine (they stride); more would idle.
  int threads = 32;
  while (threads < K && threads < 256) threads *= 2;
  k_vq_nearest<<<(unsigned)N, threads, 0, stream>>>(z, codebook, idx, K, D);
  return lamcuda::launch_status();
}

int lam_cuda_f32_gather_rows(const float* table, const int32_t* idx, float* out, int64_t N,
                             int64_t D, cudaStream_t stream) {
  const int64_t total = N * D;
  if (total <= 0) return 0;
  k_gather<<<lamcuda::grid_for(total), lamcuda::kThreads, 0, stream>>>(table, idx, out, N, D, -1,
                                                                       nullptr, 0);
  return lamcuda::launch_status();
}

int lam_cuda_f32_gather_rows_checked(const float* table, const int32_t* idx, float* out, int64_t N,
                                     int64_t D, int64_t K, int32_t* flag, int32_t tag,
                                     cudaStream_t stream) {
  const int64_t total = N * D;
  if (total <= 0) return 0;
  k_gather<<<lamcuda::grid_for(total), lamcuda::kThreads, 0, stream>>>(table, idx, out, N, D, K,
                                                                       flag, tag);
  return lamcuda::launch_status();
}

int lam_cuda_f32_scatter_add_rows_checked(const float* src, const int32_t* idx, float* table,
                                          int64_t N, int64_t D, int64_t K, int32_t* flag,
                                          int32_t tag, cudaStream_t stream) {
  const int64_t total = N * D;
  if (total <= 0) return 0;
  k_scatter_add<<<lamcuda::grid_for(total), lamcuda::kThreads, 0, stream>>>(src, idx, table, N, D,
                                                                            K, flag, tag);
  return lamcuda::launch_status();
}

int lam_cuda_f32_scatter_add_rows(const float* src, const int32_t* idx, float* table, int64_t N,
                                  int64_t D, cudaStream_t stream) {
  const int64_t total = N * D;
  if (total <= 0) return 0;
  k_scatter_add<<<lamcuda::grid_for(total), lamcuda::kThreads, 0, stream>>>(src, idx, table, N, D,
                                                                            -1, nullptr, 0);
  return lamcuda::launch_status();
}

}  // extern "C"
