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
 * Every quantity is a linear map of the covariance of [o_t; o_{t+1}; a], so the data is read once,
 * streaming (TransitionMoments, float64 sums of outer products), in O((2D + d_a)²) memory.
 * Cost: O(n·(2D + d_a)²) for the sums, O(D³) for the eigendecomposition and pseudo-inverses.
 */
import { Matrix } from 'ml-matrix';
import { Rng } from '../data/rng.js';
import { lossFloor } from './closed-form.js';
import { MomentAccumulator } from './moments.js';
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

/** Covariances a diagnosis needs, from {@link TransitionMoments} (one streaming pass). */
export interface MomentSummary {
  /** Feature dim d. */
  d: number;
  /** Transitions n. */
  n: number;
  /** Covariance of [o_t; o_{t+1}] over all n transitions, 2d×2d. */
  all: Matrix;
  /** Covariance of [o_t; o_{t+1}; a] over the first m (labelled) transitions, (2d+dA)². */
  labelled?: { cov: Matrix; m: number; dA: number };
}

/**
 * Accumulates, transition by transition (in data order), the float64 sums a diagnosis needs:
 * outer products of [o_t; o_{t+1}] over all rows and of [o_t; o_{t+1}; a] over the first
 * `labelled` rows. Memory O((2d + dA)²) whatever n is.
 */
export class TransitionMoments {
  private readonly lab: MomentAccumulator | null;
  private readonly rest: MomentAccumulator;
  private readonly z: Float64Array;
  private rows = 0;

  /** @param shift a typical observation (e.g. the first): rows are summed relative to it. */
  constructor(
    readonly d: number,
    readonly dA: number,
    readonly labelled: number,
    shift: ArrayLike<number>,
  ) {
    const s2 = new Float64Array(2 * d + dA);
    for (let j = 0; j < d; j++) s2[j] = s2[d + j] = shift[j];
    this.rest = new MomentAccumulator(2 * d, s2.slice(0, 2 * d));
    this.lab = dA > 0 ? new MomentAccumulator(2 * d + dA, s2) : null;
    this.z = new Float64Array(2 * d + dA);
  }

  /** Adds transition (o_t, o_{t+1}) and, for the first `labelled` rows, its action a_t. */
  add(o0: ArrayLike<number>, o1: ArrayLike<number>, a: ArrayLike<number> | null): void {
    const { d, z } = this;
    for (let j = 0; j < d; j++) {
      z[j] = o0[j];
      z[d + j] = o1[j];
    }
    if (this.lab && this.rows < this.labelled) {
      if (!a) throw new RangeError(`TransitionMoments: transition ${this.rows} is labelled (< ${this.labelled}) but has no action`);
      for (let j = 0; j < this.dA; j++) z[2 * d + j] = a[j];
      this.lab.add(z);
    } else {
      this.rest.add(z);
    }
    this.rows++;
  }

  summary(): MomentSummary {
    const all = new MomentAccumulator(2 * this.d, this.rest.shift);
    all.merge(this.rest);
    if (this.lab) all.merge(this.lab);
    const out: MomentSummary = { d: this.d, n: all.count, all: all.covariance() };
    if (this.lab) out.labelled = { cov: this.lab.covariance(), m: this.lab.count, dA: this.dA };
    return out;
  }
}

