/**
 * A small eager, tape-based autodiff for the conv LAMs of the nonlinear testbed (grid32 /
 * conv64 shapes, CNHW layout). It exists so the gridworld science (objectives, VQ, remedies,
 * sweep) can run and be tested on the 2-core CPU independently of the static-graph engine's
 * progress; the graph engine (src/graph + backends) is the production path for `lamkit train`.
 *
 * Each op computes its output now and pushes a closure that adds its input gradients on
 * `backward()`. Losses seed the gradients directly (no scalar graph node), so several weighted
 * losses on one tape simply add up. `stopGrad` gives a value the same data without a gradient
 * path (the EMA / stop-gradient targets); `straightThrough` passes the gradient of a quantised
 * value to its pre-quantised input (VQ).
 */
import { Rng } from '../data/rng.js';
import { col2im, convGeom, gemmNN, gemmNT, gemmTN, im2col } from './conv-kernels.js';

/** A tensor of the eager engine: float32 data, a shape, and a gradient when it needs one. */
export class Tensor {
  grad: Float32Array | null = null;
  constructor(
    readonly data: Float32Array,
    readonly shape: readonly number[],
    readonly requiresGrad = false,
  ) {
    const n = shape.reduce((a, b) => a * b, 1);
    if (n !== data.length) throw new RangeError(`Tensor: data length ${data.length} does not match shape [${shape.join(',')}] (${n})`);
  }
  get size(): number {
    return this.data.length;
  }
  /** The gradient buffer, allocated (zeros) on first use. */
  g(): Float32Array {
    if (!this.grad) this.grad = new Float32Array(this.data.length);
    return this.grad;
  }
}

/** One forward pass; `backward()` runs the recorded closures in reverse. */
export class Tape {
  private readonly back: (() => void)[] = [];
  /** @param grad false = inference: nothing is recorded, no gradient buffers are touched. */
  constructor(readonly grad = true) {}
  /** Named scalar losses recorded on this tape (value before weighting). */
  readonly losses: Record<string, number> = {};

  private out(data: Float32Array, shape: number[], ...inputs: Tensor[]): Tensor {
    return new Tensor(data, shape, this.grad && inputs.some((t) => t.requiresGrad));
  }

  /**
   * Convolution, x [C, N, H, W], w [OC, C·K·K], b [OC] → [OC, N, OH, OW].
   */
  conv(x: Tensor, w: Tensor, b: Tensor, K: number, s: number, p: number): Tensor {
    const [C, N, H, W] = x.shape;
    const OC = b.size;
    if (w.size !== OC * C * K * K) throw new RangeError(`conv: weight has ${w.size} elements, expected OC·C·K·K = ${OC}·${C}·${K}·${K}`);
    const g = convGeom(C, N, H, W, K, s, p);
    const P = N * g.OH * g.OW, CKK = C * K * K;
    const cols = new Float32Array(CKK * P);
    im2col(x.data, g, cols);
    const y = new Float32Array(OC * P);
    gemmNN(OC, P, CKK, w.data, cols, y, false);
    addBias(y, b.data, OC, P);
    const out = this.out(y, [OC, N, g.OH, g.OW], x, w, b);
    if (out.requiresGrad)
      this.back.push(() => {
        const dy = out.grad;
        if (!dy) return;
        if (w.requiresGrad) gemmNT(OC, CKK, P, dy, cols, w.g(), true);
        if (b.requiresGrad) biasGrad(dy, b.g(), OC, P);
        if (x.requiresGrad) {
          const dcols = new Float32Array(CKK * P);
          gemmTN(CKK, P, OC, w.data, dy, dcols, false);
          col2im(dcols, g, x.g());
        }
      });
    return out;
  }

