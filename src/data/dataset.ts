/**
 * A dataset of the user's own sequences on disk, read lazily by transition.
 *
 * Observations are N×T×D feature vectors or N×T×C×H×W frames (T ≥ 2; pairs are T = 2),
 * float32 or uint8 (scaled by 1/255), in a .npy, a .npz (the array named obs, observations,
 * frames or features, or the only array other than `actions`), or a directory of such shards
 * with the same T×frame shape (in file-name order). Transition i = (sequence n, step t) is the
 * pair (o_t, o_{t+1}) with i = n·(T−1) + t over the concatenated sequences.
 *
 * Actions (optional) are aligned with transitions: float32 N×(T−1)×d_a (or N×(T−1), d_a = 1),
 * or integer labels int32/uint8 N×(T−1) turned into one-hot vectors of (max label + 1) classes.
 * They come from `actions` (a .npy covering all sequences in shard order), an `actions` array in
 * each .npz, or, in a directory, `NAME.actions.npy` beside each `NAME.npy`.
 *
 * Reading: a batch of transitions is sorted by position and read in spans of at most
 * `bufferBytes` (one `readSync` per span), so memory stays bounded whatever the file size and
 * nearby transitions share a read; or, for the block-shuffled order, through a bounded chunk
 * cache (dataset-cache.ts). NaN/Inf in what is read is an error naming the file, the
 * sequence and the step.
 */
import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { ChunkCache } from './dataset-cache.js';
import { decodeAsFloat32, openNpyFile, viewedBytes, type StoredArray, type ViewedBytes } from './dataset-io.js';
import { npyItemBytes } from './npy.js';
import { openNpz, type NpzArchive } from './npz.js';

export type DataKind = 'features' | 'frames';

/** How actions are given: continuous vectors or integer labels (one-hot in batches). */
export type ActionInfo = { kind: 'continuous'; dim: number; source: string } | { kind: 'labels'; classes: number; source: string };

/** One file of sequences (and its actions). */
export interface Shard {
  obs: StoredArray;
  actions?: StoredArray;
  /** Sequences in this shard. */
  n: number;
  /** Global index of its first sequence. */
  firstSeq: number;
}

export interface DatasetOpenOptions {
  /** A .npy of actions for all sequences (in shard order). */
  actions?: string;
}

const OBS_NAMES = ['obs', 'observations', 'frames', 'features'];
/** Default read span: 16 MiB. */
export const DEFAULT_BUFFER_BYTES = 16 << 20;
/** Largest gap read through to join two pieces: about the bytes one more readSync costs to copy. */
const MERGE_GAP_BYTES = 8 << 10;

