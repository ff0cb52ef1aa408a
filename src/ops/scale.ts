/**
 * scale — y (= | +=) alpha·x, elementwise (y may alias x). attrs: alpha (required). FLOPs n.
 * Kernel: lam_f32_scale(x, y, n, alpha, acc).
 */
import { type OpContract, accOp, ext, flt, inp, int, numAttr, out } from './contract.js';
import { count, sameShapes } from './elementwise-common.js';
import { OP_OPCODES } from './opcodes.js';

export interface ScaleAttrs {
  [k: string]: number | undefined;
  alpha: number;
}

const IN = ['x'];
export const scale: OpContract<ScaleAttrs> = {
  id: 'scale',
  opcode: OP_OPCODES.scale,
  inputs: IN,
  outputs: ['y'],
  accumulates: true,
  mode: 'either',
  aliasOk: true,
  signature: ['f32*', 'f32*', 'int', 'float', 'int'],
  extents: ([, , n]) => ext(5, { 0: n, 1: n }),
  shape: (inputs, attrs) => {
    numAttr('scale', attrs, 'alpha', undefined);
    return [sameShapes('scale', IN, inputs)];
  },
  encode: (inputs, attrs, acc) => [inp(0), out(0), int(count('scale', IN, inputs)), flt(numAttr('scale', attrs, 'alpha', undefined)), accOp(acc)],
  flops: (inputs) => count('scale', IN, inputs),
  bytes: (inputs) => 8 * count('scale', IN, inputs),
};
