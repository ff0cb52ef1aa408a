/**
 * `linear-exo`: the linear data generator of SCIENCE.md §1 (endogenous state s, action a,
 * exogenous state x with its own innovation ξ, observations o = G_s s + G_x x).
 *
 * Per transition (all independent draws, so every batch is i.i.d.):
 *   s_t ~ N(0, I_ds)                  x_t ~ N(0, Σ_x)  (Σ_x stationary: Σ_x = A_x Σ_x A_xᵀ + Σ_ξ)
 *   ε_t ~ N(0, Σ_a)                   a_t = K s_t + ε_t
 *   ξ_t ~ N(0, Σ_ξ)                   η_t ~ N(0, σ_η² I)  (process noise, optional)
 *   s_{t+1} = A_s s_t + B a_t + η_t   x_{t+1} = A_x x_t + ξ_t
 *   o_t = G_s s_t + G_x x_t + n_t     (n_t ~ N(0, σ_n² I) sensor noise, optional)
 *
 * Parameters (G, A_s, A_x, B) come from `seed`; batches from a separate stream of the same seed,
 * so two generators with one seed produce the same data. Observations are Float32Array
 * row-major [B, d_o]; ground truth is Float32Array row-major [B, dim]. The true matrices are
 * exposed (float64, ml-matrix) for the closed form in src/analysis.
 */
import { Matrix, QrDecomposition, CholeskyDecomposition } from 'ml-matrix';
import { Rng, type RngState } from './rng.js';

/** Generator configuration. Field names map to `lamkit analyze` flags (see FLAG_OF). */
export interface LinearExoConfig {
  /** d_o, observation dim; must be ≥ dState + dExo. */
  dObs: number;
  /** d_s, endogenous state dim. */
  dState: number;
  /** d_a, action dim (≤ dState: B has orthonormal columns). */
  dAction: number;
  /** d_x = d_ξ, exogenous state dim. */
  dExo: number;
  /** ρ_s: A_s = ρ_s R_s, |ρ_s| < 1. */
  rhoS: number;
  /** ρ_x: A_x = ρ_x R_x, |ρ_x| < 1. */
  rhoX: number;
  /** σ_a, action-noise std: a number (isotropic) or one value per action dim. */
  sigmaA: number | number[];
  /** σ_ξ, exogenous-innovation std: a number or one value per exogenous dim. */
  sigmaXi: number | number[];
  /** μ ∈ [0, 1): cosine between each G_x column and span(G_s) (0 = orthogonal G). */
  mixing: number;
  /** Policy gain: a scalar g (K = g Bᵀ, d_a × d_s) or an explicit d_a × d_s matrix. */
  policyGain: number | number[][];
  /** σ_η ≥ 0, process-noise std on s_{t+1}. */
  processNoise: number;
  /** σ_n ≥ 0, sensor-noise std on every observation. */
  sensorNoise: number;
  /** Seed for the parameters and the data stream. */
  seed: number;
}

/** SCIENCE.md §1 / PRESETS.md `linear-exo` defaults. */
export const LINEAR_EXO_DEFAULTS: Readonly<LinearExoConfig> = Object.freeze({
  dObs: 64,
  dState: 8,
  dAction: 4,
  dExo: 8,
  rhoS: 0.9,
  rhoX: 0.95,
  sigmaA: 1,
  sigmaXi: 1,
  mixing: 0,
  policyGain: 0,
  processNoise: 0,
  sensorNoise: 0,
  seed: 0,
});

/** The CLI flag of each config field, so validation errors name what the user typed. */
export const FLAG_OF: Record<keyof LinearExoConfig, string> = {
  dObs: '--d-obs',
  dState: '--d-state',
  dAction: '--d-action',
  dExo: '--d-exo',
  rhoS: '--rho-s',
  rhoX: '--rho-x',
  sigmaA: '--sigma-a',
  sigmaXi: '--sigma-xi',
  mixing: '--mixing',
  policyGain: '--policy-gain',
  processNoise: '--process-noise',
  sensorNoise: '--sensor-noise',
  seed: '--seed',
};

function field(name: keyof LinearExoConfig): string {
  return `linear-exo: ${name} (${FLAG_OF[name]})`;
}

function checkInt(name: keyof LinearExoConfig, v: unknown, min: number, max = Infinity, maxText = '∞'): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new RangeError(`${field(name)} must be an integer in [${min}, ${maxText}], got ${String(v)}`);
  return v;
}

