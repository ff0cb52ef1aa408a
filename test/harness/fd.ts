/**
 * Central finite differences in float64 over the reference kernels (which accept Float64Array:
 * they are plain loops). checkGradient compares an analytic gradient with
 * (L(x + h·e_i) − L(x − h·e_i)) / 2h at `samples` random coordinates, L = ⟨forward(x), dy⟩.
 */
import { Rng } from './data.js';

export interface GradCheck {
  maxAbs: number;
  maxRel: number;
  ok: boolean;
  summary: string;
}

/**
 * @param x       the point (float64, modified and restored during the check)
 * @param loss    L(x) in float64
 * @param grad    the analytic dL/dx (float64 or float32) at x
 */
export function checkGradient(x: Float64Array, loss: () => number, grad: ArrayLike<number>, opts: { rng: Rng; samples?: number; h?: number; tol?: number } ): GradCheck {
  const h = opts.h ?? 1e-5;
  const tol = opts.tol ?? 1e-6;
  const n = Math.min(opts.samples ?? 24, x.length);
  const idx = new Set<number>();
  while (idx.size < n) idx.add(opts.rng.int(x.length));
  let maxAbs = 0;
  let maxRel = 0;
  let ok = true;
  let first = '';
  for (const i of idx) {
    const x0 = x[i];
    x[i] = x0 + h;
    const lp = loss();
    x[i] = x0 - h;
    const lm = loss();
    x[i] = x0;
    const fd = (lp - lm) / (2 * h);
    const d = Math.abs(fd - grad[i]);
    maxAbs = Math.max(maxAbs, d);
    maxRel = Math.max(maxRel, d / Math.max(1e-12, Math.abs(fd)));
    if (!(d <= tol * (1 + Math.abs(fd)))) {
      ok = false;
      first ||= ` first bad [${i}] fd ${fd} analytic ${grad[i]}`;
    }
  }
  return { maxAbs, maxRel, ok, summary: `FD (${n} coords, h ${h}): max|err| ${maxAbs.toExponential(2)}, max rel ${maxRel.toExponential(2)}${first}` };
}

/** ⟨a, b⟩ in float64. */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function f64(rng: Rng, n: number, away = 0): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = rng.normal();
    if (away && Math.abs(v) < away) v += v < 0 ? -away : away;
    a[i] = v;
  }
  return a;
}
