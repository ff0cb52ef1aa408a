/**
 * Probes of a LAM trained on the user's own data (SCIENCE.md §4.1, through
 * src/analysis/probes.ts): how much of the action a linear read-out finds in z, on transitions
 * held out from training.
 *
 * The trained IDM runs (compiled inference graph, the training parameters) on up to `maxRows`
 * held-out transitions; the first half of them fit the probe, the second half score it.
 *   r2       R²(a | z̃), z̃ = z residualised on the conditioning input (what is linear in o_t
 *            removed, so the probe cannot score by reading the state)
 *   r2_raw   R²(a | z), the probe on the latent as it is
 * The conditioning input is o_t itself for features with D ≤ 64; frames are first average-
 * pooled to C×8×8 (H, W are multiples of 16); what is still wider than 64 dims goes through a
 * fixed seeded Gaussian projection to 64 (residualising on 1024 pixels would need far more rows
 * than a held-out set has, and pooling keeps the projection cheap). Labels also get a classification accuracy: arg-max of a least-squares
 * probe from the raw z to the one-hot action, next to the majority-class share.
 */
import { Matrix } from 'ml-matrix';
import { pinvSym } from '../analysis/linalg.js';
import { probeLatent } from '../analysis/probes.js';
import type { Dataset } from '../data/dataset.js';
import type { IndexArray } from '../data/dataset-sampler.js';
import { Rng } from '../data/rng.js';
import { compile } from '../graph/compile.js';
import { plan } from '../graph/plan.js';
import { buildIdmGraph, type Preset } from './presets.js';

export interface OwnProbeResult {
  /** R² of the action from the residualised latent, held out. */
  r2: number;
  /** R² of the action from the raw latent, held out. */
  r2_raw: number;
  /** Arg-max accuracy of a linear probe on the raw latent (labels only). */
  accuracy?: number;
  /** Chance accuracy: the most frequent class's share in the scored rows (labels only). */
  chance_accuracy?: number;
  n_fit: number;
  n_scored: number;
  conditioning: string;
  k: number;
  /** Set when the fit rows are few for the dims fitted (the R² are then noisy, biased low). */
  warning?: string;
}

const COND_DIMS = 64;

/** Runs the trained IDM over `rows` transitions of `ds` and probes z for the action. */
export async function probeOwnData(
  ds: Dataset,
  preset: Preset,
  params: Record<string, Float32Array>,
  rows: IndexArray,
  o: { backend?: string; maxRows?: number; seed: number },
): Promise<OwnProbeResult> {
  if (!ds.action) throw new RangeError(`probes: ${ds.source} has no actions`);
  const n = Math.min(rows.length, o.maxRows ?? 20000);
  if (n < 8) throw new RangeError(`probes: ${rows.length} held-out transitions; the probe needs at least 8 (raise --holdout)`);
  const F = ds.frameSize;
  const k = preset.spec.k;
  const A = ds.actionDim;
  const B = Math.min(n, preset.spec.kind === 'linear' ? 256 : 32);
  const g = buildIdmGraph(preset, B);
  const model = await compile(plan(g.graph), { backend: o.backend });
  try {
    const idm: Record<string, Float32Array> = {};
    for (const name of Object.keys(model.paramShapes())) {
      if (!params[name]) throw new RangeError(`probes: the trained parameters lack '${name}'`);
      idm[name] = params[name];
    }
    model.setParams(idm);
    // Conditioning input: [pool to C×8×8 for frames] → [seeded projection to 64 dims if wider].
    const pooled = ds.kind === 'frames' ? ds.frameShape[0] * 64 : F;
    const cd = Math.min(pooled, COND_DIMS);
    // Projection rows scaled by 1/√width keep the conditioning input at o_t's scale.
    const proj = pooled > COND_DIMS ? new Rng(o.seed + 4241).fillNormal(new Float32Array(cd * pooled), 0, 1 / Math.sqrt(pooled)) : null;
    const pool = new Float32Array(pooled);
    const conditioning = (ds.kind === 'frames' ? `o_t average-pooled to ${ds.frameShape[0]}×8×8` : 'o_t') + (proj ? `, seeded Gaussian projection to ${cd} dims` : ` (${cd} dims)`);
    const z = new Float32Array(n * k);
    const cond = new Float32Array(n * cd);
    const act = new Float32Array(n * A);
    const oT = new Float32Array(B * F);
    const oT1 = new Float32Array(B * F);
    const a = new Float32Array(B * A);
    const idx = new Float64Array(B);
    for (let s = 0; s < n; s += B) {
      const m = Math.min(B, n - s);
      // The graph's batch is fixed: a short last batch repeats its first row (outputs ignored).
      for (let j = 0; j < B; j++) idx[j] = rows[s + (j < m ? j : 0)];
      ds.readBatch(idx, B, oT, oT1, a);
      const out = model.output(model.run({ o_t: oT, o_t1: oT1 }, 1), 'z');
      z.set(out.subarray(0, m * k), s * k);
      act.set(a.subarray(0, m * A), s * A);
      for (let j = 0; j < m; j++) {
        const row = oT.subarray(j * F, (j + 1) * F);
        const x = ds.kind === 'frames' ? avgPool8(row, ds.frameShape, pool) : row;
        const dst = (s + j) * cd;
        if (!proj) cond.set(x, dst);
        else
          for (let r = 0; r < cd; r++) {
            let acc = 0;
            for (let i = 0; i < pooled; i++) acc += proj[r * pooled + i] * x[i];
            cond[dst + r] = acc;
          }
      }
    }
    const res = probeLatent({ data: z, dim: k }, { data: cond, dim: cd }, { action: { data: act, dim: A } }, 0.5);
    const out: OwnProbeResult = {
      r2: res.r2.action,
      r2_raw: res.r2_raw.action,
      n_fit: res.nTrain,
      n_scored: res.nTest,
      conditioning,
      k,
    };
    if (res.nTrain < 4 * (cd + k + 1))
      out.warning = `${res.nTrain} rows fit a residualiser on ${cd} dims and a probe on ${k}: R² is noisy and biased low; hold out more (--holdout) or give more data`;
    if (ds.action.kind === 'labels') Object.assign(out, labelAccuracy(z, k, act, A, res.nTrain));
    return out;
  } finally {
    model.dispose();
  }
}

