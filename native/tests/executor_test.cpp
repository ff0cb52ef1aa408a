// Plan executor (native/runtime/executor.cpp) without Node: a multi-step tape with FEED, kernels,
// STEP_INCREMENT + adam, OUTPUT and CHECK_FINITE; arena persistence across runs; run-time
// failures naming the step; malformed tapes rejected by lam_plan_create with a message; and
// batch-1 convs with cached packed weights that still see every weight change.
#include <lamkit/executor.h>
#include <lamkit/opcodes.h>

#include <string.h>

#include <string>
#include <vector>

#include "test_util.h"

static int32_t fbits(float f) {
  int32_t w;
  memcpy(&w, &f, sizeof w);
  return w;
}

static void test_steps() {
  // arena: x[4] @0, y[4] @4 (= 2x via scale), out copy; counter @8; p,g,m,v @9..12
  std::vector<int32_t> t = {
      LAM_OP_STEP_INCREMENT, 1, 8,
      LAM_OP_FEED, 3, 0, 0, 4,
      LAM_OP_SCALE, 5, 0, 4, 4, fbits(2.0f), 0,
      LAM_OP_FILL, 3, 10, 1, fbits(1.0f),
      LAM_OP_ADAM_UPDATE, 12, 9, 10, 11, 12, 1, fbits(0.1f), fbits(0.9f), fbits(0.999f), fbits(1e-8f), fbits(0.0f), 1, 8,
      LAM_OP_CHECK_FINITE, 3, 4, 4, 5,
      LAM_OP_OUTPUT, 3, 4, 0, 4,
      LAM_OP_OUTPUT, 3, 9, 4, 1,
  };
  char err[256];
  lam_plan* p = lam_plan_create(t.data(), (int64_t)t.size(), 13, err, sizeof err);
  CHECK(p != nullptr, "create failed: %s", err);
  if (!p) return;
  const int steps = 3;
  std::vector<float> feeds(4 * steps), outs(5 * steps, -1.0f);
  for (int i = 0; i < 4 * steps; ++i) feeds[(size_t)i] = (float)i;
  int64_t failed = 0;
  int rc = lam_plan_run(p, feeds.data(), 4, outs.data(), 5, steps, &failed, err, sizeof err);
  CHECK(rc == 0, "run rc %d: %s", rc, err);
  for (int s = 0; s < steps; ++s)
    for (int i = 0; i < 4; ++i) CHECK(outs[(size_t)(s * 5 + i)] == 2.0f * (float)(s * 4 + i), "step %d out %d = %g", s, i, outs[(size_t)(s * 5 + i)]);
  // Adam with g = 1 moves p by ≈ −lr each step (m̂/√v̂ = 1).
  for (int s = 0; s < steps; ++s) CHECK(fabsf(outs[(size_t)(s * 5 + 4)] + 0.1f * (float)(s + 1)) < 1e-5f, "adam p after step %d = %g", s, outs[(size_t)(s * 5 + 4)]);
  int32_t counter;
  memcpy(&counter, lam_plan_arena(p) + 8, 4);
  CHECK(counter == steps, "step counter %d", counter);
  // A second run continues from the resident arena.
  rc = lam_plan_run(p, feeds.data(), 4, outs.data(), 5, 1, &failed, err, sizeof err);
  CHECK(rc == 0 && fabsf(outs[4] + 0.4f) < 1e-5f, "resumed adam p = %g (%s)", outs[4], err);
  // NaN in the third step's feed: CHECK_FINITE fails at step 2.
  feeds[9] = NAN;
  rc = lam_plan_run(p, feeds.data(), 4, outs.data(), 5, steps, &failed, err, sizeof err);
  CHECK(rc != 0 && failed == 2, "rc %d failed %lld", rc, (long long)failed);
  CHECK(strstr(err, "step 2: non-finite value NaN in tensor tag 5 at element 1") != nullptr, "message: %s", err);
  // Missing feeds are refused, not dereferenced.
  rc = lam_plan_run(p, nullptr, 4, outs.data(), 5, 1, &failed, err, sizeof err);
  CHECK(rc != 0 && strstr(err, "feed floats per step") != nullptr, "no feeds: %s", err);
  lam_plan_destroy(p);
}

static void expect_reject(std::vector<int32_t> t, int64_t arena, const char* needle) {
  char err[256] = {0};
  lam_plan* p = lam_plan_create(t.data(), (int64_t)t.size(), arena, err, sizeof err);
  CHECK(p == nullptr, "tape accepted, expected '%s'", needle);
  if (p) lam_plan_destroy(p);
  CHECK(strstr(err, needle) != nullptr, "message '%s' lacks '%s'", err, needle);
}

