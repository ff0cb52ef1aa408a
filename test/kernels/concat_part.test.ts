// concat_part on every backend vs the reference: the part lands at its channel offset and the
// rest of `whole` (random-prefilled) stays bit-exact.
import { defineKernelTests } from '../harness/kernel-suite.js';

const cases = [
  { p: [1, 1], Ct: 1, c0: 0 }, { p: [3, 2, 5], Ct: 7, c0: 5 }, { p: [2, 3, 4, 4], Ct: 8, c0: 0 }, { p: [2, 3, 4, 4], Ct: 8, c0: 2 },
  { p: [4, 16, 7], Ct: 33, c0: 17 }, { p: [5, 1, 1], Ct: 3, c0: 1 }, { p: [64, 17], Ct: 31, c0: 14 },
];
await defineKernelTests({
  op: 'concat_part',
  cases: cases.map((c) => ({ name: `part [${c.p}] into ${c.Ct} @${c.c0}`, inputShapes: [c.p], attrs: { channels: c.Ct, offset: c.c0 } })),
  tol: { a0: 0, rtol: 0 },
  bad: [
    { name: 'part past the end', inputShapes: [[2, 3, 4]], attrs: { channels: 4, offset: 2 }, error: /at channel offset 2 does not fit in 4 channels/ },
    { name: 'negative offset', inputShapes: [[2, 3]], attrs: { channels: 4, offset: -1 }, error: /offset must be ≥ 0/ },
  ],
});
