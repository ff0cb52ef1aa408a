// im2col / col2im for NCHW convolutions (groups = 1), shared by conv2d.cpp and
// conv_transpose2d.cpp. The column matrix has CKK = C·KH·KW rows and, per image, OH·OW columns;
// `count` images (image i at x + i·xstride) sit side by side, image i in columns
// [i·OH·OW, (i+1)·OH·OW) of every row, row stride ldcol (≥ count·OH·OW):
//   col[(c·KH + kh)·KW + kw][i·OH·OW + oh·OW + ow] = x_i[c][oh·sh − ph + kh·dh][ow·sw − pw + kw·dw] (0 outside)
// col2im is its transpose: it scatter-adds the columns back into the images (x += colᵀ).
// Rows are the outer loop so every col row is written (read) in one sequential run: with the
// images inner, a deep layer's 4×4 outputs made 64-byte writes at 1 KiB strides over a 2 MiB
// buffer, and im2col cost more than the GEMM (6.4 vs 4.8 ms at conv64's 128-channel layer).
#ifndef LAMKIT_IM2COL_H
#define LAMKIT_IM2COL_H

#include <stdint.h>
#include <string.h>

#include <algorithm>
#include <vector>

namespace lamkit {

struct ConvGeom {
  int64_t C, H, W, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW;
};

// First/last+1 output index o whose input index o·s + off lies in [0, n).
inline void valid_range(int64_t n, int64_t s, int64_t off, int64_t count, int64_t* lo,
                        int64_t* hi) {
  // o·s + off ≥ 0  ⇔ o ≥ ceil(−off / s);   o·s + off ≤ n − 1 ⇔ o ≤ floor((n − 1 − off) / s)
  int64_t a = -off <= 0 ? 0 : (-off + s - 1) / s;
  int64_t b = (n - 1 - off) < 0 ? -1 : (n - 1 - off) / s;
  if (b > count - 1) b = count - 1;
  // A tap that never lands inside (large padding/dilation) gives an empty range at count, so
  // callers may zero [0, lo) and [hi, count) without running past the row.
  if (a > count) a = count;
  *lo = a;
  *hi = b + 1 > a ? b + 1 : a;
}

// Valid output ranges of every kernel row kh (over oh) and column kw (over ow). They depend only
// on the geometry; computing them per (c, kh, kw) row cost four integer divisions per row, which
// for the 4×4 / 8×8 outputs of a conv64 layer was ~2 cycles per copied element.
struct TapRanges {
  static const int kMax = 32;
  int64_t oh_lo[kMax], oh_hi[kMax], ow_lo[kMax], ow_hi[kMax];
  bool ok;
  explicit TapRanges(const ConvGeom& g) : ok(g.KH <= kMax && g.KW <= kMax) {
    if (!ok) return;
    for (int64_t kh = 0; kh < g.KH; ++kh) valid_range(g.H, g.sh, kh * g.dh - g.ph, g.OH, &oh_lo[kh], &oh_hi[kh]);
    for (int64_t kw = 0; kw < g.KW; ++kw) valid_range(g.W, g.sw, kw * g.dw - g.pw, g.OW, &ow_lo[kw], &ow_hi[kw]);
  }
  void rows(const ConvGeom& g, int64_t kh, int64_t* lo, int64_t* hi) const {
    if (ok) { *lo = oh_lo[kh]; *hi = oh_hi[kh]; }
    else valid_range(g.H, g.sh, kh * g.dh - g.ph, g.OH, lo, hi);
  }
  void cols(const ConvGeom& g, int64_t kw, int64_t* lo, int64_t* hi) const {
    if (ok) { *lo = ow_lo[kw]; *hi = ow_hi[kw]; }
    else valid_range(g.W, g.sw, kw * g.dw - g.pw, g.OW, lo, hi);
  }
};

inline void im2col_unstaged(const float* x, int64_t count, int64_t xstride, const ConvGeom& g,
                            float* col, int64_t ldcol) {
  const TapRanges tr(g);
  const int64_t OHW = g.OH * g.OW;
  for (int64_t c = 0; c < g.C; ++c) {
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      const int64_t offh = kh * g.dh - g.ph;
      int64_t oh_lo, oh_hi;
      tr.rows(g, kh, &oh_lo, &oh_hi);
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        const int64_t offw = kw * g.dw - g.pw;
        int64_t ow_lo, ow_hi;
        tr.cols(g, kw, &ow_lo, &ow_hi);
        float* row0 = col + ((c * g.KH + kh) * g.KW + kw) * ldcol;
        for (int64_t i = 0; i < count; ++i) {
          const float* xc = x + i * xstride + c * g.H * g.W;
          float* row = row0 + i * OHW;
          // Output rows outside [oh_lo, oh_hi) are contiguous runs of zeros.
          memset(row, 0, sizeof(float) * (size_t)(oh_lo * g.OW));
          for (int64_t oh = oh_lo; oh < oh_hi; ++oh) {
            float* dst = row + oh * g.OW;
            const float* src = xc + (oh * g.sh + offh) * g.W + offw;
            for (int64_t ow = 0; ow < ow_lo; ++ow) dst[ow] = 0.0f;
            if (g.sw == 1) {
              memcpy(dst + ow_lo, src + ow_lo, sizeof(float) * (size_t)(ow_hi - ow_lo));
            } else if (g.sw == 2) {
              for (int64_t ow = ow_lo; ow < ow_hi; ++ow) dst[ow] = src[2 * ow];
            } else {
              for (int64_t ow = ow_lo; ow < ow_hi; ++ow) dst[ow] = src[ow * g.sw];
            }
            for (int64_t ow = ow_hi; ow < g.OW; ++ow) dst[ow] = 0.0f;
          }
          memset(row + oh_hi * g.OW, 0, sizeof(float) * (size_t)((g.OH - oh_hi) * g.OW));
        }
      }
    }
  }
}

