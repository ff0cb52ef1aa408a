/**
 * Exporter lowering tests: small graphs that together use every lowering (matmul ± transposes
 * and `+=`, bias folding and broadcasting, gelu/leaky_relu/relu, scale/sub/mul, concat/split,
 * reshape views, conv2d, conv_transpose2d, vq_nearest + gather_rows), exported and run in
 * onnxruntime-node and onnxruntime-web against lamkit's reference interpreter.
 * Tolerance: fp32, |diff| ≤ 1e-4·max(1, max|ref|); VQ indices exactly equal.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/graph/builder.js';
import type { Value } from '../../src/graph/ir.js';
import { exportGraph } from '../../src/onnx/export.js';
import { decodeModel } from '../../src/onnx/builder.js';
import { openSession, ONNX_RUNTIMES } from '../../src/onnx/runtime.js';
import { Rng, testSeed } from '../../src/data/rng.js';
import { maxDiff, rows, runReference, type Arr } from './helpers.js';

const seed = testSeed();
const TOL = 1e-4;

function param(g: GraphBuilder, rng: Rng, name: string, shape: number[], std = 0.5): Value {
  return g.param(name, shape, rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1)), 0, std));
}

interface Case {
  name: string;
  build(rng: Rng, B: number): { g: GraphBuilder; outputs: Record<string, Value>; feeds: Record<string, number[]> };
  ops: string[];
}

const CASES: Case[] = [
  {
    name: 'mlp: matmul (tb, +=, plain), bias, gelu, leaky_relu, scale, sub, mul',
    ops: ['MatMul', 'Gemm', 'Erf', 'LeakyRelu'],
    build(rng, B) {
      const g = new GraphBuilder();
      const x = g.input('x', [B, 6]);
      const y = g.input('y', [B, 4]);
      const h = g.linear([[x, param(g, rng, 'W1', [8, 6])], [y, param(g, rng, 'W2', [8, 4])]], undefined, param(g, rng, 'b1', [8]), 'l1');
      const a = g.leakyRelu(g.gelu(h), 0.2);
      const m = g.matmul(a, param(g, rng, 'W3', [8, 3]));
      const s = g.scale(m, 0.5);
      const out = g.mul(g.sub(s, g.matmul(y, param(g, rng, 'W4', [4, 3]))), s);
      g.output('out', out);
      return { g, outputs: { out }, feeds: { x: [B, 6], y: [B, 4] } };
    },
  },
  {
    name: 'unet: concat, conv2d+bias+relu, flatten, linear, reshape, add, conv_transpose2d, split',
    ops: ['Concat', 'Conv', 'ConvTranspose', 'Reshape', 'Slice'],
    build(rng, B) {
      const g = new GraphBuilder();
      const a = g.input('a', [B, 2, 8, 8]);
      const c = g.input('c', [B, 2, 8, 8]);
      const x = g.concat([a, c]);
      const e = g.relu(g.conv2d(x, param(g, rng, 'w1', [6, 4, 4, 4], 0.2), param(g, rng, 'b1', [6]), { stride: 2, padding: 1 }));
      const z = g.linear(g.flatten(e), param(g, rng, 'Wz', [5, 96], 0.1), param(g, rng, 'bz', [5]), 'z');
      const inj = g.reshape(g.linear(z, param(g, rng, 'Wi', [96, 5], 0.3), param(g, rng, 'bi', [96]), 'inj'), [B, 6, 4, 4]);
      const d = g.convTranspose2d(g.add(e, inj), param(g, rng, 'wt', [6, 3, 4, 4], 0.2), param(g, rng, 'bt', [3]), { stride: 2, padding: 1 });
      const cat = g.concat([d, a]);
      const part = g.slice(cat, 1, 3);
      const out = g.mul(part, part);
      g.output('z', z);
      g.output('out', out);
      return { g, outputs: { z, out }, feeds: { a: [B, 2, 8, 8], c: [B, 2, 8, 8] } };
    },
  },
  {
    name: 'vq: vq_nearest + gather_rows',
    ops: ['ArgMin', 'Gather'],
    build(rng, B) {
      const g = new GraphBuilder();
      const z = g.input('z', [B, 4]);
      const cb = param(g, rng, 'codebook', [7, 4], 1);
      const idx = g.op('vq_nearest', [z, cb])[0];
      const q = g.op('gather_rows', [cb, idx])[0];
      g.output('q', q);
      g.output('idx', idx);
      return { g, outputs: { q, idx }, feeds: { z: [B, 4] } };
    },
  },
];

describe(`onnx export lowerings (seed ${seed})`, () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const rng = new Rng(seed);
      const B = 3;
      const { g, outputs, feeds } = c.build(rng, B);
      const { bytes, inputs } = exportGraph(g.graph, { outputs, metadata: { preset: 'test' } });
      expect(inputs.map((i) => i.name)).toEqual(Object.keys(feeds));
      const opTypes = new Set(decodeModel(bytes).graph!.node!.map((n) => n.opType));
      for (const op of c.ops) expect(opTypes, `ONNX graph uses ${op}`).toContain(op);
      const data: Record<string, Float32Array> = {};
      for (const [k, shape] of Object.entries(feeds)) data[k] = rng.fillNormal(new Float32Array(shape.reduce((a, b) => a * b, 1)));
      const ref = runReference(g.graph, data);
      for (const rt of ONNX_RUNTIMES) {
        const s = await openSession(bytes, rt);
        const got = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, shape]) => [k, { data: data[k], dims: shape }])));
        // Dynamic batch: row 0 alone through the same session.
        const one = await s.run(Object.fromEntries(Object.entries(feeds).map(([k, shape]) => [k, { data: rows(data[k], B, 0, 1), dims: [1, ...shape.slice(1)] }])));
        for (const name of Object.keys(outputs)) {
          const r = ref[name];
          const o = got[name].data as Arr;
          expect(o.constructor, `${rt} ${name} dtype`).toBe(r.constructor);
          if (r instanceof Int32Array) {
            expect(Array.from(o), `${rt} ${name}`).toEqual(Array.from(r));
          } else {
            const d = maxDiff(o, r);
            expect(d.max, `${rt} ${name}: max |diff| ${d.max} vs scale ${d.scale} (seed ${seed})`).toBeLessThanOrEqual(TOL * d.scale);
          }
          const d1 = maxDiff(one[name].data as Arr, rows(r, B, 0, 1));
          expect(d1.max, `${rt} ${name} at batch 1`).toBeLessThanOrEqual(TOL * d1.scale);
        }
        await s.release();
      }
    });
  }

  it('refuses an op without a lowering, naming the node and op', () => {
    const g = new GraphBuilder();
    const x = g.input('x', [2, 3]);
    const t = g.input('t', [2, 3]);
    const loss = g.mseLoss(x, t);
    expect(() => exportGraph(g.graph, { outputs: { loss } })).toThrow(/node 'mse_loss' uses op 'mse_loss', which has no ONNX lowering/);
  });

  it('checks parameter overrides and inputs', () => {
    const rng = new Rng(seed);
    const g = new GraphBuilder();
    const x = g.input('x', [2, 3]);
    g.input('unused', [2, 1]);
    const y = g.matmul(x, param(g, rng, 'W', [3, 4]));
    expect(() => exportGraph(g.graph, { outputs: { y }, params: { W: new Float32Array(5) } })).toThrow("params['W'] has 5 floats, expected 12 for [3,4]");
    expect(() => exportGraph(g.graph, { outputs: { y }, inputs: ['x', 'unused'] })).toThrow("input 'unused' is not used by the outputs y");
    expect(() => exportGraph(g.graph, { outputs: { y }, inputs: [] })).toThrow("the outputs depend on feed 'x', which is not among inputs []");
    expect(() => exportGraph(g.graph, { outputs: { y }, inputs: ['nope'] })).toThrow("input 'nope' is not a feed of the graph (feeds: x, unused)");
  });

  it('uses trained parameter values when given', async () => {
    const rng = new Rng(seed);
    const g = new GraphBuilder();
    const x = g.input('x', [2, 3]);
    const y = g.matmul(x, param(g, rng, 'W', [3, 2]));
    const W = new Float32Array([1, 0, 0, 1, 1, 1]);
    const { bytes } = exportGraph(g.graph, { outputs: { y }, params: { W } });
    const s = await openSession(bytes, 'node');
    const out = await s.run({ x: { data: new Float32Array([1, 2, 3, 4, 5, 6]), dims: [2, 3] } });
    expect(Array.from(out.y.data as Float32Array)).toEqual([4, 5, 10, 11]);
  });
});
