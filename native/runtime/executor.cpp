// lamkit plan executor (native/include/lamkit/executor.h): decodes a tape of int32 words once,
// validates it completely at create time, then runs it step after step calling kernels.h.
//
// Why validate everything up front: the addon and the wasm build hand untrusted tapes to native
// code. After lam_plan_create succeeds, no operand can point outside the arena, so a wrong plan
// is a clear error message at compile time instead of memory corruption at run time. Only
// data-dependent checks remain at run time (NaN/Inf for CHECK_FINITE, idx range for
// gather/scatter, adam's step counter), and they fail the run with the step number.
//
// Opcodes: native/include/lamkit/opcodes.h (mirrors src/ops/opcodes.ts). Operand order per
// opcode = its kernels.h argument order (src/ops/<op>.ts `signature`), with the tape-only
// changes documented in opcodes.h. Test: native/tests/executor_test.cpp,
// test/kernels/*.test.ts (every kernel test goes through this executor on native-cpu).
#include <lamkit/executor.h>
#include <lamkit/kernels.h>
#include <lamkit/opcodes.h>

#include "kernels/weight_stamp.h"
#include "runtime/thread_pool.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <new>
#include <vector>

namespace {

// Operand kinds: r = const f32* (only read: the kernels.h parameter is const), p = f32* the
// kernel writes (and may read), q = const f32* or −1 (NULL), i = i32*, n = integer ≥ 0,
// f = float bits.
struct OpSig {
  const char* name;
  const char* kinds;
};

const OpSig* sig_of(int op) {
  switch (op) {
    case LAM_OP_FEED: { static const OpSig s = {"FEED", "pnn"}; return &s; }
    case LAM_OP_OUTPUT: { static const OpSig s = {"OUTPUT", "rnn"}; return &s; }
    case LAM_OP_STEP_INCREMENT: { static const OpSig s = {"STEP_INCREMENT", "i"}; return &s; }
    case LAM_OP_CHECK_FINITE: { static const OpSig s = {"CHECK_FINITE", "rnn"}; return &s; }
    case LAM_OP_MATMUL: { static const OpSig s = {"matmul", "nnnnnrrpn"}; return &s; }
    case LAM_OP_CONV2D: { static const OpSig s = {"conv2d", "rrpnnnnnnnnnnnnnnnn"}; return &s; }
    case LAM_OP_CONV2D_BACKWARD_INPUT: { static const OpSig s = {"conv2d_backward_input", "rrpnnnnnnnnnnnnnnnn"}; return &s; }
    case LAM_OP_CONV2D_BACKWARD_FILTER: { static const OpSig s = {"conv2d_backward_filter", "rrpnnnnnnnnnnnnnnnn"}; return &s; }
    case LAM_OP_CONV_TRANSPOSE2D: { static const OpSig s = {"conv_transpose2d", "rrpnnnnnnnnnnnnnnnn"}; return &s; }
    case LAM_OP_BIAS_ADD: { static const OpSig s = {"bias_add", "rrpnnn"}; return &s; }
    case LAM_OP_BIAS_GRAD: { static const OpSig s = {"bias_grad", "rpnnnn"}; return &s; }
    case LAM_OP_RELU: { static const OpSig s = {"relu", "rpn"}; return &s; }
    case LAM_OP_RELU_BACKWARD: { static const OpSig s = {"relu_backward", "rrpnn"}; return &s; }
    case LAM_OP_LEAKY_RELU: { static const OpSig s = {"leaky_relu", "rpnf"}; return &s; }
    case LAM_OP_LEAKY_RELU_BACKWARD: { static const OpSig s = {"leaky_relu_backward", "rrpnfn"}; return &s; }
    case LAM_OP_GELU: { static const OpSig s = {"gelu", "rpn"}; return &s; }
    case LAM_OP_GELU_BACKWARD: { static const OpSig s = {"gelu_backward", "rrpnn"}; return &s; }
    case LAM_OP_ADD: { static const OpSig s = {"add", "rrpnn"}; return &s; }
    case LAM_OP_SUB: { static const OpSig s = {"sub", "rrpnn"}; return &s; }
    case LAM_OP_MUL: { static const OpSig s = {"mul", "rrpnn"}; return &s; }
    case LAM_OP_SCALE: { static const OpSig s = {"scale", "rpnfn"}; return &s; }
    case LAM_OP_SUM_AXIS: { static const OpSig s = {"sum_axis", "rpnnnn"}; return &s; }
    case LAM_OP_MEAN_AXIS: { static const OpSig s = {"mean_axis", "rpnnnn"}; return &s; }
    case LAM_OP_CONCAT_PART: { static const OpSig s = {"concat_part", "rpnnnnn"}; return &s; }
    case LAM_OP_SPLIT_PART: { static const OpSig s = {"split_part", "rpnnnnnn"}; return &s; }
    case LAM_OP_MSE_LOSS: { static const OpSig s = {"mse_loss", "rrqpnnf"}; return &s; }
    case LAM_OP_MSE_GRAD: { static const OpSig s = {"mse_grad", "rrqpnnffn"}; return &s; }
    case LAM_OP_ADAM_UPDATE: { static const OpSig s = {"adam_update", "prppnfffffni"}; return &s; }
    case LAM_OP_SGD_UPDATE: { static const OpSig s = {"sgd_update", "prpnfff"}; return &s; }
    case LAM_OP_EMA_UPDATE: { static const OpSig s = {"ema_update", "prnf"}; return &s; }
    case LAM_OP_VQ_NEAREST: { static const OpSig s = {"vq_nearest", "rrinnn"}; return &s; }
    case LAM_OP_GATHER_ROWS: { static const OpSig s = {"gather_rows", "ripnnn"}; return &s; }
    case LAM_OP_SCATTER_ADD_ROWS: { static const OpSig s = {"scatter_add_rows", "ripnnn"}; return &s; }
    case LAM_OP_FILL: { static const OpSig s = {"fill", "pnf"}; return &s; }
    case LAM_OP_COPY: { static const OpSig s = {"copy", "rpnn"}; return &s; }
    case LAM_OP_CONV2D_BIAS_ACT: { static const OpSig s = {"conv2d_bias_act", "rrrpnnnnnnnnnnnnnnnnf"}; return &s; }
    case LAM_OP_L2_NORMALIZE: { static const OpSig s = {"l2_normalize", "rpnnf"}; return &s; }
    case LAM_OP_L2_NORMALIZE_BACKWARD: { static const OpSig s = {"l2_normalize_backward", "rrpnnfn"}; return &s; }
    default: return nullptr;
  }
}

bool is_pointer(char k) { return k == 'p' || k == 'r' || k == 'q' || k == 'i'; }

// Products of tape integers (each < 2^31) can overflow int64: saturate instead.
int64_t mul(int64_t a, int64_t b) {
  if (a == 0 || b == 0) return 0;
  if (a > INT64_MAX / b) return INT64_MAX;
  return a * b;
}
int64_t mul(int64_t a, int64_t b, int64_t c) { return mul(mul(a, b), c); }
int64_t mul(int64_t a, int64_t b, int64_t c, int64_t d) { return mul(mul(a, b), mul(c, d)); }

// Element extent of each pointer operand (mirrors `extents` in src/ops/<op>.ts).
void extents(int op, const int32_t* w, int64_t* e) {
  for (int i = 0; i < 24; ++i) e[i] = 0;
  switch (op) {
    case LAM_OP_FEED: case LAM_OP_OUTPUT: e[0] = w[2]; break;
    case LAM_OP_STEP_INCREMENT: e[0] = 1; break;
    case LAM_OP_CHECK_FINITE: e[0] = w[1]; break;
    case LAM_OP_MATMUL: e[5] = mul(w[2], w[4]); e[6] = mul(w[4], w[3]); e[7] = mul(w[2], w[3]); break;
    case LAM_OP_CONV2D:
    case LAM_OP_CONV2D_BACKWARD_INPUT:
    case LAM_OP_CONV2D_BACKWARD_FILTER:
    case LAM_OP_CONV_TRANSPOSE2D: {
      const int64_t N = w[3], C = w[4], H = w[5], W = w[6], OC = w[7], KH = w[8], KW = w[9];
      const int64_t OH = w[16], OW = w[17];
      const int64_t xs = mul(N, C, H, W), ws = mul(OC, C, KH, KW), ys = mul(N, OC, OH, OW);
      if (op == LAM_OP_CONV2D || op == LAM_OP_CONV_TRANSPOSE2D) { e[0] = xs; e[1] = ws; e[2] = ys; }
      else if (op == LAM_OP_CONV2D_BACKWARD_INPUT) { e[0] = ys; e[1] = ws; e[2] = xs; }
      else { e[0] = xs; e[1] = ys; e[2] = ws; }
      break;
    }
    case LAM_OP_CONV2D_BIAS_ACT: {
      // x, w, b, y, then the 15 geometry integers from word 4.
      const int64_t N = w[4], C = w[5], H = w[6], W = w[7], OC = w[8], KH = w[9], KW = w[10];
      e[0] = mul(N, C, H, W); e[1] = mul(OC, C, KH, KW); e[2] = OC; e[3] = mul(N, OC, w[17], w[18]);
      break;
    }
    case LAM_OP_BIAS_ADD: e[0] = e[2] = mul(w[3], w[4], w[5]); e[1] = w[4]; break;
    case LAM_OP_BIAS_GRAD: e[0] = mul(w[2], w[3], w[4]); e[1] = w[3]; break;
    case LAM_OP_RELU: case LAM_OP_GELU: case LAM_OP_LEAKY_RELU: e[0] = e[1] = w[2]; break;
    case LAM_OP_RELU_BACKWARD: case LAM_OP_GELU_BACKWARD: case LAM_OP_LEAKY_RELU_BACKWARD:
    case LAM_OP_ADD: case LAM_OP_SUB: case LAM_OP_MUL: e[0] = e[1] = e[2] = w[3]; break;
    case LAM_OP_SCALE: case LAM_OP_COPY: e[0] = e[1] = w[2]; break;
    case LAM_OP_SUM_AXIS: case LAM_OP_MEAN_AXIS: e[0] = mul(w[2], w[3], w[4]); e[1] = mul(w[2], w[4]); break;
    case LAM_OP_CONCAT_PART: e[0] = mul(w[2], w[3], w[6]); e[1] = mul(w[2], w[4], w[6]); break;
    case LAM_OP_SPLIT_PART: e[0] = mul(w[2], w[4], w[6]); e[1] = mul(w[2], w[3], w[6]); break;
    case LAM_OP_MSE_LOSS: e[0] = e[1] = mul(w[4], w[5]); e[2] = w[4]; e[3] = 1; break;
    case LAM_OP_MSE_GRAD: e[0] = e[1] = e[3] = mul(w[4], w[5]); e[2] = w[4]; break;
    case LAM_OP_ADAM_UPDATE: e[0] = e[1] = e[2] = e[3] = w[4]; e[11] = 1; break;
    case LAM_OP_SGD_UPDATE: e[0] = e[1] = e[2] = w[3]; break;
    case LAM_OP_EMA_UPDATE: e[0] = e[1] = w[2]; break;
    case LAM_OP_L2_NORMALIZE: e[0] = e[1] = mul(w[2], w[3]); break;
    case LAM_OP_L2_NORMALIZE_BACKWARD: e[0] = e[1] = e[2] = mul(w[3], w[4]); break;
    case LAM_OP_VQ_NEAREST: e[0] = mul(w[3], w[5]); e[1] = mul(w[4], w[5]); e[2] = w[3]; break;
    case LAM_OP_GATHER_ROWS: e[0] = mul(w[5], w[4]); e[1] = w[3]; e[2] = mul(w[3], w[4]); break;
    case LAM_OP_SCATTER_ADD_ROWS: e[0] = mul(w[3], w[4]); e[1] = w[3]; e[2] = mul(w[5], w[4]); break;
    case LAM_OP_FILL: e[0] = w[1]; break;
    default: break;
  }
}

void fmt(char* err, int64_t errlen, const char* f, ...) {
  if (!err || errlen <= 0) return;
  va_list ap;
  va_start(ap, f);
  vsnprintf(err, (size_t)errlen, f, ap);
  va_end(ap);
}

// Value checks beyond kinds and extents (src/ops/<op>.ts `checkArgs`): the conv family divides
// indices by strides and dilations, so 0 would be a division by zero inside the kernel; the
// fused conv's act selects its epilogue. Writes why into `why` and returns false when bad.
bool check_args(int op, const int32_t* w, char* why, int64_t len) {
  const bool fused = op == LAM_OP_CONV2D_BIAS_ACT;
  if (!fused && (op < LAM_OP_CONV2D || op > LAM_OP_CONV_TRANSPOSE2D)) return true;
  const int g = fused ? 4 : 3;  // first geometry word
  if (w[g + 7] < 1 || w[g + 8] < 1 || w[g + 11] < 1 || w[g + 12] < 1) {
    fmt(why, len, "strides and dilations must be ≥ 1, got sh=%d sw=%d dh=%d dw=%d", w[g + 7], w[g + 8],
        w[g + 11], w[g + 12]);
    return false;
  }
  if (fused && w[19] > 2) {
    fmt(why, len, "operand 19 (act) is %d, expected 0 (none), 1 (relu) or 2 (leaky_relu)", w[19]);
    return false;
  }
  return true;
}

float as_float(int32_t w) {
  float f;
  memcpy(&f, &w, sizeof f);
  return f;
}

struct Ins {
  int op;
  int32_t at;        // word index of the opcode, for messages
  const int32_t* w;  // operands (inside plan->tape)
  // A forward conv whose W no instruction of the tape touches (stable_weights): its weights
  // change only by writes from outside, so it runs under the plan's weight stamp.
  bool stable_w = false;
  // Feed aliasing (alias_feeds): a FEED whose block is only ever read skips its copy, and the
  // operands in bit i of feed_reads read the caller's feed block directly, at
  // feeds + step·stride + w[i] + feed_delta[i].
  bool feed_aliased = false;
  uint32_t feed_reads = 0;
  int64_t feed_delta[24] = {};
  // An MSE_LOSS that also runs the MSE_GRAD after it (fuse_mse); that one is then skipped.
  bool fused_with_next = false;
  // fuse_shared_a: a MATMUL that also runs the later MATMUL at index shared_with (same A) in one
  // lam_f32_matmul_shared_a; that one has ran_at = this index and is skipped.
  int32_t shared_with = -1, ran_at = -1;
};

bool forward_conv(int op) { return op == LAM_OP_CONV2D || op == LAM_OP_CONV2D_BIAS_ACT; }

// Marks the forward convs whose W range overlaps no pointer operand of any instruction other
// than forward convs' own W. Conservative: an operand that is only read (a backward pass reading
// W, weight sharing with a linear layer) also counts, which only costs the kernel its content
// check; a training tape's optimiser writes W, so training never runs under a stamp.
void mark_stable_weights(std::vector<Ins>& prog) {
  struct Range {
    int64_t b, e;
  };
  std::vector<Range> touched;
  int64_t ext[24];
  for (const Ins& ins : prog) {
    const char* k = sig_of(ins.op)->kinds;
    extents(ins.op, ins.w, ext);
    for (int i = 0; k[i]; ++i) {
      if (!is_pointer(k[i])) continue;
      if (ins.w[i] < 0 || (i == 1 && forward_conv(ins.op))) continue;
      if (ext[i] > 0) touched.push_back(Range{ins.w[i], ins.w[i] + ext[i]});
    }
  }
  for (Ins& ins : prog) {
    if (!forward_conv(ins.op)) continue;
    extents(ins.op, ins.w, ext);
    const int64_t b = ins.w[1], e = b + ext[1];
    bool stable = true;
    for (const Range& r : touched)
      if (r.b < e && b < r.e) {
        stable = false;
        break;
      }
    ins.stable_w = stable;
  }
}

// Why: a FEED copies each step's batch into the arena only for kernels to read it from there;
// linear-1k's 8 MiB per step cost ~0.9 ms of a ~55 ms step. A FEED is aliased when every other
// operand touching its arena block is a whole-range read ('r' or 'q', const in kernels.h) by an
// instruction after it: nothing can then observe the difference, and the caller's feeds (const)
// are never written. Anything else (a write into the block, a read before the FEED that would
// see the previous step's batch, an int32 or partial operand) keeps the copy. The planner
// (src/graph/plan.ts) gives feeds their own never-reused block, so training and inference tapes
// alias; the arena's feed block then holds stale values, which nothing reads.
void alias_feeds(std::vector<Ins>& prog) {
  int64_t ext[24];
  for (size_t f = 0; f < prog.size(); ++f) {
    if (prog[f].op != LAM_OP_FEED) continue;
    const int64_t b = prog[f].w[0], e = b + prog[f].w[2];
    if (e <= b) continue;
    struct Read {
      size_t ins;
      int operand;
    };
    std::vector<Read> reads;
    bool ok = true;
    for (size_t g = 0; g < prog.size() && ok; ++g) {
      if (g == f) continue;
      const Ins& ins = prog[g];
      const char* k = sig_of(ins.op)->kinds;
      extents(ins.op, ins.w, ext);
      for (int i = 0; k[i] && ok; ++i) {
        if (!is_pointer(k[i]) || ins.w[i] < 0 || ext[i] <= 0) continue;
        const int64_t ob = ins.w[i], oe = ob + ext[i];
        if (oe <= b || e <= ob) continue;
        if ((k[i] == 'r' || k[i] == 'q') && g > f && ob >= b && oe <= e) reads.push_back(Read{g, i});
        else ok = false;
      }
    }
    if (!ok) continue;
    prog[f].feed_aliased = true;
    for (const Read& r : reads) {
      prog[r.ins].feed_reads |= 1u << r.operand;
      prog[r.ins].feed_delta[r.operand] = (int64_t)prog[f].w[1] - b;
    }
  }
}

// An MSE_LOSS directly followed by the MSE_GRAD of the same pred, target, mask, B, D and denom
// runs as one lam_f32_mse_loss_grad: one pass over pred and target instead of two (linear-1k:
// 8 MiB less to read per step). Same bits as the two calls; taken only when the gradient does
// not overlap what the loss reads or writes, so the order of the writes cannot matter.
void fuse_mse(std::vector<Ins>& prog) {
  int64_t el[24], eg[24];
  for (size_t i = 0; i + 1 < prog.size(); ++i) {
    const Ins &l = prog[i], &g = prog[i + 1];
    if (l.op != LAM_OP_MSE_LOSS || g.op != LAM_OP_MSE_GRAD) continue;
    bool same = true;
    for (int k : {0, 1, 2, 4, 5, 6}) same = same && l.w[k] == g.w[k];
    if (!same) continue;
    extents(l.op, l.w, el);
    extents(g.op, g.w, eg);
    const int64_t db = g.w[3], de = db + eg[3];
    bool apart = true;
    for (int k : {0, 1, 2, 3}) {
      if (l.w[k] < 0 || el[k] <= 0) continue;  // no mask
      if (l.w[k] < de && db < l.w[k] + el[k]) apart = false;
    }
    if (!apart) continue;
    prog[i].fused_with_next = true;
    ++i;
  }
}

// Why: linear-1k's forward has z = o_t·W1ᵀ (1024×32×1024) and pred = o_t·Cᵀ (1024³), its
// backward dD = gᵀ·z and dC = gᵀ·o_t: each pair reads the same A. Run as one product with the
// skinny B beside the wide one, the skinny part costs only its FMAs inside the big product's
// blocks (A packed once) instead of a pass of its own at 60–70 GFLOP/s (1 thread: 0.4–0.7 ms
// less per pair, C++ harness). Taken for X before Y with the same ta, M, K and A operand (and
// feed source), the narrower N ≤ 128, the wider N a multiple of 32 (a packed-sliver boundary),
// ≥ 2^24 multiply-adds together, outputs disjoint from each other and from every input, and
// nothing between X and Y writing A or Y's B or touching Y's C (Y then runs early, at X, and
// nobody can tell). The skinny product's k blocking then follows the combined one, so its last
// bits may change; LAMKIT_FUSE_SHARED_A=0 turns the rewrite off.
void fuse_shared_a(std::vector<Ins>& prog) {
  const char* env = getenv("LAMKIT_FUSE_SHARED_A");
  if (env && !strcmp(env, "0")) return;
  struct R {
    int64_t b, e;
    bool meets(const R& o) const { return b < o.e && o.b < e; }
  };
  int64_t ext[24];
  for (size_t i = 0; i < prog.size(); ++i) {
    Ins& x = prog[i];
    if (x.op != LAM_OP_MATMUL || x.shared_with >= 0 || x.ran_at >= 0) continue;
    const int32_t* a = x.w;
    for (size_t j = i + 1; j < prog.size(); ++j) {
      Ins& y = prog[j];
      if (y.op != LAM_OP_MATMUL || y.shared_with >= 0 || y.ran_at >= 0) continue;
      const int32_t* b = y.w;
      if (a[0] != b[0] || a[2] != b[2] || a[4] != b[4] || a[5] != b[5]) continue;
      if (((x.feed_reads ^ y.feed_reads) >> 5 & 1u) || x.feed_delta[5] != y.feed_delta[5]) continue;
      const int64_t M = a[2], K = a[4], nx = a[3], ny = b[3];
      const int64_t wide = nx > ny ? nx : ny, narrow = nx > ny ? ny : nx;
      if (narrow > 128 || wide % 32 != 0 || mul(M, nx + ny, K) < ((int64_t)1 << 24)) continue;
      const R A{a[5], a[5] + mul(M, K)}, bx{a[6], a[6] + mul(K, nx)}, by{b[6], b[6] + mul(K, ny)};
      const R cx{a[7], a[7] + mul(M, nx)}, cy{b[7], b[7] + mul(M, ny)};
      if (cx.meets(A) || cx.meets(bx) || cx.meets(by) || cx.meets(cy) || cy.meets(A) || cy.meets(bx) ||
          cy.meets(by))
        continue;
      bool quiet = true;
      for (size_t h = i + 1; h < j && quiet; ++h) {
        const char* k = sig_of(prog[h].op)->kinds;
        extents(prog[h].op, prog[h].w, ext);
        for (int o = 0; k[o] && quiet; ++o) {
          if (!is_pointer(k[o]) || prog[h].w[o] < 0 || ext[o] <= 0) continue;
          const R r{prog[h].w[o], prog[h].w[o] + ext[o]};
          const bool writes = k[o] == 'p' || k[o] == 'i';
          if (r.meets(cy) || (writes && (r.meets(A) || r.meets(by)))) quiet = false;
        }
      }
      if (!quiet) continue;
      x.shared_with = (int32_t)j;
      y.ran_at = (int32_t)i;
      break;
    }
  }
}

}  // namespace

