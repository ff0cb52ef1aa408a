// conv2d (groups = 1), NCHW, forward and both backward kernels, via im2col + lamkit::sgemm.
//   conv2d:                 y[n] (= | +=) W · col(x[n])        W [OC, C·KH·KW], col [CKK, OH·OW]
//   conv2d_backward_input:  dx[n] (= | +=) col2im(Wᵀ · dy[n])
//   conv2d_backward_filter: dW (= | +=) Σ_n dy[n] · col(x[n])ᵀ
// Shapes: x [N,C,H,W], w [OC,C,KH,KW], y [N,OC,OH,OW]; OH = (H + 2ph − dh(KH−1) − 1)/sh + 1.
// FLOPs 2·N·OC·CKK·OH·OW each; bytes 4(|x| + |w| + |y|) plus the column buffer traffic.
// Why batching images into one GEMM: the deep conv64 layers have OH·OW = 16..64 columns per
// image, too narrow for the 16/32-wide micro-tiles; gluing `nb` images side by side gives the
// GEMM ≥ ~512 columns (forward / backward-input) or a long K (backward-filter).
// Threads: with N ≥ threads, each thread takes a contiguous range of images (single-threaded
// GEMMs, private column buffers); otherwise images run in turn with a threaded GEMM.
// 1×1 stride-1 unpadded convolutions skip im2col (the image already is the column matrix).
// Forward: the direct AVX2 kernels and, for 4×4 stride-2 layers, Winograd F(2×2, 2×2)
// (conv2d_direct.h: conv2d_direct_avx2.cpp, conv2d_winograd_avx2.cpp) take the geometries where
// they are faster.
// Backward: the direct kernels of conv2d_grad_direct.h take the geometries they apply to; the
// input gradient of 4×4 stride-2 layers (and so conv_transpose2d) goes to Winograd
// (conv2d_winograd_bwd_avx2.cpp).
// Test: native/tests/conv2d_test.cpp, test/kernels/conv2d*.test.ts.
// Bench: lamkit bench kernels --op conv2d (conv64 layer shapes, batch 32, vs PyTorch CPU).
#include <lamkit/kernels.h>

#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <vector>

#include "conv2d_direct.h"
#include "conv2d_grad_direct.h"
#include "gemm.h"
#include "im2col.h"
#include "runtime/thread_pool.h"

namespace {

using lamkit::ConvGeom;

// Aligned scratch that lives as long as the call (per thread).
struct Scratch {
  float* p;
  explicit Scratch(size_t n) {
    p = static_cast<float*>(aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64 + 64));
    if (!p) abort();
  }
  ~Scratch() { free(p); }
};

// Images per GEMM: enough columns to fill the micro-tiles, bounded so the glued column
// matrix stays within ~2 MiB (L2/L3-friendly).
int64_t images_per_chunk(int64_t CKK, int64_t OHW, int64_t limit) {
  int64_t nb = (512 + OHW - 1) / OHW;
  const int64_t cap = std::max<int64_t>(1, (512 * 1024) / std::max<int64_t>(1, CKK * OHW));
  nb = std::min(nb, cap);
  return std::max<int64_t>(1, std::min(nb, limit));
}

bool is_pointwise(const ConvGeom& g) {
  return g.KH == 1 && g.KW == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 &&
         g.OH == g.H && g.OW == g.W;
}

// Runs body(n0, n1, gemm_threads) over image ranges: one range per thread when the batch is
// big enough, else the whole batch with a threaded GEMM.
template <class F>
void over_images(int64_t N, double flops_per_image, F&& body) {
  int nt = lamkit::available_threads();
  if (flops_per_image * (double)N < 2.0e6) nt = 1;
  if (nt > 1 && N >= nt) {
    lamkit::parallel(nt, [&](int tid, int nthr) {
      const int64_t n0 = N * tid / nthr, n1 = N * (tid + 1) / nthr;
      if (n0 < n1) body(n0, n1, 1);
    });
  } else {
    body(0, N, nt);
  }
}

}  // namespace

