// conv2d_bias_act: y = act(conv2d(x, w) + b[oc]), the fused conv2d → bias_add → relu/leaky_relu
// the planner emits (src/graph/fuse.ts, src/ops/conv2d_bias_act.ts). act 0 none, 1 relu, 2 leaky.
// Why: unfused, bias_add and the activation are two more full passes over y (at conv64 IDM
// batch 64 ~1.8 ms of ~31 ms). The direct conv kernel applies the epilogue in registers; when it
// does not take the geometry, the im2col conv runs and one pass applies bias + activation.
// The fallback equals the three unfused kernels bit for bit (same float32 add, same compare-and-
// select as lam_f32_relu / lam_f32_leaky_relu, NaN kept).
// Test: native/tests/conv2d_bias_act_test.cpp, test/graph/fuse-kernel.test.ts, test/graph/fuse.test.ts.
#include <lamkit/kernels.h>

#include "conv2d_direct.h"
#include "runtime/thread_pool.h"

namespace {

// One bias row of S elements; the act branch is outside the loop so each loop vectorises.
void epilogue_row(float* yr, int64_t S, float bc, int act, float slope) {
  if (act == lamkit::kConvActRelu) {
    for (int64_t s = 0; s < S; ++s) {
      const float v = yr[s] + bc;
      yr[s] = v < 0.0f ? 0.0f : v;
    }
  } else if (act == lamkit::kConvActLeakyRelu) {
    for (int64_t s = 0; s < S; ++s) {
      const float v = yr[s] + bc;
      yr[s] = v < 0.0f ? v * slope : v;
    }
  } else {
    for (int64_t s = 0; s < S; ++s) yr[s] += bc;
  }
}

}  // namespace

extern "C" void lam_f32_conv2d_bias_act(const float* x, const float* w, const float* b, float* y,
                                        int64_t N, int64_t C, int64_t H, int64_t W, int64_t OC,
                                        int64_t KH, int64_t KW, int64_t sh, int64_t sw, int64_t ph,
                                        int64_t pw, int64_t dh, int64_t dw, int64_t OH, int64_t OW,
                                        int act, float slope) {
  if (N <= 0 || OC <= 0 || OH * OW <= 0) return;
  const lamkit::ConvGeom g{C, H, W, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW};
  lamkit::ConvEpilogue ep;
  ep.bias = b;
  ep.act = act;
  ep.slope = slope;
  if (lamkit::conv2d_direct(x, w, y, N, OC, g, 0, ep)) return;
  lam_f32_conv2d(x, w, y, N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW, 0);
  const int64_t S = OH * OW;
  lamkit::parallel_for(N * OC, 2.0 * (double)S, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) epilogue_row(y + r * S, S, b[r % OC], act, slope);
  });
}
