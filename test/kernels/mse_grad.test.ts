// mse_grad on every backend vs the reference (masked rows give 0 / stay untouched), and the
// reference against float64 finite differences of mse_loss.
import { describe, expect, it } from 'vitest';
import { mse_grad } from '../../src/backends/reference/mse_grad.js';
import { mse_loss } from '../../src/backends/reference/mse_loss.js';
import { type Rng, Rng as R, mask, normal, testSeed } from '../harness/data.js';
import { checkGradient, f64 } from '../harness/fd.js';
import { defineKernelTests } from '../harness/kernel-suite.js';

const masked = (B: number, D: number) => (rng: Rng) => [normal(rng, B * D), normal(rng, B * D), mask(rng, B)];
await defineKernelTests({
  op: 'mse_grad',
  cases: [
    { name: 'masked [5,7]', inputShapes: [[5, 7], [5, 7], [5]], gen: masked(5, 7) },
    { name: '[1,1]', inputShapes: [[1, 1], [1, 1]] },
    { name: '[16,17] scale 0.5', inputShapes: [[16, 17], [16, 17]], attrs: { scale: 0.5 } },
    { name: '[97,33] denom 12', inputShapes: [[97, 33], [97, 33]], attrs: { denom: 12 } },
    { name: 'masked [64,31] denom 40', inputShapes: [[64, 31], [64, 31], [64]], attrs: { denom: 40 }, gen: masked(64, 31) },
    { name: '[4096,17]', inputShapes: [[4096, 17], [4096, 17]] },
  ],
  tol: { a0: 1e-7, rtol: 1e-6 },
  bad: [{ name: 'target shape differs', inputShapes: [[4, 3], [4, 2]], error: /mse_grad: target has shape \[4,2\], expected \[4,3\]/ }],
});

describe('mse_grad reference vs finite differences of mse_loss', () => {
  it('masked [6,5], denom 4, scale 1.7', () => {
    const rng = new R(testSeed() + 41);
    const [B, D] = [6, 5];
    const p = f64(rng, B * D);
    const t = f64(rng, B * D);
    const m = Float64Array.from(mask(rng, B));
    const loss = new Float64Array(1);
    const L = () => {
      mse_loss(p as never, t as never, m as never, loss as never, B, D, 4);
      return 1.7 * loss[0];
    };
    const g = new Float64Array(B * D);
    mse_grad(p as never, t as never, m as never, g as never, B, D, 4, 1.7, 0);
    const r = checkGradient(p, L, g, { rng, samples: 30 });
    expect(r.ok, r.summary).toBe(true);
  });
});
