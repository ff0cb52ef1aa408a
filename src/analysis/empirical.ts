/**
 * The §3 quantities estimated from samples alone (any data, no generator needed):
 *   P̂ = Ĉov(o_{t+1}, o_t) Ĉov(o_t)⁺,  ê_t = o_{t+1} − P̂ o_t,  Σ̂_e = Ĉov(ê),
 * its spectrum and the reconstruction floor Σ_{i>k} λ̂_i. Data are row-major [n, d] (centred
 * here). Used by `lamkit diagnose`-style checks and by the tests against the analytic Σ_e.
 */
import { Matrix } from 'ml-matrix';
import { lossFloor } from './closed-form.js';
import { pinvSym, symEig } from './linalg.js';

export interface EmpiricalInnovation {
  P: Matrix;
  SigmaE: Matrix;
  spectrum: number[];
  n: number;
}

function centredGram(A: ArrayLike<number>, B: ArrayLike<number>, n: number, d: number, muA: Float64Array, muB: Float64Array): Matrix {
  const acc = new Float64Array(d * d);
  const a = new Float64Array(d);
  const b = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      a[j] = A[i * d + j] - muA[j];
      b[j] = B[i * d + j] - muB[j];
    }
    for (let j = 0; j < d; j++) {
      const aj = a[j];
      for (let l = 0; l < d; l++) acc[j * d + l] += aj * b[l];
    }
  }
  const M = new Matrix(d, d);
  for (let j = 0; j < d; j++) for (let l = 0; l < d; l++) M.set(j, l, acc[j * d + l] / n);
  return M;
}

function mean(A: ArrayLike<number>, n: number, d: number): Float64Array {
  const mu = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mu[j] += A[i * d + j];
  for (let j = 0; j < d; j++) mu[j] /= n;
  return mu;
}

/** Estimates P, Σ_e and the spectrum from n transitions (o_t, o_{t+1}), each [n, d]. */
export function empiricalInnovation(oT: ArrayLike<number>, oT1: ArrayLike<number>, n: number, d: number): EmpiricalInnovation {
  if (!Number.isInteger(n) || n < 2 || !Number.isInteger(d) || d < 1)
    throw new RangeError(`empiricalInnovation: need n ≥ 2 and d ≥ 1 integers, got n=${n}, d=${d}`);
  if (oT.length !== n * d || oT1.length !== n * d)
    throw new RangeError(`empiricalInnovation: o_t and o_{t+1} must be [${n}, ${d}] = ${n * d} values, got ${oT.length} and ${oT1.length}`);
  const m0 = mean(oT, n, d);
  const m1 = mean(oT1, n, d);
  const C00 = centredGram(oT, oT, n, d, m0, m0);
  const C10 = centredGram(oT1, oT, n, d, m1, m0);
  const C11 = centredGram(oT1, oT1, n, d, m1, m1);
  const P = C10.mmul(pinvSym(C00));
  // Σ̂_e = C11 − P C01 (the residual covariance of the least-squares fit).
  const SigmaE = C11.clone().sub(P.mmul(C10.transpose()));
  return { P, SigmaE, spectrum: symEig(SigmaE).values, n };
}

/** Σ_{i>k} λ̂_i: the reconstruction floor estimated from data. */
export function empiricalFloor(inn: EmpiricalInnovation, k: number): number {
  return lossFloor(inn.spectrum, k);
}
