// scale on every backend vs the reference, `=` and `+=`, several alphas.
import { COUNTS } from '../harness/data.js';
import { defineKernelTests } from '../harness/kernel-suite.js';

await defineKernelTests({
  op: 'scale',
  cases: [
    ...COUNTS.map((n, i) => ({ name: `n=${n}`, inputShapes: [[n]], attrs: { alpha: [0.5, -3.25, 1e-3, 7][i % 4] } })),
    { name: 'alpha 0', inputShapes: [[17]], attrs: { alpha: 0 } },
  ],
  tol: { a0: 1e-6, rtol: 2.5e-7 },
  bad: [{ name: 'alpha missing', inputShapes: [[3]], error: /attribute alpha is required/ }],
});
