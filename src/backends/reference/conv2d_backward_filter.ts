/**
 * Reference conv2d_backward_filter: dw[oc,c,kh,kw] (= | +=) Σ_{n,oh,ow} dy·x, float64
 * accumulation. Arguments as lam_f32_conv2d_backward_filter.
 */
export function conv2d_backward_filter(x: Float32Array, dy: Float32Array, dwt: Float32Array, N: number, C: number, H: number, W: number, OC: number, KH: number, KW: number,
  sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, OH: number, OW: number, acc: number): void {
  for (let oc = 0; oc < OC; oc++)
    for (let c = 0; c < C; c++)
      for (let kh = 0; kh < KH; kh++)
        for (let kw = 0; kw < KW; kw++) {
          let s = 0;
          for (let n = 0; n < N; n++)
            for (let oh = 0; oh < OH; oh++) {
              const ih = oh * sh - ph + kh * dh;
              if (ih < 0 || ih >= H) continue;
              for (let ow = 0; ow < OW; ow++) {
                const iw = ow * sw - pw + kw * dw;
                if (iw < 0 || iw >= W) continue;
                s += dy[((n * OC + oc) * OH + oh) * OW + ow] * x[((n * C + c) * H + ih) * W + iw];
              }
            }
          const o = ((oc * C + c) * KH + kh) * KW + kw;
          dwt[o] = acc ? dwt[o] + s : s;
        }
}
