/**
 * Exact (population) versions of the §4 metrics for a linear latent z = W1 o_t + W2 o_{t+1}
 * on linear-exo: no samples, no probe-fitting noise. Used for the closed-form rows and as the
 * reference the sampled probes (probes.ts) are tested against.
 */
import type { Matrix } from 'ml-matrix';
import type { LinearExo } from '../data/linear-exo.js';
import { analyticInnovation, type LinearLatent, projectOn, rowProjector } from './closed-form.js';
import { LinearSources } from './linear-sources.js';
import { minus, pinvSym, rankSym } from './linalg.js';
import { subspaceMetrics, type SubspaceMetrics } from './subspace.js';

/** R² (total-variance weighted) of each ground-truth target; NMSE = 1 − R². */
export interface TargetR2 {
  /** a_t. */
  action: number;
  /** ξ_t, the future exogenous innovation. */
  xi: number;
  /** x_t, the current exogenous state. */
  x: number;
  /** s_t. */
  s: number;
  /** ε_t, the part of a_t not predictable from s_t (= a_t when the policy gain is 0). */
  eps: number;
}

export interface LatentMetrics extends SubspaceMetrics {
  /** Probes on the residualised latent z̃ = z − L̂ o_t. */
  r2: TargetR2;
  /** Probes on the raw latent z. */
  r2_raw: TargetR2;
  /** Counterfactual exogenous sensitivity on whitened z̃ (0 consistent, 1 purely exogenous). */
  s_exo: number;
}

/** R²(T | Z) = tr(Σ_TZ Σ_Z⁺ Σ_ZT) / tr Σ_T for source maps T, Z. */
export function populationR2(T: Matrix, Z: Matrix): number {
  const explained = T.mmul(rowProjector(Z)).mmul(T.transpose()).trace();
  const total = T.mmul(T.transpose()).trace();
  return total > 0 ? Math.min(Math.max(explained / total, 0), 1) : 0;
}

function r2All(src: LinearSources, Z: Matrix): TargetR2 {
  return {
    action: populationR2(src.A, Z),
    xi: populationR2(src.Xi, Z),
    x: populationR2(src.X, Z),
    s: populationR2(src.S, Z),
    eps: populationR2(src.Eps, Z),
  };
}

/** S_exo = 1 − tr(Σ_z̃⁺ Cov(z̃, z̃'))/rank(Σ_z̃), the population form of E‖z̃_w − z̃'_w‖²/(2 tr Cov z̃_w). */
export function populationSExo(src: LinearSources, Zt: Matrix): number {
  const S = src.cov(Zt);
  const r = rankSym(S);
  if (r === 0) return Number.NaN;
  const shared = Zt.mmul(src.swapExo(Zt).transpose());
  return 1 - pinvSym(S).mmul(shared).trace() / r;
}

/** All §4 metrics of a linear latent, exactly. */
export function populationMetrics(gen: LinearExo, lat: LinearLatent, src = new LinearSources(gen)): LatentMetrics {
  const Z = lat.W1.mmul(src.Ot).add(lat.W2.mmul(src.Ot1));
  const Zt = minus(Z, projectOn(Z, src.Ot));
  const { SigmaE } = analyticInnovation(gen, src);
  return {
    r2: r2All(src, Zt),
    r2_raw: r2All(src, Z),
    s_exo: populationSExo(src, Zt),
    ...subspaceMetrics(gen, lat.W2, SigmaE),
  };
}
