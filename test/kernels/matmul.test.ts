// matmul vs the float64 reference on every backend: sizes 1, primes and GEMM tile ±1
// (micro-tile 6×16), all four transpose combinations, `=` (NaN-poisoned C) and `+=`.
import { describe, expect, it } from 'vitest';
import { matmul as refMatmul } from '../../src/backends/reference/matmul.js';
import { SIZES } from '../harness/data.js';
import { type KernelCase, defineKernelTests } from '../harness/kernel-suite.js';

const cases: KernelCase[] = [];
const shape = (ta: boolean, tb: boolean, M: number, N: number, K: number) => ({
  name: `${ta ? 'Aᵀ' : 'A'}${tb ? 'Bᵀ' : 'B'} ${M}×${N}×${K}`,
  inputShapes: [ta ? [K, M] : [M, K], tb ? [N, K] : [K, N]],
  attrs: { ta, tb },
  K,
});
for (const s of SIZES) cases.push(shape(false, false, s, s, s));
for (const [M, N, K] of [[1, 97, 5], [17, 1, 33], [97, 33, 16], [6, 16, 1], [7, 17, 15], [64, 31, 97], [5, 48, 129], [13, 15, 2]])
  cases.push(shape(false, false, M, N, K));
for (const [ta, tb] of [[true, false], [false, true], [true, true]] as const)
  for (const [M, N, K] of [[1, 1, 1], [7, 17, 15], [33, 16, 31], [64, 97, 17]]) cases.push(shape(ta, tb, M, N, K));
// C ≥ 512Ki floats with K > 256: native AVX2 switches to its big-C blocking (MC 96, KC 512);
// linear-1k's pred is A·Bᵀ and pred_dB Aᵀ·B.
cases.push(shape(false, true, 725, 724, 300), shape(true, false, 725, 724, 300));
// K ≤ 64 over several MC blocks: the packed path's row-strip tile order, row and column edges.
cases.push(shape(false, false, 301, 263, 40), shape(true, true, 301, 263, 40));

await defineKernelTests({
  op: 'matmul',
  cases,
  tol: { a0: 2e-6, rtol: 1e-5, nmse: 1e-10 },
  bad: [
    { name: 'inner dimensions differ', inputShapes: [[3, 4], [5, 6]], error: /matmul: B has shape \[5,6\], expected \[4,N\]/ },
    { name: 'rank-3 A', inputShapes: [[2, 3, 4], [4, 5]], error: /matmul: A must be rank 2/ },
    { name: 'transposed B mismatch', inputShapes: [[3, 4], [6, 5]], attrs: { tb: true }, error: /expected \[N,4\]/ },
  ],
});

describe('matmul reference (hand-checked)', () => {
  it('2×2 product, transposes and +=', () => {
    const A = new Float32Array([1, 2, 3, 4]);
    const B = new Float32Array([5, 6, 7, 8]);
    const C = new Float32Array(4);
    refMatmul(0, 0, 2, 2, 2, A, B, C, 0);
    expect(Array.from(C)).toEqual([19, 22, 43, 50]);
    refMatmul(1, 0, 2, 2, 2, A, B, C, 0); // AᵀB
    expect(Array.from(C)).toEqual([26, 30, 38, 44]);
    refMatmul(0, 1, 2, 2, 2, A, B, C, 1); // += ABᵀ
    expect(Array.from(C)).toEqual([26 + 17, 30 + 23, 38 + 39, 44 + 53]);
  });
});
