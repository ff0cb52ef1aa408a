// The plan executor on every backend vs the reference interpreter: a multi-step training tape
// (FEED, matmul, mse, adam with STEP_INCREMENT, OUTPUT, CHECK_FINITE), arena persistence across
// runs, run-time failures with the step number, and malformed tapes rejected at compile time —
// including by the native addon directly, without the TypeScript checks in front.
import { describe, expect, it } from 'vitest';
import { loadNativeAddon } from '../../src/backends/native.js';
import type { Backend, TapeProgram } from '../../src/backends/types.js';
import { getOp } from '../../src/ops/index.js';
import { SPECIAL_OPCODES } from '../../src/ops/opcodes.js';
import { checkFiniteInstr, encodeInstruction, feedInstr, outputInstr, stepIncrementInstr } from '../../src/ops/tape.js';
import { testBackends } from '../harness/backends.js';
import { Rng, normal, testSeed } from '../harness/data.js';

const { oracle, others } = await testBackends();
const backends: { label: string; backend: Backend }[] = [{ label: 'reference', backend: oracle }];
for (const o of others) if (o.backend && !o.around) backends.push({ label: o.label, backend: o.backend });

/** Linear regression y = x·W trained with Adam: the smallest complete training step. */
function trainingProgram(B: number, Din: number, Dout: number) {
  let at = 0;
  const alloc = (n: number) => ((at += n), at - n);
  const W = alloc(Din * Dout), m = alloc(Din * Dout), v = alloc(Din * Dout), dW = alloc(Din * Dout);
  const x = alloc(B * Din), y = alloc(B * Dout), pred = alloc(B * Dout), dpred = alloc(B * Dout);
  const loss = alloc(1), counter = alloc(1);
  const ins = (op: string, shapes: number[][], attrs: Record<string, unknown>, acc: boolean, ins: number[], outs: number[]) => {
    const c = getOp(op);
    return encodeInstruction(c.opcode, c.encode(shapes, attrs as never, acc), ins, outs);
  };
  const tape = [
    ...stepIncrementInstr(counter),
    ...feedInstr(x, 0, B * Din),
    ...feedInstr(y, B * Din, B * Dout),
    ...ins('matmul', [[B, Din], [Din, Dout]], {}, false, [x, W], [pred]),
    ...ins('mse_loss', [[B, Dout], [B, Dout]], {}, false, [pred, y], [loss]),
    ...ins('mse_grad', [[B, Dout], [B, Dout]], {}, false, [pred, y], [dpred]),
    ...ins('matmul', [[B, Din], [B, Dout]], { ta: true }, false, [x, dpred], [dW]),
    ...ins('adam_update', [[Din * Dout], [Din * Dout], [Din * Dout], [Din * Dout], [1]], { lr: 0.05 }, false, [W, dW, m, v, counter], []),
    ...checkFiniteInstr(W, Din * Dout, 7),
    ...outputInstr(loss, 0, 1),
    ...outputInstr(counter, 1, 1),
  ];
  const program: TapeProgram = { tape: Int32Array.from(tape), arenaFloats: at, feedFloatsPerStep: B * (Din + Dout), outFloatsPerStep: 2 };
  return { program, W, counter };
}

function feedsFor(steps: number, B: number, Din: number, Dout: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const Wtrue = normal(rng, Din * Dout);
  const f = new Float32Array(steps * B * (Din + Dout));
  for (let s = 0; s < steps; s++) {
    const base = s * B * (Din + Dout);
    const x = normal(rng, B * Din);
    f.set(x, base);
    for (let b = 0; b < B; b++)
      for (let j = 0; j < Dout; j++) {
        let acc = 0;
        for (let i = 0; i < Din; i++) acc += x[b * Din + i] * Wtrue[i * Dout + j];
        f[base + B * Din + b * Dout + j] = acc;
      }
  }
  return f;
}