static void test_reject() {
  expect_reject({99, 0}, 4, "unknown opcode 99");
  expect_reject({LAM_OP_ADD, 4, 0, 1, 2, 1}, 8, "expected 5 operand words, got 4");
  expect_reject({LAM_OP_ADD, 5, 0, 4, 8, 4, 0}, 11, "pointer operand 2 covers [8, 12)");
  expect_reject({LAM_OP_RELU, 3, -4, 0, 4}, 8, "pointer operand 0");
  expect_reject({LAM_OP_RELU, 3, 0, 0, -1}, 8, "expected a non-negative integer");
  expect_reject({LAM_OP_RELU, 3, 0, 0}, 8, "run past the end");
  expect_reject({LAM_OP_RELU}, 8, "truncated instruction header");
  expect_reject({LAM_OP_MATMUL, 9, 0, 0, 65536, 65536, 65536, 0, 0, 0, 0}, 8, "outside the arena");
  expect_reject({LAM_OP_LEAKY_RELU, 4, 0, 0, 2, fbits(NAN)}, 4, "expected a finite float");
  expect_reject({LAM_OP_MSE_LOSS, 7, 0, 0, -2, 3, 1, 1, fbits(1.0f)}, 8, "pointer operand 2");
  char err[64];
  CHECK(lam_plan_create(nullptr, 0, 0, err, sizeof err) == nullptr, "arena 0 accepted");
  // The NULL mask (−1) is allowed.
  std::vector<int32_t> ok = {LAM_OP_MSE_LOSS, 7, 0, 1, -1, 2, 1, 1, fbits(1.0f)};
  lam_plan* p = lam_plan_create(ok.data(), (int64_t)ok.size(), 4, err, sizeof err);
  CHECK(p != nullptr, "NULL mask rejected: %s", err);
  lam_plan_destroy(p);
}

static void test_index_checks() {
  // gather_rows(table @0 [4,1], idx @4 [2], out @6 [2,1], N 2, D 1, K 4) with idx 5 → fails.
  std::vector<int32_t> t = {LAM_OP_GATHER_ROWS, 6, 0, 4, 6, 2, 1, 4};
  char err[256];
  lam_plan* p = lam_plan_create(t.data(), (int64_t)t.size(), 8, err, sizeof err);
  CHECK(p != nullptr, "%s", err);
  if (!p) return;
  int32_t idx[2] = {1, 5};
  memcpy(lam_plan_arena(p) + 4, idx, sizeof idx);
  int64_t failed = -7;
  int rc = lam_plan_run(p, nullptr, 0, nullptr, 0, 1, &failed, err, sizeof err);
  CHECK(rc != 0 && failed == 0 && strstr(err, "index 5 at row 1 is outside [0, 4)"), "rc %d: %s", rc, err);
  lam_plan_destroy(p);
}

// y = relu(conv(x, W) + b) with a KK × KK kernel (3: stride 1; 4: stride 2), pad 1, float64:
// the reference for the stamped-weight tests.
static int out_hw(int HW, int KK) { return KK == 3 ? HW : HW / 2; }
static std::vector<float> conv_ref(const float* x, const float* W, const float* b, int C, int HW, int OC, int KK) {
  const int S = KK == 3 ? 1 : 2, OHW = out_hw(HW, KK);
  std::vector<float> y((size_t)(OC * OHW * OHW));
  for (int oc = 0; oc < OC; ++oc)
    for (int oh = 0; oh < OHW; ++oh)
      for (int ow = 0; ow < OHW; ++ow) {
        double s = b[oc];
        for (int c = 0; c < C; ++c)
          for (int kh = 0; kh < KK; ++kh)
            for (int kw = 0; kw < KK; ++kw) {
              const int ih = oh * S + kh - 1, iw = ow * S + kw - 1;
              if (ih < 0 || iw < 0 || ih >= HW || iw >= HW) continue;
              s += (double)x[(c * HW + ih) * HW + iw] * W[((oc * C + c) * KK + kh) * KK + kw];
            }
        y[(size_t)((oc * OHW + oh) * OHW + ow)] = s < 0 ? 0.0f : (float)s;
      }
  return y;
}

// conv_ref over N images back to back.
static std::vector<float> conv_ref_n(const float* x, const float* W, const float* b, int N, int C, int HW, int OC,
                                     int KK) {
  std::vector<float> y;
  for (int n = 0; n < N; ++n) {
    const std::vector<float> yn = conv_ref(x + (size_t)n * C * HW * HW, W, b, C, HW, OC, KK);
    y.insert(y.end(), yn.begin(), yn.end());
  }
  return y;
}

static double max_diff(const float* a, const std::vector<float>& b) {
  double m = 0;
  for (size_t i = 0; i < b.size(); ++i) m = fmax(m, fabs((double)a[i] - b[i]));
  return m;
}