extern "C" void lam_f32_conv2d(const float* x, const float* w, float* y, int64_t N, int64_t C,
                               int64_t H, int64_t W, int64_t OC, int64_t KH, int64_t KW,
                               int64_t sh, int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                               int64_t dw, int64_t OH, int64_t OW, int acc) {
  const ConvGeom g{C, H, W, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW};
  const int64_t CKK = C * KH * KW, OHW = OH * OW;
  if (N <= 0 || OC <= 0 || OHW <= 0) return;
  // The direct kernel where it is faster (conv2d_direct.cpp decides; false = not taken).
  if (lamkit::conv2d_direct(x, w, y, N, OC, g, acc, lamkit::ConvEpilogue())) return;
  const bool pointwise = is_pointwise(g);
  over_images(N, 2.0 * OC * CKK * OHW, [&](int64_t n0, int64_t n1, int gt) {
    if (pointwise) {
      for (int64_t n = n0; n < n1; ++n)
        lamkit::sgemm(0, 0, OC, OHW, C, w, C, x + n * C * H * W, OHW, y + n * OC * OHW, OHW, acc,
                      gt);
      return;
    }
    const int64_t nb = images_per_chunk(CKK, OHW, n1 - n0);
    const int64_t ld = nb * OHW;
    Scratch col((size_t)(CKK * ld));
    Scratch out((size_t)(nb > 1 ? OC * ld : 1));
    for (int64_t n = n0; n < n1; n += nb) {
      const int64_t cnt = std::min(nb, n1 - n);
      if (gt > 1) {
        // Batch below the thread count (batch-1 inference): the GEMM is threaded, so split the
        // im2col over channels too instead of running it serially between parallel GEMMs.
        lamkit::parallel_for(C, (double)(KH * KW * OHW * cnt), [&](int64_t c0, int64_t c1) {
          ConvGeom gc = g;
          gc.C = c1 - c0;
          lamkit::im2col(x + n * C * H * W + c0 * H * W, cnt, C * H * W, gc, col.p + c0 * KH * KW * ld, ld);
        });
      } else {
        lamkit::im2col(x + n * C * H * W, cnt, C * H * W, g, col.p, ld);
      }
      if (cnt == 1) {
        lamkit::sgemm(0, 0, OC, OHW, CKK, w, CKK, col.p, ld, y + n * OC * OHW, OHW, acc, gt);
        continue;
      }
      // Y_cat [OC, cnt·OHW] then un-glue into y[n + i] (the copy is |y|, small next to the GEMM).
      lamkit::sgemm(0, 0, OC, cnt * OHW, CKK, w, CKK, col.p, ld, out.p, ld, 0, gt);
      for (int64_t i = 0; i < cnt; ++i) {
        float* yi = y + (n + i) * OC * OHW;
        for (int64_t oc = 0; oc < OC; ++oc) {
          const float* src = out.p + oc * ld + i * OHW;
          float* dst = yi + oc * OHW;
          if (acc) {
            for (int64_t j = 0; j < OHW; ++j) dst[j] += src[j];
          } else {
            memcpy(dst, src, sizeof(float) * (size_t)OHW);
          }
        }
      }
    }
  });
}

extern "C" void lam_f32_conv2d_backward_input(const float* dy, const float* w, float* dx,
                                              int64_t N, int64_t C, int64_t H, int64_t W,
                                              int64_t OC, int64_t KH, int64_t KW, int64_t sh,
                                              int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                                              int64_t dw, int64_t OH, int64_t OW, int acc) {
  const ConvGeom g{C, H, W, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW};
  const int64_t CKK = C * KH * KW, OHW = OH * OW, HW = H * W;
  if (N <= 0 || C <= 0 || HW <= 0) return;
  if (OHW <= 0 || OC <= 0) {
    if (!acc) memset(dx, 0, sizeof(float) * (size_t)(N * C * HW));
    return;
  }
  // The direct kernels where they apply (conv2d_grad_direct.cpp; false = not taken).
  if (lamkit::conv2d_backward_input_direct(dy, w, dx, N, OC, g, acc)) return;
  const bool pointwise = is_pointwise(g);
  over_images(N, 2.0 * OC * CKK * OHW, [&](int64_t n0, int64_t n1, int gt) {
    if (pointwise) {
      for (int64_t n = n0; n < n1; ++n)
        lamkit::sgemm(1, 0, C, OHW, OC, w, C, dy + n * OC * OHW, OHW, dx + n * C * HW, HW, acc, gt);
      return;
    }
    const int64_t nb = images_per_chunk(CKK, OHW, n1 - n0);
    const int64_t ld = nb * OHW;
    Scratch col((size_t)(CKK * ld));
    Scratch dyc((size_t)(nb > 1 ? OC * ld : 1));
    for (int64_t n = n0; n < n1; n += nb) {
      const int64_t cnt = std::min(nb, n1 - n);
      const float* B = dy + n * OC * OHW;
      if (cnt > 1) {
        // Glue dy[n..n+cnt) into [OC, cnt·OHW] so one GEMM covers the chunk.
        for (int64_t i = 0; i < cnt; ++i)
          for (int64_t oc = 0; oc < OC; ++oc)
            memcpy(dyc.p + oc * ld + i * OHW, dy + ((n + i) * OC + oc) * OHW,
                   sizeof(float) * (size_t)OHW);
        B = dyc.p;
      }
      // dcol [CKK, cnt·OHW] = Wᵀ · dy_cat   (W stored [OC, CKK] → transposed A)
      lamkit::sgemm(1, 0, CKK, cnt * OHW, OC, w, CKK, B, cnt > 1 ? ld : OHW, col.p, ld, 0, gt);
      if (!acc) memset(dx + n * C * HW, 0, sizeof(float) * (size_t)(cnt * C * HW));
      lamkit::col2im_add(col.p, ld, cnt, g, dx + n * C * HW, C * HW);
    }
  });
}

