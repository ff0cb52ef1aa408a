/**
 * Vector-quantised bottleneck with an EMA codebook (van den Oord et al. 2017, Razavi et al. 2019)
 * and dead-code reset — codebook collapse is the most reported failure of existing LAMs, so the
 * usage and perplexity are measured every step and logged.
 *
 * In the training graph (conv-graph.ts): nearest code (vq_nearest), straight-through, commitment,
 * and the EMA statistics N_k ← γN_k + (1−γ)·count_k, m_k ← γm_k + (1−γ)·Σ_{idx_n=k} z_n
 * (scatter_add_rows + ema_update on state). Here, between chunks of steps (`VqMaintainer`):
 *   c_k = m_k / N̂_k with Laplace-smoothed counts N̂ (no division by ~0; the op set has no div)
 *   dead-code reset: a code not chosen for `deadAfter` steps is moved onto a recent encoder
 *   output (and its EMA statistics restarted there). A step count rather than an EMA-count
 *   threshold: with γ = 0.99 a count needs hundreds of steps to decay, longer than a short run.
 *   usage / perplexity over the steps since the last log point, from the per-step counts.
 */
import { vq_nearest } from '../backends/reference/vq_nearest.js';
import { Rng } from '../data/rng.js';

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
    if (m[1].trim() === '' || !Number.isInteger(k) || k < 2) throw new RangeError(`${flag}: codebook size must be an integer ≥ 2 in 'vq:<codes>', got '${m[1]}'`);
    return { kind: 'vq', codes: k };
  }
  throw new RangeError(`${flag}: unknown bottleneck '${text}'; expected 'continuous' or 'vq:<codes>' (codes ≥ 2)`);
}

/** idx[n] = argmin_k ‖z_n − c_k‖² (lowest k on ties, the vq_nearest contract) and q = c_idx. */
export function nearestCodes(z: Float32Array, codebook: Float32Array, D: number): { idx: Int32Array; q: Float32Array } {
  if (D < 1 || z.length % D !== 0 || codebook.length % D !== 0 || codebook.length === 0)
    throw new RangeError(`nearestCodes: z (${z.length} floats) and codebook (${codebook.length}) must be whole rows of D = ${D}`);
  const N = z.length / D, K = codebook.length / D;
  const idx = new Int32Array(N);
  vq_nearest(z, codebook, idx, N, K, D); // the reference kernel: one definition of the nearest code
  const q = new Float32Array(N * D);
  for (let n = 0; n < N; n++) q.set(codebook.subarray(idx[n] * D, idx[n] * D + D), n * D);
  return { idx, q };
}

/** The codebook state as the graph holds it. */
export interface VqState {
  codebook: Float32Array; // [K, D]
  emaCount: Float32Array; // [K]
  emaSum: Float32Array; // [K, D]
}

export interface VqMaintainerOptions {
  codes: number;
  dim: number;
  /** Steps without being chosen after which a code is reset (0 = never; default 50). */
  deadAfter?: number;
}

/** The between-chunk half of the VQ bottleneck (see the file comment). */
export class VqMaintainer {
  readonly K: number;
  readonly D: number;
  readonly deadAfter: number;
  private readonly lastUsed: Int32Array;
  private readonly window: Float64Array;
  private step = 0;
  private resets = 0;
  initialised = false;

  constructor(opts: VqMaintainerOptions, private readonly rng: Rng) {
    if (!Number.isInteger(opts.codes) || opts.codes < 2) throw new RangeError(`vq: codes (--bottleneck vq:<codes>) must be an integer ≥ 2, got ${opts.codes}`);
    if (!Number.isInteger(opts.dim) || opts.dim < 1) throw new RangeError(`vq: dim must be an integer ≥ 1, got ${opts.dim}`);
    this.K = opts.codes;
    this.D = opts.dim;
    this.deadAfter = opts.deadAfter ?? 50;
    this.lastUsed = new Int32Array(this.K);
    this.window = new Float64Array(this.K);
  }

  /** Codes start on random encoder outputs (a data-dependent init); the EMA restarts there. */
  init(st: VqState, zRecent: Float32Array): void {
    const { K, D } = this;
    const N = zRecent.length / D;
    for (let k = 0; k < K; k++) {
      const n = this.rng.int(N);
      for (let d = 0; d < D; d++) st.codebook[k * D + d] = zRecent[n * D + d] + 0.01 * this.rng.normal();
      st.emaCount[k] = 1;
    }
    st.emaSum.set(st.codebook);
    this.lastUsed.fill(this.step);
    this.window.fill(0);
    this.initialised = true;
  }

  /** Records the per-step code counts of a chunk ([steps, K]); returns the steps seen so far. */
  observe(counts: Float32Array): number {
    const { K } = this;
    for (let s = 0; s < counts.length / K; s++) {
      this.step++;
      for (let k = 0; k < K; k++) {
        const c = counts[s * K + k];
        this.window[k] += c;
        if (c > 0) this.lastUsed[k] = this.step;
      }
    }
    return this.step;
  }

  /** c_k = m_k / N̂_k, then dead-code reset onto rows of `zRecent` (recent encoder outputs). */
  refresh(st: VqState, zRecent: Float32Array): void {
    const { K, D } = this;
    let total = 0;
    for (let k = 0; k < K; k++) total += st.emaCount[k];
    const eps = 1e-5;
    for (let k = 0; k < K; k++) {
      const nk = ((st.emaCount[k] + eps) / (total + K * eps)) * total;
      if (nk > 0) for (let d = 0; d < D; d++) st.codebook[k * D + d] = st.emaSum[k * D + d] / nk;
    }
    if (this.deadAfter <= 0) return;
    const mean = total / K;
    const N = zRecent.length / D;
    for (let k = 0; k < K; k++) {
      if (this.step - this.lastUsed[k] < this.deadAfter) continue;
      this.lastUsed[k] = this.step;
      const n = this.rng.int(N);
      for (let d = 0; d < D; d++) {
        const v = zRecent[n * D + d] + 1e-3 * this.rng.normal();
        st.codebook[k * D + d] = v;
        st.emaSum[k * D + d] = v * mean;
      }
      st.emaCount[k] = mean;
      this.resets++;
    }
  }

  /** Usage and perplexity over the steps since the last call (then the window restarts). */
  metrics(reset = true): VqMetrics {
    const m = codeMetrics(this.window);
    if (reset) this.window.fill(0);
    return { ...m, resets: this.resets };
  }
}

/** Usage (fraction of codes with a count) and perplexity exp(H) of code counts. */
export function codeMetrics(counts: ArrayLike<number>): { usage: number; perplexity: number } {
  let total = 0, used = 0, H = 0;
  for (let k = 0; k < counts.length; k++) total += counts[k];
  for (let k = 0; k < counts.length; k++) {
    const c = counts[k];
    if (c > 0) {
      used++;
      const p = c / total;
      H -= p * Math.log(p);
    }
  }
  return { usage: used / counts.length, perplexity: total > 0 ? Math.exp(H) : 0 };
}