describe('executor: training tape, 40 steps', () => {
  const [B, Din, Dout, steps] = [8, 5, 3, 40];
  const { program, W } = trainingProgram(B, Din, Dout);
  const feeds = feedsFor(steps, B, Din, Dout, testSeed());
  const init = normal(new Rng(testSeed() + 1), Din * Dout, 0.1);
  const runOn = (b: Backend, split: boolean) => {
    const exe = b.compile(program);
    exe.writeArena(W, init);
    const per = B * (Din + Dout);
    const out = split
      ? Float32Array.from([...exe.run(feeds.subarray(0, 15 * per), { steps: 15 }), ...exe.run(feeds.subarray(15 * per), { steps: steps - 15 })])
      : exe.run(feeds, { steps });
    const w = exe.readArena(W, Din * Dout);
    exe.dispose();
    return { out, w };
  };
  const ref = runOn(oracle, false);

  it('reference: the loss falls and the step counter counts', () => {
    const losses = Array.from({ length: steps }, (_, s) => ref.out[2 * s]);
    expect(losses[steps - 1]).toBeLessThan(losses[0] * 0.5);
    const counts = Array.from({ length: steps }, (_, s) => new Int32Array(ref.out.buffer)[2 * s + 1]);
    expect(counts).toEqual(Array.from({ length: steps }, (_, s) => s + 1));
  });

  for (const { label, backend } of backends)
    it(`${label}: same losses and weights as the reference; 15 + 25 steps = 40 steps`, () => {
      for (const split of [false, true]) {
        const got = runOn(backend, split);
        let maxd = 0;
        for (let i = 0; i < got.out.length; i += 2) maxd = Math.max(maxd, Math.abs(got.out[i] - ref.out[i]) / (1e-3 + Math.abs(ref.out[i])));
        for (let i = 0; i < got.w.length; i++) maxd = Math.max(maxd, Math.abs(got.w[i] - ref.w[i]) / (1e-3 + Math.abs(ref.w[i])));
        if (!split) console.log(`executor ${label}: max rel diff vs reference over ${steps} steps ${maxd.toExponential(2)}`);
        expect(maxd).toBeLessThan(1e-3);
        expect(new Int32Array(got.out.buffer)[2 * (steps - 1) + 1]).toBe(steps);
      }
    });
  for (const o of others) if (!o.backend) it.skip(`${o.label}: unavailable — ${o.reason}`, () => {});
});

describe('executor: run-time failures name the step', () => {
  for (const { label, backend } of backends) {
    it(`${label}: CHECK_FINITE stops at the step whose feed holds NaN`, () => {
      const program: TapeProgram = { tape: Int32Array.from([...feedInstr(0, 0, 4), ...checkFiniteInstr(0, 4, 3), ...outputInstr(0, 0, 4)]), arenaFloats: 4, feedFloatsPerStep: 4, outFloatsPerStep: 4 };
      const exe = backend.compile(program);
      const feeds = new Float32Array(5 * 4).fill(1);
      feeds[2 * 4 + 1] = NaN;
      let err: (Error & { step?: number }) | undefined;
      try {
        exe.run(feeds, { steps: 5 });
      } catch (e) {
        err = e as Error & { step?: number };
      }
      expect(err, 'run must throw').toBeDefined();
      expect(err!.step).toBe(2);
      expect(err!.message).toMatch(/step 2: non-finite value NaN in tensor tag 3 at element 1/);
      exe.dispose();
    });
    it(`${label}: gather_rows index out of range fails the run instead of reading outside the table`, () => {
      const c = getOp('gather_rows');
      const tape = encodeInstruction(c.opcode, c.encode([[4, 2], [3]], {}, false), [0, 8], [11]);
      const exe = backend.compile({ tape: Int32Array.from(tape), arenaFloats: 17, feedFloatsPerStep: 0, outFloatsPerStep: 0 });
      exe.writeArena(8, new Float32Array(new Int32Array([0, 4, 1]).buffer));
      expect(() => exe.run(null)).toThrow(/step 0: gather_rows index 4 at row 1 is outside \[0, 4\)/);
      exe.dispose();
    });
    it(`${label}: adam_update before any STEP_INCREMENT fails with a clear message`, () => {
      const c = getOp('adam_update');
      const tape = encodeInstruction(c.opcode, c.encode([[2], [2], [2], [2], [1]], { lr: 0.1 }, false), [0, 2, 4, 6, 8], []);
      const exe = backend.compile({ tape: Int32Array.from(tape), arenaFloats: 9, feedFloatsPerStep: 0, outFloatsPerStep: 0 });
      expect(() => exe.run(null)).toThrow(/adam_update step counter is 0/);
      exe.dispose();
    });
  }
});

