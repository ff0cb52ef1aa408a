/**
 * Reference conv2d_backward_input: dx (= | +=) the gradient of conv2d w.r.t. x, scattered into a
 * float64 buffer then written once. Arguments as lam_f32_conv2d_backward_input.
 */
export function conv2d_backward_input(dy: Float32Array, w: Float32Array, dx: Float32Array, N: number, C: number, H: number, W: number, OC: number, KH: number, KW: number,
  sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, OH: number, OW: number, acc: number): void {
  const g = new Float64Array(N * C * H * W);
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < OC; oc++)
      for (let oh = 0; oh < OH; oh++)
        for (let ow = 0; ow < OW; ow++) {
          const d = dy[((n * OC + oc) * OH + oh) * OW + ow];
          for (let c = 0; c < C; c++)
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * sh - ph + kh * dh;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * sw - pw + kw * dw;
                if (iw < 0 || iw >= W) continue;
                g[((n * C + c) * H + ih) * W + iw] += d * w[((oc * C + c) * KH + kh) * KW + kw];
              }
            }
        }
  for (let i = 0; i < g.length; i++) dx[i] = acc ? dx[i] + g[i] : g[i];
}
