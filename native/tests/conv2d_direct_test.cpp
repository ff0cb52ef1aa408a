// Direct conv2d forward (conv2d_direct.h) vs a float64 loop over every tap, with each epilogue
// (none, bias, relu, bias + relu, bias + leaky), `=` into NaN and `+=` onto random values:
// strides 1–3, padding 0–3, dilation 1–2, C / OC not multiples of 8 / 16, OW < 6, 1×1, N = 1
// (the channel-block and tile splits) and N ≥ threads, more taps than one chunk (C·KH·KW > 256).
// Also: results are bitwise the same at 1 and 2 threads, the kernel agrees with the im2col path
// (lam_f32_conv2d with LAMKIT_CONV_DIRECT=0), and the dispatch declines scalar ISA / mode 0.
// The same checks for the pixel-vector kernel (conv2d_direct_px_avx2) on shapes with OW % 8 == 0
// (it must decline the others): tiles of 1–4 vectors, OC tails of 1–2 in its 3-channel tiles,
// strides 1–3, dilation, padding ≥ the image, N = 1 (tile chunks over threads).
// Tolerance: |got − ref| ≤ 2e-6·√(C·KH·KW + 1) + 1e-6 + 1e-5·|ref| for inputs in [−1, 1]
// (fp32 sums in another order than the reference), as in conv2d_test.cpp.
#include <lamkit/kernels.h>

#include "kernels/conv2d_direct.h"
#include "test_util.h"

struct Shape {
  int64_t N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw;
};

struct Epi {
  const char* name;
  bool bias;
  int act;
  float slope;
};

static int64_t out_dim(int64_t in, int64_t k, int64_t s, int64_t p, int64_t d) {
  return (in + 2 * p - d * (k - 1) - 1) / s + 1;
}

static lamkit::ConvGeom geom(const Shape& s) {
  return lamkit::ConvGeom{s.C,  s.H,  s.W,  s.KH, s.KW, s.sh, s.sw, s.ph, s.pw, s.dh, s.dw,
                          out_dim(s.H, s.KH, s.sh, s.ph, s.dh), out_dim(s.W, s.KW, s.sw, s.pw, s.dw)};
}

static double act_ref(double v, const Epi& e) {
  if (e.act == lamkit::kConvActRelu) return v < 0 ? 0 : v;
  if (e.act == lamkit::kConvActLeakyRelu) return v < 0 ? v * e.slope : v;
  return v;
}

// conv(x, w) [+ bias] in float64, every tap visited once (no activation).
static std::vector<double> ref_conv(const Shape& s, const std::vector<float>& x, const std::vector<float>& w,
                                    const float* bias) {
  const lamkit::ConvGeom g = geom(s);
  std::vector<double> ref((size_t)(s.N * s.OC * g.OH * g.OW), 0.0);
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t oc = 0; oc < s.OC; ++oc)
      for (int64_t oh = 0; oh < g.OH; ++oh)
        for (int64_t ow = 0; ow < g.OW; ++ow) {
          double sum = bias ? bias[oc] : 0.0;
          for (int64_t c = 0; c < s.C; ++c)
            for (int64_t kh = 0; kh < s.KH; ++kh)
              for (int64_t kw = 0; kw < s.KW; ++kw) {
                const int64_t ih = oh * s.sh - s.ph + kh * s.dh, iw = ow * s.sw - s.pw + kw * s.dw;
                if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) continue;
                sum += (double)x[(size_t)(((n * s.C + c) * s.H + ih) * s.W + iw)] *
                       w[(size_t)(((oc * s.C + c) * s.KH + kh) * s.KW + kw)];
              }
          ref[(size_t)(((n * s.OC + oc) * g.OH + oh) * g.OW + ow)] = sum;
        }
  return ref;
}

typedef bool (*kernel_fn)(const float*, const float*, float*, int64_t, int64_t, const lamkit::ConvGeom&, int,
                          const lamkit::ConvEpilogue&);

