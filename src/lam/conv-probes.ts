/**
 * Probes of a trained conv LAM on held-out gridworld data (SCIENCE.md §4, §6), through the
 * linear-science metrics code (src/analysis/probes.ts): z is residualised on an embedding of
 * o_t, then linear probes score the action (R² of the one-hot and classification accuracy), the
 * exogenous innovation ξ_t and the exogenous state x_t; S_exo comes from counterfactual pairs.
 *
 * The embedding of o_t = [a fixed seeded random projection of the raw frame, the FDM encoder's
 * bottom map averaged per channel, a 4×4 average pool of the agent-only view]: the first removes what is
 * linear in the pixels, the second what the model itself extracts from o_t, the third any
 * smooth function of the agent position (the part of z that is not identified, SCIENCE.md §3).
 * ξ and x are standardised per dimension so every exogenous component weighs the same.
 */
import { Matrix } from 'ml-matrix';
import { probeLatent, sExo } from '../analysis/probes.js';
import { center, colMeans, crossCov, pinvSym, symEig } from '../analysis/linalg.js';
import { Gridworld, GRID_ACTIONS, type GridworldBatch } from '../data/gridworld.js';
import { Rng } from '../data/rng.js';
import type { ConvLamModel } from './conv-lam.js';

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
  /**
   * State-conditional linear probes (held-out): features z̃ ⊗ [1, onehot(agent cell in a 2×2
   * partition of the frame)]. A conv IDM can encode the action through a state-dependent code
   * (a different direction per image region) that one global linear map cannot read; a and ξ
   * are independent of s_t, so what these probes gain is still information about the
   * transition carried by z, not about o_t.
   */
  condAccAction: number;
  condR2Action: number;
  condR2Xi: number;
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

/** Side of the average-pooled agent-only view in the embedding of o_t (POOL×POOL dims). */
const POOL = 4;

/**
 * Latent z (quantised when the model has a codebook) and the embedding of o_t for a batch:
 * [random projection of the frame (projDims), FDM encoder bottom map averaged per channel,
 * POOL×POOL average pool of the agent-only view (a smooth code of the agent position)].
 */
export function latentsAndEmbedding(model: ConvLamModel, b: GridworldBatch, proj: Float32Array, projDims: number): { z: Float32Array; emb: Float32Array } {
  const r = model.run(b.obs, b.next);
  // Channel means of the encoder's bottom map: a compact nonlinear summary of o_t (the full map
  // has too many dims for a residualiser fitted on ~10³ rows).
  const E = model.spec.ch[3], hw = (model.spec.h / 16) * (model.spec.w / 16);
  const feat = new Float32Array(b.n * E);
  for (let n = 0; n < b.n; n++)
    for (let c = 0; c < E; c++) {
      let s = 0;
      for (let i = 0; i < hw; i++) s += r.e4[(n * E + c) * hw + i];
      feat[n * E + c] = s / hw;
    }
  const [C, H, W] = b.frameShape;
  const F = C * H * W, D = embeddingDim(model, projDims);
  const emb = new Float32Array(b.n * D);
  const ph = H / POOL, pw = W / POOL;
  for (let n = 0; n < b.n; n++) {
    const o = b.obs.subarray(n * F, (n + 1) * F);
    for (let d = 0; d < projDims; d++) {
      let s = 0;
      const row = proj.subarray(d * F, (d + 1) * F);
      for (let i = 0; i < F; i++) s += row[i] * o[i];
      emb[n * D + d] = s;
    }
    emb.set(feat.subarray(n * E, (n + 1) * E), n * D + projDims);
    const or = b.oracleObs.subarray(n * F, (n + 1) * F);
    const base = n * D + projDims + E;
    for (let c = 0; c < C; c++)
      for (let y = 0; y < H; y++)
        for (let x = 0; x < W; x++) emb[base + Math.floor(y / ph) * POOL + Math.floor(x / pw)] += or[(c * H + y) * W + x] / (ph * pw * C);
  }
  return { z: r.z, emb };
}

function embeddingDim(model: ConvLamModel, projDims: number): number {
  return projDims + model.spec.ch[3] + POOL * POOL;
}

