// leaky_relu_backward on every backend vs the reference (inputs kept away from the kink at 0), and the
// reference derivative (x > 0 ? 1 : slope) against float64 central differences of the reference leaky_relu.
import { describe, expect, it } from 'vitest';
import { leaky_relu } from '../../src/backends/reference/leaky_relu.js';
import { leaky_relu_backward } from '../../src/backends/reference/leaky_relu_backward.js';
import { COUNTS, Rng, awayFromZero, normal, testSeed } from '../harness/data.js';
import { checkGradient, dot, f64 } from '../harness/fd.js';
import { defineKernelTests } from '../harness/kernel-suite.js';

await defineKernelTests({
  op: 'leaky_relu_backward',
  cases: [
    ...COUNTS.map((n) => ({ name: `n=${n}`, inputShapes: [[n], [n]], gen: (rng: Rng) => [awayFromZero(rng, n), normal(rng, n)] })),
    { name: 'slope 0.2 [5,7]', inputShapes: [[5, 7], [5, 7]], attrs: { slope: 0.2 }, gen: (rng, s) => [awayFromZero(rng, 35), normal(rng, 35)] },
  ],
  tol: { a0: 1e-6, rtol: 2.5e-7 },
  bad: [{ name: 'dy shape differs', inputShapes: [[3, 4], [4, 3]], error: /leaky_relu_backward: dy has shape \[4,3\], expected \[3,4\]/ }],
});

describe('leaky_relu_backward reference vs finite differences', () => {
  it('n=257, |x| ≥ 0.05', () => {
    const rng = new Rng(testSeed() + 31);
    const n = 257;
    const x = f64(rng, n, 0.05);
    const dy = f64(rng, n);
    const y = new Float64Array(n);
    const L = () => {
      leaky_relu(x as never, y as never, n, 0.2);
      return dot(y, dy);
    };
    const dx = new Float64Array(n);
    leaky_relu_backward(x as never, dy as never, dx as never, n, 0.2, 0);
    const r = checkGradient(x, L, dx, { rng, samples: 64, h: 1e-6 });
    console.log(`leaky_relu_backward: ${r.summary}`);
    expect(r.ok, r.summary).toBe(true);
  });
});