/**
 * Runs the diagnostic on n transitions held in memory.
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
  if (!Number.isInteger(n) || n < 2 || !Number.isInteger(d) || d < 1) throw new RangeError(`diagnose: need n ≥ 2 and d ≥ 1 integers, got n=${n}, d=${d}`);
  if (oT.length !== n * d || oT1.length !== n * d)
    throw new RangeError(`diagnose: o_t and o_{t+1} must be [${n}, ${d}] = ${n * d} values, got ${oT.length} and ${oT1.length}`);
  const m = actions ? (opts.labelled ?? n) : 0;
  const dA = actions?.dim ?? 0;
  if (actions) {
    if (!Number.isInteger(m) || m < 2 || m > n) throw new RangeError(`diagnose: labelled must be an integer in [2, ${n}], got ${m}`);
    if (!Number.isInteger(dA) || dA < 1 || actions.data.length < m * dA)
      throw new RangeError(`diagnose: actions must hold ≥ ${m}×${dA} values, got ${actions.data.length}`);
  }
  const acc = new TransitionMoments(d, dA, m, Array.from({ length: d }, (_, j) => oT[j]));
  const row = (X: ArrayLike<number>, r: number, w: number) => Array.from({ length: w }, (_, j) => X[r * w + j]);
  for (let r = 0; r < n; r++) acc.add(row(oT, r, d), row(oT1, r, d), actions && r < m ? row(actions.data, r, dA) : null);
  return diagnoseFromMoments(acc.summary());
}

/** The diagnosis from covariances alone (see the file comment): O(d³), independent of n. */
export function diagnoseFromMoments(mo: MomentSummary): Diagnosis {
  const { d, n } = mo;
  const C = mo.all;
  const C00 = C.subMatrix(0, d - 1, 0, d - 1);
  const C10 = C.subMatrix(d, 2 * d - 1, 0, d - 1);
  const C11 = C.subMatrix(d, 2 * d - 1, d, 2 * d - 1);
  const P = C10.mmul(pinvSym(C00));
  // Σ̂_e = C11 − P C01 (the residual covariance of the least-squares fit).
  const SigmaE = C11.clone().sub(P.mmul(C10.transpose()));
  const eig = symEig(SigmaE);
  const spectrum = eig.values.map((v) => Math.max(v, 0));
  const floorByK = spectrum.map((_, i) => lossFloor(spectrum, i + 1));
  const out: Diagnosis = {
    transitions: n,
    dim: d,
    spectrum,
    totalInnovation: spectrum.reduce((s, v) => s + v, 0),
    floorByK,
  };
  if (!mo.labelled) return out;
  const { cov: Lab, m, dA } = mo.labelled;

  // y = Uᵀ ê = Q [o_t; o_{t+1}] with Q = [−UᵀP, Uᵀ]: every covariance with y is Q times one of [o_t; o_{t+1}; a].
  const Ut = eig.vectors.transpose();
  const Q = new Matrix(d, 2 * d);
  Q.setSubMatrix(Ut.mmul(P).neg(), 0, 0);
  Q.setSubMatrix(Ut, 0, d);
  const Lzz = Lab.subMatrix(0, 2 * d - 1, 0, 2 * d - 1);
  const Lza = Lab.subMatrix(0, 2 * d - 1, 2 * d, 2 * d + dA - 1);
  const Cyy = Q.mmul(Lzz).mmul(Q.transpose());
  const Cya = Q.mmul(Lza);
  const Cyo = Q.mmul(Lab.subMatrix(0, 2 * d - 1, 0, d - 1));
  const Coo = Lab.subMatrix(0, d - 1, 0, d - 1);
  const Coa = Lab.subMatrix(0, d - 1, 2 * d, 2 * d + dA - 1);
  const Caa = Lab.subMatrix(2 * d, 2 * d + dA - 1, 2 * d, 2 * d + dA - 1);
  const trA = Caa.trace();

  // f_i: R² of y_i on ã = a − Ê[a|o_t], the unpredictable part of the action (only it can enter
  // the innovation, §3; with a policy gain the predictable part would dilute f_i).
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
 * Gaussian random projection of D-dim rows to m dims (entries N(0, 1/m), seeded): keeps
 * distances in expectation (Johnson–Lindenstrauss) so the spectrum's shape survives, not its
 * exact values. For frames too wide for an O(D³) eigendecomposition; applied row by row as
 * the data streams in.
 */
export class RandomProjection {
  private readonly R: Float64Array;

  constructor(
    readonly inDim: number,
    readonly outDim: number,
    seed: number,
  ) {
    const rng = new Rng(seed);
    this.R = new Float64Array(inDim * outDim);
    const s = 1 / Math.sqrt(outDim);
    for (let i = 0; i < this.R.length; i++) this.R[i] = rng.normal() * s;
  }

  /** out[0..m) = Rᵀ src[off..off+D). */
  apply(src: ArrayLike<number>, off: number, out: Float64Array): void {
    const { R, inDim: D, outDim: m } = this;
    out.fill(0, 0, m);
    for (let j = 0; j < D; j++) {
      const v = src[off + j];
      if (v === 0) continue;
      const o = j * m;
      for (let c = 0; c < m; c++) out[c] += v * R[o + c];
    }
  }
}