static void check_shape(lt::ErrTracker& et, lt::Rng& r, const Shape& s, const Epi& e, int acc,
                        kernel_fn kernel = lamkit::conv2d_direct_avx2) {
  const lamkit::ConvGeom g = geom(s);
  if (g.OH <= 0 || g.OW <= 0) return;
  const int64_t nx = s.N * s.C * s.H * s.W, nw = s.OC * s.C * s.KH * s.KW,
                ny = s.N * s.OC * g.OH * g.OW;
  const auto x = lt::randv(r, nx), w = lt::randv(r, nw), bias = lt::randv(r, s.OC);
  lamkit::ConvEpilogue ep;
  ep.bias = e.bias ? bias.data() : nullptr;
  ep.act = e.act;
  ep.slope = e.slope;
  const std::vector<double> ref = ref_conv(s, x, w, e.bias ? bias.data() : nullptr);
  const double K = (double)(s.C * s.KH * s.KW);
  // threads = 1 against the reference, then threads = 2 from the same start: bitwise equal.
  std::vector<float> start, first;
  for (int threads : {1, 2}) {
    lam_set_num_threads(threads);
    lt::Guarded y(ny, r, !acc);
    if (threads == 1) start = y.copy();
    else memcpy(y.data(), start.data(), sizeof(float) * (size_t)ny);
    const bool took = kernel(x.data(), w.data(), y.data(), s.N, s.OC, g, acc, ep);
    CHECK(took, "direct kernel declined a valid geometry (N %lld C %lld OC %lld OW %lld)",
          (long long)s.N, (long long)s.C, (long long)s.OC, (long long)g.OW);
    CHECK(y.guards_ok(), "guard zone (%s, acc %d, threads %d)", e.name, acc, threads);
    if (threads == 1) {
      for (int64_t i = 0; i < ny; ++i)
        et.add(y[i], act_ref(ref[(size_t)i] + (acc ? start[(size_t)i] : 0.0), e),
               2e-6 * sqrt(K + 1) + 1e-6, 1e-5);
      first = y.copy();
    } else {
      CHECK(memcmp(y.data(), first.data(), sizeof(float) * (size_t)ny) == 0, "result differs between 1 and 2 threads (%s, acc %d)", e.name, acc);
    }
  }
  lam_set_num_threads(0);
}

// The kernel against the existing im2col + SGEMM path on the same inputs (no epilogue).
static void check_vs_im2col(lt::ErrTracker& et, lt::Rng& r, const Shape& s) {
  const lamkit::ConvGeom g = geom(s);
  const int64_t ny = s.N * s.OC * g.OH * g.OW;
  const auto x = lt::randv(r, s.N * s.C * s.H * s.W), w = lt::randv(r, s.OC * s.C * s.KH * s.KW);
  std::vector<float> a((size_t)ny, NAN), b((size_t)ny, NAN);
  setenv("LAMKIT_CONV_DIRECT", "0", 1);
  lam_f32_conv2d(x.data(), w.data(), a.data(), s.N, s.C, s.H, s.W, s.OC, s.KH, s.KW, s.sh, s.sw, s.ph,
                 s.pw, s.dh, s.dw, g.OH, g.OW, 0);
  unsetenv("LAMKIT_CONV_DIRECT");
  lamkit::conv2d_direct_avx2(x.data(), w.data(), b.data(), s.N, s.OC, g, 0, lamkit::ConvEpilogue());
  const double K = (double)(s.C * s.KH * s.KW);
  for (int64_t i = 0; i < ny; ++i) et.add(b[(size_t)i], a[(size_t)i], 4e-6 * sqrt(K + 1) + 1e-6, 2e-5);
}

