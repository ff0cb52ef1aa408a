/**
 * `lamkit diagnose --data` on every input `lamkit train --data` takes (.npy, .npz with an
 * `actions` array, a directory of shards with NAME.actions.npy) and its streaming read: the same
 * sequences give the same numbers whatever the container and the read-buffer size, reads stay
 * within the buffer, and the streamed float64 moments agree with a two-pass in-memory estimate.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { empiricalInnovation } from '../../src/analysis/empirical.js';
import { FileReader } from '../../src/data/dataset-io.js';
import { writeNpy } from '../../src/data/npy.js';
import { Rng, testSeed } from '../../src/data/rng.js';
import { writeNpz } from '../data/helpers.js';
import { quiet, runJson, type DiagnoseJson } from './diagnose-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lamkit-diagnose-data-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Out = DiagnoseJson;

/** The numbers a diagnosis reports (meta such as the file name dropped). */
const numbers = (d: Out) => ({ transitions: d.transitions, dim: d.dim, spectrum: d.spectrum, floorByK: d.floorByK, actions: d.actions });

// N×T×D sequences: x_{t+1} = 0.8 x_t + B a_t + noise, observed with an offset of 50 (a large
// mean that raw-moment sums without a shift would lose precision on), and a_t ∈ R².
const N = 60;
const T = 7;
const D = 6;
const DA = 2;
const rng = new Rng(testSeed());
const B = Float64Array.from({ length: D * DA }, () => rng.normal());
const obs = new Float32Array(N * T * D);
const act = new Float32Array(N * (T - 1) * DA);
for (let s = 0; s < N; s++) {
  const x = Float64Array.from({ length: D }, () => rng.normal());
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < D; j++) obs[(s * T + t) * D + j] = 50 + x[j];
    if (t === T - 1) break;
    const a = Array.from({ length: DA }, () => rng.normal());
    for (let c = 0; c < DA; c++) act[(s * (T - 1) + t) * DA + c] = a[c];
    for (let j = 0; j < D; j++) x[j] = 0.8 * x[j] + B[j * DA] * a[0] + B[j * DA + 1] * a[1] + 0.5 * rng.normal();
  }
}
const npy = join(dir, 'seq.npy');
const actNpy = join(dir, 'seq-a.npy');
writeNpy(npy, { data: obs, shape: [N, T, D] });
writeNpy(actNpy, { data: act, shape: [N, T - 1, DA] });

