/**
 * l2_normalize_backward — dx (= | +=) (dy − y·Σ_l y·dy) / n with n = sqrt(Σ_l x² + eps) and
 * y = x / n recomputed from x (no saved norm), over the last axis. FLOPs 6·rows·len.
 * Kernel: lam_f32_l2_normalize_backward(x, dy, dx, rows, len, eps, acc).
 */
import { type OpContract, accOp, ext, flt, inp, int, out } from './contract.js';
import { type L2NormalizeAttrs, l2Count, l2Dims } from './l2_normalize-common.js';
import { OP_OPCODES } from './opcodes.js';

const IN = ['x', 'dy'];
export const l2_normalize_backward: OpContract<L2NormalizeAttrs> = {
  id: 'l2_normalize_backward',
  opcode: OP_OPCODES.l2_normalize_backward,
  inputs: IN,
  outputs: ['dx'],
  accumulates: true,
  mode: 'either',
  signature: ['f32*', 'f32*', 'f32*', 'int', 'int', 'float', 'int'],
  extents: ([, , , r, l]) => ext(7, { 0: r * l, 1: r * l, 2: r * l }),
  shape: (inputs, attrs) => [l2Dims('l2_normalize_backward', IN, inputs, attrs).shape],
  encode: (inputs, attrs, acc) => {
    const d = l2Dims('l2_normalize_backward', IN, inputs, attrs);
    return [inp(0), inp(1), out(0), int(d.rows), int(d.len), flt(d.eps), accOp(acc)];
  },
  flops: (inputs, attrs) => 6 * l2Count('l2_normalize_backward', IN, inputs, attrs),
  bytes: (inputs, attrs) => 12 * l2Count('l2_normalize_backward', IN, inputs, attrs),
};