// Batch-1 calls reuse packed weights (conv2d_direct_wcache.h): after W changes in place (one
// element of one block, as an optimiser step does), at the same pointer with another shape,
// or after other layers evicted nothing, each result must still match the float64 reference.
// The same for the Winograd kernel's transformed weights (kernel = conv2d_winograd_avx2).
static void check_weight_cache(lt::ErrTracker& et, lt::Rng& r, kernel_fn kernel) {
  for (int threads : {1, 2}) {
    lam_set_num_threads(threads);
    Shape s{1, 40, 8, 8, 36, 4, 4, 2, 2, 1, 1, 1, 1};  // 16 pixels, 3 blocks (last one 4 rows)
    std::vector<float> w = lt::randv(r, s.OC * s.C * 16);
    const auto x = lt::randv(r, s.C * s.H * s.W);
    auto run_and_check = [&](const Shape& sh, const char* what) {
      const lamkit::ConvGeom g = geom(sh);
      const int64_t ny = sh.OC * g.OH * g.OW, K = sh.C * sh.KH * sh.KW;
      std::vector<float> y((size_t)ny, NAN);
      kernel(x.data(), w.data(), y.data(), 1, sh.OC, g, 0, lamkit::ConvEpilogue());
      const std::vector<double> ref = ref_conv(sh, x, w, nullptr);
      int64_t bad = 0;
      for (int64_t i = 0; i < ny; ++i) {
        et.add(y[(size_t)i], ref[(size_t)i], 2e-6 * sqrt((double)K + 1) + 1e-6, 1e-5);
        if (!(fabs(y[(size_t)i] - ref[(size_t)i]) <= 1e-3)) ++bad;
      }
      CHECK(bad == 0, "weight cache: %s, threads %d: %lld stale outputs", what, threads, (long long)bad);
    };
    run_and_check(s, "first call");
    run_and_check(s, "same weights again");
    w[(size_t)(17 * s.C * 16 + 5)] += 0.5f;  // block 1
    run_and_check(s, "one weight of block 1 changed in place");
    w[w.size() - 1] -= 0.25f;  // the 4-row tail block
    run_and_check(s, "last weight changed in place");
    for (auto& v : w) v = -v;
    run_and_check(s, "all weights changed");
    Shape s2 = s;  // same pointer and C·KH·KW, fewer output channels
    s2.OC = 20;
    run_and_check(s2, "same pointer, OC 36 -> 20");
  }
  lam_set_num_threads(0);
}

// lam_f32_conv2d dispatch: scalar ISA and LAMKIT_CONV_DIRECT=0 must leave y to the caller.
static void check_dispatch(lt::Rng& r) {
  const Shape s{1, 6, 16, 16, 32, 4, 4, 2, 2, 1, 1, 1, 1};
  const lamkit::ConvGeom g = geom(s);
  const auto x = lt::randv(r, s.C * s.H * s.W), w = lt::randv(r, s.OC * s.C * 16);
  std::vector<float> y((size_t)(s.OC * g.OH * g.OW), 7.0f);
  lam_force_isa("scalar");
  CHECK(!lamkit::conv2d_direct(x.data(), w.data(), y.data(), 1, s.OC, g, 0, lamkit::ConvEpilogue()),
        "conv2d_direct took the scalar ISA");
  lam_force_isa(nullptr);
  setenv("LAMKIT_CONV_DIRECT", "0", 1);
  CHECK(!lamkit::conv2d_direct(x.data(), w.data(), y.data(), 1, s.OC, g, 0, lamkit::ConvEpilogue()),
        "conv2d_direct ran with LAMKIT_CONV_DIRECT=0");
  for (float v : y) CHECK(v == 7.0f, "declined conv2d_direct wrote y (%g)", v);
  setenv("LAMKIT_CONV_DIRECT", "1", 1);
  CHECK(lamkit::conv2d_direct(x.data(), w.data(), y.data(), 1, s.OC, g, 0, lamkit::ConvEpilogue()),
        "conv2d_direct declined with LAMKIT_CONV_DIRECT=1 on %s", lam_isa_name());
  unsetenv("LAMKIT_CONV_DIRECT");
  // Relu keeps NaN visible (as lam_f32_relu): a NaN input reaches the outputs that read it.
  std::vector<float> xn = x;
  xn[0] = NAN;
  lamkit::ConvEpilogue ep;
  ep.act = lamkit::kConvActRelu;
  lamkit::conv2d_direct_avx2(xn.data(), w.data(), y.data(), 1, s.OC, g, 0, ep);
  CHECK(y[0] != y[0], "relu epilogue dropped a NaN (%g)", y[0]);
}

