/**
 * split_part — part (= | +=) whole[:, c0:c0+Cp, ...]. whole [N,Ct,...S]; attrs: channels Cp
 * (of the part), offset c0. FLOPs 0 (N·Cp·S for `+=`).
 * Kernel: lam_f32_split_part(whole, part, N, Cp, Ct, c0, S, acc).
 */
import { type OpContract, type Shape, accOp, checkInputs, ext, fmtShape, inp, int, numAttr, out, tailSize } from './contract.js';
import { OP_OPCODES } from './opcodes.js';

export interface SplitPartAttrs {
  [k: string]: number | undefined;
  /** Channels of the part. */
  channels: number;
  /** First channel of the part inside the whole. */
  offset: number;
}

function dims(inputs: readonly Shape[], attrs: SplitPartAttrs): { N: number; Cp: number; Ct: number; c0: number; S: number } {
  const op = 'split_part';
  checkInputs(op, ['whole'], inputs);
  const [w] = inputs;
  if (w.length < 2) throw new RangeError(`${op}: whole must be [N,C,...] (rank ≥ 2), got ${fmtShape(w)}`);
  const Cp = numAttr(op, attrs, 'channels', undefined, { integer: true, min: 1 });
  const c0 = numAttr(op, attrs, 'offset', undefined, { integer: true, min: 0 });
  if (c0 + Cp > w[1]) throw new RangeError(`${op}: ${Cp} channels at offset ${c0} do not fit in whole ${fmtShape(w)}`);
  return { N: w[0], Cp, Ct: w[1], c0, S: tailSize(w, 2) };
}

export const split_part: OpContract<SplitPartAttrs> = {
  id: 'split_part',
  opcode: OP_OPCODES.split_part,
  inputs: ['whole'],
  outputs: ['part'],
  accumulates: true,
  mode: 'either',
  signature: ['f32*', 'f32*', 'int', 'int', 'int', 'int', 'int', 'int'],
  extents: ([, , N, Cp, Ct, , S]) => ext(8, { 0: N * Ct * S, 1: N * Cp * S }),
  shape: (inputs, attrs) => {
    const d = dims(inputs, attrs);
    return [[d.N, d.Cp, ...inputs[0].slice(2)]];
  },
  encode: (inputs, attrs, acc) => {
    const d = dims(inputs, attrs);
    return [inp(0), out(0), int(d.N), int(d.Cp), int(d.Ct), int(d.c0), int(d.S), accOp(acc)];
  },
  flops: () => 0,
  bytes: (inputs, attrs) => {
    const d = dims(inputs, attrs);
    return 8 * d.N * d.Cp * d.S;
  },
};
