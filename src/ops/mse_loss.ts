/**
 * mse_loss — loss[0] = Σ_b mask_b Σ_d (pred − target)² / denom, `=`. pred, target [B,...D],
 * mask [B] optional (absent = all rows). FLOPs 3·B·D.
 * Kernel: lam_f32_mse_loss(pred, target, mask|NULL, loss, B, D, denom).
 */
import { type OpContract, ext, flt, inp, int, out } from './contract.js';
import { type MseAttrs, mseDims } from './mse-common.js';
import { OP_OPCODES } from './opcodes.js';

export const mse_loss: OpContract<MseAttrs> = {
  id: 'mse_loss',
  opcode: OP_OPCODES.mse_loss,
  inputs: ['pred', 'target', 'mask'],
  optionalInputs: 1,
  outputs: ['loss'],
  accumulates: false,
  mode: 'overwrite',
  signature: ['f32*', 'f32*', 'f32*?', 'f32*', 'int', 'int', 'float'],
  extents: ([, , , , B, D]) => ext(7, { 0: B * D, 1: B * D, 2: B, 3: 1 }),
  shape: (inputs, attrs) => {
    mseDims('mse_loss', inputs, attrs);
    return [[1]];
  },
  encode: (inputs, attrs) => {
    const d = mseDims('mse_loss', inputs, attrs);
    return [inp(0), inp(1), d.mask, out(0), int(d.B), int(d.D), flt(d.denom)];
  },
  flops: (inputs, attrs) => {
    const d = mseDims('mse_loss', inputs, attrs);
    return 3 * d.B * d.D;
  },
  bytes: (inputs, attrs) => {
    const d = mseDims('mse_loss', inputs, attrs);
    return 4 * (2 * d.B * d.D + d.B + 1);
  },
};
