/**
 * gpu.js conv2d_backward_input — dx[n,c,ih,iw] (= | +=) Σ_{oc,kh,kw} dy[n,oc,oh,ow]·w[oc,c,kh,kw]
 * over the (oh, ow) with oh·sh−ph+kh·dh = ih and ow·sw−pw+kw·dw = iw. Gather form (one thread per
 * dx element, no atomics, which WebGL lacks): oh = (ih+ph−kh·dh)/sh when that divides exactly.
 * FLOPs 2·N·OC·OH·OW·C·KH·KW. Tape operands: dy, w, dx, geometry×15, acc.
 * Test: test/kernels/conv2d_backward_input.test.ts.
 */
import { convConstants } from './conv-common.js';
import type { GpuKernelDef, KernelThis } from './types.js';

function conv2dBackwardInputKernel(this: KernelThis, dy: number[], w: number[], dx: number[]): number {
  const C = this.constants.C;
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
  const q1 = Math.floor((o + 0.5) / W);
  const iw = o - q1 * W;
  const q2 = Math.floor((q1 + 0.5) / H);
  const ih = q1 - q2 * H;
  const n = Math.floor((q2 + 0.5) / C);
  const c = q2 - n * C;
  let s = 0;
  for (let kh = 0; kh < KH; kh++) {
    const th = ih + this.constants.ph - kh * this.constants.dh;
    const oh = Math.floor((th + 0.5) / sh);
    if (th >= 0 && oh * sh === th && oh < OH) {
      for (let kw = 0; kw < KW; kw++) {
        const tw = iw + this.constants.pw - kw * this.constants.dw;
        const ow = Math.floor((tw + 0.5) / sw);
        if (tw >= 0 && ow * sw === tw && ow < OW) {
          for (let oc = 0; oc < OC; oc++) {
            s += dy[((n * OC + oc) * OH + oh) * OW + ow] * w[((oc * C + c) * KH + kh) * KW + kw];
          }
        }
      }
    }
  }
  if (this.constants.acc === 1) s += dx[o];
  return s;
}

export const conv2d_backward_input: GpuKernelDef = {
  id: 'conv2d_backward_input',
  source: conv2dBackwardInputKernel,
  reads: () => [0, 1, 2],
  out: 2,
  size: (a) => a[3] * a[4] * a[5] * a[6],
  constants: convConstants,
};
