// ema_update on every backend vs the reference (target updated in place, source unchanged).
import { COUNTS } from '../harness/data.js';
import { defineKernelTests } from '../harness/kernel-suite.js';

await defineKernelTests({
  op: 'ema_update',
  cases: [
    ...COUNTS.map((n, i) => ({ name: `n=${n} decay ${[0.99, 0.5, 0, 1][i % 4]}`, inputShapes: [[n], [n]], attrs: { decay: [0.99, 0.5, 0, 1][i % 4] } })),
    { name: '[8,16] decay 0.999', inputShapes: [[8, 16], [8, 16]], attrs: { decay: 0.999 } },
  ],
  tol: { a0: 5e-7, rtol: 5e-7 },
  bad: [{ name: 'decay > 1', inputShapes: [[3], [3]], attrs: { decay: 1.5 }, error: /decay must be in \[0, 1\], got 1.5/ }],
});
