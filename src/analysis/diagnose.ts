/**
 * Leakage-risk diagnostic for any sequence data (SCIENCE.md §3), from the data's own covariances:
 *   P̂ = Ĉov(o_{t+1}, o_t) Ĉov(o_t)⁺,  ê_t = o_{t+1} − P̂ o_t,  Σ̂_e = Ĉov(ê) = Σ λ_i u_i u_iᵀ.
 * A reconstruction LAM with a k-dim latent spends its latent on the top-k innovation directions
 * (z* = U_kᵀ e), with loss floor Σ_{i>k} λ_i. With action labels a (all or the first `labelled`
 * transitions) we measure, on the labelled rows, with y_i = u_iᵀ ê:
 *   f_i      = Ĉov(y_i, ã) Ĉov(ã)⁺ Ĉov(ã, y_i) / V̂ar(y_i)  (share of direction i explained by the
 *              action's unpredictable part ã = a − Ĉov(a,o_t)Ĉov(o_t)⁺o_t)
 *   R²_a(k)  = tr(Σ_{a y≤k} Σ_{y≤k}⁺ Σ_{y≤k a}) / tr Σ_a      (predicted R²(a|z*) of a k-dim LAM)
 *   nonAction(k) = Σ_{i≤k, λ_i>0} (1 − f_i)                   (latent dims spent on non-action change)
 * R²_a(k) is accumulated by Gram–Schmidt in eigen order (an incremental Cholesky of Σ_y), so
 * every k costs O(D·d_a) after one O(D³) pass. z* = U_kᵀ ê is uncorrelated with o_t by
 * construction, so this is already the residualised probe of §4. In-sample estimates: their
 * upward bias is about k/n_labelled.
 * Cost: O(n·D²) for the Gram matrices, O(D³) for the eigendecomposition and pseudo-inverses.
 */
import { Matrix } from 'ml-matrix';
import { Rng } from '../data/rng.js';
import { lossFloor } from './closed-form.js';
import { empiricalInnovation } from './empirical.js';
import { pinvSym, symEig } from './linalg.js';

/** Per-k diagnostic with action labels. */
export interface ActionDiagnostic {
  /** Action dimension d_a. */
  dAction: number;
  /** Number of labelled transitions used. */
  labelled: number;
  /** f_i per innovation direction i (descending λ), in [0, 1]; 0 where λ_i ≈ 0. */
  actionFraction: number[];
  /** Predicted R²(a|z*) for k = 1..D (index k−1). */
  r2ByK: number[];
  /** Latent dims spent on non-action change, Σ_{i≤k, λ_i>0} (1 − f_i), for k = 1..D (index k−1). */
  nonActionDims: number[];
  /** Smallest k with predicted R²(a|z*) ≥ 0.95, or null. */
  kFor95: number | null;
}

/** Result of {@link diagnose}. */
export interface Diagnosis {
  /** Transitions used (n = N·(T−1)). */
  transitions: number;
  /** Feature dimension analysed (after any projection). */
  dim: number;
  /** Eigenvalues λ_i of Σ̂_e, descending (length dim). */
  spectrum: number[];
  /** tr Σ̂_e: the loss of a zero-dim latent. */
  totalInnovation: number;
  /** Loss floor Σ_{i>k} λ_i for k = 1..D (index k−1). */
  floorByK: number[];
  actions?: ActionDiagnostic;
}

/** Options of {@link diagnose}. */
export interface DiagnoseOptions {
  /** Use labels of the first `labelled` transitions only (default: all). */
  labelled?: number;
}

/**
 * Runs the diagnostic on n transitions.
 * @param oT o_t, row-major [n, d]; @param oT1 o_{t+1}, [n, d];
 * @param actions a_t, [n, dA] (optional; only the first `opts.labelled` rows are read).
 */
