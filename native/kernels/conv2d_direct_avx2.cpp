// lamkit::conv2d_direct_avx2 — direct (im2col-free) conv2d forward, AVX2+FMA (conv2d_direct.h).
// Register tile: 16 output channels (2 ymm) × 6 output pixels = 12 accumulators. Per kernel tap
// k = (c, kh, kw): 2 loads of packed weights, 6 broadcasts of zero-padded input, 12 FMAs.
// Output pixels are flattened (p = oh·OW + ow), so a tile may span output rows: the 4×4 and 8×8
// outputs of conv64's deep layers still fill 6-pixel tiles, and the tile's 6 outputs of one
// channel are contiguous in y (NCHW) for the store.
// Why not im2col + SGEMM: the column buffer (C·KH·KW × pixels) is written and read again for
// every image; here the input is read from a padded copy (pad_image: |x|, no bounds checks)
// and only W is repacked (once per call; kept between calls at small batch, see
// conv2d_direct_wcache.h).
// Layouts: W [OC][CKK] is packed to [OC/16][CKK][16] (zero-padded OC tail), so one tap's 16
//   weights are one 64-byte line; koff[k] is tap k's offset in the padded image, poff[p] the
//   top-left input offset of output pixel p (both int32, the image is < 2 GiB).
// Taps run in chunks of 256 (16 KiB of weights stay in L1 across the tiles of a run); partial
//   sums wait in a per-thread buffer between chunks.
// Epilogue (y = act((acc ? y : 0) + conv + bias)), per tile in registers: + bias, 8×8
//   transposes to channel rows, + old y when acc, activation, NP-float stores.
// Threads: with N ≥ threads each thread takes whole images; with fewer images (batch-1
//   inference) each takes 16-channel blocks (and packs only those weights), or chunks of
//   (image, block, tile) units when there are fewer blocks than threads. Work is handed out by
//   an atomic counter, not split in equal ranges up front: a thread that is preempted (another
//   process, or a hypervisor stealing the vCPU: 25% steal measured here) no longer holds up the
//   whole call with its fixed half (batch-64 IDM runs spread 21–47 ms with static halves).
//   Every output is summed by one thread over k in the same order, so results do not depend on
//   the thread count or on which thread took the work.
// Compiled with -mavx2 -mfma (file suffix); empty on other targets.
// Test: native/tests/conv2d_direct_test.cpp, test/kernels/conv2d-direct.test.ts.
#include "conv2d_direct.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "conv2d_direct_avx2.h"
#include "conv2d_direct_wcache.h"
#include "conv_pad.h"
#include "transpose8_avx2.h"
#include "weight_stamp.h"
#include "runtime/thread_pool.h"

namespace {

using lamkit::conv_act;
using lamkit::conv_scratch;
using lamkit::ConvEpilogue;
using lamkit::ConvGeom;
using lamkit::PackedWeightCache;
using lamkit::PackedWeights;
using lamkit::transpose8;
using lamkit::weight_stamp;

const int kOB = 16;  // output channels per block
const int kP = 6;    // output pixels per register tile

// wp[k·16 + r] = W[oc0 + r][k] (0 past OC) for one 16-channel block.
void pack_block(const float* w, int64_t OC, int64_t CKK, int64_t oc0, float* wp) {
  const int64_t rows = std::min<int64_t>(kOB, OC - oc0);
  if (rows < kOB) memset(wp, 0, sizeof(float) * (size_t)(CKK * kOB));
  const float* src = w + oc0 * CKK;
  int64_t k = 0;
  if (rows == kOB) {
    // 8×8 transposes: rows r0..r0+7, columns k..k+7 → wp[(k + j)·16 + r0 + i].
    for (; k + 8 <= CKK; k += 8) {
      for (int r0 = 0; r0 < kOB; r0 += 8) {
        __m256 a[8];
        for (int i = 0; i < 8; ++i) a[i] = _mm256_loadu_ps(src + (r0 + i) * CKK + k);
        transpose8(a);
        float* d = wp + k * kOB + r0;
        for (int i = 0; i < 8; ++i) _mm256_store_ps(d + i * kOB, a[i]);
      }
    }
  }
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t kk = k; kk < CKK; ++kk) wp[kk * kOB + r] = src[r * CKK + kk];
}

