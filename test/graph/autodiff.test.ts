/**
 * Every gradient rule against float64 central finite differences. Each case builds one op with
 * parameter inputs (so dx and dw are both checked), a random target feed and an MSE loss.
 */
import { describe, expect, it } from 'vitest';
import { testSeed } from '../../src/data/rng.js';
import type { GraphBuilder } from '../../src/graph/builder.js';
import type { Value } from '../../src/graph/ir.js';
import { DIFFERENTIABLE_OPS } from '../../src/graph/autodiff.js';
import { gradCheck } from './gradcheck.js';
import type { Rng } from '../../src/data/rng.js';

const SEED = testSeed(1234);
const TOL = 1e-5;

function P(b: GraphBuilder, rng: Rng, name: string, shape: number[]): Value {
  return b.param(name, shape, rng.fillNormal(new Float32Array(shape.reduce((a, c) => a * c, 1))));
}
/** loss = mse(y, target feed) */
function fit(b: GraphBuilder, y: Value): Value {
  const t = b.input('target', y.shape);
  return b.mseLoss(y, t);
}

const CASES: Record<string, (b: GraphBuilder, rng: Rng) => Value | { value: Value; weight: number }[]> = {
  'matmul nn': (b, r) => fit(b, b.matmul(P(b, r, 'A', [3, 5]), P(b, r, 'B', [5, 4]))),
  'matmul nt': (b, r) => fit(b, b.matmul(P(b, r, 'A', [3, 5]), P(b, r, 'B', [4, 5]), { tb: true })),
  'matmul tn': (b, r) => fit(b, b.matmul(P(b, r, 'A', [5, 3]), P(b, r, 'B', [5, 4]), { ta: true })),
  'matmul tt': (b, r) => fit(b, b.matmul(P(b, r, 'A', [5, 3]), P(b, r, 'B', [4, 5]), { ta: true, tb: true })),
  'matmul += (linear over two inputs, shared input)': (b, r) => {
    const x = P(b, r, 'x', [3, 4]);
    return fit(b, b.linear([[x, P(b, r, 'W1', [2, 4])], [x, P(b, r, 'W2', [2, 4])]], undefined, P(b, r, 'bias', [2])));
  },
  'conv2d s2 p1': (b, r) => fit(b, b.conv2d(P(b, r, 'x', [2, 3, 7, 6]), P(b, r, 'w', [4, 3, 4, 3]), P(b, r, 'bias', [4]), { stride: 2, padding: 1 })),
  'conv2d dilation 2': (b, r) => fit(b, b.conv2d(P(b, r, 'x', [1, 2, 7, 7]), P(b, r, 'w', [3, 2, 3, 3]), null, { dilation: 2, padding: [1, 0] })),
  'conv_transpose2d s2 p1': (b, r) => fit(b, b.convTranspose2d(P(b, r, 'x', [2, 3, 4, 5]), P(b, r, 'w', [3, 2, 4, 4]), P(b, r, 'bias', [2]), { stride: 2, padding: 1 })),
  'conv_transpose2d output padding': (b, r) => fit(b, b.convTranspose2d(P(b, r, 'x', [1, 2, 3, 3]), P(b, r, 'w', [2, 3, 3, 3]), null, { stride: 2, padding: 1, outputPadding: 1 })),
  'bias_add 2d': (b, r) => fit(b, b.biasAdd(P(b, r, 'x', [4, 3]), P(b, r, 'bias', [3]))),
  relu: (b, r) => fit(b, b.relu(P(b, r, 'x', [4, 7]))),
  leaky_relu: (b, r) => fit(b, b.leakyRelu(P(b, r, 'x', [4, 7]), 0.2)),
  gelu: (b, r) => fit(b, b.gelu(P(b, r, 'x', [4, 7]))),
  add: (b, r) => fit(b, b.add(P(b, r, 'a', [3, 4]), P(b, r, 'c', [3, 4]))),
  'add same input twice': (b, r) => {
    const a = P(b, r, 'a', [3, 4]);
    return fit(b, b.add(a, a));
  },
  sub: (b, r) => fit(b, b.sub(P(b, r, 'a', [3, 4]), P(b, r, 'c', [3, 4]))),
  mul: (b, r) => fit(b, b.mul(P(b, r, 'a', [3, 4]), P(b, r, 'c', [3, 4]))),
  scale: (b, r) => fit(b, b.scale(P(b, r, 'a', [3, 4]), -1.7)),
  'sum_axis last': (b, r) => fit(b, b.sum(P(b, r, 'x', [3, 5]), 1)),
  'sum_axis first': (b, r) => fit(b, b.sum(P(b, r, 'x', [5, 3]), 0)),
  'mean_axis last': (b, r) => fit(b, b.reshape(b.mean(P(b, r, 'x', [2, 3, 5]), 2), [2, 3])),
  'concat (concat_part) + reshape': (b, r) => fit(b, b.concat([P(b, r, 'a', [2, 3, 2, 2]), P(b, r, 'c', [2, 1, 2, 2])])),
  'split_part (two slices)': (b, r) => {
    const w = P(b, r, 'w', [2, 5, 3]);
    return fit(b, b.concat([b.relu(b.slice(w, 0, 2)), b.slice(w, 1, 3)]));
  },
  'mse_loss masked, target with grad, custom denom': (b, r) => {
    const p = P(b, r, 'p', [4, 3]);
    const t = P(b, r, 't', [4, 3]);
    const mask = b.input('mask', [4]);
    return b.mseLoss(p, t, { mask, denom: 2 });
  },
  copy: (b, r) => fit(b, b.op('copy', [P(b, r, 'x', [3, 3])])[0]),
  'l2_normalize last axis': (b, r) => fit(b, b.op('l2_normalize', [P(b, r, 'x', [2, 3, 5])])[0]),
  'l2_normalize cosine loss (both sides)': (b, r) => {
    const p = b.op('l2_normalize', [P(b, r, 'p', [4, 6])], { eps: 1e-3 })[0];
    return b.mseLoss(p, b.op('l2_normalize', [P(b, r, 't', [4, 6])])[0]);
  },
  'gather_rows (scatter_add_rows)': (b, r) => {
    const table = P(b, r, 'table', [5, 3]);
    const idx = b.input('idx', [4], 'i32');
    return fit(b, b.op('gather_rows', [table, idx])[0]);
  },
  'weighted loss terms': (b, r) => {
    const x = P(b, r, 'x', [3, 4]);
    const t1 = b.input('t1', [3, 4]);
    const t2 = b.input('t2', [3, 4]);
    return [
      { value: b.mseLoss(b.gelu(x), t1), weight: 0.7 },
      { value: b.mseLoss(b.scale(x, 2), t2), weight: 2.5 },
    ];
  },
};

