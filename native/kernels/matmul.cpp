// matmul — C[M,N] (= | +=) op(A)[M,K] · op(B)[K,N]  (row-major; ta/tb select Aᵀ / Bᵀ storage).
// FLOPs 2MNK; bytes 4(MK + KN + MN) (+4MN with +=).
//
// BLIS-style SGEMM driver shared with the convolutions (lamkit::sgemm, gemm.h):
//   for jc in N step NC:            B panel  KC×NC  packed into NR-wide slivers  (L3)
//     for pc in K step KC:
//       for ic in M step MC:        A block  MC×KC  packed into MR-tall slivers  (L2)
//         for jr, ir: micro-kernel  MR×NR  over KC                               (registers, L1)
//         (for ir, jr when KC ≤ 64 and the B panel is ≤ 256 KiB: C traffic dominates there)
// Packing: AVX2 packers (gemm_pack.h) for the 6x16 kernel, generic templates otherwise.
// Transposes are absorbed by the packing routines, so the micro-kernels see one layout. The
// first KC block writes C with the caller's acc, later ones accumulate; `=` never reads C.
// Edge tiles run the micro-kernel into a scratch tile (packed panels are zero-padded).
// Products below kSmallGemmFmas multiply-adds skip packing (plain loops, gemm_small).
// Threads: C is cut into a grid of per-thread blocks (multiples of MR/NR); each thread packs its
// own panels, which duplicates a little packing but needs no barriers.
// ISA: chosen once by __builtin_cpu_supports (avx512 14x32 > avx2 6x16 > scalar 4x16; wasm
// simd128 4x16 under __wasm_simd128__); lam_force_isa() lowers it for tests.
// Test: native/tests/matmul_test.cpp, test/kernels/matmul.test.ts.
// Bench: lamkit bench kernels --op gemm (validates, then compares with OpenBLAS and the FMA peak).
#include <lamkit/kernels.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__linux__)
#include <sys/mman.h>
#endif

#include <algorithm>
#include <atomic>
#include <vector>

#include "gemm.h"
#include "gemm_direct.h"
#include "gemm_pack.h"
#include "gemm_ukernels.h"
#include "runtime/thread_pool.h"

