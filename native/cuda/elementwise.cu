/*
 * Elementwise ops (CUDA), n elements, grid-stride loops, outputs may alias inputs:
 *   bias_add        y[n,c,s] = x[n,c,s] + b[c]                           (=)
 *   relu / leaky    y = x < 0 ? 0 / slope·x : x  (NaN stays NaN)          (=)
 *   *_backward      dx (=|+=) (x > 0 ? 1 : 0 / slope)·dy
 *   gelu            y = x·Φ(x) = ½x(1 + erf(x/√2)) (exact erf form)       (=)
 *   gelu_backward   dx (=|+=) (Φ(x) + x·φ(x))·dy
 *   add/sub/mul     y (=|+=) a ∘ b;  scale: y (=|+=) α·x;  fill; copy (=|+=)
 *   i32_increment   the plan's step counter += 1;  check_finite: flag |= tag if any non-finite
 * Memory-bound: bytes ≈ 4·(inputs + outputs)·n (+n read for +=). Accurate erff/expf (no
 * fast-math). Test: native/tests/cuda_kernels_test.cpp. Bench: benchmarks/cuda/cuda_bench.cu.
 */
#include <math.h>

#include "common.cuh"

namespace {

using lamcuda::grid_for;
using lamcuda::kThreads;
using lamcuda::launch_status;

#define GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

__global__ void k_bias_add(const float* x, const float* __restrict__ b, float* y, int64_t C,
                           int64_t S, int64_t total) {
  GRID_STRIDE(i, total) y[i] = x[i] + b[(i / S) % C];
}

// Kinds of unary map / backward; one kernel each keeps the switch out of the inner loop.
enum Act { RELU = 0, LEAKY = 1, GELU = 2 };

__device__ __forceinline__ float act_fwd(int kind, float x, float slope) {
  // x < 0 ? … : x keeps a NaN input visible (as the CPU kernels do) instead of mapping it to 0.
  if (kind == RELU) return x < 0.f ? 0.f : x;
  if (kind == LEAKY) return x < 0.f ? x * slope : x;
  return 0.5f * x * (1.f + erff(x * 0.70710678118654752f));
}
__device__ __forceinline__ float act_grad(int kind, float x, float slope) {
  if (kind == RELU) return x > 0.f ? 1.f : 0.f;
  if (kind == LEAKY) return x > 0.f ? 1.f : slope;
  const float cdf = 0.5f * (1.f + erff(x * 0.70710678118654752f));
  const float pdf = 0.39894228040143268f * expf(-0.5f * x * x);
  return cdf + x * pdf;
}

template <int KIND>
__global__ void k_act(const float* x, float* y, int64_t n, float slope) {
  GRID_STRIDE(i, n) y[i] = act_fwd(KIND, x[i], slope);
}
template <int KIND>
__global__ void k_act_bwd(const float* x, const float* dy, float* dx, int64_t n, float slope,
                          int acc) {
  GRID_STRIDE(i, n) {
    // relu/leaky: select, never multiply — 0·Inf would turn a masked gradient into NaN.
    float g;
    if (KIND == GELU) g = act_grad(KIND, x[i], slope) * dy[i];
    else g = x[i] > 0.f ? dy[i] : (KIND == RELU ? 0.f : dy[i] * slope);
    dx[i] = acc ? dx[i] + g : g;
  }
}

enum Bin { ADD = 0, SUB = 1, MUL = 2 };
template <int OP>
__global__ void k_binary(const float* a, const float* b, float* y, int64_t n, int acc) {
  GRID_STRIDE(i, n) {
    const float v = OP == ADD ? a[i] + b[i] : OP == SUB ? a[i] - b[i] : a[i] * b[i];
    y[i] = acc ? y[i] + v : v;
  }
}

__global__ void k_scale(const float* x, float* y, int64_t n, float alpha, int acc) {
  GRID_STRIDE(i, n) {
    const float v = alpha * x[i];
    y[i] = acc ? y[i] + v : v;
  }
}

__global__ void k_fill(float* y, int64_t n, float value) { GRID_STRIDE(i, n) y[i] = value; }

__global__ void k_copy(const float* x, float* y, int64_t n, int acc) {
  GRID_STRIDE(i, n) y[i] = acc ? y[i] + x[i] : x[i];
}

__global__ void k_increment(int32_t* c) { *c += 1; }

__global__ void k_check_finite(const float* x, int64_t n, int32_t* flag, int32_t tag) {
  bool bad = false;
  GRID_STRIDE(i, n) bad |= !isfinite(x[i]);
  // Keep the first tag seen: later checks of the same step must not hide the first culprit.
  if (__syncthreads_or(bad) && threadIdx.x == 0) atomicCAS(flag, 0, tag);
}

}  // namespace

