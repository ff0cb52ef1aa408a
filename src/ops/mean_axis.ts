/**
 * mean_axis — y[o,i] (= | +=) (1/len) Σ_l x[o,l,i], x viewed as [outer, len, inner] around attrs.axis.
 * FLOPs outer·len·inner + outer·inner. Kernel: lam_f32_mean_axis(x, y, outer, len, inner, acc).
 */
import { type OpContract, accOp, ext, inp, int, out } from './contract.js';
import { OP_OPCODES } from './opcodes.js';
import { type ReduceAttrs, reduceDims } from './reduce-common.js';

export const mean_axis: OpContract<ReduceAttrs> = {
  id: 'mean_axis',
  opcode: OP_OPCODES.mean_axis,
  inputs: ['x'],
  outputs: ['y'],
  accumulates: true,
  mode: 'either',
  signature: ['f32*', 'f32*', 'int', 'int', 'int', 'int'],
  extents: ([, , o, l, i]) => ext(6, { 0: o * l * i, 1: o * i }),
  shape: (inputs, attrs) => [reduceDims('mean_axis', inputs, attrs).outShape],
  encode: (inputs, attrs, acc) => {
    const d = reduceDims('mean_axis', inputs, attrs);
    return [inp(0), out(0), int(d.outer), int(d.len), int(d.inner), accOp(acc)];
  },
  flops: (inputs, attrs) => {
    const d = reduceDims('mean_axis', inputs, attrs);
    return d.outer * d.len * d.inner;
  },
  bytes: (inputs, attrs) => {
    const d = reduceDims('mean_axis', inputs, attrs);
    return 4 * (d.outer * d.len * d.inner + d.outer * d.inner);
  },
};
