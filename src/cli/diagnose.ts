/**
 * `lamkit diagnose`: leakage-risk diagnostic for the user's own sequences (SCIENCE.md §3), from
 * the data's covariances alone — no training. Loads .npy features N×T×D (pairs: T = 2) or
 * frames N×T×C×H×W (flattened), optional actions, and reports the innovation spectrum, the
 * reconstruction floor per k, and with labels the predicted R²(a|z*) and the latent dims a
 * reconstruction LAM would spend on non-action change (src/analysis/diagnose.ts).
 */
import { type Diagnosis, diagnose, randomProject } from '../analysis/diagnose.js';
import { readNpy, type NpyArray } from '../data/npy.js';
import { tableToText, writeReport, type Report, type ReportTable } from '../report/report.js';
import { seriesChart } from '../report/vega.js';
import { UsageError, numberFlag, parseFlags } from './usage.js';

const HELP = `usage: lamkit diagnose --data FILE.npy [options]

Leakage-risk diagnostic from the data's own covariances (SCIENCE.md §3): innovation spectrum,
reconstruction loss floor per latent size k, and — with action labels — how many of k latent
dims a reconstruction LAM spends on non-action change and the predicted R²(a|z*) per k.

  --data FILE.npy     float32 (or uint8, scaled by 1/255) sequences: N×T×D features, N×2×D pairs,
                      or N×T×C×H×W frames (flattened to D = C·H·W)
  --actions FILE.npy  actions aligned with transitions: float32/int32 N×(T−1)×d_a or N·(T−1)×d_a,
                      or int32 discrete ids N×(T−1) or N·(T−1) (one-hot encoded)
  --labelled M        use the labels of the first M transitions only (default: all)
  --k K               latent size to summarise, 1..D (default d_a with actions, else 8 capped at D)
  --max-dim M         above this D, randomly project features to M dims (256)
  --no-project        refuse data with D > --max-dim instead of projecting
  --seed N            seed of the random projection (0)
  --json              print one JSON object
  --out DIR           write a report (index.html, SVG plots, results.json) to DIR
`;

