// bias_add on every backend vs the reference: [N,C] (linear layers, S = 1) and [N,C,H,W].
import { defineKernelTests } from '../harness/kernel-suite.js';

const shapes = [[1, 1], [5, 7], [3, 17], [64, 33], [2, 3, 5, 7], [4, 16, 8, 8], [1, 1, 97, 1], [2, 31, 1, 17]];
await defineKernelTests({
  op: 'bias_add',
  cases: shapes.map((s) => ({ name: `[${s}]`, inputShapes: [s, [s[1]]] })),
  tol: { a0: 1e-6, rtol: 2.5e-7 },
  bad: [
    { name: 'bias length ≠ C', inputShapes: [[2, 3, 4], [4]], error: /bias_add: b has shape \[4\], expected \[3\]/ },
    { name: 'rank-1 x', inputShapes: [[5], [5]], error: /x must be \[N,C,\.\.\.\] \(rank ≥ 2\), got \[5\]/ },
  ],
});
