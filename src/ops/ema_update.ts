/**
 * ema_update — in place: target = decay·target + (1−decay)·source (n elements).
 * FLOPs 3n. Kernel: lam_f32_ema_update(target, source, n, decay).
 */
import { type OpContract, type Shape, checkInputs, checkSame, ext, flt, inp, int, numAttr, numel } from './contract.js';
import { OP_OPCODES } from './opcodes.js';

export interface EmaAttrs {
  [k: string]: number | undefined;
  decay: number;
}

const IN = ['target', 'source'];

function n(inputs: readonly Shape[]): number {
  checkInputs('ema_update', IN, inputs);
  checkSame('ema_update', 'source', inputs[1], inputs[0]);
  return numel(inputs[0]);
}

function decay(attrs: EmaAttrs): number {
  const d = numAttr('ema_update', attrs, 'decay', undefined);
  if (d < 0 || d > 1) throw new RangeError(`ema_update: attribute decay must be in [0, 1], got ${d}`);
  return d;
}

export const ema_update: OpContract<EmaAttrs> = {
  id: 'ema_update',
  opcode: OP_OPCODES.ema_update,
  inputs: IN,
  outputs: [],
  accumulates: false,
  mode: 'inplace',
  mutates: [0],
  signature: ['f32*', 'f32*', 'int', 'float'],
  extents: ([, , n]) => ext(4, { 0: n, 1: n }),
  shape: (inputs, attrs) => {
    n(inputs);
    decay(attrs);
    return [];
  },
  encode: (inputs, attrs) => [inp(0), inp(1), int(n(inputs)), flt(decay(attrs))],
  flops: (inputs) => 3 * n(inputs),
  bytes: (inputs) => 12 * n(inputs),
};
