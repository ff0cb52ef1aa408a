// CUDA kernels and the CUDA plan executor against the CPU kernels of kernels.h / the CPU
// executor of executor.h, on seeded random inputs (LAMKIT_TEST_SEED overrides the seed).
// Every device output sits between guard zones checked bit-exact after the call; `=` outputs
// are poisoned with NaN first, `+=` outputs prefilled with random values; inputs are checked
// unchanged. Tolerance |got − ref| ≤ atol·√K·scale + rtol·|ref| with K the reduction length.
// Without a usable GPU it prints "SKIP: no CUDA device (<reason>)" and exits 0 — the reason is
// the discovery error, so a broken driver is visible in the ctest log, never a silent pass.
#include <lamkit/cuda_executor.h>
#include <lamkit/cuda_kernels.h>
#include <lamkit/executor.h>
#include <lamkit/kernels.h>
#include <lamkit/opcodes.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <functional>
#include <string>
#include <vector>

namespace {

int g_failures = 0, g_checks = 0;
uint64_t g_seed = 1234;
uint64_t g_state = 0;

float urand() {  // uniform [-1, 1)
  g_state ^= g_state << 13;
  g_state ^= g_state >> 7;
  g_state ^= g_state << 17;
  return (float)((g_state >> 11) * (1.0 / 9007199254740992.0)) * 2.f - 1.f;
}
std::vector<float> rnd(int64_t n, float scale = 1.f) {
  std::vector<float> v((size_t)n);
  for (auto& x : v) x = urand() * scale;
  return v;
}

constexpr int64_t kGuard = 37;  // odd: the data then starts 16-byte misaligned in every buffer
constexpr float kSentinel = -12345.5f;

void die_cuda(int e, const char* what) {
  if (e != 0) {
    fprintf(stderr, "FAIL: %s: %s\n", what, lam_cuda_error_string(e));
    exit(1);
  }
}

// A device buffer with guard zones; `aligned` drops the odd offset (float4 paths).
struct Dev {
  float* base = nullptr;
  float* p = nullptr;
  int64_t n = 0, off = 0;
  Dev(const std::vector<float>& host, bool aligned = false) : n((int64_t)host.size()) {
    off = aligned ? 32 : kGuard;
    const int64_t total = n + off + kGuard;
    die_cuda(lam_cuda_malloc((void**)&base, total * 4), "cudaMalloc");
    std::vector<float> init((size_t)total, kSentinel);
    memcpy(init.data() + off, host.data(), (size_t)n * 4);
    die_cuda(lam_cuda_memcpy_h2d(base, init.data(), total * 4), "upload");
    p = base + off;
  }
  ~Dev() { lam_cuda_free(base); }
  std::vector<float> get(const char* what) const {
    die_cuda(lam_cuda_sync(), what);
    const int64_t total = n + off + kGuard;
    std::vector<float> all((size_t)total);
    die_cuda(lam_cuda_memcpy_d2h(all.data(), base, total * 4), "download");
    for (int64_t i = 0; i < total; ++i) {
      if (i >= off && i < off + n) continue;
      if (memcmp(&all[(size_t)i], &kSentinel, 4) != 0) {
        printf("FAIL %s: guard zone overwritten at %lld\n", what, (long long)(i - off));
        ++g_failures;
        break;
      }
    }
    return std::vector<float>(all.begin() + off, all.begin() + off + n);
  }
};

void expect_same(const char* what, const Dev& d, const std::vector<float>& orig) {
  auto got = d.get(what);
  if (memcmp(got.data(), orig.data(), orig.size() * 4) != 0) {
    printf("FAIL %s: an input was modified\n", what);
    ++g_failures;
  }
}

// Compares got against ref; K = reduction length (1 for elementwise).
void compare(const std::string& what, const std::vector<float>& got, const std::vector<float>& ref,
             double K, double atol = 2e-6, double rtol = 1e-5) {
  ++g_checks;
  double max_abs = 0, max_ref = 0;
  int64_t bad = -1;
  for (size_t i = 0; i < ref.size(); ++i) max_ref = fmax(max_ref, fabs(ref[i]));
  const double scale = fmax(max_ref, 1.0);
  for (size_t i = 0; i < ref.size(); ++i) {
    const double d = fabs((double)got[i] - (double)ref[i]);
    if (!(d <= atol * sqrt(K) * scale + rtol * fabs(ref[i]))) {
      if (bad < 0) bad = (int64_t)i;
    }
    if (d > max_abs || d != d) max_abs = d != d ? INFINITY : d;
  }
  if (bad >= 0) {
    printf("FAIL %-58s max|err| %.3g (first bad [%lld] got %.9g ref %.9g)\n", what.c_str(),
           max_abs, (long long)bad, got[(size_t)bad], ref[(size_t)bad]);
    ++g_failures;
  } else {
    printf("ok   %-58s max|err| %.3g\n", what.c_str(), max_abs);
  }
}

std::vector<float> nan_vec(int64_t n) { return std::vector<float>((size_t)n, NAN); }

// Runs an output-producing op for acc = 0 (NaN-poisoned) and acc = 1 (random prefill).
void both_modes(const std::string& name, int64_t n_out, double K,
                const std::function<void(float*, int)>& gpu,
                const std::function<void(float*, int)>& cpu, double atol = 2e-6) {
  for (int acc = 0; acc <= 1; ++acc) {
    std::vector<float> init = acc ? rnd(n_out) : nan_vec(n_out);
    std::vector<float> ref = init;
    cpu(ref.data(), acc);
    Dev d(init);
    gpu(d.p, acc);
    compare(name + (acc ? " +=" : " ="), d.get(name.c_str()), ref, K, atol);
  }
}

}  // namespace

