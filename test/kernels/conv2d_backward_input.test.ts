// conv2d_backward_input on every backend vs the reference, and the reference against float64
// central finite differences of the reference conv2d forward (L = ⟨conv2d(x, w), dy⟩).
import { describe, expect, it } from 'vitest';
import { conv2d } from '../../src/backends/reference/conv2d.js';
import { conv2d_backward_input } from '../../src/backends/reference/conv2d_backward_input.js';
import { CONV_CASES, convAttrs, outSize } from '../harness/conv-cases.js';
import { Rng, testSeed } from '../harness/data.js';
import { checkGradient, dot, f64 } from '../harness/fd.js';
import { type KernelCase, defineKernelTests } from '../harness/kernel-suite.js';

const cases: KernelCase[] = CONV_CASES.map((c) => {
  const [OH, OW] = outSize(c);
  return {
    name: c.name,
    inputShapes: [[c.N, c.OC, OH, OW], [c.OC, c.C, c.KH, c.KW]],
    attrs: { ...convAttrs(c), inputSize: [c.H, c.W] },
    K: c.OC * c.KH * c.KW,
  };
});

await defineKernelTests({
  op: 'conv2d_backward_input',
  cases,
  tol: { a0: 2e-6, rtol: 1e-5, nmse: 1e-10 },
  bad: [
    { name: 'missing inputSize', inputShapes: [[1, 2, 3, 3], [2, 1, 3, 3]], error: /inputSize \[H,W\] is required/ },
    { name: 'dy does not match inputSize', inputShapes: [[1, 2, 4, 4], [2, 1, 3, 3]], attrs: { inputSize: [8, 8] }, error: /dy has shape \[1,2,4,4\], expected \[1,2,6,6\]/ },
    { name: 'OC mismatch', inputShapes: [[1, 3, 6, 6], [2, 1, 3, 3]], attrs: { inputSize: [8, 8] }, error: /expected \[N,2,OH,OW\]/ },
  ],
});

describe('conv2d_backward_input reference vs finite differences', () => {
  for (const c of CONV_CASES.slice(1, 6))
    it(c.name, () => {
      const rng = new Rng(testSeed() + 17);
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
      const dx = new Float64Array(x.length);
      conv2d_backward_input(dy as never, w as never, dx as never, ...geo, 0);
      const r = checkGradient(x, L, dx, { rng });
      console.log(`conv2d_backward_input ${c.name}: ${r.summary}`);
      expect(r.ok, r.summary).toBe(true);
    });
});
