/*
 * lamkit CUDA benchmark (no Node needed): validates, then times
 *   1. SGEMM C = A·B, square 1024…8192, every selectable version (v1 only at 1024), fp32,
 *      checked on 256 sampled entries against a float64 host dot product;
 *   2. the conv64 layer shapes (PRESETS.md) at the chosen batch: conv2d forward,
 *      backward-input, backward-filter for the encoder convs and conv_transpose2d for the
 *      decoder, each validated against the CPU kernels on a small batch first;
 *   3. whole training steps from exported tapes (scripts/cuda-export-tapes.mjs →
 *      benchmarks/cuda/tapes/<preset>-b<batch>/), run by the CUDA executor with graph replay
 *      and eagerly, steps/s.
 * Output: a markdown table on stdout and one JSON object per result in --json FILE (read by
 * scripts/cuda-gpu-check.sh together with torch_compare.py's JSON to print the ratios).
 *
 *   cuda_bench [--quick] [--json out.jsonl] [--tapes benchmarks/cuda/tapes] [--batch 256]
 *              [--sizes 1024,2048,4096,8192] [--steps 50]
 * Timing: CUDA events, 3 warm-ups, ≥ 20 samples (10 at 8192), median and p90.
 */
#include <cuda_runtime.h>
#include <lamkit/cuda_executor.h>
#include <lamkit/cuda_kernels.h>
#include <lamkit/kernels.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

FILE* g_json = nullptr;
bool g_ok = true;

#define CK(x)                                                                                     \
  do {                                                                                            \
    cudaError_t e_ = (cudaError_t)(x);                                                            \
    if (e_ != cudaSuccess) {                                                                      \
      fprintf(stderr, "CUDA error %s at %s:%d: %s\n", cudaGetErrorName(e_), __FILE__, __LINE__, \
              cudaGetErrorString(e_));                                                            \
      exit(1);                                                                                    \
    }                                                                                             \
  } while (0)

struct Stats {
  double median_ms, p90_ms;
};

Stats time_it(const std::function<void()>& fn, int samples) {
  cudaEvent_t a, b;
  CK(cudaEventCreate(&a));
  CK(cudaEventCreate(&b));
  for (int i = 0; i < 3; ++i) fn();
  CK(cudaDeviceSynchronize());
  std::vector<double> t;
  for (int i = 0; i < samples; ++i) {
    CK(cudaEventRecord(a));
    fn();
    CK(cudaEventRecord(b));
    CK(cudaEventSynchronize(b));
    float ms = 0;
    CK(cudaEventElapsedTime(&ms, a, b));
    t.push_back(ms);
  }
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  std::sort(t.begin(), t.end());
  return {t[t.size() / 2], t[std::min(t.size() - 1, (size_t)(0.9 * (double)t.size()))]};
}

std::vector<float> rnd(size_t n, std::mt19937& g, float lo = -1.f, float hi = 1.f) {
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(g);
  return v;
}

float* upload(const std::vector<float>& h) {
  float* d = nullptr;
  CK(cudaMalloc(&d, h.size() * 4 + 16));
  CK(cudaMemcpy(d, h.data(), h.size() * 4, cudaMemcpyHostToDevice));
  return d;
}

std::vector<float> download(const float* d, size_t n) {
  std::vector<float> h(n);
  CK(cudaDeviceSynchronize());
  CK(cudaMemcpy(h.data(), d, n * 4, cudaMemcpyDeviceToHost));
  return h;
}

void json(const std::string& obj) {
  if (g_json) fprintf(g_json, "%s\n", obj.c_str());
}

