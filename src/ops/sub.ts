/**
 * sub — y (= | +=) a − b, elementwise; a, b, y same shape (y may alias a or b). FLOPs n.
 * Kernel: lam_f32_sub(a, b, y, n, acc).
 */
import { type OpContract, accOp, ext, inp, int, out } from './contract.js';
import { count, sameShapes } from './elementwise-common.js';
import { OP_OPCODES } from './opcodes.js';

const IN = ['a', 'b'];
export const sub: OpContract = {
  id: 'sub',
  opcode: OP_OPCODES.sub,
  inputs: IN,
  outputs: ['y'],
  accumulates: true,
  mode: 'either',
  aliasOk: true,
  signature: ['f32*', 'f32*', 'f32*', 'int', 'int'],
  extents: ([, , , n]) => ext(5, { 0: n, 1: n, 2: n }),
  shape: (inputs) => [sameShapes('sub', IN, inputs)],
  encode: (inputs, _a, acc) => [inp(0), inp(1), out(0), int(count('sub', IN, inputs)), accOp(acc)],
  flops: (inputs) => count('sub', IN, inputs),
  bytes: (inputs) => 12 * count('sub', IN, inputs),
};
