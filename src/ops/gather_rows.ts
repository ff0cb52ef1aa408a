/**
 * gather_rows — out[n,:] = table[idx[n],:], `=`. table [K,D], idx [N] int32 (each in [0,K))
 * → out [N,D]. FLOPs 0. Kernel: lam_f32_gather_rows(table, idx, out, N, D).
 * Tape form appends K (table rows) so executors can check the table extent and every idx
 * value before the kernel runs (an index out of range fails the run instead of reading wild).
 */
import { type OpContract, type Shape, checkInputs, checkRank, ext, inp, int, out } from './contract.js';
import { OP_OPCODES } from './opcodes.js';

function dims(inputs: readonly Shape[]): [number, number, number] {
  checkInputs('gather_rows', ['table', 'idx'], inputs);
  const [t, i] = inputs;
  checkRank('gather_rows', 'table', t, 2, '[K,D]');
  checkRank('gather_rows', 'idx', i, 1, '[N]');
  return [i[0], t[1], t[0]];
}

export const gather_rows: OpContract = {
  id: 'gather_rows',
  opcode: OP_OPCODES.gather_rows,
  inputs: ['table', 'idx'],
  inputTypes: ['f32', 'i32'],
  outputs: ['out'],
  accumulates: false,
  mode: 'overwrite',
  signature: ['f32*', 'i32*', 'f32*', 'int', 'int', 'int'],
  extents: ([, , , N, D, K]) => ext(6, { 0: K * D, 1: N, 2: N * D }),
  shape: (inputs) => {
    const [N, D] = dims(inputs);
    return [[N, D]];
  },
  encode: (inputs) => {
    const [N, D, K] = dims(inputs);
    return [inp(0), inp(1), out(0), int(N), int(D), int(K)];
  },
  flops: () => 0,
  bytes: (inputs) => {
    const [N, D] = dims(inputs);
    return 4 * (2 * N * D + N);
  },
};
