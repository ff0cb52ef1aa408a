// Direct (im2col-free) conv2d forward with a fused bias/activation epilogue.
// Implemented in conv2d_direct.cpp (dispatch), conv2d_direct_avx2.cpp (the channel-vector AVX2
// kernel) and conv2d_direct_px_avx2.cpp (the pixel-vector one, for few taps);
// called by lam_f32_conv2d (conv2d.cpp, no epilogue) and the fused conv2d_bias_act kernel.
//   y[n] = act((acc ? y[n] : 0) + conv(x[n], w) + bias)      x [N,C,H,W], w [OC,C,KH,KW], y [N,OC,OH,OW]
// Returns false, having written nothing, when it does not take this geometry or ISA; the caller
// then runs the im2col + SGEMM path (and applies the epilogue itself).
#ifndef LAMKIT_CONV2D_DIRECT_H
#define LAMKIT_CONV2D_DIRECT_H

#include <stdint.h>

#include "im2col.h"

namespace lamkit {

enum ConvActivation { kConvActNone = 0, kConvActRelu = 1, kConvActLeakyRelu = 2 };

struct ConvEpilogue {
  const float* bias = nullptr;  // [OC] or null
  int act = kConvActNone;
  float slope = 0.0f;           // leaky_relu negative slope
};

bool conv2d_direct(const float* x, const float* w, float* y, int64_t N, int64_t OC,
                   const ConvGeom& g, int acc, const ConvEpilogue& ep);

// The AVX2+FMA kernel itself (x86-64 only): takes every valid geometry, with no ISA check or
// speed heuristic. conv2d_direct calls it; tests call it directly to cover shapes the
// heuristic leaves to im2col. The CPU must have AVX2 and FMA.
bool conv2d_direct_avx2(const float* x, const float* w, float* y, int64_t N, int64_t OC,
                        const ConvGeom& g, int acc, const ConvEpilogue& ep);

// The pixel-vector AVX2+FMA kernel (conv2d_direct_px_avx2.cpp) for few taps per output
// (conv64's 3- and 6-channel first layers): needs OW % 8 == 0, else returns false.
bool conv2d_direct_px_avx2(const float* x, const float* w, float* y, int64_t N, int64_t OC,
                           const ConvGeom& g, int acc, const ConvEpilogue& ep);

// Winograd F(2×2, 2×2) for 4×4 stride-2 undilated convs (conv2d_winograd_avx2.cpp): 9 products
// per 2×2 output tile and phase channel instead of 16. Returns false for any other geometry.
bool conv2d_winograd_avx2(const float* x, const float* w, float* y, int64_t N, int64_t OC,
                          const ConvGeom& g, int acc, const ConvEpilogue& ep);

}  // namespace lamkit

#endif
