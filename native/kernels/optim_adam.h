// The Adam/AdamW element update shared by optim.cpp (4-lane vectors, every target) and
// optim_avx2.cpp (8-lane, -mavx2): one body, so the two paths cannot drift apart. Every lane
// does the scalar formula's IEEE operations in the same order (no fused multiply-add: the
// including file turns contraction off), so all paths give bit-identical results.
#ifndef LAMKIT_OPTIM_ADAM_H
#define LAMKIT_OPTIM_ADAM_H

#include <math.h>
#include <stdint.h>

#include "vec_load.h"

namespace lamkit {

// Per-call constants of lam_f32_adam_update (bias corrections folded in).
struct AdamCoef {
  float step;          // lr / (1 − β1^t)
  float inv_sqrt_bc2;  // 1 / sqrt(1 − β2^t)
  float b1, b2, omb1, omb2, eps;
  float decay_mul;  // 1 − lr·wd for AdamW, else 1
  float l2;         // wd for Adam + L2, else 0
};

// Elements [i, i1) in steps of the vector width V; returns the first element not updated.
template <class V, V (*Sqrt)(V)>
inline int64_t adam_lanes(float* param, const float* grad, float* m, float* v, int64_t i,
                          int64_t i1, const AdamCoef& coef) {
  constexpr int64_t L = (int64_t)(sizeof(V) / sizeof(float));
  // A local copy: through the reference, every store to param/m/v (float*, which may alias the
  // struct's floats) made the compiler reload and re-broadcast all nine constants in the loop
  // (linear-1k's 1.15 M-parameter update at 1 thread, caches swept: 0.89 → 0.78–0.82 ms).
  const AdamCoef c = coef;
  for (; i + L <= i1; i += L) {
    const V p0 = loadv<V>(param + i);
    V p = p0 * c.decay_mul;
    const V g = loadv<V>(grad + i) + c.l2 * p0;
    const V mi = c.b1 * loadv<V>(m + i) + c.omb1 * g;
    const V vi = c.b2 * loadv<V>(v + i) + c.omb2 * g * g;
    storev(m + i, mi);
    storev(v + i, vi);
    p -= c.step * mi / (Sqrt(vi) * c.inv_sqrt_bc2 + c.eps);
    storev(param + i, p);
  }
  return i;
}

// The scalar twin, for tails.
inline void adam_scalar(float* param, const float* grad, float* m, float* v, int64_t i,
                        int64_t i1, const AdamCoef& c) {
  for (; i < i1; ++i) {
    float p = param[i] * c.decay_mul;
    const float g = grad[i] + c.l2 * param[i];
    const float mi = c.b1 * m[i] + c.omb1 * g;
    const float vi = c.b2 * v[i] + c.omb2 * g * g;
    m[i] = mi;
    v[i] = vi;
    p -= c.step * mi / (sqrtf(vi) * c.inv_sqrt_bc2 + c.eps);
    param[i] = p;
  }
}

// optim_avx2.cpp: adam_lanes with 8-lane AVX vectors. Call only when the CPU has AVX2.
int64_t adam_update_avx2(float* param, const float* grad, float* m, float* v, int64_t i,
                         int64_t i1, const AdamCoef& c);

}  // namespace lamkit

#endif
