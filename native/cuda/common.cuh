// Shared helpers for the lamkit CUDA kernels (header only; not a translation unit).
// Why one place: every launch wrapper returns the launch error the same way, and every
// elementwise kernel sizes its grid the same way (grid-stride loops, capped block count).
#pragma once
#include <cuda_runtime.h>
#include <stdint.h>

#include "lamkit/cuda_kernels.h"

namespace lamcuda {

constexpr int kThreads = 256;

// Blocks for a grid-stride loop over n items: enough to fill the GPU, capped so huge n does
// not create millions of blocks (each thread then loops).
inline unsigned grid_for(int64_t n, int threads = kThreads) {
  int64_t b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  if (b > 65535 * 8) b = 65535 * 8;
  return (unsigned)b;
}

// Multiprocessor count of the current device, read once (used to size split-K). Querying an
// attribute is not a stream operation, so it is legal while a graph is being captured.
inline int sm_count() {
  static int cached = 0;
  if (cached == 0) {
    int dev = 0, v = 0;
    if (cudaGetDevice(&dev) == cudaSuccess &&
        cudaDeviceGetAttribute(&v, cudaDevAttrMultiProcessorCount, dev) == cudaSuccess && v > 0)
      cached = v;
    else
      cached = 80;
  }
  return cached;
}

// The launch error of the kernel just enqueued (0 = accepted). cudaGetLastError also clears a
// sticky-free error so the next launch reports its own.
inline int launch_status() { return (int)cudaGetLastError(); }

__device__ __forceinline__ float store_acc(float old, float v, int acc) { return acc ? old + v : v; }

// Block-wide sum (any blockDim multiple of 32, ≤ 1024); the result is valid in thread 0.
// Shared by the reductions (reduce.cu) and the row normalisation (l2_normalize.cu).
__device__ __forceinline__ float block_sum(float v) {
  __shared__ float warp_sums[32];
  for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  const int lane = threadIdx.x & 31, wid = threadIdx.x >> 5;
  __syncthreads();  // warp_sums may still be read by a previous call
  if (lane == 0) warp_sums[wid] = v;
  __syncthreads();
  const int nw = (blockDim.x + 31) >> 5;
  v = (threadIdx.x < nw) ? warp_sums[threadIdx.x] : 0.f;
  if (wid == 0)
    for (int o = 16; o > 0; o >>= 1) v += __shfl_down_sync(0xffffffffu, v, o);
  return v;
}

}  // namespace lamcuda