namespace {

typedef void (*pack_a_fn)(int ta, const float* A, int64_t lda, int64_t i0, int64_t p0, int64_t mc,
                          int64_t kc, float* dst);
typedef void (*pack_b_fn)(int tb, const float* B, int64_t ldb, int64_t p0, int64_t j0, int64_t kc,
                          int64_t nc, float* dst);

struct GemmConfig {
  const char* isa;
  lam_f32_gemm_ukernel_fn ukernel;
  int mr, nr;
  int64_t mc, kc, nc;
  // ISA packers (gemm_pack.h); null: the generic templates below.
  pack_a_fn pack_a = nullptr;
  pack_b_fn pack_b = nullptr;
  // Products whose C has ≥ big_c floats and K > kc use mc_big × kc_big instead (0: never). Every
  // KC block reads and writes all of C once more; when C is far beyond L2 those passes go to
  // L3/DRAM.
  int64_t big_c = 0, mc_big = 0, kc_big = 0;
};

enum { ISA_SCALAR = 0, ISA_WASM = 1, ISA_AVX2 = 2, ISA_AVX512 = 3 };

const GemmConfig kScalar = {"scalar", lam_f32_gemm_ukernel_4x16__scalar, 4, 16, 128, 256, 2048};
#if defined(__wasm_simd128__)
const GemmConfig kWasm = {"wasm-simd128", lam_f32_gemm_ukernel_4x16__wasmsimd, 4, 16, 128, 256,
                          2048};
#endif
#if defined(__x86_64__)
// Zen/Haswell class caches: A block 168×256×4 = 168 KiB (L2 512 KiB), B sliver 16 KiB (L1).
// NC = 1024 keeps the packed B panel (1 MiB) L2/L3-resident and its pages few (measured ~5%
// better than 4080 at 2048² on Zen 3).
// C ≥ 2 MiB: KC 512 halves the C passes (A block 96×512×4 = 192 KiB; the 32 KiB B sliver then
// partly streams from L2). 1024³ NT/TN with C swept from cache: 24.0 → 23.3 ms. Small C keeps
// KC 256: at 64×512×8192 (a conv filter gradient) KC 512 measured 14% slower.
const GemmConfig kAvx2 = {"avx2", lam_f32_gemm_ukernel_6x16__avx2, 6, 16, 168, 256, 1024,
                          lamkit::gemm_pack_a6_avx2, lamkit::gemm_pack_b16_avx2, (int64_t)1 << 19, 96, 512};
#endif
#if defined(__x86_64__)
// Skylake-X/Sapphire Rapids: A block 196×384×4 = 294 KiB (L2 1–2 MiB), B sliver 48 KiB.
const GemmConfig kAvx512 = {"avx512", lam_f32_gemm_ukernel_14x32__avx512, 14, 32, 196, 384, 4096};
#endif

int detect_isa() {
#if defined(__wasm_simd128__)
  return ISA_WASM;
#elif defined(__x86_64__)
  __builtin_cpu_init();
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512f")) return ISA_AVX512;
#endif
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return ISA_AVX2;
  return ISA_SCALAR;
#else
  return ISA_SCALAR;
#endif
}

int best_isa() {
  static const int best = detect_isa();
  return best;
}

std::atomic<int> g_forced{-1};

// Blocking override for tuning runs: LAMKIT_GEMM_BLOCKS="mc,kc,nc" (rounded to the tile).
GemmConfig tuned(GemmConfig c) {
  const char* e = getenv("LAMKIT_GEMM_BLOCKS");
  long mc = 0, kc = 0, nc = 0;
  if (e && sscanf(e, "%ld,%ld,%ld", &mc, &kc, &nc) == 3 && mc > 0 && kc > 0 && nc > 0) {
    c.mc = (mc + c.mr - 1) / c.mr * c.mr;
    c.kc = kc;
    c.nc = (nc + c.nr - 1) / c.nr * c.nr;
    c.big_c = 0;  // exactly the blocks asked for, whatever the shape
  }
  return c;
}

const GemmConfig& config() {
  int isa = best_isa();
  int f = g_forced.load(std::memory_order_relaxed);
  if (f >= 0 && f < isa) isa = f;
  switch (isa) {
#if defined(__x86_64__)
    case ISA_AVX512: { static const GemmConfig c = tuned(kAvx512); return c; }
#endif
#if defined(__x86_64__)
    case ISA_AVX2: { static const GemmConfig c = tuned(kAvx2); return c; }
#endif
#if defined(__wasm_simd128__)
    case ISA_WASM: return kWasm;
#endif
    default: { static const GemmConfig c = tuned(kScalar); return c; }
  }
}

// Per-thread packing buffers, grown on demand and kept for the next call. Big ones are 2 MiB
// aligned and marked for transparent huge pages: the packed B panel is walked sliver by
// sliver, and fewer TLB misses there measurably help at 2048².
struct PackBuffer {
  float* p = nullptr;
  size_t cap = 0;
  float* get(size_t n) {
    if (n > cap) {
      free(p);
      size_t bytes = n * sizeof(float);
      const size_t align = bytes >= (size_t)1 << 20 ? (size_t)2 << 20 : 64;
      bytes = (bytes + align - 1) / align * align;
      p = static_cast<float*>(aligned_alloc(align, bytes));
      if (!p) abort();  // out of memory in a kernel: nothing sane to return
#if defined(__linux__) && defined(MADV_HUGEPAGE)
      if (align > 64) madvise(p, bytes, MADV_HUGEPAGE);
#endif
      cap = bytes / sizeof(float);
    }
    return p;
  }
  ~PackBuffer() { free(p); }
};
thread_local PackBuffer t_pack_a, t_pack_b;

// Packs op(A)[i0:i0+mc, p0:p0+kc] into MR-row slivers: sliver s holds kc steps of MR values,
// rows past mc are zero so edge tiles need no special micro-kernel. MR is a template argument
// so the inner loops unroll into straight-line copies.
template <int MR>
void pack_a_t(int ta, const float* A, int64_t lda, int64_t i0, int64_t p0, int64_t mc,
              int64_t kc, float* dst) {
  for (int64_t is = 0; is < mc; is += MR) {
    const int64_t rows = std::min<int64_t>(MR, mc - is);
    float* d = dst + is * kc;
    if (!ta) {
      // A row-major M×K: MR row streams read in step, packed output written sequentially.
      const float* src[MR];
      for (int r = 0; r < MR; ++r) src[r] = A + (i0 + is + std::min<int64_t>(r, rows - 1)) * lda + p0;
      if (rows == MR) {
        for (int64_t k = 0; k < kc; ++k)
          for (int r = 0; r < MR; ++r) d[k * MR + r] = src[r][k];
      } else {
        for (int64_t k = 0; k < kc; ++k)
          for (int r = 0; r < MR; ++r) d[k * MR + r] = r < rows ? src[r][k] : 0.0f;
      }
    } else {
      // A stored K×M: element (i,k) at A[k·lda + i]; each k contributes a contiguous run.
      for (int64_t k = 0; k < kc; ++k) {
        const float* src = A + (p0 + k) * lda + i0 + is;
        float* dk = d + k * MR;
        if (rows == MR) {
          for (int r = 0; r < MR; ++r) dk[r] = src[r];
        } else {
          for (int r = 0; r < MR; ++r) dk[r] = r < rows ? src[r] : 0.0f;
        }
      }
    }
  }
}

// Packs op(B)[p0:p0+kc, j0:j0+nc] into NR-column slivers (kc steps of NR values, zero-padded).
template <int NR>
void pack_b_t(int tb, const float* B, int64_t ldb, int64_t p0, int64_t j0, int64_t kc,
              int64_t nc, float* dst) {
  if (!tb) {
    // B row-major K×N: walk B row by row (sequential reads, few TLB pages live) and scatter
    // each row's NR-wide pieces to their slivers.
    for (int64_t k = 0; k < kc; ++k) {
      const float* src = B + (p0 + k) * ldb + j0;
      for (int64_t js = 0; js < nc; js += NR) {
        float* dk = dst + js * kc + k * NR;
        const int64_t cols = std::min<int64_t>(NR, nc - js);
        if (cols == NR) {
          for (int c = 0; c < NR; ++c) dk[c] = src[js + c];
        } else {
          for (int c = 0; c < NR; ++c) dk[c] = c < cols ? src[js + c] : 0.0f;
        }
      }
    }
    return;
  }
  // B stored N×K: element (k,j) at B[j·ldb + k]; NR column streams read in step.
  for (int64_t js = 0; js < nc; js += NR) {
    const int64_t cols = std::min<int64_t>(NR, nc - js);
    float* d = dst + js * kc;
    const float* src[NR];
    for (int c = 0; c < NR; ++c) src[c] = B + (j0 + js + std::min<int64_t>(c, cols - 1)) * ldb + p0;
    if (cols == NR) {
      for (int64_t k = 0; k < kc; ++k)
        for (int c = 0; c < NR; ++c) d[k * NR + c] = src[c][k];
    } else {
      for (int64_t k = 0; k < kc; ++k)
        for (int c = 0; c < NR; ++c) d[k * NR + c] = c < cols ? src[c][k] : 0.0f;
    }
  }
}

void pack_a(const GemmConfig& cfg, int ta, const float* A, int64_t lda, int64_t i0, int64_t p0,
            int64_t mc, int64_t kc, float* dst) {
  if (cfg.pack_a) return cfg.pack_a(ta, A, lda, i0, p0, mc, kc, dst);
  switch (cfg.mr) {
    case 4: pack_a_t<4>(ta, A, lda, i0, p0, mc, kc, dst); break;
    case 6: pack_a_t<6>(ta, A, lda, i0, p0, mc, kc, dst); break;
    case 14: pack_a_t<14>(ta, A, lda, i0, p0, mc, kc, dst); break;
    default: abort();
  }
}

void pack_b(const GemmConfig& cfg, int tb, const float* B, int64_t ldb, int64_t p0, int64_t j0,
            int64_t kc, int64_t nc, float* dst) {
  if (cfg.pack_b) return cfg.pack_b(tb, B, ldb, p0, j0, kc, nc, dst);
  switch (cfg.nr) {
    case 16: pack_b_t<16>(tb, B, ldb, p0, j0, kc, nc, dst); break;
    case 32: pack_b_t<32>(tb, B, ldb, p0, j0, kc, nc, dst); break;
    default: abort();
  }
}

// Packed B panels up to this many floats (256 KiB, half of Zen 3's L2) with kc ≤ 64 walk C by
// row strips (gemm_block).
const int64_t kRowStripPanel = 65536;

// The columns of the product: op(B) and C, one segment, or two side by side sharing op(A)
// (lam_f32_matmul_shared_a): columns [0, split) are segment 0's, [split, N) segment 1's with
// its own B, C and acc. split is a multiple of NR, so no tile or packed sliver straddles it.
struct ColSeg {
  int tb;
  const float* B;
  int64_t ldb;
  float* C;
  int64_t ldc;
  int acc;
};
struct Cols {
  ColSeg seg[2];
  int64_t split;  // = N with one segment
};

// Packs columns [j0, j0 + nc) of the (possibly two-segment) op(B) for k in [p0, p0 + kc).
void pack_cols(const GemmConfig& cfg, const Cols& cols, int64_t p0, int64_t j0, int64_t kc,
               int64_t nc, float* dst) {
  const int64_t w0 = std::max<int64_t>(0, std::min(j0 + nc, cols.split) - j0);
  if (w0 > 0) pack_b(cfg, cols.seg[0].tb, cols.seg[0].B, cols.seg[0].ldb, p0, j0, kc, w0, dst);
  if (w0 < nc) {
    const ColSeg& s = cols.seg[1];
    pack_b(cfg, s.tb, s.B, s.ldb, p0, j0 + w0 - cols.split, kc, nc - w0, dst + w0 * kc);
  }
}

// Panels up to this much wider than NC are taken whole: a skinny second segment beside a wide
// first one then shares every packed A block instead of re-packing A for a narrow panel.
int64_t panel_width(const GemmConfig& cfg, int64_t N) {
  const int64_t n = (N + cfg.nr - 1) / cfg.nr * cfg.nr;
  return n <= cfg.nc + cfg.nc / 4 ? n : cfg.nc;
}

// One thread's share: C[m0:m1, n0:n1], full K.
void gemm_block(const GemmConfig& cfg, int ta, int64_t m0, int64_t m1, int64_t n0, int64_t n1,
                int64_t K, const float* A, int64_t lda, const Cols& cs) {
  const int mr = cfg.mr, nr = cfg.nr;
  const int64_t M = m1 - m0, N = n1 - n0;
  if (M <= 0 || N <= 0) return;
  // Shrink blocks for small problems so the pack buffers stay small (and cache-friendly).
  const int64_t kc_max = std::min<int64_t>(cfg.kc, K);
  const int64_t mc_max = std::min<int64_t>(cfg.mc, (M + mr - 1) / mr * mr);
  const int64_t nc_max = std::min<int64_t>(panel_width(cfg, N), (N + nr - 1) / nr * nr);
  float* pa = t_pack_a.get((size_t)(mc_max * kc_max));
  float* pb = t_pack_b.get((size_t)(nc_max * kc_max));
  alignas(64) float tile[16 * 32];
  for (int64_t jc = 0; jc < N; jc += nc_max) {
    const int64_t nc = std::min<int64_t>(nc_max, N - jc);
    for (int64_t pc = 0; pc < K; pc += kc_max) {
      const int64_t kc = std::min<int64_t>(kc_max, K - pc);
      pack_cols(cfg, cs, pc, n0 + jc, kc, nc, pb);
      for (int64_t ic = 0; ic < M; ic += mc_max) {
        const int64_t mc = std::min<int64_t>(mc_max, M - ic);
        pack_a(cfg, ta, A, lda, m0 + ic, pc, mc, kc, pa);
        // One MR×NR tile of C over this kc block.
        auto tile_at = [&](int64_t ir, int64_t jr) {
          const int64_t rows = std::min<int64_t>(mr, mc - ir), cols = std::min<int64_t>(nr, nc - jr);
          const float* as = pa + ir * kc;
          const float* bs = pb + jr * kc;
          const int64_t j = n0 + jc + jr;
          const int sg = j < cs.split ? 0 : 1;
          const ColSeg& seg = cs.seg[sg];
          const int64_t ldc = seg.ldc;
          const int acc_here = pc == 0 ? seg.acc : 1;
          float* c = seg.C + (m0 + ic + ir) * ldc + (sg ? j - cs.split : j);
          if (rows == mr && cols == nr) {
            cfg.ukernel(kc, as, bs, c, ldc, acc_here);
            return;
          }
          cfg.ukernel(kc, as, bs, tile, nr, 0);
          for (int64_t r = 0; r < rows; ++r) {
            float* cr = c + r * ldc;
            const float* tr = tile + r * nr;
            if (acc_here) {
              for (int64_t j = 0; j < cols; ++j) cr[j] += tr[j];
            } else {
              for (int64_t j = 0; j < cols; ++j) cr[j] = tr[j];
            }
          }
        };
        if (kc <= 64 && kc * nc <= kRowStripPanel) {
          // Short k: C traffic dominates. Row strips walk C along its rows (one B sliver after
          // another from the small, L2-resident panel), so each C row is a sequential stream
          // the hardware prefetcher follows; column strips touch a new 4 KiB page per row.
          // 1024×1024×32 A·Bᵀ += with caches swept: 0.85–0.96× → 1.07–1.15× OpenBLAS.
          for (int64_t ir = 0; ir < mc; ir += mr)
            for (int64_t jr = 0; jr < nc; jr += nr) tile_at(ir, jr);
        } else {
          // B sliver in L1 under all A slivers of the block.
          for (int64_t jr = 0; jr < nc; jr += nr)
            for (int64_t ir = 0; ir < mc; ir += mr) tile_at(ir, jr);
        }
      }
    }
  }
}

// Tiny products (a few thousand FMAs: optimiser-sized linear layers, K = 1 updates) cost more
// to pack than to compute; plain loops over a row buffer win there. `=` never reads C.
const int64_t kSmallGemmFmas = 32768;
// … except from this K up, where the unpacked AVX2 tiles take the product when they can.
const int64_t kSmallDirectK = 256;

void gemm_small(int ta, int tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
                const float* B, int64_t ldb, float* C, int64_t ldc, int acc) {
  thread_local std::vector<float> rowbuf;
  if ((int64_t)rowbuf.size() < N) rowbuf.resize((size_t)N);
  float* row = rowbuf.data();
  for (int64_t i = 0; i < M; ++i) {
    if (tb && !ta) {
      // Both operands contiguous along k: dot products.
      const float* a = A + i * lda;
      for (int64_t j = 0; j < N; ++j) {
        const float* b = B + j * ldb;
        float s = 0.0f;
        for (int64_t k = 0; k < K; ++k) s += a[k] * b[k];
        row[j] = s;
      }
    } else {
      for (int64_t j = 0; j < N; ++j) row[j] = 0.0f;
      for (int64_t k = 0; k < K; ++k) {
        const float a = ta ? A[k * lda + i] : A[i * lda + k];
        if (!tb) {
          const float* b = B + k * ldb;
          for (int64_t j = 0; j < N; ++j) row[j] += a * b[j];
        } else {
          for (int64_t j = 0; j < N; ++j) row[j] += a * B[j * ldb + k];
        }
      }
    }
    float* c = C + i * ldc;
    if (acc) {
      for (int64_t j = 0; j < N; ++j) c[j] += row[j];
    } else {
      for (int64_t j = 0; j < N; ++j) c[j] = row[j];
    }
  }
}

// Skinny products go to the unpacked AVX2 tiles (gemm_direct.h) when: the ISA in use is AVX2 or
// better, N is a multiple of 8 (the tiles' width), one of M, N is ≤ 16, or N ≤ 32 with
// A row-major (measured 25% faster than packed at 1024×32×1024; a transposed A loses), or
// M ≤ 64 with neither operand transposed (conv64's 32/64-channel forward GEMMs: 60 → 67
// GFLOP/s), or the product is small (< 2M FMAs, where packing is a large share), and the operand that each strip re-reads fits in
// L2 (≤ 64 Ki floats). Returns false when the packed path should run instead.
const int64_t kDirectMaxFloats = 65536;

bool sgemm_direct(int ta, int tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
                  const float* B, int64_t ldb, float* C, int64_t ldc, int acc, int max_threads) {
#if defined(__x86_64__)
  if (config().ukernel != kAvx2.ukernel && config().ukernel != kAvx512.ukernel) return false;
  if (!ta && tb && K >= 512 && M <= 128 && N <= 128) {
    // A·Bᵀ with a small output and long K (the filter gradient of conv64's first layers:
    // 32×96×1024): dot-product tiles, no packing; 28 → 52–70 GFLOP/s there. Packed stays
    // better once the output is ≥ 64×512 (its reduction-free tiles win).
    int nt = std::min(max_threads, lamkit::available_threads());
    nt = (int)std::min<double>(nt, std::max(1.0, 2.0 * (double)M * (double)N * (double)K / 1.0e6));
    const int64_t units = (N + 2) / 3;
    if (nt > units) nt = (int)units;
    if (nt <= 1) {
      lamkit::sgemm_dot_avx2(A, lda, B, ldb, C, ldc, M, 0, N, K, acc);
      return true;
    }
    lamkit::parallel(nt, [&](int tid, int nthr) {
      const int64_t b = std::min(N, units * tid / nthr * 3), e = std::min(N, units * (tid + 1) / nthr * 3);
      if (b < e) lamkit::sgemm_dot_avx2(A, lda, B, ldb, C, ldc, M, b, e, K, acc);
    });
    return true;
  }
  if (N % 8 != 0) return false;
  if (!(std::min(M, N) <= 16 || (N <= 32 && !ta) || (M <= 64 && !ta && !tb) || M * N * K < ((int64_t)1 << 21))) return false;
  const bool rows_outer = N <= M;
  if (rows_outer ? K * N > kDirectMaxFloats : M * K > kDirectMaxFloats) return false;
  if (tb && K * N > kDirectMaxFloats) return false;
  if (tb) {
    // B stored N×K → K×N so the tiles load 8 consecutive columns.
    thread_local std::vector<float> bt;
    if ((int64_t)bt.size() < K * N) bt.resize((size_t)(K * N));
    for (int64_t j = 0; j < N; ++j) {
      const float* src = B + j * ldb;
      for (int64_t k = 0; k < K; ++k) bt[(size_t)(k * N + j)] = src[k];
    }
    B = bt.data();
    ldb = N;
  }
  int nt = std::min(max_threads, lamkit::available_threads());
  nt = (int)std::min<double>(nt, std::max(1.0, 2.0 * (double)M * (double)N * (double)K / 1.0e6));
  // Threads split the outer dimension in whole tiles (12 rows = both tile heights; 16 columns).
  const int64_t unit = rows_outer ? 12 : 16, extent = rows_outer ? M : N;
  const int64_t units = (extent + unit - 1) / unit;
  if (nt > units) nt = (int)units;
  if (nt <= 1) {
    lamkit::sgemm_direct_avx2(ta, A, lda, B, ldb, C, ldc, 0, M, 0, N, K, acc, rows_outer);
    return true;
  }
  lamkit::parallel(nt, [&](int tid, int nthr) {
    const int64_t b = std::min(extent, units * tid / nthr * unit);
    const int64_t e = std::min(extent, units * (tid + 1) / nthr * unit);
    if (b >= e) return;
    if (rows_outer) lamkit::sgemm_direct_avx2(ta, A, lda, B, ldb, C, ldc, b, e, 0, N, K, acc, 1);
    else lamkit::sgemm_direct_avx2(ta, A, lda, B, ldb, C, ldc, 0, M, b, e, K, acc, 0);
  });
  return true;
#else
  (void)ta; (void)tb; (void)M; (void)N; (void)K; (void)A; (void)lda; (void)B; (void)ldb; (void)C;
  (void)ldc; (void)acc; (void)max_threads;
  return false;
#endif
}

}  // namespace

