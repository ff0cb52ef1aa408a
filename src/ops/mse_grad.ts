/**
 * mse_grad — dpred (= | +=) scale · 2(pred − target)·mask_b / denom. pred, target, dpred
 * [B,...D], mask [B] optional. attrs: denom (default B), scale (default 1). FLOPs 3·B·D.
 * Kernel: lam_f32_mse_grad(pred, target, mask|NULL, dpred, B, D, denom, scale, acc).
 */
import { type OpContract, accOp, ext, flt, inp, int, numAttr, out } from './contract.js';
import { type MseAttrs, mseDims } from './mse-common.js';
import { OP_OPCODES } from './opcodes.js';

export const mse_grad: OpContract<MseAttrs> = {
  id: 'mse_grad',
  opcode: OP_OPCODES.mse_grad,
  inputs: ['pred', 'target', 'mask'],
  optionalInputs: 1,
  outputs: ['dpred'],
  accumulates: true,
  mode: 'either',
  signature: ['f32*', 'f32*', 'f32*?', 'f32*', 'int', 'int', 'float', 'float', 'int'],
  extents: ([, , , , B, D]) => ext(9, { 0: B * D, 1: B * D, 2: B, 3: B * D }),
  shape: (inputs, attrs) => {
    mseDims('mse_grad', inputs, attrs);
    numAttr('mse_grad', attrs, 'scale', 1);
    return [inputs[0]];
  },
  encode: (inputs, attrs, acc) => {
    const d = mseDims('mse_grad', inputs, attrs);
    return [inp(0), inp(1), d.mask, out(0), int(d.B), int(d.D), flt(d.denom), flt(numAttr('mse_grad', attrs, 'scale', 1)), accOp(acc)];
  },
  flops: (inputs, attrs) => {
    const d = mseDims('mse_grad', inputs, attrs);
    return 3 * d.B * d.D;
  },
  bytes: (inputs, attrs) => {
    const d = mseDims('mse_grad', inputs, attrs);
    return 4 * (3 * d.B * d.D + d.B);
  },
};
