// l2_normalize_backward on every backend vs the reference (`=` and `+=`), and the reference against
// float64 central differences of the reference l2_normalize (eps inside the square root, so the
// gradient is exact for every eps).
import { describe, expect, it } from 'vitest';
import { l2_normalize } from '../../src/backends/reference/l2_normalize.js';
import { l2_normalize_backward } from '../../src/backends/reference/l2_normalize_backward.js';
import { Rng, testSeed } from '../harness/data.js';
import { checkGradient, dot, f64 } from '../harness/fd.js';
import { defineKernelTests } from '../harness/kernel-suite.js';

const shapes = [[1], [7], [3, 5], [16, 17], [2, 3, 33], [2, 3, 5, 7], [1, 4097], [64, 128], [257, 3]];
await defineKernelTests({
  op: 'l2_normalize_backward',
  cases: [
    ...shapes.map((s) => ({ name: `[${s}]`, inputShapes: [s, s], K: s.at(-1)! })),
    { name: '[4,6] eps 0.5', inputShapes: [[4, 6], [4, 6]], attrs: { eps: 0.5 }, K: 6 },
  ],
  tol: { a0: 1e-6, rtol: 1e-5 },
  bad: [{ name: 'dy shape differs', inputShapes: [[3, 4], [4, 3]], error: /l2_normalize_backward: dy has shape \[4,3\], expected \[3,4\]/ }],
});

describe('l2_normalize_backward reference vs finite differences', () => {
  for (const eps of [1e-8, 0.3]) {
    it(`rows 5 × len 13, eps ${eps}`, () => {
      const rng = new Rng(testSeed() + 41);
      const rows = 5, len = 13, n = rows * len;
      const x = f64(rng, n);
      const dy = f64(rng, n);
      const y = new Float64Array(n);
      const L = () => {
        l2_normalize(x as never, y as never, rows, len, eps);
        return dot(y, dy);
      };
      const dx = new Float64Array(n);
      l2_normalize_backward(x as never, dy as never, dx as never, rows, len, eps, 0);
      const r = checkGradient(x, L, dx, { rng, samples: 40, h: 1e-6 });
      expect(r.ok, r.summary).toBe(true);
    });
  }
});
