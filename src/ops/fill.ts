/**
 * fill — y = value, `=`. No inputs; attrs: shape (required), value (default 0). FLOPs 0.
 * Kernel: lam_f32_fill(y, n, value).
 */
import { type OpContract, checkInputs, ext, flt, int, numAttr, numel, out, shapeAttr } from './contract.js';
import { OP_OPCODES } from './opcodes.js';

export interface FillAttrs {
  [k: string]: number | readonly number[] | undefined;
  shape: readonly number[];
  value?: number;
}

function n(inputs: readonly (readonly number[])[], attrs: FillAttrs): number {
  checkInputs('fill', [], inputs);
  return numel(shapeAttr('fill', attrs, 'shape'));
}

export const fill: OpContract<FillAttrs> = {
  id: 'fill',
  opcode: OP_OPCODES.fill,
  inputs: [],
  outputs: ['y'],
  accumulates: false,
  mode: 'overwrite',
  signature: ['f32*', 'int', 'float'],
  extents: ([, n]) => ext(3, { 0: n }),
  shape: (inputs, attrs) => {
    n(inputs, attrs);
    numAttr('fill', attrs, 'value', 0);
    return [shapeAttr('fill', attrs, 'shape')];
  },
  encode: (inputs, attrs) => [out(0), int(n(inputs, attrs)), flt(numAttr('fill', attrs, 'value', 0))],
  flops: () => 0,
  bytes: (inputs, attrs) => 4 * n(inputs, attrs),
};