function checkRho(name: 'rhoS' | 'rhoX', v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) >= 1)
    throw new RangeError(`${field(name)} must satisfy |ρ| < 1 (range (-1, 1)), got ${String(v)}`);
  return v;
}

function checkStd(name: keyof LinearExoConfig, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw new RangeError(`${field(name)} must be a standard deviation in [0, ∞), got ${String(v)}`);
  return v;
}

/** Expands σ (number or list) to one positive std per dimension, or throws naming the field. */
function sigmaVector(name: 'sigmaA' | 'sigmaXi', v: unknown, dim: number, dimName: string): Float64Array {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || v <= 0)
      throw new RangeError(`${field(name)} must be a standard deviation in (0, ∞), got ${v}`);
    return new Float64Array(dim).fill(v);
  }
  if (!Array.isArray(v))
    throw new TypeError(`${field(name)} must be a number or a list of ${dim} numbers (${dimName}), got ${typeof v}`);
  if (v.length !== dim)
    throw new RangeError(`${field(name)} list must have ${dim} entries (one per ${dimName} dim), got ${v.length}: [${v.join(', ')}]`);
  const out = new Float64Array(dim);
  v.forEach((x, i) => {
    if (typeof x !== 'number' || !Number.isFinite(x) || x <= 0)
      throw new RangeError(`${field(name)}[${i}] must be a standard deviation in (0, ∞), got ${String(x)}`);
    out[i] = x;
  });
  return out;
}

/**
 * Parses a σ flag value: one number ("2") or a comma-separated list ("1,1,2,2").
 * Throws a RangeError naming the flag, the text seen and the expected form.
 */
export function parseSigma(flag: string, text: string): number | number[] {
  const parts = text.split(',').map((p) => p.trim());
  const nums = parts.map(Number);
  if (parts.some((p) => p === '') || nums.some((x) => !Number.isFinite(x) || x <= 0))
    throw new RangeError(`${flag}: expected a positive number or a comma-separated list of positive numbers, got '${text}'`);
  return nums.length === 1 ? nums[0] : nums;
}

/**
 * Checks a latent size against the observation dim: 1 ≤ k ≤ d_o.
 * @param flag the name to report (e.g. `--k`).
 */
export function validateLatentDim(k: unknown, dObs: number, flag = '--k'): number {
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > dObs)
    throw new RangeError(`${flag} (latent dim k) must be an integer in [1, d_o = ${dObs}], got ${String(k)}`);
  return k;
}

/** Fills defaults and validates every field; throws a RangeError/TypeError naming field, flag, value and range. */
export function resolveLinearExoConfig(partial: Partial<LinearExoConfig> = {}): LinearExoConfig {
  const c: LinearExoConfig = { ...LINEAR_EXO_DEFAULTS, ...partial };
  for (const key of Object.keys(partial) as (keyof LinearExoConfig)[]) {
    if (!(key in LINEAR_EXO_DEFAULTS)) throw new TypeError(`linear-exo: unknown config field '${String(key)}'`);
  }
  checkInt('dState', c.dState, 1);
  checkInt('dAction', c.dAction, 1, c.dState, `d_s = ${c.dState}`);
  checkInt('dExo', c.dExo, 1);
  if (typeof c.dObs !== 'number' || !Number.isInteger(c.dObs) || c.dObs < c.dState + c.dExo)
    throw new RangeError(
      `${field('dObs')} must be an integer ≥ d_s + d_x = ${c.dState} + ${c.dExo} = ${c.dState + c.dExo}, got ${String(c.dObs)}`,
    );
  checkRho('rhoS', c.rhoS);
  checkRho('rhoX', c.rhoX);
  sigmaVector('sigmaA', c.sigmaA, c.dAction, 'action');
  sigmaVector('sigmaXi', c.sigmaXi, c.dExo, 'exogenous');
  if (typeof c.mixing !== 'number' || !Number.isFinite(c.mixing) || c.mixing < 0 || c.mixing >= 1)
    throw new RangeError(`${field('mixing')} must be in [0, 1), got ${String(c.mixing)}`);
  if (typeof c.policyGain === 'number') {
    if (!Number.isFinite(c.policyGain)) throw new RangeError(`${field('policyGain')} must be finite, got ${c.policyGain}`);
  } else if (
    !Array.isArray(c.policyGain) ||
    c.policyGain.length !== c.dAction ||
    c.policyGain.some((row) => !Array.isArray(row) || row.length !== c.dState || row.some((x) => !Number.isFinite(x)))
  ) {
    throw new RangeError(`${field('policyGain')} must be a number or a finite ${c.dAction} × ${c.dState} matrix (d_a × d_s)`);
  }
  checkStd('processNoise', c.processNoise);
  checkStd('sensorNoise', c.sensorNoise);
  if (typeof c.seed !== 'number' || !Number.isFinite(c.seed)) throw new RangeError(`${field('seed')} must be a finite number, got ${String(c.seed)}`);
  return c;
}

