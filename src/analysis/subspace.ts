/**
 * Subspace metrics (SCIENCE.md §4.4) of a linear IDM against linear-exo's ground truth.
 *
 * Only W2's action on the innovation is identified (W1 and the part of W2 outside range(Σ_e)
 * are absorbed by the FDM), so the learned subspace is the row space of W̄ = W2 Π_e, Π_e the
 * orthogonal projector on range(Σ_e). Angles are principal angles between that subspace and
 * span(G_s B); leakage = ‖Q_Wᵀ Q_x‖²_F / k with Q_x an orthonormal basis of span(G_x).
 */
import type { Matrix } from 'ml-matrix';
import type { LinearExo } from '../data/linear-exo.js';
import { orthBasis, pinvSym, singularValues } from './linalg.js';

export interface SubspaceMetrics {
  /** Principal angles (degrees, ascending) between the latent's subspace and span(G_s B). */
  angles_deg: number[];
  /** Fraction of the latent subspace inside span(G_x) (0 none, 1 all). */
  leakage: number;
}

/** Principal angles (degrees, ascending) between the column spaces of A and B. */
export function principalAngles(A: Matrix, B: Matrix): number[] {
  const Qa = orthBasis(A);
  const Qb = orthBasis(B);
  if (Qa.columns === 0 || Qb.columns === 0) return [];
  const cos = singularValues(Qa.transpose().mmul(Qb)).slice(0, Math.min(Qa.columns, Qb.columns));
  return cos.map((c) => (Math.acos(Math.min(Math.max(c, -1), 1)) * 180) / Math.PI).sort((a, b) => a - b);
}

/**
 * @param W2 k × d_o, the IDM weight on o_{t+1} (raw observation coordinates).
 * @param SigmaE d_o × d_o innovation covariance (its range is where W2 is identified).
 */
export function subspaceMetrics(gen: LinearExo, W2: Matrix, SigmaE: Matrix): SubspaceMetrics {
  const { Gs, Gx, B } = gen.truth;
  const k = W2.rows;
  const Pe = SigmaE.mmul(pinvSym(SigmaE)); // projector on range(Σ_e)
  const Wbar = W2.mmul(Pe);
  const Qw = orthBasis(Wbar.transpose());
  const Qx = orthBasis(Gx);
  const angles = principalAngles(Wbar.transpose(), Gs.mmul(B));
  const leak = Qw.columns === 0 ? 0 : Qw.transpose().mmul(Qx).norm('frobenius') ** 2 / k;
  return { angles_deg: angles, leakage: leak };
}
