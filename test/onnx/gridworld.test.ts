/**
 * Export of a gridworld run (the conv LAM trained on the graph engine with a VQ bottleneck,
 * src/lam/conv-trainer.ts) through the preset IDM/FDM graphs: the exported ONNX must compute
 * what the engine computes on the same frames — z and the VQ code index (exactly, away from
 * ties) for the IDM (the probes' inference model, src/lam/conv-lam.ts), ô for the FDM (the
 * preset FDM graph compiled with the run's parameters) — in onnxruntime-node and onnxruntime-web.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConvLamModel } from '../../src/lam/conv-lam.js';
import { buildFdmGraph } from '../../src/lam/presets.js';
import { plan } from '../../src/graph/plan.js';
import { compileReference } from '../../src/graph/runner.js';
import { gridworldToPreset } from '../../src/onnx/gridworld-params.js';
import { saveGridworldRun, trainGridworld, type GridworldRunOptions } from '../../src/lam/gridworld-run.js';
import { exportPreset } from '../../src/onnx/export-preset.js';
import { loadRun } from '../../src/onnx/run-dir.js';
import { describeModel } from '../../src/onnx/model-info.js';
import { openSession, ONNX_RUNTIMES } from '../../src/onnx/runtime.js';
import { Rng, testSeed } from '../../src/data/rng.js';
import { maxDiff } from './helpers.js';

const seed = testSeed();

describe(`gridworld run export (seed ${seed})`, () => {
  it('grid32 vq:8: IDM (z, code) and FDM match the engine in both runtimes', async () => {
    const o: GridworldRunOptions = { preset: 'grid32', world: { strength: 0.5 }, objectiveText: 'recon', bottleneckText: 'vq:8', steps: 3, seed: 1, batch: 4 };
    const r = await trainGridworld(o);
    const dir = join(mkdtempSync(join(tmpdir(), 'lamkit-gw-')), 'run');
    saveGridworldRun(dir, o, r);
    const run = loadRun(dir);
    expect(run.preset).toBe('grid32');
    expect(run.codebook?.length).toBe(8 * 8);
    const idm = exportPreset({ preset: run.preset, graph: 'idm', params: run.params, codebook: run.codebook, metadata: { training_config: JSON.stringify(run.config) } });
    const fdm = exportPreset({ preset: run.preset, graph: 'fdm', params: run.params, codebook: run.codebook });
    expect(describeModel(idm.bytes).metadata.bottleneck).toBe('vq:8');
    expect(idm.outputs.map((t) => `${t.name}:${t.dtype}`)).toEqual(['z:float32', 'code:int32']);

    const rng = new Rng(seed);
    const B = 3;
    const oT = rng.fillUniform(new Float32Array(B * 32 * 32));
    const oT1 = rng.fillUniform(new Float32Array(B * 32 * 32));
    const lam = await ConvLamModel.load(r.spec, r.params, r.codebook, { backend: 'reference', block: B });
    const { z: q, idx } = lam.run(oT, oT1);
    lam.dispose();
    const fdmEngine = compileReference(plan(buildFdmGraph('grid32', B).graph));
    fdmEngine.setParams(Object.fromEntries(Object.keys(fdmEngine.paramShapes()).map((n) => [n, gridworldToPreset(r.params)[n]])));
    const pred = fdmEngine.output(fdmEngine.run({ o_t: oT, z: q }), 'pred');

    for (const rt of ONNX_RUNTIMES) {
      const s = await openSession(idm.bytes, rt);
      const out = await s.run({ o_t: { data: oT, dims: [B, 1, 32, 32] }, o_t1: { data: oT1, dims: [B, 1, 32, 32] } });
      expect(Array.from(out.code.data as Int32Array), `${rt} code`).toEqual(Array.from(idx!));
      const dz = maxDiff(out.z.data as Float32Array, q);
      expect(dz.max, `${rt} z: max |diff| ${dz.max}`).toBeLessThanOrEqual(1e-4 * dz.scale);
      await s.release();
      const f = await openSession(fdm.bytes, rt);
      const p = await f.run({ o_t: { data: oT, dims: [B, 1, 32, 32] }, z: { data: q, dims: [B, 8] } });
      const dp = maxDiff(p.pred.data as Float32Array, pred);
      expect(dp.max, `${rt} pred: max |diff| ${dp.max} (scale ${dp.scale})`).toBeLessThanOrEqual(1e-4 * dp.scale);
      await f.release();
    }
  });
});
