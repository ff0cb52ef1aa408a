// conv2d, conv2d_backward_input, conv2d_backward_filter, conv_transpose2d vs float64 direct
// loops: strides 1–3, padding, dilation, 1×1 (the im2col-free path), non-square, odd channel
// counts, batch 1 (threaded GEMM) and batch ≥ threads (threads over images, glued images),
// `=` into NaN, `+=` onto random values, 1 thread and the pool, scalar and best ISA.
#include <lamkit/kernels.h>

#include "test_util.h"

struct Shape {
  int64_t N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw;
};

static int64_t out_dim(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) {
  return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}

static void check_conv(lt::ErrTracker* et, lt::Rng& r, const Shape& s, int acc) {
  const int64_t OH = out_dim(s.H, s.KH, s.sh, s.ph, s.dh), OW = out_dim(s.W, s.KW, s.sw, s.pw, s.dw);
  if (OH <= 0 || OW <= 0) return;
  const int64_t nx = s.N * s.C * s.H * s.W, nw = s.OC * s.C * s.KH * s.KW, ny = s.N * s.OC * OH * OW;
  auto x = lt::randv(r, nx), w = lt::randv(r, nw), dy = lt::randv(r, ny);
  const auto x0 = x, w0 = w, dy0 = dy;
  // Reference: visit every (n, oc, oh, ow, c, kh, kw) tap once, in float64.
  std::vector<double> y_ref((size_t)ny, 0.0), dx_ref((size_t)nx, 0.0), dw_ref((size_t)nw, 0.0);
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t oc = 0; oc < s.OC; ++oc)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          const int64_t yi = ((n * s.OC + oc) * OH + oh) * OW + ow;
          for (int64_t c = 0; c < s.C; ++c)
            for (int64_t kh = 0; kh < s.KH; ++kh)
              for (int64_t kw = 0; kw < s.KW; ++kw) {
                const int64_t ih = oh * s.sh - s.ph + kh * s.dh, iw = ow * s.sw - s.pw + kw * s.dw;
                if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) continue;
                const int64_t xi = ((n * s.C + c) * s.H + ih) * s.W + iw;
                const int64_t wi = ((oc * s.C + c) * s.KH + kh) * s.KW + kw;
                y_ref[(size_t)yi] += (double)x[(size_t)xi] * w[(size_t)wi];
                dx_ref[(size_t)xi] += (double)dy[(size_t)yi] * w[(size_t)wi];
                dw_ref[(size_t)wi] += (double)dy[(size_t)yi] * x[(size_t)xi];
              }
        }
  const double kf = (double)(s.C * s.KH * s.KW), kb = (double)(s.OC * s.KH * s.KW),
               kw_ = (double)(s.N * OH * OW);
  auto cmp = [&](lt::ErrTracker& t, lt::Guarded& got, const std::vector<float>& before,
                 const std::vector<double>& ref, double K, const char* what) {
    for (size_t i = 0; i < ref.size(); ++i)
      t.add(got[(int64_t)i], ref[i] + (acc ? before[i] : 0.0), 2e-6 * sqrt(K + 1) + 1e-6, 1e-5);
    CHECK(got.guards_ok(), "%s guard zone", what);
  };
  {
    lt::Guarded y(ny, r, !acc);
    const auto yb = y.copy();
    lam_f32_conv2d(x.data(), w.data(), y.data(), s.N, s.C, s.H, s.W, s.OC, s.KH, s.KW, s.sh, s.sw,
                   s.ph, s.pw, s.dh, s.dw, OH, OW, acc);
    cmp(et[0], y, yb, y_ref, kf, "conv2d");
  }
  {
    lt::Guarded dx(nx, r, !acc);
    const auto b = dx.copy();
    lam_f32_conv2d_backward_input(dy.data(), w.data(), dx.data(), s.N, s.C, s.H, s.W, s.OC, s.KH,
                                  s.KW, s.sh, s.sw, s.ph, s.pw, s.dh, s.dw, OH, OW, acc);
    cmp(et[1], dx, b, dx_ref, kb, "conv2d_backward_input");
  }
  {
    lt::Guarded dwt(nw, r, !acc);
    const auto b = dwt.copy();
    lam_f32_conv2d_backward_filter(x.data(), dy.data(), dwt.data(), s.N, s.C, s.H, s.W, s.OC, s.KH,
                                   s.KW, s.sh, s.sw, s.ph, s.pw, s.dh, s.dw, OH, OW, acc);
    cmp(et[2], dwt, b, dw_ref, kw_, "conv2d_backward_filter");
  }
  {
    // conv_transpose2d(x' = dy [N,OC,OH,OW], w' [OC(in),C(out),KH,KW] = w) produces the
    // conv's input-sized image: exactly dx_ref. Its output size is given as H×W.
    lt::Guarded yt(nx, r, !acc);
    const auto b = yt.copy();
    lam_f32_conv_transpose2d(dy.data(), w.data(), yt.data(), s.N, /*IC=*/s.OC, OH, OW, /*OC=*/s.C,
                             s.KH, s.KW, s.sh, s.sw, s.ph, s.pw, s.dh, s.dw, s.H, s.W, acc);
    cmp(et[3], yt, b, dx_ref, kb, "conv_transpose2d");
  }
  CHECK(x == x0 && w == w0 && dy == dy0, "conv inputs modified");
}

