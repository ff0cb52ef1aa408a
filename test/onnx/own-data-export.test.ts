/**
 * Export of runs trained on the user's own data (`lamkit train --data FILE`): the checkpoint has
 * no preset, only config.model; `lamkit export --run DIR` rebuilds the IDM/FDM from it. The
 * exported ONNX must compute what lamkit's engine computes with the run's parameters — z for the
 * IDM, ô for the FDM — in onnxruntime-node (and -web), for a features run (linear LAM, with a
 * supervision head that export leaves out) and a frames run (conv LAM).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run as exportCommand } from '../../src/cli/export.js';
import { ownDataTrainCommand } from '../../src/cli/train-own-data.js';
import { writeNpy } from '../../src/data/npy.js';
import { Rng, testSeed } from '../../src/data/rng.js';
import { plan } from '../../src/graph/plan.js';
import { compileReference } from '../../src/graph/runner.js';
import { loadCheckpoint, saveCheckpoint } from '../../src/lam/checkpoint.js';
import { buildFdmGraph, buildIdmGraph } from '../../src/lam/presets.js';
import { exportPreset } from '../../src/onnx/export-preset.js';
import { describeModel } from '../../src/onnx/model-info.js';
import { loadRun } from '../../src/onnx/run-dir.js';
import { openSession, ONNX_RUNTIMES } from '../../src/onnx/runtime.js';
import { maxDiff } from './helpers.js';

const seed = testSeed();
const dir = mkdtempSync(join(tmpdir(), 'lamkit-own-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  vi.spyOn(console, 'log').mockImplementation(() => {});
  vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

/** Exports the run's IDM and FDM and checks them against the engine on random inputs. */
async function checkParity(runDir: string, sample: number[], k: number): Promise<void> {
  const run = loadRun(runDir);
  expect(run.preset).toBe('own-data');
  expect(run.model).not.toBeNull();
  const B = 3;
  const F = sample.reduce((a, b) => a * b, 1);
  const rng = new Rng(seed + 17);
  const oT = rng.fillUniform(new Float32Array(B * F));
  const oT1 = rng.fillUniform(new Float32Array(B * F));

  const engine = (g: ReturnType<typeof buildIdmGraph>) => {
    const m = compileReference(plan(g.graph));
    // Every parameter of the inference graph comes from the run (a missing one would throw).
    m.setParams(Object.fromEntries(Object.keys(m.paramShapes()).map((n) => [n, run.params[n]])));
    return m;
  };
  const idmEngine = engine(buildIdmGraph(run.model!, B));
  const z = idmEngine.output(idmEngine.run({ o_t: oT, o_t1: oT1 }), 'z');
  const fdmEngine = engine(buildFdmGraph(run.model!, B));
  const pred = fdmEngine.output(fdmEngine.run({ o_t: oT, z }), 'pred');
  expect(z.length).toBe(B * k);
  // A trained latent is not constant across inputs (guards against comparing zeros).
  expect(new Set(Array.from(z, (v) => v.toFixed(5))).size).toBeGreaterThan(1);

  for (const graph of ['idm', 'fdm'] as const) {
    const out = join(runDir, `${graph}.onnx`);
    expect(await exportCommand(['--run', runDir, '--graph', graph, '--out', out])).toBe(0);
    const bytes = new Uint8Array(readFileSync(out));
    const info = describeModel(bytes);
    expect(info.metadata.preset).toBe('own-data');
    expect(JSON.parse(info.metadata.model)).toEqual(run.config.model);
    expect(JSON.parse(info.metadata.training_config).run_kind).toBe('own-data');
    for (const rt of ONNX_RUNTIMES) {
      const s = await openSession(bytes, rt);
      const dims = [B, ...sample];
      if (graph === 'idm') {
        const r = await s.run({ o_t: { data: oT, dims }, o_t1: { data: oT1, dims } });
        const d = maxDiff(r.z.data as Float32Array, z);
        expect(d.max, `${rt} idm z: max |diff| ${d.max} (scale ${d.scale})`).toBeLessThanOrEqual(1e-4 * d.scale);
      } else {
        const r = await s.run({ o_t: { data: oT, dims }, z: { data: z, dims: [B, k] } });
        const d = maxDiff(r.pred.data as Float32Array, pred);
        expect(d.max, `${rt} fdm pred: max |diff| ${d.max} (scale ${d.scale})`).toBeLessThanOrEqual(1e-4 * d.scale);
      }
      await s.release();
    }
  }
}

describe(`export of own-data runs (seed ${seed})`, () => {
  it('features N×T×D with a supervised head: IDM/FDM match the engine', async () => {
    const [N, T, D] = [48, 3, 10];
    const rng = new Rng(seed);
    const data = join(dir, 'feat.npy');
    const acts = join(dir, 'feat-a.npy');
    writeNpy(data, { data: rng.fillUniform(new Float32Array(N * T * D)), shape: [N, T, D] });
    writeNpy(acts, { data: rng.fillUniform(new Float32Array(N * (T - 1) * 2)), shape: [N, T - 1, 2] });
    const out = join(dir, 'feat-run');
    const args = ['--data', data, '--actions', acts, '--objective', 'sup', '--labelled', '0.5', '--k', '3', '--steps', '30', '--batch', '16', '--lr', '1e-2'];
    expect(await ownDataTrainCommand([...args, '--backend', 'reference', '--out', out, '--json', '--seed', String(seed)])).toBe(0);
    expect(Object.keys(loadCheckpoint(out).params).some((n) => n.startsWith('head'))).toBe(true);
    await checkParity(out, [D], 3);
  }, 60000);

  it('frames N×T×C×H×W (conv LAM, 16×16): IDM/FDM match the engine', async () => {
    const [N, T, C, H, W] = [4, 3, 2, 16, 16];
    const rng = new Rng(seed + 1);
    const data = join(dir, 'frames.npy');
    writeNpy(data, { data: rng.fillUniform(new Float32Array(N * T * C * H * W)), shape: [N, T, C, H, W] });
    const out = join(dir, 'frames-run');
    expect(await ownDataTrainCommand(['--data', data, '--k', '4', '--channels', '4,4,8,8', '--steps', '3', '--batch', '4', '--backend', 'reference', '--out', out, '--json'])).toBe(0);
    await checkParity(out, [C, H, W], 4);
  }, 120000);

  it('a bad config.model is refused naming the checkpoint and what was found', async () => {
    const ck = loadCheckpoint(join(dir, 'feat-run'));
    const bad = join(dir, 'bad-run');
    const save = (model: unknown) => saveCheckpoint(bad, { params: ck.params, step: ck.step, config: { ...ck.config, model } });
    save({ kind: 'linear', dObs: 10, k: 0 });
    expect(() => loadRun(bad)).toThrow(/checkpoint\.safetensors: an own-data run needs config\.model .*found dObs 10, k 0/);
    save({ kind: 'mlp' });
    expect(() => loadRun(bad)).toThrow(/found kind "mlp"/);
    save(undefined);
    expect(() => loadRun(bad)).toThrow(/found undefined/);
    // A spec that is well formed but not the trained one: the parameter check names the tensor.
    save({ ...(ck.config.model as object), dObs: 11 });
    const run = loadRun(bad);
    expect(() => exportPreset({ preset: run.preset, model: run.model, graph: 'idm', params: run.params, source: `--run ${bad}` })).toThrow(
      /--run .*bad-run: parameter '.*' has \d+ floats, expected \d+ for .* \(preset own-data\)/,
    );
  });
});
