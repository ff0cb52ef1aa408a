// Plan executor (native/runtime/executor.cpp) without Node: a multi-step tape with FEED, kernels,
// STEP_INCREMENT + adam, OUTPUT and CHECK_FINITE; arena persistence across runs; run-time
// failures naming the step; and malformed tapes rejected by lam_plan_create with a message.
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

int main() {
  test_steps();
  test_reject();
  test_index_checks();
  if (lt::failures()) fprintf(stderr, "executor_test: %d failures\n", lt::failures());
  else printf("executor_test: all passed\n");
  return lt::failures() != 0;
}