namespace lamkit {

// The packed (BLIS) path for one or two column segments; sgemm's fallback after the
// small and unpacked paths, and the whole of lam_f32_matmul_shared_a.
void sgemm_packed(int ta, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
                  const Cols& cols, int max_threads);

void sgemm(int ta, int tb, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
           const float* B, int64_t ldb, float* C, int64_t ldc, int acc, int max_threads) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0) {
    if (!acc)
      for (int64_t i = 0; i < M; ++i) memset(C + i * ldc, 0, sizeof(float) * (size_t)N);
    return;
  }
  if (M * N * K <= kSmallGemmFmas) {
    // Long K over a few rows (a batch-1 head: 1×2048 · 2048×16) is a scalar loop there with a
    // store and reload of the row per k: 31 µs in place in the conv64 IDM, 3–4 µs in the tiles.
    if (K >= kSmallDirectK && sgemm_direct(ta, tb, M, N, K, A, lda, B, ldb, C, ldc, acc, max_threads)) return;
    gemm_small(ta, tb, M, N, K, A, lda, B, ldb, C, ldc, acc);
    return;
  }
  if (sgemm_direct(ta, tb, M, N, K, A, lda, B, ldb, C, ldc, acc, max_threads)) return;
  Cols cols;
  cols.seg[0] = ColSeg{tb, B, ldb, C, ldc, acc};
  cols.seg[1] = cols.seg[0];
  cols.split = N;
  sgemm_packed(ta, M, N, K, A, lda, cols, max_threads);
}

