// The direct conv backward kernels (conv2d_grad_direct.h) vs float64 loops and vs the im2col
// path (lam_force_isa("scalar") selects it): strides 1–3, padding 0–3, dilation 1/2, C / OC
// not multiples of 16 (padded lanes), edge tiles of 1–5 taps or pixels, N = 1 (a transposed
// conv split within the image), `=` into NaN, `+=` onto random values, 1 and 2 threads.
// LAMKIT_CONV_GRAD_DIRECT=1 (every geometry the kernels take, not only those with enough
// pixels per call) for the comparisons. Also: both direct kernels are bit-identical for 1 and 2
// threads (threads split tiles or images, never a sum), and the kernels report "not taken" where
// they must (scalar ISA, 1×1, narrow C/OC, too few pixels under the default rule, =0).
#include <lamkit/kernels.h>

#include "kernels/conv2d_grad_direct.h"
#include "test_util.h"

struct Shape {
  int64_t N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw;
};

static int64_t out_dim(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) {
  return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}

static lamkit::ConvGeom geom(const Shape& s) {
  return {s.C, s.H, s.W, s.KH, s.KW, s.sh, s.sw, s.ph, s.pw, s.dh, s.dw,
          out_dim(s.H, s.KH, s.sh, s.ph, s.dh), out_dim(s.W, s.KW, s.sw, s.pw, s.dw)};
}

// dx (which = 0) or dW (which = 1) through the public entry (direct when taken).
static void run(int which, const Shape& s, const std::vector<float>& x, const std::vector<float>& w,
                const std::vector<float>& dy, float* out, int acc) {
  const lamkit::ConvGeom g = geom(s);
  if (which == 0)
    lam_f32_conv2d_backward_input(dy.data(), w.data(), out, s.N, s.C, s.H, s.W, s.OC, s.KH, s.KW,
                                  s.sh, s.sw, s.ph, s.pw, s.dh, s.dw, g.OH, g.OW, acc);
  else
    lam_f32_conv2d_backward_filter(x.data(), dy.data(), out, s.N, s.C, s.H, s.W, s.OC, s.KH, s.KW,
                                   s.sh, s.sw, s.ph, s.pw, s.dh, s.dw, g.OH, g.OW, acc);
}

