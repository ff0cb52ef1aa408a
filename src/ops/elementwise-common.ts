/**
 * Shape rules shared by the elementwise ops (activations, add/sub/mul, scale, copy): inputs of
 * any rank, all the same shape, no broadcasting (the graph inserts explicit ops instead).
 */
import { type Shape, checkInputs, checkSame, numel } from './contract.js';

/** Checks `names.length` inputs of one shape and returns it. */
export function sameShapes(op: string, names: readonly string[], inputs: readonly Shape[]): Shape {
  checkInputs(op, names, inputs);
  for (let i = 1; i < inputs.length; i++) checkSame(op, names[i], inputs[i], inputs[0]);
  return inputs[0];
}

/** Element count of the first input, after checking shapes. */
export function count(op: string, names: readonly string[], inputs: readonly Shape[]): number {
  return numel(sameShapes(op, names, inputs));
}
