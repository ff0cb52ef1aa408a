/**
 * The own-data Dataset: streaming with a tiny read buffer returns exactly the transitions of
 * the array in memory (single file, shards, .npz), the seeded order is deterministic and
 * resumable, the held-out split is a partition, and bad data fails naming file and position.
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Dataset } from '../../src/data/dataset.js';
import { ChunkCache } from '../../src/data/dataset-cache.js';
import { splitTransitions, TransitionSampler } from '../../src/data/dataset-sampler.js';
import { encodeNpy, writeNpy } from '../../src/data/npy.js';
import { MemoryReader, openNpyAt } from '../../src/data/dataset-io.js';
import { Rng, testSeed } from '../../src/data/rng.js';
import { ownDataSource } from '../../src/lam/own-data.js';
import { randomSequences, writeNpz } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'lamkit-dataset-'));
const seed = testSeed();

/** o_t, o_{t+1} of transition i taken straight from the in-memory array. */
function expected(arr: Float32Array, T: number, F: number, i: number): [number[], number[]] {
  const n = Math.floor(i / (T - 1));
  const t = i % (T - 1);
  const at = (n * T + t) * F;
  return [Array.from(arr.subarray(at, at + F)), Array.from(arr.subarray(at + F, at + 2 * F))];
}

describe(`Dataset (seed ${seed})`, () => {
  const N = 7;
  const T = 5;
  const D = 6;
  const data = randomSequences(N, T, [D], seed);
  const file = join(dir, 'seq.npy');
  writeNpy(file, { data, shape: [N, T, D] });

  it('with a one-transition read buffer, returns the same transitions as the array in memory', async () => {
    for (const bufferBytes of [1, 1 << 20]) {
      const ds = await Dataset.open(file, { bufferBytes });
      expect(ds.bufferBytes).toBe(bufferBytes === 1 ? 64 : 1 << 20); // raised to one transition (2·6·4 B) or the 64-byte floor
      expect(ds.transitions).toBe(N * (T - 1));
      const rng = new Rng(seed);
      const idx = Array.from({ length: 40 }, () => rng.int(ds.transitions));
      const oT = new Float32Array(40 * D);
      const oT1 = new Float32Array(40 * D);
      ds.readBatch(idx, 40, oT, oT1);
      idx.forEach((i, j) => {
        const [a, b] = expected(data, T, D, i);
        expect(Array.from(oT.subarray(j * D, (j + 1) * D))).toEqual(a);
        expect(Array.from(oT1.subarray(j * D, (j + 1) * D))).toEqual(b);
      });
      ds.close();
    }
  });

  it('a directory of shards (and its actions beside them) reads as their concatenation, in name order', async () => {
    const sub = join(dir, 'shards');
    mkdirSync(sub);
    const acts = Float32Array.from({ length: N * (T - 1) * 2 }, (_, i) => i * 0.5);
    // Shards of 3 + 0 + 4 sequences, written out of order: b_ (3), a_ (empty), c_ (4).
    writeNpy(join(sub, 'c_last.npy'), { data: data.subarray(3 * T * D), shape: [4, T, D] });
    writeNpy(join(sub, 'c_last.actions.npy'), { data: acts.subarray(3 * (T - 1) * 2), shape: [4, T - 1, 2] });
    writeNpy(join(sub, 'a_first.npy'), { data: data.subarray(0, 3 * T * D), shape: [3, T, D] });
    writeNpy(join(sub, 'a_first.actions.npy'), { data: acts.subarray(0, 3 * (T - 1) * 2), shape: [3, T - 1, 2] });
    writeNpy(join(sub, 'b_empty.npy'), { data: new Float32Array(0), shape: [0, T, D] });
    writeNpy(join(sub, 'b_empty.actions.npy'), { data: new Float32Array(0), shape: [0, T - 1, 2] });
    const ds = await Dataset.open(sub, { bufferBytes: 1 });
    expect(ds.shards.map((s) => s.n)).toEqual([3, 0, 4]);
    expect(ds.action).toMatchObject({ kind: 'continuous', dim: 2 });
    const all = Array.from({ length: ds.transitions }, (_, i) => ds.transitions - 1 - i); // reversed: crosses shards
    const oT = new Float32Array(all.length * D);
    const oT1 = new Float32Array(all.length * D);
    const a = new Float32Array(all.length * 2);
    ds.readBatch(all, all.length, oT, oT1, a);
    all.forEach((i, j) => {
      const [x, y] = expected(data, T, D, i);
      expect(Array.from(oT.subarray(j * D, (j + 1) * D))).toEqual(x);
      expect(Array.from(oT1.subarray(j * D, (j + 1) * D))).toEqual(y);
      expect(Array.from(a.subarray(j * 2, j * 2 + 2))).toEqual([acts[i * 2], acts[i * 2 + 1]]);
    });
    ds.close();
  });

  it('uint8 frames N×T×C×H×W read as frames scaled by 1/255', async () => {
    const shape = [3, 4, 2, 16, 16];
    const F = 2 * 16 * 16;
    const u = Uint8Array.from({ length: 3 * 4 * F }, (_, i) => (i * 31 + seed) % 256);
    const p = join(dir, 'u8-frames.npy');
    writeNpy(p, { data: u, shape });
    const ds = await Dataset.open(p, { bufferBytes: 1 });
    expect(ds.kind).toBe('frames');
    expect(ds.frameShape).toEqual([2, 16, 16]);
    const oT = new Float32Array(2 * F);
    const oT1 = new Float32Array(2 * F);
    ds.readBatch([7, 2], 2, oT, oT1); // (sequence 2, step 1) and (sequence 0, step 2)
    const rows = [2 * 4 + 1, 0 * 4 + 2];
    rows.forEach((r, j) => {
      for (let i = 0; i < F; i++) {
        expect(oT[j * F + i]).toBeCloseTo(u[r * F + i] / 255, 7);
        expect(oT1[j * F + i]).toBeCloseTo(u[(r + 1) * F + i] / 255, 7);
      }
    });
    ds.close();
  });

  it('a deflated .npz with integer labels gives one-hot actions', async () => {
    const labels = Int32Array.from({ length: N * (T - 1) }, (_, i) => (i * 7 + seed) % 4);
    const p = join(dir, 'lab.npz');
    writeNpz(p, { frames: { data, shape: [N, T, D] }, actions: { data: labels, shape: [N, T - 1] } }, true);
    const ds = await Dataset.open(p, { bufferBytes: 1 });
    expect(ds.action).toMatchObject({ kind: 'labels', classes: 4 });
    expect(ds.actionDim).toBe(4);
    const idx = [5, 0, 27, 12];
    const oT = new Float32Array(4 * D);
    const a = new Float32Array(4 * 4);
    ds.readBatch(idx, 4, oT, new Float32Array(4 * D), a);
    idx.forEach((i, j) => {
      const row = Array.from(a.subarray(j * 4, j * 4 + 4));
      expect(row).toEqual([0, 1, 2, 3].map((c) => (c === labels[i] ? 1 : 0)));
      expect(Array.from(oT.subarray(j * D, (j + 1) * D))).toEqual(expected(data, T, D, i)[0]);
    });
    ds.close();
  });

  it('the same seed gives the same batches; each epoch visits every training transition once; state resumes', () => {
    const train = Uint32Array.from({ length: 50 }, (_, i) => i * 2);
    const draw = (s: TransitionSampler, n: number) => {
      const out = new Float64Array(n);
      s.next(out, n);
      return Array.from(out);
    };
    const a = new TransitionSampler(train, seed);
    const b = new TransitionSampler(train, seed);
    const c = new TransitionSampler(train, seed + 1);
    const ea = draw(a, 50);
    expect(draw(b, 50)).toEqual(ea);
    expect(draw(c, 50)).not.toEqual(ea);
    expect([...ea].sort((x, y) => x - y)).toEqual(Array.from(train));
    expect(ea).not.toEqual(Array.from(train)); // shuffled
    const e2 = draw(a, 50);
    expect(e2).not.toEqual(ea); // a new permutation per epoch
    expect([...e2].sort((x, y) => x - y)).toEqual(Array.from(train));
    // Resume mid-epoch: a fresh sampler set to a's state continues a's stream.
    draw(a, 17);
    const st = a.getState();
    const resumed = new TransitionSampler(train, seed);
    resumed.setState(st);
    expect(draw(resumed, 60)).toEqual(draw(a, 60));
    expect(() => resumed.setState({ epoch: 0, position: 51 })).toThrow(/expected \{epoch ≥ 0, position in \[0, 50\]\}/);
  });

  it('the batch source streams the seeded order, resumably, whatever the read buffer', async () => {
    const small = await Dataset.open(file, { bufferBytes: 1 });
    const big = await Dataset.open(file, { bufferBytes: 1 << 20 });
    const train = splitTransitions(N, T, 0, 0).train;
    const B = 9;
    const views = () => ({ o_t: new Float32Array(B * D), o_t1: new Float32Array(B * D) });
    const s1 = ownDataSource(small, train, { batch: B, seed, supervised: false, labelled: 1 });
    const s2 = ownDataSource(big, train, { batch: B, seed, supervised: false, labelled: 1 });
    for (let step = 0; step < 6; step++) {
      const v1 = views();
      const v2 = views();
      s1.next(v1);
      s2.next(v2);
      expect(Array.from(v1.o_t)).toEqual(Array.from(v2.o_t));
      expect(Array.from(v1.o_t1)).toEqual(Array.from(v2.o_t1));
    }
    const st = s1.getState();
    expect(st).toMatchObject({ kind: 'own-data', transitions: train.length });
    const s3 = ownDataSource(big, train, { batch: B, seed, supervised: false, labelled: 1 });
    s3.setState(JSON.parse(JSON.stringify(st)));
    const v1 = views();
    const v3 = views();
    s1.next(v1);
    s3.next(v3);
    expect(Array.from(v3.o_t)).toEqual(Array.from(v1.o_t));
    expect(() => s3.setState({ kind: 'linear-exo' })).toThrow(/expected kind 'own-data'/);
    expect(() => s3.setState({ ...st, transitions: 3 })).toThrow(/taken on 3 training transitions, this data has 28/);
    small.close();
    big.close();
  });

  it('block shuffle: each epoch is a permutation whose pools are `window` blocks of consecutive transitions', () => {
    const train = Uint32Array.from({ length: 100 }, (_, i) => i);
    const s = new TransitionSampler(train, seed, { mode: 'block', blockLen: 10, window: 3 });
    const again = new TransitionSampler(train, seed, { mode: 'block', blockLen: 10, window: 3 });
    for (let epoch = 0; epoch < 2; epoch++) {
      const e = new Float64Array(100);
      s.next(e, 100);
      const e2 = new Float64Array(100);
      again.next(e2, 100);
      expect(Array.from(e2)).toEqual(Array.from(e));
      expect([...e].sort((x, y) => x - y)).toEqual(Array.from(train));
      // Pools of 30 transitions (the last one 10): each holds exactly three whole blocks, shuffled.
      const pool = Array.from(e.subarray(0, 30));
      const blocks = new Set(pool.map((i) => Math.floor(i / 10)));
      expect(blocks.size).toBe(3);
      for (const b of blocks) for (let i = b * 10; i < b * 10 + 10; i++) expect(pool).toContain(i);
      expect(pool).not.toEqual([...pool].sort((x, y) => x - y));
    }
    expect(() => new TransitionSampler(train, seed, { mode: 'block', blockLen: 0, window: 3 })).toThrow(/blockLen ≥ 1 and window ≥ 1, got 0, 3/);
  });

  it('through a chunk cache (any chunk size, capacity 1) batches equal direct reads, and a pool is read once', async () => {
    const direct = await Dataset.open(file);
    const cached = await Dataset.open(file);
    const idx = Array.from({ length: direct.transitions }, (_, i) => (i * 11) % direct.transitions);
    const read = (ds: Dataset) => {
      const oT = new Float32Array(idx.length * D);
      const oT1 = new Float32Array(idx.length * D);
      ds.readBatch(idx, idx.length, oT, oT1);
      return [Array.from(oT), Array.from(oT1)];
    };
    const want = read(direct);
    for (const chunk of [4, 20, 64, 1 << 12]) {
      const cache = new ChunkCache(chunk, 1);
      cached.useCache(cache);
      expect(read(cached)).toEqual(want);
    }
    // A cache as large as the data reads each chunk once, however often it is drawn from.
    const big = new ChunkCache(64, 1000);
    cached.useCache(big);
    read(cached);
    read(cached);
    expect(big.misses).toBe(Math.ceil((N * T * D * 4) / 64));
    direct.close();
    cached.close();
  });

  it('never reads more than asked: bounded single reads, total bytes ≪ the file', () => {
    const n = 400;
    const big = randomSequences(n, T, [D], seed + 3);
    const bytes = encodeNpy({ data: big, shape: [n, T, D] });
    const inner = new MemoryReader(bytes, 'counted.npy');
    let largest = 0;
    let total = 0;
    const counting = {
      source: inner.source,
      size: inner.size,
      read(position: number, into: Uint8Array) {
        largest = Math.max(largest, into.length);
        total += into.length;
        inner.read(position, into);
      },
      close() {},
    };
    const arr = openNpyAt(counting, 0, bytes.length, 'counted.npy');
    const ds = new Dataset('counted.npy', [{ obs: arr, n, firstSeq: 0 }], null, [], 256);
    total = 0;
    const s = new TransitionSampler(splitTransitions(n, T, 0, 0).train, seed);
    const idx = new Float64Array(16);
    const oT = new Float32Array(16 * D);
    const oT1 = new Float32Array(16 * D);
    for (let b = 0; b < 5; b++) {
      s.next(idx, 16);
      ds.readBatch(idx, 16, oT, oT1);
    }
    expect(largest).toBeLessThanOrEqual(256);
    // 80 transitions (2 frames × 24 B each), read in at most 80 spans of ≤ 256 B.
    expect(total).toBeLessThanOrEqual(80 * 256);
    expect(total).toBeLessThan(bytes.length / 3);
  });

  it('the held-out split partitions the transitions, by sequence when N ≥ 4, else by last steps', () => {
    const s = splitTransitions(10, 6, 0.2, seed);
    expect(s.by).toBe('sequences');
    expect(s.test.length).toBe(2 * 5);
    const all = [...s.train, ...s.test].sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const heldSeqs = new Set(Array.from(s.test, (i) => Math.floor(i / 5)));
    expect(heldSeqs.size).toBe(2);
    for (const i of s.train) expect(heldSeqs.has(Math.floor(i / 5))).toBe(false);
    const one = splitTransitions(1, 21, 0.25, seed);
    expect(one.by).toBe('steps');
    expect(Array.from(one.test)).toEqual([15, 16, 17, 18, 19]);
    expect(() => splitTransitions(1, 2, 0.5, seed)).toThrow(/--holdout 0.5: with N=1 sequences of T=2 steps nothing would be left to train on/);
    expect(() => splitTransitions(4, 3, 1, seed)).toThrow(/--holdout: expected a fraction in \[0, 1\), got 1/);
  });
});