/** Average-pools one C×H×W frame to C×8×8 into `out` (H, W multiples of 8). */
function avgPool8(frame: Float32Array, shape: readonly number[], out: Float32Array): Float32Array {
  const [c, h, w] = shape;
  const ph = h / 8;
  const pw = w / 8;
  out.fill(0);
  for (let ch = 0; ch < c; ch++)
    for (let y = 0; y < h; y++) {
      const base = (ch * h + y) * w;
      const o = ch * 64 + Math.floor(y / ph) * 8;
      for (let x = 0; x < w; x++) out[o + Math.floor(x / pw)] += frame[base + x];
    }
  const inv = 1 / (ph * pw);
  for (let i = 0; i < out.length; i++) out[i] *= inv;
  return out;
}

/**
 * Arg-max accuracy of a least-squares probe from [z, 1] to the one-hot action, fit on the
 * first `nFit` rows, scored on the rest; and the majority-class share of the scored rows.
 */
function labelAccuracy(z: Float32Array, k: number, act: Float32Array, A: number, nFit: number): { accuracy: number; chance_accuracy: number } {
  const n = act.length / A;
  const p = k + 1;
  // Normal equations in float64 (p ≤ a few hundred): W = (XᵀX)⁺ XᵀY.
  const G = new Matrix(p, p);
  const R = new Matrix(p, A);
  const x = new Float64Array(p);
  for (let i = 0; i < nFit; i++) {
    for (let j = 0; j < k; j++) x[j] = z[i * k + j];
    x[k] = 1;
    for (let r = 0; r < p; r++) {
      for (let c = 0; c < p; c++) G.set(r, c, G.get(r, c) + x[r] * x[c]);
      for (let c = 0; c < A; c++) R.set(r, c, R.get(r, c) + x[r] * act[i * A + c]);
    }
  }
  const W = pinvSym(G).mmul(R);
  let correct = 0;
  const counts = new Float64Array(A);
  for (let i = nFit; i < n; i++) {
    let best = 0;
    let bestV = -Infinity;
    let truth = 0;
    for (let c = 0; c < A; c++) {
      let v = W.get(k, c);
      for (let j = 0; j < k; j++) v += z[i * k + j] * W.get(j, c);
      if (v > bestV) {
        bestV = v;
        best = c;
      }
      if (act[i * A + c] === 1) truth = c;
    }
    counts[truth]++;
    if (best === truth) correct++;
  }
  const scored = Math.max(1, n - nFit);
  return { accuracy: correct / scored, chance_accuracy: Math.max(...counts) / scored };
}