/** The true parameters of a generator, float64 (for the closed form and subspace metrics). */
export interface LinearExoTruth {
  /** d_o × d_s. */
  Gs: Matrix;
  /** d_o × d_x. */
  Gx: Matrix;
  /** d_s × d_s. */
  As: Matrix;
  /** d_x × d_x. */
  Ax: Matrix;
  /** d_s × d_a, orthonormal columns. */
  B: Matrix;
  /** d_a × d_s policy gain. */
  K: Matrix;
  /** Per-dimension action-noise std (length d_a). */
  sigmaA: Float64Array;
  /** Per-dimension exogenous-innovation std (length d_x). */
  sigmaXi: Float64Array;
  /** Stationary covariance of x_t, d_x × d_x. */
  SigmaX: Matrix;
  /** Cholesky factor of SigmaX (x_t = Lx u, u ~ N(0, I)). */
  Lx: Matrix;
  processNoise: number;
  sensorNoise: number;
}

/**
 * One batch of transitions with ground truth. All arrays are row-major [size, dim].
 * `eps`/`eta` are the action noise and process noise (kept so counterfactual draws can hold
 * (s_t, a_t, s_{t+1}) fixed).
 */
export interface LinearExoBatch {
  size: number;
  /** o_t, [size, d_o]. */
  oT: Float32Array;
  /** o_{t+1}, [size, d_o]. */
  oT1: Float32Array;
  /** s_t, [size, d_s]. */
  s: Float32Array;
  /** a_t, [size, d_a]. */
  a: Float32Array;
  /** x_t, [size, d_x]. */
  x: Float32Array;
  /** ξ_t, [size, d_x]. */
  xi: Float32Array;
  /** ε_t (unpredictable part of a_t), [size, d_a]. */
  eps: Float32Array;
  /** η_t, [size, d_s] (zeros without process noise). */
  eta: Float32Array;
}

/** A seeded random orthogonal-column matrix rows × cols (QR of a Gaussian, signs fixed). */
export function randomOrthonormal(rng: Rng, rows: number, cols: number): Matrix {
  const g = new Matrix(rows, cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) g.set(i, j, rng.normal());
  const qr = new QrDecomposition(g);
  const q = qr.orthogonalMatrix.subMatrix(0, rows - 1, 0, cols - 1);
  const r = qr.upperTriangularMatrix;
  // Fix column signs by diag(R) so the draw is Haar-distributed and deterministic.
  for (let j = 0; j < cols; j++) if (r.get(j, j) < 0) for (let i = 0; i < rows; i++) q.set(i, j, -q.get(i, j));
  return q;
}

/** Stationary covariance Σ with Σ = A Σ Aᵀ + Q (spectral radius of A < 1), by doubling. */
export function stationaryCovariance(A: Matrix, Q: Matrix): Matrix {
  let S = Q.clone();
  let Ak = A.clone();
  for (let it = 0; it < 64; it++) {
    const add = Ak.mmul(S).mmul(Ak.transpose());
    S = S.add(add);
    Ak = Ak.mmul(Ak);
    if (add.norm('frobenius') <= 1e-15 * S.norm('frobenius')) break;
  }
  return S;
}

/**
 * The generator. `sample(n)` draws fresh transitions from its own stream; `counterfactual(b)`
 * redraws (x_t, ξ_t, sensor noise) holding (s_t, a_t, η_t) fixed; `pairs(n)` returns two copies
 * sharing (s_t, a_t) for cross-exogenous reconstruction.
 */
