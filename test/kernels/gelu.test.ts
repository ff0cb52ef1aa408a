// gelu on every backend vs the float64 reference: element counts 1, primes, SIMD widths ± 1, past
// the threading threshold; y may alias x (tested through the contract's aliasOk in the engine).
import { COUNTS } from '../harness/data.js';
import { defineKernelTests } from '../harness/kernel-suite.js';

await defineKernelTests({
  op: 'gelu',
  cases: [...COUNTS.map((n) => ({ name: `n=${n}`, inputShapes: [[n]] })), { name: '[3,5,7]', inputShapes: [[3, 5, 7]] }],
  tol: { a0: 1e-6, rtol: 1e-5 },
});
