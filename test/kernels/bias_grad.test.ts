// bias_grad on every backend vs the reference (`=` and `+=`), and the reference against float64
// finite differences of bias_add: L(b) = ⟨bias_add(x, b), dy⟩.
import { describe, expect, it } from 'vitest';
import { bias_add } from '../../src/backends/reference/bias_add.js';
import { bias_grad } from '../../src/backends/reference/bias_grad.js';
import { Rng, testSeed } from '../harness/data.js';
import { checkGradient, dot, f64 } from '../harness/fd.js';
import { defineKernelTests } from '../harness/kernel-suite.js';

const shapes = [[1, 1], [5, 7], [97, 3], [64, 33], [2, 3, 5, 7], [4, 16, 8, 8], [1, 17, 31, 1]];
await defineKernelTests({
  op: 'bias_grad',
  cases: shapes.map((s) => ({ name: `[${s}]`, inputShapes: [s], K: s[0] * s.slice(2).reduce((a, b) => a * b, 1) })),
  tol: { a0: 2e-6, rtol: 1e-5, nmse: 1e-10 },
  bad: [{ name: 'rank-1 dy', inputShapes: [[5]], error: /dy must be \[N,C,\.\.\.\] \(rank ≥ 2\)/ }],
});

describe('bias_grad reference vs finite differences', () => {
  it('[3,4,5]', () => {
    const rng = new Rng(testSeed() + 37);
    const [N, C, S] = [3, 4, 5];
    const x = f64(rng, N * C * S);
    const b = f64(rng, C);
    const dy = f64(rng, N * C * S);
    const y = new Float64Array(x.length);
    const L = () => {
      bias_add(x as never, b as never, y as never, N, C, S);
      return dot(y, dy);
    };
    const db = new Float64Array(C);
    bias_grad(dy as never, db as never, N, C, S, 0);
    const r = checkGradient(b, L, db, { rng, samples: C });
    expect(r.ok, r.summary).toBe(true);
  });
});
