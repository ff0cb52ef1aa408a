// mse_loss on every backend vs the reference, with and without a row mask, custom denominators.
import { type Rng, mask, normal } from '../harness/data.js';
import { defineKernelTests } from '../harness/kernel-suite.js';

const masked = (B: number, D: number) => (rng: Rng) => [normal(rng, B * D), normal(rng, B * D), mask(rng, B)];
await defineKernelTests({
  op: 'mse_loss',
  cases: [
    { name: 'masked [5,7]', inputShapes: [[5, 7], [5, 7], [5]], gen: masked(5, 7), K: 35 },
    { name: '[1,1]', inputShapes: [[1, 1], [1, 1]], K: 1 },
    { name: '[16,17]', inputShapes: [[16, 17], [16, 17]], K: 272 },
    { name: '[97,33] denom 12', inputShapes: [[97, 33], [97, 33]], attrs: { denom: 12 }, K: 3201 },
    { name: 'masked [64,31] denom 40', inputShapes: [[64, 31], [64, 31], [64]], attrs: { denom: 40 }, gen: masked(64, 31), K: 1984 },
    { name: '[4096,3]', inputShapes: [[4096, 3], [4096, 3]], K: 12288 },
    { name: '[2,3,4,4] (rank 4)', inputShapes: [[2, 3, 4, 4], [2, 3, 4, 4]], K: 96 },
  ],
  tol: { a0: 1e-6, rtol: 1e-5 },
  bad: [
    { name: 'target shape differs', inputShapes: [[4, 3], [3, 4]], error: /mse_loss: target has shape \[3,4\], expected \[4,3\]/ },
    { name: 'mask length ≠ B', inputShapes: [[4, 3], [4, 3], [3]], error: /mask has shape \[3\], expected \[4\]/ },
    { name: 'denom 0', inputShapes: [[4, 3], [4, 3]], attrs: { denom: 0 }, error: /denom must be > 0/ },
  ],
});
