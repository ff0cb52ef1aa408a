// The per-row body of mse_loss / mse_grad (mse.cpp), shared by the baseline build and the
// -mavx2 one (mse_avx2.cpp) so the two cannot drift apart.
//
// Bits: the loss of a row is four float64 partial sums, lane j over the elements d ≡ j (mod 4)
// in increasing d, combined as (s0 + s1) + (s2 + s3), then the D mod 4 tail added in order;
// every lane does each IEEE operation of the scalar formula in the same order (the including
// files turn contraction off), so all builds give the same bits.
// Speed: each row's four lanes are one serial chain of float64 adds, so R = 2 rows go through
// one loop together; their chains are independent and the adds overlap.
#ifndef LAMKIT_MSE_ROWS_H
#define LAMKIT_MSE_ROWS_H

#include <stdint.h>

#include "vec_load.h"

namespace lamkit {

typedef float mse_f4 __attribute__((vector_size(16)));
typedef double mse_d4 __attribute__((vector_size(32)));

// Out-parameter form: returning a 32-byte vector from the baseline build changes the ABI (GCC
// -Wpsabi), as in vec_load.h.
inline void mse_widen(mse_f4 x, mse_d4& y) { y = __builtin_convertvector(x, mse_d4); }

// For rows i < R: rs[i] = Σ_d (p_i − t_i)² in float64 when Loss; g_i (= | +=) k_i·(p_i − t_i)
// when Grad. Widen: float → double lanes (the AVX2 build passes the one-instruction form; GCC
// spells the generic one as two halves).
template <int R, bool Loss, bool Grad, void (*Widen)(mse_f4, mse_d4&)>
inline void mse_rows(const float* const* p_, const float* const* t_, float* const* g_,
                     const float* k_, int acc, int64_t D, double* rs) {
  // Locals: through the arrays, every store to g would make the compiler reload the pointers.
  const float* p[R];
  const float* t[R];
  float* g[R];
  float k[R];
  mse_d4 s[R];
  for (int i = 0; i < R; ++i) {
    p[i] = p_[i];
    t[i] = t_[i];
    g[i] = Grad ? g_[i] : nullptr;
    k[i] = Grad ? k_[i] : 0.0f;
    s[i] = mse_d4{0.0, 0.0, 0.0, 0.0};
  }
  int64_t d = 0;
  for (; d + 4 <= D; d += 4) {
    for (int i = 0; i < R; ++i) {
      const mse_f4 pv = loadv<mse_f4>(p[i] + d), tv = loadv<mse_f4>(t[i] + d);
      if (Loss) {
        mse_d4 pd, td;
        Widen(pv, pd);
        Widen(tv, td);
        const mse_d4 e = pd - td;
        s[i] += e * e;
      }
      if (Grad) {
        const mse_f4 gv = k[i] * (pv - tv);
        storev(g[i] + d, acc ? loadv<mse_f4>(g[i] + d) + gv : gv);
      }
    }
  }
  for (int i = 0; i < R; ++i) {
    if (Loss) {
      double r = (s[i][0] + s[i][1]) + (s[i][2] + s[i][3]);
      for (int64_t e = d; e < D; ++e) {
        const double x = (double)p[i][e] - (double)t[i][e];
        r += x * x;
      }
      rs[i] = r;
    }
    if (Grad) {
      for (int64_t e = d; e < D; ++e) {
        const float x = k[i] * (p[i][e] - t[i][e]);
        g[i][e] = acc ? g[i][e] + x : x;
      }
    }
  }
}

// One entry for the dispatcher: rows ∈ {1, 2}; rs may be null (no loss), g null (no gradient).
typedef void (*mse_rows_fn)(int rows, const float* const* p, const float* const* t,
                            float* const* g, const float* k, int acc, int64_t D, double* rs);

template <int R, void (*Widen)(mse_f4, mse_d4&)>
inline void mse_rows_any(const float* const* p, const float* const* t, float* const* g,
                         const float* k, int acc, int64_t D, double* rs) {
  if (rs && g) mse_rows<R, true, true, Widen>(p, t, g, k, acc, D, rs);
  else if (rs) mse_rows<R, true, false, Widen>(p, t, g, k, acc, D, rs);
  else mse_rows<R, false, true, Widen>(p, t, g, k, acc, D, rs);
}

template <void (*Widen)(mse_f4, mse_d4&) = mse_widen>
inline void mse_rows_dispatch(int rows, const float* const* p, const float* const* t,
                              float* const* g, const float* k, int acc, int64_t D, double* rs) {
  if (rows == 2) mse_rows_any<2, Widen>(p, t, g, k, acc, D, rs);
  else mse_rows_any<1, Widen>(p, t, g, k, acc, D, rs);
}

// mse_avx2.cpp: mse_rows_dispatch compiled with -mavx2. Call only when the CPU has AVX2.
void mse_rows_avx2(int rows, const float* const* p, const float* const* t, float* const* g,
                   const float* k, int acc, int64_t D, double* rs);

}  // namespace lamkit

#endif