  /**
   * Transposed convolution (PyTorch semantics), x [IC, N, H, W], w [IC, OC·K·K], b [OC] →
   * [OC, N, (H−1)s − 2p + K, …]. It is the adjoint of a conv from the output space to x.
   */
  convT(x: Tensor, w: Tensor, b: Tensor, K: number, s: number, p: number): Tensor {
    const [IC, N, H, W] = x.shape;
    const OC = b.size;
    if (w.size !== IC * OC * K * K) throw new RangeError(`convT: weight has ${w.size} elements, expected IC·OC·K·K = ${IC}·${OC}·${K}·${K}`);
    const OH = (H - 1) * s - 2 * p + K, OW = (W - 1) * s - 2 * p + K;
    const g = convGeom(OC, N, OH, OW, K, s, p); // conv from y-space back to x-space
    if (g.OH !== H || g.OW !== W) throw new RangeError(`convT: geometry mismatch ${H}×${W} vs ${g.OH}×${g.OW}`);
    const P = N * H * W, OKK = OC * K * K;
    const cols = new Float32Array(OKK * P);
    gemmTN(OKK, P, IC, w.data, x.data, cols, false);
    const y = new Float32Array(OC * N * OH * OW);
    col2im(cols, g, y);
    addBias(y, b.data, OC, N * OH * OW);
    const out = this.out(y, [OC, N, OH, OW], x, w, b);
    if (out.requiresGrad)
      this.back.push(() => {
        const dy = out.grad;
        if (!dy) return;
        if (b.requiresGrad) biasGrad(dy, b.g(), OC, N * OH * OW);
        if (!w.requiresGrad && !x.requiresGrad) return;
        const dcols = new Float32Array(OKK * P);
        im2col(dy, g, dcols);
        if (x.requiresGrad) gemmNN(IC, P, OKK, w.data, dcols, x.g(), true);
        if (w.requiresGrad) gemmNT(IC, OKK, P, x.data, dcols, w.g(), true);
      });
    return out;
  }

  relu(x: Tensor): Tensor {
    const y = new Float32Array(x.size);
    for (let i = 0; i < y.length; i++) y[i] = x.data[i] > 0 ? x.data[i] : 0;
    const out = this.out(y, [...x.shape], x);
    if (out.requiresGrad)
      this.back.push(() => {
        const dy = out.grad;
        if (!dy) return;
        const dx = x.g();
        for (let i = 0; i < dx.length; i++) if (x.data[i] > 0) dx[i] += dy[i];
      });
    return out;
  }

  /** Channel concat of CNHW tensors with equal N, H, W: a buffer concat in this layout. */
  concatC(a: Tensor, b: Tensor): Tensor {
    const [Ca, ...rest] = a.shape;
    const [Cb, ...restB] = b.shape;
    if (rest.join() !== restB.join()) throw new RangeError(`concatC: shapes [${a.shape}] and [${b.shape}] differ beyond the channel axis`);
    const y = new Float32Array(a.size + b.size);
    y.set(a.data, 0);
    y.set(b.data, a.size);
    const out = this.out(y, [Ca + Cb, ...rest], a, b);
    if (out.requiresGrad)
      this.back.push(() => {
        const dy = out.grad;
        if (!dy) return;
        if (a.requiresGrad) addInto(a.g(), dy.subarray(0, a.size));
        if (b.requiresGrad) addInto(b.g(), dy.subarray(a.size));
      });
    return out;
  }