// Every epilogue, `=` and `+=`, on each of the shapes through one kernel (one report per pair).
template <size_t NE, size_t NS>
static void check_epilogues(lt::Rng& r, const Epi (&epis)[NE], const char* name, const Shape (&shapes)[NS],
                            kernel_fn kernel) {
  for (const Epi& e : epis) {
    for (int acc = 0; acc < 2; ++acc) {
      lt::ErrTracker et(name);
      for (const Shape& s : shapes) check_shape(et, r, s, e, acc, kernel);
      char what[64];
      snprintf(what, sizeof what, "epilogue %s acc %d", e.name, acc);
      et.report(what);
    }
  }
}

// The kernel must decline each shape for which outside(s, g) holds (msg names arg(s, g)).
template <size_t NS, class Outside, class Arg>
static void check_declines(const Shape (&shapes)[NS], kernel_fn kernel, Outside outside, const char* msg, Arg arg) {
  for (const Shape& s : shapes) {
    const lamkit::ConvGeom g = geom(s);
    if (g.OH <= 0 || g.OW <= 0 || !outside(s, g)) continue;
    std::vector<float> x((size_t)(s.N * s.C * s.H * s.W)), w((size_t)(s.OC * s.C * s.KH * s.KW)), y(1);
    CHECK(!kernel(x.data(), w.data(), y.data(), s.N, s.OC, g, 0, lamkit::ConvEpilogue()), msg, arg(s, g));
  }
}

