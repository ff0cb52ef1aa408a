// copy on every backend vs the reference: `=` is bit-exact, `+=` one rounding.
import { COUNTS } from '../harness/data.js';
import { defineKernelTests } from '../harness/kernel-suite.js';

await defineKernelTests({
  op: 'copy',
  cases: [...COUNTS.map((n) => ({ name: `n=${n}`, inputShapes: [[n]] })), { name: '[4,4,4]', inputShapes: [[4, 4, 4]] }],
  tol: { a0: 0, rtol: 1.2e-7 },
});
