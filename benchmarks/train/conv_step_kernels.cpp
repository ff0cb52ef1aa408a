// Every conv kernel call of one conv64 training step (batch 32, k4 s2 p1), timed alone:
//   one library:  its 1- and 2-thread best wall / CPU time per call and the 2-thread speed-up;
//   two libraries: same-process A/B at one thread count (B/A of the best wall and CPU time).
// Why: the whole-step profile (bench train --profile) shows in-step rates but not whether a
// kernel scales, and separate runs on this shared machine differ by 20% from minute to minute;
// here the sides alternate (A B B A …) call by call, so a slow phase hits both alike.
// The libraries are addon builds (build/Release/lamkit.node, or an old one built from a git
// worktree), loaded with dlopen: they export the lam_f32_* kernels; the Node-API symbols they
// also reference are never called.
//   g++ -O2 -std=c++17 benchmarks/train/conv_step_kernels.cpp -ldl -lpthread -o /tmp/conv_step_kernels
//   /tmp/conv_step_kernels [--reps 7] [--batch 32] [--only NAME] [--threads T] A.node [B.node]
// --only keeps the call named NAME, or else those whose name contains NAME; --threads (A/B only, default 1).
// LAMKIT_BENCH_COLD=1: write 64 MiB before each call, so inputs come from memory as in the step
// (whose ~75 MiB arena leaves little in L3 from one kernel to the next).
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <algorithm>
#include <string>
#include <vector>