export function diagnose(
  oT: ArrayLike<number>,
  oT1: ArrayLike<number>,
  n: number,
  d: number,
  actions?: { data: ArrayLike<number>; dim: number },
  opts: DiagnoseOptions = {},
): Diagnosis {
  const inn = empiricalInnovation(oT, oT1, n, d);
  const spectrum = inn.spectrum.map((v) => Math.max(v, 0));
  const floorByK = spectrum.map((_, i) => lossFloor(spectrum, i + 1));
  const out: Diagnosis = {
    transitions: n,
    dim: d,
    spectrum,
    totalInnovation: spectrum.reduce((s, v) => s + v, 0),
    floorByK,
  };
  if (!actions) return out;
  const dA = actions.dim;
  const m = opts.labelled ?? n;
  if (!Number.isInteger(m) || m < 2 || m > n) throw new RangeError(`diagnose: labelled must be an integer in [2, ${n}], got ${m}`);
  if (!Number.isInteger(dA) || dA < 1 || actions.data.length < m * dA)
    throw new RangeError(`diagnose: actions must hold ≥ ${m}×${dA} values, got ${actions.data.length}`);

  // y = Uᵀ ê on the labelled rows, ê = (o₁ − μ₁) − P̂(o₀ − μ₀) with the all-data means.
  const { vectors: U } = symEig(inn.SigmaE);
  const Ut = U.transpose();
  const Q1 = Float64Array.from(Ut.to1DArray());
  const Q0 = Float64Array.from(Ut.mmul(inn.P).to1DArray());
  const mu0 = colMean(oT, n, d);
  const mu1 = colMean(oT1, n, d);
  const Y = new Float64Array(m * d);
  const x0 = new Float64Array(d);
  const x1 = new Float64Array(d);
  for (let r = 0; r < m; r++) {
    for (let j = 0; j < d; j++) {
      x0[j] = oT[r * d + j] - mu0[j];
      x1[j] = oT1[r * d + j] - mu1[j];
    }
    for (let i = 0; i < d; i++) {
      let acc = 0;
      const off = i * d;
      for (let j = 0; j < d; j++) acc += Q1[off + j] * x1[j] - Q0[off + j] * x0[j];
      Y[r * d + i] = acc;
    }
  }
  const A = Float64Array.from({ length: m * dA }, (_, i) => actions.data[i]);
  const Cyy = centredCross(Y, Y, m, d, d);
  const Cya = centredCross(Y, A, m, d, dA);
  const Caa = centredCross(A, A, m, dA, dA);
  const trA = Caa.trace();

  // f_i: R² of y_i on ã = a − Ê[a|o_t], the unpredictable part of the action (only it can enter
  // the innovation, §3; with a policy gain the predictable part would dilute f_i).
  const O = new Float64Array(m * d);
  for (let i = 0; i < m * d; i++) O[i] = oT[i];
  const Coo = centredCross(O, O, m, d, d);
  const Coa = centredCross(O, A, m, d, dA);
  const Cyo = centredCross(Y, O, m, d, d);
  const G = pinvSym(Coo).mmul(Coa); // d × dA
  const Cyr = Cya.clone().sub(Cyo.mmul(G));
  const Crr = Caa.clone().sub(Coa.transpose().mmul(G));
  const CrrPinv = pinvSym(Crr);
  const actionFraction: number[] = [];
  for (let i = 0; i < d; i++) {
    const c = Cyr.getRowVector(i);
    const num = c.mmul(CrrPinv).mmul(c.transpose()).get(0, 0);
    const vi = Cyy.get(i, i);
    actionFraction.push(vi > 0 ? Math.min(Math.max(num / vi, 0), 1) : 0);
  }

  // R²_a(k) by Gram–Schmidt over y_1, y_2, … (incremental Cholesky of Cyy; tiny pivots skipped).
  const L = new Matrix(d, d);
  const W = new Matrix(d, dA); // W_i = (Cya_i − Σ_{j<i} L_ij W_j) / L_ii
  const tol = 1e-10 * Math.max(...Array.from({ length: d }, (_, i) => Cyy.get(i, i)), 0);
  const r2ByK: number[] = [];
  let explained = 0;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < i; j++) {
      let s = Cyy.get(i, j);
      for (let l = 0; l < j; l++) s -= L.get(i, l) * L.get(j, l);
      L.set(i, j, L.get(j, j) > 0 ? s / L.get(j, j) : 0);
    }
    let p = Cyy.get(i, i);
    for (let l = 0; l < i; l++) p -= L.get(i, l) ** 2;
    if (p > tol) {
      const lii = Math.sqrt(p);
      L.set(i, i, lii);
      for (let c = 0; c < dA; c++) {
        let s = Cya.get(i, c);
        for (let l = 0; l < i; l++) s -= L.get(i, l) * W.get(l, c);
        W.set(i, c, s / lii);
        explained += W.get(i, c) ** 2;
      }
    } else {
      for (let l = 0; l < i; l++) L.set(i, l, 0); // a dependent direction adds nothing
    }
    r2ByK.push(trA > 0 ? Math.min(explained / trA, 1) : 0);
  }
  // Directions with λ ≈ 0 carry no change: a LAM spends nothing on them (and f_i is noise there).
  const lamTol = 1e-8 * (spectrum[0] ?? 0);
  const nonActionDims: number[] = [];
  let acc = 0;
  for (let i = 0; i < d; i++) {
    if (spectrum[i] <= lamTol) actionFraction[i] = 0;
    else acc += 1 - actionFraction[i];
    nonActionDims.push(acc);
  }
  const k95 = r2ByK.findIndex((v) => v >= 0.95);
  out.actions = { dAction: dA, labelled: m, actionFraction, r2ByK, nonActionDims, kFor95: k95 < 0 ? null : k95 + 1 };
  return out;
}

