// scatter_add_rows on every backend vs the reference: always `+=` into a random-prefilled table,
// many repeated indices (the gradient of gather_rows; EMA codebook sums).
import { type Rng, ints, normal } from '../harness/data.js';
import { defineKernelTests } from '../harness/kernel-suite.js';

const dims: [number, number, number][] = [[1, 1, 1], [5, 7, 3], [16, 17, 8], [33, 64, 16], [97, 15, 31], [1000, 512, 64], [200, 1, 5], [64, 4, 17]];
await defineKernelTests({
  op: 'scatter_add_rows',
  cases: dims.map(([N, K, D]) => ({ name: `N${N} K${K} D${D}`, inputShapes: [[N, D], [N]], attrs: { rows: K }, K: Math.ceil(N / K), gen: (rng: Rng) => [normal(rng, N * D), ints(rng, N, K)] })),
  tol: { a0: 1e-6, rtol: 1e-5 },
  bad: [
    { name: 'idx length ≠ N', inputShapes: [[4, 3], [5]], attrs: { rows: 2 }, error: /scatter_add_rows: idx has shape \[5\], expected \[4\]/ },
    { name: 'rows missing', inputShapes: [[4, 3], [4]], attrs: {}, error: /attribute rows is required/ },
  ],
});