struct lam_plan {
  std::vector<int32_t> tape;
  std::vector<Ins> prog;
  float* arena = nullptr;
  int64_t arena_floats = 0;
  int64_t feed_need = 0;  // floats one step's feed block must hold
  int64_t out_need = 0;
  bool profiling = false;
  std::vector<double> seconds;  // per instruction, while profiling
  // Renewed whenever the arena may have been written from outside (weight_stamp.h).
  uint64_t stamp = 0;
};

extern "C" lam_plan* lam_plan_create(const int32_t* tape, int64_t tape_words, int64_t arena_floats,
                                     char* err, int64_t errlen) {
  if (err && errlen > 0) err[0] = 0;
  if (tape_words < 0 || (tape_words > 0 && !tape)) {
    fmt(err, errlen, "tape: %lld words but no tape pointer", (long long)tape_words);
    return nullptr;
  }
  if (arena_floats < 1) {
    fmt(err, errlen, "arena_floats must be ≥ 1, got %lld", (long long)arena_floats);
    return nullptr;
  }
  lam_plan* p = new (std::nothrow) lam_plan();
  if (!p) {
    fmt(err, errlen, "out of memory allocating the plan");
    return nullptr;
  }
  try {
    p->tape.assign(tape, tape + tape_words);
  } catch (...) {
    delete p;
    fmt(err, errlen, "out of memory copying a tape of %lld words", (long long)tape_words);
    return nullptr;
  }
  int64_t pc = 0;
  int64_t ext[24];
  while (pc < tape_words) {
    const int32_t at = (int32_t)pc;
    if (pc + 2 > tape_words) {
      fmt(err, errlen, "tape word %d: truncated instruction header", at);
      delete p;
      return nullptr;
    }
    const int op = p->tape[(size_t)pc];
    const int n = p->tape[(size_t)pc + 1];
    const OpSig* s = sig_of(op);
    if (!s) {
      fmt(err, errlen, "tape word %d: unknown opcode %d", at, op);
      delete p;
      return nullptr;
    }
    const int want = (int)strlen(s->kinds);
    if (n != want) {
      fmt(err, errlen, "tape word %d (%s): expected %d operand words, got %d", at, s->name, want, n);
      delete p;
      return nullptr;
    }
    if (pc + 2 + n > tape_words) {
      fmt(err, errlen, "tape word %d (%s): operands run past the end of the tape (%lld words)", at,
          s->name, (long long)tape_words);
      delete p;
      return nullptr;
    }
    const int32_t* w = p->tape.data() + pc + 2;
    for (int i = 0; i < n; ++i) {
      if (s->kinds[i] == 'n' && w[i] < 0) {
        fmt(err, errlen, "tape word %d (%s): operand %d is %d, expected a non-negative integer", at,
            s->name, i, w[i]);
        delete p;
        return nullptr;
      }
      // A NaN learning rate or slope would silently poison a run; fill may write NaN on purpose.
      if (s->kinds[i] == 'f' && op != LAM_OP_FILL && !isfinite(as_float(w[i]))) {
        fmt(err, errlen, "tape word %d (%s): operand %d is %g, expected a finite float", at, s->name,
            i, (double)as_float(w[i]));
        delete p;
        return nullptr;
      }
    }
    char why[160];
    if (!check_args(op, w, why, sizeof why)) {
      fmt(err, errlen, "tape word %d (%s): %s", at, s->name, why);
      delete p;
      return nullptr;
    }
    extents(op, w, ext);
    for (int i = 0; i < n; ++i) {
      const char k = s->kinds[i];
      if (!is_pointer(k)) continue;
      if (k == 'q' && w[i] == -1) continue;
      const int64_t off = w[i];
      if (off < 0 || ext[i] > arena_floats || off > arena_floats - ext[i]) {
        fmt(err, errlen,
            "tape word %d (%s): pointer operand %d covers [%lld, %lld), outside the arena of %lld floats",
            at, s->name, i, (long long)off, (long long)(ext[i] == INT64_MAX ? -1 : off + ext[i]),
            (long long)arena_floats);
        delete p;
        return nullptr;
      }
    }
    if (op == LAM_OP_FEED && (int64_t)w[1] + w[2] > p->feed_need) p->feed_need = (int64_t)w[1] + w[2];
    if (op == LAM_OP_OUTPUT && (int64_t)w[1] + w[2] > p->out_need) p->out_need = (int64_t)w[1] + w[2];
    p->prog.push_back(Ins{op, at, nullptr});
    pc += 2 + n;
  }
  // Operand pointers are taken after the tape stops growing (none of it moves from here on).
  {
    size_t k = 0;
    for (int64_t q = 0; q < tape_words; q += 2 + p->tape[(size_t)q + 1]) p->prog[k++].w = p->tape.data() + q + 2;
  }
  mark_stable_weights(p->prog);
  alias_feeds(p->prog);
  fuse_mse(p->prog);
  fuse_shared_a(p->prog);
  p->stamp = lamkit::new_weight_stamp();
  p->arena = new (std::nothrow) float[(size_t)arena_floats]();
  if (!p->arena) {
    fmt(err, errlen, "out of memory allocating an arena of %lld floats", (long long)arena_floats);
    delete p;
    return nullptr;
  }
  p->arena_floats = arena_floats;
  return p;
}

