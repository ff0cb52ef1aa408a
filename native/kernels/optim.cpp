// Optimiser updates, in place, n elements (param, state and grad flat and aligned index-wise).
//   adam_update: g' = g + wd·p (decoupled=0, Adam+L2) | p −= lr·wd·p first (decoupled=1, AdamW)
//                m = β1 m + (1−β1) g';  v = β2 v + (1−β2) g'²
//                p −= lr · (m / (1−β1^t)) / (sqrt(v / (1−β2^t)) + eps)      (PyTorch semantics)
//   sgd_update:  g' = g + wd·p;  buf = μ·buf + g';  p −= lr·buf    (μ = 0: plain SGD, buf = g')
//   ema_update:  target = decay·target + (1−decay)·source
// FLOPs ~12n (adam); bytes 20n (adam: p, g, m, v read, p, m, v written).
// Test: native/tests/optim_test.cpp, test/kernels/adam_update.test.ts. Bench: lamkit bench kernels.
// Contraction off (fp_contract_off.h): the 4-lane body must match the 8-lane one bit for bit.
#include "fp_contract_off.h"

#include <lamkit/kernels.h>

#include <math.h>
#include <string.h>
#if defined(__SSE__)
#include <xmmintrin.h>
#elif defined(__wasm_simd128__)
#include <wasm_simd128.h>
#endif

#include "optim_adam.h"
#include "runtime/thread_pool.h"

namespace {

// Four-lane float vectors (GCC/Clang vector extensions). sqrtf with errno semantics (no
// -ffast-math, -fmath-errno by default) keeps the compiler from vectorising the Adam loop,
// so the square root is spelled out; the lanes follow optim_adam.h's shared body.
typedef float v4 __attribute__((vector_size(16)));
inline v4 sqrt4(v4 x) {
#if defined(__SSE__)
  return (v4)_mm_sqrt_ps((__m128)x);
#elif defined(__wasm_simd128__)
  return (v4)wasm_f32x4_sqrt((v128_t)x);
#else
  return v4{sqrtf(x[0]), sqrtf(x[1]), sqrtf(x[2]), sqrtf(x[3])};
#endif
}

// The 8-lane AVX2 body where the ISA in use (lam_isa_name, lowered by lam_force_isa) has it.
bool adam_avx2() {
#if defined(__x86_64__) && !defined(__wasm__)
  const char* isa = lam_isa_name();
  return !strcmp(isa, "avx2") || !strcmp(isa, "avx512");
#else
  return false;
#endif
}

}  // namespace

extern "C" void lam_f32_adam_update(float* param, const float* grad, float* m, float* v,
                                    int64_t n, float lr, float beta1, float beta2, float eps,
                                    float weight_decay, int decoupled, int64_t t) {
  if (t < 1) t = 1;
  // Bias corrections in double once per call (β^t underflows gracefully).
  const double bc1 = 1.0 - pow((double)beta1, (double)t);
  const double bc2 = 1.0 - pow((double)beta2, (double)t);
  lamkit::AdamCoef c;
  c.step = (float)((double)lr / bc1);
  c.inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2));
  c.b1 = beta1;
  c.b2 = beta2;
  c.omb1 = 1.0f - beta1;
  c.omb2 = 1.0f - beta2;
  c.eps = eps;
  c.decay_mul = decoupled ? 1.0f - lr * weight_decay : 1.0f;
  c.l2 = decoupled ? 0.0f : weight_decay;
  const bool wide = adam_avx2();
  (void)wide;
  // Cost 4 per element (not its 12 flops): vectorised it runs ~1 ns per element, so an
  // optimiser-sized update (linear-exo: 5,632 params, ~6 µs) stays on one thread — a
  // parallel region there saves less than it risks when the other core is busy.
  lamkit::parallel_for(n, 4.0, [&](int64_t i0, int64_t i1) {
    int64_t i = i0;
#if defined(__x86_64__) && !defined(__wasm__)
    if (wide) i = lamkit::adam_update_avx2(param, grad, m, v, i, i1, c);
#endif
    i = lamkit::adam_lanes<v4, sqrt4>(param, grad, m, v, i, i1, c);
    lamkit::adam_scalar(param, grad, m, v, i, i1, c);
  });
}

extern "C" void lam_f32_sgd_update(float* param, const float* grad, float* buf, int64_t n,
                                   float lr, float momentum, float weight_decay) {
  lamkit::parallel_for(n, 4.0, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      const float g = grad[i] + weight_decay * param[i];
      const float b = momentum * buf[i] + g;
      buf[i] = b;
      param[i] -= lr * b;
    }
  });
}

extern "C" void lam_f32_ema_update(float* target, const float* source, int64_t n, float decay) {
  const float omd = 1.0f - decay;
  lamkit::parallel_for(n, 3.0, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) target[i] = decay * target[i] + omd * source[i];
  });
}
