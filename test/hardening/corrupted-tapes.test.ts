// Corrupted tapes: seeded single-word mutations (random, −1, 2^31−1, ±1) of two real training
// tapes: linear-exo (batch 4) and a small conv net whose planned forward is conv2d_bias_act
// (relu and leaky) with a conv backward (strides, dilations and the act code get mutated too). The TypeScript validator (checkProgram) refuses most with a message
// naming the tape word; the C++ validator inside the addon must refuse everything TypeScript
// refuses — at Plan creation or, for feed/output strides it cannot see earlier, at run() — so a
// caller that skips the TS layer still cannot make a kernel read or write outside the arena.
// Mutations both accept (a changed constant, an offset still in range) must run on every
// backend without crashing; errors they raise (e.g. a NaN caught by CHECK_FINITE) are fine.
// A crash here takes the test worker down, which vitest reports as a failure.
import { afterAll, describe, expect, it } from 'vitest';
import { checkProgram } from '../../src/backends/program.js';
import { decodeTape } from '../../src/ops/tape.js';
import { loadNativeAddon } from '../../src/backends/native.js';
import type { Backend, TapeProgram } from '../../src/backends/types.js';
import { Rng as DataRng } from '../../src/data/rng.js';
import { addBackward } from '../../src/graph/autodiff.js';
import { GraphBuilder } from '../../src/graph/builder.js';
import { plan as planGraph } from '../../src/graph/plan.js';
import { planPreset } from '../../src/lam/training.js';
import { adam } from '../../src/optim/adam.js';
import { testBackends } from '../harness/backends.js';
import { Rng, testSeed } from '../harness/data.js';

const SEED = testSeed();
const COUNT = 600;
/** conv 4×4 s2 p1 + bias + relu → conv 3×3 p1 dilation 2 + bias + leaky → MSE, Adam: fuses twice. */
function convTape(): TapeProgram {
  const b = new GraphBuilder();
  const rng = new DataRng(3);
  const P = (name: string, shape: number[]) => b.param(name, shape, rng.fillNormal(new Float32Array(shape.reduce((a, c) => a * c, 1)), 0, 0.3));
  const x = b.input('x', [2, 3, 8, 8]);
  const h = b.relu(b.conv2d(x, P('w1', [4, 3, 4, 4]), P('b1', [4]), { stride: 2, padding: 1 }, 'c1'), 'r1', true);
  const y = b.leakyRelu(b.conv2d(h, P('w2', [3, 4, 3, 3]), P('b2', [3]), { padding: 2, dilation: 2 }, 'c2'), 0.1, 'l2', true);
  const loss = b.mseLoss(y, b.input('t', y.shape));
  b.output('loss', loss);
  adam(b, addBackward(b, loss, [...b.graph.params.values()]));
  const p = planGraph(b.graph, { fuse: true });
  if (p.fused.length !== 2) throw new Error(`corrupted-tapes: expected the conv tape to fuse 2 chains, got ${p.fused.length}`);
  return p.program;
}

const BASES: [string, TapeProgram][] = [
  ['linear-exo training', planPreset('linear-exo', { batch: 4 }).plan.program],
  ['conv2d_bias_act training', convTape()],
];

interface Mutation {
  word: number;
  from: number;
  to: number;
  program: TapeProgram;
}

function mutations(base: TapeProgram, salt: number): Mutation[] {
  const rng = new Rng(SEED + 77 + salt);
  return Array.from({ length: COUNT }, () => {
    const tape = Int32Array.from(base.tape);
    const word = rng.int(tape.length);
    const from = tape[word];
    const kind = rng.int(5);
    tape[word] = kind === 0 ? rng.int(2 ** 31) | 0 : kind === 1 ? -1 : kind === 2 ? 2147483647 : kind === 3 ? from + 1 : from - 1;
    return { word, from, to: tape[word], program: { ...base, tape } };
  });
}
const label = (m: Mutation) => `word ${m.word}: ${m.from} → ${m.to} (seed ${SEED})`;
const anyOp = { name: 'hardening', supports: () => true };