extern "C" void lam_plan_destroy(lam_plan* plan) {
  if (!plan) return;
  delete[] plan->arena;
  delete plan;
}

extern "C" void lam_plan_profile(lam_plan* plan, int enable) {
  if (!plan) return;
  plan->profiling = enable != 0;
  if (plan->profiling) plan->seconds.assign(plan->prog.size(), 0.0);
}

extern "C" int64_t lam_plan_profile_read(const lam_plan* plan, double* seconds, int64_t n) {
  if (!plan) return 0;
  const int64_t m = (int64_t)plan->seconds.size();
  for (int64_t i = 0; i < m && i < n && seconds; ++i) seconds[i] = plan->seconds[(size_t)i];
  return m;
}

static double now_seconds() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

// Whoever takes the pointer may write through it: weights cached under the old stamp are
// checked by content on their next use.
extern "C" float* lam_plan_arena(lam_plan* plan) {
  if (!plan) return nullptr;
  plan->stamp = lamkit::new_weight_stamp();
  return plan->arena;
}
extern "C" int64_t lam_plan_arena_floats(const lam_plan* plan) { return plan ? plan->arena_floats : 0; }

extern "C" int lam_plan_run(lam_plan* plan, const float* feeds, int64_t feed_stride, float* outputs,
                            int64_t out_stride, int64_t steps, int64_t* failed_step, char* err,
                            int64_t errlen) {
  if (failed_step) *failed_step = -1;
  if (err && errlen > 0) err[0] = 0;
  if (!plan) {
    fmt(err, errlen, "lam_plan_run: plan is NULL");
    return 1;
  }
  if (steps < 0) {
    fmt(err, errlen, "steps must be ≥ 0, got %lld", (long long)steps);
    return 1;
  }
  if (plan->feed_need > 0 && (!feeds || feed_stride < plan->feed_need)) {
    fmt(err, errlen, "the tape reads %lld feed floats per step; got %s with stride %lld",
        (long long)plan->feed_need, feeds ? "feeds" : "no feeds", (long long)feed_stride);
    return 1;
  }
  if (plan->out_need > 0 && (!outputs || out_stride < plan->out_need)) {
    fmt(err, errlen, "the tape writes %lld output floats per step; got %s with stride %lld",
        (long long)plan->out_need, outputs ? "an output buffer" : "no output buffer",
        (long long)out_stride);
    return 1;
  }
  float* A = plan->arena;
  // Kernels follow each other within microseconds: keep pool workers awake for the whole run.
  lamkit::WorkerHold hold;
  // LAMKIT_FEED_ALIAS=0: copy every feed into the arena (for A/B runs and debugging).
  const char* alias_env = getenv("LAMKIT_FEED_ALIAS");
  const bool alias = !(alias_env && !strcmp(alias_env, "0"));
  // Operands with bit i of `fr` read the step's feed block (alias_feeds); the rest the arena.
#define P(i) ((fr >> (i) & 1u) ? const_cast<float*>(fs + w[i] + ins.feed_delta[i]) : A + w[i])
#define Q(i) (w[i] < 0 ? nullptr : P(i))
#define IP(i) (reinterpret_cast<int32_t*>(A + w[i]))
#define I(i) ((int64_t)w[i])
#define F(i) as_float(w[i])
#define GEOM I(3), I(4), I(5), I(6), I(7), I(8), I(9), I(10), I(11), I(12), I(13), I(14), I(15), I(16), I(17), (int)w[18]
  // lam_plan_profile sized `seconds` when it turned profiling on.
  const bool profiling = plan->profiling;
  for (int64_t step = 0; step < steps; ++step) {
    const float* fs = feeds ? feeds + step * feed_stride : nullptr;
    for (size_t pc = 0; pc < plan->prog.size(); ++pc) {
      const Ins& ins = plan->prog[pc];
      if (ins.ran_at >= 0) continue;  // ran inside the MATMUL at ran_at (fuse_shared_a)
      const int32_t* w = ins.w;
      const uint32_t fr = alias ? ins.feed_reads : 0u;
      const double t0 = profiling ? now_seconds() : 0.0;
      switch (ins.op) {
        // Through lam_f32_copy: split over the pool from ~1 MiB (a batch-64 conv64 IDM feed is
        // 6 MiB: 0.7 ms as one memcpy).
        case LAM_OP_FEED:
          if (!(alias && ins.feed_aliased)) lam_f32_copy(fs + w[1], P(0), I(2), 0);
          break;
        case LAM_OP_OUTPUT: lam_f32_copy(P(0), outputs + step * out_stride + w[1], I(2), 0); break;
        case LAM_OP_STEP_INCREMENT: *IP(0) += 1; break;
        case LAM_OP_CHECK_FINITE: {
          const float* x = P(0);
          for (int32_t i = 0; i < w[1]; ++i) {
            if (!isfinite(x[i])) {
              if (failed_step) *failed_step = step;
              // Spelled as JavaScript prints them, so every backend's message reads the same.
              const char* what = isnan(x[i]) ? "NaN" : x[i] > 0 ? "Infinity" : "-Infinity";
              fmt(err, errlen, "step %lld: non-finite value %s in tensor tag %d at element %d (arena offset %d)",
                  (long long)step, what, w[2], i, w[0] + i);
              return 2;
            }
          }
          break;
        }
        case LAM_OP_MATMUL:
          if (ins.shared_with >= 0) {
            // The wider product first: its N is the multiple of 32 the split needs.
            const Ins& y = plan->prog[(size_t)ins.shared_with];
            const int32_t* v = y.w;
            const uint32_t yr = alias ? y.feed_reads : 0u;
            float* yb = (yr >> 6 & 1u) ? const_cast<float*>(fs + v[6] + y.feed_delta[6]) : A + v[6];
            float* yc = A + v[7];  // a written operand: never a feed alias
            if (v[3] >= w[3]) {
              lam_f32_matmul_shared_a(w[0], I(2), I(4), P(5), v[1], v[3], yb, yc, v[8], w[1], I(3), P(6), P(7), w[8]);
            } else {
              lam_f32_matmul_shared_a(w[0], I(2), I(4), P(5), w[1], I(3), P(6), P(7), w[8], v[1], v[3], yb, yc, v[8]);
            }
            break;
          }
          lam_f32_matmul(w[0], w[1], I(2), I(3), I(4), P(5), P(6), P(7), w[8]);
          break;
        case LAM_OP_CONV2D: {
          lamkit::WeightStampScope stamp(ins.stable_w ? plan->stamp : 0);
          lam_f32_conv2d(P(0), P(1), P(2), GEOM);
          break;
        }
        case LAM_OP_CONV2D_BACKWARD_INPUT: lam_f32_conv2d_backward_input(P(0), P(1), P(2), GEOM); break;
        case LAM_OP_CONV2D_BACKWARD_FILTER: lam_f32_conv2d_backward_filter(P(0), P(1), P(2), GEOM); break;
        case LAM_OP_CONV_TRANSPOSE2D: lam_f32_conv_transpose2d(P(0), P(1), P(2), GEOM); break;
        case LAM_OP_BIAS_ADD: lam_f32_bias_add(P(0), P(1), P(2), I(3), I(4), I(5)); break;
        case LAM_OP_BIAS_GRAD: lam_f32_bias_grad(P(0), P(1), I(2), I(3), I(4), w[5]); break;
        case LAM_OP_RELU: lam_f32_relu(P(0), P(1), I(2)); break;
        case LAM_OP_RELU_BACKWARD: lam_f32_relu_backward(P(0), P(1), P(2), I(3), w[4]); break;
        case LAM_OP_LEAKY_RELU: lam_f32_leaky_relu(P(0), P(1), I(2), F(3)); break;
        case LAM_OP_LEAKY_RELU_BACKWARD: lam_f32_leaky_relu_backward(P(0), P(1), P(2), I(3), F(4), w[5]); break;
        case LAM_OP_GELU: lam_f32_gelu(P(0), P(1), I(2)); break;
        case LAM_OP_GELU_BACKWARD: lam_f32_gelu_backward(P(0), P(1), P(2), I(3), w[4]); break;
        case LAM_OP_ADD: lam_f32_add(P(0), P(1), P(2), I(3), w[4]); break;
        case LAM_OP_SUB: lam_f32_sub(P(0), P(1), P(2), I(3), w[4]); break;
        case LAM_OP_MUL: lam_f32_mul(P(0), P(1), P(2), I(3), w[4]); break;
        case LAM_OP_SCALE: lam_f32_scale(P(0), P(1), I(2), F(3), w[4]); break;
        case LAM_OP_SUM_AXIS: lam_f32_sum_axis(P(0), P(1), I(2), I(3), I(4), w[5]); break;
        case LAM_OP_MEAN_AXIS: lam_f32_mean_axis(P(0), P(1), I(2), I(3), I(4), w[5]); break;
        case LAM_OP_CONCAT_PART: lam_f32_concat_part(P(0), P(1), I(2), I(3), I(4), I(5), I(6)); break;
        case LAM_OP_SPLIT_PART: lam_f32_split_part(P(0), P(1), I(2), I(3), I(4), I(5), I(6), w[7]); break;
        case LAM_OP_MSE_LOSS:
          if (ins.fused_with_next) {
            // The gradient's own operands: dpred is written, so never a feed alias.
            const int32_t* g = plan->prog[pc + 1].w;
            lam_f32_mse_loss_grad(P(0), P(1), Q(2), P(3), A + g[3], I(4), I(5), F(6), as_float(g[7]), g[8]);
          } else {
            lam_f32_mse_loss(P(0), P(1), Q(2), P(3), I(4), I(5), F(6));
          }
          break;
        case LAM_OP_MSE_GRAD: lam_f32_mse_grad(P(0), P(1), Q(2), P(3), I(4), I(5), F(6), F(7), w[8]); break;
        case LAM_OP_ADAM_UPDATE: {
          const int32_t t = *IP(11);
          if (t < 1) {
            if (failed_step) *failed_step = step;
            fmt(err, errlen, "step %lld: adam_update step counter is %d; a STEP_INCREMENT must run first",
                (long long)step, t);
            return 3;
          }
          lam_f32_adam_update(P(0), P(1), P(2), P(3), I(4), F(5), F(6), F(7), F(8), F(9), w[10], t);
          break;
        }
        case LAM_OP_SGD_UPDATE: lam_f32_sgd_update(P(0), P(1), P(2), I(3), F(4), F(5), F(6)); break;
        case LAM_OP_EMA_UPDATE: lam_f32_ema_update(P(0), P(1), I(2), F(3)); break;
        case LAM_OP_VQ_NEAREST: lam_f32_vq_nearest(P(0), P(1), IP(2), I(3), I(4), I(5)); break;
        case LAM_OP_GATHER_ROWS:
        case LAM_OP_SCATTER_ADD_ROWS: {
          const int32_t* idx = IP(1);
          for (int32_t i = 0; i < w[3]; ++i) {
            if (idx[i] < 0 || idx[i] >= w[5]) {
              if (failed_step) *failed_step = step;
              fmt(err, errlen, "step %lld: %s index %d at row %d is outside [0, %d)", (long long)step,
                  ins.op == LAM_OP_GATHER_ROWS ? "gather_rows" : "scatter_add_rows", idx[i], i, w[5]);
              return 4;
            }
          }
          if (ins.op == LAM_OP_GATHER_ROWS) lam_f32_gather_rows(P(0), idx, P(2), I(3), I(4));
          else lam_f32_scatter_add_rows(P(0), idx, P(2), I(3), I(4));
          break;
        }
        case LAM_OP_FILL: lam_f32_fill(P(0), I(1), F(2)); break;
        case LAM_OP_COPY: lam_f32_copy(P(0), P(1), I(2), w[3]); break;
        case LAM_OP_CONV2D_BIAS_ACT: {
          lamkit::WeightStampScope stamp(ins.stable_w ? plan->stamp : 0);
          lam_f32_conv2d_bias_act(P(0), P(1), P(2), P(3), I(4), I(5), I(6), I(7), I(8), I(9), I(10), I(11),
                                  I(12), I(13), I(14), I(15), I(16), I(17), I(18), (int)w[19], F(20));
          break;
        }
        case LAM_OP_L2_NORMALIZE: lam_f32_l2_normalize(P(0), P(1), I(2), I(3), F(4)); break;
        case LAM_OP_L2_NORMALIZE_BACKWARD: lam_f32_l2_normalize_backward(P(0), P(1), P(2), I(3), I(4), F(5), w[6]); break;
        default:
          // Unreachable: create() rejected unknown opcodes.
          if (failed_step) *failed_step = step;
          fmt(err, errlen, "tape word %d: unknown opcode %d", ins.at, ins.op);
          return 5;
      }
      if (profiling) plan->seconds[pc] += now_seconds() - t0;
      if (ins.fused_with_next) ++pc;  // its MSE_GRAD ran inside (its profile time shows on the loss)
    }
  }
#undef P
#undef Q
#undef IP
#undef I
#undef F
#undef GEOM
  return 0;
}
