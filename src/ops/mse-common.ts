/**
 * Shape rules of mse_loss / mse_grad: pred and target [B, ...D] (D = product of the rest,
 * rank ≥ 1), optional mask [B] (0/1 per row). attrs.denom defaults to B.
 */
import { type Attrs, type Operand, type Shape, checkInputs, checkSame, inp, numAttr, tailSize } from './contract.js';

export interface MseAttrs {
  [k: string]: number | undefined;
  /** Normalisation (B, or the number of labelled rows); default B. Must be > 0. */
  denom?: number;
  /** mse_grad only: multiplies the gradient (the upstream dloss), default 1. */
  scale?: number;
}

export function mseDims(op: string, inputs: readonly Shape[], attrs: Attrs): { B: number; D: number; denom: number; mask: Operand } {
  checkInputs(op, ['pred', 'target', 'mask'], inputs, 1);
  const [p, t, m] = inputs;
  checkSame(op, 'target', t, p);
  if (m !== undefined) checkSame(op, 'mask', m, [p[0]]);
  const denom = numAttr(op, attrs, 'denom', p[0]);
  if (!(denom > 0)) throw new RangeError(`${op}: attribute denom must be > 0, got ${denom}`);
  return { B: p[0], D: tailSize(p, 1), denom, mask: m !== undefined ? inp(2) : { kind: 'null' } };
}
