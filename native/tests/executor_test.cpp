// Plan executor (native/runtime/executor.cpp) without Node: a multi-step tape with FEED, kernels,
// STEP_INCREMENT + adam, OUTPUT and CHECK_FINITE; arena persistence across runs; run-time
// failures naming the step; malformed tapes rejected by lam_plan_create with a message; and
// batch-1 convs with cached packed weights that still see every weight change.
#include <lamkit/executor.h>
#include <lamkit/opcodes.h>

#include <stdlib.h>
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

// Feed aliasing (alias_feeds in executor.cpp): a FEED whose block only whole-range reads after
// it touch skips its copy and those reads go to the caller's feeds; a write into the block or a
// read before the FEED keeps the copy. Either way the results are those of copying, and the
// caller's feeds are never written. Whether the copy happened shows in the arena's feed block.
static void run_alias_case(const char* name, const std::vector<int32_t>& t, int64_t arena_floats,
                           int64_t feed_floats, int64_t out_floats, bool expect_alias) {
  const int steps = 3;
  // One float past an aligned start: kernels must not assume the feed block's alignment.
  std::vector<float> store((size_t)(feed_floats * steps + 1));
  float* feeds = store.data() + 1;
  for (int64_t i = 0; i < feed_floats * steps; ++i) feeds[i] = (float)((i * 7) % 13) - 6.0f;
  const std::vector<float> feeds0(feeds, feeds + feed_floats * steps);
  std::vector<float> outs[2];
  bool block_written[2] = {false, false};
  for (int mode = 0; mode < 2; ++mode) {  // 0: LAMKIT_FEED_ALIAS=0 (always copy), 1: default
    if (mode == 0) setenv("LAMKIT_FEED_ALIAS", "0", 1);
    else unsetenv("LAMKIT_FEED_ALIAS");
    char err[256];
    lam_plan* p = lam_plan_create(t.data(), (int64_t)t.size(), arena_floats, err, sizeof err);
    CHECK(p != nullptr, "%s: create failed: %s", name, err);
    if (!p) return;
    outs[mode].assign((size_t)(out_floats * steps), -99.0f);
    int64_t failed = 0;
    const int rc = lam_plan_run(p, feeds, feed_floats, outs[mode].data(), out_floats, steps, &failed, err, sizeof err);
    CHECK(rc == 0, "%s: run rc %d: %s", name, rc, err);
    const float* a = lam_plan_arena(p);
    for (int64_t i = 0; i < feed_floats; ++i) block_written[mode] = block_written[mode] || a[i] != 0.0f;
    lam_plan_destroy(p);
  }
  CHECK(outs[0] == outs[1], "%s: aliased and copied runs differ", name);
  CHECK(std::vector<float>(feeds, feeds + feed_floats * steps) == feeds0, "%s: the caller's feeds were written", name);
  CHECK(block_written[0], "%s: LAMKIT_FEED_ALIAS=0 did not copy", name);
  CHECK(block_written[1] == !expect_alias, "%s: feed copy %s, expected %s", name,
        block_written[1] ? "made" : "skipped", expect_alias ? "skipped" : "made");
}

static void test_feed_alias() {
  // feeds: A[6×8] @0, x[8] @48; W[8×8] @64 (FILLed); y = A·W @128; r = relu(x) @176.
  const int32_t fill_w[] = {LAM_OP_FILL, 3, 64, 64, fbits(0.25f)};
  std::vector<int32_t> reads = {LAM_OP_FEED, 3, 0, 0, 56};
  reads.insert(reads.end(), fill_w, fill_w + 5);
  const std::vector<int32_t> body = {
      LAM_OP_MATMUL, 9, 0, 0, 6, 8, 8, 0, 64, 128, 0,
      LAM_OP_RELU, 3, 48, 176, 8,
      LAM_OP_CHECK_FINITE, 3, 0, 56, 1,
      LAM_OP_OUTPUT, 3, 128, 0, 48,
      LAM_OP_OUTPUT, 3, 176, 48, 8,
      LAM_OP_OUTPUT, 3, 48, 56, 8,
  };
  std::vector<int32_t> t = reads;
  t.insert(t.end(), body.begin(), body.end());
  run_alias_case("reads only", t, 192, 56, 64, true);
  // relu in place on x: a write into the block after the FEED keeps the copy.
  t = reads;
  t.insert(t.end(), {LAM_OP_RELU, 3, 48, 48, 8});
  t.insert(t.end(), body.begin(), body.end());
  run_alias_case("in-place write", t, 192, 56, 64, false);
  // OUTPUT of x before the FEED sees the previous step's batch: keeps the copy.
  t = {LAM_OP_OUTPUT, 3, 48, 0, 8};
  t.insert(t.end(), reads.begin(), reads.end());
  t.insert(t.end(), {LAM_OP_OUTPUT, 3, 48, 8, 8});
  run_alias_case("read before the FEED", t, 192, 56, 16, false);
  // A read straddling the block's end keeps the copy.
  t = reads;
  t.insert(t.end(), {LAM_OP_OUTPUT, 3, 50, 0, 10});
  run_alias_case("partial read", t, 192, 56, 10, false);
}

