/**
 * leaky_relu — y = x > 0 ? x : slope·x, elementwise, `=` (y may alias x). attrs: slope (0.01).
 * FLOPs n. Kernel: lam_f32_leaky_relu(x, y, n, slope).
 */
import { type OpContract, ext, flt, inp, int, numAttr, out } from './contract.js';
import { count, sameShapes } from './elementwise-common.js';
import { OP_OPCODES } from './opcodes.js';

export interface LeakyReluAttrs {
  [k: string]: number | undefined;
  /** Negative-side slope, default 0.01 (PyTorch). */
  slope?: number;
}

const IN = ['x'];
export const leaky_relu: OpContract<LeakyReluAttrs> = {
  id: 'leaky_relu',
  opcode: OP_OPCODES.leaky_relu,
  inputs: IN,
  outputs: ['y'],
  accumulates: false,
  mode: 'overwrite',
  aliasOk: true,
  signature: ['f32*', 'f32*', 'int', 'float'],
  extents: ([, , n]) => ext(4, { 0: n, 1: n }),
  shape: (inputs, attrs) => {
    numAttr('leaky_relu', attrs, 'slope', 0.01);
    return [sameShapes('leaky_relu', IN, inputs)];
  },
  encode: (inputs, attrs) => [inp(0), out(0), int(count('leaky_relu', IN, inputs)), flt(numAttr('leaky_relu', attrs, 'slope', 0.01))],
  flops: (inputs) => 2 * count('leaky_relu', IN, inputs),
  bytes: (inputs) => 8 * count('leaky_relu', IN, inputs),
};