export class LinearExo {
  readonly config: LinearExoConfig;
  readonly truth: LinearExoTruth;
  readonly dObs: number;
  readonly dState: number;
  readonly dAction: number;
  readonly dExo: number;
  private dataRng: Rng;
  // Row-major float64 copies of the parameters for the sampling loop.
  private gs: Float64Array;
  private gx: Float64Array;
  private mS: Float64Array; // A_s + B K (s_t → s_{t+1} through the policy)
  private bm: Float64Array;
  private ax: Float64Array;
  private km: Float64Array;
  private lx: Float64Array;

  constructor(partial: Partial<LinearExoConfig> = {}) {
    const c = resolveLinearExoConfig(partial);
    this.config = c;
    const { dObs, dState, dAction, dExo } = c;
    this.dObs = dObs;
    this.dState = dState;
    this.dAction = dAction;
    this.dExo = dExo;
    const root = new Rng(c.seed);
    const paramRng = root.fork();
    this.dataRng = root.fork();

    const Q = randomOrthonormal(paramRng, dObs, dState + dExo);
    const Gs = Q.subMatrix(0, dObs - 1, 0, dState - 1);
    let Gx = Q.subMatrix(0, dObs - 1, dState, dState + dExo - 1);
    if (c.mixing > 0) {
      // Each G_x column keeps unit norm and gets cosine μ with a random direction in span(G_s).
      const mu = c.mixing;
      const R = new Matrix(dState, dExo);
      for (let j = 0; j < dExo; j++) {
        let nrm = 0;
        for (let i = 0; i < dState; i++) {
          const v = paramRng.normal();
          R.set(i, j, v);
          nrm += v * v;
        }
        nrm = Math.sqrt(nrm);
        for (let i = 0; i < dState; i++) R.set(i, j, R.get(i, j) / nrm);
      }
      Gx = Gx.mul(Math.sqrt(1 - mu * mu)).add(Gs.mmul(R).mul(mu));
    }
    const As = randomOrthonormal(paramRng, dState, dState).mul(c.rhoS);
    const Ax = randomOrthonormal(paramRng, dExo, dExo).mul(c.rhoX);
    const B = randomOrthonormal(paramRng, dState, dAction);
    const K = typeof c.policyGain === 'number' ? B.transpose().mul(c.policyGain) : new Matrix(c.policyGain);
    const sigmaA = sigmaVector('sigmaA', c.sigmaA, dAction, 'action');
    const sigmaXi = sigmaVector('sigmaXi', c.sigmaXi, dExo, 'exogenous');
    const SigmaXi = Matrix.diag(Array.from(sigmaXi, (v) => v * v));
    const SigmaX = stationaryCovariance(Ax, SigmaXi);
    const SigmaXs = SigmaX.transpose().add(SigmaX).mul(0.5);
    const Lx = new CholeskyDecomposition(SigmaXs).lowerTriangularMatrix;
    this.truth = { Gs, Gx, As, Ax, B, K, sigmaA, sigmaXi, SigmaX: SigmaXs, Lx, processNoise: c.processNoise, sensorNoise: c.sensorNoise };

    const flat = (m: Matrix) => Float64Array.from(m.to1DArray());
    this.gs = flat(Gs);
    this.gx = flat(Gx);
    this.mS = flat(B.mmul(K).add(As)); // ml-matrix add() is in place: keep As intact
    this.bm = flat(B);
    this.ax = flat(Ax);
    this.km = flat(K);
    this.lx = flat(Lx);
  }

  /** State of the generator's own data stream (for checkpoints; the parameters follow from the seed). */
  getRngState(): RngState {
    return this.dataRng.getState();
  }

  /** Continues the data stream from a getRngState() result. */
  setRngState(st: RngState): void {
    this.dataRng.setState(st, 'LinearExo.setRngState');
  }

