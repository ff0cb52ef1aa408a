// conv_transpose2d forward — x [N,IC,H,W], w [IC,OC,KH,KW] (PyTorch layout) → y [N,OC,OH,OW],
// OH = (H−1)sh − 2ph + dh(KH−1) + oph + 1 (the caller passes OH/OW, so output padding is implicit).
//   y (= | +=) col2im(Wᵀ · x[n])   with W viewed as [IC, OC·KH·KW]
// This is exactly conv2d_backward_input of the conv that maps y-sized images to x-sized ones:
// its "input channels" are OC, its "output channels" IC, its image OH×OW and its output H×W.
// So it reuses that kernel (im2col/col2im + the same SGEMM, batching and threading; its direct
// and, for 4×4 stride 2, Winograd kernels: conv2d_grad_direct.h).
// Its backward: dx = conv2d(dy, w) and dw = conv2d_backward_filter(dy, x) with the same roles.
// FLOPs 2·N·IC·OC·KH·KW·H·W; bytes 4(|x| + |w| + |y|).
// Test: native/tests/conv2d_test.cpp, test/kernels/conv_transpose2d.test.ts.
// Bench: lamkit bench kernels --op conv_transpose2d.
#include <lamkit/kernels.h>

extern "C" void lam_f32_conv_transpose2d(const float* x, const float* w, float* y, int64_t N,
                                         int64_t IC, int64_t H, int64_t W, int64_t OC,
                                         int64_t KH, int64_t KW, int64_t sh, int64_t sw,
                                         int64_t ph, int64_t pw, int64_t dh, int64_t dw,
                                         int64_t OH, int64_t OW, int acc) {
  lam_f32_conv2d_backward_input(x, w, y, N, /*C=*/OC, /*H=*/OH, /*W=*/OW, /*OC=*/IC, KH, KW, sh,
                                sw, ph, pw, dh, dw, /*OH=*/H, /*OW=*/W, acc);
}