// x_i[c][ih][iw] += col[...] for every valid tap of every image (x must be initialised).
inline void col2im_add_unstaged(const float* col, int64_t ldcol, int64_t count, const ConvGeom& g,
                                float* x, int64_t xstride) {
  const TapRanges tr(g);
  const int64_t OHW = g.OH * g.OW;
  for (int64_t c = 0; c < g.C; ++c) {
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      const int64_t offh = kh * g.dh - g.ph;
      int64_t oh_lo, oh_hi;
      tr.rows(g, kh, &oh_lo, &oh_hi);
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        const int64_t offw = kw * g.dw - g.pw;
        int64_t ow_lo, ow_hi;
        tr.cols(g, kw, &ow_lo, &ow_hi);
        const float* row0 = col + ((c * g.KH + kh) * g.KW + kw) * ldcol;
        for (int64_t i = 0; i < count; ++i) {
          float* xc = x + i * xstride + c * g.H * g.W;
          const float* row = row0 + i * OHW;
          for (int64_t oh = oh_lo; oh < oh_hi; ++oh) {
            const float* src = row + oh * g.OW;
            float* dst = xc + (oh * g.sh + offh) * g.W + offw;
            if (g.sw == 1) {
              for (int64_t ow = ow_lo; ow < ow_hi; ++ow) dst[ow] += src[ow];
            } else if (g.sw == 2) {
              for (int64_t ow = ow_lo; ow < ow_hi; ++ow) dst[2 * ow] += src[ow];
            } else {
              for (int64_t ow = ow_lo; ow < ow_hi; ++ow) dst[ow * g.sw] += src[ow];
            }
          }
        }
      }
    }
  }
}

