// mul on every backend vs the reference, `=` and `+=`, counts 1 … past the threading threshold.
import { COUNTS } from '../harness/data.js';
import { defineKernelTests } from '../harness/kernel-suite.js';

await defineKernelTests({
  op: 'mul',
  cases: [...COUNTS.map((n) => ({ name: `n=${n}`, inputShapes: [[n], [n]] })), { name: '[2,3,4]', inputShapes: [[2, 3, 4], [2, 3, 4]] }],
  // Exactly rounded for `=`; `+=` rounds twice (y + (a∘b)) against the reference's once, so the
  // absolute slack covers an ulp of the operands (|a∘b| up to ~20 with N(0,1) inputs).
  tol: { a0: 3e-6, rtol: 2.5e-7 },
  bad: [{ name: 'shape mismatch', inputShapes: [[2, 3], [3, 2]], error: /mul: b has shape \[3,2\], expected \[2,3\]/ }],
});
