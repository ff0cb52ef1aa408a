/** Reference gather_rows: out[n,:] = table[idx[n],:]. Arguments as lam_f32_gather_rows. */
export function gather_rows(table: Float32Array, idx: Int32Array, out: Float32Array, N: number, D: number): void {
  for (let n = 0; n < N; n++) {
    const r = idx[n];
    for (let d = 0; d < D; d++) out[n * D + d] = table[r * D + d];
  }
}