extern "C" void lam_f32_conv2d_backward_filter(const float* x, const float* dy, float* dwt,
                                               int64_t N, int64_t C, int64_t H, int64_t W,
                                               int64_t OC, int64_t KH, int64_t KW, int64_t sh,
                                               int64_t sw, int64_t ph, int64_t pw, int64_t dh,
                                               int64_t dw, int64_t OH, int64_t OW, int acc) {
  const ConvGeom g{C, H, W, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW};
  const int64_t CKK = C * KH * KW, OHW = OH * OW;
  if (OC <= 0 || CKK <= 0) return;
  if (N <= 0 || OHW <= 0) {
    if (!acc) memset(dwt, 0, sizeof(float) * (size_t)(OC * CKK));
    return;
  }
  if (lamkit::conv2d_backward_filter_direct(x, dy, dwt, N, OC, g, acc)) return;
  const double flops = 2.0 * (double)N * OC * CKK * OHW;
  int nt = lamkit::available_threads();
  if (flops < 2.0e6 || N < nt) nt = 1;
  // Per-thread partial dW (threads > 1), reduced in thread order at the end (deterministic).
  std::vector<float> partial(nt > 1 ? (size_t)(nt * OC * CKK) : 0);
  auto run = [&](int64_t n0, int64_t n1, float* out, int out_acc, int gt) {
    const int64_t nb = images_per_chunk(CKK, OHW, n1 - n0);
    const int64_t ld = nb * OHW;
    Scratch col((size_t)(CKK * ld));
    Scratch dyc((size_t)(nb > 1 ? OC * ld : 1));
    int first = 1;
    for (int64_t n = n0; n < n1; n += nb) {
      const int64_t cnt = std::min(nb, n1 - n);
      lamkit::im2col(x + n * C * H * W, cnt, C * H * W, g, col.p, ld);
      const float* A = dy + n * OC * OHW;
      if (cnt > 1) {
        for (int64_t i = 0; i < cnt; ++i)
          for (int64_t oc = 0; oc < OC; ++oc)
            memcpy(dyc.p + oc * ld + i * OHW, dy + ((n + i) * OC + oc) * OHW,
                   sizeof(float) * (size_t)OHW);
        A = dyc.p;
      }
      // dW [OC, CKK] (+)= dy_cat [OC, K=cnt·OHW] · col_catᵀ  (col stored [CKK, K] → transposed B)
      lamkit::sgemm(0, 1, OC, CKK, cnt * OHW, A, cnt > 1 ? ld : OHW, col.p, ld, out, CKK,
                    first ? out_acc : 1, gt);
      first = 0;
    }
  };
  if (nt <= 1) {
    run(0, N, dwt, acc, lamkit::available_threads());
    return;
  }
  lamkit::parallel(nt, [&](int tid, int nthr) {
    const int64_t n0 = N * tid / nthr, n1 = N * (tid + 1) / nthr;
    float* out = partial.data() + (size_t)tid * OC * CKK;
    if (n0 < n1) run(n0, n1, out, 0, 1);
    else memset(out, 0, sizeof(float) * (size_t)(OC * CKK));
  });
  const int64_t total = OC * CKK;
  lamkit::parallel_for(total, (double)nt, [&](int64_t i0, int64_t i1) {
    for (int64_t i = i0; i < i1; ++i) {
      float s = acc ? dwt[i] : 0.0f;
      for (int t = 0; t < nt; ++t) s += partial[(size_t)t * total + i];
      dwt[i] = s;
    }
  });
}
