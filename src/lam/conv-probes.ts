/**
 * Probes of a trained conv LAM on held-out gridworld data (SCIENCE.md §4, §6), through the
 * linear-science metrics code (src/analysis/probes.ts): z is residualised on an embedding of
 * o_t, then linear probes score the action (R² of the one-hot and classification accuracy), the
 * exogenous innovation ξ_t and the exogenous state x_t; S_exo comes from counterfactual pairs.
 *
 * The embedding of o_t = [a fixed seeded random projection of the raw frame (64 dims), the FDM
 * encoder's bottom features]: the first removes what is linear in the pixels, the second what
 * the model itself extracts from o_t (the part of z that is not identified, SCIENCE.md §3).
 * ξ and x are standardised per dimension so every exogenous component weighs the same.
 */
import { Matrix } from 'ml-matrix';
import { probeLatent, sExo } from '../analysis/probes.js';
import { center, colMeans, crossCov, pinvSym } from '../analysis/linalg.js';
import { Gridworld, GRID_ACTIONS, type GridworldBatch } from '../data/gridworld.js';
import { Rng } from '../data/rng.js';
import { Tape } from './conv-eager.js';
import type { ConvLam } from './conv-lam.js';
import { frames } from './conv-objectives.js';
import type { VqCodebook } from './vq.js';

export interface ConvProbeResult {
  /** Residualised-latent probes (held-out). */
  r2Action: number;
  accAction: number;
  r2Xi: number;
  r2X: number;
  /** Raw-latent probes, for comparison. */
  r2ActionRaw: number;
  accActionRaw: number;
  r2XiRaw: number;
  /** Counterfactual exogenous sensitivity (0 = consistent, 1 = purely exogenous). */
  sExo: number;
  /** Accuracy of always guessing the most frequent action (the chance line). */
  chance: number;
  n: number;
  pairs: number;
}

export interface ConvProbeOptions {
  /** Probe transitions (half fit, half scored). */
  n?: number;
  /** Counterfactual pairs for S_exo. */
  pairs?: number;
  seed?: number;
  /** Random-projection dims of the raw frame in the embedding of o_t. */
  projDims?: number;
}

/** Latent z (quantised when a codebook is given) and the o_t embedding for a batch. */
export function latentsAndEmbedding(model: ConvLam, vq: VqCodebook | null, b: GridworldBatch, proj: Float32Array, projDims: number): { z: Float32Array; emb: Float32Array } {
  const t = new Tape(false);
  const ot = frames(b, 'obs');
  let z = model.idm(t, ot, frames(b, 'next')).data;
  if (vq) z = vq.quantise(z, b.n).q;
  const feat = model.embed(t, model.encode(t, ot)).data;
  const F = b.obs.length / b.n, E = model.embedDim, D = projDims + E;
  const emb = new Float32Array(b.n * D);
  for (let n = 0; n < b.n; n++) {
    const o = b.obs.subarray(n * F, (n + 1) * F);
    for (let d = 0; d < projDims; d++) {
      let s = 0;
      const r = proj.subarray(d * F, (d + 1) * F);
      for (let i = 0; i < F; i++) s += r[i] * o[i];
      emb[n * D + d] = s;
    }
    emb.set(feat.subarray(n * E, (n + 1) * E), n * D + projDims);
  }
  return { z, emb };
}

