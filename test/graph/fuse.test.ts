/**
 * The conv2d → bias_add → relu/leaky_relu fusion pass (src/graph/fuse.ts) as the planner runs it:
 *  - it fires on the conv64 / grid32 IDM and training graphs (instruction counts);
 *  - it does not fire (or drops the activation) when an intermediate has another reader;
 *  - fused and unfused plans give the same outputs on every backend: bit-identical where the
 *    fused kernel is the fallback (reference, wasm, gpujs, native-cpu forced scalar), within
 *    rtol 1e-5 of the largest output where native-cpu's direct conv may apply the epilogue in
 *    registers (its sum order is the unfused direct conv's; only the epilogue rounding may move —
 *    observed bit-identical too, also with LAMKIT_CONV_DIRECT=1 forcing it on every geometry);
 *  - 20 training steps give the same loss sequence fused and unfused (bit-identical on the
 *    fallback, rel 1e-4 where the direct kernel runs);
 *  - with out-of-place activations the pre-activation buffer disappears from the arena;
 *  - relu/leaky backward read the activation output (leaky with a negative slope keeps x).
 */
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/types.js';
import { Rng, testSeed } from '../../src/data/rng.js';
import { addBackward } from '../../src/graph/autodiff.js';
import { GraphBuilder } from '../../src/graph/builder.js';
import { type Plan, plan } from '../../src/graph/plan.js';
import { compileOn } from '../../src/graph/runner.js';
import { defaultSource } from '../../src/lam/batches.js';
import { buildIdmGraph } from '../../src/lam/presets.js';
import { Trainer } from '../../src/lam/trainer.js';
import { planPreset } from '../../src/lam/training.js';
import { adam } from '../../src/optim/adam.js';
import { testBackends } from '../harness/backends.js';
import { CONV_CASES } from '../harness/conv-cases.js';

const SEED = testSeed(1234);
const count = (p: Plan, op: string, phase?: string): number => p.ops.filter((o) => o.op === op && (!phase || o.phase === phase)).length;

/** planPreset with LAMKIT_FUSE set for the call (the env switch is part of what is tested). */
function planWithEnv(preset: string, batch: number, fuse: '0' | '1'): Plan {
  const before = process.env.LAMKIT_FUSE;
  process.env.LAMKIT_FUSE = fuse;
  try {
    return planPreset(preset, { batch, seed: SEED }).plan;
  } finally {
    if (before === undefined) delete process.env.LAMKIT_FUSE;
    else process.env.LAMKIT_FUSE = before;
  }
}

describe('fusion fires on the LAM conv graphs', () => {
  for (const preset of ['conv64', 'grid32']) {
    it(`${preset} IDM (batch 1): 4 conv layers → 4 conv2d_bias_act, 8 fewer instructions`, () => {
      const g = buildIdmGraph(preset, 1).graph;
      const off = plan(g, { fuse: false });
      const on = plan(g);
      expect(count(off, 'conv2d')).toBe(4);
      expect(count(off, 'relu')).toBe(4);
      expect(count(on, 'conv2d_bias_act')).toBe(4);
      expect(count(on, 'conv2d')).toBe(0);
      expect(count(on, 'relu')).toBe(0);
      expect(count(on, 'bias_add')).toBe(count(off, 'bias_add') - 4); // the linear head's bias stays
      expect(on.ops.length).toBe(off.ops.length - 8);
      expect(on.fused.map((f) => f.conv)).toEqual(['idm.conv1', 'idm.conv2', 'idm.conv3', 'idm.conv4']);
    });
    it(`${preset} training step: the IDM and FDM-encoder convs fuse, LAMKIT_FUSE=0 turns it off`, () => {
      const off = planWithEnv(preset, 2, '0');
      const on = planWithEnv(preset, 2, '1');
      expect(off.fused).toEqual([]);
      expect(count(off, 'conv2d_bias_act')).toBe(0);
      expect(count(on, 'conv2d_bias_act')).toBe(8);
      expect(count(on, 'conv2d', 'forward')).toBe(0);
      expect(count(on, 'relu', 'forward')).toBe(count(off, 'relu', 'forward') - 8);
      expect(on.ops.length).toBe(off.ops.length - 16);
      // The backward is the unfused graph's: same kernels, same count.
      expect(on.ops.filter((o) => o.phase === 'backward').map((o) => o.op)).toEqual(off.ops.filter((o) => o.phase === 'backward').map((o) => o.op));
    });
  }

  it('LAMKIT_FUSE other than 0/1 is an error naming the variable and the value', () => {
    const g = buildIdmGraph('grid32', 1).graph;
    const before = process.env.LAMKIT_FUSE;
    process.env.LAMKIT_FUSE = 'yes';
    try {
      expect(() => plan(g)).toThrow(/LAMKIT_FUSE is 'yes'; expected 0 .* or 1/);
      expect(plan(g, { fuse: true }).fused.length).toBe(4); // an explicit option wins
    } finally {
      if (before === undefined) delete process.env.LAMKIT_FUSE;
      else process.env.LAMKIT_FUSE = before;
    }
  });
});