// Lanes [0, M) (M ≤ 4, compile time) of v to / from p in whole 4/2/1-float pieces: no masked
// moves, nothing past p[M − 1] touched (y rows are packed back to back).
template <int M>
inline void store_part(float* p, __m128 v) {
  if (M == 4) {
    _mm_storeu_ps(p, v);
  } else if (M >= 2) {
    // Two floats through a double with memcpy: p is only 4-byte aligned (UBSan rejects the
    // __m64* / double* casts); it compiles to the same movlps / movsd.
    const double lo = _mm_cvtsd_f64(_mm_castps_pd(v));
    memcpy(p, &lo, sizeof lo);
    if (M == 3) _mm_store_ss(p + 2, _mm_movehl_ps(v, v));
  } else if (M == 1) {
    _mm_store_ss(p, v);
  }
}
template <int M>
inline __m128 load_part(const float* p) {
  if (M == 4) return _mm_loadu_ps(p);
  if (M >= 2) {
    double d;
    memcpy(&d, p, sizeof d);
    const __m128 lo = _mm_castpd_ps(_mm_set_sd(d));
    return M == 3 ? _mm_movelh_ps(lo, _mm_load_ss(p + 2)) : lo;
  }
  return M == 1 ? _mm_load_ss(p) : _mm_setzero_ps();
}
template <int NP>
inline void store_np(float* p, __m256 v) {
  if (NP <= 4) {
    store_part<NP <= 4 ? NP : 4>(p, _mm256_castps256_ps128(v));
  } else {
    _mm_storeu_ps(p, _mm256_castps256_ps128(v));
    store_part<NP >= 4 ? NP - 4 : 0>(p + 4, _mm256_extractf128_ps(v, 1));
  }
}
template <int NP>
inline __m256 load_np(const float* p) {
  if (NP <= 4) return _mm256_castps128_ps256(load_part<NP <= 4 ? NP : 4>(p));
  return _mm256_insertf128_ps(_mm256_castps128_ps256(_mm_loadu_ps(p)), load_part<NP >= 4 ? NP - 4 : 0>(p + 4), 1);
}

struct Tile {
  const int32_t* koff;  // [CKK]
  int64_t OHW;
  const ConvEpilogue* ep;
  int acc;
};

// Epilogue of one tile: sums s[j][oc] (+ bias[oc]) → activation → y[oc][p + j] for the valid
// rows; with acc the old y is added before the activation.
template <int NP>
__attribute__((noinline)) void finish(const Tile& t, const float* s, const float* bias16, float* yb,
                                      int rows) {
  const ConvEpilogue& ep = *t.ep;
  for (int half = 0; half < 2; ++half) {
    __m256 h[8];
    const __m256 b = bias16 ? _mm256_loadu_ps(bias16 + 8 * half) : _mm256_setzero_ps();
#pragma GCC unroll 8
    for (int j = 0; j < 8; ++j) {
      if (j < NP) {
        h[j] = _mm256_load_ps(s + j * kOB + 8 * half);
        if (bias16) h[j] = _mm256_add_ps(h[j], b);
      } else {
        h[j] = _mm256_setzero_ps();
      }
    }
    // 8×8 transpose (pixels × channels → channels × pixels), then NP contiguous floats per
    // channel row of y (the scalar scatter it replaced cost ~1/3 of a 48-tap tile).
    transpose8(h);
    const int n = std::min(8, rows - 8 * half);
#pragma GCC unroll 8
    for (int i = 0; i < 8; ++i) {
      if (i >= n) break;
      float* yr = yb + (8 * half + i) * t.OHW;
      __m256 v = h[i];
      if (t.acc) v = _mm256_add_ps(v, load_np<NP>(yr));
      store_np<NP>(yr, conv_act(v, ep));
    }
  }
}