// ---- 1. SGEMM ---------------------------------------------------------------------------------
void bench_gemm(const std::vector<int>& sizes) {
  printf("\n## SGEMM fp32 (C = A·B, row-major, no TF32)\n\n| n | version | median ms | p90 ms | GFLOP/s | check |\n|---|---|---|---|---|---|\n");
  std::mt19937 g(42);
  for (int n : sizes) {
    const size_t nn = (size_t)n * n;
    auto A = rnd(nn, g), B = rnd(nn, g);
    float *dA = upload(A), *dB = upload(B), *dC = nullptr;
    CK(cudaMalloc(&dC, nn * 4));
    for (int v : {1, 2, 3, 4, 0}) {
      if (v == 1 && n > 1024) continue;
      lam_cuda_set_gemm_version(v);
      CK(cudaMemset(dC, 0xff, nn * 4));  // NaN poison: the kernel must overwrite everything
      CK(lam_cuda_f32_matmul(0, 0, n, n, n, dA, dB, dC, 0, nullptr));
      auto C = download(dC, nn);
      // 256 sampled entries against a float64 dot product.
      double worst = 0;
      std::mt19937 pick(7);
      for (int s = 0; s < 256; ++s) {
        const int i = (int)(pick() % n), j = (int)(pick() % n);
        double ref = 0;
        for (int k = 0; k < n; ++k) ref += (double)A[(size_t)i * n + k] * B[(size_t)k * n + j];
        const double err = fabs(C[(size_t)i * n + j] - ref) / sqrt((double)n);
        worst = std::max(worst, err != err ? INFINITY : err);
      }
      const bool ok = worst < 1e-5;
      g_ok &= ok;
      const Stats st = time_it([&] { lam_cuda_f32_matmul(0, 0, n, n, n, dA, dB, dC, 0, nullptr); },
                               n >= 8192 ? 10 : 20);
      const double gflops = 2.0 * n * (double)n * n / (st.median_ms * 1e6);
      printf("| %d | v%d%s | %.3f | %.3f | %.0f | %s (%.1e) |\n", n, v, v == 0 ? " (auto)" : "",
             st.median_ms, st.p90_ms, gflops, ok ? "ok" : "FAIL", worst);
      char buf[256];
      snprintf(buf, sizeof buf,
               "{\"kind\":\"kernel\",\"name\":\"gemm\",\"shape\":[%d,%d,%d],\"backend\":\"native-cuda\",\"version\":%d,\"median_ms\":%.5f,\"p90_ms\":%.5f,\"gflops\":%.1f,\"valid\":%s}",
               n, n, n, v, st.median_ms, st.p90_ms, gflops, ok ? "true" : "false");
      json(buf);
    }
    cudaFree(dA);
    cudaFree(dB);
    cudaFree(dC);
  }
  lam_cuda_set_gemm_version(0);
}

// ---- 2. conv64 layers -------------------------------------------------------------------------
struct Layer {
  const char* name;
  int64_t C, H, OC;  // square input H×H, k4 s2 p1
  bool transpose;
};