/** x [2,3,9,9] feed → conv 4×4 s2 p1 → …; returns the builder and its parts. */
function small() {
  const b = new GraphBuilder();
  const rng = new Rng(SEED);
  const P = (name: string, shape: number[]) => b.param(name, shape, rng.fillNormal(new Float32Array(shape.reduce((a, c) => a * c, 1)), 0, 0.3));
  const x = b.input('x', [2, 3, 9, 9]);
  const w = P('w', [5, 3, 4, 4]);
  const bias = P('b', [5]);
  return { b, x, w, bias, P };
}

describe('fusion leaves chains alone when an intermediate is visible', () => {
  it('the conv output has another reader before the bias: no fusion', () => {
    const { b, x, w, bias } = small();
    const y = b.op('conv2d', [x, w], { stride: 2, padding: 1 })[0];
    const other = b.scale(y, 2, 'other_reader');
    const z = b.relu(b.biasAdd(y, bias, { inPlace: true }), 'relu', true);
    b.output('z', z);
    b.output('other', other);
    expect(plan(b.graph).fused).toEqual([]);
  });
  it('the conv output is a graph output (bias written elsewhere): no fusion', () => {
    const { b, x, w, bias } = small();
    const y = b.op('conv2d', [x, w], { stride: 2, padding: 1 })[0];
    b.output('pre', y);
    b.output('z', b.relu(b.biasAdd(y, bias)));
    expect(plan(b.graph).fused).toEqual([]);
  });
  it('the pre-activation is also an output: conv + bias fuse, the relu stays', () => {
    const { b, x, w, bias } = small();
    const pre = b.conv2d(x, w, bias, { stride: 2, padding: 1 }, 'c');
    b.output('pre', pre);
    b.output('z', b.relu(pre, 'r'));
    const p = plan(b.graph);
    expect(p.fused).toEqual([{ conv: 'c', bias: 'c_bias', act: null }]);
    expect(count(p, 'relu')).toBe(1);
  });
  it('a bias over another axis (a reshaped conv output) is not fused', () => {
    const { b, x, w, P } = small();
    const y = b.op('conv2d', [x, w], { stride: 2, padding: 1 })[0]; // [2,5,4,4]
    const v = b.reshape(y, [2, 80]);
    b.output('z', b.relu(b.biasAdd(v, P('b80', [80]))));
    expect(plan(b.graph).fused).toEqual([]);
  });
  it('conv accumulating into a value (+=) is not fused', () => {
    const { b, x, w, bias } = small();
    const y = b.op('conv2d', [x, w], { stride: 2, padding: 1 })[0];
    b.op('conv2d', [x, w], { stride: 2, padding: 1 }, { into: y, acc: true });
    b.output('z', b.relu(b.biasAdd(y, bias)));
    const p = plan(b.graph);
    // The first conv is followed by the accumulating conv (another writer): neither fuses.
    expect(p.fused).toEqual([]);
  });
});

/** A two-layer conv net with out-of-place activations (relu, then leaky with `slope`), Adam. */
function trainNet(slope: number, fuse: boolean): Plan {
  const { b, x, w, bias, P } = small();
  const h1 = b.relu(b.conv2d(x, w, bias, { stride: 2, padding: 1 }, 'c1'), 'r1');
  const h2 = b.leakyRelu(b.conv2d(h1, P('w2', [6, 5, 3, 3]), P('b2', [6]), { padding: 1 }, 'c2'), slope, 'l2');
  const t = b.input('target', h2.shape);
  const loss = b.mseLoss(h2, t);
  b.output('loss', loss);
  adam(b, addBackward(b, loss, [...b.graph.params.values()]), { lr: 1e-2 });
  return plan(b.graph, { fuse });
}

