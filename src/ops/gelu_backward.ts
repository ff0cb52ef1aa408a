/**
 * gelu_backward — dx (= | +=) (Φ(x) + x·φ(x))·dy, elementwise (exact erf gelu).
 * FLOPs ≈ 25n. Kernel: lam_f32_gelu_backward(x, dy, dx, n, acc).
 */
import { type OpContract, accOp, ext, inp, int, out } from './contract.js';
import { count, sameShapes } from './elementwise-common.js';
import { OP_OPCODES } from './opcodes.js';

const IN = ['x', 'dy'];
export const gelu_backward: OpContract = {
  id: 'gelu_backward',
  opcode: OP_OPCODES.gelu_backward,
  inputs: IN,
  outputs: ['dx'],
  accumulates: true,
  mode: 'either',
  signature: ['f32*', 'f32*', 'f32*', 'int', 'int'],
  extents: ([, , , n]) => ext(5, { 0: n, 1: n, 2: n }),
  shape: (inputs) => [sameShapes('gelu_backward', IN, inputs)],
  encode: (inputs, _a, acc) => [inp(0), inp(1), out(0), int(count('gelu_backward', IN, inputs)), accOp(acc)],
  flops: (inputs) => 25 * count('gelu_backward', IN, inputs),
  bytes: (inputs) => 12 * count('gelu_backward', IN, inputs),
};