describe('executor: bad programs and arguments', () => {
  const good = () => Int32Array.from(feedInstr(0, 0, 4));
  const bad: [string, TapeProgram, RegExp][] = [
    ['unknown opcode', { tape: Int32Array.from([99, 0]), arenaFloats: 4, feedFloatsPerStep: 0, outFloatsPerStep: 0 }, /unknown opcode 99/],
    ['wrong word count', { tape: Int32Array.from([29, 4, 0, 1, 2, 1]), arenaFloats: 8, feedFloatsPerStep: 0, outFloatsPerStep: 0 }, /\(add\): expected 5 operand words, got 4/],
    ['pointer past the arena', { tape: Int32Array.from([29, 5, 0, 4, 8, 4, 0]), arenaFloats: 11, feedFloatsPerStep: 0, outFloatsPerStep: 0 }, /pointer operand 2 covers \[8, 12\), outside the arena of 11 floats/],
    ['negative pointer', { tape: Int32Array.from([23, 3, -4, 0, 4]), arenaFloats: 8, feedFloatsPerStep: 0, outFloatsPerStep: 0 }, /pointer operand 0 covers \[-4, 0\)/],
    ['negative size', { tape: Int32Array.from([23, 3, 0, 0, -1]), arenaFloats: 8, feedFloatsPerStep: 0, outFloatsPerStep: 0 }, /operand 2 is -1, expected a non-negative integer/],
    ['truncated operands', { tape: Int32Array.from([23, 3, 0, 0]), arenaFloats: 8, feedFloatsPerStep: 0, outFloatsPerStep: 0 }, /operands run past the end of the tape/],
    ['feed beyond the step block', { tape: good(), arenaFloats: 8, feedFloatsPerStep: 3, outFloatsPerStep: 0 }, /reads feed floats \[0, 4\), but a step feeds 3/],
    ['matmul overflowing sizes', { tape: Int32Array.from([16, 9, 0, 0, 65536, 65536, 65536, 0, 0, 0, 0]), arenaFloats: 8, feedFloatsPerStep: 0, outFloatsPerStep: 0 }, /outside the arena/],
  ];
  for (const { label, backend } of backends)
    for (const [name, prog, re] of bad)
      it(`${label}: ${name} → RangeError at compile`, () => {
        expect(() => backend.compile(prog)).toThrow(RangeError);
        expect(() => backend.compile(prog)).toThrow(re);
      });

  for (const { label, backend } of backends)
    it(`${label}: run/readArena/writeArena argument errors`, () => {
      const exe = backend.compile({ tape: good(), arenaFloats: 8, feedFloatsPerStep: 4, outFloatsPerStep: 0 });
      expect(() => exe.run(new Float64Array(8) as never, { steps: 2 })).toThrow(TypeError);
      expect(() => exe.run(new Float64Array(8) as never, { steps: 2 })).toThrow(/feeds must be a Float32Array of 8 floats/);
      expect(() => exe.run(new Float32Array(7), { steps: 2 })).toThrow(/feeds has 7 floats, expected 8 \(2 steps × 4\)/);
      expect(() => exe.run(null)).toThrow(TypeError);
      expect(() => exe.run(new Float32Array(4), { steps: -1 })).toThrow(/steps must be an integer ≥ 0, got -1/);
      expect(() => exe.readArena(6, 3)).toThrow(/range \[6, 9\) is outside the arena of 8 floats/);
      expect(() => exe.writeArena(0, new Float64Array(2) as never)).toThrow(TypeError);
      expect(() => exe.writeArena(-1, new Float32Array(2))).toThrow(RangeError);
      expect(() => backend.compile({ tape: [1, 2] as never, arenaFloats: 8, feedFloatsPerStep: 0, outFloatsPerStep: 0 })).toThrow(/program.tape must be an Int32Array/);
      expect(() => backend.compile({ tape: good(), arenaFloats: 0, feedFloatsPerStep: 4, outFloatsPerStep: 0 })).toThrow(/arenaFloats must be an integer ≥ 1, got 0/);
      exe.dispose();
    });
  it('compile refuses an op the backend does not support, naming it', () => {
    const limited: Backend = { ...oracle, name: 'limited', info: () => oracle.info(), supports: (op) => op !== 'relu', compile: oracle.compile };
    const c = getOp('relu');
    const tape = Int32Array.from(encodeInstruction(c.opcode, c.encode([[4]], {}, false), [0], [4]));
    expect(() => oracle.compile.call(limited, { tape, arenaFloats: 8, feedFloatsPerStep: 0, outFloatsPerStep: 0 })).toThrow(/op 'relu' \(tape word 0\) is not supported by this backend/);
  });
});

