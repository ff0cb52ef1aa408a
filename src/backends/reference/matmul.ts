/**
 * Reference matmul: C[M,N] (= | +=) op(A)·op(B), float64 accumulation, plain loops.
 * Same arguments as lam_f32_matmul in kernels.h. Tested by test/kernels/matmul.test.ts.
 */
export function matmul(ta: number, tb: number, M: number, N: number, K: number, A: Float32Array, B: Float32Array, C: Float32Array, acc: number): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const a = ta ? A[k * M + i] : A[i * K + k];
        const b = tb ? B[j * K + k] : B[k * N + j];
        s += a * b;
      }
      C[i * N + j] = acc ? C[i * N + j] + s : s;
    }
  }
}
