/*
 * Optimiser updates (CUDA), in place, n elements, PyTorch semantics:
 *   adam   g = grad (+ wd·p when decoupled = 0, Adam + L2);  p −= lr·wd·p when decoupled = 1
 *          (AdamW); m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;
 *          p −= (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + eps)
 *          t = the step number ≥ 1: a constant, or read on the device from the plan's step
 *          counter so a replayed CUDA graph always uses the current step.
 *   sgd    g = grad + wd·p;  buf = μ·buf + g;  p −= lr·buf   (dampening 0)
 *   ema    target = decay·target + (1−decay)·source
 * Memory-bound: adam reads 4 and writes 3 floats per element (28 B). The bias corrections are
 * computed once per block in double (one pow per block, not per element).
 * Test: native/tests/cuda_kernels_test.cpp (vs lam_f32_adam_update etc., several steps).
 */
#include <math.h>

#include "common.cuh"

namespace {

#define GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * (int64_t)blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

__global__ void k_adam(float* p, const float* __restrict__ grad, float* m, float* v, int64_t n,
                       float lr, float b1, float b2, float eps, float wd, int decoupled,
                       int64_t t_const, const int32_t* t_dev, int32_t* flag, int32_t tag) {
  __shared__ float step_size, inv_sqrt_bc2;
  if (threadIdx.x == 0) {
    double t = t_dev ? (double)*t_dev : (double)t_const;
    // A counter never incremented is a tape error: with a flag, report it and skip the update
    // (as the CPU executor refuses the step); without one, treat it as step 1 like lam_f32_*.
    if (t < 1.0 && flag) atomicCAS(flag, 0, tag);
    if (t < 1.0) t = flag ? 0.0 : 1.0;
    const double bc1 = 1.0 - pow((double)b1, t), bc2 = 1.0 - pow((double)b2, t);
    step_size = (float)((double)lr / bc1);
    inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2));
  }
  __syncthreads();
  if (flag && (t_dev ? *t_dev : t_const) < 1) return;
  const float ss = step_size, ib2 = inv_sqrt_bc2;
  const float decay_mul = decoupled ? 1.f - lr * wd : 1.f;  // same float ops as the CPU twin
  const float l2 = decoupled ? 0.f : wd;
  GRID_STRIDE(i, n) {
    const float p0 = p[i];
    const float g = grad[i] + l2 * p0;
    const float mi = b1 * m[i] + (1.f - b1) * g;
    const float vi = b2 * v[i] + (1.f - b2) * g * g;
    m[i] = mi;
    v[i] = vi;
    p[i] = p0 * decay_mul - ss * mi / (sqrtf(vi) * ib2 + eps);
  }
}

__global__ void k_sgd(float* p, const float* __restrict__ grad, float* buf, int64_t n, float lr,
                      float mu, float wd) {
  GRID_STRIDE(i, n) {
    const float g = grad[i] + wd * p[i];
    const float b = mu * buf[i] + g;
    buf[i] = b;
    p[i] -= lr * b;
  }
}

__global__ void k_ema(float* target, const float* __restrict__ src, int64_t n, float decay) {
  GRID_STRIDE(i, n) target[i] = decay * target[i] + (1.f - decay) * src[i];
}

}  // namespace

extern "C" {

int lam_cuda_f32_adam_update(float* param, const float* grad, float* m, float* v, int64_t n,
                             float lr, float beta1, float beta2, float eps, float weight_decay,
                             int decoupled, int64_t t, const int32_t* t_dev, int32_t* flag,
                             int32_t tag, cudaStream_t stream) {
  if (n <= 0) return 0;
  k_adam<<<lamcuda::grid_for(n), lamcuda::kThreads, 0, stream>>>(
      param, grad, m, v, n, lr, beta1, beta2, eps, weight_decay, decoupled, t, t_dev, flag, tag);
  return lamcuda::launch_status();
}

int lam_cuda_f32_sgd_update(float* param, const float* grad, float* buf, int64_t n, float lr,
                            float momentum, float weight_decay, cudaStream_t stream) {
  if (n <= 0) return 0;
  k_sgd<<<lamcuda::grid_for(n), lamcuda::kThreads, 0, stream>>>(param, grad, buf, n, lr, momentum,
                                                                weight_decay);
  return lamcuda::launch_status();
}

int lam_cuda_f32_ema_update(float* target, const float* source, int64_t n, float decay,
                            cudaStream_t stream) {
  if (n <= 0) return 0;
  k_ema<<<lamcuda::grid_for(n), lamcuda::kThreads, 0, stream>>>(target, source, n, decay);
  return lamcuda::launch_status();
}

}  // extern "C"
