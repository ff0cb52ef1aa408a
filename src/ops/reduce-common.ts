/**
 * Shape rules of sum_axis / mean_axis: x viewed as [outer, len, inner] around `axis`; the
 * output drops the axis (or keeps it as 1 with keepDims). A rank-1 input reduces to [1].
 */
import { type Attrs, type Shape, boolAttr, checkInputs, numAttr } from './contract.js';

export interface ReduceAttrs {
  [k: string]: number | boolean | undefined;
  /** Axis to reduce (negative counts from the end). */
  axis: number;
  /** Keep the reduced axis as size 1. */
  keepDims?: boolean;
}

export function reduceDims(op: string, inputs: readonly Shape[], attrs: Attrs): { outer: number; len: number; inner: number; outShape: number[] } {
  checkInputs(op, ['x'], inputs);
  const [x] = inputs;
  let axis = numAttr(op, attrs, 'axis', undefined, { integer: true });
  if (axis < -x.length || axis >= x.length) throw new RangeError(`${op}: axis ${axis} is out of range for x of rank ${x.length}`);
  if (axis < 0) axis += x.length;
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= x[i];
  for (let i = axis + 1; i < x.length; i++) inner *= x[i];
  const keep = boolAttr(op, attrs, 'keepDims', false);
  let outShape = keep ? x.map((d, i) => (i === axis ? 1 : d)) : x.filter((_, i) => i !== axis);
  if (outShape.length === 0) outShape = [1];
  return { outer, len: x[axis], inner, outShape };
}
