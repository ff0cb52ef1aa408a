/**
 * `lamkit diagnose`: leakage-risk diagnostic for the user's own sequences (SCIENCE.md §3), from
 * the data's covariances alone — no training. Reads the inputs of `lamkit train --data` (.npy,
 * .npz, a directory of shards; features N×T×D, pairs T = 2, or frames N×T×C×H×W flattened) in
 * one streaming pass (diagnose-data.ts), optional actions, and reports the innovation spectrum, the
 * reconstruction floor per k, and with labels the predicted R²(a|z*) and the latent dims a
 * reconstruction LAM would spend on non-action change (src/analysis/diagnose.ts).
 */
import { type Diagnosis, RandomProjection, TransitionMoments, diagnoseFromMoments } from '../analysis/diagnose.js';
import { DEFAULT_BUFFER_BYTES } from '../data/dataset.js';
import { openDiagnoseData, streamTransitions } from './diagnose-data.js';
import { tableToText, writeReport, type Report, type ReportTable } from '../report/report.js';
import { seriesChart } from '../report/vega.js';
import { UsageError, numberFlag, parseFlags } from './usage.js';

const HELP = `usage: lamkit diagnose --data FILE.npy|FILE.npz|DIR [options]

Leakage-risk diagnostic from the data's own covariances (SCIENCE.md §3): innovation spectrum,
reconstruction loss floor per latent size k, and — with action labels — how many of k latent
dims a reconstruction LAM spends on non-action change and the predicted R²(a|z*) per k.

  --data PATH         float32 (or uint8, scaled by 1/255) sequences: N×T×D features, N×2×D pairs,
                      or N×T×C×H×W frames (flattened to D = C·H·W), as for \`lamkit train --data\`:
                      a .npy, a .npz (array obs/observations/frames/features, optional \`actions\`)
                      or a directory of shards (NAME.npy + optional NAME.actions.npy, or .npz);
                      read once, streaming, in bounded memory
  --actions FILE.npy  actions aligned with transitions: float32/int32 N×(T−1)×d_a or N·(T−1)×d_a,
                      or int32 discrete ids N×(T−1) or N·(T−1) (one-hot encoded)
  --read-buffer MB    largest single read of --data (default ${DEFAULT_BUFFER_BYTES >> 20})
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
  'read-buffer': { type: 'string' },
  seed: { type: 'string' },
  json: { type: 'boolean' },
  out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const shapeStr = (s: number[]) => `[${s.join('×')}]`;

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
  if (f.data === undefined) throw new UsageError('diagnose: --data FILE.npy is required (N×T×D features or N×T×C×H×W frames; or .npz, or a directory of shards)');
  const maxDim = numberFlag('max-dim', f['max-dim'], 256, { min: 1, integer: true });
  const seed = numberFlag('seed', f.seed, 0, { integer: true });
  const readBuffer = numberFlag('read-buffer', f['read-buffer'], DEFAULT_BUFFER_BYTES / (1 << 20), { min: 0, minExclusive: true });
  const data = await openDiagnoseData(f.data, f.actions, readBuffer * (1 << 20));
  try {
    return await diagnoseData(f, data, maxDim, seed);
  } finally {
    data.close();
  }
}

type Flags = ReturnType<typeof parseFlags<typeof OPTIONS>>['values'];

async function diagnoseData(f: Flags, data: Awaited<ReturnType<typeof openDiagnoseData>>, maxDim: number, seed: number): Promise<number> {
  const { n, shape, actions: acts } = data;
  let D = data.D;
  let projection: RandomProjection | undefined;
  if (D > maxDim) {
    if (f['no-project'])
      throw new RangeError(`--data: expected D ≤ --max-dim ${maxDim} with --no-project, found D = ${D} (shape ${shapeStr(shape)}); raise --max-dim or drop --no-project to project`);
    console.error(`lamkit diagnose: warning: D = ${D} > --max-dim ${maxDim}: random projection to ${maxDim} dims (seed ${seed}); the spectrum is that of the projected data`);
    projection = new RandomProjection(D, maxDim, seed);
    D = maxDim;
  }
  if (n < 2) throw new RangeError(`--data: expected ≥ 2 transitions, found ${n} (shape ${shapeStr(shape)})`);
  if (n < 10 * D) console.error(`lamkit diagnose: warning: only ${n} transitions for D = ${D}: covariance estimates are noisy (want ≥ ${10 * D})`);
  const k = numberFlag('k', f.k, acts ? Math.min(acts.dim, D) : Math.min(8, D), { min: 1, max: D, integer: true });
  if (f.labelled !== undefined && !acts) throw new UsageError('diagnose: --labelled M needs --actions FILE.npy (or actions in the data)');
  const labelled = acts ? numberFlag('labelled', f.labelled, n, { min: 2, max: n, integer: true }) : 0;
  if (acts && labelled < 10 * acts.dim) console.error(`lamkit diagnose: warning: ${labelled} labelled transitions for d_a = ${acts.dim}: R² estimates are noisy`);
  let mom: TransitionMoments | undefined;
  streamTransitions(data, { labelled, projection }, (_r, o0, o1, a) => {
    // Sums are taken relative to the first observation (see MomentAccumulator).
    mom ??= new TransitionMoments(D, acts?.dim ?? 0, labelled, o0);
    mom.add(o0, o1, a);
  });
  const d = diagnoseFromMoments(mom!.summary());

  const meta = { data: f.data!, shape: shapeStr(shape), transitions: n, dim: D, k, ...(f.actions ? { actions_file: f.actions } : acts ? { actions_in_data: acts.source } : {}) };
  if (f.json) {
    console.log(JSON.stringify({ ...meta, k, floor: d.floorByK[k - 1], r2_a: d.actions?.r2ByK[k - 1] ?? null, non_action_dims: d.actions?.nonActionDims[k - 1] ?? null, ...d }));
  } else {
    console.log(`lamkit diagnose ${f.data}: shape ${shapeStr(shape)}, ${n} transitions, D = ${D}`);
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