// MSE_LOSS then MSE_GRAD of the same operands run fused (fuse_mse): the same bits as the tape
// with an instruction between them (not fused), and the gradient's profile slot stays empty.
static void test_mse_fusion() {
  const int B = 37, D = 29, n = B * D;  // pred @0, target @n, mask @2n, loss @2n+B, dpred @2n+B+1
  const int mask = 2 * n, loss = mask + B, dpred = loss + 1, arena = dpred + n + 1;
  for (int masked = 0; masked < 2; ++masked) {
    const int mw = masked ? mask : -1;
    const std::vector<int32_t> lossi = {LAM_OP_MSE_LOSS, 7, 0, n, mw, loss, B, D, fbits(11.0f)};
    const std::vector<int32_t> gradi = {LAM_OP_MSE_GRAD, 9, 0, n, mw, dpred, B, D, fbits(11.0f), fbits(0.5f), 1};
    const std::vector<int32_t> between = {LAM_OP_FILL, 3, arena - 1, 1, fbits(0.0f)};
    std::vector<int32_t> fused = lossi, apart = lossi;
    fused.insert(fused.end(), gradi.begin(), gradi.end());
    apart.insert(apart.end(), between.begin(), between.end());
    apart.insert(apart.end(), gradi.begin(), gradi.end());
    std::vector<float> res[2];
    for (int v = 0; v < 2; ++v) {
      const std::vector<int32_t>& t = v ? apart : fused;
      char err[256];
      lam_plan* p = lam_plan_create(t.data(), (int64_t)t.size(), arena, err, sizeof err);
      CHECK(p != nullptr, "mse fusion: create failed: %s", err);
      if (!p) return;
      float* a = lam_plan_arena(p);
      for (int i = 0; i < 2 * n; ++i) a[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
      for (int b = 0; b < B; ++b) a[mask + b] = b % 4 == 1 ? 0.0f : 1.0f;
      for (int i = 0; i < n; ++i) a[dpred + i] = 0.25f;  // `+=` onto these
      lam_plan_profile(p, 1);
      int64_t failed = 0;
      const int rc = lam_plan_run(p, nullptr, 0, nullptr, 0, 2, &failed, err, sizeof err);
      CHECK(rc == 0, "mse fusion: run rc %d: %s", rc, err);
      double secs[3] = {-1, -1, -1};
      lam_plan_profile_read(p, secs, 3);
      if (!v) CHECK(secs[1] == 0.0 && secs[0] > 0.0, "mse fusion: profile %g / %g: the pair did not fuse", secs[0], secs[1]);
      a = lam_plan_arena(p);
      res[v].assign(a + loss, a + loss + 1 + n);
      lam_plan_destroy(p);
    }
    CHECK(memcmp(res[0].data(), res[1].data(), res[0].size() * sizeof(float)) == 0,
          "mse fusion (masked %d): fused loss/grad differ from the separate instructions", masked);
  }
}

// fuse_shared_a: z-like (narrow) then pred-like (wide, `+=`) products of the same A, with a
// FILL between them. Fused when the FILL touches neither A, the wide B nor the wide C (profile:
// the wide one takes no time of its own; results as unfused within rounding); left apart when
// the FILL writes into A or the wide one's C (results then bit-equal to the unfused run).
static void test_shared_a() {
  const int M = 64, K = 256, N1 = 1024, N2 = 8;
  const int A = 0, B1 = A + M * K, B2 = B1 + N1 * K, C1 = B2 + N2 * K, C2 = C1 + M * N1, S = C2 + M * N2;
  const int arena = S + 16;
  const std::vector<int32_t> narrow = {LAM_OP_MATMUL, 9, 0, 1, M, N2, K, A, B2, C2, 0};
  const std::vector<int32_t> wide = {LAM_OP_MATMUL, 9, 0, 1, M, N1, K, A, B1, C1, 1};
  struct Case {
    const char* name;
    int fill_at, fill_n;
    bool fuses;
  } cases[] = {{"FILL elsewhere", S, 16, true}, {"FILL into A", A + 5, 3, false}, {"FILL into the wide C", C1 + 7, 2, false}};
  for (const Case& c : cases) {
    std::vector<int32_t> t = narrow;
    const std::vector<int32_t> fill = {LAM_OP_FILL, 3, c.fill_at, c.fill_n, fbits(0.5f)};
    t.insert(t.end(), fill.begin(), fill.end());
    t.insert(t.end(), wide.begin(), wide.end());
    std::vector<float> res[2];
    for (int off = 0; off < 2; ++off) {
      if (off) setenv("LAMKIT_FUSE_SHARED_A", "0", 1);
      char err[256];
      lam_plan* p = lam_plan_create(t.data(), (int64_t)t.size(), arena, err, sizeof err);
      if (off) unsetenv("LAMKIT_FUSE_SHARED_A");
      CHECK(p != nullptr, "shared A: create failed: %s", err);
      if (!p) return;
      float* a = lam_plan_arena(p);
      for (int i = 0; i < S; ++i) a[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
      lam_plan_profile(p, 1);
      int64_t failed = 0;
      const int rc = lam_plan_run(p, nullptr, 0, nullptr, 0, 1, &failed, err, sizeof err);
      CHECK(rc == 0, "shared A (%s): run rc %d: %s", c.name, rc, err);
      double secs[3] = {-1, -1, -1};
      lam_plan_profile_read(p, secs, 3);
      const bool fused = secs[2] == 0.0;
      CHECK(fused == (c.fuses && !off), "shared A (%s, rewrite %s): the pair %s", c.name, off ? "off" : "on",
            fused ? "fused" : "did not fuse");
      a = lam_plan_arena(p);
      res[off].assign(a + C1, a + S);
      lam_plan_destroy(p);
    }
    if (c.fuses) {
      double worst = 0;
      for (size_t i = 0; i < res[0].size(); ++i)
        worst = fmax(worst, fabs((double)res[0][i] - res[1][i]) / (1.0 + fabs((double)res[1][i])));
      CHECK(worst < 1e-5, "shared A (%s): fused results differ from unfused by %g", c.name, worst);
    } else {
      CHECK(memcmp(res[0].data(), res[1].data(), res[0].size() * sizeof(float)) == 0,
            "shared A (%s): results differ from the unfused run", c.name);
    }
  }
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
  test_feed_alias();
  test_mse_fusion();
  test_shared_a();
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
