/**
 * leaky_relu_backward — dx (= | +=) (x > 0 ? 1 : slope)·dy, elementwise. attrs: slope (0.01).
 * FLOPs 2n. Kernel: lam_f32_leaky_relu_backward(x, dy, dx, n, slope, acc).
 */
import { type OpContract, accOp, ext, flt, inp, int, numAttr, out } from './contract.js';
import { count, sameShapes } from './elementwise-common.js';
import type { LeakyReluAttrs } from './leaky_relu.js';
import { OP_OPCODES } from './opcodes.js';

const IN = ['x', 'dy'];
export const leaky_relu_backward: OpContract<LeakyReluAttrs> = {
  id: 'leaky_relu_backward',
  opcode: OP_OPCODES.leaky_relu_backward,
  inputs: IN,
  outputs: ['dx'],
  accumulates: true,
  mode: 'either',
  signature: ['f32*', 'f32*', 'f32*', 'int', 'float', 'int'],
  extents: ([, , , n]) => ext(6, { 0: n, 1: n, 2: n }),
  shape: (inputs, attrs) => {
    numAttr('leaky_relu_backward', attrs, 'slope', 0.01);
    return [sameShapes('leaky_relu_backward', IN, inputs)];
  },
  encode: (inputs, attrs, acc) => [
    inp(0), inp(1), out(0), int(count('leaky_relu_backward', IN, inputs)),
    flt(numAttr('leaky_relu_backward', attrs, 'slope', 0.01)), accOp(acc),
  ],
  flops: (inputs) => 2 * count('leaky_relu_backward', IN, inputs),
  bytes: (inputs) => 12 * count('leaky_relu_backward', IN, inputs),
};
