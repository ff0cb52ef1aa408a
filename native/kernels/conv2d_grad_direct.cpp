// Direct conv2d backward kernels (conv2d_grad_direct.h): the loops around the AVX2 tile.
// Why: im2col/col2im + SGEMM ran both gradients at ~58 GFLOP/s on conv64 (k4 s2 p1 layers);
// the column matrix is 16× the image and its write + read, and the GEMM's packing of it, cost
// as much as a third of the time. These kernels read a zero-padded image copy directly.
//
// backward_filter, dW[oc][t], t = (c, kh, kw): 16 output channels (lanes) × 6 taps per tile.
//   Per image block: xp[i] = zero-padded x (pad_image), dyP[ob][i][pix][16] = dy transposed to
//   16-channel groups. A tile's accumulators stay in registers over every pixel of the block:
//   per pixel 2 dyP loads, 6 broadcasts of xp[c][oh·sh + kh·dh][ow·sw + kw·dw], 12 FMAs.
//   Blocks of images are sized so dyP stays in L2 while all tiles walk it.
//   Threads split the tiles (not the images), by channel groups or by tap groups, whichever
//   duplicates less per-thread prep (x padding vs dy packing): every dW
//   value is summed by one thread in image and pixel order, so the result does not depend on
//   the thread count (the im2col path adds per-thread partial sums, whose rounding does), and
//   no partial-dW buffers are reduced.
// backward_input, dx[c][ih][iw] = Σ_{oc,kh,kw} W[oc][c][kh][kw]·dy[oc][oh][ow] over the taps
//   with ih = oh·sh − ph + kh·dh (same for w). Pixels split by parity class (ih mod sh,
//   iw mod sw): within a class every pixel has the same taps, with oh = ih div sh + δ(kh). A
//   tile is 16 input channels (lanes; W packed [class][cblock][oc chunk][tap][oc][16]) × 6
//   pixels of one class, summing over (tap, oc) steps: 2 W loads, 6 broadcasts of the
//   zero-padded, channel-last dy copy, 12 FMAs; per-class sums are then written into NCHW dx
//   row by row. Threads take images (channel blocks when there are fewer images than threads).
// Taken for AVX2/AVX-512 CPUs (not under lam_force_isa("scalar")), not for 1×1 stride-1
// unpadded convolutions (plain GEMMs already), only when padding the 16-lane dimension (OC for
// the filter, C for the input) wastes ≤ 25% of the FMAs, and (the measured rule, see
// kMinPixels*) only with enough pixels per call. LAMKIT_CONV_GRAD_DIRECT=0 turns them off,
// =1 drops the pixel rule (tests, A/B runs with one build).
// Test: native/tests/conv2d_grad_direct_test.cpp, test/kernels/conv2d-grad-direct.test.ts.
#include "conv2d_grad_direct.h"

#include <lamkit/kernels.h>
#include <stdlib.h>
#include <string.h>

#include <algorithm>
#include <atomic>
#include <vector>

#include "conv_pad.h"
#include "runtime/thread_pool.h"

