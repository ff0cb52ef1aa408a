/**
 * relu_backward — dx (= | +=) (x > 0 ? dy : 0), elementwise. x, dy, dx same shape; n = numel.
 * FLOPs n. Kernel: lam_f32_relu_backward(x, dy, dx, n, acc).
 */
import { type OpContract, accOp, ext, inp, int, out } from './contract.js';
import { count, sameShapes } from './elementwise-common.js';
import { OP_OPCODES } from './opcodes.js';

const IN = ['x', 'dy'];
export const relu_backward: OpContract = {
  id: 'relu_backward',
  opcode: OP_OPCODES.relu_backward,
  inputs: IN,
  outputs: ['dx'],
  accumulates: true,
  mode: 'either',
  signature: ['f32*', 'f32*', 'f32*', 'int', 'int'],
  extents: ([, , , n]) => ext(5, { 0: n, 1: n, 2: n }),
  shape: (inputs) => [sameShapes('relu_backward', IN, inputs)],
  encode: (inputs, _a, acc) => [inp(0), inp(1), out(0), int(count('relu_backward', IN, inputs)), accOp(acc)],
  flops: (inputs) => count('relu_backward', IN, inputs),
  bytes: (inputs) => 12 * count('relu_backward', IN, inputs),
};