// Staged variants (used when a padded image channel fits the stage): each image channel is
// first copied into a zero-bordered (H+2ph)×(W+2pw) stage, split by column phase into sw planes
// (plane q holds padded columns q, q+sw, …). Tap (kh, kw) of output (oh, ow) then reads plane
// (kw·dw) mod sw, row oh·sh + kh·dh, column ow + ⌊kw·dw / sw⌋: every tap row is OH contiguous
// runs of OW floats, with no range checks, zero runs or strided reads. For conv64's deep layers
// (4×4 / 8×8 outputs, stride 2) the unstaged loops spent ~10 cycles per element on short
// memsets, range logic and stride-2 gathers (128-channel 8×8 layer, batch 32: im2col 1.5 →
// 0.5 ms, col2im 1.0 → 0.6 ms). Results are bit-identical to the unstaged loops (im2col copies;
// col2im stages x's own values and adds the taps onto them in the unstaged order).
const int64_t kStageFloats = 16384;  // 64 KiB: the stage stays in L1/L2 while its taps are read

struct Stage {
  int64_t Hp, Wq, plane, image;  // rows, plane width, floats per plane / per image
  Stage(const ConvGeom& g)
      : Hp(g.H + 2 * g.ph), Wq((g.W + 2 * g.pw + g.sw - 1) / g.sw), plane(Hp * Wq), image(plane * g.sw) {}
};

// The stage must hold every tap (guards callers that pass an OH/OW beyond the formula's).
inline bool stage_fits(const ConvGeom& g) {
  if (g.ph < 0 || g.pw < 0 || g.sh <= 0 || g.sw <= 0 || g.dh <= 0 || g.dw <= 0 || g.OH <= 0 ||
      g.OW <= 0 || g.KH <= 0 || g.KW <= 0)
    return false;
  if (Stage(g).image > kStageFloats) return false;
  return (g.OH - 1) * g.sh + (g.KH - 1) * g.dh <= g.H + 2 * g.ph - 1 &&
         (g.OW - 1) * g.sw + (g.KW - 1) * g.dw <= g.W + 2 * g.pw - 1;
}

// Per-thread stage, kept for the next call (freed when the thread exits).
inline float* stage_buffer(int64_t n) {
  thread_local std::vector<float> buf;
  if ((int64_t)buf.size() < n) buf.resize((size_t)n);
  return buf.data();
}

// x channel (H×W) → its stage interior, split by column phase (to_x: back). Borders are left
// as they are. SW = 2 is a compile-time stride so the (de)interleave vectorises.
template <int SW>
inline void stage_io(const ConvGeom& g, const Stage& sg, float* __restrict st,
                     float* __restrict xc, bool to_x) {
  const int64_t sw = SW ? SW : g.sw;
  for (int64_t q = 0; q < sw; ++q) {
    // First image column w whose padded column w + pw is in plane q.
    const int64_t w0 = ((q - g.pw) % sw + sw) % sw;
    if (w0 >= g.W) continue;
    const int64_t n = (g.W - w0 + sw - 1) / sw;
    float* pl = st + q * sg.plane + g.ph * sg.Wq + (w0 + g.pw) / sw;
    for (int64_t h = 0; h < g.H; ++h) {
      float* __restrict r = pl + h * sg.Wq;
      float* __restrict xr = xc + h * g.W + w0;
      if (to_x) {
        for (int64_t j = 0; j < n; ++j) xr[j * sw] = r[j];
      } else {
        for (int64_t j = 0; j < n; ++j) r[j] = xr[j * sw];
      }
    }
  }
}

inline void stage_image(const ConvGeom& g, const Stage& sg, float* st, float* xc, bool to_x) {
  if (g.sw == 2) stage_io<2>(g, sg, st, xc, to_x);
  else stage_io<0>(g, sg, st, xc, to_x);
}

// OH runs of N (0: n) floats between a col row (stride n) and the stage (stride sstride):
// col → stage added (ADD, col2im) or stage → col copied (im2col).
template <bool ADD, int N>
inline void runs(float* __restrict d, float* __restrict s, int64_t rows, int64_t n,
                 int64_t sstride) {
  const int64_t m = N ? N : n;
  for (int64_t r = 0; r < rows; ++r, d += m, s += sstride) {
    if (ADD) {
      for (int64_t j = 0; j < m; ++j) s[j] += d[j];
    } else {
      memcpy(d, s, sizeof(float) * (size_t)m);
    }
  }
}

