// relu_backward on every backend vs the reference (inputs kept away from the kink at 0), and the
// reference derivative (x > 0 ? 1 : 0) against float64 central differences of the reference relu.
import { describe, expect, it } from 'vitest';
import { relu } from '../../src/backends/reference/relu.js';
import { relu_backward } from '../../src/backends/reference/relu_backward.js';
import { COUNTS, Rng, awayFromZero, normal, testSeed } from '../harness/data.js';
import { checkGradient, dot, f64 } from '../harness/fd.js';
import { defineKernelTests } from '../harness/kernel-suite.js';

await defineKernelTests({
  op: 'relu_backward',
  cases: [
    ...COUNTS.map((n) => ({ name: `n=${n}`, inputShapes: [[n], [n]], gen: (rng: Rng) => [awayFromZero(rng, n), normal(rng, n)] })),
    
  ],
  tol: { a0: 0, rtol: 0 },
  bad: [{ name: 'dy shape differs', inputShapes: [[3, 4], [4, 3]], error: /relu_backward: dy has shape \[4,3\], expected \[3,4\]/ }],
});

describe('relu_backward reference vs finite differences', () => {
  it('n=257, |x| ≥ 0.05', () => {
    const rng = new Rng(testSeed() + 31);
    const n = 257;
    const x = f64(rng, n, 0.05);
    const dy = f64(rng, n);
    const y = new Float64Array(n);
    const L = () => {
      relu(x as never, y as never, n);
      return dot(y, dy);
    };
    const dx = new Float64Array(n);
    relu_backward(x as never, dy as never, dx as never, n, 0);
    const r = checkGradient(x, L, dx, { rng, samples: 64, h: 1e-6 });
    console.log(`relu_backward: ${r.summary}`);
    expect(r.ok, r.summary).toBe(true);
  });
});
