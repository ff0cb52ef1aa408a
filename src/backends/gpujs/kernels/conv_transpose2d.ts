/**
 * gpu.js conv_transpose2d — y[n,oc,oh,ow] (= | +=) Σ_{ic,kh,kw} x[n,ic,ih,iw]·w[ic,oc,kh,kw] over
 * ih·sh−ph+kh·dh = oh, iw·sw−pw+kw·dw = ow. Gather form like conv2d_backward_input (one thread per
 * y element; WebGL has no atomics for the scatter form). x [N,IC,H,W], w [IC,OC,KH,KW].
 * FLOPs 2·N·IC·H·W·OC·KH·KW. Tape operands: x, w, y, geometry×15 (C = IC), acc.
 * Test: test/kernels/conv_transpose2d.test.ts.
 */
import { convConstants } from './conv-common.js';
import type { GpuKernelDef, KernelThis } from './types.js';

function convTranspose2dKernel(this: KernelThis, x: number[], w: number[], y: number[]): number {
  const IC = this.constants.C;
  const H = this.constants.H;
  const W = this.constants.W;
  const OC = this.constants.OC;
  const KH = this.constants.KH;
  const KW = this.constants.KW;
  const OH = this.constants.OH;
  const OW = this.constants.OW;
  const sh = this.constants.sh;
  const sw = this.constants.sw;
  const o = this.thread.x;
  const q1 = Math.floor((o + 0.5) / OW);
  const ow = o - q1 * OW;
  const q2 = Math.floor((q1 + 0.5) / OH);
  const oh = q1 - q2 * OH;
  const n = Math.floor((q2 + 0.5) / OC);
  const oc = q2 - n * OC;
  let s = 0;
  for (let kh = 0; kh < KH; kh++) {
    const th = oh + this.constants.ph - kh * this.constants.dh;
    const ih = Math.floor((th + 0.5) / sh);
    if (th >= 0 && ih * sh === th && ih < H) {
      for (let kw = 0; kw < KW; kw++) {
        const tw = ow + this.constants.pw - kw * this.constants.dw;
        const iw = Math.floor((tw + 0.5) / sw);
        if (tw >= 0 && iw * sw === tw && iw < W) {
          for (let ic = 0; ic < IC; ic++) {
            s += x[((n * IC + ic) * H + ih) * W + iw] * w[((ic * OC + oc) * KH + kh) * KW + kw];
          }
        }
      }
    }
  }
  if (this.constants.acc === 1) s += y[o];
  return s;
}

export const conv_transpose2d: GpuKernelDef = {
  id: 'conv_transpose2d',
  source: convTranspose2dKernel,
  reads: () => [0, 1, 2],
  out: 2,
  size: (a) => a[3] * a[7] * a[16] * a[17],
  constants: convConstants,
};
