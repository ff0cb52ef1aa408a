/**
 * gpu.js conv2d — y[n,oc,oh,ow] (= | +=) Σ_{c,kh,kw} x[n,c,oh·sh−ph+kh·dh, ow·sw−pw+kw·dw]·w[oc,c,kh,kw]
 * (NCHW, zero padding, groups 1). One thread per output element, direct loops (the shapes the
 * playground runs are small; an im2col GEMM would need a second pass). FLOPs 2·N·OC·OH·OW·C·KH·KW.
 * Tape operands: x, w, y, geometry×15, acc. Test: test/kernels/conv2d.test.ts.
 */
import { convConstants } from './conv-common.js';
import type { GpuKernelDef, KernelThis } from './types.js';

function conv2dKernel(this: KernelThis, x: number[], w: number[], y: number[]): number {
  const C = this.constants.C;
  const H = this.constants.H;
  const W = this.constants.W;
  const OC = this.constants.OC;
  const KH = this.constants.KH;
  const KW = this.constants.KW;
  const OH = this.constants.OH;
  const OW = this.constants.OW;
  const o = this.thread.x;
  const q1 = Math.floor((o + 0.5) / OW);
  const ow = o - q1 * OW;
  const q2 = Math.floor((q1 + 0.5) / OH);
  const oh = q1 - q2 * OH;
  const n = Math.floor((q2 + 0.5) / OC);
  const oc = q2 - n * OC;
  let s = 0;
  for (let c = 0; c < C; c++) {
    for (let kh = 0; kh < KH; kh++) {
      const ih = oh * this.constants.sh - this.constants.ph + kh * this.constants.dh;
      if (ih >= 0 && ih < H) {
        for (let kw = 0; kw < KW; kw++) {
          const iw = ow * this.constants.sw - this.constants.pw + kw * this.constants.dw;
          if (iw >= 0 && iw < W) {
            s += x[((n * C + c) * H + ih) * W + iw] * w[((oc * C + c) * KH + kh) * KW + kw];
          }
        }
      }
    }
  }
  if (this.constants.acc === 1) s += y[o];
  return s;
}

export const conv2d: GpuKernelDef = {
  id: 'conv2d',
  source: conv2dKernel,
  reads: () => [0, 1, 2],
  out: 2,
  size: (a) => a[3] * a[7] * a[16] * a[17],
  constants: convConstants,
};
