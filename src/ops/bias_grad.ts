/**
 * bias_grad — db[c] (= | +=) Σ_{n,s} dy[n,c,s]. dy [N,C,...S] (rank ≥ 2) → db [C].
 * FLOPs N·C·S. Kernel: lam_f32_bias_grad(dy, db, N, C, S, acc).
 */
import { type OpContract, type Shape, accOp, checkInputs, ext, fmtShape, inp, int, out, tailSize } from './contract.js';
import { OP_OPCODES } from './opcodes.js';

function dims(inputs: readonly Shape[]): [number, number, number] {
  checkInputs('bias_grad', ['dy'], inputs);
  const [dy] = inputs;
  if (dy.length < 2) throw new RangeError(`bias_grad: dy must be [N,C,...] (rank ≥ 2), got ${fmtShape(dy)}`);
  return [dy[0], dy[1], tailSize(dy, 2)];
}

export const bias_grad: OpContract = {
  id: 'bias_grad',
  opcode: OP_OPCODES.bias_grad,
  inputs: ['dy'],
  outputs: ['db'],
  accumulates: true,
  mode: 'either',
  signature: ['f32*', 'f32*', 'int', 'int', 'int', 'int'],
  extents: ([, , N, C, S]) => ext(6, { 0: N * C * S, 1: C }),
  shape: (inputs) => [[dims(inputs)[1]]],
  encode: (inputs, _a, acc) => {
    const [N, C, S] = dims(inputs);
    return [inp(0), out(0), int(N), int(C), int(S), accOp(acc)];
  },
  flops: (inputs) => {
    const [N, C, S] = dims(inputs);
    return N * C * S;
  },
  bytes: (inputs) => {
    const [N, C, S] = dims(inputs);
    return 4 * (N * C * S + C);
  },
};