function tsVerdict(m: Mutation): string | null {
  try {
    checkProgram(m.program, anyOp);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** Runs `steps` steps with zero feeds; returns the error message or null. */
function runOn(backend: Backend, p: TapeProgram, steps: number): string | null {
  let exe;
  try {
    exe = backend.compile(p);
  } catch (e) {
    return `compile: ${(e as Error).message}`;
  }
  try {
    exe.run(p.feedFloatsPerStep > 0 ? new Float32Array(steps * p.feedFloatsPerStep).fill(0.25) : null, { steps });
    return null;
  } catch (e) {
    return (e as Error).message;
  } finally {
    exe.dispose();
  }
}

const { oracle, others } = await testBackends();

BASES.forEach(([name, base], salt) => {
  const MUTATIONS = mutations(base, salt);
  describe(`corrupted tapes: ${name} (${COUNT} seeded mutations of a ${base.tape.length}-word tape, seed ${SEED})`, () => {
    const verdicts = MUTATIONS.map(tsVerdict);
    const refused = MUTATIONS.filter((_, i) => verdicts[i] !== null);
    const accepted = MUTATIONS.filter((_, i) => verdicts[i] === null);
    afterAll(() => console.log(`corrupted tapes (${name}): ${refused.length} refused by checkProgram, ${accepted.length} accepted (run on every backend)`));

    it('the TS validator refuses with a message naming the tape word or the arena', () => {
      expect(refused.length, 'no mutation was refused: the validator checks nothing?').toBeGreaterThan(COUNT / 4);
      const vague = MUTATIONS.flatMap((m, i) => {
        const msg = verdicts[i];
        return msg !== null && !/tape word \d+|tape of \d+ words|arena/.test(msg) ? [`${label(m)}: ${msg}`] : [];
      });
      expect(vague).toEqual([]);
    });

    it('mutations land in every opcode of the tape (conv2d_bias_act included where present)', () => {
      const ins = decodeTape(base.tape, base.arenaFloats, base.feedFloatsPerStep, base.outFloatsPerStep);
      const hit = new Set(MUTATIONS.map((m) => ins.find((x) => m.word >= x.at && m.word < x.at + 2 + x.words.length)!.name));
      if (name.startsWith('conv2d_bias_act')) expect(ins.filter((x) => x.name === 'conv2d_bias_act').length).toBe(2);
      const missed = [...new Set(ins.map((x) => x.name))].filter((n) => !hit.has(n));
      expect(missed, 'opcodes no mutation touched').toEqual([]);
    });

    const load = loadNativeAddon();
    it.skipIf(!load.addon)(`the addon refuses every tape the TS validator refuses (${load.reason ?? 'native-cpu addon'})`, () => {
      const addon = load.addon!;
      const slipped: string[] = [];
      for (const m of refused) {
        let p;
        try {
          p = new addon.Plan(m.program.tape, m.program.arenaFloats);
        } catch (e) {
          expect(e, label(m)).toBeInstanceOf(Error);
          continue;
        }
        try {
          // The declared strides: what the TS layer would pass.
          const { feedFloatsPerStep: fs, outFloatsPerStep: os } = base;
          p.run(new Float32Array(2 * fs).fill(0.25), fs, new Float32Array(2 * Math.max(os, 1)), os, 2);
          slipped.push(`${label(m)}: TS says "${tsVerdict(m)}", the addon ran it`);
        } catch (e) {
          expect((e as Error).message, label(m)).toMatch(/^run: .*(feedStride|outStride|arena|step)/);
        } finally {
          p.dispose();
        }
      }
      expect(slipped).toEqual([]);
    });

    for (const tb of [{ label: 'reference', backend: oracle as Backend | undefined, reason: undefined as string | undefined }, ...others]) {
      if (!tb.backend) {
        it.skip(`${tb.label}: unavailable — ${tb.reason}`, () => {});
        continue;
      }
      const backend = tb.backend;
      it(`${tb.label}: tapes the validator accepts run without crashing`, () => {
        const bad: string[] = [];
        for (const m of accepted) {
          const err = runOn(backend, m.program, 2);
          if (err !== null && err.trim() === '') bad.push(`${label(m)}: error without a message`);
        }
        expect(bad).toEqual([]);
      }, 120_000);
    }
  });
});