static void check(lt::ErrTracker* et, lt::Rng& r, const Shape& s, bool expect_direct) {
  const lamkit::ConvGeom g = geom(s);
  const int64_t OH = g.OH, OW = g.OW;
  const int64_t nx = s.N * s.C * s.H * s.W, nw = s.OC * s.C * s.KH * s.KW, ny = s.N * s.OC * OH * OW;
  const auto x = lt::randv(r, nx), w = lt::randv(r, nw), dy = lt::randv(r, ny);
  std::vector<double> dx_ref((size_t)nx, 0.0), dw_ref((size_t)nw, 0.0);
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t oc = 0; oc < s.OC; ++oc)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow)
          for (int64_t c = 0; c < s.C; ++c)
            for (int64_t kh = 0; kh < s.KH; ++kh)
              for (int64_t kw = 0; kw < s.KW; ++kw) {
                const int64_t ih = oh * s.sh - s.ph + kh * s.dh, iw = ow * s.sw - s.pw + kw * s.dw;
                if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) continue;
                const int64_t xi = ((n * s.C + c) * s.H + ih) * s.W + iw;
                const int64_t wi = ((oc * s.C + c) * s.KH + kh) * s.KW + kw;
                const double d = dy[(size_t)(((n * s.OC + oc) * OH + oh) * OW + ow)];
                dx_ref[(size_t)xi] += d * w[(size_t)wi];
                dw_ref[(size_t)wi] += d * x[(size_t)xi];
              }
  const double K[2] = {(double)(s.OC * s.KH * s.KW), (double)(s.N * OH * OW)};
  const std::vector<double>* ref[2] = {&dx_ref, &dw_ref};
  const int64_t size[2] = {nx, nw};
  for (int which = 0; which < 2; ++which) {
    // Is the direct kernel taken? Called on a scratch output; the public entry must agree.
    std::vector<float> probe((size_t)size[which]);
    const bool taken = which == 0 ? lamkit::conv2d_backward_input_direct(dy.data(), w.data(), probe.data(), s.N, s.OC, g, 0)
                                  : lamkit::conv2d_backward_filter_direct(x.data(), dy.data(), probe.data(), s.N, s.OC, g, 0);
    CHECK(taken == expect_direct, "%s direct taken %d, expected %d (C %lld OC %lld)",
          which ? "filter" : "input", (int)taken, (int)expect_direct, (long long)s.C, (long long)s.OC);
    for (int acc = 0; acc < 2; ++acc) {
      lt::Guarded got(size[which], r, !acc);
      const auto before = got.copy();
      run(which, s, x, w, dy, got.data(), acc);
      // The im2col path on the same start values (scalar ISA), for the second comparison.
      std::vector<float> im2col = before;
      lam_force_isa("scalar");
      run(which, s, x, w, dy, im2col.data(), acc);
      lam_force_isa(nullptr);
      for (int64_t i = 0; i < size[which]; ++i) {
        const double base = acc ? before[(size_t)i] : 0.0;
        const double tol = 2e-6 * sqrt(K[which] + 1) + 1e-6;
        et[which].add(got[i], (*ref[which])[(size_t)i] + base, tol, 1e-5);
        et[2 + which].add(got[i], im2col[(size_t)i], 2 * tol, 2e-5);
      }
      CHECK(got.guards_ok(), "%s guard zone", which ? "filter" : "input");
      if (taken) CHECK(acc || probe == got.copy(), "%s: direct call and public entry differ", which ? "filter" : "input");
    }
  }
  // The same bits for 1 and 2 threads: the filter's threads take whole tiles, the input's whole
  // images (or 16-channel blocks of one image), each summed in a fixed order.
  if (expect_direct) {
    for (int which = 0; which < 2; ++which) {
      std::vector<float> a((size_t)size[which]), b((size_t)size[which]);
      lam_set_num_threads(1);
      run(which, s, x, w, dy, a.data(), 0);
      lam_set_num_threads(2);
      run(which, s, x, w, dy, b.data(), 0);
      lam_set_num_threads(0);
      CHECK(a == b, "%s differs between 1 and 2 threads (C %lld OC %lld)", which ? "filter" : "input",
            (long long)s.C, (long long)s.OC);
    }
  }
}

// The Winograd input gradient (4×4 stride 2 only) called directly: vs float64, `=` into NaN and
// `+=`, bitwise the same at 1 and 2 threads (image units vs block split at N = 1).
static void check_winograd(lt::ErrTracker& et, lt::Rng& r, const Shape& s) {
  const lamkit::ConvGeom g = geom(s);
  const int64_t nx = s.N * s.C * s.H * s.W, nw = s.OC * s.C * 16, ny = s.N * s.OC * g.OH * g.OW;
  const auto w = lt::randv(r, nw), dy = lt::randv(r, ny);
  std::vector<double> ref((size_t)nx, 0.0);
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t oc = 0; oc < s.OC; ++oc)
      for (int64_t oh = 0; oh < g.OH; ++oh)
        for (int64_t ow = 0; ow < g.OW; ++ow)
          for (int64_t c = 0; c < s.C; ++c)
            for (int64_t kh = 0; kh < 4; ++kh)
              for (int64_t kw = 0; kw < 4; ++kw) {
                const int64_t ih = oh * 2 - s.ph + kh, iw = ow * 2 - s.pw + kw;
                if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) continue;
                ref[(size_t)(((n * s.C + c) * s.H + ih) * s.W + iw)] +=
                    (double)dy[(size_t)(((n * s.OC + oc) * g.OH + oh) * g.OW + ow)] *
                    w[(size_t)(((oc * s.C + c) * 4 + kh) * 4 + kw)];
              }
  for (int acc = 0; acc < 2; ++acc) {
    std::vector<float> first;
    for (int threads : {1, 2}) {
      lam_set_num_threads(threads);
      lt::Guarded got(nx, r, !acc);
      if (threads == 2 && acc) memcpy(got.data(), first.data(), sizeof(float) * (size_t)nx);
      const auto before = got.copy();
      CHECK(lamkit::conv2d_backward_input_winograd_avx2(dy.data(), w.data(), got.data(), s.N, s.OC, g, acc),
            "winograd declined 4x4 stride 2 (C %lld OC %lld)", (long long)s.C, (long long)s.OC);
      CHECK(got.guards_ok(), "winograd guard zone");
      if (threads == 1) {
        for (int64_t i = 0; i < nx; ++i)
          et.add(got[i], ref[(size_t)i] + (acc ? before[(size_t)i] : 0.0), 2e-6 * sqrt((double)(s.OC * 16) + 1) + 1e-6, 1e-5);
        first = acc ? before : got.copy();
        if (acc) first.insert(first.end(), got.data(), got.data() + nx);
      } else {
        const float* want = acc ? first.data() + nx : first.data();
        CHECK(memcmp(got.data(), want, sizeof(float) * (size_t)nx) == 0, "winograd differs between 1 and 2 threads (C %lld, acc %d)",
              (long long)s.C, acc);
      }
    }
  }
  lam_set_num_threads(0);
}

