/**
 * Sampled linear probes (SCIENCE.md §4.1–4.3) for any model and any data with ground truth.
 *
 * Inputs are row-major arrays [n, dim]. The first `trainFraction` of rows fit everything (the
 * residualiser L̂, the probes Ĥ, the whitening); the rest are held out and scored:
 *   z̃ = z − L̂ o_t                     (L̂: least squares of z on o_t, with intercept)
 *   NMSE_t = Σ‖t − Ĥz̃‖² / Σ‖t − t̄‖²   (total-variance weighted), R² = 1 − NMSE
 *   S_exo  = E‖z̃_w − z̃'_w‖² / (2 tr Cov z̃_w),  z̃_w whitened z̃, z̃' from counterfactual inputs.
 * "o_t" can be any conditioning embedding (the nonlinear sweep passes an embedding of o_t).
 * The n-sized passes run over plain Float64Arrays (ml-matrix's element access is too slow for
 * 10⁴ × 64 Gram matrices); only the small d × d solves go through ml-matrix.
 */
import { Matrix } from 'ml-matrix';
import { pinvSqrtSym, pinvSym, rankSym } from './linalg.js';

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

/** Dense row-major float64 block of rows [r0, r1). */
interface Dense {
  data: Float64Array;
  rows: number;
  cols: number;
}

function dense(t: Table, n: number, name: string): Dense {
  if (!Number.isInteger(t.dim) || t.dim < 1 || t.data.length !== n * t.dim)
    throw new RangeError(`probes: ${name} must be [${n}, ${t.dim}] = ${n * t.dim} values, got ${t.data.length}`);
  return { data: Float64Array.from(t.data), rows: n, cols: t.dim };
}

function rowsOf(m: Dense, r0: number, r1: number): Dense {
  return { data: m.data.subarray(r0 * m.cols, r1 * m.cols), rows: r1 - r0, cols: m.cols };
}

function means(m: Dense): Float64Array {
  const mu = new Float64Array(m.cols);
  for (let i = 0; i < m.rows; i++) for (let j = 0; j < m.cols; j++) mu[j] += m.data[i * m.cols + j];
  for (let j = 0; j < m.cols; j++) mu[j] /= Math.max(m.rows, 1);
  return mu;
}

/** (A − μ_A)ᵀ(B − μ_B) / n as an ml-matrix (A.cols × B.cols). */
function centredCross(A: Dense, muA: Float64Array, B: Dense, muB: Float64Array): Matrix {
  const p = A.cols;
  const q = B.cols;
  const acc = new Float64Array(p * q);
  const a = new Float64Array(p);
  const b = new Float64Array(q);
  for (let i = 0; i < A.rows; i++) {
    for (let j = 0; j < p; j++) a[j] = A.data[i * p + j] - muA[j];
    for (let j = 0; j < q; j++) b[j] = B.data[i * q + j] - muB[j];
    for (let j = 0; j < p; j++) {
      const aj = a[j];
      if (aj === 0) continue;
      const off = j * q;
      for (let l = 0; l < q; l++) acc[off + l] += aj * b[l];
    }
  }
  const M = new Matrix(p, q);
  for (let j = 0; j < p; j++) for (let l = 0; l < q; l++) M.set(j, l, acc[j * q + l] / Math.max(A.rows, 1));
  return M;
}

/** Y ≈ (X − μ_X) β + μ_Y: a fitted least-squares map (pseudo-inverse: X may be rank deficient). */
class LinearFit {
  readonly muX: Float64Array;
  readonly muY: Float64Array;
  readonly beta: Float64Array; // X.cols × Y.cols row-major
  readonly p: number;
  readonly q: number;
  constructor(X: Dense, Y: Dense) {
    this.muX = means(X);
    this.muY = means(Y);
    this.p = X.cols;
    this.q = Y.cols;
    const B = pinvSym(centredCross(X, this.muX, X, this.muX)).mmul(centredCross(X, this.muX, Y, this.muY));
    this.beta = Float64Array.from(B.to1DArray());
  }
  /** Prediction minus μ_Y (centred), row-major [rows, q]. */
  predictCentred(X: Dense): Dense {
    const { p, q, beta, muX } = this;
    const out = new Float64Array(X.rows * q);
    const x = new Float64Array(p);
    for (let i = 0; i < X.rows; i++) {
      for (let j = 0; j < p; j++) x[j] = X.data[i * p + j] - muX[j];
      for (let j = 0; j < p; j++) {
        const xj = x[j];
        if (xj === 0) continue;
        for (let l = 0; l < q; l++) out[i * q + l] += xj * beta[j * q + l];
      }
    }
    return { data: out, rows: X.rows, cols: q };
  }
}

