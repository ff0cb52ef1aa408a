/**
 * matmul — C[M,N] (= | +=) op(A)·op(B), row-major.
 * A is [M,K] (or [K,M] with ta), B is [K,N] (or [N,K] with tb). FLOPs 2MNK.
 * Kernel: lam_f32_matmul(ta, tb, M, N, K, A, B, C, acc).
 */
import { type OpContract, type Shape, accOp, boolAttr, checkInputs, checkRank, ext, fmtShape, inp, int, out } from './contract.js';
import { OP_OPCODES } from './opcodes.js';

export interface MatmulAttrs {
  [k: string]: boolean | undefined;
  /** A is stored transposed ([K,M]). */
  ta?: boolean;
  /** B is stored transposed ([N,K]). */
  tb?: boolean;
}

function dims(inputs: readonly Shape[], attrs: MatmulAttrs): { M: number; N: number; K: number; ta: boolean; tb: boolean } {
  checkInputs('matmul', ['A', 'B'], inputs);
  const [a, b] = inputs;
  checkRank('matmul', 'A', a, 2, '[M,K]');
  checkRank('matmul', 'B', b, 2, '[K,N]');
  const ta = boolAttr('matmul', attrs, 'ta', false);
  const tb = boolAttr('matmul', attrs, 'tb', false);
  const [M, K] = ta ? [a[1], a[0]] : [a[0], a[1]];
  const [Kb, N] = tb ? [b[1], b[0]] : [b[0], b[1]];
  if (Kb !== K)
    throw new RangeError(
      `matmul: B has shape ${fmtShape(b)}, expected ${tb ? `[N,${K}]` : `[${K},N]`} (K=${K} from A ${fmtShape(a)}${ta ? ' transposed' : ''})`,
    );
  return { M, N, K, ta, tb };
}

export const matmul: OpContract<MatmulAttrs> = {
  id: 'matmul',
  opcode: OP_OPCODES.matmul,
  inputs: ['A', 'B'],
  outputs: ['C'],
  accumulates: true,
  mode: 'either',
  signature: ['int', 'int', 'int', 'int', 'int', 'f32*', 'f32*', 'f32*', 'int'],
  extents: ([, , M, N, K]) => ext(9, { 5: M * K, 6: K * N, 7: M * N }),
  shape(inputs, attrs) {
    const { M, N } = dims(inputs, attrs);
    return [[M, N]];
  },
  encode(inputs, attrs, acc) {
    const { M, N, K, ta, tb } = dims(inputs, attrs);
    return [int(ta ? 1 : 0), int(tb ? 1 : 0), int(M), int(N), int(K), inp(0), inp(1), out(0), accOp(acc)];
  },
  flops(inputs, attrs) {
    const { M, N, K } = dims(inputs, attrs);
    return 2 * M * N * K;
  },
  bytes(inputs, attrs) {
    const { M, N, K } = dims(inputs, attrs);
    return 4 * (M * K + K * N + M * N);
  },
};
