/**
 * Seeded order of transitions for training on a Dataset, and the held-out split.
 *
 * Each epoch visits every training transition once, in a permutation drawn from
 * Rng(seed, epoch): the same seed gives the same batches whatever the read buffer, and the
 * state {epoch, position} is all a resume needs. The training list and the epoch order cost
 * 4 bytes per transition each (8 above 2³² transitions), far less than the data. Two orders:
 *   full   a uniform permutation (Fisher–Yates). Each transition is a random read: right when
 *          the data sits in the page cache, slow (one disk seek per transition) when it does not.
 *   block  the index list is cut into blocks of `blockLen` consecutive transitions; the block
 *          order is permuted, then consecutive `window` blocks are pooled and permuted within
 *          the pool. A pool is a few contiguous stretches of the file, read once through a
 *          chunk cache of about the pool's size (dataset-cache.ts): sequential disk reads, a
 *          shuffle as good as the pool is large (the WebDataset / tf.data shuffle-buffer idea).
 */
import { Rng } from './rng.js';

export type IndexArray = Uint32Array | Float64Array;

function indexArray(n: number): IndexArray {
  return n <= 0xffffffff ? new Uint32Array(n) : new Float64Array(n);
}

/** Mixes the seed and a salt into one Rng seed (so epochs and uses draw unrelated streams). */
function mix(seed: number, salt: number): number {
  let x = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(salt >>> 0, 0x85ebca6b)) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x2c1b3c6d) >>> 0;
  return (x ^ (x >>> 12)) >>> 0;
}

export interface Split {
  train: IndexArray;
  test: IndexArray;
  /** 'sequences' when whole sequences were held out, 'steps' when the last steps of each were. */
  by: 'sequences' | 'steps';
}

/**
 * Holds out a fraction of transitions: ⌈f·N⌉ whole sequences (seeded choice) when that leaves
 * at least one for training and N ≥ 4, else the last ⌈f·(T−1)⌉ steps of every sequence (a
 * held-out transition then never shares both frames with a training one). f = 0: no test set.
 */
export function splitTransitions(n: number, t: number, holdout: number, seed: number): Split {
  if (!(holdout >= 0 && holdout < 1)) throw new RangeError(`--holdout: expected a fraction in [0, 1), got ${holdout}`);
  const per = t - 1;
  const total = n * per;
  if (holdout === 0) {
    const train = indexArray(total);
    for (let i = 0; i < total; i++) train[i] = i;
    return { train, test: indexArray(0), by: 'sequences' };
  }
  const nSeq = Math.ceil(holdout * n);
  if (n >= 4 && nSeq < n) {
    const order = Array.from({ length: n }, (_, i) => i);
    new Rng(mix(seed, 0x5e9)).shuffle(order);
    const held = new Uint8Array(n);
    for (let i = 0; i < nSeq; i++) held[order[i]] = 1;
    const train = indexArray((n - nSeq) * per);
    const test = indexArray(nSeq * per);
    let a = 0;
    let b = 0;
    for (let s = 0; s < n; s++)
      for (let k = 0; k < per; k++) {
        if (held[s]) test[b++] = s * per + k;
        else train[a++] = s * per + k;
      }
    return { train, test, by: 'sequences' };
  }
  const nStep = Math.ceil(holdout * per);
  if (nStep >= per)
    throw new RangeError(`--holdout ${holdout}: with N=${n} sequences of T=${t} steps nothing would be left to train on; lower --holdout or give more data`);
  const train = indexArray(n * (per - nStep));
  const test = indexArray(n * nStep);
  let a = 0;
  let b = 0;
  for (let s = 0; s < n; s++)
    for (let k = 0; k < per; k++) {
      if (k < per - nStep) train[a++] = s * per + k;
      else test[b++] = s * per + k;
    }
  return { train, test, by: 'steps' };
}

/** The sampler's position, for checkpoints. */
export interface SamplerState {
  epoch: number;
  position: number;
}

/** How an epoch is ordered (see the file comment). */
export type ShuffleMode = { mode: 'full' } | { mode: 'block'; blockLen: number; window: number };

function permuteRange(o: IndexArray, from: number, to: number, rng: Rng): void {
  for (let i = to - 1; i > from; i--) {
    const j = from + rng.int(i - from + 1);
    const v = o[i];
    o[i] = o[j];
    o[j] = v;
  }
}

/** Batches of transition indices in a seeded per-epoch order of `indices`. */
export class TransitionSampler {
  private order: IndexArray;
  private epoch = 0;
  private position = 0;

  constructor(
    private readonly indices: IndexArray,
    private readonly seed: number,
    readonly shuffleMode: ShuffleMode = { mode: 'full' },
  ) {
    if (indices.length === 0) throw new RangeError('TransitionSampler: no transitions to sample (the training set is empty)');
    if (shuffleMode.mode === 'block') {
      const { blockLen, window } = shuffleMode;
      if (!Number.isInteger(blockLen) || blockLen < 1 || !Number.isInteger(window) || window < 1)
        throw new RangeError(`TransitionSampler: block shuffle needs integers blockLen ≥ 1 and window ≥ 1, got ${blockLen}, ${window}`);
    }
    this.order = indices.slice();
    this.shuffle();
  }

  private shuffle(): void {
    const rng = new Rng(mix(this.seed, this.epoch + 1));
    const o = this.order;
    const m = this.shuffleMode;
    if (m.mode === 'full') {
      o.set(this.indices);
      permuteRange(o, 0, o.length, rng);
      return;
    }
    const L = this.indices.length;
    const nb = Math.ceil(L / m.blockLen);
    const blocks = new Uint32Array(nb);
    for (let b = 0; b < nb; b++) blocks[b] = b;
    permuteRange(blocks, 0, nb, rng);
    let pos = 0;
    for (let w = 0; w < nb; w += m.window) {
      const from = pos;
      for (let b = w; b < Math.min(nb, w + m.window); b++) {
        const s = blocks[b] * m.blockLen;
        const e = Math.min(L, s + m.blockLen);
        o.set(this.indices.subarray(s, e), pos);
        pos += e - s;
      }
      permuteRange(o, from, pos, rng);
    }
  }

  /** Fills `out[0..count)` with the next transition indices (an epoch ends → a new permutation). */
  next(out: IndexArray | number[], count: number): void {
    for (let j = 0; j < count; j++) {
      if (this.position === this.order.length) {
        this.epoch++;
        this.position = 0;
        this.shuffle();
      }
      out[j] = this.order[this.position++];
    }
  }

  getState(): SamplerState {
    return { epoch: this.epoch, position: this.position };
  }

  setState(s: SamplerState): void {
    if (!Number.isInteger(s?.epoch) || s.epoch < 0 || !Number.isInteger(s?.position) || s.position < 0 || s.position > this.order.length)
      throw new RangeError(`TransitionSampler.setState: expected {epoch ≥ 0, position in [0, ${this.order.length}]}, got ${JSON.stringify(s)}`);
    this.epoch = s.epoch;
    this.position = s.position;
    this.shuffle();
  }
}
