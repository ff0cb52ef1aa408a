// Bad input through the API, on every backend available here: use after dispose(), a second
// dispose(), thread counts that are not integers or exceed what the backend can start, and an
// unknown backend name. Argument checks of run/readArena/writeArena and malformed tapes are in
// test/kernels/executor.test.ts; graph-building and feed mistakes in test/engine/bad-input.test.ts.
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/types.js';
import { compile } from '../../src/graph/compile.js';
import { compileReference } from '../../src/graph/runner.js';
import { planPreset } from '../../src/lam/training.js';
import { testBackends } from '../harness/backends.js';

const { plan } = planPreset('linear-exo', { batch: 4 });
const program = plan.program;
const feeds = () => new Float32Array(program.feedFloatsPerStep).fill(0.5);
const { oracle, others } = await testBackends();
// Variants (native-cpu/scalar, /1thread) share one backend object: test each backend once.
const seen = new Set<Backend>();
const backends = [{ label: 'reference', backend: oracle as Backend | undefined, reason: undefined as string | undefined }, ...others].filter((b) => {
  if (!b.backend) return true;
  if (seen.has(b.backend)) return false;
  seen.add(b.backend);
  return true;
});

describe('bad input through the API', () => {
  for (const tb of backends) {
    if (!tb.backend) {
      it.skip(`${tb.label}: unavailable — ${tb.reason}`, () => {});
      continue;
    }
    const backend = tb.backend;
    it(`${tb.label}: run / readArena / writeArena after dispose() throw a named error; a second dispose() is harmless`, () => {
      const exe = backend.compile(program);
      exe.run(feeds(), { steps: 1 });
      exe.dispose();
      expect(() => exe.dispose()).not.toThrow();
      for (const [what, f] of [
        ['run', () => exe.run(feeds(), { steps: 1 })],
        ['readArena', () => exe.readArena(0, 1)],
        ['writeArena', () => exe.writeArena(0, new Float32Array(1))],
      ] as const) {
        expect(f, `${tb.label} ${what}`).toThrow(/dispose/);
      }
    });

    it(`${tb.label}: run with steps 0 returns no outputs and leaves the arena as it was`, () => {
      const exe = backend.compile(program);
      try {
        const before = exe.readArena(0, program.arenaFloats);
        const out = exe.run(null, { steps: 0 });
        expect(out).toBeInstanceOf(Float32Array);
        expect(out.length).toBe(0);
        expect(exe.readArena(0, program.arenaFloats)).toEqual(before);
        expect(exe.run(feeds(), { steps: 1 }).length).toBe(program.outFloatsPerStep);
      } finally {
        exe.dispose();
      }
    });

    const b = backend as Backend & { setThreads?: (n: number) => void };
    it.skipIf(!b.setThreads)(`${tb.label}: setThreads refuses a fractional or impossible count and keeps working`, () => {
      expect(() => b.setThreads!(1.5)).toThrow(TypeError);
      expect(() => b.setThreads!(1.5)).toThrow(/must be an integer, got 1\.5/);
      expect(() => b.setThreads!(1_000_000)).toThrow(RangeError);
      expect(() => b.setThreads!(1_000_000)).toThrow(/1000000/);
      b.setThreads!(0); // back to the default
      const exe = backend.compile(program);
      try {
        const out = exe.run(feeds(), { steps: 1 });
        expect(Number.isFinite(out[0])).toBe(true);
      } finally {
        exe.dispose();
      }
    });
  }

  it('a CompiledModel after dispose() names the call', () => {
    const m = compileReference(plan);
    m.dispose();
    expect(() => m.run(feeds(), 1)).toThrow(/run\(\) after dispose\(\)/);
  });

  it('an unknown backend name lists the known ones', async () => {
    await expect(compile(plan, { backend: 'tpu' })).rejects.toThrow(/unknown backend 'tpu'; expected one of .*native-cpu.*wasm.*reference/);
  });
});