int main() {
  lt::Rng r(lt::seed());
  const Shape shapes[] = {
      {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1},       {2, 3, 5, 7, 4, 1, 1, 1, 1, 0, 0, 1, 1},
      {3, 6, 16, 16, 8, 4, 4, 2, 2, 1, 1, 1, 1},     {1, 5, 9, 11, 7, 3, 3, 1, 1, 1, 1, 1, 1},
      {4, 3, 13, 10, 5, 3, 2, 2, 3, 1, 0, 1, 1},     {2, 4, 12, 12, 3, 3, 3, 1, 1, 2, 2, 2, 2},
      {5, 7, 8, 8, 17, 4, 4, 2, 2, 1, 1, 1, 1},      {2, 32, 8, 8, 33, 4, 4, 2, 2, 1, 1, 1, 1},
      {33, 16, 4, 4, 16, 4, 4, 2, 2, 1, 1, 1, 1},    {3, 2, 7, 7, 3, 5, 5, 3, 3, 2, 2, 1, 1},
      {2, 3, 32, 32, 16, 4, 4, 2, 2, 1, 1, 1, 1},    {1, 2, 6, 6, 2, 3, 3, 1, 1, 0, 0, 1, 1},
      // Taps that never land inside the image (padding ≥ the image): empty tap ranges.
      {2, 3, 1, 2, 4, 5, 5, 1, 1, 2, 3, 1, 1},       {1, 2, 2, 1, 3, 3, 4, 2, 1, 2, 3, 2, 1},
      // Batch 1 with enough work for a threaded GEMM: im2col split over channels (7: uneven).
      {1, 16, 32, 32, 32, 3, 3, 1, 1, 1, 1, 1, 1},   {1, 7, 40, 40, 32, 4, 4, 2, 2, 1, 1, 1, 1},
  };
  printf("conv2d_test: ISA %s, threads %d\n", lam_isa_name(), lam_get_num_threads());
  for (const char* isa : {"auto", "scalar"}) {
    lam_force_isa(strcmp(isa, "auto") ? isa : nullptr);
    for (int threads : {1, 0}) {
      lam_set_num_threads(threads);
      lt::ErrTracker et[4] = {lt::ErrTracker("conv2d"), lt::ErrTracker("conv2d_bwd_in"),
                              lt::ErrTracker("conv2d_bwd_w"), lt::ErrTracker("conv_t2d")};
      for (const Shape& s : shapes)
        for (int acc = 0; acc < 2; ++acc) check_conv(et, r, s, acc);
      char what[64];
      snprintf(what, sizeof what, "isa %s threads %d", lam_isa_name(), lam_get_num_threads());
      for (auto& t : et) t.report(what);
    }
  }
  printf("conv2d_test: %d failures\n", lt::failures());
  return lt::failures() != 0;
}
