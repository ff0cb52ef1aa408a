/**
 * Reference conv_transpose2d: y[n,oc,ih·sh−ph+kh·dh, iw·sw−pw+kw·dw] += x[n,ic,ih,iw]·w[ic,oc,kh,kw],
 * scattered into float64 then written (= | +=). Arguments as lam_f32_conv_transpose2d.
 */
export function conv_transpose2d(x: Float32Array, w: Float32Array, y: Float32Array, N: number, IC: number, H: number, W: number, OC: number, KH: number, KW: number,
  sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, OH: number, OW: number, acc: number): void {
  const g = new Float64Array(N * OC * OH * OW);
  for (let n = 0; n < N; n++)
    for (let ic = 0; ic < IC; ic++)
      for (let ih = 0; ih < H; ih++)
        for (let iw = 0; iw < W; iw++) {
          const v = x[((n * IC + ic) * H + ih) * W + iw];
          for (let oc = 0; oc < OC; oc++)
            for (let kh = 0; kh < KH; kh++) {
              const oh = ih * sh - ph + kh * dh;
              if (oh < 0 || oh >= OH) continue;
              for (let kw = 0; kw < KW; kw++) {
                const ow = iw * sw - pw + kw * dw;
                if (ow < 0 || ow >= OW) continue;
                g[((n * OC + oc) * OH + oh) * OW + ow] += v * w[((ic * OC + oc) * KH + kh) * KW + kw];
              }
            }
        }
  for (let i = 0; i < g.length; i++) y[i] = acc ? y[i] + g[i] : g[i];
}
