/**
 * l2_normalize — y = x / sqrt(Σ_l x² + eps) over the last axis (x viewed as [rows, len]), `=`
 * (y may alias x). Cosine / BYOL-style latent losses compare such unit rows.
 * FLOPs 3·rows·len. Kernel: lam_f32_l2_normalize(x, y, rows, len, eps).
 */
import { type OpContract, ext, flt, inp, int, out } from './contract.js';
import { type L2NormalizeAttrs, l2Count, l2Dims } from './l2_normalize-common.js';
import { OP_OPCODES } from './opcodes.js';

const IN = ['x'];
export const l2_normalize: OpContract<L2NormalizeAttrs> = {
  id: 'l2_normalize',
  opcode: OP_OPCODES.l2_normalize,
  inputs: IN,
  outputs: ['y'],
  accumulates: false,
  mode: 'overwrite',
  aliasOk: true,
  signature: ['f32*', 'f32*', 'int', 'int', 'float'],
  extents: ([, , r, l]) => ext(5, { 0: r * l, 1: r * l }),
  shape: (inputs, attrs) => [l2Dims('l2_normalize', IN, inputs, attrs).shape],
  encode: (inputs, attrs) => {
    const d = l2Dims('l2_normalize', IN, inputs, attrs);
    return [inp(0), out(0), int(d.rows), int(d.len), flt(d.eps)];
  },
  flops: (inputs, attrs) => 3 * l2Count('l2_normalize', IN, inputs, attrs),
  bytes: (inputs, attrs) => 8 * l2Count('l2_normalize', IN, inputs, attrs),
};