namespace lamkit {

#if defined(__x86_64__)
namespace {

const int kLanes = 16, kTile = 6;
// Image blocks: tiles run tap-group-major, so a tile's few xp channels stay in L1 while the
// block's whole dyP (≤ 256 KiB, half a Zen 3 L2) is re-read by every tap group; xp + dyP of a
// block ≤ 512 KiB. Blocks of several images also make longer tiles (fewer accumulator loads
// and stores): deep conv64 layers have 16 pixels per image. (Measured on conv64's shapes:
// 1, 2, 4, 8, 16 images; 4–8 best, 16 ~4% slower, 1 up to 20% slower on deep layers.)
const int64_t kBlockDy = 64 * 1024, kBlockAll = 128 * 1024;

// LAMKIT_CONV_GRAD_DIRECT (read per call, so tests and A/B runs can flip it in-process):
// 0 = never (im2col everywhere), 1 = every geometry the kernels take, else the measured rule.
enum Mode { kNever, kAlways, kRule };
Mode mode() {
  const char* isa = lam_isa_name();
  if (strcmp(isa, "avx2") != 0 && strcmp(isa, "avx512") != 0) return kNever;
  const char* m = getenv("LAMKIT_CONV_GRAD_DIRECT");
  if (m && !strcmp(m, "0")) return kNever;
  return m && !strcmp(m, "1") ? kAlways : kRule;
}

// The measured rule: enough pixels (N·OH·OW) per call to amortise the per-call work (packing
// W or unpacking dW, ∝ the weights) against the tiles (∝ weights × pixels). Conv64 layer
// shapes at batch 1/4/8/32, direct / im2col CPU time: filter 1.4 at 16 pixels, 0.96–1.14 at
// 64, ≤ 1.0 from 128; input (packs W per call) 1.8–1.9 at 16, 1.1–1.2 at 64, ~1.0 at 128–256,
// 0.82–0.95 at 512 and more.
const int64_t kMinPixelsFilter = 128, kMinPixelsInput = 256;

// Winograd for the input gradient (conv2d_winograd_bwd_avx2.cpp) of 4×4 stride-2 layers, with
// ≥ 8 dy channels and ≥ 64 dy pixels per call, unless LAMKIT_CONV_WINOGRAD=0 (as for the
// forward). Min time vs the class kernel below, 1 thread, conv64's layers (the encoder's input
// gradients and the decoder's transposed convs): batch 32 0.57–0.83, batch 4 (64–1024 pixels)
// 0.58–0.91; a grid32-like 16→16 layer 0.75–0.78.
bool winograd_input_is_faster(int64_t N, int64_t OC, const ConvGeom& g) {
  const char* w = getenv("LAMKIT_CONV_WINOGRAD");
  if (w && !strcmp(w, "0")) return false;
  return g.KH == 4 && g.KW == 4 && g.sh == 2 && g.sw == 2 && g.dh == 1 && g.dw == 1 && OC >= 8 &&
         N * g.OH * g.OW >= 64;
}

bool geometry_ok(const ConvGeom& g) {
  if (g.C <= 0 || g.H <= 0 || g.W <= 0 || g.KH <= 0 || g.KW <= 0 || g.sh <= 0 || g.sw <= 0 ||
      g.dh <= 0 || g.dw <= 0 || g.ph < 0 || g.pw < 0 || g.OH <= 0 || g.OW <= 0)
    return false;
  const bool pointwise = g.KH == 1 && g.KW == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 &&
                         g.pw == 0 && g.OH == g.H && g.OW == g.W;
  return !pointwise;
}

bool lanes_ok(int64_t n) { return (n + kLanes - 1) / kLanes * kLanes * 4 <= 5 * n; }

// 64-byte aligned per-thread scratch kept for the next call (grow-only: no allocation, page
// faults or zeroing per call). 64: each 16-lane operand row of the tile is one cache line (W
// used to be packed into a per-call std::vector, whose 16-byte alignment from malloc could
// split every other 32-byte load across two lines).
float* scratch(std::vector<float>& v, int64_t n) {
  if ((int64_t)v.size() < n + 16) v.resize((size_t)(n + 16));
  const uintptr_t a = (uintptr_t)v.data();
  return (float*)((a + 63) & ~(uintptr_t)63);
}

int64_t floor_div(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }

// One dimension's parity classes for backward_input: pixel i = a·s + q (a ∈ [0, count)) is
// reached by the taps k with (q + p − k·d) ≡ 0 (mod s), from output o = a + δ(k).
struct Classes {
  std::vector<int64_t> count, first;        // per class q: pixels, index of its first tap
  std::vector<int64_t> tap, delta;          // taps of all classes, class by class
  int64_t lo = 0, hi = 0;                   // output index range read, [lo, hi)
  Classes(int64_t n, int64_t k, int64_t s, int64_t p, int64_t d, int64_t outn) {
    lo = 0;
    hi = outn;
    for (int64_t q = 0; q < s; ++q) {
      const int64_t cnt = q < n ? (n - q + s - 1) / s : 0;
      count.push_back(cnt);
      first.push_back((int64_t)tap.size());
      for (int64_t kk = 0; kk < k; ++kk) {
        const int64_t t = q + p - kk * d;
        if (((t % s) + s) % s) continue;
        const int64_t dl = floor_div(t, s);
        tap.push_back(kk);
        delta.push_back(dl);
        if (cnt > 0) {
          lo = std::min(lo, dl);
          hi = std::max(hi, cnt - 1 + dl + 1);
        }
      }
    }
    first.push_back((int64_t)tap.size());
  }
  int64_t taps(int64_t q) const { return first[q + 1] - first[q]; }
};

}  // namespace

bool conv2d_backward_filter_direct(const float* x, const float* dy, float* dwt, int64_t N,
                                   int64_t OC, const ConvGeom& g, int acc) {
  if (N <= 0 || OC <= 0 || !geometry_ok(g) || !lanes_ok(OC)) return false;
  const int64_t KK = g.KH * g.KW, CKK = g.C * KK, OHW = g.OH * g.OW;
  const Mode m = mode();
  if (m == kNever || (m == kRule && N * OHW < kMinPixelsFilter)) return false;
  const int64_t HP = (g.OH - 1) * g.sh + (g.KH - 1) * g.dh + 1;
  const int64_t WP = (g.OW - 1) * g.sw + (g.KW - 1) * g.dw + 1;
  const int64_t OB = (OC + kLanes - 1) / kLanes, TB = (CKK + kTile - 1) / kTile;
  const int64_t xp_img = g.C * HP * WP, dy_img = OB * kLanes * OHW;
  const int64_t nb = std::max<int64_t>(
      1, std::min({N, kBlockDy / dy_img, kBlockAll / (xp_img + dy_img)}));

  std::vector<int64_t> off((size_t)(TB * kTile), 0);
  for (int64_t c = 0; c < g.C; ++c)
    for (int64_t kh = 0; kh < g.KH; ++kh)
      for (int64_t kw = 0; kw < g.KW; ++kw)
        off[(size_t)((c * g.KH + kh) * g.KW + kw)] = (c * HP + kh * g.dh) * WP + kw * g.dw;

  // One thread's rectangle of tiles: 16-channel groups [ob0, ob1) × tap groups [tb0, tb1).
  // It pads only the x channels its taps read and packs only its dy channel groups, so the
  // threads never wait for each other (one parallel region; the prep is duplicated only
  // where two rectangles share channels).
  auto rect = [&](int64_t ob0, int64_t ob1, int64_t tb0, int64_t tb1) {
    const int64_t t0 = tb0 * kTile, t1 = std::min(CKK, tb1 * kTile), nob = ob1 - ob0;
    const int64_t c0 = t0 / KK, c1 = (t1 + KK - 1) / KK;
    thread_local std::vector<float> s_xp, s_dy, s_acc;
    thread_local std::vector<const float*> rows;
    float* xp = scratch(s_xp, nb * xp_img);
    float* dyp = scratch(s_dy, nob * nb * OHW * kLanes);        // [ob][i][pix][16]
    float* dwT = scratch(s_acc, nob * CKK * kLanes);            // [ob][t][16], set by block 0
    rows.resize((size_t)(nb * g.OH));
    for (int64_t n0 = 0; n0 < N; n0 += nb) {
      const int64_t cnt = std::min(nb, N - n0);
      for (int64_t i = 0; i < cnt; ++i) {
        const float* xi = x + ((n0 + i) * g.C + c0) * g.H * g.W;
        pad_image(xi, c1 - c0, g.H, g.W, g.ph, g.pw, HP, WP, xp + i * xp_img + c0 * HP * WP);
        const float* src = dy + (n0 + i) * OC * OHW;
        for (int64_t ob = ob0; ob < ob1; ++ob)
          conv_grad_pack16_avx2(src + ob * kLanes * OHW, OHW, std::min<int64_t>(kLanes, OC - ob * kLanes),
                                OHW, dyp + ((ob - ob0) * nb + i) * OHW * kLanes, kLanes);
        for (int64_t oh = 0; oh < g.OH; ++oh)
          rows[(size_t)(i * g.OH + oh)] = xp + i * xp_img + oh * g.sh * WP;
      }
      for (int64_t tb = tb0; tb < tb1; ++tb)
        for (int64_t ob = 0; ob < nob; ++ob) {
          const int64_t tap0 = tb * kTile;
          const int np = (int)std::min<int64_t>(kTile, CKK - tap0);
          conv_grad_tile_avx2(np, rows.data(), cnt * g.OH, g.OW, g.sw, off.data() + tap0,
                              dyp + ob * nb * OHW * kLanes, dwT + (ob * CKK + tap0) * kLanes, n0 > 0);
        }
    }
    // dW[oc][t] (= | +=) dwT[oc / 16][t][oc % 16] over the rectangle.
    for (int64_t ob = ob0; ob < ob1; ++ob)
      conv_grad_unpack16_avx2(dwT + ((ob - ob0) * CKK + t0) * kLanes, t1 - t0,
                              std::min<int64_t>(kLanes, OC - ob * kLanes),
                              dwt + ob * kLanes * CKK + t0, CKK, acc);
  };
  int nt = available_threads();
  if (2.0 * (double)N * OC * CKK * OHW < 2.0e6) nt = 1;
  // Split the axis whose per-thread prep is duplicated less: threads splitting channel groups
  // each pad every x channel, threads splitting tap groups each pack every dy channel group.
  // (Deep conv64 layers: padded x is 1.2–6× dy per image; the 3-channel input layers the
  // reverse.) Tap groups only when there are enough of them to split evenly.
  const bool by_taps = OB < nt || (xp_img > dy_img && TB >= 4 * (int64_t)nt);
  parallel(nt, [&](int tid, int nthr) {
    if (!by_taps) rect(OB * tid / nthr, OB * (tid + 1) / nthr, 0, TB);
    else rect(0, OB, TB * tid / nthr, TB * (tid + 1) / nthr);
  });
  return true;
}

bool conv2d_backward_input_direct(const float* dy, const float* w, float* dx, int64_t N,
                                  int64_t OC, const ConvGeom& g, int acc) {
  if (N <= 0 || OC <= 0 || !geometry_ok(g) || !lanes_ok(g.C)) return false;
  const Mode m = mode();
  if (m == kRule && winograd_input_is_faster(N, OC, g) &&
      conv2d_backward_input_winograd_avx2(dy, w, dx, N, OC, g, acc))
    return true;
  if (m == kNever || (m == kRule && N * g.OH * g.OW < kMinPixelsInput)) return false;
  const Classes ch(g.H, g.KH, g.sh, g.ph, g.dh, g.OH), cw(g.W, g.KW, g.sw, g.pw, g.dw, g.OW);
  const int64_t top = -ch.lo, left = -cw.lo, OHP = ch.hi - ch.lo, OWP = cw.hi - cw.lo;
  const int64_t CB = (g.C + kLanes - 1) / kLanes, KK = g.KH * g.KW, HW = g.H * g.W;
  const int64_t OHW = g.OH * g.OW, dyp_img = OHP * OWP * OC;

  // Wp[class][cb][oc chunk][tap of the class][oc in chunk][16], classes (qh, qw) row-major;
  // wbase = class offsets. A chunk's W (≤ 256 steps × 64 B) stays in L1 while every pixel
  // tile of the class runs over it (unchunked, conv64's 4 taps × 256 channels streamed 64 KiB
  // from L2 per tile).
  const int64_t nclass = g.sh * g.sw;
  auto chunk = [&](int64_t nt) { return std::min<int64_t>(OC, std::max<int64_t>(8, 256 / std::max<int64_t>(1, nt))); };
  std::vector<int64_t> wbase((size_t)nclass + 1, 0);
  for (int64_t qh = 0; qh < g.sh; ++qh)
    for (int64_t qw = 0; qw < g.sw; ++qw)
      wbase[(size_t)(qh * g.sw + qw + 1)] =
          wbase[(size_t)(qh * g.sw + qw)] + CB * ch.taps(qh) * cw.taps(qw) * OC * kLanes;
  // The calling thread's buffer; workers only read it during this call. Every element is
  // written by the packing below.
  thread_local std::vector<float> s_wp;
  float* const wpk = scratch(s_wp, wbase[(size_t)nclass]);
  // Where tap (kh, kw) goes: its class q and its index in the class's taps.
  std::vector<int64_t> tap_class((size_t)KK), tap_index((size_t)KK);
  for (int64_t qh = 0; qh < g.sh; ++qh)
    for (int64_t a = 0; a < ch.taps(qh); ++a)
      for (int64_t qw = 0; qw < g.sw; ++qw)
        for (int64_t b = 0; b < cw.taps(qw); ++b) {
          const int64_t kh = ch.tap[(size_t)(ch.first[qh] + a)], kw = cw.tap[(size_t)(cw.first[qw] + b)];
          tap_class[(size_t)(kh * g.KW + kw)] = qh * g.sw + qw;
          tap_index[(size_t)(kh * g.KW + kw)] = a * cw.taps(qw) + b;
        }
  // Packed by output channel and 16-channel block: the block w[oc][cb·16 .. +16][KK] is turned
  // tap-major by 8×8 transposes, then each tap's 16 lanes are copied to their place. (Element
  // by element, with the chunk arithmetic per element, packing cost 2–3× the whole convolution
  // at batch 1.)
  std::vector<int64_t> tap_nt((size_t)KK), tap_kc((size_t)KK), tap_base((size_t)KK);
  for (int64_t t = 0; t < KK; ++t) {
    const int64_t q = tap_class[(size_t)t];
    tap_nt[(size_t)t] = ch.taps(q / g.sw) * cw.taps(q % g.sw);
    tap_kc[(size_t)t] = chunk(tap_nt[(size_t)t]);
    tap_base[(size_t)t] = wbase[(size_t)q];
  }
  parallel_for(OC, (double)(CB * KK * kLanes), [&](int64_t o0, int64_t o1) {
    thread_local std::vector<float> s_tmp;
    float* const tmp = scratch(s_tmp, KK * kLanes);
    for (int64_t oc = o0; oc < o1; ++oc)
      for (int64_t cb = 0; cb < CB; ++cb) {
        conv_grad_pack16_avx2(w + (oc * g.C + cb * kLanes) * KK, KK,
                              std::min<int64_t>(kLanes, g.C - cb * kLanes), KK, tmp, kLanes);
        for (int64_t t = 0; t < KK; ++t) {
          const int64_t nt = tap_nt[(size_t)t], kc = tap_kc[(size_t)t];
          const int64_t oc0 = oc / kc * kc, kq = std::min(kc, OC - oc0);
          float* d = wpk + tap_base[(size_t)t] + cb * nt * OC * kLanes +
                     (nt * oc0 + tap_index[(size_t)t] * kq + oc - oc0) * kLanes;
          memcpy(d, tmp + t * kLanes, sizeof(float) * kLanes);
        }
      }
  });

  // dy[n] → dyp[(oh + top)·OWP + ow + left][oc], zero elsewhere.
  auto prep = [&](int64_t n, float* dyp) {
    memset(dyp, 0, sizeof(float) * (size_t)dyp_img);
    const float* src = dy + n * OC * OHW;
    const int64_t oc16 = OC / kLanes * kLanes;
    for (int64_t oh = 0; oh < g.OH; ++oh) {
      float* d = dyp + ((oh + top) * OWP + left) * OC;
      for (int64_t oc = 0; oc < oc16; oc += kLanes)
        conv_grad_pack16_avx2(src + oc * OHW + oh * g.OW, OHW, kLanes, g.OW, d + oc, OC);
      for (int64_t oc = oc16; oc < OC; ++oc)
        for (int64_t ow = 0; ow < g.OW; ++ow) d[ow * OC + oc] = src[oc * OHW + oh * g.OW + ow];
    }
  };
  // Work items: 16-channel blocks cb of image n. Each class's tiles of 6 pixels are summed
  // chunk by chunk into sums[class][pixel of the class][16]; then dx's 16 planes are written
  // row by row (writing class by class touched every dx line sh·sw times, out of cache).
  int64_t maxB = 0;  // pixels per row of the widest column class
  for (int64_t qw = 0; qw < g.sw; ++qw) maxB = std::max(maxB, cw.count[(size_t)qw]);
  std::vector<int64_t> cls_off((size_t)nclass + 1, 0);
  for (int64_t q = 0; q < nclass; ++q)
    cls_off[(size_t)q + 1] = cls_off[(size_t)q] + ch.count[(size_t)(q / g.sw)] * cw.count[(size_t)(q % g.sw)] * kLanes;
  auto items = [&](int64_t n, const float* dyp, int64_t i0, int64_t i1) {
    thread_local std::vector<float> s_sums, s_tr;
    float* sums = scratch(s_sums, HW * kLanes);
    float* tr = scratch(s_tr, g.sw * kLanes * maxB);
    int64_t off[kTile];
    std::vector<const float*> rows((size_t)KK), crow((size_t)KK);
    for (int64_t cb = i0; cb < i1; ++cb) {
      for (int64_t qh = 0; qh < g.sh; ++qh)
        for (int64_t qw = 0; qw < g.sw; ++qw) {
          const int64_t A = ch.count[(size_t)qh], B = cw.count[(size_t)qw];
          const int64_t tw = cw.taps(qw), nt = ch.taps(qh) * tw, kc = chunk(nt);
          float* cs = sums + cls_off[(size_t)(qh * g.sw + qw)];
          for (int64_t a = 0; a < ch.taps(qh); ++a)
            for (int64_t b = 0; b < tw; ++b)
              rows[(size_t)(a * tw + b)] =
                  dyp + ((ch.delta[(size_t)(ch.first[qh] + a)] + top) * OWP +
                         cw.delta[(size_t)(cw.first[qw] + b)] + left) * OC;
          const float* wpc = wpk + wbase[(size_t)(qh * g.sw + qw)] + cb * nt * OC * kLanes;
          for (int64_t oc0 = 0; oc0 < OC; oc0 += kc) {
            const int64_t kq = std::min(kc, OC - oc0);
            for (int64_t r = 0; r < nt; ++r) crow[(size_t)r] = rows[(size_t)r] + oc0;
            // Pixel p = a·B + b of the class (a, b walked without divisions).
            for (int64_t p0 = 0, a = 0, b = 0; p0 < A * B; p0 += kTile) {
              const int np = (int)std::min<int64_t>(kTile, A * B - p0);
              for (int j = 0; j < np; ++j) {
                off[j] = (a * OWP + b) * OC;
                if (++b == B) b = 0, ++a;
              }
              conv_grad_tile_avx2(np, crow.data(), nt, kq, 1, off, wpc + nt * oc0 * kLanes,
                                  cs + p0 * kLanes, oc0 > 0);
            }
          }
        }
      // dx[cb·16 + v][a·sh + qh][b·sw + qw] = sums[class (qh, qw)][a·B + b][v], row by row:
      // each class row is transposed to channel rows (tr[qw][v][b], 8×8 register transposes),
      // then the sw class rows are interleaved into dx's row. (Strided scalar copies straight
      // from the sums were 13–16% of the kernel's time on conv64's layers.)
      const int64_t lanes = std::min<int64_t>(kLanes, g.C - cb * kLanes);
      for (int64_t ih = 0, qh = 0, a = 0; ih < g.H; ++ih) {
        for (int64_t qw = 0; qw < g.sw && qw < g.W; ++qw) {
          const int64_t B = cw.count[(size_t)qw];
          conv_grad_unpack16_avx2(sums + cls_off[(size_t)(qh * g.sw + qw)] + a * B * kLanes, B, lanes,
                                  tr + qw * kLanes * maxB, maxB, 0);
        }
        for (int64_t v = 0; v < lanes; ++v) {
          float* __restrict row = dx + ((n * g.C + cb * kLanes + v) * g.H + ih) * g.W;
          const float* __restrict t0 = tr + v * maxB;
          if (g.sw == 1) {
            if (acc) {
              for (int64_t b = 0; b < g.W; ++b) row[b] += t0[b];
            } else {
              for (int64_t b = 0; b < g.W; ++b) row[b] = t0[b];
            }
          } else if (g.sw == 2) {
            const float* __restrict t1 = tr + (kLanes + v) * maxB;
            const int64_t B1 = g.W / 2;  // pixels of class 1; class 0 has one more when W is odd
            if (acc) {
              for (int64_t b = 0; b < B1; ++b) row[2 * b] += t0[b], row[2 * b + 1] += t1[b];
              if (g.W % 2) row[g.W - 1] += t0[B1];
            } else {
              for (int64_t b = 0; b < B1; ++b) row[2 * b] = t0[b], row[2 * b + 1] = t1[b];
              if (g.W % 2) row[g.W - 1] = t0[B1];
            }
          } else {
            for (int64_t qw = 0; qw < g.sw && qw < g.W; ++qw) {
              const float* tq = tr + (qw * kLanes + v) * maxB;
              const int64_t B = cw.count[(size_t)qw];
              if (acc) {
                for (int64_t b = 0; b < B; ++b) row[b * g.sw + qw] += tq[b];
              } else {
                for (int64_t b = 0; b < B; ++b) row[b * g.sw + qw] = tq[b];
              }
            }
          }
        }
        if (++qh == g.sh) qh = 0, ++a;
      }
    }
  };
  const int64_t nitems = CB;
  const double image_flops = 2.0 * (double)CB * kLanes * OC * KK * (double)OHW;
  const int nt = available_threads();
  if (nt <= 1 || N >= nt) {
    // Images handed out by an atomic counter, not in fixed halves: a thread that loses its core
    // for a while (a shared machine) no longer holds up the call (as in conv2d_direct_avx2).
    // Each image is computed by one thread, so results do not depend on which.
    std::atomic<int64_t> next{0};
    parallel(image_flops * (double)N < 2.0e6 ? 1 : nt, [&](int, int) {
      thread_local std::vector<float> s_dyp;
      float* dyp = scratch(s_dyp, dyp_img);
      for (int64_t n; (n = next.fetch_add(1, std::memory_order_relaxed)) < N;) {
        prep(n, dyp);
        items(n, dyp, 0, nitems);
      }
    });
  } else {
    // Fewer images than threads (batch-1 inference of a transposed conv): split each image.
    std::vector<float> s_dyp((size_t)dyp_img + 8);
    for (int64_t n = 0; n < N; ++n) {
      prep(n, s_dyp.data());
      parallel_for(nitems, image_flops / (double)nitems,
                   [&](int64_t i0, int64_t i1) { items(n, s_dyp.data(), i0, i1); });
    }
  }
  return true;
}

#else  // no AVX2 tile on this target (wasm, other CPUs): always the im2col path

bool conv2d_backward_filter_direct(const float*, const float*, float*, int64_t, int64_t,
                                   const ConvGeom&, int) {
  return false;
}

bool conv2d_backward_input_direct(const float*, const float*, float*, int64_t, int64_t,
                                  const ConvGeom&, int) {
  return false;
}

#endif

}  // namespace lamkit
