// im2col / col2im_add (kernels/im2col.h) vs the definition, bit for bit, over random
// geometries: strides 1–3, padding 0–3, dilation 1–3, kernels 1–5, 1–5 glued images with row
// and image strides that have gaps. Covers the staged path (padded channel in the stage), the
// stage split into image groups (count > group) and the unstaged fallback (big images); each
// must be hit, so the test cannot pass by skipping one. Values outside the written region
// (ldcol gaps, x gaps) must stay untouched.
#include "../kernels/im2col.h"

#include "test_util.h"

namespace {

using lamkit::ConvGeom;

// Calls f(col index, x index or −1 for a padding tap) for every tap in the kernels' order:
// col[(c·KH + kh)·KW + kw][i·OHW + oh·OW + ow] ↔ x_i[c][oh·sh − ph + kh·dh][ow·sw − pw + kw·dw].
template <class F>
void each_tap(const ConvGeom& g, int64_t count, int64_t xs, int64_t ld, F f) {
  const int64_t OHW = g.OH * g.OW;
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t kh = 0; kh < g.KH; ++kh)
      for (int64_t kw = 0; kw < g.KW; ++kw)
        for (int64_t i = 0; i < count; ++i)
          for (int64_t oh = 0; oh < g.OH; ++oh)
            for (int64_t ow = 0; ow < g.OW; ++ow) {
              const int64_t ih = oh * g.sh - g.ph + kh * g.dh, iw = ow * g.sw - g.pw + kw * g.dw;
              const bool in = ih >= 0 && ih < g.H && iw >= 0 && iw < g.W;
              f(((c * g.KH + kh) * g.KW + kw) * ld + i * OHW + oh * g.OW + ow,
                in ? i * xs + (c * g.H + ih) * g.W + iw : -1);
            }
}

}  // namespace

int main() {
  lt::Rng r(lt::seed());
  int staged = 0, grouped = 0, fallback = 0, cases = 0;
  for (int it = 0; it < 3000; ++it) {
    const bool big = r.below(4) == 0;
    ConvGeom g{};
    g.C = 1 + r.below(3);
    g.H = big ? 40 + r.below(100) : 1 + r.below(13);
    g.W = big ? 40 + r.below(100) : 1 + r.below(13);
    g.KH = 1 + r.below(5), g.KW = 1 + r.below(5);
    g.sh = 1 + r.below(3), g.sw = 1 + r.below(3);
    g.ph = r.below(4), g.pw = r.below(4);
    g.dh = 1 + r.below(3), g.dw = 1 + r.below(3);
    const int64_t eh = g.H + 2 * g.ph - g.dh * (g.KH - 1) - 1, ew = g.W + 2 * g.pw - g.dw * (g.KW - 1) - 1;
    if (eh < 0 || ew < 0) continue;
    g.OH = eh / g.sh + 1, g.OW = ew / g.sw + 1;
    const int64_t count = 1 + r.below(5);
    const int64_t ld = count * g.OH * g.OW + r.below(3), xs = g.C * g.H * g.W + r.below(3);
    const int64_t CKK = g.C * g.KH * g.KW;
    ++cases;
    if (lamkit::stage_fits(g)) {
      ++staged;
      if (count > lamkit::kStageFloats / lamkit::Stage(g).image) ++grouped;
    } else {
      ++fallback;
    }
    const std::vector<float> x = lt::randv(r, count * xs);
    std::vector<float> want((size_t)(CKK * ld), -3.0f), got = want;
    each_tap(g, count, xs, ld, [&](int64_t ci, int64_t xi) { want[(size_t)ci] = xi >= 0 ? x[(size_t)xi] : 0.0f; });
    lamkit::im2col(x.data(), count, xs, g, got.data(), ld);
    const bool same_col = memcmp(want.data(), got.data(), sizeof(float) * want.size()) == 0;
    std::vector<float> xw = lt::randv(r, count * xs), xg = xw;
    const std::vector<float> col = lt::randv(r, CKK * ld);
    // The transpose, adding each image element's taps in (kh, kw) order like the kernels do.
    each_tap(g, count, xs, ld, [&](int64_t ci, int64_t xi) { if (xi >= 0) xw[(size_t)xi] += col[(size_t)ci]; });
    lamkit::col2im_add(col.data(), ld, count, g, xg.data(), xs);
    const bool same_x = memcmp(xw.data(), xg.data(), sizeof(float) * xw.size()) == 0;
    CHECK(same_col && same_x,
          "C %ld H %ld W %ld k %ldx%ld s %ld,%ld p %ld,%ld d %ld,%ld count %ld: im2col %s, col2im %s",
          (long)g.C, (long)g.H, (long)g.W, (long)g.KH, (long)g.KW, (long)g.sh, (long)g.sw,
          (long)g.ph, (long)g.pw, (long)g.dh, (long)g.dw, (long)count, same_col ? "ok" : "differs",
          same_x ? "ok" : "differs");
  }
  CHECK(staged > 100 && grouped > 10 && fallback > 10,
        "paths hit: staged %d, grouped %d, fallback %d (expected > 100, > 10, > 10)", staged, grouped,
        fallback);
  printf("im2col_test: %d cases (staged %d, grouped %d, fallback %d), %d failures\n", cases, staged,
         grouped, fallback, lt::failures());
  return lt::failures() != 0;
}
