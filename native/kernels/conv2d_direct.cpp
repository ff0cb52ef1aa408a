// Dispatch for the direct conv2d forward (conv2d_direct.h): when the active ISA (lam_isa_name,
// lowered by lam_force_isa) is avx2 or avx512, Winograd F(2×2, 2×2) for 4×4 stride-2 layers with
// ≥ 8 input channels, the pixel-vector kernel for few taps (OW % 8 == 0) or else the
// channel-vector AVX2 kernel where it beats im2col + SGEMM; otherwise it returns false and the
// caller takes the im2col path.
// LAMKIT_CONV_DIRECT (read per call, so tests and A/B runs can flip it in-process):
//   0 = never (im2col everywhere), 1 = every geometry the channel kernel takes (the pixel kernel
//   still where its rule holds), unset = measured rules;
//   any other value is ignored with a warning on stderr (once).
// LAMKIT_CONV_WINOGRAD=0 (read per call) turns the Winograd kernel off (A/B runs); mode 1 above
// also does, so that mode still means the channel kernel.
#include "conv2d_direct.h"
#include "weight_stamp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lamkit/kernels.h>

namespace lamkit {

#if defined(__x86_64__) && !defined(__wasm__)
namespace {

// Where direct beats im2col + SGEMM (benchmarks/onnx/README.md).
bool direct_is_faster(int64_t N, int64_t OC, const ConvGeom& g) {
  // Direct / im2col, conv64 layers (Zen 3, loaded machine, so ±15%; rerun
  // benchmarks/onnx/conv-direct-ab.mjs): ≥ 64 output pixels and ≥ 96 taps 0.6–0.9 (batch 1,
  // 2 threads: one parallel region instead of im2col's + the GEMM's) and 0.75–0.95 at batch
  // 32–64; 16 output pixels (batch-1 4×4 layers) ≈ 1.0–1.5: im2col's column matrix is smaller
  // than W and the skinny SGEMM needs no repack; 3-channel layers (48 taps) 1.0–1.3: the tile
  // epilogue is a large share of a short tap loop. grid32 OC = 8: 1.2 (half-empty 16-channel
  // tiles).
  // Under a weight stamp (weight_stamp.h: the packed panels stay cached with no compare) the
  // 16-pixel layers win too: conv64 IDM batch 1 with its 4×4 layer direct, B/A 0.92 median.
  const int64_t min_pixels = weight_stamp() != 0 ? 16 : 64;
  return N * g.OH * g.OW >= min_pixels && OC > 8 && g.C * g.KH * g.KW >= 64;
}

// Where the pixel-vector kernel beats both (conv2d_direct_px_avx2.cpp needs OW % 8 == 0):
// few taps, where the channel kernel's transposing epilogue weighs most and the rule above
// leaves the layer to im2col. Best CPU time vs im2col, 1 thread (benchmarks/onnx/
// conv-direct-ab.mjs, batch 1/16/32/64): conv64's 3→32 layer (48 taps) 0.81–0.88, its 3→64 one
// 0.80–0.96 from batch 16 (1.12 at batch 1, 0.1 ms), grid32's 2→8 (32 taps) 0.85–0.93, its 1→16
// (16 taps) 1.02–1.17; at 96 taps (6→32) 1.04 and 512 taps 1.05 of the channel kernel.
bool px_is_faster(int64_t N, const ConvGeom& g) {
  const int64_t taps = g.C * g.KH * g.KW;
  return g.OW % 8 == 0 && taps >= 32 && taps < 64 && N * g.OH * g.OW >= 64;
}

// Where Winograd F(2×2, 2×2) (4×4 stride 2 only) beats the direct kernels. Min time vs the
// channel kernel, conv64 layers at batch 64, 1 thread: 32→64 0.86, 64→128 0.72, 128→128 0.85;
// 2 threads 0.72 / 0.68 / 0.59; batch 1, 2 threads 0.7–1.1; grid32 layers (8→16, 16→32,
// 32→32) at batch 16 0.5–0.95. Below 8 input channels (conv64's 3→32 and 6→32, 12–24 phase
// channels) the transforms outweigh the saved FMAs: 1.4–2.7.
bool winograd_is_faster(int64_t OC, const ConvGeom& g) {
  return g.KH == 4 && g.KW == 4 && g.sh == 2 && g.sw == 2 && g.dh == 1 && g.dw == 1 && OC > 8 && g.C >= 8;
}

}  // namespace
#endif

bool conv2d_direct(const float* x, const float* w, float* y, int64_t N, int64_t OC,
                   const ConvGeom& g, int acc, const ConvEpilogue& ep) {
#if defined(__x86_64__) && !defined(__wasm__)
  const char* isa = lam_isa_name();
  if (strcmp(isa, "avx2") != 0 && strcmp(isa, "avx512") != 0) return false;
  const char* mode = getenv("LAMKIT_CONV_DIRECT");
  if (mode && *mode && strcmp(mode, "0") != 0 && strcmp(mode, "1") != 0) {
    static bool warned = false;  // a benign race at worst prints twice
    if (!warned) {
      warned = true;
      fprintf(stderr, "lamkit: LAMKIT_CONV_DIRECT='%s' ignored (expected 0 or 1; unset = automatic)\n", mode);
    }
    mode = nullptr;
  }
  if (mode && !strcmp(mode, "0")) return false;
  const char* wmode = getenv("LAMKIT_CONV_WINOGRAD");
  const bool wino_off = (wmode && !strcmp(wmode, "0")) || (mode && !strcmp(mode, "1"));
  if (!wino_off && winograd_is_faster(OC, g) && conv2d_winograd_avx2(x, w, y, N, OC, g, acc, ep)) return true;
  if (px_is_faster(N, g) && conv2d_direct_px_avx2(x, w, y, N, OC, g, acc, ep)) return true;
  if (!(mode && !strcmp(mode, "1")) && !direct_is_faster(N, OC, g)) return false;
  return conv2d_direct_avx2(x, w, y, N, OC, g, acc, ep);
#else
  (void)x, (void)w, (void)y, (void)N, (void)OC, (void)g, (void)acc, (void)ep;
  return false;
#endif
}

}  // namespace lamkit
