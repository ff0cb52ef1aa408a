// Corrupted tapes: seeded single-word mutations (random, −1, 2^31−1, ±1) of a real training tape
// (linear-exo, batch 4). The TypeScript validator (checkProgram) refuses most with a message
// naming the tape word; the C++ validator inside the addon must refuse everything TypeScript
// refuses — at Plan creation or, for feed/output strides it cannot see earlier, at run() — so a
// caller that skips the TS layer still cannot make a kernel read or write outside the arena.
// Mutations both accept (a changed constant, an offset still in range) must run on every
// backend without crashing; errors they raise (e.g. a NaN caught by CHECK_FINITE) are fine.
// A crash here takes the test worker down, which vitest reports as a failure.
import { afterAll, describe, expect, it } from 'vitest';
import { checkProgram } from '../../src/backends/program.js';
import { loadNativeAddon } from '../../src/backends/native.js';
import type { Backend, TapeProgram } from '../../src/backends/types.js';
import { planPreset } from '../../src/lam/training.js';
import { testBackends } from '../harness/backends.js';
import { Rng, testSeed } from '../harness/data.js';

const SEED = testSeed();
const COUNT = 600;
const { plan } = planPreset('linear-exo', { batch: 4 });
const base: TapeProgram = plan.program;

interface Mutation {
  word: number;
  from: number;
  to: number;
  program: TapeProgram;
}

function mutations(): Mutation[] {
  const rng = new Rng(SEED + 77);
  return Array.from({ length: COUNT }, () => {
    const tape = Int32Array.from(base.tape);
    const word = rng.int(tape.length);
    const from = tape[word];
    const kind = rng.int(5);
    tape[word] = kind === 0 ? rng.int(2 ** 31) | 0 : kind === 1 ? -1 : kind === 2 ? 2147483647 : kind === 3 ? from + 1 : from - 1;
    return { word, from, to: tape[word], program: { ...base, tape } };
  });
}
const MUTATIONS = mutations();
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

describe(`corrupted tapes (${COUNT} seeded mutations of a ${base.tape.length}-word training tape, seed ${SEED})`, () => {
  const verdicts = MUTATIONS.map(tsVerdict);
  const refused = MUTATIONS.filter((_, i) => verdicts[i] !== null);
  const accepted = MUTATIONS.filter((_, i) => verdicts[i] === null);
  afterAll(() => console.log(`corrupted tapes: ${refused.length} refused by checkProgram, ${accepted.length} accepted (run on every backend)`));

  it('the TS validator refuses with a message naming the tape word or the arena', () => {
    expect(refused.length, 'no mutation was refused: the validator checks nothing?').toBeGreaterThan(COUNT / 4);
    const vague = MUTATIONS.flatMap((m, i) => {
      const msg = verdicts[i];
      return msg !== null && !/tape word \d+|tape of \d+ words|arena/.test(msg) ? [`${label(m)}: ${msg}`] : [];
    });
    expect(vague).toEqual([]);
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
