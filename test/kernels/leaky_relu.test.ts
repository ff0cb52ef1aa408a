// leaky_relu on every backend vs the reference, default and custom slopes.
import { COUNTS } from '../harness/data.js';
import { defineKernelTests } from '../harness/kernel-suite.js';

await defineKernelTests({
  op: 'leaky_relu',
  cases: [
    ...COUNTS.map((n) => ({ name: `n=${n}`, inputShapes: [[n]] })),
    { name: 'slope 0.2 [4,9]', inputShapes: [[4, 9]], attrs: { slope: 0.2 } },
    { name: 'slope 1.5 n=33', inputShapes: [[33]], attrs: { slope: 1.5 } },
  ],
  tol: { a0: 0, rtol: 1.2e-7 },
  bad: [{ name: 'non-numeric slope', inputShapes: [[3]], attrs: { slope: [1, 2] }, error: /slope must be a finite number/, type: TypeError }],
});
