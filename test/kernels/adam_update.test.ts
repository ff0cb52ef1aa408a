// adam_update on every backend vs the reference: Adam, AdamW (decoupled), Adam+L2, early and
// late steps (bias correction), counts 1 … past the threading threshold. param, m, v are updated
// in place and compared; grad and the step counter must stay unchanged. The reference itself is
// checked against a hand-computed first step.
import { describe, expect, it } from 'vitest';
import { adam_update } from '../../src/backends/reference/adam_update.js';
import { COUNTS, type Rng, normal, uniform } from '../harness/data.js';
import { defineKernelTests } from '../harness/kernel-suite.js';

const gen = (n: number, t: number) => (rng: Rng) => [normal(rng, n), normal(rng, n), normal(rng, n, 0.1), uniform(rng, n, 0, 0.05), Int32Array.of(t)];
const cfgs = [
  { lr: 1e-3 },
  { lr: 1e-2, weightDecay: 0.1, decoupled: true },
  { lr: 3e-3, weightDecay: 0.01, decoupled: false, beta1: 0.8, beta2: 0.99, eps: 1e-6 },
];
await defineKernelTests({
  op: 'adam_update',
  cases: COUNTS.map((n, i) => {
    const t = [1, 2, 10, 1000][i % 4];
    const a = cfgs[i % 3];
    return { name: `n=${n} t=${t} ${JSON.stringify(a)}`, inputShapes: [[n], [n], [n], [n], [1]], attrs: a, gen: gen(n, t) };
  }),
  tol: { a0: 1e-6, rtol: 1e-5 },
  bad: [
    { name: 'lr missing', inputShapes: [[3], [3], [3], [3], [1]], attrs: {}, error: /attribute lr is required/ },
    { name: 'm shape differs', inputShapes: [[3], [3], [4], [3], [1]], attrs: { lr: 1 }, error: /adam_update: m has shape \[4\], expected \[3\]/ },
    { name: 'beta1 = 1', inputShapes: [[3], [3], [3], [3], [1]], attrs: { lr: 1, beta1: 1 }, error: /beta1 and beta2 must be in \[0, 1\)/ },
    { name: 'step counter not [1]', inputShapes: [[3], [3], [3], [3], [2]], attrs: { lr: 1 }, error: /step has shape \[2\], expected \[1\]/ },
  ],
});

describe('adam_update reference (hand-checked)', () => {
  it('first step moves each parameter by ≈ lr·sign(g)', () => {
    const p = new Float32Array([1, -1, 0.5]);
    const g = new Float32Array([0.3, -2, 1e-3]);
    const m = new Float32Array(3);
    const v = new Float32Array(3);
    adam_update(p, g, m, v, 3, 0.1, 0.9, 0.999, 1e-8, 0, 1, 1);
    // m̂ = g, v̂ = g², so the step is lr·g/(|g| + eps).
    expect(p[0]).toBeCloseTo(0.9, 6);
    expect(p[1]).toBeCloseTo(-0.9, 6);
    expect(p[2]).toBeCloseTo(0.4, 5);
    expect(m[0]).toBeCloseTo(0.03, 7);
    expect(v[1]).toBeCloseTo(0.004, 7);
  });
  it('AdamW shrinks the parameter by lr·wd·p before the step', () => {
    const p = new Float32Array([2]);
    adam_update(p, new Float32Array([0]), new Float32Array(1), new Float32Array(1), 1, 0.1, 0.9, 0.999, 1e-8, 0.5, 1, 1);
    expect(p[0]).toBeCloseTo(2 * (1 - 0.05), 6);
  });
});
