/**
 * Closed-form optimum of linear LAMs (SCIENCE.md §3), float64, for any linear-exo configuration.
 *
 * Every objective of §2 is a reduced-rank regression: the FDM input F is free (C absorbs any
 * function of it), so with X̃ = X − Π_F X and Ỹ = Y − Π_F Y (Π_F: least-squares projection on
 * F) the objective is min E‖T − D W X̃‖² with T = [Ỹ ; √λ_eff ã]. The optimum takes the top-k
 * eigenvectors U_k of M = Σ_TX Σ_XX⁺ Σ_XT, W = U_kᵀ Σ_TX Σ_XX⁺, and
 *   floor = tr Σ_T − Σ_{i≤k} λ_i(M).
 * Special cases (checked in test/science): recon → PCA of Σ_e, floor Σ_{i>k} λ_i(Σ_e);
 * sup → top-k of N = Σ_e + λ Σ_e^{-1/2}Σ_eaΣ_aeΣ_e^{-1/2}; cross → the shared (CCA) directions.
 */
import { Matrix } from 'ml-matrix';
import type { LinearExo } from '../data/linear-exo.js';
import { LinearSources } from './linear-sources.js';
import { leadingColumns, minus, pinvSqrtSym, pinvSym, plus, scaled, singularValues, symEig, vcat } from './linalg.js';
import { lambdaEff, type Objective } from './objective.js';

/** Best linear predictor and innovation of o_{t+1} from o_t. */
export interface Innovation {
  /** P = Cov(o_{t+1}, o_t) Cov(o_t)⁺, d_o × d_o. */
  P: Matrix;
  /** Σ_e = Cov(o_{t+1} − P o_t), d_o × d_o. */
  SigmaE: Matrix;
  /** Eigenvalues of Σ_e, descending. */
  spectrum: number[];
}

const rowProjectors = new WeakMap<Matrix, Matrix>();

/**
 * Π_F = F⁺F, the orthogonal projector on the row space of a source map F (n_w × n_w). Computed
 * in source space, which is smaller than observation space (and cached per map).
 */
export function rowProjector(F: Matrix): Matrix {
  let P = rowProjectors.get(F);
  if (!P) {
    const G = F.transpose().mmul(F);
    P = pinvSym(G).mmul(G);
    rowProjectors.set(F, P);
  }
  return P;
}

/** Least-squares projection of map M on map F in source space: Cov(M,F)Cov(F)⁺ F = M Π_F. */
export function projectOn(M: Matrix, F: Matrix): Matrix {
  return M.mmul(rowProjector(F));
}

const innovations = new WeakMap<LinearSources, Innovation>();

/** The analytic innovation of a generator (exact, includes mixing, policy gain, noise). */
export function analyticInnovation(gen: LinearExo, src = new LinearSources(gen)): Innovation {
  const hit = innovations.get(src);
  if (hit) return hit;
  const { Ot, Ot1 } = src;
  // P = Cov(o₁,o₀)Cov(o₀)⁺ = Ot1 (OtᵀOt)⁺ Otᵀ (pseudo-inverse in source space).
  const P = Ot1.mmul(pinvSym(Ot.transpose().mmul(Ot))).mmul(Ot.transpose());
  const E = minus(Ot1, P.mmul(Ot));
  const SigmaE = src.cov(E);
  const out = { P, SigmaE, spectrum: symEig(SigmaE).values };
  innovations.set(src, out);
  return out;
}

/**
 * The textbook form for the noise-free generator:
 * Σ_e = G_s(BΣ_aBᵀ + σ_η²I)G_sᵀ + G_x Σ_ξ G_xᵀ. (With sensor noise use analyticInnovation.)
 */
export function innovationFormula(gen: LinearExo): Matrix {
  const { Gs, Gx, B, sigmaA, sigmaXi, processNoise } = gen.truth;
  const Sa = Matrix.diag(Array.from(sigmaA, (v) => v * v));
  const Sxi = Matrix.diag(Array.from(sigmaXi, (v) => v * v));
  const inner = B.mmul(Sa).mmul(B.transpose()).add(Matrix.eye(gen.dState, gen.dState).mul(processNoise * processNoise));
  return Gs.mmul(inner).mmul(Gs.transpose()).add(Gx.mmul(Sxi).mmul(Gx.transpose()));
}

/** Σ_{i>k} λ_i: the minimum of L_rec with a k-dim latent. */
export function lossFloor(spectrum: number[], k: number): number {
  return spectrum.slice(k).reduce((s, v) => s + Math.max(v, 0), 0);
}

