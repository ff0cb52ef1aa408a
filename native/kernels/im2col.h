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

inline void im2col(const float* x, int64_t count, int64_t xstride, const ConvGeom& g, float* col,
                   int64_t ldcol) {
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
inline void col2im_add(const float* col, int64_t ldcol, int64_t count, const ConvGeom& g, float* x,
                       int64_t xstride) {
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

}  // namespace lamkit

#endif