// NP (≤ 6) output pixels from flat pixel p of one image × the 16 channels of one block, taps
// [k0, k1): xi = the padded image, poff = &poff[p], wp = the block's packed weights at k0.
// Partial sums over earlier tap chunks live in part ([NP][16]); first: start from 0 instead,
// last: finish into y (yb = &y[n][oc0][p], `rows` valid channels, bias16 = the block's bias
// padded to 16 or null) instead of saving them.
template <int NP>
void tile(const Tile& t, const float* xi, const int32_t* poff, const float* wp, int64_t k0,
          int64_t k1, float* part, bool first, bool last, const float* bias16, float* yb,
          int rows) {
  // Every j loop is unrolled so the accumulators stay in registers (a partly unrolled loop
  // left them in a stack array: 12 stores per tap).
  __m256 a0[NP], a1[NP];
  const float* b[NP];
#pragma GCC unroll 6
  for (int j = 0; j < NP; ++j) {
    if (first) {
      a0[j] = _mm256_setzero_ps();
      a1[j] = _mm256_setzero_ps();
    } else {
      a0[j] = _mm256_load_ps(part + j * kOB);
      a1[j] = _mm256_load_ps(part + j * kOB + 8);
    }
    b[j] = xi + poff[j];
    // Opaque to the optimiser: otherwise GCC splits b[j] into xi + poff[j] and spends an lea
    // per broadcast (31 instructions per tap instead of 25; the loop was front-end bound).
    asm("" : "+r"(b[j]));
  }
  // A kernel-row variant (KW taps as constant displacements, fewer instructions per tap) was
  // no faster: its unrolled loop spilled an accumulator.
  const int32_t* ko = t.koff;
  for (int64_t k = k0; k < k1; ++k) {
    const __m256 w0 = _mm256_load_ps(wp), w1 = _mm256_load_ps(wp + 8);
    const int64_t o = ko[k];
    wp += kOB;
#pragma GCC unroll 6
    for (int j = 0; j < NP; ++j) {
      const __m256 xv = _mm256_broadcast_ss(b[j] + o);
      a0[j] = _mm256_fmadd_ps(w0, xv, a0[j]);
      a1[j] = _mm256_fmadd_ps(w1, xv, a1[j]);
    }
  }
  // The sums leave registers here; the epilogue is a separate function so its transposes do
  // not compete with the accumulators for registers (inlined, it made the compiler spill two
  // accumulators inside the tap loop: ~30% slower on a 1024-tap layer).
  alignas(32) float local[kP * kOB];
  float* out = last ? local : part;
#pragma GCC unroll 6
  for (int j = 0; j < NP; ++j) {
    _mm256_store_ps(out + j * kOB, a0[j]);
    _mm256_store_ps(out + j * kOB + 8, a1[j]);
  }
  if (last) finish<NP>(t, local, bias16, yb, rows);
}

typedef void (*tile_fn)(const Tile&, const float*, const int32_t*, const float*, int64_t,
                        int64_t, float*, bool, bool, const float*, float*, int);
const tile_fn kTiles[kP + 1] = {nullptr, tile<1>, tile<2>, tile<3>, tile<4>, tile<5>, tile<6>};

// Taps per chunk: the chunk's packed weights (kKC · 64 B = 16 KiB) stay in L1 while every
// tile of the run reads them; unchunked, each 6-pixel tile streamed the block's whole weight
// panel (128 KiB for a 2048-tap layer) from L2.
const int64_t kKC = 256;

// Output pixels (N·OH·OW) up to which packed weights are cached (conv2d_direct_wcache.h):
// there the repack is ≥ ~5% of the work; above, training batches repack (their weights change
// every step, so a cache would only add the compare). Under a weight stamp (weight_stamp.h) they
// are cached at any size: conv64's IDM at batch 64 repacked 1.7 MiB per forward.
const int64_t kCachePixels = 256;

}  // namespace

