/**
 * gpu.js matmul — C[M,N] (= | +=) op(A)·op(B), row-major; A [M,K] ([K,M] with ta), B [K,N]
 * ([N,K] with tb). One thread per C element, a K-long float32 dot product (GL floats are
 * single precision; the webasm mode computes in f32 too). FLOPs 2MNK; bytes 4(MK+KN+2MN) per
 * call plus the upload/readback gpu.js does.
 * Tape operands: ta, tb, M, N, K, A, B, C, acc. `+=` reads C as a third argument.
 * Test: test/kernels/matmul.test.ts (gpujs row), test/gpujs/gpujs.test.ts.
 */
import type { GpuKernelDef, KernelThis } from './types.js';

function matmulKernel(this: KernelThis, A: number[], B: number[], C: number[]): number {
  const M = this.constants.M;
  const N = this.constants.N;
  const K = this.constants.K;
  const i = Math.floor((this.thread.x + 0.5) / N);
  const j = this.thread.x - i * N;
  let s = 0;
  for (let k = 0; k < K; k++) {
    let a = 0;
    if (this.constants.ta === 1) a = A[k * M + i];
    else a = A[i * K + k];
    let b = 0;
    if (this.constants.tb === 1) b = B[j * K + k];
    else b = B[k * N + j];
    s += a * b;
  }
  if (this.constants.acc === 1) s += C[this.thread.x];
  return s;
}

export const matmul: GpuKernelDef = {
  id: 'matmul',
  source: matmulKernel,
  reads: () => [5, 6, 7],
  out: 7,
  size: (a) => a[2] * a[3],
  constants: ([ta, tb, M, N, K, , , , acc]) => ({ ta, tb, M, N, K, acc }),
};