describe('training with out-of-place activations', () => {
  it('relu/leaky backward read the activation output; leaky with slope < 0 keeps its input', () => {
    for (const [slope, leakyReadsOutput] of [[0.1, true], [-0.2, false]] as const) {
      const { b, x, w, bias, P } = small();
      const h1 = b.relu(b.conv2d(x, w, bias, { padding: 1 }, 'c1'), 'r1');
      const h2 = b.leakyRelu(b.conv2d(h1, P('w2', [2, 5, 3, 3]), null, { padding: 1 }, 'c2'), slope, 'l2');
      addBackward(b, b.mseLoss(h2, b.input('t', h2.shape)), [...b.graph.params.values()]);
      const node = (name: string) => b.graph.nodes.find((n) => n.name === name)!;
      expect(node('r1_bw').inputs[0]).toBe(node('r1').outputs[0]);
      expect(node('l2_bw').inputs[0]).toBe(leakyReadsOutput ? node('l2').outputs[0] : node('l2').inputs[0]);
    }
  });

  it('the pre-activation buffers leave the arena (peak bytes drop)', () => {
    // Forward only, out-of-place relu: unfused, conv output and relu output are alive together.
    const fwd = (fuse: boolean): Plan => {
      const { b, x, w, bias, P } = small();
      const h1 = b.relu(b.conv2d(x, w, bias, { padding: 2 }, 'c1'), 'r1'); // [2,5,10,10]
      b.output('y', b.leakyRelu(b.conv2d(h1, P('w2', [6, 5, 3, 3]), P('b2', [6]), { padding: 1 }, 'c2'), 0.1, 'l2'));
      return plan(b.graph, { fuse });
    };
    const f0 = fwd(false);
    const f1 = fwd(true);
    console.log(`two-layer conv net forward, out-of-place relu/leaky: peak ${f0.memory.peakBytes} → ${f1.memory.peakBytes} bytes`);
    expect(f1.fused.length).toBe(2);
    expect(f1.memory.peakBytes).toBeLessThan(f0.memory.peakBytes);
    // Training: the backward reads activation outputs only, so no pre-activation outlives its layer.
    const t0 = trainNet(0.1, false);
    const t1 = trainNet(0.1, true);
    console.log(`same net, training step: peak ${t0.memory.peakBytes} → ${t1.memory.peakBytes} bytes (the peak is in the backward)`);
    expect(t1.fused.length).toBe(2);
    expect(t1.memory.peakBytes).toBeLessThanOrEqual(t0.memory.peakBytes);
    // conv64's layers already write bias and relu in place: the fused plan needs the same arena.
    const c0 = planWithEnv('conv64', 32, '0');
    const c1 = planWithEnv('conv64', 32, '1');
    console.log(`conv64 batch 32 training: peak ${c0.memory.peakBytes} → ${c1.memory.peakBytes} bytes (activations already in place), ${c0.ops.length} → ${c1.ops.length} instructions`);
    expect(c1.memory.peakBytes).toBeLessThanOrEqual(c0.memory.peakBytes);
  });
});

// ---- numerics on every backend ---------------------------------------------------------------

const { oracle, others } = await testBackends();
const BACKENDS = [{ label: 'reference', backend: oracle as Backend | undefined, reason: undefined as string | undefined, around: undefined as (<T>(f: () => T) => T) | undefined }, ...others];
/** Where the fused kernel may take native-cpu's direct conv (epilogue in registers). */
const direct = (label: string): boolean => label === 'native-cpu' || label === 'native-cpu/1thread';

function feedsFor(p: Plan, rng: Rng): Record<string, Float32Array> {
  return Object.fromEntries(p.feeds.map((f) => [f.name, rng.fillNormal(new Float32Array(f.size))]));
}

function compare(label: string, a: Float32Array, b: Float32Array, rtol: number): void {
  let scale = 0;
  let worst = 0;
  let same = a.length === b.length;
  for (let i = 0; i < a.length; i++) {
    scale = Math.max(scale, Math.abs(a[i]));
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    if (!Object.is(a[i], b[i])) same = false;
  }
  console.log(`${label}: max |fused − unfused| ${worst.toExponential(2)} of max |y| ${scale.toExponential(2)}${same ? ' (bit-identical)' : ''}`);
  if (direct(label.split(' ')[0])) expect(worst, label).toBeLessThanOrEqual(rtol * scale);
  else expect(same, `${label}: the fallback must be bit-identical`).toBe(true);
}

describe('fused and unfused plans agree on every backend', () => {
  for (const tb of BACKENDS) {
    if (!tb.backend) {
      it.skip(`${tb.label}: unavailable — ${tb.reason}`, () => {});
      continue;
    }
    const backend = tb.backend;
    const around = tb.around ?? (<T>(f: () => T) => f());
    it(`${tb.label}: conv64 / grid32 IDM outputs (batch 1 and 3)`, () => {
      for (const preset of ['conv64', 'grid32'])
        for (const batch of [1, 3]) {
          const g = buildIdmGraph(preset, batch).graph;
          const pOff = plan(g, { fuse: false });
          const pOn = plan(g);
          const feeds = feedsFor(pOff, new Rng(SEED + batch));
          const run = (p: Plan) => {
            const m = compileOn(p, backend);
            try {
              return around(() => m.run(feeds, 1));
            } finally {
              m.dispose();
            }
          };
          compare(`${tb.label} ${preset} batch ${batch}`, run(pOff), run(pOn), 1e-5);
        }
    }, 120_000);
  }
});

