/**
 * add — y (= | +=) a + b, elementwise; a, b, y same shape (y may alias a or b). FLOPs n.
 * Kernel: lam_f32_add(a, b, y, n, acc).
 */
import { type OpContract, accOp, ext, inp, int, out } from './contract.js';
import { count, sameShapes } from './elementwise-common.js';
import { OP_OPCODES } from './opcodes.js';

const IN = ['a', 'b'];
export const add: OpContract = {
  id: 'add',
  opcode: OP_OPCODES.add,
  inputs: IN,
  outputs: ['y'],
  accumulates: true,
  mode: 'either',
  aliasOk: true,
  signature: ['f32*', 'f32*', 'f32*', 'int', 'int'],
  extents: ([, , , n]) => ext(5, { 0: n, 1: n, 2: n }),
  shape: (inputs) => [sameShapes('add', IN, inputs)],
  encode: (inputs, _a, acc) => [inp(0), inp(1), out(0), int(count('add', IN, inputs)), accOp(acc)],
  flops: (inputs) => count('add', IN, inputs),
  bytes: (inputs) => 12 * count('add', IN, inputs),
};
