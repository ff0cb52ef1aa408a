/**
 * Bad input: every mistake below fails with a TypeError/RangeError (or StepError) naming what
 * and where, before any kernel runs.
 */
import { describe, expect, it } from 'vitest';
import { GraphBuilder } from '../../src/graph/builder.js';
import { StepError } from '../../src/graph/compiled.js';
import { plan } from '../../src/graph/plan.js';
import { compileReference } from '../../src/graph/runner.js';
import { addTrainingStep } from '../../src/lam/objective.js';
import { buildLam, getPreset } from '../../src/lam/presets.js';
import { planPreset } from '../../src/lam/training.js';
import { Trainer } from '../../src/lam/trainer.js';

function tiny() {
  const { plan: pl } = planPreset('linear-exo', { batch: 4 });
  return compileReference(pl);
}

describe('bad input', () => {
  it('mismatched shapes name the node, the op and the shapes', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [4, 3]);
    const w = b.param('w', [5, 2], new Float32Array(10));
    expect(() => b.matmul(x, w, { tb: true, name: 'proj' })).toThrow(/node 'proj' \(op matmul, inputs A=\[4,3\], B=\[5,2\]\)/);
    expect(() => b.conv2d(b.input('img', [1, 3, 8, 8]), b.param('k', [4, 2, 3, 3], new Float32Array(72)), null)).toThrow(RangeError);
    expect(() => b.add(x, b.input('y', [3, 4]))).toThrow(/add.*\[4,3\].*\[3,4\]|\[3,4\].*\[4,3\]/);
    expect(() => b.reshape(x, [5, 3])).toThrow(/cannot view x\[4,3\]/);
    expect(() => b.concat([x, b.input('z', [5, 2])])).toThrow(/differ outside axis 1/);
    expect(() => b.mseLoss(x, b.input('t', [4, 2]))).toThrow(/same shape/);
  });

  it('an unknown op is rejected with the known ones', () => {
    const b = new GraphBuilder();
    const x = b.input('x', [2, 2]);
    expect(() => b.op('softmax', [x])).toThrow(/unknown op 'softmax'; expected one of matmul/);
  });

  it('bad parameter data and duplicate names', () => {
    const b = new GraphBuilder();
    expect(() => b.param('w', [2, 2], new Float32Array(3))).toThrow(/3 floats, expected 4/);
    expect(() => b.param('w', [2, 2], new Float64Array(4) as unknown as Float32Array)).toThrow(TypeError);
    b.input('x', [1]);
    expect(() => b.input('x', [1])).toThrow(/already exists/);
    expect(() => b.input('y', [0, 2])).toThrow(/positive integers/);
  });

  it('a feed of the wrong shape or type', () => {
    const m = tiny();
    expect(() => m.run(new Float32Array(7), 1)).toThrow(/feed block has 7 floats, expected 1 steps × 512 = 512/);
    expect(() => m.run({ o_t: new Float32Array(256) }, 1)).toThrow(/missing feed 'o_t1' \[4,64\]/);
    expect(() => m.run({ o_t: new Float32Array(256), o_t1: new Float32Array(255) }, 1)).toThrow(/'o_t1' has 255 floats, expected 1 steps × \[4,64\] = 256/);
    expect(() => m.run({ o_t: new Float64Array(256) as unknown as Float32Array, o_t1: new Float32Array(256) }, 1)).toThrow(TypeError);
    expect(() => m.run({ o_t: new Float32Array(256), o_t1: new Float32Array(256), a: new Float32Array(1) }, 1)).toThrow(/unknown feed 'a'/);
    expect(() => m.run([1, 2] as unknown as Float32Array, 1)).toThrow(TypeError);
  });

  it('NaN in a feed is reported with the step and the feed name', () => {
    const m = tiny();
    const feeds = new Float32Array(3 * 512).fill(0.5);
    feeds[2 * 512 + 300] = NaN; // step 3 (1-based), inside o_t1
    let err: unknown;
    try {
      m.run(feeds, 3);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StepError);
    expect((err as StepError).step).toBe(2);
    expect((err as Error).message).toMatch(/step 3 of 3.*feed 'o_t1'/);
  });

  it('non-positive or fractional step counts', () => {
    const m = tiny();
    for (const s of [0, -1, 1.5, NaN]) expect(() => m.run(new Float32Array(512), s)).toThrow(/steps must be a positive integer/);
    const lam = buildLam('linear-exo', { batch: 4 });
    addTrainingStep(lam.builder, lam.recon);
    const t = new Trainer(compileReference(plan(lam.builder.graph)), { feeds: ['o_t', 'o_t1'], next() {} });
    return expect(t.train({ steps: 0 })).rejects.toThrow(/steps must be a positive integer/);
  });

  it('setParams checks names, sizes and finiteness; getParams round-trips', () => {
    const m = tiny();
    const p = m.getParams();
    expect(Object.keys(p)).toEqual(['idm.W1', 'idm.W2', 'fdm.C', 'fdm.D']);
    expect(() => m.setParams({ nope: new Float32Array(1) })).toThrow(/no parameter named 'nope'/);
    expect(() => m.setParams({ 'fdm.D': new Float32Array(3) })).toThrow(/'fdm.D' has 3 floats, expected \[64,8\] = 512/);
    const bad = p['idm.W1'].slice();
    bad[5] = Infinity;
    expect(() => m.setParams({ 'idm.W1': bad })).toThrow(/non-finite value Infinity at element 5/);
    const w = p['fdm.C'].map((v) => v * 2);
    m.setParams({ 'fdm.C': w });
    expect(Array.from(m.getParam('fdm.C'))).toEqual(Array.from(w));
  });

  it('unknown preset', () => {
    expect(() => getPreset('conv128')).toThrow(/unknown preset 'conv128'; expected one of linear-exo, linear-1k, conv64, grid32/);
  });
});
