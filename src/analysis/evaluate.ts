/**
 * One call that scores a linear latent z = W1 o_t + W2 o_{t+1} on linear-exo with every §4
 * metric: sampled held-out probes (the numbers tables show; the same code scores any model)
 * beside the exact population values.
 */
import { Matrix } from 'ml-matrix';
import type { LinearExo } from '../data/linear-exo.js';
import { Rng } from '../data/rng.js';
import type { LinearLatent } from './closed-form.js';
import { LinearSources } from './linear-sources.js';
import { pinvSym } from './linalg.js';
import { populationMetrics, type TargetR2 } from './population.js';
import { probeLatent, sExo, type Table } from './probes.js';

export interface Evaluation {
  /** Held-out probes on the residualised latent. */
  r2: TargetR2;
  nmse: TargetR2;
  /** Held-out probes on the raw latent. */
  r2_raw: TargetR2;
  /** Sampled S_exo on whitened residualised latents. */
  s_exo: number;
  /** Exact (population) values of the same metrics. */
  r2_exact: TargetR2;
  r2_raw_exact: TargetR2;
  s_exo_exact: number;
  angles_deg: number[];
  leakage: number;
  /** Samples used (half fit, half held out). */
  n: number;
}

/** z = o_t W1ᵀ + o_{t+1} W2ᵀ for a batch (row-major [n, d_o] in, [n, k] out, float64). */
export function linearLatent(lat: LinearLatent, oT: ArrayLike<number>, oT1: ArrayLike<number>, n: number): Float64Array {
  const k = lat.W1.rows;
  const d = lat.W1.columns;
  const w1 = lat.W1.to1DArray();
  const w2 = lat.W2.to1DArray();
  const z = new Float64Array(n * k);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < k; i++) {
      let acc = 0;
      for (let j = 0; j < d; j++) acc += w1[i * d + j] * oT[b * d + j] + w2[i * d + j] * oT1[b * d + j];
      z[b * k + i] = acc;
    }
  return z;
}

/**
 * The probe sample size SCIENCE.md §4 asks for: n ≥ 50·k·d_o (at least 4096), capped at 65536
 * so very wide latents (k ≳ 20 at d_o = 64) stay interactive; pass `n` to go beyond.
 */
export function probeSampleSize(k: number, dObs: number): number {
  return Math.min(65536, Math.max(4096, 50 * k * dObs));
}

/**
 * Scores a linear latent. `n` defaults to probeSampleSize; the data come from a fresh stream
 * seeded by `seed` so the scores do not depend on what the generator drew before.
 */
export function evaluateLinearLatent(
  gen: LinearExo,
  lat: LinearLatent,
  opts: { n?: number; seed?: number; src?: LinearSources } = {},
): Evaluation {
  const k = lat.W1.rows;
  const n = opts.n ?? probeSampleSize(k, gen.dObs);
  const rng = new Rng(opts.seed ?? gen.config.seed + 7919);
  const batch = gen.sample(n, rng);
  const cf = gen.counterfactual(batch, rng);
  const z = linearLatent(lat, batch.oT, batch.oT1, n);
  const zCf = linearLatent(lat, cf.oT, cf.oT1, n);
  const t = (data: ArrayLike<number>, dim: number): Table => ({ data, dim });
  const probes = probeLatent(t(z, k), t(batch.oT, gen.dObs), {
    action: t(batch.a, gen.dAction),
    xi: t(batch.xi, gen.dExo),
    x: t(batch.x, gen.dExo),
    s: t(batch.s, gen.dState),
    eps: t(batch.eps, gen.dAction),
  });
  const s = sExo(t(z, k), t(batch.oT, gen.dObs), t(zCf, k), t(cf.oT, gen.dObs));
  const exact = populationMetrics(gen, lat, opts.src ?? new LinearSources(gen));
  const pick = (r: Record<string, number>): TargetR2 => ({ action: r.action, xi: r.xi, x: r.x, s: r.s, eps: r.eps });
  return {
    r2: pick(probes.r2),
    nmse: pick(probes.nmse),
    r2_raw: pick(probes.r2_raw),
    s_exo: s,
    r2_exact: exact.r2,
    r2_raw_exact: exact.r2_raw,
    s_exo_exact: exact.s_exo,
    angles_deg: exact.angles_deg,
    leakage: exact.leakage,
    n,
  };
}

/**
 * The same latent with x_t injected through W1 (z += M G_x⁺ o_t): the non-identifiability guard.
 * Every objective is blind to this change, raw probes see x_t, residualised ones must not.
 */
export function injectCurrentState(gen: LinearExo, lat: LinearLatent, scale = 1): LinearLatent {
  const { Gx } = gen.truth;
  const k = lat.W1.rows;
  const readX = new Matrix(k, gen.dExo);
  for (let i = 0; i < Math.min(k, gen.dExo); i++) readX.set(i, i, scale);
  const GxPinv = pinvSym(Gx.transpose().mmul(Gx)).mmul(Gx.transpose());
  return { W1: lat.W1.clone().add(readX.mmul(GxPinv)), W2: lat.W2.clone() };
}