void bench_conv(int64_t batch) {
  // Encoder convs (IDM has 6 input channels, FDM 3) and decoder transposed convs of conv64.
  const Layer layers[] = {{"enc1 6→32 @64", 6, 64, 32, false},   {"enc1 3→32 @64", 3, 64, 32, false},
                          {"enc2 32→64 @32", 32, 32, 64, false}, {"enc3 64→128 @16", 64, 16, 128, false},
                          {"enc4 128→128 @8", 128, 8, 128, false}, {"dec1 128→128 @4", 128, 4, 128, true},
                          {"dec2 256→64 @8", 256, 8, 64, true},  {"dec3 128→32 @16", 128, 16, 32, true},
                          {"dec4 64→3 @32", 64, 32, 3, true}};
  printf("\n## conv64 layers, batch %lld (k4 s2 p1; implicit GEMM)\n\n| layer | kernel | median ms | GFLOP/s | check |\n|---|---|---|---|---|\n",
         (long long)batch);
  std::mt19937 g(3);
  for (const Layer& L : layers) {
    const int64_t K = 4, s = 2, p = 1;
    const int64_t H = L.H;
    const int64_t OH = L.transpose ? (H - 1) * s - 2 * p + K : (H + 2 * p - K) / s + 1;
    // Validate on batch 2 against the CPU kernels, then time at `batch`.
    for (int phase = 0; phase < 2; ++phase) {
      const int64_t N = phase == 0 ? 2 : batch;
      const int64_t xs = N * L.C * H * H, ys = N * L.OC * OH * OH, ws = L.C * L.OC * K * K;
      auto x = rnd((size_t)xs, g), w = rnd((size_t)ws, g, -0.1f, 0.1f), dy = rnd((size_t)ys, g);
      float *dx = upload(x), *dw = upload(w), *ddy = upload(dy), *out = nullptr;
      CK(cudaMalloc(&out, (size_t)std::max(std::max(xs, ys), ws) * 4));
      const double flops = 2.0 * N * L.C * L.OC * K * K * (double)(L.transpose ? H * H : OH * OH);
      struct K3 { const char* kname; std::function<int()> gpu; std::function<void(float*)> cpu; int64_t n; };
      std::vector<K3> ks;
      if (!L.transpose) {
        ks.push_back({"conv2d", [&] { return lam_cuda_f32_conv2d(dx, dw, out, N, L.C, H, H, L.OC, K, K, s, s, p, p, 1, 1, OH, OH, 0, nullptr); },
                      [&](float* o) { lam_f32_conv2d(x.data(), w.data(), o, N, L.C, H, H, L.OC, K, K, s, s, p, p, 1, 1, OH, OH, 0); }, ys});
        ks.push_back({"backward_input", [&] { return lam_cuda_f32_conv2d_backward_input(ddy, dw, out, N, L.C, H, H, L.OC, K, K, s, s, p, p, 1, 1, OH, OH, 0, nullptr); },
                      [&](float* o) { lam_f32_conv2d_backward_input(dy.data(), w.data(), o, N, L.C, H, H, L.OC, K, K, s, s, p, p, 1, 1, OH, OH, 0); }, xs});
        ks.push_back({"backward_filter", [&] { return lam_cuda_f32_conv2d_backward_filter(dx, ddy, out, N, L.C, H, H, L.OC, K, K, s, s, p, p, 1, 1, OH, OH, 0, nullptr); },
                      [&](float* o) { lam_f32_conv2d_backward_filter(x.data(), dy.data(), o, N, L.C, H, H, L.OC, K, K, s, s, p, p, 1, 1, OH, OH, 0); }, ws});
      } else {
        ks.push_back({"conv_transpose2d", [&] { return lam_cuda_f32_conv_transpose2d(dx, dw, out, N, L.C, H, H, L.OC, K, K, s, s, p, p, 1, 1, OH, OH, 0, nullptr); },
                      [&](float* o) { lam_f32_conv_transpose2d(x.data(), w.data(), o, N, L.C, H, H, L.OC, K, K, s, s, p, p, 1, 1, OH, OH, 0); }, ys});
      }
      for (auto& k : ks) {
        if (phase == 0) {
          CK(k.gpu());
          auto got = download(out, (size_t)k.n);
          std::vector<float> ref((size_t)k.n);
          k.cpu(ref.data());
          double worst = 0;
          for (int64_t i = 0; i < k.n; ++i) worst = std::max(worst, (double)fabsf(got[(size_t)i] - ref[(size_t)i]));
          const bool ok = worst < 1e-3;
          g_ok &= ok;
          if (!ok) printf("| %s | %s | — | — | FAIL (%.2e) |\n", L.name, k.kname, worst);
          continue;
        }
        const Stats st = time_it([&] { k.gpu(); }, 20);
        const double gf = flops / (st.median_ms * 1e6);
        printf("| %s | %s | %.3f | %.0f | ok |\n", L.name, k.kname, st.median_ms, gf);
        char buf[320];
        snprintf(buf, sizeof buf,
                 "{\"kind\":\"kernel\",\"name\":\"%s\",\"layer\":\"%s\",\"batch\":%lld,\"backend\":\"native-cuda\",\"median_ms\":%.5f,\"p90_ms\":%.5f,\"gflops\":%.1f}",
                 k.kname, L.name, (long long)N, st.median_ms, st.p90_ms, gf);
        json(buf);
      }
      cudaFree(dx);
      cudaFree(dw);
      cudaFree(ddy);
      cudaFree(out);
    }
  }
}

