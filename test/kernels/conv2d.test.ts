// conv2d forward vs the direct-loop reference on every backend (geometries in conv-cases.ts),
// plus a hand-computed case for the reference itself.
import { describe, expect, it } from 'vitest';
import { conv2d as refConv } from '../../src/backends/reference/conv2d.js';
import { type KernelCase, defineKernelTests } from '../harness/kernel-suite.js';
import { CONV_CASES, convAttrs } from '../harness/conv-cases.js';

const cases: KernelCase[] = CONV_CASES.map((c) => ({
  name: c.name,
  inputShapes: [[c.N, c.C, c.H, c.W], [c.OC, c.C, c.KH, c.KW]],
  attrs: convAttrs(c),
  K: c.C * c.KH * c.KW,
}));

await defineKernelTests({
  op: 'conv2d',
  cases,
  tol: { a0: 2e-6, rtol: 1e-5, nmse: 1e-10 },
  bad: [
    { name: 'channel mismatch', inputShapes: [[1, 3, 8, 8], [4, 2, 3, 3]], error: /conv2d: w has shape \[4,2,3,3\], expected \[OC,3,KH,KW\]/ },
    { name: 'kernel larger than input', inputShapes: [[1, 1, 2, 2], [1, 1, 3, 3]], error: /smaller than the dilated kernel/ },
    { name: 'rank-3 x', inputShapes: [[1, 8, 8], [1, 1, 3, 3]], error: /x must be rank 4/ },
    { name: 'stride 0', inputShapes: [[1, 1, 4, 4], [1, 1, 3, 3]], attrs: { stride: 0 }, error: /stride must hold integers ≥ 1/ },
  ],
});

describe('conv2d reference (hand-checked)', () => {
  it('3×3 input, 2×2 ones kernel, stride 1 → window sums', () => {
    const x = Float32Array.from({ length: 9 }, (_, i) => i + 1);
    const y = new Float32Array(4);
    refConv(x, new Float32Array([1, 1, 1, 1]), y, 1, 1, 3, 3, 1, 2, 2, 1, 1, 0, 0, 1, 1, 2, 2, 0);
    expect(Array.from(y)).toEqual([12, 16, 24, 28]);
  });
  it('padding 1 and stride 2 pick the right taps', () => {
    const x = Float32Array.from({ length: 9 }, (_, i) => i + 1);
    const y = new Float32Array(4);
    // kernel with a single 1 at (1,1) = identity at the sampled positions (0,0),(0,2),(2,0),(2,2)
    refConv(x, new Float32Array([0, 0, 0, 0, 1, 0, 0, 0, 0]), y, 1, 1, 3, 3, 1, 3, 3, 2, 2, 1, 1, 1, 1, 2, 2, 0);
    expect(Array.from(y)).toEqual([1, 3, 7, 9]);
  });
});