/** Runs every probe on fresh held-out samples of `world` (same world, new sample stream). */
export function probeConvLam(model: ConvLamModel, world: Gridworld, opts: ConvProbeOptions = {}): ConvProbeResult {
  const n = opts.n ?? 2000, pairs = opts.pairs ?? 800, projDims = opts.projDims ?? 16, seed = opts.seed ?? 99;
  const test = new Gridworld(world.cfg, seed * 104729 + 17);
  const F = test.frameSize, k = model.spec.k;
  const proj = new Rng(seed).fillNormal(new Float32Array(projDims * F), 0, 1 / Math.sqrt(F));
  const chunk = 250;
  const collect = (count: number, draw: (m: number) => GridworldBatch[]) => {
    const outs: { z: number[]; emb: number[]; batches: GridworldBatch[] }[] = [];
    for (let done = 0; done < count; done += chunk) {
      const bs = draw(Math.min(chunk, count - done));
      bs.forEach((b, i) => {
        const r = latentsAndEmbedding(model, b, proj, projDims);
        outs[i] ??= { z: [], emb: [], batches: [] };
        for (const v of r.z) outs[i].z.push(v);
        for (const v of r.emb) outs[i].emb.push(v);
        outs[i].batches.push(b);
      });
    }
    return outs;
  };
  const [main] = collect(n, (m) => [test.sampleBatch(m)]);
  // Numerical rank: a latent direction with (almost) no variance (a dead unit, a collapsed
  // code) would make every least-squares probe divide by float32 rounding noise.
  const basis = latentBasis(main.z, k, Math.floor(n / 2));
  // The same for the embedding the residualiser regresses on: an encoder channel that is dead
  // on the training rows but fires on one held-out row otherwise gets a huge coefficient, and
  // that row's z̃ (196 vs ≤ 4.4 on the training rows, R²(ξ|z̃) −1.24 instead of 0.09, seen on a
  // k = 2 run) swamps the held-out probe.
  const embBasis = latentBasis(main.emb, embeddingDim(model, projDims), Math.floor(n / 2));
  const embDim = embBasis.dim;
  main.emb = embBasis.project(main.emb);
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
  const kz = basis.dim;
  main.z = basis.project(main.z);
  const pr = probeLatent({ data: main.z, dim: kz }, { data: main.emb, dim: embDim }, {
    action: { data: onehot, dim: A },
    xi: { data: standardise(xi, D), dim: D },
    x: { data: standardise(x, D), dim: D },
  });
  const acc = actionAccuracy(main.z, main.emb, kz, embDim, labels, A);
  const [ca, cb] = collect(pairs, (m) => {
    const p = test.counterfactualBatch(m);
    return [p.a, p.b];
  });
  const s = sExo({ data: basis.project(ca.z), dim: kz }, { data: embBasis.project(ca.emb), dim: embDim }, { data: basis.project(cb.z), dim: kz }, { data: embBasis.project(cb.emb), dim: embDim });
  const cells: number[] = [];
  for (const b of main.batches) for (let i = 0; i < b.n; i++) cells.push(agentCell(test, b.agent[2 * i], b.agent[2 * i + 1]));
  const cond = conditionalProbes(main.z, main.emb, kz, embDim, labels, A, cells, standardise(xi, D), D);
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
    condAccAction: cond.acc,
    condR2Action: cond.r2Action,
    condR2Xi: cond.r2Xi,
    sExo: Number.isFinite(s) ? s : 0,
    chance: Math.max(...counts) / (labels.length - Math.floor(labels.length / 2)),
    n,
    pairs,
  };
}

/**
 * Principal directions of z (from the first nTr rows) whose variance exceeds 1e-5 of the largest:
 * projecting onto them keeps everything a linear probe can use and drops float32 noise.
 */
