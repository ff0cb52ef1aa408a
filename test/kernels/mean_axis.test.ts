// mean_axis on every backend vs the reference over [outer, len, inner] views: each axis of rank-1..4
// tensors, long reductions, `=` and `+=`.
import { defineKernelTests } from '../harness/kernel-suite.js';

const cases = [
  { s: [1], axis: 0 }, { s: [97], axis: 0 }, { s: [70001], axis: 0 }, { s: [5, 7], axis: 0 }, { s: [5, 7], axis: 1 },
  { s: [5, 7], axis: -1 }, { s: [16, 17], axis: 0 }, { s: [3, 33, 4], axis: 1 }, { s: [2, 3, 5, 7], axis: 2 },
  { s: [2, 3, 5, 7], axis: 0 }, { s: [2, 3, 5, 7], axis: 3 }, { s: [31, 1, 9], axis: 1 }, { s: [4, 1000], axis: 1 },
];
await defineKernelTests({
  op: 'mean_axis',
  cases: cases.map((c) => ({ name: `[${c.s}] axis ${c.axis}`, inputShapes: [c.s], attrs: { axis: c.axis }, K: c.s.at(c.axis)! })),
  tol: { a0: 2e-6, rtol: 1e-5, nmse: 1e-10 },
  bad: [
    { name: 'axis out of range', inputShapes: [[3, 4]], attrs: { axis: 2 }, error: /mean_axis: axis 2 is out of range for x of rank 2/ },
    { name: 'axis missing', inputShapes: [[3, 4]], attrs: {}, error: /attribute axis is required/ },
  ],
});