namespace lamkit {

bool conv2d_direct_avx2(const float* x, const float* w, float* y, int64_t N, int64_t OC,
                        const ConvGeom& g, int acc, const ConvEpilogue& ep) {
  if (N <= 0 || OC <= 0 || g.C <= 0 || g.KH <= 0 || g.KW <= 0 || g.sh <= 0 || g.sw <= 0 ||
      g.dh <= 0 || g.dw <= 0 || g.ph < 0 || g.pw < 0 || g.OH <= 0 || g.OW <= 0)
    return false;
  // Padded image just large enough for every tap of every output (rows/columns past the input
  // and its padding are zeros, as in the im2col path).
  const int64_t HP = (g.OH - 1) * g.sh + (g.KH - 1) * g.dh + 1;
  const int64_t WP = (g.OW - 1) * g.sw + (g.KW - 1) * g.dw + 1;
  const int64_t chan = HP * WP, img = g.C * chan;
  const int64_t CKK = g.C * g.KH * g.KW, OHW = g.OH * g.OW;
  if (img >= ((int64_t)1 << 31) || CKK >= ((int64_t)1 << 24)) return false;  // int32 offsets
  const int64_t nob = (OC + kOB - 1) / kOB, ntiles = (OHW + kP - 1) / kP;

  thread_local std::vector<float> wbuf, pbuf, bbuf;
  thread_local std::vector<int32_t> ibuf;
  thread_local PackedWeightCache cache;
  // Few pixels per weight (batch-1 inference), or weights the caller promises unchanged (a
  // stamped inference plan, any batch: then the cache costs no compare): keep the panels.
  const uint64_t stamp = weight_stamp();
  PackedWeights* cached = N * OHW <= kCachePixels || stamp != 0 ? cache.get(w, OC, CKK, kOB) : nullptr;
  float* wp = cached ? cached->panels() : conv_scratch(wbuf, nob * CKK * kOB);
  float* bias = conv_scratch(bbuf, nob * kOB);  // [nob·16], zero-padded
  if ((int64_t)ibuf.size() < CKK + OHW) ibuf.resize((size_t)(CKK + OHW));
  int32_t* koff = ibuf.data();
  int32_t* poff = koff + CKK;
  for (int64_t c = 0, k = 0; c < g.C; ++c)
    for (int64_t kh = 0; kh < g.KH; ++kh)
      for (int64_t kw = 0; kw < g.KW; ++kw) koff[k++] = (int32_t)(c * chan + kh * g.dh * WP + kw * g.dw);
  for (int64_t oh = 0; oh < g.OH; ++oh)
    for (int64_t ow = 0; ow < g.OW; ++ow) poff[oh * g.OW + ow] = (int32_t)(oh * g.sh * WP + ow * g.sw);
  if (ep.bias) {
    memset(bias, 0, sizeof(float) * (size_t)(nob * kOB));
    memcpy(bias, ep.bias, sizeof(float) * (size_t)OC);
  }
  const Tile t{koff, OHW, &ep, acc};
  // Same stamp as the last call on this entry: W is unchanged, no compare (weight_stamp.h).
  const bool trusted = cached && stamp != 0 && cached->stamp == stamp;
  if (cached) cached->stamp = stamp;  // every block is current once the packing below is done
  auto pack = [&](int64_t b0, int64_t b1) {
    for (int64_t ob = b0; ob < b1; ++ob) {
      if (cached && (trusted ? cached->valid[(size_t)ob] != 0 : cached->current(w, ob))) continue;
      pack_block(w, OC, CKK, ob * kOB, wp + ob * CKK * kOB);
      if (cached) cached->refreshed(w, ob);
    }
  };

  // Tiles [t0, t1) of block ob of image n, reading the padded image xi: tap chunks outer,
  // tiles inner, partial sums in a per-thread buffer between chunks.
  auto run = [&](const float* xi, int64_t n, int64_t ob, int64_t t0, int64_t t1) {
    const int rows = (int)std::min<int64_t>(kOB, OC - ob * kOB);
    const float* wb = wp + ob * CKK * kOB;
    const float* bb = ep.bias ? bias + ob * kOB : nullptr;
    float* yb = y + (n * OC + ob * kOB) * OHW;
    thread_local std::vector<float> pbuf_t;
    float* part = CKK > kKC ? conv_scratch(pbuf_t, (t1 - t0) * kP * kOB) : nullptr;
    for (int64_t k0 = 0; k0 < CKK; k0 += kKC) {
      const int64_t k1 = std::min(CKK, k0 + kKC);
      for (int64_t ti = t0; ti < t1; ++ti) {
        const int64_t p = ti * kP;
        const int np = (int)std::min<int64_t>(kP, OHW - p);
        kTiles[np](t, xi, poff + p, wb + k0 * kOB, k0, k1, part ? part + (ti - t0) * kP * kOB : nullptr,
                   k0 == 0, k1 == CKK, bb, yb + p, rows);
      }
    }
  };
  int nt = available_threads();
  if (2.0 * (double)N * OC * CKK * OHW < 2.0e6) nt = 1;  // a region costs more than it saves
  if (nt <= 1 || N >= nt) {
    // Threads over images: each pads its own images into a private buffer.
    if (!trusted) parallel_for(nob, (double)(CKK * kOB), pack);
    std::atomic<int64_t> next{0};
    parallel(nt, [&](int, int) {
      thread_local std::vector<float> own;
      float* xi = conv_scratch(own, img);
      for (int64_t n; (n = next.fetch_add(1, std::memory_order_relaxed)) < N;) {
        pad_image(x + n * g.C * g.H * g.W, g.C, g.H, g.W, g.ph, g.pw, HP, WP, xi);
        for (int64_t ob = 0; ob < nob; ++ob) run(xi, n, ob, 0, ntiles);
      }
    });
    return true;
  }
  // Fewer images than threads (batch-1 inference): every thread reads all of them.
  float* xp = conv_scratch(pbuf, N * img);
  if (nob >= nt) {
    // Each thread pads a share of the input channels, waits for the others (the threads of a
    // region run at once: nt ≤ pool size), then owns a range of channel blocks: it packs only
    // those weights and computes them for every image, all in one parallel region. A serial pad
    // was ~10% of a batch-1 conv64 IDM layer at 2 threads.
    std::atomic<int> padded{0};
    std::atomic<int64_t> next{0};
    parallel(nt, [&](int tid, int nthr) {
      const int64_t c0 = g.C * tid / nthr, c1 = g.C * (tid + 1) / nthr;
      for (int64_t n = 0; n < N; ++n)
        pad_image(x + (n * g.C + c0) * g.H * g.W, c1 - c0, g.H, g.W, g.ph, g.pw, HP, WP, xp + n * img + c0 * chan);
      padded.fetch_add(1, std::memory_order_acq_rel);
      while (padded.load(std::memory_order_acquire) < nthr) _mm_pause();
      for (int64_t ob; (ob = next.fetch_add(1, std::memory_order_relaxed)) < nob;) {
        pack(ob, ob + 1);
        for (int64_t n = 0; n < N; ++n) run(xp + n * img, n, ob, 0, ntiles);
      }
    });
    return true;
  }
  // Fewer blocks than threads (OC ≤ 16·threads): split (image, block, tile) units.
  for (int64_t n = 0; n < N; ++n)
    pad_image(x + n * g.C * g.H * g.W, g.C, g.H, g.W, g.ph, g.pw, HP, WP, xp + n * img);
  pack(0, nob);
  const int64_t units = N * nob * ntiles;
  // Chunks of about a quarter of a thread's share: few counter updates, still rebalances.
  const int64_t chunk = std::max<int64_t>(1, units / (4 * (int64_t)nt));
  std::atomic<int64_t> next{0};
  parallel(nt, [&](int, int) {
    for (int64_t u0; (u0 = next.fetch_add(chunk, std::memory_order_relaxed)) < units;) {
      const int64_t u1 = std::min(units, u0 + chunk);
      for (int64_t u = u0; u < u1;) {
        const int64_t n = u / (nob * ntiles), ob = u / ntiles % nob, ti = u % ntiles;
        const int64_t te = std::min(ntiles, ti + (u1 - u));
        run(xp + n * img, n, ob, ti, te);
        u += te - ti;
      }
    }
  });
  return true;
}

}  // namespace lamkit

#endif  // __x86_64__