  /** Draws `n` i.i.d. transitions. Uses the generator's own stream unless `rng` is given. */
  sample(n: number, rng: Rng = this.dataRng): LinearExoBatch {
    checkBatch('sample', n);
    const { dState: ds, dAction: da } = this;
    const s = new Float32Array(n * ds);
    const eps = new Float32Array(n * da);
    const eta = new Float32Array(n * ds);
    const sA = this.truth.sigmaA;
    const sEta = this.truth.processNoise;
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < ds; i++) s[b * ds + i] = rng.normal();
      for (let i = 0; i < da; i++) eps[b * da + i] = sA[i] * rng.normal();
      if (sEta > 0) for (let i = 0; i < ds; i++) eta[b * ds + i] = sEta * rng.normal();
    }
    const a = new Float32Array(n * da);
    const km = this.km;
    for (let b = 0; b < n; b++)
      for (let i = 0; i < da; i++) {
        let acc = eps[b * da + i];
        for (let j = 0; j < ds; j++) acc += km[i * ds + j] * s[b * ds + j];
        a[b * da + i] = acc;
      }
    return this.render(n, s, a, eps, eta, rng);
  }

  /**
   * Counterfactual copy of `batch`: the same (s_t, a_t, η_t) with freshly drawn (x_t, ξ_t) and
   * sensor noise — for S_exo and cross-exogenous reconstruction.
   */
  counterfactual(batch: LinearExoBatch, rng: Rng = this.dataRng): LinearExoBatch {
    if (batch.s.length !== batch.size * this.dState || batch.a.length !== batch.size * this.dAction)
      throw new RangeError(`LinearExo.counterfactual: batch shapes do not match this generator (d_s=${this.dState}, d_a=${this.dAction})`);
    return this.render(batch.size, batch.s, batch.a, batch.eps, batch.eta, rng);
  }

  /** `n` pairs sharing (s_t, a_t) with independent exogenous draws: [copy 1, copy 2]. */
  pairs(n: number, rng: Rng = this.dataRng): [LinearExoBatch, LinearExoBatch] {
    const first = this.sample(n, rng);
    return [first, this.counterfactual(first, rng)];
  }

  // Draws the exogenous part and renders o_t, o_{t+1} for given endogenous draws.
  private render(n: number, s: Float32Array, a: Float32Array, eps: Float32Array, eta: Float32Array, rng: Rng): LinearExoBatch {
    const { dObs: d, dState: ds, dAction: da, dExo: dx } = this;
    const x = new Float32Array(n * dx);
    const xi = new Float32Array(n * dx);
    const oT = new Float32Array(n * d);
    const oT1 = new Float32Array(n * d);
    const u = new Float64Array(dx);
    const xb = new Float64Array(dx);
    const x1 = new Float64Array(dx);
    const s1 = new Float64Array(ds);
    const sXi = this.truth.sigmaXi;
    const sn = this.truth.sensorNoise;
    const { gs, gx, mS, bm, ax, lx } = this;
    for (let b = 0; b < n; b++) {
      for (let i = 0; i < dx; i++) u[i] = rng.normal();
      for (let i = 0; i < dx; i++) {
        let acc = 0;
        for (let j = 0; j <= i; j++) acc += lx[i * dx + j] * u[j];
        xb[i] = acc;
        x[b * dx + i] = acc;
      }
      for (let i = 0; i < dx; i++) xi[b * dx + i] = sXi[i] * rng.normal();
      for (let i = 0; i < dx; i++) {
        let acc = xi[b * dx + i];
        for (let j = 0; j < dx; j++) acc += ax[i * dx + j] * xb[j];
        x1[i] = acc;
      }
      // s_{t+1} = (A_s + B K) s_t + B ε_t + η_t  (= A_s s_t + B a_t + η_t)
      for (let i = 0; i < ds; i++) {
        let acc = eta[b * ds + i];
        for (let j = 0; j < ds; j++) acc += mS[i * ds + j] * s[b * ds + j];
        for (let j = 0; j < da; j++) acc += bm[i * da + j] * eps[b * da + j];
        s1[i] = acc;
      }
      for (let r = 0; r < d; r++) {
        let o0 = 0;
        let o1 = 0;
        for (let j = 0; j < ds; j++) {
          o0 += gs[r * ds + j] * s[b * ds + j];
          o1 += gs[r * ds + j] * s1[j];
        }
        for (let j = 0; j < dx; j++) {
          o0 += gx[r * dx + j] * xb[j];
          o1 += gx[r * dx + j] * x1[j];
        }
        if (sn > 0) {
          o0 += sn * rng.normal();
          o1 += sn * rng.normal();
        }
        oT[b * d + r] = o0;
        oT1[b * d + r] = o1;
      }
    }
    return { size: n, oT, oT1, s: s.slice(), a: a.slice(), x, xi, eps: eps.slice(), eta: eta.slice() };
  }
}

function checkBatch(method: string, n: unknown): void {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1)
    throw new RangeError(`LinearExo.${method}: batch size must be an integer ≥ 1, got ${String(n)}`);
}
