// fill on every backend vs the reference (bit-exact), NaN-poisoned outputs must be overwritten.
import { describe, expect, it } from 'vitest';
import { fill } from '../../src/ops/fill.js';
import { COUNTS } from '../harness/data.js';
import { defineKernelTests } from '../harness/kernel-suite.js';

await defineKernelTests({
  op: 'fill',
  cases: [
    ...COUNTS.map((n, i) => ({ name: `n=${n}`, inputShapes: [], attrs: { shape: [n], value: [0, 1.5, -2, 3e-7][i % 4] } })),
    { name: '[3,5] value 7', inputShapes: [], attrs: { shape: [3, 5], value: 7 } },
  ],
  tol: { a0: 0, rtol: 0 },
  bad: [
    { name: 'missing shape', inputShapes: [], attrs: {}, error: /attribute shape \(a shape\) is required/ },
    { name: 'zero in shape', inputShapes: [], attrs: { shape: [3, 0] }, error: /bad dimension 0/ },
    { name: 'negative in shape', inputShapes: [], attrs: { shape: [-2] }, error: /bad dimension -2/ },
  ],
});

describe('fill contract', () => {
  it('takes no inputs', () => {
    expect(() => fill.shape([[3]], { shape: [3] })).toThrow(/fill: expected 0 inputs/);
  });
});
