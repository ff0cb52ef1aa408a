// vq_nearest on every backend vs the reference. Indices must match, except where two codes are
// within float32 rounding of each other: then the chosen code's float64 distance must equal the
// minimum within tolerance. Ties (duplicate codes) must pick the lowest index.
import { describe, expect, it } from 'vitest';
import { vq_nearest } from '../../src/backends/reference/vq_nearest.js';
import type { TensorData } from '../../src/backends/single-op.js';
import { type Rng, normal } from '../harness/data.js';
import { type KernelCase, defineKernelTests } from '../harness/kernel-suite.js';

function dist(z: TensorData, c: TensorData, n: number, k: number, D: number): number {
  let s = 0;
  for (let d = 0; d < D; d++) {
    const e = z[n * D + d] - c[k * D + d];
    s += e * e;
  }
  return s;
}

const withDuplicates = (N: number, K: number, D: number) => (rng: Rng) => {
  const z = normal(rng, N * D);
  const c = normal(rng, K * D);
  // Code K−1 duplicates code 0 and some z sit exactly on a code: ties and zero distances.
  c.copyWithin((K - 1) * D, 0, D);
  for (let n = 0; n < N; n += 3) z.set(c.subarray(((n % K) * D), ((n % K) + 1) * D), n * D);
  return [z, c];
};

const dims: [number, number, number][] = [[1, 1, 1], [5, 7, 3], [16, 17, 8], [33, 64, 16], [97, 15, 31], [256, 512, 64], [7, 1, 5], [64, 33, 2]];
const cases: KernelCase[] = dims.map(([N, K, D], i) => ({
  name: `N${N} K${K} D${D}${i % 2 ? ' ties' : ''}`,
  inputShapes: [[N, D], [K, D]],
  gen: i % 2 && K > 1 ? withDuplicates(N, K, D) : undefined,
}));

await defineKernelTests({
  op: 'vq_nearest',
  cases,
  tol: { a0: 0, rtol: 0 },
  compareOutput(got, ref, inputs, kc) {
    const [[N, D], [K]] = kc.inputShapes;
    let mism = 0;
    let worst = 0;
    for (let n = 0; n < N; n++) {
      if (got[n] === ref[n]) continue;
      mism++;
      if (!(got[n] >= 0 && got[n] < K)) return { ok: false, summary: `idx[${n}] = ${got[n]} outside [0, ${K})` };
      const dg = dist(inputs[0], inputs[1], n, got[n], D);
      const dr = dist(inputs[0], inputs[1], n, ref[n], D);
      worst = Math.max(worst, (dg - dr) / Math.max(dr, 1e-30));
      // Equal distances must resolve to the lowest index; near-equal ones may differ by rounding.
      if (dg === dr && got[n] > ref[n]) return { ok: false, summary: `idx[${n}] = ${got[n]} but code ${ref[n]} is at the same distance (lowest index wins)` };
      if (dg - dr > 1e-5 * (1 + dr)) return { ok: false, summary: `idx[${n}] = ${got[n]} (d² ${dg}) vs ${ref[n]} (d² ${dr})` };
    }
    return { ok: true, summary: `${mism} near-tie mismatches, worst rel d² gap ${worst.toExponential(2)}` };
  },
  bad: [{ name: 'D mismatch', inputShapes: [[4, 3], [5, 2]], error: /vq_nearest: codebook has shape \[5,2\], expected \[K,3\]/ }],
});

describe('vq_nearest reference', () => {
  it('picks the nearest code and the lowest index on ties', () => {
    const z = new Float32Array([0, 0, 1, 1, 5, 5]);
    const c = new Float32Array([1, 1, 0, 0, 1, 1, 4, 4]);
    const idx = new Int32Array(3);
    vq_nearest(z, c, idx, 3, 4, 2);
    expect(Array.from(idx)).toEqual([1, 0, 3]);
  });
});