describe('autodiff: every gradient rule vs float64 finite differences', () => {
  for (const [name, build] of Object.entries(CASES)) {
    it(name, () => {
      const res = gradCheck(build, {
        seed: SEED,
        samples: 8,
        feedInit: (f, a, rng) => {
          for (let i = 0; i < a.length; i++) a[i] = f === 'idx' ? [4, 0, 2, 0][i % 4] : f === 'mask' ? i % 2 : rng.normal();
        },
      });
      if (res.worst > TOL) console.log(`seed ${SEED}\n${res.report.join('\n')}\n${res.nodes.join(' ')}`);
      expect(res.worst).toBeLessThan(TOL);
    });
  }

  it('stop_gradient: no gradient flows through the stopped path', () => {
    // loss = mse(x ⊙ sg(relu(x)), t): d/dx = 2(x c − t) c / B with c = relu(x) held constant.
    let xs = new Float64Array(0);
    const res = gradCheck(
      (b, r) => {
        const x = P(b, r, 'x', [2, 3]);
        const y = b.mul(x, b.stopGradient(b.relu(x)));
        return fit(b, y);
      },
      { seed: SEED, samples: 6, feedInit: (_f, a, rng) => { for (let i = 0; i < a.length; i++) a[i] = rng.normal(); xs = a; } },
    );
    // The full FD derivative differs from the stop-gradient one wherever relu(x) > 0, so a passing
    // FD check here would mean the stop was ignored.
    expect(xs.length).toBe(6);
    expect(res.worst).toBeGreaterThan(1e-3);
  });

  it('covers every differentiable op', () => {
    const covered = new Set(['matmul', 'conv2d', 'conv_transpose2d', 'bias_add', 'relu', 'leaky_relu', 'gelu', 'add', 'sub', 'mul', 'scale', 'sum_axis', 'mean_axis', 'concat_part', 'split_part', 'mse_loss', 'copy', 'gather_rows', 'l2_normalize']);
    for (const op of DIFFERENTIABLE_OPS) expect(covered.has(op), `op ${op} has a rule but no finite-difference case`).toBe(true);
  });
});