const OPTIONS = {
  data: { type: 'string' },
  actions: { type: 'string' },
  labelled: { type: 'string' },
  k: { type: 'string' },
  'max-dim': { type: 'string' },
  'no-project': { type: 'boolean' },
  seed: { type: 'string' },
  json: { type: 'boolean' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Above this many features per frame even a projection is refused (memory/time). */
export const MAX_FEATURES = 1 << 20;

const shapeStr = (s: number[]) => `[${s.join('×')}]`;

function load(flag: string, path: string): NpyArray {
  try {
    return readNpy(path);
  } catch (e) {
    const err = e as Error;
    const Ctor = err instanceof TypeError ? TypeError : RangeError;
    throw new Ctor(`--${flag}: ${err.message}`);
  }
}

function checkFinite(flag: string, path: string, data: ArrayLike<number>, shape: number[]): void {
  for (let i = 0; i < data.length; i++)
    if (!Number.isFinite(data[i])) {
      const idx: number[] = [];
      let r = i;
      for (let j = shape.length - 1; j >= 0; j--) {
        idx.unshift(r % shape[j]);
        r = Math.floor(r / shape[j]);
      }
      throw new RangeError(`--${flag}: ${path} has a non-finite value (${data[i]}) at index [${idx.join(', ')}]; expected finite numbers`);
    }
}

/** Observations as float32 [N·T, D] with N, T, D, from a validated .npy. */
export function loadSequences(path: string): { obs: Float32Array; N: number; T: number; D: number; shape: number[] } {
  const arr = load('data', path);
  const { shape } = arr;
  if (arr.dtype !== 'float32' && arr.dtype !== 'uint8')
    throw new TypeError(`--data: ${path}: expected dtype float32 or uint8, found ${arr.dtype} (shape ${shapeStr(shape)})`);
  if (shape.length < 3)
    throw new RangeError(`--data: ${path}: expected N×T×D features or N×T×C×H×W frames (3 or more dims), found shape ${shapeStr(shape)}`);
  const [N, T] = shape;
  const D = shape.slice(2).reduce((a, b) => a * b, 1);
  if (N < 1) throw new RangeError(`--data: ${path}: expected N ≥ 1 sequences, found shape ${shapeStr(shape)}`);
  if (T < 2) throw new RangeError(`--data: ${path}: expected T ≥ 2 steps per sequence (a transition needs o_t and o_{t+1}), found T=${T} in shape ${shapeStr(shape)}`);
  if (D < 1) throw new RangeError(`--data: ${path}: expected a feature size D ≥ 1, found shape ${shapeStr(shape)}`);
  if (D > MAX_FEATURES)
    throw new RangeError(`--data: ${path}: D = ${D} features per frame (shape ${shapeStr(shape)}) is above the limit ${MAX_FEATURES}; downsample or embed frames first`);
  const obs = arr.dtype === 'uint8' ? Float32Array.from(arr.data, (v) => v / 255) : (arr.data as Float32Array);
  checkFinite('data', path, obs, shape);
  return { obs, N, T, D, shape };
}

/** Actions as float32 [N·(T−1), d_a], validated against the data's N and T. */
export function loadActions(path: string, N: number, T: number): { data: Float32Array; dim: number } {
  const arr = load('actions', path);
  const { shape } = arr;
  if (arr.dtype === 'uint8') throw new TypeError(`--actions: ${path}: expected dtype float32 or int32, found uint8 (shape ${shapeStr(shape)})`);
  const n = N * (T - 1);
  if (arr.dtype === 'int32' && (shape.length === 1 ? shape[0] === n : shape.length === 2 && shape[0] === N && shape[1] === T - 1))
    return oneHot(path, arr.data as Int32Array, shape);
  let dim: number;
  if (shape.length === 3 && shape[0] === N && shape[1] === T - 1) dim = shape[2];
  else if (shape.length === 2 && shape[0] === n) dim = shape[1];
  else
    throw new RangeError(
      `--actions: ${path}: expected shape [${N}×${T - 1}×d_a] or [${n}×d_a] (one action per transition of --data N=${N}, T=${T}), found ${shapeStr(shape)}`,
    );
  if (dim < 1) throw new RangeError(`--actions: ${path}: expected d_a ≥ 1, found shape ${shapeStr(shape)}`);
  const data = arr.data instanceof Float32Array ? arr.data : Float32Array.from(arr.data);
  checkFinite('actions', path, data, shape);
  return { data, dim };
}

/** Discrete action ids (one per transition) as one-hot rows [n, #ids]: R² is then the multiclass linear R². */
function oneHot(path: string, ids: Int32Array, shape: number[]): { data: Float32Array; dim: number } {
  let max = -1;
  for (let i = 0; i < ids.length; i++) {
    if (ids[i] < 0) throw new RangeError(`--actions: ${path}: expected action ids ≥ 0, found ${ids[i]} at flat index ${i} (shape ${shapeStr(shape)})`);
    if (ids[i] > max) max = ids[i];
  }
  if (max + 1 > 4096) throw new RangeError(`--actions: ${path}: expected at most 4096 discrete action ids, found max id ${max}`);
  const dim = max + 1;
  const data = new Float32Array(ids.length * dim);
  for (let i = 0; i < ids.length; i++) data[i * dim + ids[i]] = 1;
  return { data, dim };
}

/** Splits [N·T, D] sequences into transition rows o_t, o_{t+1}, each [N·(T−1), D]. */
export function transitions(obs: ArrayLike<number>, N: number, T: number, D: number): { oT: Float32Array; oT1: Float32Array; n: number } {
  const n = N * (T - 1);
  const oT = new Float32Array(n * D);
  const oT1 = new Float32Array(n * D);
  let r = 0;
  for (let s = 0; s < N; s++)
    for (let t = 0; t < T - 1; t++, r++)
      for (let j = 0; j < D; j++) {
        oT[r * D + j] = obs[(s * T + t) * D + j];
        oT1[r * D + j] = obs[(s * T + t + 1) * D + j];
      }
  return { oT, oT1, n };
}

const r3 = (v: number) => Math.round(v * 1000) / 1000;

/** Rows to show: past k and past the numerical rank of Σ_e (λ ≈ 0 beyond it), at most D. */
function shownK(d: Diagnosis, k: number): number {
  const rank = d.spectrum.filter((v) => v > 1e-8 * (d.spectrum[0] ?? 0)).length;
  return Math.min(d.dim, Math.max(16, 2 * k, rank + 4));
}

function table(d: Diagnosis, kMax: number): ReportTable {
  const cols = ['k', 'λ_k', 'floor', 'floor %'];
  if (d.actions) cols.push('action share f_k', 'R²(a|z*)', 'non-action dims');
  const rows: (number | string | null)[][] = [];
  for (let k = 1; k <= kMax; k++) {
    const row: (number | string | null)[] = [k, d.spectrum[k - 1], d.floorByK[k - 1], d.totalInnovation > 0 ? (100 * d.floorByK[k - 1]) / d.totalInnovation : 0];
    if (d.actions) row.push(d.actions.actionFraction[k - 1], d.actions.r2ByK[k - 1], d.actions.nonActionDims[k - 1]);
    rows.push(row);
  }
  return { columns: cols, rows };
}

function summary(d: Diagnosis, k: number): string[] {
  const lines = [
    `innovation: tr Σ_e = ${r3(d.totalInnovation)}; with k = ${k} the reconstruction floor is ${r3(d.floorByK[k - 1])} (${r3((100 * d.floorByK[k - 1]) / (d.totalInnovation || 1))}% of it)`,
  ];
  if (d.actions) {
    const a = d.actions;
    const na = a.nonActionDims[k - 1];
    lines.push(
      `actions (d_a = ${a.dAction}, ${a.labelled} labelled transitions): a k = ${k} reconstruction LAM spends ≈ ${r3(na)} of ${k} latent dims on non-action change; predicted R²(a|z*) = ${r3(a.r2ByK[k - 1])}`,
    );
    lines.push(a.kFor95 === null ? 'no k reaches R²(a|z*) ≥ 0.95: the action is not linearly recoverable from the innovation' : `smallest k with R²(a|z*) ≥ 0.95: ${a.kFor95}`);
    lines.push(na >= 0.5 ? `leakage risk: HIGH (non-action change outranks the action in the innovation at k = ${k})` : `leakage risk: low at k = ${k}`);
  }
  return lines;
}

function report(d: Diagnosis, k: number, meta: Record<string, string | number>): Report {
  const kMax = shownK(d, k);
  const spec = d.spectrum.slice(0, kMax).map((v, i) => ({ i: i + 1, value: v, series: 'λ_i (innovation eigenvalue)' }));
  const plots = [
    {
      id: 'diagnose-spectrum',
      spec: seriesChart({ title: 'Innovation spectrum of Σ_e', values: spec, x: 'i', y: 'value', series: 'series', xTitle: 'direction i', yTitle: 'λ_i', rule: { x: k, label: `k = ${k}` } }),
    },
  ];
  const perK: Record<string, unknown>[] = [];
  for (let kk = 1; kk <= kMax; kk++) {
    perK.push({ k: kk, value: d.totalInnovation > 0 ? d.floorByK[kk - 1] / d.totalInnovation : 0, series: 'floor / tr Σ_e' });
    if (d.actions) {
      perK.push({ k: kk, value: d.actions.r2ByK[kk - 1], series: 'predicted R²(a|z*)' });
      perK.push({ k: kk, value: d.actions.nonActionDims[kk - 1] / kk, series: 'non-action share of k' });
    }
  }
  plots.push({
    id: 'diagnose-by-k',
    spec: seriesChart({ title: 'Reconstruction LAM of size k', values: perK, x: 'k', y: 'value', series: 'series', xTitle: 'latent size k', yTitle: 'fraction', yDomain: [0, 1], rule: { x: k, label: `k = ${k}` } }),
  });
  return {
    title: 'lamkit diagnose: leakage risk',
    meta,
    sections: [{ id: 'diagnose', title: 'Leakage-risk diagnostic (SCIENCE.md §3)', paragraphs: summary(d, k), table: table(d, kMax), plots, data: d }],
  };
}

export async function run(argv: string[]): Promise<number> {
  const { values: f } = parseFlags('diagnose', argv, OPTIONS);
  if (f.help) {
    console.log(HELP);
    return 0;
  }
  if (f.data === undefined) throw new UsageError('diagnose: --data FILE.npy is required (N×T×D features or N×T×C×H×W frames)');
  const maxDim = numberFlag('max-dim', f['max-dim'], 256, { min: 1, integer: true });
  const seed = numberFlag('seed', f.seed, 0, { integer: true });
  const seq = loadSequences(f.data);
  const acts = f.actions !== undefined ? loadActions(f.actions, seq.N, seq.T) : undefined;
  let { obs, D } = seq;
  if (D > maxDim) {
    if (f['no-project'])
      throw new RangeError(`--data: expected D ≤ --max-dim ${maxDim} with --no-project, found D = ${D} (shape ${shapeStr(seq.shape)}); raise --max-dim or drop --no-project to project`);
    console.error(`lamkit diagnose: warning: D = ${D} > --max-dim ${maxDim}: random projection to ${maxDim} dims (seed ${seed}); the spectrum is that of the projected data`);
    obs = randomProject(obs, seq.N * seq.T, D, maxDim, seed);
    D = maxDim;
  }
  const { oT, oT1, n } = transitions(obs, seq.N, seq.T, D);
  if (n < 2) throw new RangeError(`--data: expected ≥ 2 transitions, found ${n} (shape ${shapeStr(seq.shape)})`);
  if (n < 10 * D) console.error(`lamkit diagnose: warning: only ${n} transitions for D = ${D}: covariance estimates are noisy (want ≥ ${10 * D})`);
  const k = numberFlag('k', f.k, acts ? Math.min(acts.dim, D) : Math.min(8, D), { min: 1, max: D, integer: true });
  if (f.labelled !== undefined && !acts) throw new UsageError('diagnose: --labelled M needs --actions FILE.npy');
  const labelled = numberFlag('labelled', f.labelled, n, { min: 2, max: n, integer: true });
  if (acts && labelled < 10 * acts.dim) console.error(`lamkit diagnose: warning: ${labelled} labelled transitions for d_a = ${acts.dim}: R² estimates are noisy`);
  const d = diagnose(oT, oT1, n, D, acts, { labelled });

  const meta = { data: f.data, shape: shapeStr(seq.shape), transitions: n, dim: D, k, ...(f.actions ? { actions_file: f.actions } : {}) };
  if (f.json) {
    console.log(JSON.stringify({ ...meta, k, floor: d.floorByK[k - 1], r2_a: d.actions?.r2ByK[k - 1] ?? null, non_action_dims: d.actions?.nonActionDims[k - 1] ?? null, ...d }));
  } else {
    console.log(`lamkit diagnose ${f.data}: shape ${shapeStr(seq.shape)}, ${n} transitions, D = ${D}`);
    for (const l of summary(d, k)) console.log(l);
    console.log('');
    console.log(tableToText(table(d, shownK(d, k))));
  }
  if (f.out !== undefined) {
    try {
      await writeReport(f.out, report(d, k, meta));
    } catch (e) {
      throw new RangeError(`--out: cannot write the report to ${f.out} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (!f.json) console.log(`\nreport: ${f.out}/index.html`);
  }
  return 0;
}
