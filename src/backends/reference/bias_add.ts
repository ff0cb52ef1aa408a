/** Reference bias_add: y[n,c,s] = x[n,c,s] + b[c] (x may alias y). Arguments as lam_f32_bias_add. */
export function bias_add(x: Float32Array, b: Float32Array, y: Float32Array, N: number, C: number, S: number): void {
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const o = (n * C + c) * S;
      for (let s = 0; s < S; s++) y[o + s] = x[o + s] + b[c];
    }
}
