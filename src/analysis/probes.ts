/**
 * Sampled linear probes (SCIENCE.md §4.1–4.3) for any model and any data with ground truth.
 *
 * Inputs are row-major arrays [n, dim]. The first `trainFraction` of rows fit everything (the
 * residualiser L̂, the probes Ĥ, the whitening); the rest are held out and scored:
 *   z̃ = z − L̂ o_t                     (L̂: least squares of z on o_t, with intercept)
 *   NMSE_t = Σ‖t − Ĥz̃‖² / Σ‖t − t̄‖²   (total-variance weighted), R² = 1 − NMSE
 *   S_exo  = E‖z̃_w − z̃'_w‖² / (2 tr Cov z̃_w),  z̃_w whitened z̃, z̃' from counterfactual inputs.
 * "o_t" can be any conditioning embedding (the nonlinear sweep passes an embedding of o_t).
 */
import { Matrix } from 'ml-matrix';
import { center, colMeans, crossCov, fromRowMajor, pinvSqrtSym, pinvSym, rankSym } from './linalg.js';

/** A row-major array with its row width. */
export interface Table {
  data: ArrayLike<number>;
  dim: number;
}

export interface ProbeResult {
  /** R² on held-out rows per target, residualised latent. */
  r2: Record<string, number>;
  /** NMSE = 1 − R², residualised. */
  nmse: Record<string, number>;
  /** R² of probes on the raw latent. */
  r2_raw: Record<string, number>;
  nTrain: number;
  nTest: number;
}

function asMatrix(t: Table, n: number, name: string): Matrix {
  if (!Number.isInteger(t.dim) || t.dim < 1 || t.data.length !== n * t.dim)
    throw new RangeError(`probes: ${name} must be [${n}, ${t.dim}] = ${n * t.dim} values, got ${t.data.length}`);
  return fromRowMajor(t.data, n, t.dim, name);
}

/** Least-squares fit of centred Y on centred X (pseudo-inverse: X may be rank deficient). */
export function lstsq(Xc: Matrix, Yc: Matrix): Matrix {
  return pinvSym(crossCov(Xc, Xc)).mmul(crossCov(Xc, Yc));
}

function rows(M: Matrix, from: number, to: number): Matrix {
  return M.subMatrix(from, to - 1, 0, M.columns - 1);
}

/** A fitted residualiser: z̃ = (z − z̄) − (o − ō) L̂. */
export class Residualiser {
  private zMean: number[];
  private oMean: number[];
  private L: Matrix;
  constructor(z: Matrix, o: Matrix) {
    this.zMean = colMeans(z);
    this.oMean = colMeans(o);
    this.L = lstsq(center(o, this.oMean), center(z, this.zMean));
  }
  apply(z: Matrix, o: Matrix): Matrix {
    return center(z, this.zMean).sub(center(o, this.oMean).mmul(this.L));
  }
}

/** Held-out R² of a linear probe from X to Y (fit on train rows, scored on test rows). */
export function probeR2(Xtr: Matrix, Ytr: Matrix, Xte: Matrix, Yte: Matrix): number {
  const xm = colMeans(Xtr);
  const ym = colMeans(Ytr);
  const H = lstsq(center(Xtr, xm), center(Ytr, ym));
  const pred = center(Xte, xm).mmul(H);
  let err = 0;
  let tot = 0;
  const ymTe = colMeans(Yte);
  for (let i = 0; i < Yte.rows; i++)
    for (let j = 0; j < Yte.columns; j++) {
      const y = Yte.get(i, j) - ym[j];
      err += (y - pred.get(i, j)) ** 2;
      tot += (Yte.get(i, j) - ymTe[j]) ** 2;
    }
  return tot > 0 ? 1 - err / tot : 0;
}

/**
 * Residualised and raw probes of a latent for named targets.
 * @param z latent [n, k]; @param oT conditioning input [n, d_o]; @param targets name → [n, dim].
 */
export function probeLatent(z: Table, oT: Table, targets: Record<string, Table>, trainFraction = 0.5): ProbeResult {
  const n = Math.round(z.data.length / z.dim);
  const nTr = Math.floor(n * trainFraction);
  if (nTr < 2 || n - nTr < 2) throw new RangeError(`probes: need ≥ 2 train and ≥ 2 test rows, got n=${n}, trainFraction=${trainFraction}`);
  const Z = asMatrix(z, n, 'z');
  const O = asMatrix(oT, n, 'o_t');
  const res = new Residualiser(rows(Z, 0, nTr), rows(O, 0, nTr));
  const Zt = res.apply(Z, O);
  const out: ProbeResult = { r2: {}, nmse: {}, r2_raw: {}, nTrain: nTr, nTest: n - nTr };
  for (const [name, t] of Object.entries(targets)) {
    const T = asMatrix(t, n, name);
    const r2 = probeR2(rows(Zt, 0, nTr), rows(T, 0, nTr), rows(Zt, nTr, n), rows(T, nTr, n));
    out.r2[name] = r2;
    out.nmse[name] = 1 - r2;
    out.r2_raw[name] = probeR2(rows(Z, 0, nTr), rows(T, 0, nTr), rows(Z, nTr, n), rows(T, nTr, n));
  }
  return out;
}

/**
 * Counterfactual exogenous sensitivity on held-out rows. z/zCf are latents of the same
 * (s_t, a_t) under two independent exogenous draws; oT/oTCf their conditioning inputs.
 */
export function sExo(z: Table, oT: Table, zCf: Table, oTCf: Table, trainFraction = 0.5): number {
  const n = Math.round(z.data.length / z.dim);
  const nTr = Math.floor(n * trainFraction);
  const Z = asMatrix(z, n, 'z');
  const O = asMatrix(oT, n, 'o_t');
  const Z2 = asMatrix(zCf, n, 'z (counterfactual)');
  const O2 = asMatrix(oTCf, n, 'o_t (counterfactual)');
  const res = new Residualiser(rows(Z, 0, nTr), rows(O, 0, nTr));
  const Zt = res.apply(rows(Z, nTr, n), rows(O, nTr, n));
  const Zt2 = res.apply(rows(Z2, nTr, n), rows(O2, nTr, n));
  const C = crossCov(Zt, Zt);
  const r = rankSym(C, 1e-8);
  if (r === 0) return Number.NaN;
  const Wh = pinvSqrtSym(C, 1e-8);
  const D = Zt.clone().sub(Zt2).mmul(Wh);
  let s = 0;
  for (let i = 0; i < D.rows; i++) for (let j = 0; j < D.columns; j++) s += D.get(i, j) ** 2;
  return s / D.rows / (2 * r);
}