function fmt(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

function seqShapeText(kind: DataKind | null): string {
  return kind === 'frames' ? 'N×T×C×H×W' : kind === 'features' ? 'N×T×D' : 'N×T×D (features) or N×T×C×H×W (frames)';
}

/** A read of `count` elements at element `start` of an array, to `dst` at `dstOffset`. */
interface Piece {
  arr: StoredArray;
  start: number;
  count: number;
  dst: Float32Array;
  dstOffset: number;
  /** uint8 as integers (labels), not pixels. */
  raw: boolean;
  /** Batch row, and the sequence step this piece holds (for error messages). */
  j: number;
  step: number;
}

export class Dataset {
  readonly kind: DataKind;
  /** Shape of one observation: [D] or [C, H, W]. */
  readonly frameShape: number[];
  /** Elements per observation. */
  readonly frameSize: number;
  /** Sequences, over all shards. */
  readonly n: number;
  /** Steps per sequence. */
  readonly t: number;
  readonly transitions: number;
  readonly action: ActionInfo | null;
  /** Width of an action row in batches (d_a, or the number of classes); 0 without actions. */
  readonly actionDim: number;
  /** Max bytes of one read. */
  readonly bufferBytes: number;
  private scratch: ViewedBytes;
  private cache: ChunkCache | null = null;
  private labelTmp = new Float32Array(0);

  constructor(
    readonly source: string,
    readonly shards: readonly Shard[],
    action: ActionInfo | null,
    private readonly closers: (() => void)[],
    bufferBytes = DEFAULT_BUFFER_BYTES,
  ) {
    const first = shards[0].obs;
    this.kind = first.shape.length === 3 ? 'features' : 'frames';
    this.frameShape = first.shape.slice(2);
    this.frameSize = this.frameShape.reduce((a, b) => a * b, 1);
    this.t = first.shape[1];
    this.n = shards.reduce((a, s) => a + s.n, 0);
    this.transitions = this.n * (this.t - 1);
    this.action = action;
    this.actionDim = action === null ? 0 : action.kind === 'continuous' ? action.dim : action.classes;
    // A span must hold at least one transition's two frames (and one action row).
    const minBytes = Math.max(2 * this.frameSize * npyItemBytes(first.dtype), action ? this.actionDim * 4 : 0, 64);
    // A multiple of 4 so the float32 view covers the whole buffer.
    this.bufferBytes = Math.ceil(Math.max(minBytes, Math.floor(bufferBytes)) / 4) * 4;
    this.scratch = viewedBytes(this.bufferBytes);
  }

  /** Opens a .npy, a .npz or a directory of shards; checks every header and the actions. */
  static async open(path: string, opts: DatasetOpenOptions & { bufferBytes?: number } = {}): Promise<Dataset> {
    const closers: (() => void)[] = [];
    const shards: { obs: StoredArray; actions?: StoredArray }[] = [];
    try {
      let st;
      try {
        st = statSync(path);
      } catch (e) {
        throw new RangeError(`--data ${path}: cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      if (st.isDirectory()) {
        const names = readdirSync(path).filter((f) => (f.endsWith('.npy') && !f.endsWith('.actions.npy')) || f.endsWith('.npz')).sort();
        if (names.length === 0) throw new RangeError(`--data ${path}: the directory holds no .npy or .npz shards`);
        const all = new Set(readdirSync(path));
        for (const f of names) {
          const shard = await openShard(join(path, f), closers);
          const side = f.endsWith('.npy') ? f.slice(0, -4) + '.actions.npy' : null;
          if (side && all.has(side)) {
            if (shard.actions) throw new RangeError(`--data ${join(path, f)}: actions given twice`);
            const a = openNpyFile(join(path, side));
            closers.push(() => a.reader.close());
            shard.actions = a;
          }
          shards.push(shard);
        }
      } else if (path.endsWith('.npy') || path.endsWith('.npz')) {
        shards.push(await openShard(path, closers));
      } else {
        throw new RangeError(`--data ${path}: expected a .npy file, a .npz file or a directory of them`);
      }
      if (opts.actions !== undefined) {
        if (shards.some((s) => s.actions)) throw new RangeError(`--actions ${opts.actions}: the data already holds actions (${shards.find((s) => s.actions)!.actions!.source}); give one or the other`);
        if (!opts.actions.endsWith('.npy')) throw new RangeError(`--actions ${opts.actions}: expected a .npy file`);
      }
      checkShapes(path, shards.map((s) => s.obs));
      const withActions = shards.filter((s) => s.actions).length;
      if (withActions !== 0 && withActions !== shards.length)
        throw new RangeError(`--data ${path}: ${withActions} of ${shards.length} shards have actions (${shards.find((s) => !s.actions)!.obs.source} has none); give actions for all or none`);
      let firstSeq = 0;
      const full: Shard[] = shards.map((s) => {
        const r = { ...s, n: s.obs.shape[0], firstSeq };
        firstSeq += r.n;
        return r;
      });
      let action: ActionInfo | null = null;
      const T = shards[0].obs.shape[1];
      if (opts.actions !== undefined) {
        let a: StoredArray;
        try {
          a = openNpyFile(opts.actions);
        } catch (e) {
          throw new RangeError(`--actions ${(e as Error).message}`);
        }
        closers.push(() => a.reader.close());
        action = checkActions(a, firstSeq, T, `--actions ${opts.actions}`, `--data ${path} has ${firstSeq} sequences of T=${T}`);
        // One array for all sequences: each shard reads its rows through an offset view.
        const rowElems = a.shape.slice(1).reduce((x, y) => x * y, 1);
        const item = npyItemBytes(a.dtype);
        for (const s of full) s.actions = { ...a, offset: a.offset + s.firstSeq * rowElems * item };
      } else if (withActions) {
        const infos = full.map((s) => checkActions(s.actions!, s.n, T, s.actions!.source, `${s.obs.source} has ${s.n} sequences of T=${T}`));
        const kinds = new Set(infos.map((i) => i.kind));
        if (kinds.size > 1) throw new RangeError(`--data ${path}: some shards have continuous actions and others integer labels`);
        if (infos[0].kind === 'continuous') {
          const dims = new Set(infos.map((i) => (i.kind === 'continuous' ? i.dim : 0)));
          if (dims.size > 1) throw new RangeError(`--data ${path}: action dims differ between shards (${[...dims].join(', ')})`);
          action = infos[0];
        } else {
          action = { kind: 'labels', classes: Math.max(...infos.map((i) => (i.kind === 'labels' ? i.classes : 0))), source: infos[0].source };
        }
      }
      return new Dataset(path, full, action, closers, opts.bufferBytes);
    } catch (e) {
      for (const c of closers) c();
      throw e;
    }
  }

  /** Sequence n and step t of transition i. */
  locate(i: number): { shard: number; seq: number; local: number; t: number } {
    if (!Number.isInteger(i) || i < 0 || i >= this.transitions) throw new RangeError(`transition ${i} is out of range [0, ${this.transitions})`);
    const seq = Math.floor(i / (this.t - 1));
    const t = i - seq * (this.t - 1);
    // Binary search for the last shard starting at or before seq.
    let lo = 0;
    let hi = this.shards.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.shards[mid].firstSeq <= seq) lo = mid;
      else hi = mid - 1;
    }
    const s = lo;
    return { shard: s, seq, local: seq - this.shards[s].firstSeq, t };
  }

  /**
   * Reads transitions `indices[0..count)`: o_t into `oT`, o_{t+1} into `oT1` (rows of
   * frameSize), actions into `a` (rows of actionDim; one-hot for labels) when given.
   */
  readBatch(indices: ArrayLike<number>, count: number, oT: Float32Array, oT1: Float32Array, a: Float32Array | null = null): void {
    const F = this.frameSize;
    if (oT.length < count * F || oT1.length < count * F) throw new RangeError(`readBatch: o_t/o_t1 need ${count * F} floats, got ${oT.length}/${oT1.length}`);
    if (a && !this.action) throw new RangeError(`readBatch: ${this.source} has no actions`);
    if (a && a.length < count * this.actionDim) throw new RangeError(`readBatch: actions need ${count * this.actionDim} floats, got ${a.length}`);
    const obs: Piece[] = [];
    const act: Piece[] = [];
    const labels = this.action?.kind === 'labels';
    if (a && labels && this.labelTmp.length < count) this.labelTmp = new Float32Array(count);
    const aw = this.action ? (this.action.kind === 'labels' ? 1 : this.action.dim) : 0;
    const where = new Array<{ shard: number; local: number; t: number }>(count);
    for (let j = 0; j < count; j++) {
      const w = this.locate(indices[j]);
      where[j] = w;
      const sh = this.shards[w.shard];
      const row = w.local * this.t + w.t;
      // o_t and o_{t+1} are adjacent in C order: read them as one piece, split below.
      obs.push({ arr: sh.obs, start: row * F, count: F, dst: oT, dstOffset: j * F, raw: false, j, step: w.t });
      obs.push({ arr: sh.obs, start: (row + 1) * F, count: F, dst: oT1, dstOffset: j * F, raw: false, j, step: w.t + 1 });
      if (a) act.push({ arr: sh.actions!, start: (w.local * (this.t - 1) + w.t) * aw, count: aw, dst: labels ? this.labelTmp : a, dstOffset: labels ? j : j * aw, raw: labels, j, step: w.t });
    }
    const badObs = this.readPieces(obs);
    if (badObs) {
      const w = where[badObs.j];
      const sh = this.shards[w.shard];
      const v = badObs.dst[badObs.dstOffset + firstNonFinite(badObs.dst, badObs.dstOffset, badObs.count)];
      throw new RangeError(`${sh.obs.source}: non-finite value ${v} in sequence ${w.local} (of the file; ${w.local + sh.firstSeq} overall), step ${badObs.step}; clean the data (np.nan_to_num) or drop that sequence`);
    }
    if (!a) return;
    const badAct = this.readPieces(act);
    if (badAct) {
      const w = where[badAct.j];
      const v = badAct.dst[badAct.dstOffset + firstNonFinite(badAct.dst, badAct.dstOffset, badAct.count)];
      throw new RangeError(`${this.shards[w.shard].actions!.source}: non-finite action ${v} at sequence ${w.local}, step ${w.t}`);
    }
    if (labels) {
      const K = this.actionDim;
      a.fill(0, 0, count * K);
      for (let j = 0; j < count; j++) {
        const v = this.labelTmp[j];
        if (!Number.isInteger(v) || v < 0 || v >= K) throw new RangeError(`${this.shards[where[j].shard].actions!.source}: label ${v} at sequence ${where[j].local}, step ${where[j].t} is outside [0, ${K})`);
        a[j * K + v] = 1;
      }
    }
  }

  /**
   * Serves reads from a chunk cache (block-shuffled order: a window of blocks is read once in
   * chunk-sized sequential reads) instead of direct reads; null goes back to direct reads.
   */
  useCache(cache: ChunkCache | null): void {
    this.cache = cache;
  }

  /**
   * Reads pieces sorted by position. Direct reads merge neighbours into one read when the
   * span stays ≤ bufferBytes and the gap between them ≤ MERGE_GAP_BYTES (reading a small gap
   * is cheaper than another system call; a large one is not).
   */
  private readPieces(pieces: Piece[]): Piece | null {
    // The first piece (in read order) holding a non-finite value, reported by the caller.
    let bad: Piece | null = null;
    if (this.cache) {
      for (const p of pieces) if (this.cache.read(p.arr, p.start, p.count, p.dst, p.dstOffset, p.raw) >= 0 && !bad) bad = p;
      return bad;
    }
    pieces.sort((x, y) => (x.arr === y.arr ? x.start - y.start : x.arr.offset - y.arr.offset || (x.arr.source < y.arr.source ? -1 : 1)));
    let i = 0;
    while (i < pieces.length) {
      const arr = pieces[i].arr;
      const item = npyItemBytes(arr.dtype);
      const start = pieces[i].start;
      let end = start + pieces[i].count;
      let j = i + 1;
      while (
        j < pieces.length &&
        pieces[j].arr === arr &&
        (pieces[j].start - end) * item <= MERGE_GAP_BYTES &&
        (Math.max(end, pieces[j].start + pieces[j].count) - start) * item <= this.bufferBytes
      ) {
        end = Math.max(end, pieces[j].start + pieces[j].count);
        j++;
      }
      arr.reader.read(arr.offset + start * item, this.scratch.u8.subarray(0, (end - start) * item));
      for (let p = i; p < j; p++) {
        const q = pieces[p];
        if (decodeAsFloat32(this.scratch, arr.dtype, q.start - start, q.count, q.dst, q.dstOffset, q.raw) >= 0 && !bad) bad = q;
      }
      i = j;
    }
    return bad;
  }

  /** A one-line description: "4 × 16 × [64] features (float32) in data.npy, 60 transitions". */
  describe(): string {
    const dt = this.shards[0].obs.dtype;
    const where = this.shards.length === 1 ? basename(this.shards[0].obs.source) : `${this.shards.length} shards of ${this.source}`;
    const act = this.action ? (this.action.kind === 'labels' ? `, action labels (${this.action.classes} classes)` : `, actions d_a=${this.action.dim}`) : '';
    return `${this.n} × ${this.t} × ${fmt(this.frameShape)} ${this.kind} (${dt}) in ${where}, ${this.transitions} transitions${act}`;
  }

  close(): void {
    for (const c of this.closers) c();
    this.closers.length = 0;
  }
}

/** Offset (from `off`) of the first non-finite value of a[off, off + n), or −1. */
function firstNonFinite(a: Float32Array, off: number, n: number): number {
  for (let i = 0; i < n; i++) if (!Number.isFinite(a[off + i])) return i;
  return -1;
}

/** Opens one .npy or .npz shard (the observation array and its in-archive actions). */
async function openShard(path: string, closers: (() => void)[]): Promise<{ obs: StoredArray; actions?: StoredArray }> {
  if (path.endsWith('.npy')) {
    const obs = openNpyFile(path);
    closers.push(() => obs.reader.close());
    return { obs };
  }
  let z: NpzArchive;
  try {
    z = await openNpz(path);
  } catch (e) {
    throw new RangeError(`--data ${(e as Error).message}`);
  }
  closers.push(z.close);
  const names = [...z.arrays.keys()];
  const named = OBS_NAMES.find((n) => z.arrays.has(n));
  const others = names.filter((n) => n !== 'actions');
  const key = named ?? (others.length === 1 ? others[0] : undefined);
  if (key === undefined)
    throw new RangeError(`--data ${path}: cannot tell which array holds the observations (found ${names.join(', ')}); name it one of ${OBS_NAMES.join(', ')}`);
  return { obs: z.arrays.get(key)!, actions: z.arrays.get('actions') };
}

/** Observation arrays: a supported dtype and rank, T ≥ 2, non-empty, the same T×frame shape. */
function checkShapes(path: string, arrays: StoredArray[]): void {
  const first = arrays[0];
  for (const a of arrays) {
    if (a.dtype !== 'float32' && a.dtype !== 'uint8')
      throw new TypeError(`--data ${a.source}: observations must be float32 or uint8, found ${a.dtype} ${fmt(a.shape)}`);
    if (a.shape.length !== 3 && a.shape.length !== 5)
      throw new RangeError(`--data ${a.source}: expected ${seqShapeText(null)} (T ≥ 2; pairs are T = 2), found shape ${fmt(a.shape)}`);
    const kind: DataKind = a.shape.length === 3 ? 'features' : 'frames';
    if (a.shape[1] < 2) throw new RangeError(`--data ${a.source}: expected ${seqShapeText(kind)} with T ≥ 2 (transitions need two steps), found shape ${fmt(a.shape)}`);
    if (a.shape.slice(2).some((d) => d === 0)) throw new RangeError(`--data ${a.source}: zero-sized observation in shape ${fmt(a.shape)}`);
    if (a !== first && (a.shape.length !== first.shape.length || a.shape.slice(1).some((d, i) => d !== first.shape[i + 1])))
      throw new RangeError(`--data ${path}: shards differ in shape: ${first.source} is ${fmt(first.shape)}, ${a.source} is ${fmt(a.shape)} (all must share T and the frame shape)`);
  }
  const total = arrays.reduce((s, a) => s + a.shape[0], 0);
  if (total === 0) throw new RangeError(`--data ${path}: no sequences (N = 0 in shape ${fmt(first.shape)})`);
}

/**
 * Checks an action array against N sequences of T steps and scans it once (chunked) for
 * non-finite values / the label range. Returns what the batches will hold.
 */
function checkActions(a: StoredArray, n: number, T: number, name: string, against: string): ActionInfo {
  const rows = n * (T - 1);
  const expected = `N×(T−1)×d_a float32 or N×(T−1) integer labels = [${n},${T - 1},d_a] or [${n},${T - 1}]`;
  const ok2 = a.shape.length === 2 && a.shape[0] === n && a.shape[1] === T - 1;
  const ok3 = a.shape.length === 3 && a.shape[0] === n && a.shape[1] === T - 1 && a.shape[2] >= 1;
  if (!ok2 && !ok3) throw new RangeError(`${name}: expected ${expected} (${against}), found ${fmt(a.shape)} ${a.dtype}`);
  if (a.dtype !== 'float32' && ok3) throw new TypeError(`${name}: a 3-d action array must be float32 (found ${a.dtype} ${fmt(a.shape)}); integer labels are N×(T−1)`);
  const width = ok3 ? a.shape[2] : 1;
  const total = rows * width;
  const chunk = 1 << 18;
  const item = npyItemBytes(a.dtype);
  const bytes = viewedBytes(chunk * item);
  const vals = new Float32Array(chunk);
  let max = -Infinity;
  for (let s = 0; s < total; s += chunk) {
    const c = Math.min(chunk, total - s);
    a.reader.read(a.offset + s * item, bytes.u8.subarray(0, c * item));
    decodeAsFloat32(bytes, a.dtype, 0, c, vals, 0, true);
    for (let i = 0; i < c; i++) {
      const v = vals[i];
      const at = () => {
        const r = Math.floor((s + i) / width);
        return `sequence ${Math.floor(r / (T - 1))}, step ${r % (T - 1)}`;
      };
      if (!Number.isFinite(v)) throw new RangeError(`${name}: non-finite action ${v} at ${at()}`);
      if (a.dtype !== 'float32' && v < 0) throw new RangeError(`${name}: negative label ${v} at ${at()}; labels must be 0, 1, …`);
      if (v > max) max = v;
    }
  }
  if (a.dtype === 'float32') return { kind: 'continuous', dim: width, source: a.source };
  const classes = max + 1;
  if (classes > 4096) throw new RangeError(`${name}: ${classes} label classes (max label ${classes - 1}); expected at most 4096 for a one-hot action`);
  if (classes < 2) throw new RangeError(`${name}: every label is ${classes - 1}; a probe needs at least 2 classes`);
  return { kind: 'labels', classes, source: a.source };
}
