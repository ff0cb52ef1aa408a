/**
 * bias_add — y[n,c,s] = x[n,c,s] + b[c], `=` (y may alias x). x is [N,C,...S] (rank ≥ 2; a
 * linear layer's [B,D] has S = 1), b [C]. FLOPs N·C·S.
 * Kernel: lam_f32_bias_add(x, b, y, N, C, S).
 */
import { type OpContract, type Shape, checkInputs, checkSame, ext, fmtShape, inp, int, out, tailSize } from './contract.js';
import { OP_OPCODES } from './opcodes.js';

function dims(inputs: readonly Shape[]): [number, number, number] {
  checkInputs('bias_add', ['x', 'b'], inputs);
  const [x, b] = inputs;
  if (x.length < 2) throw new RangeError(`bias_add: x must be [N,C,...] (rank ≥ 2), got ${fmtShape(x)}`);
  checkSame('bias_add', 'b', b, [x[1]]);
  return [x[0], x[1], tailSize(x, 2)];
}

export const bias_add: OpContract = {
  id: 'bias_add',
  opcode: OP_OPCODES.bias_add,
  inputs: ['x', 'b'],
  outputs: ['y'],
  accumulates: false,
  mode: 'overwrite',
  aliasOk: true,
  signature: ['f32*', 'f32*', 'f32*', 'int', 'int', 'int'],
  extents: ([, , , N, C, S]) => ext(6, { 0: N * C * S, 1: C, 2: N * C * S }),
  shape: (inputs) => {
    dims(inputs);
    return [inputs[0]];
  },
  encode: (inputs) => {
    const [N, C, S] = dims(inputs);
    return [inp(0), inp(1), out(0), int(N), int(C), int(S)];
  },
  flops: (inputs) => {
    const [N, C, S] = dims(inputs);
    return N * C * S;
  },
  bytes: (inputs) => {
    const [N, C, S] = dims(inputs);
    return 4 * (2 * N * C * S + C);
  },
};