// gpu lambdas return int launch codes; wrap so both_modes can check them.
#define GPU(body) [&](float* out, int acc) { int e_ = (body); die_cuda(e_, "launch"); }
#define CPU(body) [&](float* out, int acc) { body; }

namespace {

void test_matmul() {
  struct S { int64_t M, N, K; };
  const S sizes[] = {{1, 1, 1}, {7, 13, 5}, {33, 31, 17}, {127, 129, 33}, {128, 128, 64},
                     {131, 67, 257}, {64, 300, 1000}, {200, 64, 2048}, {5, 1000, 9}};
  const bool emu = getenv("LAMKIT_CUDA_EMU") != nullptr;  // host emulator: smaller sweep
  for (int version : {1, 2, 3, 4, 0}) {
    lam_cuda_set_gemm_version(version);
    for (const S& s : sizes) {
      if (version == 1 && s.M * s.N * s.K > 20000000) continue;
      if (emu && s.M * s.N * s.K > 2000000 && version != 3 && version != 4) continue;
      for (int ta = 0; ta <= 1; ++ta)
        for (int tb = 0; tb <= 1; ++tb)
          for (int aligned = 0; aligned <= 1; ++aligned) {
            if (aligned && version != 3 && version != 4 && version != 0) continue;
            auto A = rnd(s.M * s.K), B = rnd(s.K * s.N);
            Dev dA(A, aligned), dB(B, aligned);
            char name[128];
            snprintf(name, sizeof name, "matmul v%d ta=%d tb=%d %lldx%lldx%lld%s", version, ta, tb,
                     (long long)s.M, (long long)s.N, (long long)s.K, aligned ? " aligned" : "");
            for (int acc = 0; acc <= 1; ++acc) {
              std::vector<float> init = acc ? rnd(s.M * s.N) : nan_vec(s.M * s.N);
              std::vector<float> ref = init;
              lam_f32_matmul(ta, tb, s.M, s.N, s.K, A.data(), B.data(), ref.data(), acc);
              Dev dC(init, aligned);
              die_cuda(lam_cuda_f32_matmul(ta, tb, s.M, s.N, s.K, dA.p, dB.p, dC.p, acc, nullptr), name);
              compare(std::string(name) + (acc ? " +=" : " ="), dC.get(name), ref, (double)s.K);
            }
            expect_same(name, dA, A);
            expect_same(name, dB, B);
          }
    }
  }
  lam_cuda_set_gemm_version(0);
}

struct Conv { int64_t N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw; };

void test_conv() {
  const Conv cases[] = {{2, 3, 9, 7, 5, 3, 3, 1, 1, 1, 1, 1, 1},
                        {2, 4, 8, 8, 6, 4, 4, 2, 2, 1, 1, 1, 1},
                        {1, 2, 11, 10, 3, 3, 2, 2, 1, 0, 1, 2, 1},
                        {3, 1, 5, 5, 1, 1, 1, 1, 1, 0, 0, 1, 1},
                        {4, 32, 32, 32, 64, 4, 4, 2, 2, 1, 1, 1, 1},
                        {2, 67, 9, 9, 65, 3, 3, 1, 1, 1, 1, 1, 1},
                        {2, 3, 10, 13, 4, 5, 2, 3, 2, 2, 0, 1, 1},
                        {1, 2, 7, 7, 3, 2, 2, 3, 3, 0, 1, 1, 1}};
  const bool emu = getenv("LAMKIT_CUDA_EMU") != nullptr;
  for (const Conv& c : cases) {
    if (emu && c.N * c.C * c.H * c.W > 20000) continue;  // host emulator: keep it quick
    const int64_t OH = (c.H + 2 * c.ph - c.dh * (c.KH - 1) - 1) / c.sh + 1;
    const int64_t OW = (c.W + 2 * c.pw - c.dw * (c.KW - 1) - 1) / c.sw + 1;
    char geo[160];
    snprintf(geo, sizeof geo, "N%lld C%lld %lldx%lld OC%lld k%lldx%lld s%lld,%lld p%lld,%lld d%lld,%lld",
             (long long)c.N, (long long)c.C, (long long)c.H, (long long)c.W, (long long)c.OC,
             (long long)c.KH, (long long)c.KW, (long long)c.sh, (long long)c.sw, (long long)c.ph,
             (long long)c.pw, (long long)c.dh, (long long)c.dw);
    const int64_t xs = c.N * c.C * c.H * c.W, ws = c.OC * c.C * c.KH * c.KW, ys = c.N * c.OC * OH * OW;
    auto x = rnd(xs), w = rnd(ws), dy = rnd(ys);
    Dev dx_(x), dw_(w), ddy(dy);
#define G c.N, c.C, c.H, c.W, c.OC, c.KH, c.KW, c.sh, c.sw, c.ph, c.pw, c.dh, c.dw, OH, OW
    both_modes(std::string("conv2d ") + geo, ys, (double)(c.C * c.KH * c.KW),
               GPU(lam_cuda_f32_conv2d(dx_.p, dw_.p, out, G, acc, nullptr)),
               CPU(lam_f32_conv2d(x.data(), w.data(), out, G, acc)));
    for (int cv = 1; cv <= 2; ++cv) {  // generic gather and stride-phase GEMMs
      lam_cuda_set_conv_version(cv);
      both_modes(std::string("conv2d_backward_input v") + std::to_string(cv) + " " + geo, xs,
                 (double)(c.OC * c.KH * c.KW),
                 GPU(lam_cuda_f32_conv2d_backward_input(ddy.p, dw_.p, out, G, acc, nullptr)),
                 CPU(lam_f32_conv2d_backward_input(dy.data(), w.data(), out, G, acc)));
    }
    both_modes(std::string("conv2d_backward_filter ") + geo, ws, (double)(c.N * OH * OW),
               GPU(lam_cuda_f32_conv2d_backward_filter(dx_.p, ddy.p, out, G, acc, nullptr)),
               CPU(lam_f32_conv2d_backward_filter(x.data(), dy.data(), out, G, acc)));
#undef G
    expect_same("conv inputs x", dx_, x);
    expect_same("conv inputs w", dw_, w);
    expect_same("conv inputs dy", ddy, dy);
    // conv_transpose2d with the same geometry read the other way: x [N,IC=OC,OH,OW],
    // w [IC=OC, C, KH, KW] → y [N, C, H', W'] with H' from the transpose formula.
    const int64_t IC = c.OC, TOC = c.C;
    const int64_t TH = (OH - 1) * c.sh - 2 * c.ph + c.dh * (c.KH - 1) + 1;
    const int64_t TW = (OW - 1) * c.sw - 2 * c.pw + c.dw * (c.KW - 1) + 1;
    auto tx = rnd(c.N * IC * OH * OW), tw = rnd(IC * TOC * c.KH * c.KW);
    Dev dtx(tx), dtw(tw);
#define T c.N, IC, OH, OW, TOC, c.KH, c.KW, c.sh, c.sw, c.ph, c.pw, c.dh, c.dw, TH, TW
    for (int cv = 1; cv <= 2; ++cv) {
      lam_cuda_set_conv_version(cv);
      both_modes(std::string("conv_transpose2d v") + std::to_string(cv) + " " + geo, c.N * TOC * TH * TW,
                 (double)(IC * c.KH * c.KW), GPU(lam_cuda_f32_conv_transpose2d(dtx.p, dtw.p, out, T, acc, nullptr)),
                 CPU(lam_f32_conv_transpose2d(tx.data(), tw.data(), out, T, acc)));
    }
    lam_cuda_set_conv_version(2);
#undef T
  }
}

void test_elementwise() {
  for (int64_t n : {1LL, 37LL, 4099LL, 300001LL}) {
    auto a = rnd(n, 3.f), b = rnd(n, 3.f), dy = rnd(n);
    a[0] = 0.f;  // the kink of relu
    Dev da(a), db(b), ddy(dy);
    const std::string sz = " n=" + std::to_string(n);
    both_modes("relu_backward" + sz, n, 1, GPU(lam_cuda_f32_relu_backward(da.p, ddy.p, out, n, acc, nullptr)),
               CPU(lam_f32_relu_backward(a.data(), dy.data(), out, n, acc)));
    both_modes("leaky_relu_backward" + sz, n, 1,
               GPU(lam_cuda_f32_leaky_relu_backward(da.p, ddy.p, out, n, 0.07f, acc, nullptr)),
               CPU(lam_f32_leaky_relu_backward(a.data(), dy.data(), out, n, 0.07f, acc)));
    both_modes("gelu_backward" + sz, n, 1, GPU(lam_cuda_f32_gelu_backward(da.p, ddy.p, out, n, acc, nullptr)),
               CPU(lam_f32_gelu_backward(a.data(), dy.data(), out, n, acc)), 1e-6);
    both_modes("add" + sz, n, 1, GPU(lam_cuda_f32_add(da.p, db.p, out, n, acc, nullptr)),
               CPU(lam_f32_add(a.data(), b.data(), out, n, acc)));
    both_modes("sub" + sz, n, 1, GPU(lam_cuda_f32_sub(da.p, db.p, out, n, acc, nullptr)),
               CPU(lam_f32_sub(a.data(), b.data(), out, n, acc)));
    both_modes("mul" + sz, n, 1, GPU(lam_cuda_f32_mul(da.p, db.p, out, n, acc, nullptr)),
               CPU(lam_f32_mul(a.data(), b.data(), out, n, acc)));
    both_modes("scale" + sz, n, 1, GPU(lam_cuda_f32_scale(da.p, out, n, -0.37f, acc, nullptr)),
               CPU(lam_f32_scale(a.data(), out, n, -0.37f, acc)));
    both_modes("copy" + sz, n, 1, GPU(lam_cuda_f32_copy(da.p, out, n, acc, nullptr)),
               CPU(lam_f32_copy(a.data(), out, n, acc)));
    // `=`-only ops: NaN-poisoned output, acc unused.
    auto once = [&](const std::string& nm, const std::function<int(float*)>& g,
                    const std::function<void(float*)>& c) {
      std::vector<float> ref = nan_vec(n);
      c(ref.data());
      Dev d(nan_vec(n));
      die_cuda(g(d.p), nm.c_str());
      compare(nm, d.get(nm.c_str()), ref, 1, 1e-6);
    };
    once("relu" + sz, [&](float* o) { return lam_cuda_f32_relu(da.p, o, n, nullptr); },
         [&](float* o) { lam_f32_relu(a.data(), o, n); });
    once("leaky_relu" + sz, [&](float* o) { return lam_cuda_f32_leaky_relu(da.p, o, n, 0.07f, nullptr); },
         [&](float* o) { lam_f32_leaky_relu(a.data(), o, n, 0.07f); });
    once("gelu" + sz, [&](float* o) { return lam_cuda_f32_gelu(da.p, o, n, nullptr); },
         [&](float* o) { lam_f32_gelu(a.data(), o, n); });
    once("fill" + sz, [&](float* o) { return lam_cuda_f32_fill(o, n, 2.5f, nullptr); },
         [&](float* o) { lam_f32_fill(o, n, 2.5f); });
    expect_same("elementwise a", da, a);
    expect_same("elementwise b", db, b);
  }
  // NaN must survive relu (the CPU kernels keep it visible).
  {
    std::vector<float> x = {NAN, -1.f, 2.f};
    Dev dx(x), dy(nan_vec(3));
    die_cuda(lam_cuda_f32_relu(dx.p, dy.p, 3, nullptr), "relu nan");
    auto got = dy.get("relu nan");
    ++g_checks;
    if (!(got[0] != got[0] && got[1] == 0.f && got[2] == 2.f)) { printf("FAIL relu NaN propagation\n"); ++g_failures; }
    else printf("ok   relu keeps NaN\n");
  }
}

void test_bias_reduce() {
  struct B { int64_t N, C, S; };
  for (const B& s : {B{3, 5, 7}, B{64, 16, 1}, B{1024, 3, 1}, B{256, 3, 4096}, B{2, 130, 33}}) {
    const int64_t n = s.N * s.C * s.S;
    auto x = rnd(n), bias = rnd(s.C);
    Dev dx(x), db(bias);
    char nm[96];
    snprintf(nm, sizeof nm, "N%lld C%lld S%lld", (long long)s.N, (long long)s.C, (long long)s.S);
    {
      std::vector<float> ref = nan_vec(n);
      lam_f32_bias_add(x.data(), bias.data(), ref.data(), s.N, s.C, s.S);
      Dev dy(nan_vec(n));
      die_cuda(lam_cuda_f32_bias_add(dx.p, db.p, dy.p, s.N, s.C, s.S, nullptr), "bias_add");
      compare(std::string("bias_add ") + nm, dy.get("bias_add"), ref, 1);
    }
    both_modes(std::string("bias_grad ") + nm, s.C, (double)(s.N * s.S),
               GPU(lam_cuda_f32_bias_grad(dx.p, out, s.N, s.C, s.S, acc, nullptr)),
               CPU(lam_f32_bias_grad(x.data(), out, s.N, s.C, s.S, acc)));
  }
  struct R { int64_t o, l, i; };
  for (const R& r : {R{1, 1, 1}, R{3, 5, 7}, R{1, 100000, 1}, R{7, 300, 1}, R{2, 5000, 3},
                     R{1, 1024, 1024}, R{64, 3, 129}}) {
    auto x = rnd(r.o * r.l * r.i);
    Dev dx(x);
    char nm[96];
    snprintf(nm, sizeof nm, "[%lld,%lld,%lld]", (long long)r.o, (long long)r.l, (long long)r.i);
    both_modes(std::string("sum_axis ") + nm, r.o * r.i, (double)r.l,
               GPU(lam_cuda_f32_sum_axis(dx.p, out, r.o, r.l, r.i, acc, nullptr)),
               CPU(lam_f32_sum_axis(x.data(), out, r.o, r.l, r.i, acc)));
    both_modes(std::string("mean_axis ") + nm, r.o * r.i, (double)r.l,
               GPU(lam_cuda_f32_mean_axis(dx.p, out, r.o, r.l, r.i, acc, nullptr)),
               CPU(lam_f32_mean_axis(x.data(), out, r.o, r.l, r.i, acc)));
    expect_same("reduce x", dx, x);
  }
  // l2_normalize(_backward): rows × len (short embeddings in big batches, one long row, len 1).
  for (const R& r : {R{1, 1, 0}, R{5, 7, 0}, R{64, 128, 0}, R{3, 4097, 0}, R{1000, 33, 0}}) {
    const int64_t n = r.o * r.l;
    auto x = rnd(n, 2.f), dy = rnd(n);
    Dev dx(x), ddy(dy);
    char nm[64];
    snprintf(nm, sizeof nm, " [%lld,%lld]", (long long)r.o, (long long)r.l);
    both_modes(std::string("l2_normalize_backward") + nm, n, (double)r.l,
               GPU(lam_cuda_f32_l2_normalize_backward(dx.p, ddy.p, out, r.o, r.l, 1e-8f, acc, nullptr)),
               CPU(lam_f32_l2_normalize_backward(x.data(), dy.data(), out, r.o, r.l, 1e-8f, acc)), 1e-5);
    std::vector<float> ref = nan_vec(n);
    lam_f32_l2_normalize(x.data(), ref.data(), r.o, r.l, 1e-8f);
    Dev dy_out(nan_vec(n));
    die_cuda(lam_cuda_f32_l2_normalize(dx.p, dy_out.p, r.o, r.l, 1e-8f, nullptr), "l2_normalize");
    compare(std::string("l2_normalize") + nm, dy_out.get("l2_normalize"), ref, (double)r.l, 1e-6);
    Dev inplace(x);  // y aliasing x
    die_cuda(lam_cuda_f32_l2_normalize(inplace.p, inplace.p, r.o, r.l, 1e-8f, nullptr), "l2_normalize in place");
    compare(std::string("l2_normalize in place") + nm, inplace.get("l2_normalize in place"), ref, (double)r.l, 1e-6);
    expect_same("l2_normalize x", dx, x);
  }
}

void test_concat_mse() {
  const int64_t N = 3, Ct = 11, S = 17;
  for (int64_t c0 : {0LL, 4LL}) {
    const int64_t Cp = 7 - c0 / 2;
    auto part = rnd(N * Cp * S), whole = rnd(N * Ct * S);
    Dev dpart(part), dwhole(whole);
    std::vector<float> ref = whole;
    lam_f32_concat_part(part.data(), ref.data(), N, Cp, Ct, c0, S);
    Dev dw2(whole);
    die_cuda(lam_cuda_f32_concat_part(dpart.p, dw2.p, N, Cp, Ct, c0, S, nullptr), "concat");
    compare("concat_part c0=" + std::to_string(c0), dw2.get("concat"), ref, 1, 0);
    both_modes("split_part c0=" + std::to_string(c0), N * Cp * S, 1,
               GPU(lam_cuda_f32_split_part(dwhole.p, out, N, Cp, Ct, c0, S, acc, nullptr)),
               CPU(lam_f32_split_part(whole.data(), out, N, Cp, Ct, c0, S, acc)));
  }
  for (int masked = 0; masked <= 1; ++masked) {
    const int64_t B = 301, D = 67;
    auto p = rnd(B * D), t = rnd(B * D);
    std::vector<float> mask((size_t)B);
    for (int64_t b = 0; b < B; ++b) mask[(size_t)b] = (b % 3 == 0) ? 0.f : 1.f;
    Dev dp(p), dt(t), dm(mask);
    const float* mk = masked ? mask.data() : nullptr;
    const float* dmk = masked ? dm.p : nullptr;
    const float denom = masked ? 200.f : (float)B;
    std::vector<float> ref(1, NAN);
    lam_f32_mse_loss(p.data(), t.data(), mk, ref.data(), B, D, denom);
    Dev dl(nan_vec(1));
    die_cuda(lam_cuda_f32_mse_loss(dp.p, dt.p, dmk, dl.p, B, D, denom, nullptr), "mse_loss");
    compare(std::string("mse_loss") + (masked ? " masked" : ""), dl.get("mse_loss"), ref, (double)(B * D));
    both_modes(std::string("mse_grad") + (masked ? " masked" : ""), B * D, 1,
               GPU(lam_cuda_f32_mse_grad(dp.p, dt.p, dmk, out, B, D, denom, 0.5f, acc, nullptr)),
               CPU(lam_f32_mse_grad(p.data(), t.data(), mk, out, B, D, denom, 0.5f, acc)));
  }
}

void test_optim_vq() {
  const int64_t n = 10007;
  for (int decoupled = 0; decoupled <= 1; ++decoupled) {
    auto p = rnd(n), m = rnd(n, 0.1f), v = rnd(n, 0.1f);
    for (auto& x : v) x = fabsf(x);
    std::vector<float> rp = p, rm = m, rv = v;
    Dev dp(p), dm(m), dv(v);
    for (int t = 1; t <= 5; ++t) {
      auto g = rnd(n);
      Dev dg(g);
      lam_f32_adam_update(rp.data(), g.data(), rm.data(), rv.data(), n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f, decoupled, t);
      die_cuda(lam_cuda_f32_adam_update(dp.p, dg.p, dm.p, dv.p, n, 1e-3f, 0.9f, 0.999f, 1e-8f, 0.01f,
                                        decoupled, t, nullptr, nullptr, 0, nullptr), "adam");
    }
    const std::string nm = decoupled ? "adamw 5 steps" : "adam+l2 5 steps";
    compare(nm + " param", dp.get("adam p"), rp, 1, 1e-6);
    compare(nm + " m", dm.get("adam m"), rm, 1, 1e-6);
    compare(nm + " v", dv.get("adam v"), rv, 1, 1e-6);
  }
  {
    auto p = rnd(n), buf = rnd(n), g = rnd(n);
    std::vector<float> rp = p, rb = buf;
    Dev dp(p), db(buf), dg(g);
    lam_f32_sgd_update(rp.data(), g.data(), rb.data(), n, 0.01f, 0.9f, 1e-4f);
    die_cuda(lam_cuda_f32_sgd_update(dp.p, dg.p, db.p, n, 0.01f, 0.9f, 1e-4f, nullptr), "sgd");
    compare("sgd param", dp.get("sgd p"), rp, 1, 1e-6);
    compare("sgd buf", db.get("sgd buf"), rb, 1, 1e-6);
    std::vector<float> rt = p;
    Dev dt(p);
    lam_f32_ema_update(rt.data(), g.data(), n, 0.99f);
    die_cuda(lam_cuda_f32_ema_update(dt.p, dg.p, n, 0.99f, nullptr), "ema");
    compare("ema", dt.get("ema"), rt, 1, 1e-6);
  }
  for (int64_t K : {1LL, 7LL, 512LL, 1000LL}) {
    const int64_t N = 257, D = 13;
    auto z = rnd(N * D), cb = rnd(K * D);
    std::vector<int32_t> ref((size_t)N);
    lam_f32_vq_nearest(z.data(), cb.data(), ref.data(), N, K, D);
    Dev dz(z), dcb(cb), didx(std::vector<float>((size_t)N, 0.f));
    die_cuda(lam_cuda_f32_vq_nearest(dz.p, dcb.p, (int32_t*)didx.p, N, K, D, nullptr), "vq");
    auto gotf = didx.get("vq_nearest");
    // Indices may differ only on (float-rounding) near-ties: compare the distances they pick.
    ++g_checks;
    int bad = 0;
    for (int64_t i = 0; i < N; ++i) {
      int32_t gi;
      memcpy(&gi, &gotf[(size_t)i], 4);
      if (gi < 0 || gi >= K) { ++bad; continue; }
      auto dist = [&](int32_t k) {
        double s = 0;
        for (int64_t d = 0; d < D; ++d) { double e = (double)z[i * D + d] - cb[k * D + d]; s += e * e; }
        return s;
      };
      if (gi != ref[(size_t)i] && fabs(dist(gi) - dist(ref[(size_t)i])) > 1e-5 * (1 + dist(ref[(size_t)i]))) ++bad;
    }
    if (bad) { printf("FAIL vq_nearest K=%lld: %d rows pick a farther code\n", (long long)K, bad); ++g_failures; }
    else printf("ok   vq_nearest K=%lld\n", (long long)K);
    // gather / scatter with repeated indices (the reference indices, as int bits).
    std::vector<float> idxbits((size_t)N);
    memcpy(idxbits.data(), ref.data(), (size_t)N * 4);
    Dev dref(idxbits);
    std::vector<float> gref = nan_vec(N * D);
    lam_f32_gather_rows(cb.data(), ref.data(), gref.data(), N, D);
    Dev dg(nan_vec(N * D));
    die_cuda(lam_cuda_f32_gather_rows(dcb.p, (const int32_t*)dref.p, dg.p, N, D, nullptr), "gather");
    compare("gather_rows K=" + std::to_string(K), dg.get("gather"), gref, 1, 0);
    auto table = rnd(K * D);
    std::vector<float> sref = table;
    lam_f32_scatter_add_rows(z.data(), ref.data(), sref.data(), N, D);
    Dev dt(table);
    die_cuda(lam_cuda_f32_scatter_add_rows(dz.p, (const int32_t*)dref.p, dt.p, N, D, nullptr), "scatter");
    compare("scatter_add_rows K=" + std::to_string(K), dt.get("scatter"), sref, (double)N);
  }
}

// ---- executor: a linear-regression training step on both executors ----------------------
void emit(std::vector<int32_t>& t, int op, std::initializer_list<int32_t> w) {
  t.push_back(op);
  t.push_back((int32_t)w.size());
  t.insert(t.end(), w.begin(), w.end());
}
int32_t fbits(float f) { int32_t w; memcpy(&w, &f, 4); return w; }

void test_executor() {
  // Arena: W [D,O] | X [B,D] | T [B,O] | Y [B,O] | dY | dW | m | v | loss | counter
  const int32_t B = 67, D = 33, O = 9;
  int32_t off = 0;
  const int32_t W = off; off += D * O;
  const int32_t X = off; off += B * D;
  const int32_t T = off; off += B * O;
  const int32_t Y = off; off += B * O;
  const int32_t dY = off; off += B * O;
  const int32_t dW = off; off += D * O;
  const int32_t Mm = off; off += D * O;
  const int32_t Vv = off; off += D * O;
  const int32_t L = off; off += 1;
  const int32_t CNT = off; off += 1;
  const int64_t arena = off;
  std::vector<int32_t> tape;
  emit(tape, LAM_OP_FEED, {X, 0, B * D});
  emit(tape, LAM_OP_FEED, {T, B * D, B * O});
  emit(tape, LAM_OP_MATMUL, {0, 0, B, O, D, X, W, Y, 0});
  emit(tape, LAM_OP_MSE_LOSS, {Y, T, -1, L, B, O, fbits((float)B)});
  emit(tape, LAM_OP_CHECK_FINITE, {L, 1, 7});
  emit(tape, LAM_OP_MSE_GRAD, {Y, T, -1, dY, B, O, fbits((float)B), fbits(1.f), 0});
  emit(tape, LAM_OP_MATMUL, {1, 0, D, O, B, X, dY, dW, 0});
  emit(tape, LAM_OP_STEP_INCREMENT, {CNT});
  emit(tape, LAM_OP_ADAM_UPDATE, {W, dW, Mm, Vv, D * O, fbits(1e-2f), fbits(0.9f), fbits(0.999f),
                                  fbits(1e-8f), fbits(0.f), 1, CNT});
  emit(tape, LAM_OP_OUTPUT, {L, 0, 1});
  const int64_t steps = 7, feed_stride = B * D + B * O + 5;
  std::vector<float> feeds((size_t)(steps * feed_stride));
  for (auto& f : feeds) f = urand();
  auto w0 = rnd(D * O, 0.3f);
  char err[512] = {0};
  lam_plan* cpu = lam_plan_create(tape.data(), (int64_t)tape.size(), arena, err, sizeof err);
  if (!cpu) { printf("FAIL cpu plan: %s\n", err); ++g_failures; return; }
  memcpy(lam_plan_arena(cpu) + W, w0.data(), w0.size() * 4);
  std::vector<float> cpu_out((size_t)steps, NAN);
  int64_t failed = -1;
  if (lam_plan_run(cpu, feeds.data(), feed_stride, cpu_out.data(), 1, steps, &failed, err, sizeof err)) {
    printf("FAIL cpu plan run: %s\n", err); ++g_failures; lam_plan_destroy(cpu); return;
  }
  std::vector<float> cpu_w(lam_plan_arena(cpu) + W, lam_plan_arena(cpu) + W + D * O);
  lam_plan_destroy(cpu);

  for (int graphs = 1; graphs >= 0; --graphs) {
    setenv("LAMKIT_CUDA_GRAPHS", graphs ? "1" : "0", 1);
    lam_cuda_plan* g = lam_cuda_plan_create(tape.data(), (int64_t)tape.size(), arena, err, sizeof err);
    if (!g) { printf("FAIL cuda plan: %s\n", err); ++g_failures; return; }
    if (lam_cuda_plan_uses_graphs(g) != graphs) { printf("FAIL LAMKIT_CUDA_GRAPHS not honoured\n"); ++g_failures; }
    lam_cuda_plan_arena_write(g, W, D * O, w0.data(), err, sizeof err);
    std::vector<float> out((size_t)steps, NAN);
    // Two runs (3 + 4 steps) also check that the resident arena and counter carry over.
    int rc = lam_cuda_plan_run(g, feeds.data(), feed_stride, out.data(), 1, 3, &failed, err, sizeof err);
    if (!rc) rc = lam_cuda_plan_run(g, feeds.data() + 3 * feed_stride, feed_stride, out.data() + 3, 1, 4,
                                    &failed, err, sizeof err);
    if (rc) { printf("FAIL cuda plan run: %s\n", err); ++g_failures; lam_cuda_plan_destroy(g); return; }
    std::vector<float> gw((size_t)(D * O));
    lam_cuda_plan_arena_read(g, W, D * O, gw.data(), err, sizeof err);
    const std::string mode = graphs ? " (graph)" : " (eager)";
    compare("executor loss per step" + mode, out, cpu_out, B * O, 1e-5);
    compare("executor trained W" + mode, gw, cpu_w, B, 1e-5, 1e-4);
    // A NaN feed at step 2 must fail the run at step 2 with the CHECK_FINITE tag.
    std::vector<float> badfeeds = feeds;
    badfeeds[(size_t)(2 * feed_stride + 5)] = NAN;
    ++g_checks;
    rc = lam_cuda_plan_run(g, badfeeds.data(), feed_stride, out.data(), 1, steps, &failed, err, sizeof err);
    if (rc == 0 || failed != 2 || !strstr(err, "tag 7")) {
      printf("FAIL CHECK_FINITE: rc %d failed_step %lld err '%s'\n", rc, (long long)failed, err);
      ++g_failures;
    } else printf("ok   CHECK_FINITE reports step 2%s: %s\n", mode.c_str(), err);
    lam_cuda_plan_destroy(g);
  }
  unsetenv("LAMKIT_CUDA_GRAPHS");
  // Malformed tapes are refused before any device work.
  ++g_checks;
  std::vector<int32_t> bad;
  emit(bad, LAM_OP_RELU, {0, (int32_t)arena, 4});
  lam_cuda_plan* g = lam_cuda_plan_create(bad.data(), (int64_t)bad.size(), arena, err, sizeof err);
  if (g || !strstr(err, "outside the arena")) { printf("FAIL bad tape accepted: %s\n", err); ++g_failures; lam_cuda_plan_destroy(g); }
  else printf("ok   out-of-arena tape refused: %s\n", err);
}

}  // namespace