int main() {
  lt::Rng r(lt::seed());
  // Shapes the direct kernels take (C and OC ≥ 13: ≤ 25% padded lanes), with odd geometry.
  const Shape taken[] = {
      {3, 16, 16, 16, 16, 4, 4, 2, 2, 1, 1, 1, 1},    // conv64-like k4 s2 p1
      {2, 29, 9, 11, 30, 3, 3, 1, 1, 1, 1, 1, 1},     // stride 1, lanes padded 29→32, 30→32
      {1, 13, 10, 7, 14, 3, 2, 3, 3, 2, 3, 1, 1},     // stride 3, N = 1, padding 2/3
      {2, 27, 12, 12, 61, 3, 3, 2, 1, 3, 0, 2, 2},    // dilation 2, padding 3/0, mixed strides
      {4, 32, 8, 8, 48, 4, 4, 2, 2, 1, 1, 1, 1},      // several image blocks, edge tap tile
      {2, 16, 5, 6, 16, 5, 5, 1, 2, 0, 2, 1, 1},      // padding 0, non-square
      {1, 48, 4, 4, 32, 4, 4, 2, 2, 1, 1, 1, 1},      // conv64's deepest layer, N = 1
      {7, 32, 8, 8, 16, 4, 4, 2, 2, 1, 1, 1, 1},      // 16-pixel classes, 2 threads over 7 images
      {5, 16, 5, 7, 16, 3, 3, 2, 2, 1, 1, 1, 1},      // classes of unequal size across images
      {3, 16, 7, 7, 16, 1, 1, 2, 2, 0, 0, 1, 1},      // 1×1 strided (not pointwise)
      {2, 16, 3, 3, 16, 3, 3, 1, 1, 3, 3, 1, 1},      // padding ≥ image: classes without taps
  };
  // Shapes left to the im2col path: 1×1 stride 1 unpadded, C and OC with many padded lanes.
  const Shape fallback[] = {
      {2, 16, 6, 6, 16, 1, 1, 1, 1, 0, 0, 1, 1},
      {2, 3, 8, 8, 5, 4, 4, 2, 2, 1, 1, 1, 1},
  };
  printf("conv2d_grad_direct_test: ISA %s\n", lam_isa_name());
  setenv("LAMKIT_CONV_GRAD_DIRECT", "1", 1);
  const char* isa = lam_isa_name();
  const bool simd = !strcmp(isa, "avx2") || !strcmp(isa, "avx512");
  for (int threads : {1, 2}) {
    lam_set_num_threads(threads);
    lt::ErrTracker et[4] = {lt::ErrTracker("bwd_in/ref"), lt::ErrTracker("bwd_w/ref"),
                            lt::ErrTracker("bwd_in/im2col"), lt::ErrTracker("bwd_w/im2col")};
    for (const Shape& s : taken) check(et, r, s, simd);
    for (const Shape& s : fallback) check(et, r, s, false);
    char what[64];
    snprintf(what, sizeof what, "isa %s threads %d", isa, threads);
    for (auto& t : et) t.report(what);
  }
  if (simd) {
    // Winograd input gradient: padding 0–2, odd and non-multiple-of-4 sizes (edge tiles), C with a
    // lane tail (8 + scalar lanes), OC off the 8-channel grid, more than 256 dy channels, N = 1.
    const Shape wg[] = {
        {3, 16, 16, 16, 16, 4, 4, 2, 2, 1, 1, 1, 1},  {1, 32, 8, 8, 64, 4, 4, 2, 2, 1, 1, 1, 1},
        {2, 20, 13, 10, 12, 4, 4, 2, 2, 0, 2, 1, 1},  {4, 13, 9, 11, 9, 4, 4, 2, 2, 2, 1, 1, 1},
        {2, 24, 6, 6, 300, 4, 4, 2, 2, 1, 1, 1, 1},   {9, 16, 4, 4, 40, 4, 4, 2, 2, 1, 1, 1, 1},
        {1, 3, 7, 5, 8, 4, 4, 2, 2, 1, 0, 1, 1},
    };
    lt::ErrTracker et("bwd_in/winograd");
    for (const Shape& s : wg) check_winograd(et, r, s);
    et.report("conv2d_backward_input_winograd_avx2 vs float64");
  }
  // Which kernels a geometry gets: {input, filter} taken, per mode.
  auto taken_by = [](const Shape& s) {
    const lamkit::ConvGeom g = geom(s);
    std::vector<float> x((size_t)(s.N * s.C * s.H * s.W)), w((size_t)(s.OC * s.C * s.KH * s.KW)),
        dy((size_t)(s.N * s.OC * g.OH * g.OW));
    const int in = lamkit::conv2d_backward_input_direct(dy.data(), w.data(), x.data(), s.N, s.OC, g, 0);
    const int fi = lamkit::conv2d_backward_filter_direct(x.data(), dy.data(), w.data(), s.N, s.OC, g, 0);
    return in * 2 + fi;
  };
  const Shape few = {1, 48, 4, 4, 32, 4, 4, 2, 2, 1, 1, 1, 1};      // 4 pixels per call
  const Shape filter_only = {2, 16, 16, 16, 16, 4, 4, 2, 2, 1, 1, 1, 1};  // 128
  const Shape many = {4, 16, 16, 16, 16, 4, 4, 2, 2, 1, 1, 1, 1};   // 256
  if (simd) {
    CHECK(taken_by(few) == 3, "=1: every geometry taken");
    unsetenv("LAMKIT_CONV_GRAD_DIRECT");
    CHECK(taken_by(few) == 0, "default rule: 4 pixels per call left to im2col");
    CHECK(taken_by(filter_only) == 3, "default rule: 128 pixels, Winograd input + direct filter");
    setenv("LAMKIT_CONV_WINOGRAD", "0", 1);
    CHECK(taken_by(filter_only) == 1, "default rule without Winograd: 128 pixels, filter only");
    unsetenv("LAMKIT_CONV_WINOGRAD");
    CHECK(taken_by(many) == 3, "default rule: 256 pixels, both");
    setenv("LAMKIT_CONV_GRAD_DIRECT", "0", 1);
    CHECK(taken_by(many) == 0, "=0: never taken");
    setenv("LAMKIT_CONV_GRAD_DIRECT", "1", 1);
  }
  lam_force_isa("scalar");
  CHECK(taken_by(many) == 0 && taken_by(few) == 0, "direct kernels taken under lam_force_isa(\"scalar\")");
  lam_force_isa(nullptr);
  unsetenv("LAMKIT_CONV_GRAD_DIRECT");
  lam_set_num_threads(0);
  printf("conv2d_grad_direct_test: %d failures\n", lt::failures());
  return lt::failures() != 0;
}