void sgemm_packed(int ta, int64_t M, int64_t N, int64_t K, const float* A, int64_t lda,
                  const Cols& cols, int max_threads) {
  GemmConfig cfg = config();
  // Chosen from the whole product, never the per-thread block: the k blocking fixes the order
  // of each C element's sum, so results stay independent of the thread count.
  if (cfg.big_c && M * N >= cfg.big_c && K > cfg.kc) {
    cfg.mc = cfg.mc_big;
    cfg.kc = cfg.kc_big;
  }
  int nt = std::min(max_threads, available_threads());
  // Below ~1 MFLOP per thread, waking the pool costs more than it saves.
  const double flops = 2.0 * (double)M * (double)N * (double)K;
  nt = (int)std::min<double>(nt, std::max(1.0, flops / 1.0e6));
  const int64_t mt_max = (M + cfg.mr - 1) / cfg.mr, nt_max = (N + cfg.nr - 1) / cfg.nr;
  if (nt > 1) nt = (int)std::min<int64_t>(nt, mt_max * nt_max);
  if (nt <= 1) {
    gemm_block(cfg, ta, 0, M, 0, N, K, A, lda, cols);
    return;
  }
  // Grid tm × tn = nt whose blocks are closest to square (balances A vs B re-packing).
  int best_tm = 1;
  double best_score = 1e300;
  for (int tm = 1; tm <= nt; ++tm) {
    if (nt % tm) continue;
    const int tn = nt / tm;
    if (tm > mt_max || tn > nt_max) continue;
    const double score = fabs(log(((double)M / tm) / ((double)N / tn)));
    if (score < best_score) {
      best_score = score;
      best_tm = tm;
    }
  }
  const int tm = best_tm, tn = nt / tm;
  parallel(nt, [&](int tid, int) {
    const int ti = tid / tn, tj = tid % tn;
    // Split in whole micro-tiles so only the last block has edge tiles.
    const int64_t m0 = mt_max * ti / tm * cfg.mr, m1 = std::min<int64_t>(M, mt_max * (ti + 1) / tm * cfg.mr);
    const int64_t n0 = nt_max * tj / tn * cfg.nr, n1 = std::min<int64_t>(N, nt_max * (tj + 1) / tn * cfg.nr);
    gemm_block(cfg, ta, m0, m1, n0, n1, K, A, lda, cols);
  });
}

}  // namespace lamkit

