/**
 * Tolerance checks: element-wise |got − ref| ≤ a0·√K + rtol·|ref| (K = reduction length) plus a
 * normalised MSE bound Σ(got−ref)² / Σref² ≤ nmse. NaN/Inf in `got` where ref is finite fails.
 * Returns the max errors so tests can print them.
 */
import type { TensorData } from '../../src/backends/single-op.js';

export interface Tolerance {
  a0: number;
  rtol: number;
  /** Reduction length entering the √K term (1 for elementwise ops). */
  K?: number;
  nmse?: number;
}

export interface CompareResult {
  ok: boolean;
  maxAbs: number;
  maxRel: number;
  nmse: number;
  /** First failing element: index, got, ref, allowed. */
  worst?: { i: number; got: number; ref: number; allowed: number };
  summary: string;
}

export function compare(got: TensorData, ref: TensorData, tol: Tolerance): CompareResult {
  if (got.length !== ref.length) return { ok: false, maxAbs: Infinity, maxRel: Infinity, nmse: Infinity, summary: `length ${got.length} ≠ ${ref.length}` };
  const slack = tol.a0 * Math.sqrt(tol.K ?? 1);
  let maxAbs = 0;
  let maxRel = 0;
  let se = 0;
  let sr = 0;
  let worst: CompareResult['worst'];
  let ok = true;
  for (let i = 0; i < got.length; i++) {
    const g = got[i];
    const r = ref[i];
    const allowed = slack + tol.rtol * Math.abs(r);
    const d = Math.abs(g - r);
    const bad = Number.isNaN(r) ? !Number.isNaN(g) : !(d <= allowed);
    if (!Number.isNaN(d)) {
      maxAbs = Math.max(maxAbs, d);
      if (r !== 0) maxRel = Math.max(maxRel, d / Math.abs(r));
      se += d * d;
      sr += r * r;
    }
    if (bad) {
      ok = false;
      if (!worst) worst = { i, got: g, ref: r, allowed };
    }
  }
  const nmse = sr > 0 ? se / sr : se;
  if (tol.nmse !== undefined && !(nmse <= tol.nmse)) ok = false;
  const summary = `max|err| ${maxAbs.toExponential(2)}, max rel ${maxRel.toExponential(2)}, nmse ${nmse.toExponential(2)}${worst ? `; first bad [${worst.i}] got ${worst.got} ref ${worst.ref} allowed ±${worst.allowed.toExponential(2)}` : ''}`;
  return { ok, maxAbs, maxRel, nmse, worst, summary };
}

/** Bitwise equality of two typed arrays (inputs unchanged, guards). */
export function bitEqual(a: TensorData, b: TensorData): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (x.length !== y.length) return 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}
