/*
 * concat / split along channels (CUDA): part [N,Cp,S] ↔ whole [N,Ct,S] at channel offset c0.
 *   concat_part  whole[:, c0:c0+Cp, :] = part            (=)
 *   split_part   part (=|+=) whole[:, c0:c0+Cp, :]
 * Pure copies: bytes 8·N·Cp·S (+4·N·Cp·S read for +=). One thread per part element; the
 * channel slab [c0, c0+Cp) of image n is contiguous in both layouts, so warps stay coalesced.
 * Test: native/tests/cuda_kernels_test.cpp.
 */
#include "common.cuh"

namespace {

__global__ void k_concat(const float* __restrict__ part, float* __restrict__ whole, int64_t Cp,
                         int64_t Ct, int64_t c0, int64_t S, int64_t total) {
  const int64_t slab = Cp * S;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total;
       i += (int64_t)gridDim.x * blockDim.x) {
    const int64_t n = i / slab, r = i - n * slab;
    whole[n * Ct * S + c0 * S + r] = part[i];
  }
}

__global__ void k_split(const float* __restrict__ whole, float* __restrict__ part, int64_t Cp,
                        int64_t Ct, int64_t c0, int64_t S, int64_t total, int acc) {
  const int64_t slab = Cp * S;
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < total;
       i += (int64_t)gridDim.x * blockDim.x) {
    const int64_t n = i / slab, r = i - n * slab;
    const float v = whole[n * Ct * S + c0 * S + r];
    part[i] = acc ? part[i] + v : v;
  }
}

}  // namespace

extern "C" {

int lam_cuda_f32_concat_part(const float* part, float* whole, int64_t N, int64_t Cp, int64_t Ct,
                             int64_t c0, int64_t S, cudaStream_t stream) {
  const int64_t total = N * Cp * S;
  if (total <= 0) return 0;
  k_concat<<<lamcuda::grid_for(total), lamcuda::kThreads, 0, stream>>>(part, whole, Cp, Ct, c0, S,
                                                                       total);
  return lamcuda::launch_status();
}

int lam_cuda_f32_split_part(const float* whole, float* part, int64_t N, int64_t Cp, int64_t Ct,
                            int64_t c0, int64_t S, int acc, cudaStream_t stream) {
  const int64_t total = N * Cp * S;
  if (total <= 0) return 0;
  k_split<<<lamcuda::grid_for(total), lamcuda::kThreads, 0, stream>>>(whole, part, Cp, Ct, c0, S,
                                                                      total, acc);
  return lamcuda::launch_status();
}

}  // extern "C"