async function lossesOf(run: ReturnType<typeof planPreset>, batch: number, backend: Backend): Promise<Float32Array> {
  const model = compileOn(run.plan, backend);
  try {
    return (await new Trainer(model, defaultSource(run.lam.preset, batch, SEED + 1)).train({ steps: 20, chunk: 10 })).losses;
  } finally {
    model.dispose();
  }
}

describe('20 training steps: the loss sequence matches unfused', () => {
  for (const tb of BACKENDS) {
    // The ISA / thread variants only wrap synchronous runs; gpu.js is the reference's kernels.
    if (!tb.backend || tb.around || tb.label === 'gpujs') continue;
    const backend = tb.backend;
    it(`${tb.label}: grid32 batch 4`, async () => {
      const before = process.env.LAMKIT_FUSE;
      const build = (fuse: '0' | '1') => {
        process.env.LAMKIT_FUSE = fuse;
        try {
          return planPreset('grid32', { batch: 4, seed: SEED });
        } finally {
          if (before === undefined) delete process.env.LAMKIT_FUSE;
          else process.env.LAMKIT_FUSE = before;
        }
      };
      const off = build('0');
      const on = build('1');
      expect(on.plan.fused.length).toBe(8);
      const a = await lossesOf(off, 4, backend);
      const b = await lossesOf(on, 4, backend);
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / Math.abs(a[i]));
      console.log(`${tb.label} grid32 training: loss ${a[0].toFixed(5)} → ${a[19].toFixed(5)} unfused, ${b[0].toFixed(5)} → ${b[19].toFixed(5)} fused, max rel diff ${worst.toExponential(2)}`);
      expect(a.length).toBe(20);
      if (direct(tb.label)) expect(worst).toBeLessThanOrEqual(1e-4);
      else expect(Array.from(b)).toEqual(Array.from(a));
    }, 180_000);
  }
});

describe('native-cpu: fused = unfused with the direct conv forced on and off (LAMKIT_CONV_DIRECT)', () => {
  const native = others.find((o) => o.label === 'native-cpu')?.backend;
  /** conv → bias → activation over one conv-case geometry; the activation out of place. */
  const chain = (c: (typeof CONV_CASES)[number], act: number) => {
    const b = new GraphBuilder();
    const rng = new Rng(SEED + act);
    const P = (name: string, shape: number[]) => b.param(name, shape, rng.fillNormal(new Float32Array(shape.reduce((a, q) => a * q, 1))));
    const x = b.input('x', [c.N, c.C, c.H, c.W]);
    const pre = b.conv2d(x, P('w', [c.OC, c.C, c.KH, c.KW]), P('b', [c.OC]), { stride: c.stride, padding: c.padding, dilation: c.dilation }, 'c');
    b.output('y', act === 0 ? pre : act === 1 ? b.relu(pre, 'r') : b.leakyRelu(pre, 0.25, 'l'));
    return b.graph;
  };
  for (const mode of ['1', '0']) {
    it.runIf(native)(`LAMKIT_CONV_DIRECT=${mode}: every conv-case geometry × none / relu / leaky`, () => {
      const before = process.env.LAMKIT_CONV_DIRECT;
      process.env.LAMKIT_CONV_DIRECT = mode;
      try {
        for (const c of CONV_CASES)
          for (const act of [0, 1, 2]) {
            const g = chain(c, act);
            const pOff = plan(g, { fuse: false });
            const pOn = plan(g);
            expect(pOn.fused.length, c.name).toBe(1);
            const feeds = feedsFor(pOff, new Rng(SEED + 9));
            const run = (p: Plan) => {
              const m = compileOn(p, native!);
              try {
                return m.run(feeds, 1);
              } finally {
                m.dispose();
              }
            };
            // Forced direct: the epilogue runs in registers (within rtol 1e-5); off: the fallback, bit for bit.
            compare(`${mode === '1' ? 'native-cpu' : 'native-cpu/fallback'} ${c.name} act ${act}`, run(pOff), run(pOn), 1e-5);
          }
      } finally {
        if (before === undefined) delete process.env.LAMKIT_CONV_DIRECT;
        else process.env.LAMKIT_CONV_DIRECT = before;
      }
    }, 60_000);
  }
});
