/**
 * Shape rules of l2_normalize / l2_normalize_backward: x of any rank viewed as [rows, len] with
 * len = the last dimension (one embedding per row); eps > 0 keeps the norm away from zero.
 */
import { type Attrs, type Shape, checkInputs, checkSame, numAttr, numel } from './contract.js';

export interface L2NormalizeAttrs {
  [k: string]: number | undefined;
  /** Added to Σx² inside the square root (default 1e-8). */
  eps?: number;
}

export const L2_EPS_DEFAULT = 1e-8;

export function l2Dims(op: string, names: readonly string[], inputs: readonly Shape[], attrs: Attrs): { rows: number; len: number; eps: number; shape: Shape } {
  checkInputs(op, names, inputs);
  for (let i = 1; i < inputs.length; i++) checkSame(op, names[i], inputs[i], inputs[0]);
  const x = inputs[0];
  const eps = numAttr(op, attrs, 'eps', L2_EPS_DEFAULT);
  if (!(eps > 0)) throw new RangeError(`${op}: attribute eps must be > 0, got ${eps}`);
  const len = x[x.length - 1];
  return { rows: numel(x) / len, len, eps, shape: x };
}

/** Element count rows·len (for flops / bytes). */
export function l2Count(op: string, names: readonly string[], inputs: readonly Shape[], attrs: Attrs): number {
  const d = l2Dims(op, names, inputs, attrs);
  return d.rows * d.len;
}
