/**
 * Export of a gridworld run (the eager conv LAM of src/lam/conv-lam.ts, trained with a VQ
 * bottleneck) through the preset IDM/FDM graphs: the exported ONNX must compute what the eager
 * model computes on the same frames — z and the VQ code index (exactly, away from ties) for the
 * IDM, ô for the FDM — in onnxruntime-node and onnxruntime-web. grid32 has one channel, so the
 * eager CNHW tensors and ONNX's NCHW share one memory order.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tape, Tensor } from '../../src/lam/conv-eager.js';
import { saveGridworldRun, trainGridworld, type GridworldRunOptions } from '../../src/lam/gridworld-run.js';
import { exportPreset } from '../../src/onnx/export-preset.js';
import { loadRun } from '../../src/onnx/run-dir.js';
import { describeModel } from '../../src/onnx/model-info.js';
import { openSession, ONNX_RUNTIMES } from '../../src/onnx/runtime.js';
import { Rng, testSeed } from '../../src/data/rng.js';
import { maxDiff } from './helpers.js';

const seed = testSeed();

describe(`gridworld run export (seed ${seed})`, () => {
  it('grid32 vq:8: IDM (z, code) and FDM match the eager model in both runtimes', async () => {
    const o: GridworldRunOptions = { preset: 'grid32', world: { strength: 0.5 }, objectiveText: 'recon', bottleneckText: 'vq:8', steps: 3, seed: 1, batch: 4 };
    const r = trainGridworld(o);
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
    const t = new Tape(false);
    const zc = r.model.idm(t, new Tensor(oT, [1, B, 32, 32]), new Tensor(oT1, [1, B, 32, 32])).data;
    const { idx, q } = r.vq!.quantise(zc, B);
    const pred = r.model.decode(t, r.model.encode(t, new Tensor(oT, [1, B, 32, 32])), new Tensor(q, [B, 8])).data;

    for (const rt of ONNX_RUNTIMES) {
      const s = await openSession(idm.bytes, rt);
      const out = await s.run({ o_t: { data: oT, dims: [B, 1, 32, 32] }, o_t1: { data: oT1, dims: [B, 1, 32, 32] } });
      expect(Array.from(out.code.data as Int32Array), `${rt} code`).toEqual(Array.from(idx));
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
