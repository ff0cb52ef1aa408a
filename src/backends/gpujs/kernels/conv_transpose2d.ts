/**
 * gpu.js conv_transpose2d — y[n,oc,oh,ow] (= | +=) Σ_{ic,kh,kw} x[n,ic,ih,iw]·w[ic,oc,kh,kw] over
 * ih·sh−ph+kh·dh = oh, iw·sw−pw+kw·dw = ow. x [N,IC,H,W], w [IC,OC,KH,KW].
 * This is conv2d_backward_input with the roles swapped (kernels.h): x plays dy (its channels are
 * the conv's OC, its spatial size the conv's output), w keeps its layout, y plays dx. So it runs
 * that gather kernel with remapped constants instead of a second copy of it.
 * FLOPs 2·N·IC·H·W·OC·KH·KW. Tape operands: x, w, y, geometry×15 (C = IC), acc.
 * Test: test/kernels/conv_transpose2d.test.ts.
 */
import { conv2d_backward_input } from './conv2d_backward_input.js';
import type { GpuKernelDef } from './types.js';

export const conv_transpose2d: GpuKernelDef = {
  id: 'conv_transpose2d',
  source: conv2d_backward_input.source,
  reads: () => [0, 1, 2],
  out: 2,
  size: (a) => a[3] * a[7] * a[16] * a[17],
  constants(a) {
    const [N, IC, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW, acc] = a.slice(3, 19);
    return { N, C: OC, H: OH, W: OW, OC: IC, KH, KW, sh, sw, ph, pw, dh, dw, OH: H, OW: W, acc };
  },
};