// ---- 3. training-step tapes -------------------------------------------------------------------
bool read_file(const std::string& path, std::vector<char>& out) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return false;
  out.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return true;
}

void bench_tape(const std::string& dir, int steps) {
  std::vector<char> tape_b, init_b, meta_b;
  if (!read_file(dir + "/tape.i32", tape_b) || !read_file(dir + "/meta.txt", meta_b)) {
    printf("\n(skipping %s: tape.i32/meta.txt missing; run scripts/cuda-export-tapes.mjs)\n", dir.c_str());
    return;
  }
  read_file(dir + "/init.f32", init_b);
  std::istringstream meta(std::string(meta_b.begin(), meta_b.end()));
  std::string key, preset;
  int64_t arena = 0, feed = 0, outf = 0, batch = 0;
  struct Init { int64_t off, len; std::string kind; double a, b; };
  std::vector<Init> inits;
  std::string line;
  while (std::getline(meta, line)) {
    std::istringstream ls(line);
    ls >> key;
    if (key == "preset") ls >> preset;
    else if (key == "batch") ls >> batch;
    else if (key == "arena_floats") ls >> arena;
    else if (key == "feed_floats") ls >> feed;
    else if (key == "out_floats") ls >> outf;
    else if (key == "init") {
      Init in{};
      ls >> in.off >> in.len >> in.kind;
      if (in.kind == "verbatim") ls >> in.a;
      else if (in.kind == "normal") ls >> in.a >> in.b;
      inits.push_back(in);
    }
  }
  std::vector<float> arena_h((size_t)arena, 0.f);
  const float* vb = reinterpret_cast<const float*>(init_b.data());
  std::mt19937 g(11);
  for (const Init& in : inits) {
    if (in.kind == "verbatim") memcpy(&arena_h[(size_t)in.off], vb + (int64_t)in.a, (size_t)in.len * 4);
    else if (in.kind == "normal") {
      std::normal_distribution<float> d((float)in.a, (float)in.b);
      for (int64_t i = 0; i < in.len; ++i) arena_h[(size_t)(in.off + i)] = d(g);
    }
  }
  // 8 distinct random batches (uniform [0,1) like images), cycled.
  const int distinct = 8;
  auto feeds = rnd((size_t)(feed * distinct), g, 0.f, 1.f);
  std::vector<float> big((size_t)(feed * steps));
  for (int i = 0; i < steps; ++i) memcpy(&big[(size_t)(i * feed)], &feeds[(size_t)((i % distinct) * feed)], (size_t)feed * 4);
  std::vector<float> outs((size_t)(std::max<int64_t>(outf, 1) * steps));
  const std::vector<int32_t> tape(reinterpret_cast<const int32_t*>(tape_b.data()),
                                  reinterpret_cast<const int32_t*>(tape_b.data()) + tape_b.size() / 4);
  for (int graphs = 1; graphs >= 0; --graphs) {
    setenv("LAMKIT_CUDA_GRAPHS", graphs ? "1" : "0", 1);
    char err[1024] = {0};
    lam_cuda_plan* p = lam_cuda_plan_create(tape.data(), (int64_t)tape.size(), arena, err, sizeof err);
    if (!p) { printf("\n%s: plan create failed: %s\n", dir.c_str(), err); g_ok = false; return; }
    lam_cuda_plan_arena_write(p, 0, arena, arena_h.data(), err, sizeof err);
    int64_t failed = -1;
    // warm-up (records the graphs), then the timed run
    if (lam_cuda_plan_run(p, big.data(), feed, outs.data(), outf, 3, &failed, err, sizeof err)) {
      printf("\n%s: warm-up failed at step %lld: %s\n", dir.c_str(), (long long)failed, err);
      g_ok = false;
      lam_cuda_plan_destroy(p);
      return;
    }
    const auto t0 = std::chrono::steady_clock::now();
    const int rc = lam_cuda_plan_run(p, big.data(), feed, outs.data(), outf, steps, &failed, err, sizeof err);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (rc) { printf("\n%s: run failed at step %lld: %s\n", dir.c_str(), (long long)failed, err); g_ok = false; }
    const double sps = steps / s;
    printf("| %s | %lld | %s | %d | %.2f | %.3f | loss %.4g → %.4g |\n", preset.c_str(), (long long)batch,
           graphs ? "graph" : "eager", steps, sps, 1e3 / sps, outs[0], outs[(size_t)((steps - 1) * outf)]);
    char buf[320];
    snprintf(buf, sizeof buf,
             "{\"kind\":\"train\",\"preset\":\"%s\",\"batch\":%lld,\"backend\":\"native-cuda\",\"mode\":\"%s\",\"steps\":%d,\"steps_per_s\":%.3f,\"ms_per_step\":%.4f,\"loss_first\":%.6g,\"loss_last\":%.6g}",
             preset.c_str(), (long long)batch, graphs ? "graph" : "eager", steps, sps, 1e3 / sps, outs[0],
             outs[(size_t)((steps - 1) * outf)]);
    json(buf);
    lam_cuda_plan_destroy(p);
  }
  unsetenv("LAMKIT_CUDA_GRAPHS");
}

