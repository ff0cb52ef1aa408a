/**
 * Vector-quantised bottleneck with an EMA codebook (van den Oord et al. 2017, Razavi et al. 2019)
 * and dead-code reset — codebook collapse is the most reported failure of existing LAMs, so the
 * usage and perplexity are measured every step and logged.
 *
 *   idx_n = argmin_k ‖z_n − c_k‖²  (lowest k on ties: the `vq_nearest` op's contract)
 *   z_q = z + sg(c_idx − z)        (straight-through: the decoder's gradient reaches the IDM)
 *   L_commit = β ‖z − sg(c_idx)‖²  (keeps the encoder close to its code)
 *   EMA: N_k ← γN_k + (1−γ)·count_k;  m_k ← γm_k + (1−γ)·Σ_{idx_n=k} z_n  (scatter_add_rows)
 *        c_k = m_k / N̂_k with Laplace-smoothed counts N̂ (no division by ~0)
 *   dead-code reset: a code not chosen for `deadAfter` steps is moved onto a random encoder
 *   output of the current batch (and its EMA statistics restarted there). A step count rather
 *   than an EMA-count threshold: with γ = 0.99 a count needs hundreds of steps to decay, longer
 *   than a short run.
 *
 * The codebook is updated between steps in TypeScript (it is not a trained parameter): the same
 * arithmetic as the graph ops vq_nearest / gather_rows / scatter_add_rows / ema_update.
 */
import { Rng } from '../data/rng.js';

export interface VqOptions {
  /** Number of codes K ≥ 2. */
  codes: number;
  /** Code dim D (= the latent dim k). */
  dim: number;
  /** EMA decay γ. */
  decay?: number;
  /** Commitment weight β. */
  beta?: number;
  /** Steps without being chosen after which a code is dead and reset (0 = never reset). */
  deadAfter?: number;
}

/** Codebook statistics of the recent steps. */
export interface VqMetrics {
  /** exp(entropy) of the code assignment frequencies over the window (1 … K). */
  perplexity: number;
  /** Fraction of codes used at least once over the window. */
  usage: number;
  /** Codes reset so far. */
  resets: number;
}

/** Parses `--bottleneck continuous | vq:<codes>`; errors name the flag and the allowed values. */
export function parseBottleneck(text: string, flag = '--bottleneck'): { kind: 'continuous' } | { kind: 'vq'; codes: number } {
  if (text === 'continuous') return { kind: 'continuous' };
  const m = /^vq:(.*)$/.exec(text);
  if (m) {
    const k = Number(m[1]);
    if (!Number.isInteger(k) || k < 2) throw new RangeError(`${flag}: codebook size must be an integer ≥ 2 in 'vq:<codes>', got '${m[1]}'`);
    return { kind: 'vq', codes: k };
  }
  throw new RangeError(`${flag}: unknown bottleneck '${text}'; expected 'continuous' or 'vq:<codes>' (codes ≥ 2)`);
}

export class VqCodebook {
  readonly K: number;
  readonly D: number;
  readonly decay: number;
  readonly beta: number;
  readonly deadAfter: number;
  private readonly lastUsed: Int32Array;
  private step = 0;
  /** Codes [K, D]. */
  readonly codebook: Float32Array;
  private readonly emaCount: Float64Array;
  private readonly emaSum: Float64Array;
  private initialised = false;
  private window: Float64Array;
  private windowSteps = 0;
  private resets = 0;

  constructor(opts: VqOptions, private readonly rng: Rng) {
    if (!Number.isInteger(opts.codes) || opts.codes < 2) throw new RangeError(`vq: codes (--bottleneck vq:<codes>) must be an integer ≥ 2, got ${opts.codes}`);
    if (!Number.isInteger(opts.dim) || opts.dim < 1) throw new RangeError(`vq: dim must be an integer ≥ 1, got ${opts.dim}`);
    this.K = opts.codes;
    this.D = opts.dim;
    this.decay = opts.decay ?? 0.99;
    this.beta = opts.beta ?? 0.25;
    this.deadAfter = opts.deadAfter ?? 50;
    this.lastUsed = new Int32Array(opts.codes);
    this.codebook = new Float32Array(this.K * this.D);
    this.emaCount = new Float64Array(this.K);
    this.emaSum = new Float64Array(this.K * this.D);
    this.window = new Float64Array(this.K);
  }

