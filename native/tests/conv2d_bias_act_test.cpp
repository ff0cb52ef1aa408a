// lam_f32_conv2d_bias_act (native/kernels/conv2d_bias_act.cpp) against the unfused kernels it
// replaces: lam_f32_conv2d, then lam_f32_bias_add in place, then lam_f32_relu / lam_f32_leaky_relu
// in place. Bit for bit in both paths: the im2col fallback (LAMKIT_CONV_DIRECT=0) applies the
// same float adds and compare-selects; the direct kernel (LAMKIT_CONV_DIRECT=1, AVX2 only, where
// unfused conv2d runs it too) applies them in registers. Odd shapes (padding, stride 1/2/3,
// dilation, C/OC not multiples of 8/16, N = 1), 1 and 2 threads, NaN in x, guard zones, x/w/b
// unchanged. Runs under ASan/valgrind in CI like every *_test.cpp.
#include <lamkit/kernels.h>

#include <stdlib.h>

#include "test_util.h"

namespace {

struct Case {
  const char* name;
  int64_t N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw;
};

const Case kCases[] = {
    {"1x1x1x1 k1", 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, 1},
    {"k3 pad1", 2, 3, 7, 5, 4, 3, 3, 1, 1, 1, 1, 1, 1},
    {"k3 s2 p1", 1, 2, 9, 9, 3, 3, 3, 2, 2, 1, 1, 1, 1},
    {"k3 d2 p2", 2, 3, 11, 8, 5, 3, 3, 1, 1, 2, 2, 2, 2},
    {"k5x3 s3x2 p2x1", 1, 4, 17, 13, 6, 5, 3, 3, 2, 2, 1, 1, 1},
    {"k3 OC17 C15", 2, 15, 6, 7, 17, 3, 3, 1, 1, 1, 1, 1, 1},
    {"conv64-like k4 s2 p1", 3, 16, 16, 16, 33, 4, 4, 2, 2, 1, 1, 1, 1},
};

bool bits_equal(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

void run_case(const Case& c, int act, float slope, const char* mode, lt::Rng& rng) {
  const int64_t OH = (c.H + 2 * c.ph - c.dh * (c.KH - 1) - 1) / c.sh + 1;
  const int64_t OW = (c.W + 2 * c.pw - c.dw * (c.KW - 1) - 1) / c.sw + 1;
  const int64_t nx = c.N * c.C * c.H * c.W, nw = c.OC * c.C * c.KH * c.KW, ny = c.N * c.OC * OH * OW;
  std::vector<float> x = lt::randv(rng, nx), w = lt::randv(rng, nw), b = lt::randv(rng, c.OC);
  x[0] = NAN;  // reaches y the same way in both
  const std::vector<float> x0 = x, w0 = w, b0 = b;
  lt::Guarded fused(ny, rng, true), ref(ny, rng, true);
  lam_f32_conv2d_bias_act(x.data(), w.data(), b.data(), fused.data(), c.N, c.C, c.H, c.W, c.OC, c.KH,
                          c.KW, c.sh, c.sw, c.ph, c.pw, c.dh, c.dw, OH, OW, act, slope);
  lam_f32_conv2d(x.data(), w.data(), ref.data(), c.N, c.C, c.H, c.W, c.OC, c.KH, c.KW, c.sh, c.sw,
                 c.ph, c.pw, c.dh, c.dw, OH, OW, 0);
  lam_f32_bias_add(ref.data(), b.data(), ref.data(), c.N, c.OC, OH * OW);
  if (act == 1) lam_f32_relu(ref.data(), ref.data(), ny);
  if (act == 2) lam_f32_leaky_relu(ref.data(), ref.data(), ny, slope);
  int64_t diff = 0;
  for (int64_t i = 0; i < ny; ++i) diff += !bits_equal(fused[i], ref[i]);
  printf("  %-22s act %d %-10s %s\n", c.name, act, mode, diff ? "FAIL" : "ok (bit-identical)");
  CHECK(diff == 0, "%s act %d (%s): %lld of %lld elements differ from conv2d+bias_add+act", c.name,
        act, mode, (long long)diff, (long long)ny);
  CHECK(fused.guards_ok(), "%s act %d (%s): guard zone overwritten", c.name, act, mode);
  // memcmp, not ==: x holds a NaN.
  CHECK(memcmp(x.data(), x0.data(), sizeof(float) * (size_t)nx) == 0 && w == w0 && b == b0,
        "%s act %d (%s): an input changed", c.name, act, mode);
}

}  // namespace

int main() {
  lt::Rng rng(lt::seed());
  printf("conv2d_bias_act vs conv2d + bias_add + activation (isa %s)\n", lam_isa_name());
  for (const char* mode : {"0", "1"}) {
    setenv("LAMKIT_CONV_DIRECT", mode, 1);  // read per call by the conv dispatch
    for (int threads : {1, 2}) {
      lam_set_num_threads(threads);
      char label[32];
      snprintf(label, sizeof label, "direct=%s/%dt", mode, threads);
      for (const Case& c : kCases) {
        run_case(c, 0, 0.0f, label, rng);
        run_case(c, 1, 0.0f, label, rng);
        run_case(c, 2, 0.2f, label, rng);
        run_case(c, 2, -0.3f, label, rng);
      }
    }
  }
  unsetenv("LAMKIT_CONV_DIRECT");
  lam_set_num_threads(0);
  if (lt::failures()) fprintf(stderr, "%d failure(s)\n", lt::failures());
  return lt::failures() != 0;
}