/** Runs every probe on fresh held-out samples of `world` (same world, new sample stream). */
export function probeConvLam(model: ConvLam, vq: VqCodebook | null, world: Gridworld, opts: ConvProbeOptions = {}): ConvProbeResult {
  const n = opts.n ?? 3000, pairs = opts.pairs ?? 1500, projDims = opts.projDims ?? 64, seed = opts.seed ?? 99;
  const test = new Gridworld(world.cfg, seed * 104729 + 17);
  const F = test.frameSize, k = model.spec.k;
  const proj = new Rng(seed).fillNormal(new Float32Array(projDims * F), 0, 1 / Math.sqrt(F));
  const chunk = 250;
  const collect = (count: number, draw: (m: number) => GridworldBatch[]) => {
    const outs: { z: number[]; emb: number[]; batches: GridworldBatch[] }[] = [];
    for (let done = 0; done < count; done += chunk) {
      const bs = draw(Math.min(chunk, count - done));
      bs.forEach((b, i) => {
        const r = latentsAndEmbedding(model, vq, b, proj, projDims);
        outs[i] ??= { z: [], emb: [], batches: [] };
        for (const v of r.z) outs[i].z.push(v);
        for (const v of r.emb) outs[i].emb.push(v);
        outs[i].batches.push(b);
      });
    }
    return outs;
  };
  const [main] = collect(n, (m) => [test.sampleBatch(m)]);
  const embDim = projDims + model.embedDim;
  const A = GRID_ACTIONS.length;
  const onehot: number[] = [], xi: number[] = [], x: number[] = [], labels: number[] = [];
  for (const b of main.batches)
    for (let i = 0; i < b.n; i++) {
      labels.push(b.action[i]);
      for (let a = 0; a < A; a++) onehot.push(b.action[i] === a ? 1 : 0);
      for (let d = 0; d < b.exoDim; d++) {
        xi.push(b.innovation[i * b.exoDim + d]);
        x.push(b.exo[i * b.exoDim + d]);
      }
    }
  const D = test.exoDim;
  const pr = probeLatent({ data: main.z, dim: k }, { data: main.emb, dim: embDim }, {
    action: { data: onehot, dim: A },
    xi: { data: standardise(xi, D), dim: D },
    x: { data: standardise(x, D), dim: D },
  });
  const acc = actionAccuracy(main.z, main.emb, k, embDim, labels, A);
  const [ca, cb] = collect(pairs, (m) => {
    const p = test.counterfactualBatch(m);
    return [p.a, p.b];
  });
  const s = sExo({ data: ca.z, dim: k }, { data: ca.emb, dim: embDim }, { data: cb.z, dim: k }, { data: cb.emb, dim: embDim });
  const counts = new Array(A).fill(0);
  for (const l of labels.slice(Math.floor(labels.length / 2))) counts[l]++;
  return {
    r2Action: pr.r2.action,
    accAction: acc.residualised,
    r2Xi: pr.r2.xi,
    r2X: pr.r2.x,
    r2ActionRaw: pr.r2_raw.action,
    accActionRaw: acc.raw,
    r2XiRaw: pr.r2_raw.xi,
    sExo: Number.isFinite(s) ? s : 0,
    chance: Math.max(...counts) / (labels.length - Math.floor(labels.length / 2)),
    n,
    pairs,
  };
}

/** Least squares of centred Y on centred X (pseudo-inverse, as in src/analysis/probes.ts). */
function lstsq(Xc: Matrix, Yc: Matrix): Matrix {
  return pinvSym(crossCov(Xc, Xc)).mmul(crossCov(Xc, Yc));
}

/**
 * Held-out accuracy of a linear (least-squares one-hot) action classifier on z̃ and on raw z.
 * Same split and residualisation as probeLatent: the first half fits L̂ and the probe.
 */
function actionAccuracy(z: number[], emb: number[], k: number, embDim: number, labels: number[], A: number): { residualised: number; raw: number } {
  const n = labels.length, nTr = Math.floor(n / 2);
  const Z = new Matrix(n, k), O = new Matrix(n, embDim), Y = new Matrix(n, A);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) Z.set(i, j, z[i * k + j]);
    for (let j = 0; j < embDim; j++) O.set(i, j, emb[i * embDim + j]);
    Y.set(i, labels[i], 1);
  }
  const tr = (M: Matrix) => M.subMatrix(0, nTr - 1, 0, M.columns - 1);
  const te = (M: Matrix) => M.subMatrix(nTr, n - 1, 0, M.columns - 1);
  const om = colMeans(tr(O)), zm = colMeans(tr(Z));
  const L = lstsq(center(tr(O), om), center(tr(Z), zm));
  const Zt = center(Z, zm).sub(center(O, om).mmul(L));
  const score = (X: Matrix) => {
    const xm = colMeans(tr(X)), ym = colMeans(tr(Y));
    const H = lstsq(center(tr(X), xm), center(tr(Y), ym));
    const P = center(te(X), xm).mmul(H);
    let right = 0;
    for (let i = 0; i < P.rows; i++) {
      let best = -Infinity, arg = 0;
      for (let a = 0; a < A; a++) {
        const v = P.get(i, a) + ym[a];
        if (v > best) {
          best = v;
          arg = a;
        }
      }
      if (arg === labels[nTr + i]) right++;
    }
    return right / P.rows;
  };
  return { residualised: score(Zt), raw: score(Z) };
}

/** Per-column z-scores of a row-major [n, D] array (constant columns become 0). */
function standardise(v: number[], D: number): number[] {
  const n = v.length / D, out = new Array<number>(v.length);
  for (let d = 0; d < D; d++) {
    let m = 0, s = 0;
    for (let i = 0; i < n; i++) m += v[i * D + d];
    m /= n;
    for (let i = 0; i < n; i++) s += (v[i * D + d] - m) ** 2;
    const sd = Math.sqrt(s / n);
    for (let i = 0; i < n; i++) out[i * D + d] = sd > 0 ? (v[i * D + d] - m) / sd : 0;
  }
  return out;
}