extern "C" {

int lam_cuda_f32_bias_add(const float* x, const float* b, float* y, int64_t N, int64_t C,
                          int64_t S, cudaStream_t stream) {
  const int64_t total = N * C * S;
  if (total <= 0) return 0;
  k_bias_add<<<grid_for(total), kThreads, 0, stream>>>(x, b, y, C, S, total);
  return launch_status();
}

int lam_cuda_f32_relu(const float* x, float* y, int64_t n, cudaStream_t stream) {
  if (n <= 0) return 0;
  k_act<RELU><<<grid_for(n), kThreads, 0, stream>>>(x, y, n, 0.f);
  return launch_status();
}
int lam_cuda_f32_relu_backward(const float* x, const float* dy, float* dx, int64_t n, int acc,
                               cudaStream_t stream) {
  if (n <= 0) return 0;
  k_act_bwd<RELU><<<grid_for(n), kThreads, 0, stream>>>(x, dy, dx, n, 0.f, acc);
  return launch_status();
}
int lam_cuda_f32_leaky_relu(const float* x, float* y, int64_t n, float slope, cudaStream_t stream) {
  if (n <= 0) return 0;
  k_act<LEAKY><<<grid_for(n), kThreads, 0, stream>>>(x, y, n, slope);
  return launch_status();
}
int lam_cuda_f32_leaky_relu_backward(const float* x, const float* dy, float* dx, int64_t n,
                                     float slope, int acc, cudaStream_t stream) {
  if (n <= 0) return 0;
  k_act_bwd<LEAKY><<<grid_for(n), kThreads, 0, stream>>>(x, dy, dx, n, slope, acc);
  return launch_status();
}
int lam_cuda_f32_gelu(const float* x, float* y, int64_t n, cudaStream_t stream) {
  if (n <= 0) return 0;
  k_act<GELU><<<grid_for(n), kThreads, 0, stream>>>(x, y, n, 0.f);
  return launch_status();
}
int lam_cuda_f32_gelu_backward(const float* x, const float* dy, float* dx, int64_t n, int acc,
                               cudaStream_t stream) {
  if (n <= 0) return 0;
  k_act_bwd<GELU><<<grid_for(n), kThreads, 0, stream>>>(x, dy, dx, n, 0.f, acc);
  return launch_status();
}

int lam_cuda_f32_add(const float* a, const float* b, float* y, int64_t n, int acc,
                     cudaStream_t stream) {
  if (n <= 0) return 0;
  k_binary<ADD><<<grid_for(n), kThreads, 0, stream>>>(a, b, y, n, acc);
  return launch_status();
}
int lam_cuda_f32_sub(const float* a, const float* b, float* y, int64_t n, int acc,
                     cudaStream_t stream) {
  if (n <= 0) return 0;
  k_binary<SUB><<<grid_for(n), kThreads, 0, stream>>>(a, b, y, n, acc);
  return launch_status();
}
int lam_cuda_f32_mul(const float* a, const float* b, float* y, int64_t n, int acc,
                     cudaStream_t stream) {
  if (n <= 0) return 0;
  k_binary<MUL><<<grid_for(n), kThreads, 0, stream>>>(a, b, y, n, acc);
  return launch_status();
}
int lam_cuda_f32_scale(const float* x, float* y, int64_t n, float alpha, int acc,
                       cudaStream_t stream) {
  if (n <= 0) return 0;
  k_scale<<<grid_for(n), kThreads, 0, stream>>>(x, y, n, alpha, acc);
  return launch_status();
}
int lam_cuda_f32_fill(float* y, int64_t n, float value, cudaStream_t stream) {
  if (n <= 0) return 0;
  k_fill<<<grid_for(n), kThreads, 0, stream>>>(y, n, value);
  return launch_status();
}
int lam_cuda_f32_copy(const float* x, float* y, int64_t n, int acc, cudaStream_t stream) {
  if (n <= 0) return 0;
  k_copy<<<grid_for(n), kThreads, 0, stream>>>(x, y, n, acc);
  return launch_status();
}
int lam_cuda_i32_increment(int32_t* counter, cudaStream_t stream) {
  k_increment<<<1, 1, 0, stream>>>(counter);
  return launch_status();
}
int lam_cuda_f32_check_finite(const float* x, int64_t n, int32_t* flag, int32_t tag,
                              cudaStream_t stream) {
  if (n <= 0) return 0;
  k_check_finite<<<grid_for(n), kThreads, 0, stream>>>(x, n, flag, tag);
  return launch_status();
}

}  // extern "C"
