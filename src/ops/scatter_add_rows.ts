/**
 * scatter_add_rows — table[idx[n],:] += src[n,:], always `+=` (the gradient of gather_rows;
 * the per-code sums of an EMA codebook). src [N,D], idx [N] int32 in [0,K); attrs: rows K →
 * table [K,D]. FLOPs N·D. Kernel: lam_f32_scatter_add_rows(src, idx, table, N, D).
 * Tape form appends K so executors can check the table extent and every idx value first.
 */
import { type OpContract, type Shape, checkInputs, checkRank, ext, fmtShape, inp, int, numAttr, out } from './contract.js';
import { OP_OPCODES } from './opcodes.js';

export interface ScatterAttrs {
  [k: string]: number | undefined;
  /** Rows K of the table. */
  rows: number;
}

function dims(inputs: readonly Shape[], attrs: ScatterAttrs): [number, number, number] {
  checkInputs('scatter_add_rows', ['src', 'idx'], inputs);
  const [s, i] = inputs;
  checkRank('scatter_add_rows', 'src', s, 2, '[N,D]');
  checkRank('scatter_add_rows', 'idx', i, 1, '[N]');
  if (i[0] !== s[0]) throw new RangeError(`scatter_add_rows: idx has shape ${fmtShape(i)}, expected [${s[0]}] (N from src ${fmtShape(s)})`);
  const K = numAttr('scatter_add_rows', attrs, 'rows', undefined, { integer: true, min: 1 });
  return [s[0], s[1], K];
}

export const scatter_add_rows: OpContract<ScatterAttrs> = {
  id: 'scatter_add_rows',
  opcode: OP_OPCODES.scatter_add_rows,
  inputs: ['src', 'idx'],
  inputTypes: ['f32', 'i32'],
  outputs: ['table'],
  accumulates: false,
  mode: 'accumulate',
  signature: ['f32*', 'i32*', 'f32*', 'int', 'int', 'int'],
  extents: ([, , , N, D, K]) => ext(6, { 0: N * D, 1: N, 2: K * D }),
  shape: (inputs, attrs) => {
    const [, D, K] = dims(inputs, attrs);
    return [[K, D]];
  },
  encode: (inputs, attrs) => {
    const [N, D, K] = dims(inputs, attrs);
    return [inp(0), inp(1), out(0), int(N), int(D), int(K)];
  },
  flops: (inputs, attrs) => {
    const [N, D] = dims(inputs, attrs);
    return N * D;
  },
  bytes: (inputs, attrs) => {
    const [N, D] = dims(inputs, attrs);
    return 4 * (3 * N * D + N);
  },
};