describe('native addon without the TypeScript checks', () => {
  const r = loadNativeAddon();
  if (!r.addon) {
    it.skip(`native addon unavailable — ${r.reason}`, () => {});
    return;
  }
  const a = r.addon;
  it('Plan rejects malformed tapes with the same messages', () => {
    expect(() => new a.Plan(Int32Array.from([99, 0]), 4)).toThrow(/unknown opcode 99/);
    expect(() => new a.Plan(Int32Array.from([29, 5, 0, 4, 8, 4, 0]), 11)).toThrow(/pointer operand 2 covers \[8, 12\)/);
    expect(() => new a.Plan(Int32Array.from([23, 3, 0, 0]), 8)).toThrow(/run past the end/);
    expect(() => new a.Plan(new Float32Array(2) as never, 8)).toThrow(/tape must be an Int32Array/);
    expect(() => new a.Plan(Int32Array.from([]), 0)).toThrow(/arenaFloats must be an integer/);
    expect(() => new a.Plan(Int32Array.from([25, 4, 0, 0, 2, 0x7fc00000]), 4)).toThrow(/expected a finite float/);
  });
  it('run checks buffer lengths itself', () => {
    const p = new a.Plan(Int32Array.from([SPECIAL_OPCODES.FEED, 3, 0, 0, 4, SPECIAL_OPCODES.OUTPUT, 3, 0, 0, 4]), 4);
    expect(() => p.run(new Float32Array(7), 4, new Float32Array(8), 4, 2)).toThrow(/feeds has 7 floats, expected ≥ 8/);
    expect(() => p.run(new Float32Array(8), 4, new Float32Array(7), 4, 2)).toThrow(/outputs has 7 floats/);
    expect(() => p.run(new Float32Array(8), 3, new Float32Array(8), 4, 2)).toThrow(/feedStride 3 is smaller/);
    expect(() => p.run(null, 0, new Float32Array(8), 4, 2)).toThrow(/feeds is missing/);
    expect(() => p.readArena(2, 3)).toThrow(/outside the arena of 4 floats/);
    p.dispose();
    expect(() => p.run(null, 0, null, 0, 0)).toThrow(/used after dispose/);
  });
  it('profile: per-instruction seconds in tape order, only while enabled, results unchanged', () => {
    const B = 16, Din = 32, Dout = 8, steps = 5;
    const { program } = trainingProgram(B, Din, Dout);
    const feeds = feedsFor(steps, B, Din, Dout, testSeed());
    const plain = new a.Plan(program.tape, program.arenaFloats);
    const timed = new a.Plan(program.tape, program.arenaFloats);
    const outA = new Float32Array(steps * 2), outB = new Float32Array(steps * 2);
    expect(timed.readProfile().length).toBe(0); // never enabled: nothing measured
    timed.profile(true);
    plain.run(feeds, B * (Din + Dout), outA, 2, steps);
    timed.run(feeds, B * (Din + Dout), outB, 2, steps);
    expect(outB).toEqual(outA); // timing changes nothing that is computed
    const sec = timed.readProfile();
    expect(sec.length).toBe(11); // the training tape's 11 instructions
    for (const s of sec) expect(s).toBeGreaterThanOrEqual(0);
    expect(sec[3]! + sec[6]!).toBeGreaterThan(0); // the two matmuls took measurable time
    timed.profile(false);
    const frozen = Array.from(timed.readProfile());
    timed.run(feeds, B * (Din + Dout), outB, 2, steps);
    expect(Array.from(timed.readProfile())).toEqual(frozen); // stopped: counters kept, not advanced
    timed.profile(true);
    expect(Array.from(timed.readProfile()).every((s) => s === 0)).toBe(true); // restart zeroes
    expect(() => timed.profile('yes' as never)).toThrow(/profile: enable must be a boolean/);
    plain.dispose();
    timed.dispose();
  });
  it('threads and ISA controls', () => {
    const t = a.getThreads();
    a.setThreads(1);
    expect(a.getThreads()).toBe(1);
    a.setThreads(t);
    expect(['avx512', 'avx2', 'scalar']).toContain(a.isaName());
    expect(() => a.forceIsa('sse9' as never)).toThrow(/expected 'avx512' \| 'avx2' \| 'scalar' or null/);
  });
});