int main() {
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) {
    printf("conv2d_direct_test: CPU without AVX2+FMA, kernel not testable here\n");
    return 0;
  }
  lt::Rng r(lt::seed());
  // {N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw}
  const Shape shapes[] = {
      // 1×1 (one tap, OC 1 and 5), OW < 6 and OH·OW < 6 (one short tile).
      {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1},      {3, 2, 4, 5, 5, 1, 1, 1, 1, 0, 0, 1, 1},
      {2, 3, 2, 2, 6, 2, 2, 1, 1, 0, 0, 1, 1},
      // Strides 1–3 (mixed per axis), padding 0–3, dilation 2, C / OC off the 8 / 16 grid.
      {3, 6, 14, 18, 11, 4, 4, 2, 2, 1, 1, 1, 1},   {1, 9, 10, 7, 13, 3, 3, 1, 1, 1, 1, 1, 1},
      {4, 5, 12, 11, 7, 3, 2, 3, 2, 0, 1, 1, 1},    {2, 3, 13, 12, 19, 3, 3, 1, 1, 2, 2, 2, 2},
      {5, 11, 9, 9, 15, 4, 4, 2, 2, 1, 1, 1, 1},    {2, 3, 9, 8, 4, 5, 5, 3, 3, 2, 2, 1, 1},
      {1, 3, 11, 9, 20, 3, 3, 3, 2, 3, 2, 1, 2},    {2, 2, 3, 4, 9, 2, 2, 1, 1, 3, 3, 1, 1},
      // Padding ≥ the image: taps that never land inside.
      {2, 3, 1, 2, 4, 5, 5, 1, 1, 2, 3, 1, 1},
      // More than one 256-tap chunk (partial sums), OC tails, 4×4 / 2×2 outputs.
      {1, 20, 8, 8, 24, 4, 4, 2, 2, 1, 1, 1, 1},    {3, 33, 4, 4, 40, 4, 4, 2, 2, 1, 1, 1, 1},
      {2, 40, 6, 6, 18, 3, 3, 1, 1, 1, 1, 1, 1},
      // conv64-like layers at batch 1 (block split) and a 16-channel one (tile split).
      {1, 6, 32, 32, 32, 4, 4, 2, 2, 1, 1, 1, 1},   {1, 64, 8, 8, 128, 4, 4, 2, 2, 1, 1, 1, 1},
      {1, 8, 16, 16, 16, 4, 4, 2, 2, 1, 1, 1, 1},
  };
  const Epi epis[] = {{"none", false, lamkit::kConvActNone, 0.0f},
                      {"bias", true, lamkit::kConvActNone, 0.0f},
                      {"relu", false, lamkit::kConvActRelu, 0.0f},
                      {"bias+relu", true, lamkit::kConvActRelu, 0.0f},
                      {"bias+leaky", true, lamkit::kConvActLeakyRelu, 0.2f}};
  printf("conv2d_direct_test: ISA %s\n", lam_isa_name());
  check_epilogues(r, epis, "conv2d_direct", shapes, lamkit::conv2d_direct_avx2);
  // Pixel-vector kernel: OW % 8 == 0 only.
  const Shape px_shapes[] = {
      {3, 3, 16, 16, 5, 4, 4, 2, 2, 1, 1, 1, 1},    {2, 6, 32, 32, 32, 4, 4, 2, 2, 1, 1, 1, 1},
      {1, 3, 64, 64, 32, 4, 4, 2, 2, 1, 1, 1, 1},   {2, 4, 20, 24, 9, 3, 3, 2, 3, 1, 0, 1, 1},
      {2, 3, 12, 18, 6, 3, 3, 1, 1, 0, 1, 2, 2},    {1, 2, 3, 6, 3, 5, 5, 1, 1, 2, 3, 1, 1},
      {4, 1, 8, 40, 1, 3, 3, 1, 1, 1, 1, 1, 1},     {1, 7, 9, 17, 12, 2, 2, 1, 1, 0, 0, 1, 1},
      {2, 5, 5, 8, 7, 5, 5, 1, 1, 0, 2, 1, 1},
  };
  check_epilogues(r, epis, "conv2d_direct_px", px_shapes, lamkit::conv2d_direct_px_avx2);
  check_declines(shapes, lamkit::conv2d_direct_px_avx2, [](const Shape&, const lamkit::ConvGeom& g) { return g.OW % 8 != 0; },
                 "conv2d_direct_px_avx2 took OW %lld (not a multiple of 8)", [](const Shape&, const lamkit::ConvGeom& g) { return (long long)g.OW; });
  // Winograd F(2×2, 2×2) (4×4 stride 2 only): odd output sizes (partial tiles), padding 0–2,
  // C off the 8-channel grid (scalar phase split), K over one 256-channel run, OC tails, N = 1
  // (block split) and N ≥ threads (image units, several images per chunk).
  const Shape wg_shapes[] = {
      {1, 6, 32, 32, 32, 4, 4, 2, 2, 1, 1, 1, 1},   {3, 3, 16, 16, 20, 4, 4, 2, 2, 1, 1, 1, 1},
      {2, 8, 13, 11, 17, 4, 4, 2, 2, 0, 2, 1, 1},   {4, 16, 9, 10, 16, 4, 4, 2, 2, 2, 1, 1, 1},
      {1, 72, 8, 8, 40, 4, 4, 2, 2, 1, 1, 1, 1},    {9, 32, 8, 8, 48, 4, 4, 2, 2, 1, 1, 1, 1},
      {2, 1, 4, 4, 5, 4, 4, 2, 2, 1, 1, 1, 1},      {5, 24, 6, 14, 33, 4, 4, 2, 2, 1, 0, 1, 1},
  };
  check_epilogues(r, epis, "conv2d_winograd", wg_shapes, lamkit::conv2d_winograd_avx2);
  check_declines(shapes, lamkit::conv2d_winograd_avx2,
                 [](const Shape& s, const lamkit::ConvGeom&) {
                   return !(s.KH == 4 && s.KW == 4 && s.sh == 2 && s.sw == 2 && s.dh == 1 && s.dw == 1);
                 },
                 "conv2d_winograd_avx2 took a %lld-tap kernel (not 4x4 stride 2)", [](const Shape& s, const lamkit::ConvGeom&) { return (long long)(s.KH * s.KW); });
  lt::ErrTracker vs("vs_im2col");
  for (const Shape& s : shapes) check_vs_im2col(vs, r, s);
  vs.report("lam_f32_conv2d, LAMKIT_CONV_DIRECT=0");
  lt::ErrTracker wc("weight_cache");
  check_weight_cache(wc, r, lamkit::conv2d_direct_avx2);
  wc.report("in-place W changes, shape change");
  lt::ErrTracker wcw("weight_cache_winograd");
  check_weight_cache(wcw, r, lamkit::conv2d_winograd_avx2);
  wcw.report("in-place W changes, shape change");
  check_dispatch(r);
  printf("conv2d_direct_test: %d failures\n", lt::failures());
  return lt::failures() != 0;
}
