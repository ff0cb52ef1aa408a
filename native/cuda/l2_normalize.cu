/*
 * Row L2 normalisation (CUDA), x viewed as [rows, len]:
 *   l2_normalize           y = x · k,  k = 1/sqrt(Σ_l x² + eps)                 (y may alias x)
 *   l2_normalize_backward  dx (=|+=) (dy − y·Σ_l y·dy) · k, y = x·k recomputed from x
 * One block per row (the embeddings it serves are short rows in large batches); the row sums
 * meet in block_sum and are broadcast through shared memory. Float accumulation (the CPU kernel
 * uses double): agreement within the kernel tests' tolerance, not bit-exact.
 * Test: native/tests/cuda_kernels_test.cpp (vs lam_f32_l2_normalize*).
 */
#include "common.cuh"

namespace {

using lamcuda::block_sum;
using lamcuda::kThreads;
using lamcuda::launch_status;
using lamcuda::store_acc;

__global__ void k_l2_normalize(const float* x, float* y, int64_t len, float eps) {
  const float* xr = x + (int64_t)blockIdx.x * len;
  float* yr = y + (int64_t)blockIdx.x * len;
  __shared__ float k;
  float s = 0.f;
  for (int64_t l = threadIdx.x; l < len; l += blockDim.x) s += xr[l] * xr[l];
  s = block_sum(s);
  if (threadIdx.x == 0) k = 1.f / sqrtf(s + eps);
  __syncthreads();  // every read of xr is done before any write (y may alias x)
  for (int64_t l = threadIdx.x; l < len; l += blockDim.x) yr[l] = xr[l] * k;
}

__global__ void k_l2_normalize_backward(const float* x, const float* dy, float* dx, int64_t len,
                                        float eps, int acc) {
  const int64_t off = (int64_t)blockIdx.x * len;
  const float *xr = x + off, *gr = dy + off;
  float* dr = dx + off;
  __shared__ float k, dot;
  float s = 0.f, d = 0.f;
  for (int64_t l = threadIdx.x; l < len; l += blockDim.x) {
    s += xr[l] * xr[l];
    d += xr[l] * gr[l];
  }
  s = block_sum(s);
  if (threadIdx.x == 0) k = 1.f / sqrtf(s + eps);
  d = block_sum(d);
  if (threadIdx.x == 0) dot = d * k;  // Σ y·dy
  __syncthreads();
  for (int64_t l = threadIdx.x; l < len; l += blockDim.x)
    dr[l] = store_acc(dr[l], (gr[l] - xr[l] * k * dot) * k, acc);
}

}  // namespace

int lam_cuda_f32_l2_normalize(const float* x, float* y, int64_t rows, int64_t len, float eps,
                              cudaStream_t stream) {
  if (rows <= 0 || len <= 0) return 0;
  k_l2_normalize<<<(unsigned)rows, kThreads, 0, stream>>>(x, y, len, eps);
  return launch_status();
}

int lam_cuda_f32_l2_normalize_backward(const float* x, const float* dy, float* dx, int64_t rows,
                                       int64_t len, float eps, int acc, cudaStream_t stream) {
  if (rows <= 0 || len <= 0) return 0;
  k_l2_normalize_backward<<<(unsigned)rows, kThreads, 0, stream>>>(x, dy, dx, len, eps, acc);
  return launch_status();
}
