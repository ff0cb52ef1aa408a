/** Reference bias_grad: db[c] (= | +=) Σ_{n,s} dy[n,c,s], float64. Arguments as lam_f32_bias_grad. */
export function bias_grad(dy: Float32Array, db: Float32Array, N: number, C: number, S: number, acc: number): void {
  for (let c = 0; c < C; c++) {
    let t = 0;
    for (let n = 0; n < N; n++) {
      const o = (n * C + c) * S;
      for (let s = 0; s < S; s++) t += dy[o + s];
    }
    db[c] = acc ? db[c] + t : t;
  }
}
