/**
 * `lamkit train --data …` end to end, in process: linear-exo transitions written to .npy train
 * the linear LAM (loss falls, probes.json on held-out transitions, supervision raises R²(a|z)),
 * frames 1×T×1×32×32 train the conv LAM with and without actions, a resumed run continues the
 * same loss sequence, and bad inputs fail with a message naming the flag or file.
 */
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ownDataTrainCommand } from '../../src/cli/train-own-data.js';
import { run as trainCommand } from '../../src/cli/train.js';
import { LinearExo } from '../../src/data/linear-exo.js';
import { writeNpy } from '../../src/data/npy.js';
import { Rng, testSeed } from '../../src/data/rng.js';

const dir = mkdtempSync(join(tmpdir(), 'lamkit-owncli-'));
const seed = testSeed();
let logs: string[] = [];

beforeEach(() => {
  logs = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void logs.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => vi.restoreAllMocks());

function losses(run: string): { step: number; loss: number }[] {
  return readFileSync(join(run, 'metrics.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { step: number; loss: number });
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

interface Probes {
  r2: number;
  r2_raw: number;
  n_scored: number;
  heldout_by: string;
  accuracy?: number;
  chance_accuracy?: number;
}

// linear-exo transitions as N×2×D pairs and N×1×d_a actions.
const gen = new LinearExo({ dObs: 16, dState: 4, dAction: 2, dExo: 4, seed });
const N = 1024;
const batch = gen.sample(N);
const pairs = new Float32Array(N * 2 * 16);
for (let i = 0; i < N; i++) {
  pairs.set(batch.oT.subarray(i * 16, (i + 1) * 16), i * 32);
  pairs.set(batch.oT1.subarray(i * 16, (i + 1) * 16), i * 32 + 16);
}
const featFile = join(dir, 'linear-exo.npy');
const actFile = join(dir, 'linear-exo-actions.npy');
writeNpy(featFile, { data: pairs, shape: [N, 2, 16] });
writeNpy(actFile, { data: batch.a, shape: [N, 1, 2] });

/** One 32×32 frame sequence: a 6×6 block moved by a labelled action (4 directions). */
function blockFrames(T: number, s: number): { frames: Float32Array; labels: Int32Array } {
  const rng = new Rng(s);
  const frames = new Float32Array(T * 32 * 32);
  const labels = new Int32Array(T - 1);
  let y = 13;
  let x = 13;
  const moves = [[0, 2], [0, -2], [2, 0], [-2, 0]];
  for (let t = 0; t < T; t++) {
    for (let i = 0; i < 6; i++) for (let j = 0; j < 6; j++) frames[t * 1024 + (y + i) * 32 + x + j] = 1;
    if (t === T - 1) break;
    const a = rng.int(4);
    labels[t] = a;
    y = Math.min(26, Math.max(0, y + moves[a][0]));
    x = Math.min(26, Math.max(0, x + moves[a][1]));
  }
  return { frames, labels };
}

describe(`lamkit train --data (seed ${seed})`, () => {
  it('features: linear-exo pairs in .npy train the linear LAM; loss falls; probes.json on held-out transitions', async () => {
    const out = join(dir, 'feat-recon');
    const code = await ownDataTrainCommand(['--data', featFile, '--actions', actFile, '--steps', '400', '--batch', '128', '--lr', '1e-2', '--backend', 'reference', '--out', out, '--json', '--seed', String(seed)]);
    expect(code).toBe(0);
    const l = losses(out).map((e) => e.loss);
    expect(mean(l.slice(-5))).toBeLessThan(0.3 * mean(l.slice(0, 3)));
    const start = JSON.parse(logs.find((x) => x.includes('"kind":"start"'))!) as Record<string, unknown>;
    expect(start).toMatchObject({ kind: 'start', run_kind: 'own-data', shape: [N, 2, 16], k: 8, train_transitions: N - Math.ceil(0.1 * N), heldout_transitions: Math.ceil(0.1 * N) });
    const p = JSON.parse(readFileSync(join(out, 'probes.json'), 'utf8')) as Probes;
    expect(p.heldout_by).toBe('sequences');
    expect(p.n_scored).toBe(Math.ceil(0.1 * N) - Math.floor(Math.ceil(0.1 * N) / 2));
    expect(Number.isFinite(p.r2)).toBe(true);
    // A trained IDM's latent carries the action linearly (an untrained one scores ≈ 0 or below).
    expect(p.r2_raw).toBeGreaterThan(0.3);
  });

  it('features, k = 2: recon spends z on exogenous change; --objective sup with 20% labelled puts the action in z', async () => {
    const run = async (name: string, extra: string[]): Promise<Probes> => {
      const out = join(dir, name);
      const args = ['--data', featFile, '--actions', actFile, '--k', '2', '--steps', '400', '--batch', '128', '--lr', '1e-2', '--backend', 'reference', '--out', out, '--json', '--seed', String(seed)];
      expect(await ownDataTrainCommand([...args, ...extra])).toBe(0);
      return JSON.parse(readFileSync(join(out, 'probes.json'), 'utf8')) as Probes;
    };
    const recon = await run('feat-k2-recon', []);
    const sup = await run('feat-k2-sup', ['--objective', 'sup', '--labelled', '0.2', '--sup-weight', '10']);
    // Measured at seed 1234: recon R²(a|z) ≈ 0.08, sup ≈ 1.00 (SCIENCE.md: the small latent goes to the larger exogenous innovation).
    expect(sup.r2_raw).toBeGreaterThan(0.95);
    expect(sup.r2_raw).toBeGreaterThan(recon.r2_raw + 0.3);
  });

  it('features without actions: trains, no probes', async () => {
    const out = join(dir, 'feat-noact');
    expect(await ownDataTrainCommand(['--data', featFile, '--steps', '100', '--backend', 'reference', '--out', out, '--json'])).toBe(0);
    expect(existsSync(join(out, 'probes.json'))).toBe(false);
    const l = losses(out).map((e) => e.loss);
    expect(l[l.length - 1]).toBeLessThan(l[0]);
  });

  it('frames 1×T×1×32×32: the conv LAM trains with and without (label) actions', async () => {
    const T = 48;
    const { frames, labels } = blockFrames(T, seed);
    const f = join(dir, 'frames.npy');
    const a = join(dir, 'frames-actions.npy');
    writeNpy(f, { data: frames, shape: [1, T, 1, 32, 32] });
    writeNpy(a, { data: labels, shape: [1, T - 1] });
    for (const withActions of [false, true]) {
      const out = join(dir, withActions ? 'frames-act' : 'frames-noact');
      const args = ['--data', f, '--steps', '60', '--batch', '8', '--out', out, '--json', '--chunk', '20'];
      if (withActions) args.push('--actions', a, '--holdout', '0.25');
      expect(await ownDataTrainCommand(args)).toBe(0);
      const l = losses(out).map((e) => e.loss);
      expect(mean(l.slice(-2))).toBeLessThan(0.5 * l[0]);
      const start = JSON.parse(logs.filter((x) => x.includes('"kind":"start"')).pop()!) as { model: { kind: string; c: number; h: number; w: number; ch: number[] } };
      expect(start.model).toMatchObject({ kind: 'conv', c: 1, h: 32, w: 32, ch: [8, 16, 32, 32] });
      if (withActions) {
        const p = JSON.parse(readFileSync(join(out, 'probes.json'), 'utf8')) as Probes;
        expect(p.heldout_by).toBe('steps'); // N = 1: the last quarter of the sequence
        expect(p.accuracy).toBeGreaterThanOrEqual(0);
        expect(p.chance_accuracy).toBeGreaterThan(0);
      } else expect(existsSync(join(out, 'probes.json'))).toBe(false);
    }
  });

  it('--resume continues the same loss sequence as an uninterrupted run (full and block shuffle)', async () => {
    for (const shuffle of ['full', 'block']) {
      const full = join(dir, `resume-full-${shuffle}`);
      const part = join(dir, `resume-part-${shuffle}`);
      const common = ['--data', featFile, '--batch', '64', '--backend', 'reference', '--json', '--chunk', '10', '--log-every', '1', '--shuffle', shuffle, '--shuffle-buffer', '0.05'];
      expect(await ownDataTrainCommand([...common, '--steps', '40', '--out', full])).toBe(0);
      const start = JSON.parse(logs.filter((x) => x.includes('"kind":"start"')).pop()!) as { shuffle: { mode: string } };
      expect(start.shuffle.mode).toBe(shuffle);
      expect(await ownDataTrainCommand([...common, '--steps', '20', '--out', part])).toBe(0);
      // `lamkit train --resume DIR` without --data reaches the own-data command through train.ts.
      expect(await trainCommand(['--resume', part, '--steps', '40', '--json', '--chunk', '10', '--log-every', '1'])).toBe(0);
      expect(losses(part).map((e) => e.loss)).toEqual(losses(full).map((e) => e.loss));
    }
    await expect(ownDataTrainCommand(['--resume', join(dir, 'resume-part-full'), '--steps', '60', '--batch', '32'])).rejects.toThrow(/--batch/);
    await expect(ownDataTrainCommand(['--resume', join(dir, 'resume-part-full'), '--steps', '60', '--shuffle', 'block'])).rejects.toThrow(/--shuffle/);
  });

  it('bad inputs fail naming the flag or file, the value seen and the one expected', async () => {
    const bad = (args: string[]) => ownDataTrainCommand([...args, '--steps', '1', '--backend', 'reference', '--json']);
    const wrongActs = join(dir, 'wrong-actions.npy');
    writeNpy(wrongActs, { data: new Float32Array(N * 2 * 2), shape: [N, 2, 2] });
    await expect(bad(['--data', featFile, '--actions', wrongActs])).rejects.toThrow(
      /--actions .*wrong-actions\.npy: expected N×\(T−1\)×d_a float32 or N×\(T−1\) integer labels = \[1024,1,d_a\] or \[1024,1\] .*found \[1024,2,2\] float32/,
    );
    const zero = join(dir, 'zero.npy');
    writeNpy(zero, { data: new Float32Array(0), shape: [0, 2, 16] });
    await expect(bad(['--data', zero])).rejects.toThrow(/--data .*zero\.npy: no sequences \(N = 0 in shape \[0,2,16\]\)/);
    const nan = join(dir, 'nan.npy');
    const withNan = pairs.slice(0, 64 * 32);
    withNan.fill(NaN, 10 * 32 + 16, 10 * 32 + 17); // sequence 10, step 1
    writeNpy(nan, { data: withNan, shape: [64, 2, 16] });
    await expect(ownDataTrainCommand(['--data', nan, '--steps', '5', '--batch', '64', '--backend', 'reference', '--json'])).rejects.toThrow(
      /nan\.npy: non-finite value NaN in sequence 10 \(of the file; 10 overall\), step 1/,
    );
    const odd = join(dir, 'odd-frames.npy');
    writeNpy(odd, { data: new Float32Array(2 * 2 * 20 * 20), shape: [2, 2, 1, 20, 20] });
    await expect(bad(['--data', odd])).rejects.toThrow(/--data .*odd-frames\.npy: frames of C×H×W = 1×20×20; .*multiples of 16/);
    await expect(bad(['--data', featFile, '--objective', 'sup'])).rejects.toThrow(/--objective sup needs actions/);
    await expect(bad(['--data', featFile, '--objective', 'vq'])).rejects.toThrow(/--objective: expected recon or sup, got 'vq'/);
    await expect(bad(['--data', featFile, '--actions', actFile, '--objective', 'sup', '--labelled', '1.5'])).rejects.toThrow(/--labelled: expected a value in \(0, 1\], got 1\.5/);
    await expect(bad(['--data', featFile, '--channels', '8,16,32,32'])).rejects.toThrow(/--channels applies to frame data/);
    await expect(bad(['--data', featFile, '--bogus'])).rejects.toThrow(/train: Unknown option '--bogus'/);
    await expect(bad(['--data', join(dir, 'missing.npy')])).rejects.toThrow(/--data .*missing\.npy: cannot read \(ENOENT\)/);
  });
});
