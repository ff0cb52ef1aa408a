/**
 * vq_nearest — idx[n] = argmin_k ‖z_n − c_k‖² (lowest k on ties), idx int32. z [N,D],
 * codebook [K,D] → idx [N]. FLOPs 3·N·K·D. Kernel: lam_f32_vq_nearest(z, codebook, idx, N, K, D).
 */
import { type OpContract, type Shape, checkInputs, checkRank, ext, fmtShape, inp, int, out } from './contract.js';
import { OP_OPCODES } from './opcodes.js';

function dims(inputs: readonly Shape[]): [number, number, number] {
  checkInputs('vq_nearest', ['z', 'codebook'], inputs);
  const [z, c] = inputs;
  checkRank('vq_nearest', 'z', z, 2, '[N,D]');
  checkRank('vq_nearest', 'codebook', c, 2, '[K,D]');
  if (c[1] !== z[1]) throw new RangeError(`vq_nearest: codebook has shape ${fmtShape(c)}, expected [K,${z[1]}] (D from z ${fmtShape(z)})`);
  return [z[0], c[0], z[1]];
}

export const vq_nearest: OpContract = {
  id: 'vq_nearest',
  opcode: OP_OPCODES.vq_nearest,
  inputs: ['z', 'codebook'],
  outputs: ['idx'],
  outputTypes: ['i32'],
  accumulates: false,
  mode: 'overwrite',
  signature: ['f32*', 'f32*', 'i32*', 'int', 'int', 'int'],
  extents: ([, , , N, K, D]) => ext(6, { 0: N * D, 1: K * D, 2: N }),
  shape: (inputs) => [[dims(inputs)[0]]],
  encode: (inputs) => {
    const [N, K, D] = dims(inputs);
    return [inp(0), inp(1), out(0), int(N), int(K), int(D)];
  },
  flops: (inputs) => {
    const [N, K, D] = dims(inputs);
    return 3 * N * K * D;
  },
  bytes: (inputs) => {
    const [N, K, D] = dims(inputs);
    return 4 * (N * D + K * D + N);
  },
};