/** E_γ = G_sG_s⁺ + γ G_xG_x⁺ (d_o × d_o): the representation space of §2. */
export function representationMap(gen: LinearExo, gamma: number): Matrix {
  const { Gs, Gx } = gen.truth;
  const proj = (G: Matrix) => G.mmul(pinvSym(G.transpose().mmul(G))).mmul(G.transpose());
  return proj(Gs).add(proj(Gx).mul(gamma));
}

/** A linear LAM in raw-observation coordinates: z = W1 o_t + W2 o_{t+1}. */
export interface LinearLatent {
  /** k × d_o. */
  W1: Matrix;
  /** k × d_o. */
  W2: Matrix;
}

/** Result of the closed form for one objective. */
export interface ClosedForm extends LinearLatent {
  objective: Objective;
  k: number;
  /** Minimum of the objective (its own units: L_rec plus λ_eff·supervision for sup). */
  floor: number;
  /** Eigenvalues of the objective's matrix M, descending (= spectrum of Σ_e for recon). */
  spectrum: number[];
  /** Σ_{i>k} λ_i(Σ_e): the plain reconstruction floor of this generator, for reference. */
  reconFloor: number;
  /** λ_eff for sup (λ or pλ), else 0. */
  lambdaEff: number;
  /** For cross: canonical correlations between the two copies' innovations, descending. */
  canonicalCorrelations?: number[];
  /** For repr: E_γ. */
  E?: Matrix;
}

/** The training-time maps of an objective: IDM inputs X1, X2, FDM input F, target Y, optional supervised A. */
export interface LamProblem {
  X1: Matrix;
  X2: Matrix;
  F: Matrix;
  Y: Matrix;
  A?: Matrix;
  lambdaEff?: number;
}

/**
 * Solves the reduced-rank regression of a LamProblem (see file header). W is k × (2·d_in).
 * The supervised target is residualised on F as well (ã = a − Π_F a): the part of a predictable
 * from o_t costs the latent nothing, since W1 can add it in the same dimensions H reads. This is
 * exact when F is among the IDM inputs and k ≥ d_a (or the policy gain is 0).
 */
export function solveLamProblem(prob: LamProblem, k: number): { W1: Matrix; W2: Matrix; floor: number; spectrum: number[] } {
  const X = vcat(prob.X1, prob.X2);
  const Xt = minus(X, projectOn(X, prob.F));
  const Yt = minus(prob.Y, projectOn(prob.Y, prob.F));
  const lam = prob.lambdaEff ?? 0;
  const T = prob.A && lam > 0 ? vcat(Yt, scaled(minus(prob.A, projectOn(prob.A, prob.F)), Math.sqrt(lam))) : Yt;
  // Σ_TX Σ_XX⁺ = T X̃ᵀ(X̃X̃ᵀ)⁺ = T (X̃ᵀX̃)⁺ X̃ᵀ: the pseudo-inverse is taken in source space.
  const G = T.mmul(pinvSym(Xt.transpose().mmul(Xt))).mmul(Xt.transpose()); // T-dim × 2d
  const M = G.mmul(Xt).mmul(T.transpose());
  const { values, vectors } = symEig(M);
  const Uk = leadingColumns(vectors, k);
  const W = Uk.transpose().mmul(G);
  const dIn = prob.X1.rows;
  const W1 = W.subMatrix(0, k - 1, 0, dIn - 1);
  const W2 = W.subMatrix(0, k - 1, dIn, 2 * dIn - 1);
  const total = T.mmul(T.transpose()).trace();
  const top = values.slice(0, k).reduce((s, v) => s + Math.max(v, 0), 0);
  return { W1, W2, floor: Math.max(total - top, 0), spectrum: values };
}

/**
 * Canonical form of a latent: z* = z − Cov(z, o_t)Cov(o_t)⁺ o_t, i.e. W1 chosen so that z is
 * uncorrelated with o_t (W1 is not identified by any objective; this is the §3 choice z* = U_kᵀe).
 */
export function canonicalLatent(src: LinearSources, lat: LinearLatent): LinearLatent {
  const Z = lat.W1.mmul(src.Ot).add(lat.W2.mmul(src.Ot1));
  const { Ot } = src;
  // Cov(z,o)Cov(o)⁺ = Z Otᵀ(Ot Otᵀ)⁺ = Z (OtᵀOt)⁺ Otᵀ (source-space pseudo-inverse).
  const L = Z.mmul(pinvSym(Ot.transpose().mmul(Ot))).mmul(Ot.transpose());
  return { W1: minus(lat.W1, L), W2: lat.W2.clone() };
}

