// im2col / col2im for NCHW convolutions (groups = 1), shared by conv2d.cpp and
// conv_transpose2d.cpp. One image at a time; the column matrix has CKK = C·KH·KW rows and
// OH·OW columns, stored with row stride ldcol (≥ OH·OW) so several images can sit side by side:
//   col[(c·KH + kh)·KW + kw][oh·OW + ow] = x[c][oh·sh − ph + kh·dh][ow·sw − pw + kw·dw] (0 outside)
// col2im is its transpose: it scatter-adds the columns back into an image (x += colᵀ).
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

inline void im2col(const float* x, const ConvGeom& g, float* col, int64_t ldcol) {
  const TapRanges tr(g);
  for (int64_t c = 0; c < g.C; ++c) {
    const float* xc = x + c * g.H * g.W;
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      const int64_t offh = kh * g.dh - g.ph;
      int64_t oh_lo, oh_hi;
      tr.rows(g, kh, &oh_lo, &oh_hi);
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        const int64_t offw = kw * g.dw - g.pw;
        int64_t ow_lo, ow_hi;
        tr.cols(g, kw, &ow_lo, &ow_hi);
        float* row = col + ((c * g.KH + kh) * g.KW + kw) * ldcol;
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

// x[c][ih][iw] += col[...] for every valid tap (x must be initialised by the caller).
inline void col2im_add(const float* col, int64_t ldcol, const ConvGeom& g, float* x) {
  const TapRanges tr(g);
  for (int64_t c = 0; c < g.C; ++c) {
    float* xc = x + c * g.H * g.W;
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      const int64_t offh = kh * g.dh - g.ph;
      int64_t oh_lo, oh_hi;
      tr.rows(g, kh, &oh_lo, &oh_hi);
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        const int64_t offw = kw * g.dw - g.pw;
        int64_t ow_lo, ow_hi;
        tr.cols(g, kw, &ow_lo, &ow_hi);
        const float* row = col + ((c * g.KH + kh) * g.KW + kw) * ldcol;
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

}  // namespace lamkit

#endif
