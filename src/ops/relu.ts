/**
 * relu — y = max(x, 0), elementwise, `=` (y may alias x). n = numel(x). FLOPs n.
 * Kernel: lam_f32_relu(x, y, n).
 */
import { type OpContract, ext, inp, int, out } from './contract.js';
import { count, sameShapes } from './elementwise-common.js';
import { OP_OPCODES } from './opcodes.js';

const IN = ['x'];
export const relu: OpContract = {
  id: 'relu',
  opcode: OP_OPCODES.relu,
  inputs: IN,
  outputs: ['y'],
  accumulates: false,
  mode: 'overwrite',
  aliasOk: true,
  signature: ['f32*', 'f32*', 'int'],
  extents: ([, , n]) => ext(3, { 0: n, 1: n }),
  shape: (inputs) => [sameShapes('relu', IN, inputs)],
  encode: (inputs) => [inp(0), out(0), int(count('relu', IN, inputs))],
  flops: (inputs) => count('relu', IN, inputs),
  bytes: (inputs) => 8 * count('relu', IN, inputs),
};
