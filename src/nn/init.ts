/**
 * Seeded initialisers with PyTorch's defaults, so a lamkit model starts where the same PyTorch
 * model would (in distribution; the draws come from lamkit's own Rng).
 *
 * nn.Linear / nn.Conv2d / nn.ConvTranspose2d weights: kaiming_uniform_(a=√5), i.e.
 * U(−1/√fan_in, 1/√fan_in); biases U(−1/√fan_in, 1/√fan_in). fan_in is size(1)·receptive field
 * of the weight tensor — for ConvTranspose2d's [IC, OC, KH, KW] that is OC·KH·KW, as in PyTorch.
 */
import type { Rng } from '../data/rng.js';

/** U(−bound, bound) of n floats. */
export function uniformInit(rng: Rng, n: number, bound: number): Float32Array {
  return rng.fillUniform(new Float32Array(n), -bound, bound);
}

/** PyTorch default bound 1/√fan_in (kaiming_uniform with a=√5 gives the same bound). */
export function defaultBound(fanIn: number): number {
  if (!(fanIn >= 1)) throw new RangeError(`init: fan_in must be ≥ 1, got ${fanIn}`);
  return 1 / Math.sqrt(fanIn);
}

/** Weight of shape [d0, d1, …]: fan_in = d1 · Π d2… (PyTorch's _calculate_fan_in_and_fan_out). */
export function kaimingUniform(rng: Rng, shape: readonly number[]): Float32Array {
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  return uniformInit(rng, shape.reduce((a, b) => a * b, 1), defaultBound(fanIn));
}

/** Bias of n entries for a weight with this fan_in. */
export function biasUniform(rng: Rng, n: number, fanIn: number): Float32Array {
  return uniformInit(rng, n, defaultBound(fanIn));
}
