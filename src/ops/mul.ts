/**
 * mul — y (= | +=) a · b, elementwise; a, b, y same shape (y may alias a or b). FLOPs n.
 * Kernel: lam_f32_mul(a, b, y, n, acc).
 */
import { type OpContract, accOp, ext, inp, int, out } from './contract.js';
import { count, sameShapes } from './elementwise-common.js';
import { OP_OPCODES } from './opcodes.js';

const IN = ['a', 'b'];
export const mul: OpContract = {
  id: 'mul',
  opcode: OP_OPCODES.mul,
  inputs: IN,
  outputs: ['y'],
  accumulates: true,
  mode: 'either',
  aliasOk: true,
  signature: ['f32*', 'f32*', 'f32*', 'int', 'int'],
  extents: ([, , , n]) => ext(5, { 0: n, 1: n, 2: n }),
  shape: (inputs) => [sameShapes('mul', IN, inputs)],
  encode: (inputs, _a, acc) => [inp(0), inp(1), out(0), int(count('mul', IN, inputs)), accOp(acc)],
  flops: (inputs) => count('mul', IN, inputs),
  bytes: (inputs) => 12 * count('mul', IN, inputs),
};