function latentBasis(z: number[], k: number, nTr: number): { dim: number; project: (v: number[]) => number[] } {
  const Z = new Matrix(nTr, k);
  for (let i = 0; i < nTr; i++) for (let j = 0; j < k; j++) Z.set(i, j, z[i * k + j]);
  const mu = colMeans(Z);
  const { values, vectors } = symEig(crossCov(center(Z, mu), center(Z, mu)));
  const top = Math.max(...values, 0);
  const keep: number[] = [];
  values.forEach((v, i) => {
    if (top > 0 && v > 1e-5 * top) keep.push(i);
  });
  if (!keep.length) keep.push(values.indexOf(top) >= 0 ? values.indexOf(top) : 0);
  return {
    dim: keep.length,
    project: (v: number[]) => {
      const rows = v.length / k, out = new Array<number>(rows * keep.length);
      for (let i = 0; i < rows; i++)
        keep.forEach((c, j) => {
          let s = 0;
          for (let d = 0; d < k; d++) s += (v[i * k + d] - mu[d]) * vectors.get(d, c);
          out[i * keep.length + j] = s;
        });
      return out;
    },
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

const CELLS = 2;

/** Index of the agent's cell in a CELLS×CELLS partition of the frame (by the sprite centre). */
function agentCell(g: Gridworld, x: number, y: number): number {
  const { width: W, height: H, sprite } = g.cfg;
  const cx = Math.min(CELLS - 1, Math.floor(((x + sprite / 2) / W) * CELLS));
  const cy = Math.min(CELLS - 1, Math.floor(((y + sprite / 2) / H) * CELLS));
  return cy * CELLS + cx;
}

/** Held-out state-conditional linear probes (see ConvProbeResult.condAccAction). */
function conditionalProbes(z: number[], emb: number[], k: number, embDim: number, labels: number[], A: number, cells: number[], xi: number[], D: number): { acc: number; r2Action: number; r2Xi: number } {
  const n = labels.length, nTr = Math.floor(n / 2), C = CELLS * CELLS;
  const Z = new Matrix(n, k), O = new Matrix(n, embDim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) Z.set(i, j, z[i * k + j]);
    for (let j = 0; j < embDim; j++) O.set(i, j, emb[i * embDim + j]);
  }
  const tr = (M: Matrix) => M.subMatrix(0, nTr - 1, 0, M.columns - 1);
  const te = (M: Matrix) => M.subMatrix(nTr, n - 1, 0, M.columns - 1);
  const om = colMeans(tr(O)), zm = colMeans(tr(Z));
  const Zt = center(Z, zm).sub(center(O, om).mmul(lstsq(center(tr(O), om), center(tr(Z), zm))));
  const X = new Matrix(n, k + C * k + C);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) {
      X.set(i, j, Zt.get(i, j));
      X.set(i, k + cells[i] * k + j, Zt.get(i, j));
    }
    X.set(i, k + C * k + cells[i], 1);
  }
  const Y = new Matrix(n, A), T = new Matrix(n, D);
  for (let i = 0; i < n; i++) {
    Y.set(i, labels[i], 1);
    for (let d = 0; d < D; d++) T.set(i, d, xi[i * D + d]);
  }
  const fit = (Yall: Matrix) => {
    const xm = colMeans(tr(X)), ym = colMeans(tr(Yall));
    const H = lstsq(center(tr(X), xm), center(tr(Yall), ym));
    const P = center(te(X), xm).mmul(H).addRowVector(ym);
    return P;
  };
  const r2 = (P: Matrix, Yall: Matrix) => {
    const Yte = te(Yall), mu = colMeans(Yte);
    let sse = 0, sst = 0;
    for (let i = 0; i < Yte.rows; i++)
      for (let j = 0; j < Yte.columns; j++) {
        sse += (Yte.get(i, j) - P.get(i, j)) ** 2;
        sst += (Yte.get(i, j) - mu[j]) ** 2;
      }
    return sst > 0 ? 1 - sse / sst : 0;
  };
  const Pa = fit(Y);
  let right = 0;
  for (let i = 0; i < Pa.rows; i++) {
    const row = Pa.getRow(i);
    if (row.indexOf(Math.max(...row)) === labels[nTr + i]) right++;
  }
  return { acc: right / Pa.rows, r2Action: r2(Pa, Y), r2Xi: r2(fit(T), T) };
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
