// gelu_backward on every backend vs the reference (inputs kept away from the kink at 0), and the
// reference derivative (Φ(x) + x·φ(x)) against float64 central differences of the reference gelu.
import { describe, expect, it } from 'vitest';
import { gelu } from '../../src/backends/reference/gelu.js';
import { gelu_backward } from '../../src/backends/reference/gelu_backward.js';
import { COUNTS, Rng, awayFromZero, normal, testSeed } from '../harness/data.js';
import { checkGradient, dot, f64 } from '../harness/fd.js';
import { defineKernelTests } from '../harness/kernel-suite.js';

await defineKernelTests({
  op: 'gelu_backward',
  cases: [
    ...COUNTS.map((n) => ({ name: `n=${n}`, inputShapes: [[n], [n]], gen: (rng: Rng) => [awayFromZero(rng, n), normal(rng, n)] })),
    
  ],
  tol: { a0: 1e-6, rtol: 1e-5 },
  bad: [{ name: 'dy shape differs', inputShapes: [[3, 4], [4, 3]], error: /gelu_backward: dy has shape \[4,3\], expected \[3,4\]/ }],
});

describe('gelu_backward reference vs finite differences', () => {
  it('n=257, |x| ≥ 0.05', () => {
    const rng = new Rng(testSeed() + 31);
    const n = 257;
    const x = f64(rng, n, 0.05);
    const dy = f64(rng, n);
    const y = new Float64Array(n);
    const L = () => {
      gelu(x as never, y as never, n);
      return dot(y, dy);
    };
    const dx = new Float64Array(n);
    gelu_backward(x as never, dy as never, dx as never, n, 0);
    const r = checkGradient(x, L, dx, { rng, samples: 64, h: 1e-6 });
    console.log(`gelu_backward: ${r.summary}`);
    expect(r.ok, r.summary).toBe(true);
  });
});
