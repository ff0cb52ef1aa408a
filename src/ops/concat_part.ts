/**
 * concat_part — whole[:, c0:c0+Cp, ...] = part: writes one part of a channel concat and leaves
 * the rest of `whole` untouched (mode `partial`; a concat is one concat_part per part into the
 * same buffer). part [N,Cp,...S]; attrs: channels Ct (of whole), offset c0. FLOPs 0.
 * Kernel: lam_f32_concat_part(part, whole, N, Cp, Ct, c0, S).
 */
import { type OpContract, type Shape, checkInputs, ext, fmtShape, inp, int, numAttr, out, tailSize } from './contract.js';
import { OP_OPCODES } from './opcodes.js';

export interface ConcatPartAttrs {
  [k: string]: number | undefined;
  /** Channels of the whole tensor. */
  channels: number;
  /** First channel of the part inside the whole. */
  offset: number;
}

function dims(inputs: readonly Shape[], attrs: ConcatPartAttrs): { N: number; Cp: number; Ct: number; c0: number; S: number } {
  const op = 'concat_part';
  checkInputs(op, ['part'], inputs);
  const [p] = inputs;
  if (p.length < 2) throw new RangeError(`${op}: part must be [N,C,...] (rank ≥ 2), got ${fmtShape(p)}`);
  const Ct = numAttr(op, attrs, 'channels', undefined, { integer: true, min: 1 });
  const c0 = numAttr(op, attrs, 'offset', undefined, { integer: true, min: 0 });
  if (c0 + p[1] > Ct) throw new RangeError(`${op}: part ${fmtShape(p)} at channel offset ${c0} does not fit in ${Ct} channels`);
  return { N: p[0], Cp: p[1], Ct, c0, S: tailSize(p, 2) };
}

export const concat_part: OpContract<ConcatPartAttrs> = {
  id: 'concat_part',
  opcode: OP_OPCODES.concat_part,
  inputs: ['part'],
  outputs: ['whole'],
  accumulates: false,
  mode: 'partial',
  signature: ['f32*', 'f32*', 'int', 'int', 'int', 'int', 'int'],
  extents: ([, , N, Cp, Ct, , S]) => ext(7, { 0: N * Cp * S, 1: N * Ct * S }),
  shape: (inputs, attrs) => {
    dims(inputs, attrs);
    const p = inputs[0];
    return [[p[0], attrs.channels, ...p.slice(2)]];
  },
  encode: (inputs, attrs) => {
    const d = dims(inputs, attrs);
    return [inp(0), out(0), int(d.N), int(d.Cp), int(d.Ct), int(d.c0), int(d.S)];
  },
  flops: () => 0,
  bytes: (inputs, attrs) => {
    const d = dims(inputs, attrs);
    return 8 * d.N * d.Cp * d.S;
  },
};
