// l2_normalize on every backend vs the reference: rows of odd and long lengths, rank 1..4 (the
// last axis is normalised), tiny rows next to eps; the reference against float64 maths (unit norm,
// direction kept) and the eps guard (a zero row stays finite).
import { describe, expect, it } from 'vitest';
import { l2_normalize } from '../../src/backends/reference/l2_normalize.js';
import { Rng, normal, testSeed } from '../harness/data.js';
import { defineKernelTests } from '../harness/kernel-suite.js';

const shapes = [[1], [7], [1, 1], [3, 5], [16, 17], [2, 3, 33], [2, 3, 5, 7], [1, 4097], [64, 128], [257, 3]];
await defineKernelTests({
  op: 'l2_normalize',
  cases: [
    ...shapes.map((s) => ({ name: `[${s}]`, inputShapes: [s], K: s.at(-1)! })),
    { name: '[5,9] eps 1e-3, rows of scale 1e-2', inputShapes: [[5, 9]], attrs: { eps: 1e-3 }, K: 9, gen: (rng: Rng) => [normal(rng, 45, 1e-2)] },
  ],
  tol: { a0: 1e-6, rtol: 1e-5 },
  bad: [
    { name: 'eps 0', inputShapes: [[3, 4]], attrs: { eps: 0 }, error: /l2_normalize: attribute eps must be > 0, got 0/ },
    { name: 'eps negative', inputShapes: [[3, 4]], attrs: { eps: -1 }, error: /l2_normalize: attribute eps must be > 0, got -1/ },
  ],
});

describe('l2_normalize reference', () => {
  it('unit rows in the direction of x; a zero row stays 0 (eps)', () => {
    const rng = new Rng(testSeed() + 5);
    const rows = 6, len = 11;
    const x = normal(rng, rows * len, 3);
    x.fill(0, 2 * len, 3 * len);
    const y = new Float32Array(rows * len);
    l2_normalize(x, y, rows, len, 1e-8);
    for (let r = 0; r < rows; r++) {
      let n2 = 0, xn = 0, dot = 0;
      for (let l = 0; l < len; l++) {
        n2 += y[r * len + l] ** 2;
        xn += x[r * len + l] ** 2;
        dot += x[r * len + l] * y[r * len + l];
      }
      if (r === 2) expect(n2).toBe(0);
      else {
        expect(Math.abs(n2 - 1)).toBeLessThan(1e-6);
        expect(Math.abs(dot - Math.sqrt(xn))).toBeLessThan(1e-5 * Math.sqrt(xn)); // y ∥ x
      }
    }
  });
});
