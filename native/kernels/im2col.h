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
  *lo = a;
  *hi = b + 1 > a ? b + 1 : a;
}

inline void im2col(const float* x, const ConvGeom& g, float* col, int64_t ldcol) {
  for (int64_t c = 0; c < g.C; ++c) {
    const float* xc = x + c * g.H * g.W;
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      const int64_t offh = kh * g.dh - g.ph;
      int64_t oh_lo, oh_hi;
      valid_range(g.H, g.sh, offh, g.OH, &oh_lo, &oh_hi);
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        const int64_t offw = kw * g.dw - g.pw;
        int64_t ow_lo, ow_hi;
        valid_range(g.W, g.sw, offw, g.OW, &ow_lo, &ow_hi);
        float* row = col + ((c * g.KH + kh) * g.KW + kw) * ldcol;
        for (int64_t oh = 0; oh < g.OH; ++oh) {
          float* dst = row + oh * g.OW;
          if (oh < oh_lo || oh >= oh_hi) {
            memset(dst, 0, sizeof(float) * (size_t)g.OW);
            continue;
          }
          const float* src = xc + (oh * g.sh + offh) * g.W + offw;
          for (int64_t ow = 0; ow < ow_lo; ++ow) dst[ow] = 0.0f;
          if (g.sw == 1) {
            memcpy(dst + ow_lo, src + ow_lo, sizeof(float) * (size_t)(ow_hi - ow_lo));
          } else {
            for (int64_t ow = ow_lo; ow < ow_hi; ++ow) dst[ow] = src[ow * g.sw];
          }
          for (int64_t ow = ow_hi; ow < g.OW; ++ow) dst[ow] = 0.0f;
        }
      }
    }
  }
}

// x[c][ih][iw] += col[...] for every valid tap (x must be initialised by the caller).
inline void col2im_add(const float* col, int64_t ldcol, const ConvGeom& g, float* x) {
  for (int64_t c = 0; c < g.C; ++c) {
    float* xc = x + c * g.H * g.W;
    for (int64_t kh = 0; kh < g.KH; ++kh) {
      const int64_t offh = kh * g.dh - g.ph;
      int64_t oh_lo, oh_hi;
      valid_range(g.H, g.sh, offh, g.OH, &oh_lo, &oh_hi);
      for (int64_t kw = 0; kw < g.KW; ++kw) {
        const int64_t offw = kw * g.dw - g.pw;
        int64_t ow_lo, ow_hi;
        valid_range(g.W, g.sw, offw, g.OW, &ow_lo, &ow_hi);
        const float* row = col + ((c * g.KH + kh) * g.KW + kw) * ldcol;
        for (int64_t oh = oh_lo; oh < oh_hi; ++oh) {
          const float* src = row + oh * g.OW;
          float* dst = xc + (oh * g.sh + offh) * g.W + offw;
          if (g.sw == 1) {
            for (int64_t ow = ow_lo; ow < ow_hi; ++ow) dst[ow] += src[ow];
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