void header() {
  lam_cuda_device_info d;
  lam_cuda_get_device_info(&d);
  if (!d.available) {
    printf("SKIP: no CUDA device (%s)\n", d.reason);
    exit(0);
  }
  printf("# lamkit CUDA benchmark\n\ndevice: %s (cc %d.%d, %d SMs, %.1f GiB, L2 %.0f MiB), SM clock %d MHz, memory clock %d MHz × %d bit, driver %d.%d, runtime %d.%d\n",
         d.name, d.cc_major, d.cc_minor, d.multiprocessors, d.total_bytes / 1073741824.0, d.l2_bytes / 1048576.0,
         d.clock_khz / 1000, d.memory_clock_khz / 1000, d.memory_bus_bits, d.driver_version / 1000,
         (d.driver_version % 1000) / 10, d.runtime_version / 1000, (d.runtime_version % 1000) / 10);
  char buf[512];
  snprintf(buf, sizeof buf,
           "{\"kind\":\"env\",\"gpu\":\"%s\",\"cc\":\"%d.%d\",\"sms\":%d,\"clock_mhz\":%d,\"mem_clock_mhz\":%d,\"driver\":%d,\"runtime\":%d}",
           d.name, d.cc_major, d.cc_minor, d.multiprocessors, d.clock_khz / 1000, d.memory_clock_khz / 1000,
           d.driver_version, d.runtime_version);
  json(buf);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> sizes = {1024, 2048, 4096, 8192};
  std::string tapes = "benchmarks/cuda/tapes";
  int64_t batch = 256;
  int steps = 50;
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) { fprintf(stderr, "cuda_bench: %s needs a value\n", a.c_str()); exit(2); }
      return argv[++i];
    };
    if (a == "--json") g_json = fopen(next().c_str(), "w");
    else if (a == "--tapes") tapes = next();
    else if (a == "--batch") batch = atoll(next().c_str());
    else if (a == "--steps") steps = atoi(next().c_str());
    else if (a == "--quick") quick = true;
    else if (a == "--sizes") {
      sizes.clear();
      std::stringstream ss(next());
      std::string t;
      while (std::getline(ss, t, ',')) sizes.push_back(atoi(t.c_str()));
    } else {
      fprintf(stderr, "usage: cuda_bench [--quick] [--json FILE] [--tapes DIR] [--batch N] [--sizes a,b] [--steps N]\n");
      return 2;
    }
  }
  if (quick) { sizes = {1024, 2048}; steps = 10; }
  header();
  bench_gemm(sizes);
  bench_conv(quick ? 32 : batch);
  printf("\n## training steps (CUDA executor)\n\n| preset | batch | mode | steps | steps/s | ms/step | loss |\n|---|---|---|---|---|---|---|\n");
  bench_tape(tapes + "/conv64-b256", steps);
  bench_tape(tapes + "/linear-1k-b1024", steps);
  if (g_json) fclose(g_json);
  printf("\n%s\n", g_ok ? "all results validated" : "SOME RESULTS FAILED VALIDATION");
  return g_ok ? 0 : 1;
}
