/**
 * copy — y (= | +=) x, elementwise. FLOPs 0 (n for `+=`). Kernel: lam_f32_copy(x, y, n, acc).
 */
import { type OpContract, accOp, ext, inp, int, out } from './contract.js';
import { count, sameShapes } from './elementwise-common.js';
import { OP_OPCODES } from './opcodes.js';

const IN = ['x'];
export const copy: OpContract = {
  id: 'copy',
  opcode: OP_OPCODES.copy,
  inputs: IN,
  outputs: ['y'],
  accumulates: true,
  mode: 'either',
  signature: ['f32*', 'f32*', 'int', 'int'],
  extents: ([, , n]) => ext(4, { 0: n, 1: n }),
  shape: (inputs) => [sameShapes('copy', IN, inputs)],
  encode: (inputs, _a, acc) => [inp(0), out(0), int(count('copy', IN, inputs)), accOp(acc)],
  flops: () => 0,
  bytes: (inputs) => 8 * count('copy', IN, inputs),
};
