// The gpu.js backend beyond the per-op kernel tests (test/kernels/*, where it runs every case
// against the reference with each op's float32 tolerance): its mode, the kernel cache, bad
// input, and whole training tapes. Tolerance for a trained tape: the chunk-mean losses of a
// 40-step linear LAM run agree with the reference backend to 2e-3 relative (float32 kernels vs
// float64 accumulation, amplified through Adam steps), and the final weights to 2e-3 in norm.
import { describe, expect, it } from 'vitest';
import { LinearExo } from '../../src/data/linear-exo.js';
import { trainLinearLam } from '../../src/lam/linear-objectives.js';
import { planSingleOp } from '../../src/backends/single-op.js';
import { probeBackends } from '../../src/backends/registry.js';
import { backendFactory, createGpujsBackend, type GpujsBackend } from '../../src/backends/gpujs/index.js';
import { loadGpu } from '../../src/backends/gpujs/gpu.js';
import { testSeed } from '../../src/data/rng.js';
import { GpujsPlan } from '../../src/backends/gpujs/plan.js';
import { ReferencePlan } from '../../src/backends/reference/executor.js';

const seed = testSeed();

describe(`gpujs backend (seed ${seed})`, () => {
  it('starts in the mode gpu.js offers here and reports it', async () => {
    const b = await createGpujsBackend();
    const info = b.info();
    console.log(`gpujs mode: ${b.mode}; ${JSON.stringify(info.details)}`);
    expect(info.name).toBe('gpujs');
    expect(info.details?.mode).toBe(b.mode);
    expect(['webasm', 'cpu', 'webgl', 'webgl2', 'headlessgl']).toContain(b.mode);
    expect(backendFactory.priority).toBe(20);
    expect(b.supports('matmul') && b.supports('adam_update')).toBe(true);
    expect(b.onGpu('matmul') && b.onGpu('conv2d_backward_filter') && !b.onGpu('adam_update')).toBe(true);
  });

  it('is in the registry and listed as available', async () => {
    const s = (await probeBackends()).find((x) => x.name === 'gpujs');
    expect(s?.available, s?.reason).toBe(true);
  });

  it('bad mode → RangeError naming it', async () => {
    await expect(loadGpu('vulkan')).rejects.toThrow(/gpujs: mode must be one of .*got 'vulkan'/);
  });

  it('compiles each kernel once per shape (cache), and a tape twice reuses it', async () => {
    const b = await createGpujsBackend();
    const layout = planSingleOp({ op: 'matmul', inputShapes: [[3, 5], [5, 4]], attrs: {} });
    const before = b.compiled;
    const e1 = b.compile(layout.program);
    const mid = b.compiled;
    const e2 = b.compile(layout.program);
    expect(before).toBe(0);
    expect(mid).toBe(1);
    expect(b.compiled).toBe(mid);
    e1.writeArena(layout.inputOffsets[0], new Float32Array(15).fill(1));
    e1.writeArena(layout.inputOffsets[1], new Float32Array(20).fill(2));
    e1.run(null);
    expect(Array.from(e1.readArena(layout.outputOffsets[0], 12))).toEqual(new Array(12).fill(10));
    e1.dispose();
    expect(() => e1.run(null)).toThrow(/after dispose/);
    e2.dispose();
  });

  it('rejects a malformed tape and bad run arguments with the argument named', async () => {
    const b = (await createGpujsBackend()) as GpujsBackend;
    const layout = planSingleOp({ op: 'relu', inputShapes: [[4]] });
    const bad = { ...layout.program, tape: layout.program.tape.slice(0, 3) };
    expect(() => b.compile(bad)).toThrow(/gpujs\.compile: .*truncated|operand/);
    const e = b.compile(layout.program);
    expect(() => e.run(null, { steps: -1 })).toThrow(/gpujs\.run: steps/);
    expect(() => e.readArena(0, layout.program.arenaFloats + 1)).toThrow(RangeError);
  });

  it('trains a linear LAM like the reference backend (40 steps, rel. 2e-3)', async () => {
    const gen = new LinearExo({ dObs: 12, dState: 3, dAction: 2, dExo: 3, seed });
    const opts = { k: 2, steps: 40, batch: 16, chunk: 10, seed };
    const ref = await trainLinearLam(gen, { kind: 'recon' }, { ...opts, backend: 'reference' });
    const got = await trainLinearLam(gen, { kind: 'recon' }, { ...opts, backend: 'gpujs' });
    expect(got.backend).toBe('gpujs');
    for (let i = 0; i < ref.lossCurve.length; i++) {
      const r = ref.lossCurve[i].loss;
      const g = got.lossCurve[i].loss;
      expect(Math.abs(g - r) / Math.abs(r), `chunk ${i}: gpujs ${g} vs reference ${r} (seed ${seed})`).toBeLessThan(2e-3);
    }
    const rel = got.W1.clone().sub(ref.W1).norm() / ref.W1.norm();
    expect(rel, `W1 relative difference (seed ${seed})`).toBeLessThan(2e-3);
  });

  it('a gpu.js kernel that fails to build or run falls back to the reference kernel, recorded', () => {
    const layout = planSingleOp({ op: 'matmul', inputShapes: [[4, 3], [3, 5]], attrs: {}, acc: true });
    const p = layout.program;
    const seen: string[] = [];
    const broken = new GpujsPlan(p.tape, p.arenaFloats, p.feedFloatsPerStep, p.outFloatsPerStep, () => () => {
      throw new Error('shader compile failed');
    }, (op, why) => seen.push(`${op}: ${why}`));
    const ref = new ReferencePlan(p.tape, p.arenaFloats, p.feedFloatsPerStep, p.outFloatsPerStep);
    for (let i = 0; i < p.arenaFloats; i++) broken.arena[i] = ref.arena[i] = Math.sin(i);
    broken.run(null, 0, null, 0, 2);
    ref.run(null, 0, null, 0, 2);
    expect(Array.from(broken.arena)).toEqual(Array.from(ref.arena));
    expect(broken.fallbacks).toEqual([{ op: 'matmul', reason: 'shader compile failed' }]);
    expect(seen).toEqual(['matmul: shader compile failed']);
    const noBuild = new GpujsPlan(p.tape, p.arenaFloats, p.feedFloatsPerStep, p.outFloatsPerStep, () => {
      throw new Error('no context');
    });
    expect(noBuild.fallbacks.map((f) => f.reason)).toEqual(['no context']);
  });
});
