/**
 * gpu.js conv2d_backward_filter — dw[oc,c,kh,kw] (= | +=) Σ_{n,oh,ow} dy[n,oc,oh,ow]·x[n,c,oh·sh−ph+kh·dh, ow·sw−pw+kw·dw].
 * One thread per filter element, a N·OH·OW-long f32 reduction. FLOPs 2·N·OC·OH·OW·C·KH·KW.
 * Tape operands: x, dy, dw, geometry×15, acc. Test: test/kernels/conv2d_backward_filter.test.ts.
 */
import { convConstants } from './conv-common.js';
import type { GpuKernelDef, KernelThis } from './types.js';

function conv2dBackwardFilterKernel(this: KernelThis, x: number[], dy: number[], dwt: number[]): number {
  const N = this.constants.N;
  const C = this.constants.C;
  const H = this.constants.H;
  const W = this.constants.W;
  const OC = this.constants.OC;
  const KH = this.constants.KH;
  const KW = this.constants.KW;
  const OH = this.constants.OH;
  const OW = this.constants.OW;
  const o = this.thread.x;
  const q1 = Math.floor((o + 0.5) / KW);
  const kw = o - q1 * KW;
  const q2 = Math.floor((q1 + 0.5) / KH);
  const kh = q1 - q2 * KH;
  const oc = Math.floor((q2 + 0.5) / C);
  const c = q2 - oc * C;
  let s = 0;
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      const ih = oh * this.constants.sh - this.constants.ph + kh * this.constants.dh;
      if (ih >= 0 && ih < H) {
        for (let ow = 0; ow < OW; ow++) {
          const iw = ow * this.constants.sw - this.constants.pw + kw * this.constants.dw;
          if (iw >= 0 && iw < W) {
            s += dy[((n * OC + oc) * OH + oh) * OW + ow] * x[((n * C + c) * H + ih) * W + iw];
          }
        }
      }
    }
  }
  if (this.constants.acc === 1) s += dwt[o];
  return s;
}

export const conv2d_backward_filter: GpuKernelDef = {
  id: 'conv2d_backward_filter',
  source: conv2dBackwardFilterKernel,
  reads: () => [0, 1, 2],
  out: 2,
  size: (a) => a[7] * a[4] * a[8] * a[9],
  constants: convConstants,
};
