/**
 * Reference conv2d_bias_act: the reference conv2d (float64 accumulation, rounded to float32 in
 * y), then bias_add and the activation in place — so the fused op equals the three unfused
 * instructions bit for bit. Arguments as lam_f32_conv2d_bias_act (act 0 none, 1 relu, 2 leaky).
 */
import { bias_add } from './bias_add.js';
import { conv2d } from './conv2d.js';
import { leaky_relu } from './leaky_relu.js';
import { relu } from './relu.js';

export function conv2d_bias_act(x: Float32Array, w: Float32Array, b: Float32Array, y: Float32Array, N: number, C: number, H: number, W: number,
  OC: number, KH: number, KW: number, sh: number, sw: number, ph: number, pw: number, dh: number, dw: number, OH: number, OW: number,
  act: number, slope: number): void {
  if (act !== 0 && act !== 1 && act !== 2) throw new RangeError(`conv2d_bias_act: act is ${act}, expected 0 (none), 1 (relu) or 2 (leaky_relu)`);
  conv2d(x, w, y, N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW, 0);
  bias_add(y, b, y, N, OC, OH * OW);
  const n = N * OC * OH * OW;
  if (act === 1) relu(y, y, n);
  else if (act === 2) leaky_relu(y, y, n, slope);
}