describe('lamkit diagnose --data: .npy, .npz, directory of shards', () => {
  it('a .npz (stored and deflated) with an actions array gives the .npy + --actions numbers', async () => {
    const ref = await runJson(['--data', npy, '--actions', actNpy, '--k', '2']);
    expect(ref.actions!.dAction).toBe(DA);
    for (const compressed of [false, true]) {
      const p = join(dir, compressed ? 'seq-c.npz' : 'seq.npz');
      writeNpz(p, { obs: { data: obs, shape: [N, T, D] }, actions: { data: act, shape: [N, T - 1, DA] } }, compressed);
      expect(numbers(await runJson(['--data', p, '--k', '2']))).toEqual(numbers(ref));
    }
  });

  it('a directory of shards with NAME.actions.npy gives the single-file numbers', async () => {
    const shards = join(dir, 'shards');
    mkdirSync(shards);
    const cuts = [0, 13, 14, 41, N]; // uneven, one a single sequence
    for (let i = 0; i + 1 < cuts.length; i++) {
      const [a, b] = [cuts[i], cuts[i + 1]];
      writeNpy(join(shards, `part-${i}.npy`), { data: obs.slice(a * T * D, b * T * D), shape: [b - a, T, D] });
      writeNpy(join(shards, `part-${i}.actions.npy`), { data: act.slice(a * (T - 1) * DA, b * (T - 1) * DA), shape: [b - a, T - 1, DA] });
    }
    const ref = await runJson(['--data', npy, '--actions', actNpy]);
    expect(numbers(await runJson(['--data', shards]))).toEqual(numbers(ref));
    // The same shards without sidecars and one --actions file for all of them (rows in shard order).
    const bare = join(dir, 'bare-shards');
    mkdirSync(bare);
    for (let i = 0; i + 1 < cuts.length; i++)
      writeNpy(join(bare, `part-${i}.npy`), { data: obs.slice(cuts[i] * T * D, cuts[i + 1] * T * D), shape: [cuts[i + 1] - cuts[i], T, D] });
    expect(numbers(await runJson(['--data', bare, '--actions', actNpy]))).toEqual(numbers(ref));
    await expect(quiet(['--data', shards, '--actions', actNpy])).rejects.toThrow(/--actions: .*seq-a\.npy: the data already holds actions \(.*part-0\.actions\.npy\)/);
    // --labelled counts transitions over all shards in name order (crossing a shard boundary).
    const refL = await runJson(['--data', npy, '--actions', actNpy, '--labelled', '100']);
    const dirL = await runJson(['--data', shards, '--labelled', '100']);
    expect(numbers(dirL)).toEqual(numbers(refL));
    expect(dirL.actions!.labelled).toBe(100);
    expect(dirL.actions!.r2ByK).not.toEqual(ref.actions!.r2ByK);
  });

  it('integer labels in a .npz are one-hot encoded like int32 --actions ids', async () => {
    const ids = Int32Array.from({ length: N * (T - 1) }, (_, i) => (act[i * DA] > 0.3 ? 2 : act[i * DA] < -0.3 ? 0 : 1));
    const idsNpy = join(dir, 'ids.npy');
    writeNpy(idsNpy, { data: ids, shape: [N, T - 1] });
    const ref = await runJson(['--data', npy, '--actions', idsNpy]);
    expect(ref.actions!.dAction).toBe(3);
    const p = join(dir, 'ids.npz');
    writeNpz(p, { frames: { data: obs, shape: [N, T, D] }, actions: { data: ids, shape: [N, T - 1] } });
    expect(numbers(await runJson(['--data', p]))).toEqual(numbers(ref));
  });

  it('actions both in the data and in --actions, and a .npz without a recognisable array, are refused', async () => {
    const p = join(dir, 'both.npz');
    writeNpz(p, { obs: { data: obs, shape: [N, T, D] }, actions: { data: act, shape: [N, T - 1, DA] } });
    await expect(quiet(['--data', p, '--actions', actNpy])).rejects.toThrow(/--actions: .*seq-a\.npy: the data already holds actions \(.*both\.npz:actions\.npy\)/);
    const q = join(dir, 'two.npz');
    writeNpz(q, { a: { data: obs, shape: [N, T, D] }, b: { data: obs, shape: [N, T, D] } });
    await expect(quiet(['--data', q])).rejects.toThrow(/--data: .*two\.npz: cannot tell which array holds the observations \(found a, b\)/);
    await expect(quiet(['--data', join(dir, 'seq-a.txt')])).rejects.toThrow(/--data: .*seq-a\.txt: cannot read/);
  });
});