static double cpu_ms() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}
static double wall_ms() {
  timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

typedef int64_t I;
typedef void (*conv_fn)(const float*, const float*, float*, I, I, I, I, I, I, I, I, I, I, I, I, I, I, I, int);
typedef void (*bias_act_fn)(const float*, const float*, const float*, float*, I, I, I, I, I, I, I, I, I, I, I,
                            I, I, I, I, int, float);
typedef void (*threads_fn)(int);

struct Lib {
  std::string path;
  conv_fn conv2d, filter, input, transpose;
  bias_act_fn bias_act;
  threads_fn set_threads;
};

static void* sym(void* h, const char* path, const char* name) {
  void* p = dlsym(h, name);
  if (!p) {
    fprintf(stderr, "conv_step_kernels: %s has no symbol %s\n", path, name);
    exit(2);
  }
  return p;
}

static Lib load(const char* path) {
  void* h = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
  if (!h) {
    fprintf(stderr, "conv_step_kernels: cannot load '%s': %s\n", path, dlerror());
    exit(2);
  }
  Lib l;
  l.path = path;
  l.conv2d = (conv_fn)sym(h, path, "lam_f32_conv2d");
  l.filter = (conv_fn)sym(h, path, "lam_f32_conv2d_backward_filter");
  l.input = (conv_fn)sym(h, path, "lam_f32_conv2d_backward_input");
  l.transpose = (conv_fn)sym(h, path, "lam_f32_conv_transpose2d");
  l.bias_act = (bias_act_fn)sym(h, path, "lam_f32_conv2d_bias_act");
  l.set_threads = (threads_fn)sym(h, path, "lam_set_num_threads");
  return l;
}

// kind: 'f' conv2d_bias_act (relu), 'c' conv2d (no epilogue), 'w' backward_filter,
// 'i' backward_input, 't' conv_transpose2d. Geometry of the k4 s2 p1 conv x [C,H,H] → [OC,H/2,H/2]
// (for 't': x [C,H/2,H/2] → y [OC,H,H], C = the transposed conv's IC).
struct Call {
  const char* name;
  char kind;
  I C, H, OC;
};

struct Bufs {
  std::vector<float> x, w, y, b;
};

static void run(const Lib& l, const Call& c, I N, Bufs& d) {
  const I K = 4, H = c.H, OH = c.H / 2;
  switch (c.kind) {
    case 'f':
      l.bias_act(d.x.data(), d.w.data(), d.b.data(), d.y.data(), N, c.C, H, H, c.OC, K, K, 2, 2, 1, 1, 1, 1, OH, OH,
                 1, 0.0f);
      break;
    case 'c':
      l.conv2d(d.x.data(), d.w.data(), d.y.data(), N, c.C, H, H, c.OC, K, K, 2, 2, 1, 1, 1, 1, OH, OH, 0);
      break;
    case 'w':
      l.filter(d.x.data(), d.y.data(), d.w.data(), N, c.C, H, H, c.OC, K, K, 2, 2, 1, 1, 1, 1, OH, OH, 0);
      break;
    case 'i':
      l.input(d.y.data(), d.w.data(), d.x.data(), N, c.C, H, H, c.OC, K, K, 2, 2, 1, 1, 1, 1, OH, OH, 0);
      break;
    case 't':
      l.transpose(d.x.data(), d.w.data(), d.y.data(), N, c.C, OH, OH, c.OC, K, K, 2, 2, 1, 1, 1, 1, H, H, 0);
      break;
  }
}

int main(int argc, char** argv) {
  int reps = 7, threads = 1;
  I N = 32;
  const char* only = "";
  std::vector<const char*> libs;
  for (int i = 1; i < argc; ++i) {
    const bool val = i + 1 < argc;
    if (!strcmp(argv[i], "--reps") && val) reps = atoi(argv[++i]);
    else if (!strcmp(argv[i], "--batch") && val) N = atoll(argv[++i]);
    else if (!strcmp(argv[i], "--only") && val) only = argv[++i];
    else if (!strcmp(argv[i], "--threads") && val) threads = atoi(argv[++i]);
    else libs.push_back(argv[i]);
  }
  if (reps < 1 || N < 1 || threads < 1 || libs.empty() || libs.size() > 2 || libs[0][0] == '-') {
    fprintf(stderr,
            "usage: conv_step_kernels [--reps R >= 1] [--batch N >= 1] [--only NAME] [--threads T >= 1] A.node [B.node]\n"
            "got reps %d, batch %lld, threads %d, %zu libraries\n",
            reps, (long long)N, threads, libs.size());
    return 2;
  }
  std::vector<Lib> L;
  for (const char* p : libs) L.push_back(load(p));
  const bool ab = L.size() == 2;
  const Call calls[] = {
      {"idm.conv1", 'f', 6, 64, 32},       {"idm.conv2", 'f', 32, 32, 64},
      {"idm.conv3", 'f', 64, 16, 128},     {"idm.conv4", 'f', 128, 8, 128},
      {"fdm.enc1", 'f', 3, 64, 32},        {"fdm.enc2", 'f', 32, 32, 64},
      {"fdm.enc3", 'f', 64, 16, 128},      {"fdm.enc4", 'f', 128, 8, 128},
      {"fdm.dec1", 't', 128, 8, 128},      {"fdm.dec2", 't', 256, 16, 64},
      {"fdm.dec3", 't', 128, 32, 32},      {"fdm.dec4", 't', 64, 64, 3},
      {"fdm.dec4_dx", 'c', 3, 64, 64},     {"fdm.dec4_dw", 'w', 3, 64, 64},
      {"fdm.dec3_dx", 'c', 32, 32, 128},   {"fdm.dec3_dw", 'w', 32, 32, 128},
      {"fdm.dec2_dx", 'c', 64, 16, 256},   {"fdm.dec2_dw", 'w', 64, 16, 256},
      {"fdm.dec1_dx", 'c', 128, 8, 128},   {"fdm.dec1_dw", 'w', 128, 8, 128},
      {"fdm.enc4_dx", 'i', 128, 8, 128},   {"fdm.enc4_dw", 'w', 128, 8, 128},
      {"fdm.enc3_dx", 'i', 64, 16, 128},   {"fdm.enc3_dw", 'w', 64, 16, 128},
      {"fdm.enc2_dx", 'i', 32, 32, 64},    {"fdm.enc2_dw", 'w', 32, 32, 64},
      {"fdm.enc1_dw", 'w', 3, 64, 32},     {"idm.conv4_dx", 'i', 128, 8, 128},
      {"idm.conv4_dw", 'w', 128, 8, 128},  {"idm.conv3_dx", 'i', 64, 16, 128},
      {"idm.conv3_dw", 'w', 64, 16, 128},  {"idm.conv2_dx", 'i', 32, 32, 64},
      {"idm.conv2_dw", 'w', 32, 32, 64},   {"idm.conv1_dw", 'w', 6, 64, 32},
  };
  const char* cold_env = getenv("LAMKIT_BENCH_COLD");
  const bool cold = cold_env && !strcmp(cold_env, "1");
  std::vector<char> flush(cold ? (size_t)64 << 20 : 0);
  if (ab) {
    printf("conv_step_kernels: A = %s, B = %s, batch %lld, %d threads, best of %d per side%s\n", libs[0], libs[1],
           (long long)N, threads, reps, cold ? ", caches flushed before each call" : "");
    printf("%-14s %4s %4s %4s | %8s %8s %6s | %8s %8s %6s | %5s %5s\n", "call", "C", "H", "OC", "A wall", "A cpu",
           "GF/s", "B wall", "B cpu", "GF/s", "B/A w", "B/A c");
  } else {
    printf("conv_step_kernels: %s, batch %lld, best of %d per thread count%s\n", libs[0], (long long)N, reps,
           cold ? ", caches flushed before each call" : "");
    printf("%-14s %4s %4s %4s | %8s %8s %6s | %8s %8s %6s | %5s\n", "call", "C", "H", "OC", "1t wall", "1t cpu",
           "GF/s", "2t wall", "2t cpu", "GF/s", "x2t");
  }
  double tot[2][2] = {{0, 0}, {0, 0}};
  bool exact = false;  // --only NAME names one call exactly, else it is a substring
  for (const Call& c : calls) exact = exact || !strcmp(c.name, only);
  for (const Call& c : calls) {
    if (*only && (exact ? strcmp(c.name, only) != 0 : !strstr(c.name, only))) continue;
    const I K = 4, H = c.H, OH = c.H / 2;
    // Conv view: x [N,C,H,H], w [OC,C,4,4], y [N,OC,OH,OH]; 't' swaps the roles.
    Bufs d;
    d.x.resize((size_t)(N * c.C * H * H));
    d.w.resize((size_t)(c.OC * c.C * K * K));
    d.y.resize((size_t)(N * c.OC * OH * OH));
    d.b.resize((size_t)std::max(c.C, c.OC));
    if (c.kind == 't') {
      d.x.resize((size_t)(N * c.C * OH * OH));
      d.y.resize((size_t)(N * c.OC * H * H));
    }
    for (auto* v : {&d.x, &d.w, &d.y, &d.b})
      for (float& e : *v) e = (float)rand() / (float)RAND_MAX - 0.5f;
    double bw[2] = {1e30, 1e30}, bc[2] = {1e30, 1e30};
    if (ab) L[0].set_threads(threads), L[1].set_threads(threads);
    for (int r = 0; r < 2 * reps + 2; ++r) {
      const int side = (r + r / 2) % 2;  // A B B A …
      const Lib& l = ab ? L[side] : L[0];
      if (!ab) l.set_threads(side + 1);
      if (cold) memset(flush.data(), r, flush.size());
      const double w0 = wall_ms(), c0 = cpu_ms();
      run(l, c, N, d);
      const double dw = wall_ms() - w0, dc = cpu_ms() - c0;
      if (r < 2) continue;  // warm-up: thread start, scratch growth
      bw[side] = std::min(bw[side], dw);
      bc[side] = std::min(bc[side], dc);
    }
    // Every kind does one multiply-add per (image, C, OC, tap, small-side pixel).
    const double gflop = 2.0 * (double)N * c.OC * c.C * K * K * (double)(OH * OH) / 1e9;
    printf("%-14s %4lld %4lld %4lld | %8.2f %8.2f %6.1f | %8.2f %8.2f %6.1f | ", c.name, (long long)c.C,
           (long long)H, (long long)c.OC, bw[0], bc[0], gflop / bw[0] * 1e3, bw[1], bc[1], gflop / bw[1] * 1e3);
    if (ab) printf("%5.2f %5.2f\n", bw[1] / bw[0], bc[1] / bc[0]);
    else printf("%5.2f\n", bw[0] / bw[1]);
    for (int s = 0; s < 2; ++s) tot[s][0] += bw[s], tot[s][1] += bc[s];
  }
  if (ab)
    printf("total: A wall %.1f cpu %.1f ms | B wall %.1f cpu %.1f ms | B/A wall %.3f cpu %.3f\n", tot[0][0],
           tot[0][1], tot[1][0], tot[1][1], tot[1][0] / tot[0][0], tot[1][1] / tot[0][1]);
  else
    printf("total: 1t wall %.1f cpu %.1f ms | 2t wall %.1f cpu %.1f ms | x2t %.2f\n", tot[0][0], tot[0][1],
           tot[1][0], tot[1][1], tot[0][0] / tot[1][0]);
  return 0;
}