describe('Dataset refusals', () => {
  it('zero-length data, T < 2, wrong rank or dtype, mixed shards name the file and shapes', async () => {
    const p = (n: string) => join(dir, n);
    writeNpy(p('zero.npy'), { data: new Float32Array(0), shape: [0, 4, 3] });
    await expect(Dataset.open(p('zero.npy'))).rejects.toThrow(/--data .*zero\.npy: no sequences \(N = 0 in shape \[0,4,3\]\)/);
    writeNpy(p('t1.npy'), { data: new Float32Array(6), shape: [2, 1, 3] });
    await expect(Dataset.open(p('t1.npy'))).rejects.toThrow(/t1\.npy: expected N×T×D with T ≥ 2 \(transitions need two steps\), found shape \[2,1,3\]/);
    writeNpy(p('rank4.npy'), { data: new Float32Array(24), shape: [2, 3, 2, 2] });
    await expect(Dataset.open(p('rank4.npy'))).rejects.toThrow(/rank4\.npy: expected N×T×D \(features\) or N×T×C×H×W \(frames\) \(T ≥ 2; pairs are T = 2\), found shape \[2,3,2,2\]/);
    writeNpy(p('int.npy'), { data: new Int32Array(12), shape: [2, 2, 3] });
    await expect(Dataset.open(p('int.npy'))).rejects.toThrow(/int\.npy: observations must be float32 or uint8, found int32 \[2,2,3\]/);
    await expect(Dataset.open(p('nothing.npy'))).rejects.toThrow(/--data .*nothing\.npy: cannot read \(ENOENT\)/);
    writeNpy(p('zero.txt'), { data: new Float32Array(6), shape: [1, 2, 3] });
    await expect(Dataset.open(p('zero.txt'))).rejects.toThrow(/expected a \.npy file, a \.npz file or a directory/);
    const sub = p('mixed');
    mkdirSync(sub);
    writeNpy(join(sub, 'a.npy'), { data: new Float32Array(24), shape: [2, 4, 3] });
    writeNpy(join(sub, 'b.npy'), { data: new Float32Array(16), shape: [2, 4, 2] });
    await expect(Dataset.open(sub)).rejects.toThrow(/shards differ in shape: .*a\.npy is \[2,4,3\], .*b\.npy is \[2,4,2\]/);
    mkdirSync(p('empty-dir'));
    await expect(Dataset.open(p('empty-dir'))).rejects.toThrow(/empty-dir: the directory holds no \.npy or \.npz shards/);
  });

  it('actions of the wrong shape, dtype or values are refused naming --actions, expected and found', async () => {
    const obs = join(dir, 'obs.npy');
    writeNpy(obs, { data: new Float32Array(3 * 4 * 2), shape: [3, 4, 2] });
    const a = (n: string) => join(dir, n);
    writeNpy(a('a-short.npy'), { data: new Float32Array(3 * 4 * 2), shape: [3, 4, 2] });
    await expect(Dataset.open(obs, { actions: a('a-short.npy') })).rejects.toThrow(
      /--actions .*a-short\.npy: expected N×\(T−1\)×d_a float32 or N×\(T−1\) integer labels = \[3,3,d_a\] or \[3,3\] \(--data .*obs\.npy has 3 sequences of T=4\), found \[3,4,2\] float32/,
    );
    writeNpy(a('a-int3.npy'), { data: new Int32Array(3 * 3 * 2), shape: [3, 3, 2] });
    await expect(Dataset.open(obs, { actions: a('a-int3.npy') })).rejects.toThrow(/a-int3\.npy: a 3-d action array must be float32 \(found int32 \[3,3,2\]\)/);
    writeNpy(a('a-neg.npy'), { data: Int32Array.from([0, 1, 2, 0, -1, 1, 0, 1, 2]), shape: [3, 3] });
    await expect(Dataset.open(obs, { actions: a('a-neg.npy') })).rejects.toThrow(/a-neg\.npy: negative label -1 at sequence 1, step 1/);
    const nanAct = new Float32Array(9);
    nanAct[7] = NaN;
    writeNpy(a('a-nan.npy'), { data: nanAct, shape: [3, 3] });
    await expect(Dataset.open(obs, { actions: a('a-nan.npy') })).rejects.toThrow(/a-nan\.npy: non-finite action NaN at sequence 2, step 1/);
  });

  it('NaN or Inf in the observations fails the batch that reads it, naming file, sequence and step', async () => {
    const T = 4;
    const D = 3;
    const x = randomSequences(5, T, [D], seed);
    x[(2 * T + 3) * D + 1] = NaN; // sequence 2, step 3
    const p = join(dir, 'nan.npy');
    writeNpy(p, { data: x, shape: [5, T, D] });
    const ds = await Dataset.open(p);
    const oT = new Float32Array(2 * D);
    const oT1 = new Float32Array(2 * D);
    ds.readBatch([0, 5], 2, oT, oT1); // clean transitions read fine
    expect(() => ds.readBatch([1, 8], 2, oT, oT1)).toThrow(/nan\.npy: non-finite value NaN in sequence 2 \(of the file; 2 overall\), step 3/);
    ds.close();
  });
});
