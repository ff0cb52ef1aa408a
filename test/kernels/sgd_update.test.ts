// sgd_update on every backend vs the reference: plain SGD, momentum, weight decay; param and
// buf updated in place.
import { describe, expect, it } from 'vitest';
import { sgd_update } from '../../src/backends/reference/sgd_update.js';
import { COUNTS, type Rng, normal } from '../harness/data.js';
import { defineKernelTests } from '../harness/kernel-suite.js';

const cfgs = [{ lr: 0.1 }, { lr: 0.01, momentum: 0.9 }, { lr: 0.05, momentum: 0.5, weightDecay: 1e-2 }];
await defineKernelTests({
  op: 'sgd_update',
  cases: COUNTS.map((n, i) => ({
    name: `n=${n} ${JSON.stringify(cfgs[i % 3])}`,
    inputShapes: [[n], [n], [n]],
    attrs: cfgs[i % 3],
    gen: (rng: Rng) => [normal(rng, n), normal(rng, n), normal(rng, n, 0.1)],
  })),
  tol: { a0: 1e-6, rtol: 1e-6 },
  bad: [{ name: 'buf shape differs', inputShapes: [[3], [3], [2]], attrs: { lr: 1 }, error: /sgd_update: buf has shape \[2\], expected \[3\]/ }],
});

describe('sgd_update reference (hand-checked)', () => {
  it('momentum buffer then step', () => {
    const p = new Float32Array([1]);
    const b = new Float32Array([0.5]);
    sgd_update(p, new Float32Array([2]), b, 1, 0.1, 0.9, 0);
    expect(b[0]).toBeCloseTo(2.45, 6);
    expect(p[0]).toBeCloseTo(1 - 0.245, 6);
  });
});
