/**
 * A LAM for the user's own data (src/data/dataset.ts): the model is chosen from the data's
 * shape, the training step optionally adds action supervision, and a resumable BatchSource
 * reads seeded batches from disk.
 *
 *   features N×T×D   → the linear LAM (presets.ts, as linear-exo) with d_o = D, k = min(D, 8)
 *   frames N×T×C×H×W → the conv U-Net LAM with c, h, w from the data (H, W multiples of 16);
 *                      channels and k of grid32 ([8,16,32,32], k 8) up to 32×32 pixels, of
 *                      conv64 ([32,64,128,128], k 16) above
 *
 * Supervision (objective 'sup', as in linear-objectives.ts): a linear head H (no bias) reads z
 * and the loss gains λ · Σ_labelled ‖H z − a‖² / round(P·B). Which transitions are labelled is a
 * fixed seeded subset (fraction P) of the data, so "P labelled" means the same rows every epoch;
 * round(P·B) is the expected number of labelled rows in a batch, so λ keeps its meaning as P
 * changes.
 */
import type { Dataset } from '../data/dataset.js';
import { ChunkCache } from '../data/dataset-cache.js';
import { TransitionSampler, type IndexArray, type SamplerState, type ShuffleMode } from '../data/dataset-sampler.js';
import { npyItemBytes } from '../data/npy.js';
import { Rng } from '../data/rng.js';
import type { LossTerm } from '../graph/autodiff.js';
import { plan as planGraph, type Plan } from '../graph/plan.js';
import * as nn from '../nn/layers.js';
import { expectSourceKind, type ResumableSource, type SourceState } from './batches.js';
import { addTrainingStep, type OptimizerName } from './objective.js';
import { buildLam, PRESETS, type ConvSpec, type LamGraph, type LinearSpec, type Preset } from './presets.js';

export type OwnObjective = 'recon' | 'sup';

export interface OwnModelOptions {
  /** Latent size (default: min(D, 8) for features, 8 or 16 for frames, see the file comment). */
  k?: number;
  /** Conv channels of the four stages (frames only). */
  channels?: [number, number, number, number];
  batch?: number;
  lr?: number;
}

/** The default latent size for a dataset's observation shape. */
export function defaultK(frameShape: readonly number[]): number {
  if (frameShape.length === 1) return Math.min(frameShape[0], 8);
  return frameShape[1] * frameShape[2] <= 32 * 32 ? PRESETS.grid32.spec.k : PRESETS.conv64.spec.k;
}

/**
 * The model for a dataset: a Preset-shaped description (buildLam reads only `spec`). Errors
 * name --data and the shape, or the flag.
 */
export function ownDataPreset(ds: Pick<Dataset, 'kind' | 'frameShape' | 'source'>, o: OwnModelOptions = {}): Preset {
  const fs = ds.frameShape;
  const k = o.k ?? defaultK(fs);
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`--k: expected an integer ≥ 1, got ${k}`);
  if (ds.kind === 'features') {
    const base = PRESETS['linear-exo'];
    // The generator dims describe linear-exo's simulator; own data has none, so they are 0.
    const spec: LinearSpec = { kind: 'linear', dObs: fs[0], k, dState: 0, dAction: 0, dExo: 0 };
    return { name: base.name, spec, batch: o.batch ?? 256, lr: o.lr ?? base.lr, summary: `linear LAM on own features, d_o=${fs[0]}, k=${k}` };
  }
  const [c, h, w] = fs;
  if (h % 16 !== 0 || w % 16 !== 0 || h < 16 || w < 16)
    throw new RangeError(`--data ${ds.source}: frames of C×H×W = ${c}×${h}×${w}; the conv LAM halves H and W four times, so both must be multiples of 16 (16, 32, 48, 64, …): crop or resize the frames`);
  const base = h * w <= 32 * 32 ? PRESETS.grid32 : PRESETS.conv64;
  const ch = o.channels ?? (base.spec as ConvSpec).ch;
  const spec: ConvSpec = { kind: 'conv', c, h, w, ch: [...ch], k };
  return { name: base.name, spec, batch: o.batch ?? base.batch, lr: o.lr ?? base.lr, summary: `conv LAM on own ${c}×${h}×${w} frames, channels ${ch.join(',')}, k=${k}` };
}

export interface OwnTrainingOptions {
  batch: number;
  lr: number;
  optimizer: OptimizerName;
  /** Parameter-init seed. */
  seed: number;
  objective: OwnObjective;
  /** Action width (d_a or classes) for 'sup'. */
  actionDim: number;
  /** Fraction of labelled transitions P in (0, 1] for 'sup'. */
  labelled: number;
  /** λ of the supervision term. */
  supWeight: number;
  checkFinite: boolean;
}

