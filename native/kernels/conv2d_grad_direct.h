// Direct (im2col-free) conv2d backward kernels, groups = 1, NCHW (shapes as in conv2d.cpp).
// Driver loops in conv2d_grad_direct.cpp, the AVX2 register tile in conv2d_grad_direct_avx2.cpp.
//   backward_filter: dW (= | +=) Σ_n dy[n] ⋆ x[n]      (lam_f32_conv2d_backward_filter)
//   backward_input:  dx (= | +=) conv2dᵀ(dy, W)        (lam_f32_conv2d_backward_input, and so
//                                                       lam_f32_conv_transpose2d)
// Each returns false, having written nothing, when it does not take the geometry or the ISA
// (lam_force_isa("scalar") included); the caller then runs the im2col + SGEMM path.
#ifndef LAMKIT_CONV2D_GRAD_DIRECT_H
#define LAMKIT_CONV2D_GRAD_DIRECT_H

#include <stdint.h>

#include "im2col.h"

namespace lamkit {

bool conv2d_backward_filter_direct(const float* x, const float* dy, float* dw, int64_t N,
                                   int64_t OC, const ConvGeom& g, int acc);

bool conv2d_backward_input_direct(const float* dy, const float* w, float* dx, int64_t N,
                                  int64_t OC, const ConvGeom& g, int acc);

// backward_input of 4×4 stride-2 undilated convs by Winograd F(2×2, 2×2) per output phase
// (conv2d_winograd_bwd_avx2.cpp; AVX2+FMA CPUs only, no ISA check): false for other geometries.
// conv2d_backward_input_direct takes it under its measured rule.
bool conv2d_backward_input_winograd_avx2(const float* dy, const float* w, float* dx, int64_t N,
                                         int64_t OC, const ConvGeom& g, int acc);

// The shared register tile: np (1..6) broadcast operands × 16 lanes.
//   acc[j][0:16] (load ? += : =) Σ_{r < nrows, i < ni} B[k][0:16] · (rows[r] + i·istride)[off[j]]
// where k = r·ni + i counts the steps and B advances 16 floats per step.
void conv_grad_tile_avx2(int np, const float* const* rows, int64_t nrows, int64_t ni,
                         int64_t istride, const int64_t* off, const float* B, float* acc,
                         int load);

// d[p·ld + v] = s[v·ls + p] for lanes v < lanes, 0 for lanes ≤ v < 16; p < n (16-lane packing
// of `lanes` rows of stride ls, 8×8 register transposes).
void conv_grad_pack16_avx2(const float* s, int64_t ls, int64_t lanes, int64_t n, float* d,
                           int64_t ld);

// Its inverse, adding or not: d[v·ld + p] (acc ? += : =) s[p·16 + v] for v < lanes, p < n.
void conv_grad_unpack16_avx2(const float* s, int64_t n, int64_t lanes, float* d, int64_t ld,
                             int acc);

}  // namespace lamkit

#endif
