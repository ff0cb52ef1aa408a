/**
 * The data side of `lamkit diagnose`: opens the same inputs as `lamkit train --data` (a .npy, a
 * .npz or a directory of shards, through Dataset) plus an optional --actions file, checks them
 * from their headers, and streams every transition (o_t, o_{t+1}, a_t) in data order through
 * one bounded read buffer — frames are flattened to D = C·H·W and optionally projected.
 */
import { statSync } from 'node:fs';
import type { RandomProjection } from '../analysis/diagnose.js';
import { DEFAULT_BUFFER_BYTES, Dataset, type Shard } from '../data/dataset.js';
import { decodeAsFloat32, openNpyFile, viewedBytes, type StoredArray } from '../data/dataset-io.js';
import { npyItemBytes } from '../data/npy.js';

/** Above this many features per frame even a projection is refused (memory/time). */
export const MAX_FEATURES = 1 << 20;
/** At most this many discrete action ids (one-hot width). */
const MAX_ACTION_IDS = 4096;

const shapeStr = (s: readonly number[]) => `[${s.join('×')}]`;

/** Actions as the stream reads them: an array per shard, from a starting row. */
export interface ActionSource {
  /** Width of an action row as analysed: d_a, or the number of ids (one-hot). */
  dim: number;
  /** Stored values per transition: d_a, or 1 for ids. */
  width: number;
  labels: boolean;
  /** What messages name. */
  source: string;
  /** The array holding shard s's actions and the row of its first transition there. */
  of(shard: Shard): { arr: StoredArray; row: number };
}

export interface DiagnoseData {
  ds: Dataset;
  /** Sequences, steps, features per frame (flattened), transitions. */
  N: number;
  T: number;
  D: number;
  n: number;
  /** [N, T, …frame] over all shards. */
  shape: number[];
  actions: ActionSource | null;
  close(): void;
}

/** Prefixes the flag to a message that does not name it yet. */
function flagged(flag: string, e: unknown): Error {
  const err = e as Error;
  const msg = err.message.startsWith(`${flag} `) ? `${flag}: ${err.message.slice(flag.length + 1)}` : err.message.startsWith(`${flag}:`) ? err.message : `${flag}: ${err.message}`;
  return err instanceof TypeError ? new TypeError(msg) : new RangeError(msg);
}