int main() {
  setvbuf(stdout, nullptr, _IOLBF, 0);  // progress visible when piped to a log
  lam_cuda_device_info info;
  lam_cuda_get_device_info(&info);
  if (!info.available) {
    printf("SKIP: no CUDA device (%s)\n", info.reason);
    return 0;
  }
  if (const char* s = getenv("LAMKIT_TEST_SEED")) g_seed = strtoull(s, nullptr, 10);
  g_state = g_seed * 2654435761ull + 88172645463325252ull;
  printf("device %s (cc %d.%d, %d SMs), driver %d, runtime %d, seed %llu\n", info.name, info.cc_major,
         info.cc_minor, info.multiprocessors, info.driver_version, info.runtime_version,
         (unsigned long long)g_seed);
  // LAMKIT_CUDA_TEST_ONLY=conv,executor runs only those sections (for the slow host emulator).
  const char* only = getenv("LAMKIT_CUDA_TEST_ONLY");
  auto want = [&](const char* s) { return !only || strstr(only, s) != nullptr; };
  if (want("matmul")) test_matmul();
  if (want("conv")) test_conv();
  if (want("elementwise")) test_elementwise();
  if (want("reduce")) test_bias_reduce();
  if (want("concat")) test_concat_mse();
  if (want("optim")) test_optim_vq();
  if (want("executor")) test_executor();
  printf("%d checks, %d failures (seed %llu)\n", g_checks, g_failures, (unsigned long long)g_seed);
  return g_failures ? 1 : 0;
}
