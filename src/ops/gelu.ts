/**
 * gelu — y = x·Φ(x) = ½x(1 + erf(x/√2)) (exact erf form, PyTorch default), elementwise, `=`
 * (y may alias x). FLOPs ≈ 20n (erf counted as ~15). Kernel: lam_f32_gelu(x, y, n).
 */
import { type OpContract, ext, inp, int, out } from './contract.js';
import { count, sameShapes } from './elementwise-common.js';
import { OP_OPCODES } from './opcodes.js';

const IN = ['x'];
export const gelu: OpContract = {
  id: 'gelu',
  opcode: OP_OPCODES.gelu,
  inputs: IN,
  outputs: ['y'],
  accumulates: false,
  mode: 'overwrite',
  aliasOk: true,
  signature: ['f32*', 'f32*', 'int'],
  extents: ([, , n]) => ext(3, { 0: n, 1: n }),
  shape: (inputs) => [sameShapes('gelu', IN, inputs)],
  encode: (inputs) => [inp(0), out(0), int(count('gelu', IN, inputs))],
  flops: (inputs) => 20 * count('gelu', IN, inputs),
  bytes: (inputs) => 8 * count('gelu', IN, inputs),
};
