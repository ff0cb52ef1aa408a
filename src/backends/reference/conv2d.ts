/**
 * Reference conv2d (direct loops, float64 accumulation): y[n,oc,oh,ow] (= | +=)
 * Σ_{c,kh,kw} x[n,c,oh·sh−ph+kh·dh, ow·sw−pw+kw·dw]·w[oc,c,kh,kw]. Arguments as lam_f32_conv2d.
 */
export function conv2d(x: Float32Array, w: Float32Array, y: Float32Array, N: number, C: number, H: number, W: number, OC: number, KH: number, KW: number,
  sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, OH: number, OW: number, acc: number): void {
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < OC; oc++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          let s = 0;
          for (let c = 0; c < C; c++)
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * sh - ph + kh * dh;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * sw - pw + kw * dw;
                if (iw < 0 || iw >= W) continue;
                s += x[((n * C + c) * H + ih) * W + iw] * w[((oc * C + c) * KH + kh) * KW + kw];
              }
            }
          const o = ((n * OC + oc) * OH + oh) * OW + ow;
          y[o] = acc ? y[o] + s : s;
        }
}