  /** Nearest code per row of z [N, D] (vq_nearest: lowest k on ties) and the gathered codes. */
  quantise(z: Float32Array, N: number): { idx: Int32Array; q: Float32Array } {
    if (z.length !== N * this.D) throw new RangeError(`vq.quantise: z has ${z.length} elements, expected N·D = ${N}·${this.D}`);
    if (!this.initialised) this.initFrom(z, N);
    const { K, D, codebook: cb } = this;
    const idx = new Int32Array(N);
    const q = new Float32Array(N * D);
    for (let n = 0; n < N; n++) {
      let best = Infinity, bk = 0;
      for (let k = 0; k < K; k++) {
        let d2 = 0;
        for (let d = 0; d < D; d++) {
          const e = z[n * D + d] - cb[k * D + d];
          d2 += e * e;
        }
        if (d2 < best) {
          best = d2;
          bk = k;
        }
      }
      idx[n] = bk;
      q.set(cb.subarray(bk * D, bk * D + D), n * D);
    }
    return { idx, q };
  }

  /** EMA codebook update from this step's assignments, then dead-code reset; logs usage. */
  update(z: Float32Array, idx: Int32Array, N: number): void {
    const { K, D, decay: g } = this;
    const count = new Float64Array(K);
    const sum = new Float64Array(K * D);
    for (let n = 0; n < N; n++) {
      const k = idx[n];
      count[k]++;
      for (let d = 0; d < D; d++) sum[k * D + d] += z[n * D + d];
    }
    let total = 0;
    for (let k = 0; k < K; k++) {
      this.emaCount[k] = g * this.emaCount[k] + (1 - g) * count[k];
      total += this.emaCount[k];
      for (let d = 0; d < D; d++) this.emaSum[k * D + d] = g * this.emaSum[k * D + d] + (1 - g) * sum[k * D + d];
      this.window[k] += count[k];
    }
    this.windowSteps++;
    const eps = 1e-5;
    for (let k = 0; k < K; k++) {
      const nk = ((this.emaCount[k] + eps) / (total + K * eps)) * total;
      for (let d = 0; d < D; d++) this.codebook[k * D + d] = this.emaSum[k * D + d] / nk;
    }
    this.step++;
    for (let k = 0; k < K; k++) if (count[k] > 0) this.lastUsed[k] = this.step;
    if (this.deadAfter <= 0) return;
    const mean = total / K;
    for (let k = 0; k < K; k++) {
      if (this.step - this.lastUsed[k] < this.deadAfter) continue;
      this.lastUsed[k] = this.step;
      const n = this.rng.int(N);
      for (let d = 0; d < D; d++) {
        const v = z[n * D + d] + 1e-3 * this.rng.normal();
        this.codebook[k * D + d] = v;
        this.emaSum[k * D + d] = v * mean;
      }
      this.emaCount[k] = mean;
      this.resets++;
    }
  }

  /** Usage and perplexity over the steps since the last call (then the window restarts). */
  metrics(reset = true): VqMetrics {
    let total = 0, used = 0, H = 0;
    for (const c of this.window) total += c;
    for (const c of this.window) {
      if (c > 0) {
        used++;
        const p = c / total;
        H -= p * Math.log(p);
      }
    }
    const m = { perplexity: total > 0 ? Math.exp(H) : 0, usage: used / this.K, resets: this.resets };
    if (reset) {
      this.window.fill(0);
      this.windowSteps = 0;
    }
    return m;
  }

  /** Restores a saved codebook [K, D] (e.g. from a run directory) for inference and probes. */
  load(codebook: ArrayLike<number>): void {
    if (codebook.length !== this.K * this.D) throw new RangeError(`vq.load: codebook has ${codebook.length} values, expected K·D = ${this.K}·${this.D}`);
    this.codebook.set(codebook);
    for (let k = 0; k < this.K; k++) {
      this.emaCount[k] = 1;
      for (let d = 0; d < this.D; d++) this.emaSum[k * this.D + d] = this.codebook[k * this.D + d];
    }
    this.initialised = true;
  }

  /** Codes start on random encoder outputs of the first batch (a data-dependent init). */
  private initFrom(z: Float32Array, N: number): void {
    const { K, D } = this;
    for (let k = 0; k < K; k++) {
      const n = this.rng.int(N);
      for (let d = 0; d < D; d++) {
        this.codebook[k * D + d] = z[n * D + d] + 0.01 * this.rng.normal();
        this.emaSum[k * D + d] = this.codebook[k * D + d];
      }
      this.emaCount[k] = 1;
    }
    this.initialised = true;
  }
}