  /** [C, N, h, w] → [N, C·h·w] (per-sample flatten in PyTorch's c, h, w order). */
  flatten(x: Tensor): Tensor {
    const [C, N, h, w] = x.shape;
    const S = h * w;
    const y = new Float32Array(x.size);
    for (let c = 0; c < C; c++) for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) y[n * C * S + c * S + s] = x.data[(c * N + n) * S + s];
    const out = this.out(y, [N, C * S], x);
    if (out.requiresGrad)
      this.back.push(() => {
        const dy = out.grad;
        if (!dy) return;
        const dx = x.g();
        for (let c = 0; c < C; c++) for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) dx[(c * N + n) * S + s] += dy[n * C * S + c * S + s];
      });
    return out;
  }

  /** [N, C·h·w] → [C, N, h, w] (the inverse of `flatten`). */
  unflatten(x: Tensor, C: number, h: number, w: number): Tensor {
    const [N, D] = x.shape;
    const S = h * w;
    if (D !== C * S) throw new RangeError(`unflatten: row length ${D} ≠ C·h·w = ${C}·${h}·${w}`);
    const y = new Float32Array(x.size);
    for (let c = 0; c < C; c++) for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) y[(c * N + n) * S + s] = x.data[n * D + c * S + s];
    const out = this.out(y, [C, N, h, w], x);
    if (out.requiresGrad)
      this.back.push(() => {
        const dy = out.grad;
        if (!dy) return;
        const dx = x.g();
        for (let c = 0; c < C; c++) for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) dx[n * D + c * S + s] += dy[(c * N + n) * S + s];
      });
    return out;
  }

  /** y [N, O] = x [N, I] · Wᵀ + b, W [O, I]. */
  linear(x: Tensor, w: Tensor, b: Tensor): Tensor {
    const [N, I] = x.shape;
    const O = b.size;
    if (w.size !== O * I) throw new RangeError(`linear: weight has ${w.size} elements, expected O·I = ${O}·${I}`);
    const y = new Float32Array(N * O);
    gemmNT(N, O, I, x.data, w.data, y, false);
    for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) y[n * O + o] += b.data[o];
    const out = this.out(y, [N, O], x, w, b);
    if (out.requiresGrad)
      this.back.push(() => {
        const dy = out.grad;
        if (!dy) return;
        if (x.requiresGrad) gemmNN(N, I, O, dy, w.data, x.g(), true);
        if (w.requiresGrad) gemmTN(O, I, N, dy, x.data, w.g(), true);
        if (b.requiresGrad) {
          const db = b.g();
          for (let n = 0; n < N; n++) for (let o = 0; o < O; o++) db[o] += dy[n * O + o];
        }
      });
    return out;
  }

  add(a: Tensor, b: Tensor): Tensor {
    if (a.size !== b.size) throw new RangeError(`add: sizes ${a.size} and ${b.size} differ`);
    const y = new Float32Array(a.size);
    for (let i = 0; i < y.length; i++) y[i] = a.data[i] + b.data[i];
    const out = this.out(y, [...a.shape], a, b);
    if (out.requiresGrad)
      this.back.push(() => {
        const dy = out.grad;
        if (!dy) return;
        if (a.requiresGrad) addInto(a.g(), dy);
        if (b.requiresGrad) addInto(b.g(), dy);
      });
    return out;
  }

  /** Same values, no gradient path (stop-gradient / EMA targets). */
  stopGrad(x: Tensor): Tensor {
    return new Tensor(x.data, [...x.shape], false);
  }

  /** Values of `quantised`, gradient to `input` unchanged (straight-through estimator). */
  straightThrough(input: Tensor, quantised: Float32Array): Tensor {
    const out = this.out(new Float32Array(quantised), [...input.shape], input);
    if (out.requiresGrad)
      this.back.push(() => {
        if (out.grad) addInto(input.g(), out.grad);
      });
    return out;
  }

  /**
   * Adds `weight · Σ_rows mask_r Σ_d (pred − target)² / denom` to the objective and returns the
   * unweighted value. pred, target: same size, viewed as [rows, size/rows]; mask [rows] or null;
   * `denom` states the normalisation (the batch, or the number of labelled rows). A target that
   * requires a gradient receives one too (that is how the no-stop-gradient collapse is shown).
   */
  mse(name: string, pred: Tensor, target: Tensor | Float32Array, opts: { weight?: number; denom: number; mask?: Float32Array | null; rows?: number }): number {
    const t = target instanceof Tensor ? target.data : target;
    if (t.length !== pred.size) throw new RangeError(`mse(${name}): pred has ${pred.size} elements, target ${t.length}`);
    const weight = opts.weight ?? 1, mask = opts.mask ?? null;
    const rows = opts.rows ?? (mask ? mask.length : 1);
    const D = pred.size / rows;
    // CNHW tensors are not row-major per sample: a mask over samples needs rows = N with
    // [N, D] data, so the callers only mask [N, D] heads.
    let s = 0;
    for (let r = 0; r < rows; r++) {
      const m = mask ? mask[r] : 1;
      if (m === 0) continue;
      let acc = 0;
      for (let d = 0; d < D; d++) {
        const e = pred.data[r * D + d] - t[r * D + d];
        acc += e * e;
      }
      s += m * acc;
    }
    const value = opts.denom > 0 ? s / opts.denom : 0;
    this.losses[name] = (this.losses[name] ?? 0) + value;
    const tgtT = target instanceof Tensor && target.requiresGrad ? target : null;
    if (this.grad && (pred.requiresGrad || tgtT) && weight !== 0 && opts.denom > 0)
      this.back.push(() => {
        const k = (2 * weight) / opts.denom;
        const dp = pred.requiresGrad ? pred.g() : null;
        const dt = tgtT ? tgtT.g() : null;
        for (let r = 0; r < rows; r++) {
          const m = mask ? mask[r] : 1;
          if (m === 0) continue;
          for (let d = 0; d < D; d++) {
            const i = r * D + d;
            const e = k * m * (pred.data[i] - t[i]);
            if (dp) dp[i] += e;
            if (dt) dt[i] -= e;
          }
        }
      });
    return value;
  }

  backward(): void {
    for (let i = this.back.length - 1; i >= 0; i--) this.back[i]();
  }
}