// A batch-1 forward conv keeps its packed weights between runs (conv2d_direct_wcache.h) and, when
// no instruction of the tape touches W, skips re-checking them (weight_stamp.h). Weights written
// from outside through lam_plan_arena, or by an optimiser in the tape, must still be seen.
// KK = 3: the direct kernel; N = 1: 64 output pixels (cached whatever the stamp); N = 6: 384
// (cached only under a stamp). KK = 4 (stride 2): the Winograd kernel, its transformed weights.
static void test_stamped_weights(const int N, const int KK) {
  const int C = 16, HW = 8, OC = 32, OHW = out_hw(HW, KK), KS = KK * KK, S = KK == 3 ? 1 : 2;
  const int X = N * C * HW * HW, WN = OC * C * KS, Y = N * OC * OHW * OHW;
  const int ox = 0, ow = X, ob = ow + WN, oy = ob + OC, og = oy + Y, arena = og + WN;
  auto conv = [&](std::vector<int32_t>& t) {
    const std::vector<int32_t> c = {LAM_OP_CONV2D_BIAS_ACT, 21, ox, ow, ob, oy, N, C, HW, HW, OC, KK, KK, S, S, 1, 1, 1, 1, OHW, OHW, 1, fbits(0.0f)};
    t.insert(t.end(), c.begin(), c.end());
  };
  lt::Rng r(lt::seed());
  std::vector<float> x = lt::randv(r, X), W = lt::randv(r, WN, -0.2f, 0.2f), b = lt::randv(r, OC);
  char err[256];
  int64_t failed = 0;
  // Inference tape: FEED x, conv, OUTPUT y.
  std::vector<int32_t> t = {LAM_OP_FEED, 3, ox, 0, X};
  conv(t);
  const std::vector<int32_t> outp = {LAM_OP_OUTPUT, 3, oy, 0, Y};
  t.insert(t.end(), outp.begin(), outp.end());
  lam_plan* p = lam_plan_create(t.data(), (int64_t)t.size(), arena, err, sizeof err);
  CHECK(p != nullptr, "create failed: %s", err);
  if (!p) return;
  memcpy(lam_plan_arena(p) + ow, W.data(), sizeof(float) * WN);
  memcpy(lam_plan_arena(p) + ob, b.data(), sizeof(float) * OC);
  std::vector<float> y(Y);
  for (int round = 0; round < 4; ++round) {
    if (round == 2) {
      // Change one weight of the second 16-channel block from outside.
      W[(size_t)(20 * C * KS + 7)] += 0.5f;
      lam_plan_arena(p)[ow + 20 * C * KS + 7] = W[(size_t)(20 * C * KS + 7)];
    }
    const int rc = lam_plan_run(p, x.data(), X, y.data(), Y, 1, &failed, err, sizeof err);
    CHECK(rc == 0, "run rc %d: %s", rc, err);
    const double d = max_diff(y.data(), conv_ref_n(x.data(), W.data(), b.data(), N, C, HW, OC, KK));
    CHECK(d < 1e-4, "N %d KK %d inference run %d: max |y − ref| %g", N, KK, round, d);
  }
  lam_plan_destroy(p);
  // Training-like tape: the same conv, then SGD on W with a constant gradient, 3 steps per run;
  // step s must use the weights after s updates.
  t = {LAM_OP_FEED, 3, ox, 0, X};
  conv(t);
  t.insert(t.end(), outp.begin(), outp.end());
  const std::vector<int32_t> upd = {LAM_OP_FILL, 3, og, WN, fbits(1.0f),
                                    LAM_OP_SGD_UPDATE, 7, ow, og, og, WN, fbits(0.01f), fbits(0.0f), fbits(0.0f)};
  t.insert(t.end(), upd.begin(), upd.end());
  p = lam_plan_create(t.data(), (int64_t)t.size(), arena, err, sizeof err);
  CHECK(p != nullptr, "create failed: %s", err);
  if (!p) return;
  memcpy(lam_plan_arena(p) + ow, W.data(), sizeof(float) * WN);
  memcpy(lam_plan_arena(p) + ob, b.data(), sizeof(float) * OC);
  const int steps = 3;
  std::vector<float> ys((size_t)(Y * steps)), xs((size_t)(X * steps));
  for (int s = 0; s < steps; ++s) memcpy(xs.data() + s * X, x.data(), sizeof(float) * X);
  for (int run = 0; run < 2; ++run) {
    const int rc = lam_plan_run(p, xs.data(), X, ys.data(), Y, steps, &failed, err, sizeof err);
    CHECK(rc == 0, "run rc %d: %s", rc, err);
    for (int s = 0; s < steps; ++s) {
      const double d = max_diff(ys.data() + s * Y, conv_ref_n(x.data(), W.data(), b.data(), N, C, HW, OC, KK));
      CHECK(d < 1e-4, "N %d KK %d training run %d step %d: max |y − ref| %g", N, KK, run, s, d);
      for (float& v : W) v -= 0.01f;
    }
  }
  lam_plan_destroy(p);
}

int main() {
  test_steps();
  test_reject();
  test_index_checks();
  for (int kk : {3, 4}) {
    test_stamped_weights(1, kk);
    test_stamped_weights(6, kk);
  }
  if (lt::failures()) fprintf(stderr, "executor_test: %d failures\n", lt::failures());
  else printf("executor_test: all passed\n");
  return lt::failures() != 0;
}
