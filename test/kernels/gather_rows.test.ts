// gather_rows on every backend vs the reference (bit-exact copies), repeated indices included;
// the adjoint identity ⟨gather(T, idx), S⟩ = ⟨T, scatter_add(S, idx)⟩ checks the reference pair.
import { describe, expect, it } from 'vitest';
import { gather_rows } from '../../src/backends/reference/gather_rows.js';
import { scatter_add_rows } from '../../src/backends/reference/scatter_add_rows.js';
import { type Rng, Rng as R, ints, normal, testSeed } from '../harness/data.js';
import { dot } from '../harness/fd.js';
import { defineKernelTests } from '../harness/kernel-suite.js';

const dims: [number, number, number][] = [[1, 1, 1], [5, 7, 3], [16, 17, 8], [33, 64, 16], [97, 15, 31], [1000, 512, 64], [7, 1, 5]];
await defineKernelTests({
  op: 'gather_rows',
  cases: dims.map(([N, K, D]) => ({ name: `N${N} K${K} D${D}`, inputShapes: [[K, D], [N]], gen: (rng: Rng) => [normal(rng, K * D), ints(rng, N, K)] })),
  tol: { a0: 0, rtol: 0 },
  bad: [{ name: 'idx rank 2', inputShapes: [[4, 3], [2, 2]], error: /gather_rows: idx must be rank 1/ }],
});

describe('gather_rows / scatter_add_rows reference adjoint', () => {
  it('⟨gather(T, idx), S⟩ = ⟨T, scatter_add(S, idx)⟩', () => {
    const rng = new R(testSeed() + 43);
    const [N, K, D] = [40, 9, 6];
    const T = normal(rng, K * D);
    const S = normal(rng, N * D);
    const idx = ints(rng, N, K);
    const g = new Float32Array(N * D);
    gather_rows(T, idx, g, N, D);
    const sc = new Float32Array(K * D);
    scatter_add_rows(S, idx, sc, N, D);
    expect(Math.abs(dot(g, S) - dot(T, sc))).toBeLessThan(1e-4);
  });
});