// Every tap row of one channel for the gn staged images: colc = the channel's first col row,
// already offset to the group's first image.
template <bool ADD>
inline void tap_runs(const ConvGeom& g, const Stage& sg, float* st, float* colc, int64_t ldcol,
                     int64_t gn) {
  const int64_t OHW = g.OH * g.OW, rs = g.sh * sg.Wq;
  for (int64_t kh = 0; kh < g.KH; ++kh) {
    for (int64_t kw = 0; kw < g.KW; ++kw) {
      float* row = colc + (kh * g.KW + kw) * ldcol;
      const int64_t t = kw * g.dw;
      float* p0 = st + (t % g.sw) * sg.plane + kh * g.dh * sg.Wq + t / g.sw;
      for (int64_t i = 0; i < gn; ++i) {
        float* p = p0 + i * sg.image;
        float* d = row + i * OHW;
        switch (g.OW) {
          case 4: runs<ADD, 4>(d, p, g.OH, 4, rs); break;
          case 8: runs<ADD, 8>(d, p, g.OH, 8, rs); break;
          case 16: runs<ADD, 16>(d, p, g.OH, 16, rs); break;
          case 32: runs<ADD, 32>(d, p, g.OH, 32, rs); break;
          default: runs<ADD, 0>(d, p, g.OH, g.OW, rs);
        }
      }
    }
  }
}

// The staged im2col (ADD = false: stage ← x, col ← stage) and col2im (ADD: stage ← x's own
// values, stage += col taps in the unstaged order, x ← stage interior).
template <bool ADD>
inline void staged(float* x, int64_t count, int64_t xstride, const ConvGeom& g, float* col,
                   int64_t ldcol) {
  const Stage sg(g);
  const int64_t OHW = g.OH * g.OW, HW = g.H * g.W;
  const int64_t group = std::min<int64_t>(count, kStageFloats / sg.image);
  float* st = stage_buffer(group * sg.image);
  // Borders; im2col overwrites only interiors, col2im's padding taps dirty them per channel.
  if (!ADD) memset(st, 0, sizeof(float) * (size_t)(group * sg.image));
  for (int64_t i0 = 0; i0 < count; i0 += group) {
    const int64_t gn = std::min(group, count - i0);
    for (int64_t c = 0; c < g.C; ++c) {
      if (ADD) memset(st, 0, sizeof(float) * (size_t)(gn * sg.image));
      for (int64_t i = 0; i < gn; ++i)
        stage_image(g, sg, st + i * sg.image, x + (i0 + i) * xstride + c * HW, false);
      tap_runs<ADD>(g, sg, st, col + c * g.KH * g.KW * ldcol + i0 * OHW, ldcol, gn);
      if (ADD)
        for (int64_t i = 0; i < gn; ++i)
          stage_image(g, sg, st + i * sg.image, x + (i0 + i) * xstride + c * HW, true);
    }
  }
}

// staged<false> only reads x and staged<true> only reads col, hence the const_casts.
inline void im2col(const float* x, int64_t count, int64_t xstride, const ConvGeom& g, float* col,
                   int64_t ldcol) {
  if (count <= 0 || !stage_fits(g)) im2col_unstaged(x, count, xstride, g, col, ldcol);
  else staged<false>(const_cast<float*>(x), count, xstride, g, col, ldcol);
}

inline void col2im_add(const float* col, int64_t ldcol, int64_t count, const ConvGeom& g, float* x,
                       int64_t xstride) {
  if (count <= 0 || !stage_fits(g)) col2im_add_unstaged(col, ldcol, count, g, x, xstride);
  else staged<true>(x, count, xstride, g, const_cast<float*>(col), ldcol);
}

}  // namespace lamkit

#endif