/**
 * Gaussian random projection of rows [n, D] to [n, m] (entries N(0, 1/m), seeded): keeps
 * distances in expectation (Johnson–Lindenstrauss) so the spectrum's shape survives, not its
 * exact values. For frames too wide for an O(D³) eigendecomposition.
 */
export function randomProject(rows: ArrayLike<number>, n: number, D: number, m: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const R = new Float64Array(D * m);
  const s = 1 / Math.sqrt(m);
  for (let i = 0; i < R.length; i++) R[i] = rng.normal() * s;
  const out = new Float32Array(n * m);
  const acc = new Float64Array(m);
  for (let r = 0; r < n; r++) {
    acc.fill(0);
    for (let j = 0; j < D; j++) {
      const v = rows[r * D + j];
      if (v === 0) continue;
      const off = j * m;
      for (let c = 0; c < m; c++) acc[c] += v * R[off + c];
    }
    for (let c = 0; c < m; c++) out[r * m + c] = acc[c];
  }
  return out;
}

function colMean(X: ArrayLike<number>, n: number, d: number): Float64Array {
  const mu = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mu[j] += X[i * d + j];
  for (let j = 0; j < d; j++) mu[j] /= n;
  return mu;
}

/** (A − Ā)ᵀ(B − B̄)/n for row-major A [n, p], B [n, q]. */
function centredCross(A: Float64Array, B: Float64Array, n: number, p: number, q: number): Matrix {
  const ma = colMean(A, n, p);
  const mb = colMean(B, n, q);
  const acc = new Float64Array(p * q);
  const a = new Float64Array(p);
  const b = new Float64Array(q);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < p; j++) a[j] = A[r * p + j] - ma[j];
    for (let j = 0; j < q; j++) b[j] = B[r * q + j] - mb[j];
    for (let j = 0; j < p; j++) {
      const aj = a[j];
      const off = j * q;
      for (let l = 0; l < q; l++) acc[off + l] += aj * b[l];
    }
  }
  const M = new Matrix(p, q);
  for (let j = 0; j < p; j++) for (let l = 0; l < q; l++) M.set(j, l, acc[j * q + l] / n);
  return M;
}
