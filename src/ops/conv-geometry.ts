/**
 * Shared geometry of the conv2d family (NCHW, groups = 1): attribute parsing and the output
 * size formula. The kernels of conv2d, conv2d_backward_input, conv2d_backward_filter and
 * conv_transpose2d all take the same 15 trailing geometry integers:
 * N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW (then acc).
 */
import { type Attrs, type Operand, int, pairAttr } from './contract.js';

/** stride / padding / dilation as numbers or [h, w] pairs. */
export interface ConvAttrs {
  [k: string]: number | boolean | readonly number[] | undefined;
  stride?: number | readonly number[];
  padding?: number | readonly number[];
  dilation?: number | readonly number[];
}

export interface ConvGeom {
  N: number; C: number; H: number; W: number; OC: number; KH: number; KW: number;
  sh: number; sw: number; ph: number; pw: number; dh: number; dw: number; OH: number; OW: number;
}

export function convParams(op: string, attrs: Attrs): { sh: number; sw: number; ph: number; pw: number; dh: number; dw: number } {
  const [sh, sw] = pairAttr(op, attrs, 'stride', 1, 1);
  const [ph, pw] = pairAttr(op, attrs, 'padding', 0, 0);
  const [dh, dw] = pairAttr(op, attrs, 'dilation', 1, 1);
  return { sh, sw, ph, pw, dh, dw };
}

/** conv2d output size along one axis; throws when the window does not fit. */
export function convOut(op: string, axis: string, size: number, k: number, s: number, p: number, d: number): number {
  const span = size + 2 * p - d * (k - 1) - 1;
  if (span < 0)
    throw new RangeError(`${op}: input ${axis}=${size} with padding ${p} is smaller than the dilated kernel ${d * (k - 1) + 1}`);
  return Math.floor(span / s) + 1;
}

/** The 15 geometry integers, in kernel order. */
export function geomOperands(g: ConvGeom): Operand[] {
  return [g.N, g.C, g.H, g.W, g.OC, g.KH, g.KW, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.OH, g.OW].map(int);
}

/** Signature tail shared by the conv family: 15 ints + acc. */
export const GEOM_SIG = Array<'int'>(16).fill('int');

/** Decoded geometry from tape args (pointer slots first, geometry from index 3). */
export function geomFromArgs(a: readonly number[]): ConvGeom {
  const [N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW] = a.slice(3, 18);
  return { N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW };
}

/**
 * Tape check shared by the conv family (OpContract.checkArgs): strides and dilations divide or
 * multiply indices in the kernels, so 0 is refused. `first` is the argument index of N.
 */
export function geomArgsProblem(a: readonly number[], first = 3): string | null {
  const [sh, sw, , , dh, dw] = a.slice(first + 7, first + 13);
  return sh < 1 || sw < 1 || dh < 1 || dw < 1 ? `strides and dilations must be ≥ 1, got sh=${sh} sw=${sw} dh=${dh} dw=${dw}` : null;
}