describe('lamkit diagnose: streaming read', () => {
  it('a read buffer smaller than one frame gives bit-identical numbers; reads stay within it', async () => {
    /** Runs diagnose recording the size of every read of the data (past the 128-byte header). */
    const reads = async (extra: string[]) => {
      const sizes: number[] = [];
      const orig = FileReader.prototype.read;
      const spy = vi.spyOn(FileReader.prototype, 'read').mockImplementation(function (this: FileReader, pos: number, into: Uint8Array) {
        if (this.source === npy && pos >= 128) sizes.push(into.length);
        return orig.call(this, pos, into);
      });
      try {
        return { d: await runJson(['--data', npy, '--actions', actNpy, ...extra]), sizes };
      } finally {
        spy.mockRestore();
      }
    };
    const ref = await reads([]);
    const small = await reads(['--read-buffer', String(10 / (1 << 20))]);
    expect(numbers(small.d)).toEqual(numbers(ref.d));
    const bytes = N * T * D * 4;
    // Default 16 MiB: the whole file in one read. 10 bytes: the Dataset's floor of two frames
    // (48 bytes) per read, every byte read once.
    expect(ref.sizes).toEqual([bytes]);
    expect(Math.max(...small.sizes)).toBe(2 * D * 4);
    expect(small.sizes.reduce((a, b) => a + b, 0)).toBe(bytes);
  });

  it('the streamed moments match a two-pass in-memory estimate of the innovation spectrum', async () => {
    const d = await runJson(['--data', npy]);
    const n = N * (T - 1);
    const oT = new Float32Array(n * D);
    const oT1 = new Float32Array(n * D);
    for (let s = 0, r = 0; s < N; s++)
      for (let t = 0; t + 1 < T; t++, r++) {
        oT.set(obs.subarray((s * T + t) * D, (s * T + t + 1) * D), r * D);
        oT1.set(obs.subarray((s * T + t + 1) * D, (s * T + t + 2) * D), r * D);
      }
    const emp = empiricalInnovation(oT, oT1, n, D);
    expect(d.spectrum).toHaveLength(D);
    for (let i = 0; i < D; i++) expect(Math.abs(d.spectrum[i] - emp.spectrum[i])).toBeLessThan(1e-9 * emp.spectrum[0]);
    // Not a vacuous match: the spectrum is ≈ the 0.25 noise variance plus the action's share.
    expect(d.spectrum[D - 1]).toBeGreaterThan(0.15);
  });

  it('uint8 frames N×T×C×H×W in a directory: flattened, projected, and independent of the read buffer', async () => {
    const frames = join(dir, 'frames');
    mkdirSync(frames);
    const [C, H, W] = [1, 6, 5];
    const F = C * H * W;
    const px = Uint8Array.from({ length: 20 * 4 * F }, (_, i) => (i * 37 + ((i / F) | 0) * 11) % 256);
    writeNpy(join(frames, 'a.npy'), { data: px.slice(0, 12 * 4 * F), shape: [12, 4, C, H, W] });
    writeNpz(join(frames, 'b.npz'), { frames: { data: px.slice(12 * 4 * F), shape: [8, 4, C, H, W] } }, true);
    const whole = join(dir, 'frames.npy');
    writeNpy(whole, { data: px, shape: [20, 4, C, H, W] });
    const ref = await runJson(['--data', whole, '--max-dim', '8']);
    expect(ref.dim).toBe(8);
    expect(ref.transitions).toBe(60);
    expect(numbers(await runJson(['--data', frames, '--max-dim', '8']))).toEqual(numbers(ref));
    expect(numbers(await runJson(['--data', frames, '--max-dim', '8', '--read-buffer', String(F / (1 << 20))]))).toEqual(numbers(ref));
    const flat = await runJson(['--data', frames, '--max-dim', String(F)]);
    expect(flat.dim).toBe(F);
  });

  it('a NaN in a shard is named by file and index; --read-buffer 0 is refused', async () => {
    const bad = join(dir, 'nan-shards');
    mkdirSync(bad);
    writeNpy(join(bad, 'a.npy'), { data: obs.slice(0, 10 * T * D), shape: [10, T, D] });
    const b = obs.slice(10 * T * D, 20 * T * D);
    b[(3 * T + 2) * D + 4] = Number.NaN;
    writeNpy(join(bad, 'b.npy'), { data: b, shape: [10, T, D] });
    await expect(quiet(['--data', bad])).rejects.toThrow(/--data: .*b\.npy: has a non-finite value \(NaN\) at index \[3, 2, 4\]/);
    await expect(quiet(['--data', npy, '--read-buffer', '0'])).rejects.toThrow(/--read-buffer: expected a value in \(0, ∞\], got 0/);
  });
});