/** A named set of trainable parameters with Adam state. */
export class ParamSet {
  readonly params = new Map<string, Tensor>();
  private m = new Map<string, Float32Array>();
  private v = new Map<string, Float32Array>();
  private t = 0;

  /** Kaiming-uniform-like init (PyTorch's default bound 1/√fan_in) for weights, same for bias. */
  add(name: string, shape: number[], fanIn: number, rng: Rng): Tensor {
    if (this.params.has(name)) throw new RangeError(`ParamSet: duplicate parameter '${name}'`);
    const n = shape.reduce((a, b) => a * b, 1);
    const bound = 1 / Math.sqrt(fanIn);
    const data = new Float32Array(n);
    rng.fillUniform(data, -bound, bound);
    const t = new Tensor(data, shape, true);
    this.params.set(name, t);
    return t;
  }

  get(name: string): Tensor {
    const t = this.params.get(name);
    if (!t) throw new RangeError(`ParamSet: no parameter '${name}'`);
    return t;
  }

  zeroGrad(): void {
    for (const p of this.params.values()) p.grad?.fill(0);
  }

  /** Adam (PyTorch defaults β = 0.9, 0.999, ε = 1e-8), skipping params without a gradient. */
  adam(lr: number, names?: Iterable<string>): void {
    this.t++;
    const b1 = 0.9, b2 = 0.999, eps = 1e-8;
    const c1 = 1 - Math.pow(b1, this.t), c2 = 1 - Math.pow(b2, this.t);
    for (const name of names ?? this.params.keys()) {
      const p = this.get(name);
      const g = p.grad;
      if (!g) continue;
      let m = this.m.get(name), v = this.v.get(name);
      if (!m || !v) {
        m = new Float32Array(p.size);
        v = new Float32Array(p.size);
        this.m.set(name, m);
        this.v.set(name, v);
      }
      const d = p.data;
      for (let i = 0; i < d.length; i++) {
        m[i] = b1 * m[i] + (1 - b1) * g[i];
        v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
        d[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps);
      }
    }
  }

  /** Number of scalar parameters. */
  count(): number {
    let n = 0;
    for (const p of this.params.values()) n += p.size;
    return n;
  }
}

/** NCHW batch (as the generator gives) → CNHW tensor (the eager engine's layout). */
export function nchwToCnhw(x: Float32Array, N: number, C: number, HW: number, out?: Float32Array): Float32Array {
  const y = out ?? new Float32Array(N * C * HW);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) y.set(x.subarray((n * C + c) * HW, (n * C + c + 1) * HW), (c * N + n) * HW);
  return y;
}

function addBias(y: Float32Array, b: Float32Array, C: number, P: number): void {
  for (let c = 0; c < C; c++) {
    const bc = b[c];
    for (let i = c * P, e = i + P; i < e; i++) y[i] += bc;
  }
}

function biasGrad(dy: Float32Array, db: Float32Array, C: number, P: number): void {
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let i = c * P, e = i + P; i < e; i++) s += dy[i];
    db[c] += s;
  }
}

function addInto(dst: Float32Array, src: Float32Array): void {
  for (let i = 0; i < src.length; i++) dst[i] += src[i];
}