/** The training graph: LAM forward, optional supervision head, backward + optimiser, planned. */
export function planOwnData(preset: Preset, o: OwnTrainingOptions): { lam: LamGraph; plan: Plan; feeds: string[]; labelledPerBatch: number } {
  const lam = buildLam(preset, { batch: o.batch, seed: o.seed });
  const b = lam.builder;
  const terms: LossTerm[] = [{ value: lam.recon }];
  const feeds = ['o_t', 'o_t1'];
  let nLab = 0;
  if (o.objective === 'sup') {
    if (!(o.actionDim >= 1)) throw new RangeError('--objective sup needs actions (--actions FILE.npy, or an actions array in the .npz)');
    if (!(o.labelled > 0 && o.labelled <= 1)) throw new RangeError(`--labelled: expected a fraction in (0, 1], got ${o.labelled}`);
    const a = b.input('a', [o.batch, o.actionDim]);
    const mask = b.input('mask', [o.batch]);
    feeds.push('a', 'mask');
    // Its own stream so the head's init does not shift the LAM's (same seed → same LAM init).
    const head = nn.linear(b, lam.z, o.actionDim, { name: 'head', rng: new Rng(o.seed + 7919), bias: false });
    nLab = Math.max(1, Math.round(o.labelled * o.batch));
    terms.push({ value: b.mseLoss(head, a, { mask, denom: nLab, name: 'sup' }), weight: o.supWeight });
  }
  addTrainingStep(b, terms, { optimizer: o.optimizer, lr: o.lr, termNames: terms.length > 1 ? ['recon', 'sup'] : undefined });
  return { lam, plan: planGraph(b.graph, { checkFinite: o.checkFinite }), feeds, labelledPerBatch: nLab };
}

/** Whether transition i carries a label: a fixed seeded subset of fraction p. */
export function isLabelled(i: number, p: number, seed: number): boolean {
  if (p >= 1) return true;
  let x = (Math.imul(i >>> 0, 0x9e3779b1) ^ Math.imul((seed + Math.floor(i / 4294967296)) >>> 0, 0x85ebca6b)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b) >>> 0;
  return ((x ^ (x >>> 16)) >>> 0) / 4294967296 < p;
}

/** Bytes of file a block of the block-shuffled order covers (about; whole transitions). */
export const BLOCK_BYTES = 1 << 20;

/**
 * The epoch order for a dataset: 'full' (uniform permutation) when the observations fit in
 * the shuffle buffer, else 'block' — blocks of ~1 MiB of consecutive transitions pooled
 * `shuffleBytes / 1 MiB` at a time (dataset-sampler.ts). `mode` forces one.
 */
export function chooseShuffle(ds: Pick<Dataset, 'shards' | 'frameSize'>, shuffleBytes: number, mode: 'auto' | 'full' | 'block'): ShuffleMode {
  const item = npyItemBytes(ds.shards[0].obs.dtype);
  const total = ds.shards.reduce((a, s) => a + s.obs.shape.reduce((x, y) => x * y, 1) * item, 0);
  if (mode === 'full' || (mode === 'auto' && total <= shuffleBytes)) return { mode: 'full' };
  // Consecutive transitions of a sequence advance the file by one frame.
  const perTransition = ds.frameSize * item;
  const blockLen = Math.max(1, Math.floor(BLOCK_BYTES / perTransition));
  const window = Math.max(1, Math.floor(shuffleBytes / (blockLen * perTransition)));
  return { mode: 'block', blockLen, window };
}

/**
 * The chunk cache a block order needs: a pool of `window` blocks touches at most 2·window + 2
 * chunks (blocks do not align with chunks), each at least one transition long.
 */
export function blockCache(ds: Pick<Dataset, 'shards' | 'frameSize'>, m: ShuffleMode): ChunkCache | null {
  if (m.mode !== 'block') return null;
  const item = npyItemBytes(ds.shards[0].obs.dtype);
  const chunk = Math.ceil(Math.max(BLOCK_BYTES, 2 * ds.frameSize * item) / 4) * 4;
  return new ChunkCache(chunk, 2 * m.window + 2);
}

export interface OwnSourceOptions {
  batch: number;
  /** Seed of the batch order (and of the labelled subset). */
  seed: number;
  /** Feed 'a' and 'mask' (objective sup). */
  supervised: boolean;
  /** Fraction of labelled transitions (sup). */
  labelled: number;
  /** Epoch order (default full); a block order should come with ds.useCache(blockCache(…)). */
  shuffle?: ShuffleMode;
}

/** Seeded batches of the training transitions `train` of `ds`, resumable. */
export function ownDataSource(ds: Dataset, train: IndexArray, o: OwnSourceOptions): ResumableSource & { sampler: TransitionSampler } {
  const sampler = new TransitionSampler(train, o.seed, o.shuffle);
  const idx = new Float64Array(o.batch);
  const kind = 'own-data';
  return {
    feeds: o.supervised ? ['o_t', 'o_t1', 'a', 'mask'] : ['o_t', 'o_t1'],
    sampler,
    next(v) {
      sampler.next(idx, o.batch);
      ds.readBatch(idx, o.batch, v.o_t, v.o_t1, o.supervised ? v.a : null);
      if (o.supervised) for (let j = 0; j < o.batch; j++) v.mask[j] = isLabelled(idx[j], o.labelled, o.seed) ? 1 : 0;
    },
    getState: (): SourceState => ({ kind, ...sampler.getState(), transitions: train.length }),
    setState(st) {
      expectSourceKind(st, kind);
      if (st.transitions !== train.length)
        throw new RangeError(`own-data source: the checkpoint was taken on ${String(st.transitions)} training transitions, this data has ${train.length}; resume on the same data`);
      sampler.setState(st as unknown as SamplerState);
    },
  };
}