extern "C" void lam_f32_matmul(int ta, int tb, int64_t M, int64_t N, int64_t K, const float* A,
                               const float* B, float* C, int acc) {
  lamkit::sgemm(ta, tb, M, N, K, A, ta ? M : K, B, tb ? K : N, C, N, acc, 1 << 30);
}

extern "C" void lam_f32_matmul_shared_a(int ta, int64_t M, int64_t K, const float* A, int tb1,
                                        int64_t N1, const float* B1, float* C1, int acc1, int tb2,
                                        int64_t N2, const float* B2, float* C2, int acc2) {
  // The split must fall on a packed-sliver boundary (NR = 16 or 32): otherwise two calls.
  if (M <= 0 || N1 % 32 != 0 || N1 <= 0 || N2 <= 0 || K <= 0) {
    lam_f32_matmul(ta, tb1, M, N1, K, A, B1, C1, acc1);
    lam_f32_matmul(ta, tb2, M, N2, K, A, B2, C2, acc2);
    return;
  }
  Cols cols;
  cols.seg[0] = ColSeg{tb1, B1, tb1 ? K : N1, C1, N1, acc1};
  cols.seg[1] = ColSeg{tb2, B2, tb2 ? K : N2, C2, N2, acc2};
  cols.split = N1;
  lamkit::sgemm_packed(ta, M, N1 + N2, K, A, ta ? M : K, cols, 1 << 30);
}

extern "C" const char* lam_isa_name(void) { return config().isa; }

extern "C" void lam_force_isa(const char* isa) {
  int v = -1;
  if (isa) {
    if (!strcmp(isa, "avx512")) v = ISA_AVX512;
    else if (!strcmp(isa, "avx2")) v = ISA_AVX2;
    else if (!strcmp(isa, "wasm-simd128") || !strcmp(isa, "wasm")) v = ISA_WASM;
    else if (!strcmp(isa, "scalar")) v = ISA_SCALAR;
  }
  g_forced.store(v, std::memory_order_relaxed);
}