/** A fitted residualiser: z̃ = (z − z̄) − L̂ᵀ(o − ō). */
export class Residualiser {
  private fit: LinearFit;
  constructor(z: Dense, o: Dense) {
    this.fit = new LinearFit(o, z);
  }
  apply(z: Dense, o: Dense): Dense {
    const pred = this.fit.predictCentred(o);
    const mu = this.fit.muY;
    const out = new Float64Array(z.rows * z.cols);
    for (let i = 0; i < z.rows; i++) for (let j = 0; j < z.cols; j++) out[i * z.cols + j] = z.data[i * z.cols + j] - mu[j] - pred.data[i * z.cols + j];
    return { data: out, rows: z.rows, cols: z.cols };
  }
}

/** Held-out R² of a linear probe from X to Y (fit on train rows, scored on test rows; total-variance weighted). */
function probeR2(Xtr: Dense, Ytr: Dense, Xte: Dense, Yte: Dense): number {
  const fit = new LinearFit(Xtr, Ytr);
  const pred = fit.predictCentred(Xte);
  const muTe = means(Yte);
  let err = 0;
  let tot = 0;
  const q = Yte.cols;
  for (let i = 0; i < Yte.rows; i++)
    for (let j = 0; j < q; j++) {
      const y = Yte.data[i * q + j];
      err += (y - fit.muY[j] - pred.data[i * q + j]) ** 2;
      tot += (y - muTe[j]) ** 2;
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
  const Z = dense(z, n, 'z');
  const O = dense(oT, n, 'o_t');
  const res = new Residualiser(rowsOf(Z, 0, nTr), rowsOf(O, 0, nTr));
  const Zt = res.apply(Z, O);
  const out: ProbeResult = { r2: {}, nmse: {}, r2_raw: {}, nTrain: nTr, nTest: n - nTr };
  for (const [name, t] of Object.entries(targets)) {
    const T = dense(t, n, name);
    const r2 = probeR2(rowsOf(Zt, 0, nTr), rowsOf(T, 0, nTr), rowsOf(Zt, nTr, n), rowsOf(T, nTr, n));
    out.r2[name] = r2;
    out.nmse[name] = 1 - r2;
    out.r2_raw[name] = probeR2(rowsOf(Z, 0, nTr), rowsOf(T, 0, nTr), rowsOf(Z, nTr, n), rowsOf(T, nTr, n));
  }
  return out;
}

/**
 * Counterfactual exogenous sensitivity on held-out rows. z/zCf are latents of the same
 * (s_t, a_t) under two independent exogenous draws; oT/oTCf their conditioning inputs.
 * NaN when the residualised latent is identically zero.
 */
export function sExo(z: Table, oT: Table, zCf: Table, oTCf: Table, trainFraction = 0.5): number {
  const n = Math.round(z.data.length / z.dim);
  const nTr = Math.floor(n * trainFraction);
  const Z = dense(z, n, 'z');
  const O = dense(oT, n, 'o_t');
  const Z2 = dense(zCf, n, 'z (counterfactual)');
  const O2 = dense(oTCf, n, 'o_t (counterfactual)');
  const res = new Residualiser(rowsOf(Z, 0, nTr), rowsOf(O, 0, nTr));
  const Zt = res.apply(rowsOf(Z, nTr, n), rowsOf(O, nTr, n));
  const Zt2 = res.apply(rowsOf(Z2, nTr, n), rowsOf(O2, nTr, n));
  const zero = new Float64Array(Zt.cols);
  const C = centredCross(Zt, zero, Zt, zero);
  const r = rankSym(C, 1e-8);
  if (r === 0) return Number.NaN;
  const Wh = pinvSqrtSym(C, 1e-8);
  const k = Zt.cols;
  let s = 0;
  const dlt = new Float64Array(k);
  for (let i = 0; i < Zt.rows; i++) {
    for (let j = 0; j < k; j++) dlt[j] = Zt.data[i * k + j] - Zt2.data[i * k + j];
    for (let a = 0; a < k; a++) {
      let w = 0;
      for (let b = 0; b < k; b++) w += Wh.get(a, b) * dlt[b];
      s += w * w;
    }
  }
  return s / Zt.rows / (2 * r);
}
