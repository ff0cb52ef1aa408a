// conv2d_backward_filter on every backend vs the reference, and the reference against float64
// central finite differences of the reference conv2d forward w.r.t. w.
import { describe, expect, it } from 'vitest';
import { conv2d } from '../../src/backends/reference/conv2d.js';
import { conv2d_backward_filter } from '../../src/backends/reference/conv2d_backward_filter.js';
import { CONV_CASES, convAttrs, outSize } from '../harness/conv-cases.js';
import { Rng, testSeed } from '../harness/data.js';
import { checkGradient, dot, f64 } from '../harness/fd.js';
import { type KernelCase, defineKernelTests } from '../harness/kernel-suite.js';

const cases: KernelCase[] = CONV_CASES.map((c) => {
  const [OH, OW] = outSize(c);
  return {
    name: c.name,
    inputShapes: [[c.N, c.C, c.H, c.W], [c.N, c.OC, OH, OW]],
    attrs: { ...convAttrs(c), kernelSize: [c.KH, c.KW] },
    K: c.N * OH * OW,
  };
});

await defineKernelTests({
  op: 'conv2d_backward_filter',
  cases,
  tol: { a0: 2e-6, rtol: 1e-5, nmse: 1e-10 },
  bad: [
    { name: 'missing kernelSize', inputShapes: [[1, 1, 8, 8], [1, 2, 6, 6]], error: /kernelSize \[KH,KW\] is required/ },
    { name: 'dy spatial size wrong', inputShapes: [[1, 1, 8, 8], [1, 2, 5, 6]], attrs: { kernelSize: [3, 3] }, error: /dy has shape \[1,2,5,6\], expected \[1,OC,6,6\]/ },
    { name: 'batch mismatch', inputShapes: [[2, 1, 8, 8], [1, 2, 6, 6]], attrs: { kernelSize: [3, 3] }, error: /expected \[2,OC,6,6\]/ },
  ],
});

describe('conv2d_backward_filter reference vs finite differences', () => {
  for (const c of CONV_CASES.slice(1, 6))
    it(c.name, () => {
      const rng = new Rng(testSeed() + 23);
      const [OH, OW] = outSize(c);
      const x = f64(rng, c.N * c.C * c.H * c.W);
      const w = f64(rng, c.OC * c.C * c.KH * c.KW);
      const dy = f64(rng, c.N * c.OC * OH * OW);
      const geo = [c.N, c.C, c.H, c.W, c.OC, c.KH, c.KW, c.stride[0], c.stride[1], c.padding[0], c.padding[1], c.dilation[0], c.dilation[1], OH, OW] as const;
      const y = new Float64Array(dy.length);
      const L = () => {
        conv2d(x as never, w as never, y as never, ...geo, 0);
        return dot(y, dy);
      };
      const dw = new Float64Array(w.length);
      conv2d_backward_filter(x as never, dy as never, dw as never, ...geo, 0);
      const r = checkGradient(w, L, dw, { rng });
      console.log(`conv2d_backward_filter ${c.name}: ${r.summary}`);
      expect(r.ok, r.summary).toBe(true);
    });
});
