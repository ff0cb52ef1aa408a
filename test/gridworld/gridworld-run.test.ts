import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gridworldTrainCommand, gridworldRunOptions } from '../../src/lam/gridworld-run.js';
import { analyzeGridworldRun, isGridworldRun } from '../../src/lam/gridworld-analyze.js';
import { testSeed } from '../../src/data/rng.js';
import { loadCheckpoint } from '../../src/lam/checkpoint.js';
import { loadRun } from '../../src/onnx/run-dir.js';
import { exportPreset } from '../../src/onnx/export-preset.js';
import { describeModel } from '../../src/onnx/model-info.js';

const seed = testSeed();

describe(`lamkit train --data gridworld / analyze --run (seed ${seed})`, () => {
  it('trains a few steps, saves a run directory, and analyze reads it back', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'lamkit-grid-')), 'run');
    const code = await gridworldTrainCommand(['--preset', 'grid32', '--data', 'gridworld', '--distractors', '0.7', '--bottleneck', 'vq:8', '--objective', 'sup:5:0.5', '--steps', '4', '--seed', String(seed % 1000), '--out', dir, '--quiet']);
    expect(code).toBe(0);
    expect(isGridworldRun(dir)).toBe(true);
    const run = JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8'));
    expect(run.backend).toMatch(/^(native-cpu|reference|wasm|gpujs|cuda)/);
    expect(run.world.strength).toBe(0.7);
    const ck = loadCheckpoint(dir);
    expect(ck.preset).toBe('grid32');
    expect(Object.keys(ck.params)).toEqual(expect.arrayContaining(['idm.conv1.weight', 'fdm.dec4.bias', 'head.action.weight']));
    expect(ck.shapes['idm.conv1.weight']).toEqual([8, 2, 4, 4]);
    expect(ck.state['vq.codebook']).toHaveLength(8 * 8);
    expect(existsSync(join(dir, 'log.jsonl'))).toBe(true);
    const a = await analyzeGridworldRun(dir, { n: 200, pairs: 100 });
    expect(a.bottleneck).toBe('vq:8');
    for (const v of [a.probes.r2Xi, a.probes.sExo, a.probes.condAccAction]) expect(Number.isFinite(v)).toBe(true);
  }, 120_000);

  it('rejects bad flags naming the flag and the allowed values', () => {
    expect(() => gridworldRunOptions({ frame: '40' })).toThrow(/--frame: expected a multiple of 16.*got 40/);
    expect(() => gridworldRunOptions({ distractors: '2' })).toThrow(/--distractors: expected a value in \[0, 1\], got 2/);
    expect(() => gridworldRunOptions({ bottleneck: 'vq:1' })).toThrow(/--bottleneck: codebook size must be an integer ≥ 2/);
    expect(() => gridworldRunOptions({ objective: 'foo' })).toThrow(/--objective: unknown objective 'foo'/);
    expect(() => gridworldRunOptions({ preset: 'linear-exo' })).toThrow(/--preset: expected grid32 or conv64/);
    expect(() => gridworldRunOptions({ frame: '16', sprite: undefined, objects: '40' })).toThrow(/--objects/);
    expect(() => gridworldRunOptions({ frame: '32', sprite: '40' })).toThrow(/sprite \(--sprite\).*\[1, 32\], got 40/);
    expect(() => gridworldRunOptions({ bottleneck: 'vq:0' })).toThrow(/--bottleneck: codebook size must be an integer ≥ 2.*got '0'/);
    expect(() => gridworldRunOptions({ distractors: '-0.1' })).toThrow(/--distractors: expected a value in \[0, 1\], got -0.1/);
    expect(() => gridworldRunOptions({ bottleneck: 'gumbel' })).toThrow(/--bottleneck: unknown bottleneck 'gumbel'; expected 'continuous' or 'vq:<codes>'/);
    expect(() => gridworldRunOptions({ objective: 'sup:1:0.1', 'action-mode': 'continuous' })).toThrow(/--objective sup:1:0.1: action supervision needs discrete actions.*expected discrete/);
    expect(() => gridworldRunOptions({ 'latent-dim': '0' })).toThrow(/--latent-dim: expected a value in \[1, 256\], got 0/);
    expect(() => gridworldRunOptions({ 'latent-dim': '2.5' })).toThrow(/--latent-dim: expected an integer in \[1, 256\], got 2.5/);
    expect(() => gridworldRunOptions({ 'latent-dim': 'two' })).toThrow(/--latent-dim: expected a number in \[1, 256\], got 'two'/);
    expect(() => gridworldRunOptions({ objective: 'sup:5:0.05:0' })).toThrow(/--objective: m \(labelled rows per batch\) must be in \[1, ∞\], got '0' in 'sup:5:0.05:0'/);
    expect(() => gridworldRunOptions({ objective: 'sup:5:0.05:1.5' })).toThrow(/--objective: m \(labelled rows per batch\) must be an integer ≥ 1, got '1.5'/);
  });

  it('--latent-dim K: the spec in the checkpoint, analyze and the ONNX export all have k = K', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'lamkit-grid-k-')), 'run');
    const code = await gridworldTrainCommand(['--preset', 'grid32', '--data', 'gridworld', '--latent-dim', '3', '--objective', 'sup:5:0.5:2', '--batch', '4', '--steps', '3', '--seed', String(seed % 1000), '--out', dir, '--quiet']);
    expect(code).toBe(0);
    const ck = loadCheckpoint(dir);
    expect((ck.config.spec as { k: number }).k).toBe(3);
    expect(ck.shapes['idm.fc.weight'][0]).toBe(3);
    expect(ck.shapes['head.action.weight']).toEqual([5, 3]);
    const a = await analyzeGridworldRun(dir, { n: 100, pairs: 50 });
    expect(Number.isFinite(a.probes.r2Xi)).toBe(true);
    const run = loadRun(dir);
    expect(run.model?.spec).toMatchObject({ kind: 'conv', k: 3 });
    const idm = exportPreset({ preset: run.preset, model: run.model, graph: 'idm', params: run.params, codebook: run.codebook });
    expect(idm.outputs.find((t) => t.name === 'z')?.dims.at(-1)).toBe(3);
    expect(JSON.parse(describeModel(idm.bytes).metadata.model)).toMatchObject({ k: 3 });
    // A too large m for the batch is refused before training.
    await expect(gridworldTrainCommand(['--preset', 'grid32', '--data', 'gridworld', '--objective', 'sup:5:0.05:8', '--batch', '4', '--steps', '1', '--out', join(dir, 'x'), '--quiet'])).rejects.toThrow(/m \(labelled rows per batch\) must be ≤ the batch size 4, got 8/);
  }, 120_000);
});
