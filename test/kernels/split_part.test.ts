// split_part on every backend vs the reference: channel slices at every offset kind, `=` and `+=`.
import { defineKernelTests } from '../harness/kernel-suite.js';

const cases = [
  { w: [1, 1], Cp: 1, c0: 0 }, { w: [3, 7, 5], Cp: 2, c0: 5 }, { w: [2, 8, 4, 4], Cp: 3, c0: 0 }, { w: [2, 8, 4, 4], Cp: 3, c0: 2 },
  { w: [4, 33, 7], Cp: 16, c0: 17 }, { w: [5, 3, 1], Cp: 1, c0: 1 }, { w: [64, 31], Cp: 17, c0: 14 },
];
await defineKernelTests({
  op: 'split_part',
  cases: cases.map((c) => ({ name: `[${c.w}] ${c.Cp} @${c.c0}`, inputShapes: [c.w], attrs: { channels: c.Cp, offset: c.c0 } })),
  tol: { a0: 0, rtol: 1.2e-7 },
  bad: [{ name: 'slice past the end', inputShapes: [[2, 4, 3]], attrs: { channels: 3, offset: 2 }, error: /3 channels at offset 2 do not fit in whole \[2,4,3\]/ }],
});