/** The training maps of `obj` over this generator's sources. */
export function lamProblem(gen: LinearExo, src: LinearSources, obj: Objective): LamProblem & { E?: Matrix } {
  switch (obj.kind) {
    case 'recon':
      return { X1: src.Ot, X2: src.Ot1, F: src.Ot, Y: src.Ot1 };
    case 'repr': {
      const E = representationMap(gen, obj.gamma);
      const Ot = E.mmul(src.Ot);
      const Ot1 = E.mmul(src.Ot1);
      return { X1: Ot, X2: Ot1, F: Ot, Y: Ot1, E };
    }
    case 'sup':
      return { X1: src.Ot, X2: src.Ot1, F: src.Ot, Y: src.Ot1, A: src.A, lambdaEff: lambdaEff(obj) };
    case 'cross':
      return { X1: src.Ot, X2: src.Ot1, F: src.OtB, Y: src.Ot1B };
    case 'aug': {
      const N = scaled(src.Naug, obj.kappa);
      const Ot = plus(src.Ot, N);
      const Ot1 = plus(src.Ot1, N);
      return { X1: Ot, X2: Ot1, F: Ot, Y: Ot1 };
    }
  }
}

/**
 * The closed-form optimum of `obj` with a k-dim latent, as a canonical linear latent in raw
 * observation coordinates (for repr, E_γ is folded into W1, W2).
 */
export function closedForm(gen: LinearExo, obj: Objective, k: number, src0?: LinearSources): ClosedForm {
  // κ-augmentation needs the noise sources; everything else uses the caller's (smaller) model.
  const src = obj.kind === 'aug' ? (src0?.hasAug ? src0 : new LinearSources(gen, { aug: true })) : (src0 ?? new LinearSources(gen));
  const prob = lamProblem(gen, src, obj);
  const sol = solveLamProblem(prob, k);
  let lat: LinearLatent = { W1: sol.W1, W2: sol.W2 };
  if (prob.E) lat = { W1: sol.W1.mmul(prob.E), W2: sol.W2.mmul(prob.E) };
  lat = canonicalLatent(src, lat);
  const inn = analyticInnovation(gen, src);
  const out: ClosedForm = {
    ...lat,
    objective: obj,
    k,
    floor: sol.floor,
    spectrum: sol.spectrum,
    reconFloor: lossFloor(inn.spectrum, k),
    lambdaEff: lambdaEff(obj),
  };
  if (prob.E) out.E = prob.E;
  if (obj.kind === 'cross') out.canonicalCorrelations = crossCanonicalCorrelations(src, inn.P);
  return out;
}

/** Canonical correlations between the innovations of the two copies of a counterfactual pair. */
export function crossCanonicalCorrelations(src: LinearSources, P: Matrix): number[] {
  const e1 = minus(src.Ot1, P.mmul(src.Ot));
  const e2 = minus(src.Ot1B, P.mmul(src.OtB));
  const W1 = pinvSqrtSym(src.cov(e1));
  const W2 = pinvSqrtSym(src.cov(e2));
  return singularValues(W1.mmul(src.cov(e1, e2)).mmul(W2));
}

/**
 * Population value of an objective for a given linear latent (optimal C, D, H):
 * tr Σ_T − tr(Σ_Tz̃ Σ_z̃⁺ Σ_z̃T), with z̃ the latent residualised on the FDM input.
 * For a closed-form latent this equals `floor`.
 */
export function objectiveValue(gen: LinearExo, src0: LinearSources, obj: Objective, lat: LinearLatent): number {
  const src = obj.kind === 'aug' && !src0.hasAug ? new LinearSources(gen, { aug: true }) : src0;
  const prob = lamProblem(gen, src, obj);
  // The latent acts on the training inputs (noisy for aug; E already folded in for repr).
  const Xin1 = obj.kind === 'repr' ? src.Ot : prob.X1;
  const Xin2 = obj.kind === 'repr' ? src.Ot1 : prob.X2;
  const Z = lat.W1.mmul(Xin1).add(lat.W2.mmul(Xin2));
  const Zt = minus(Z, projectOn(Z, prob.F));
  const Yt = minus(prob.Y, projectOn(prob.Y, prob.F));
  const lam = prob.lambdaEff ?? 0;
  const T = prob.A && lam > 0 ? vcat(Yt, scaled(minus(prob.A, projectOn(prob.A, prob.F)), Math.sqrt(lam))) : Yt;
  const explained = T.mmul(rowProjector(Zt)).mmul(T.transpose()).trace();
  return T.mmul(T.transpose()).trace() - explained;
}