/** Header checks of a single .npy with the messages diagnose has always given. */
function checkNpyHeader(path: string): void {
  try {
    statSync(path);
  } catch (e) {
    throw new RangeError(`--data: ${path}: cannot read .npy file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let arr: StoredArray;
  try {
    arr = openNpyFile(path);
  } catch (e) {
    throw flagged('--data', e);
  }
  arr.reader.close();
  const { shape } = arr;
  if (arr.dtype !== 'float32' && arr.dtype !== 'uint8')
    throw new TypeError(`--data: ${path}: expected dtype float32 or uint8, found ${arr.dtype} (shape ${shapeStr(shape)})`);
  if (shape.length < 3)
    throw new RangeError(`--data: ${path}: expected N×T×D features or N×T×C×H×W frames (3 or more dims), found shape ${shapeStr(shape)}`);
  if (shape[0] < 1) throw new RangeError(`--data: ${path}: expected N ≥ 1 sequences, found shape ${shapeStr(shape)}`);
  if (shape[1] < 2)
    throw new RangeError(`--data: ${path}: expected T ≥ 2 steps per sequence (a transition needs o_t and o_{t+1}), found T=${shape[1]} in shape ${shapeStr(shape)}`);
}

/**
 * Opens --data (and --actions) for diagnose. `bufferBytes` bounds one read of observations.
 * Actions come from --actions, or from the data itself (`actions` in a .npz, NAME.actions.npy
 * beside shards) as Dataset finds them.
 */
export async function openDiagnoseData(path: string, actionsPath: string | undefined, bufferBytes = DEFAULT_BUFFER_BYTES): Promise<DiagnoseData> {
  if (path.endsWith('.npy')) checkNpyHeader(path);
  let ds: Dataset;
  try {
    ds = await Dataset.open(path, { bufferBytes });
  } catch (e) {
    throw flagged('--data', e);
  }
  try {
    const shape = [ds.n, ds.t, ...ds.frameShape];
    const D = ds.frameSize;
    if (D > MAX_FEATURES)
      throw new RangeError(`--data: ${path}: D = ${D} features per frame (shape ${shapeStr(shape)}) is above the limit ${MAX_FEATURES}; downsample or embed frames first`);
    let actions: ActionSource | null = null;
    if (actionsPath !== undefined) {
      if (ds.action) throw new RangeError(`--actions: ${actionsPath}: the data already holds actions (${ds.action.source}); give one or the other`);
      actions = openActions(actionsPath, ds.n, ds.t);
    } else if (ds.action) {
      const a = ds.action;
      actions = {
        dim: a.kind === 'labels' ? a.classes : a.dim,
        width: a.kind === 'labels' ? 1 : a.dim,
        labels: a.kind === 'labels',
        source: a.source,
        of: (s) => ({ arr: s.actions!, row: 0 }),
      };
    }
    return { ds, N: ds.n, T: ds.t, D, n: ds.transitions, shape, actions, close: () => ds.close() };
  } catch (e) {
    ds.close();
    throw e;
  }
}

/**
 * --actions FILE.npy, aligned with transitions over all shards: float32/int32 N×(T−1)×d_a or
 * N·(T−1)×d_a, or int32 ids N×(T−1) or N·(T−1) (one-hot). Scanned once, chunked, for
 * non-finite values and the id range.
 */
function openActions(path: string, N: number, T: number): ActionSource {
  let arr: StoredArray;
  try {
    arr = openNpyFile(path);
  } catch (e) {
    throw flagged('--actions', e);
  }
  try {
    const { shape } = arr;
    if (arr.dtype === 'uint8') throw new TypeError(`--actions: ${path}: expected dtype float32 or int32, found uint8 (shape ${shapeStr(shape)})`);
    const n = N * (T - 1);
    const ids = arr.dtype === 'int32' && (shape.length === 1 ? shape[0] === n : shape.length === 2 && shape[0] === N && shape[1] === T - 1);
    let width = 1;
    if (!ids) {
      if (shape.length === 3 && shape[0] === N && shape[1] === T - 1) width = shape[2];
      else if (shape.length === 2 && shape[0] === n) width = shape[1];
      else
        throw new RangeError(
          `--actions: ${path}: expected shape [${N}×${T - 1}×d_a] or [${n}×d_a] (one action per transition of --data N=${N}, T=${T}), found ${shapeStr(shape)}`,
        );
      if (width < 1) throw new RangeError(`--actions: ${path}: expected d_a ≥ 1, found shape ${shapeStr(shape)}`);
    }
    const max = scanActions(path, arr, n * width, shape, ids);
    if (ids && max + 1 > MAX_ACTION_IDS) throw new RangeError(`--actions: ${path}: expected at most ${MAX_ACTION_IDS} discrete action ids, found max id ${max}`);
    const all = arr;
    return { dim: ids ? max + 1 : width, width, labels: ids, source: path, of: (s) => ({ arr: all, row: s.firstSeq * (T - 1) }) };
  } catch (e) {
    arr.reader.close();
    throw e;
  }
}

/** One chunked pass: non-finite floats and negative ids are errors naming the index; returns the max value. */
function scanActions(path: string, arr: StoredArray, total: number, shape: number[], ids: boolean): number {
  const chunk = 1 << 16;
  const item = npyItemBytes(arr.dtype);
  const bytes = viewedBytes(chunk * item);
  const vals = new Float32Array(chunk);
  let max = -1;
  for (let s = 0; s < total; s += chunk) {
    const c = Math.min(chunk, total - s);
    arr.reader.read(arr.offset + s * item, bytes.u8.subarray(0, c * item));
    const bad = decodeAsFloat32(bytes, arr.dtype, 0, c, vals, 0);
    if (bad >= 0) throw new RangeError(`--actions: ${path}: non-finite value (${vals[bad]}) at index [${unravel(s + bad, shape).join(', ')}]; expected finite numbers`);
    for (let i = 0; i < c; i++) {
      if (ids && vals[i] < 0) throw new RangeError(`--actions: ${path}: expected action ids ≥ 0, found ${vals[i]} at flat index ${s + i} (shape ${shapeStr(shape)})`);
      if (vals[i] > max) max = vals[i];
    }
  }
  return max;
}

/** C-order index of flat element i in `shape`. */
function unravel(i: number, shape: readonly number[]): number[] {
  const idx: number[] = [];
  let r = i;
  for (let j = shape.length - 1; j >= 0; j--) {
    idx.unshift(r % shape[j]);
    r = Math.floor(r / shape[j]);
  }
  return idx;
}

/** What {@link streamTransitions} hands each transition: views reused between calls. */
export type TransitionVisitor = (r: number, o0: Float64Array, o1: Float64Array, a: Float64Array | null) => void;

/**
 * Streams transitions r = 0..n−1 in data order: frames are read `bufferBytes` at a time (at
 * least one frame), decoded to float (uint8 / 255), checked for NaN/Inf, flattened (and
 * projected when `projection` is given), and paired within each sequence. Actions are read
 * for r < `labelled` only. Memory: the buffer plus two frames, whatever the file size.
 */
export function streamTransitions(data: DiagnoseData, opts: { labelled: number; projection?: RandomProjection; bufferBytes?: number }, visit: TransitionVisitor): void {
  const { ds, T, D, actions } = data;
  const proj = opts.projection;
  const Dp = proj ? proj.outDim : D;
  const labelled = actions ? opts.labelled : 0;
  const bufferBytes = opts.bufferBytes ?? ds.bufferBytes;
  let prev = new Float64Array(Dp);
  let cur = new Float64Array(Dp);
  const aRow = actions ? new Float64Array(actions.dim) : null;
  const maxItem = Math.max(...ds.shards.map((s) => npyItemBytes(s.obs.dtype)));
  const framesPerRead = Math.max(1, Math.floor(bufferBytes / (D * maxItem)));
  const bytes = viewedBytes(Math.ceil((framesPerRead * D * maxItem) / 4) * 4);
  const frames = new Float32Array(framesPerRead * D);
  const aBytes = actions ? viewedBytes(framesPerRead * actions.width * 4) : null;
  const aVals = actions ? new Float32Array(framesPerRead * actions.width) : null;
  // Transitions that end before frame g of a sequence-major run of T-step sequences.
  const before = (g: number) => Math.floor(g / T) * (T - 1) + Math.max(0, (g % T) - 1);

  for (const shard of ds.shards) {
    const arr = shard.obs;
    const item = npyItemBytes(arr.dtype);
    const total = shard.n * T;
    const firstR = shard.firstSeq * (T - 1);
    for (let g0 = 0; g0 < total; g0 += framesPerRead) {
      const c = Math.min(framesPerRead, total - g0);
      arr.reader.read(arr.offset + g0 * D * item, bytes.u8.subarray(0, c * D * item));
      const bad = decodeAsFloat32(bytes, arr.dtype, 0, c * D, frames, 0);
      if (bad >= 0)
        throw new RangeError(`--data: ${arr.source}: has a non-finite value (${frames[bad]}) at index [${unravel(g0 * D + bad, arr.shape).join(', ')}]; expected finite numbers`);
      // This chunk's labelled action rows, in one read.
      const r0 = firstR + before(g0);
      const rEnd = Math.min(firstR + before(g0 + c), labelled);
      if (actions && rEnd > r0) {
        const { arr: a, row } = actions.of(shard);
        const w = actions.width;
        const cnt = (rEnd - r0) * w;
        const ai = npyItemBytes(a.dtype);
        a.reader.read(a.offset + (row + r0 - firstR) * w * ai, aBytes!.u8.subarray(0, cnt * ai));
        // Raw: uint8 actions are ids, not pixels.
        decodeAsFloat32(aBytes!, a.dtype, 0, cnt, aVals!, 0, true);
      }
      for (let k = 0; k < c; k++) {
        const g = g0 + k;
        if (proj) proj.apply(frames, k * D, cur);
        else for (let j = 0; j < D; j++) cur[j] = frames[k * D + j];
        if (g % T > 0) {
          const r = firstR + before(g);
          let a: Float64Array | null = null;
          if (aRow && r < labelled) {
            const off = (r - r0) * actions!.width;
            if (actions!.labels) {
              aRow.fill(0);
              aRow[aVals![off]] = 1;
            } else for (let j = 0; j < actions!.width; j++) aRow[j] = aVals![off + j];
            a = aRow;
          }
          visit(r, prev, cur, a);
        }
        const t = prev;
        prev = cur;
        cur = t;
      }
    }
  }
}
