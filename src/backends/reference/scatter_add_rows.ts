/**
 * Reference scatter_add_rows: table[idx[n],:] += src[n,:], rows summed in float64 per target
 * first so repeated indices round once. Arguments as lam_f32_scatter_add_rows.
 */
export function scatter_add_rows(src: Float32Array, idx: Int32Array, table: Float32Array, N: number, D: number): void {
  const sums = new Map<number, Float64Array>();
  for (let n = 0; n < N; n++) {
    const r = idx[n];
    let s = sums.get(r);
    if (!s) sums.set(r, (s = new Float64Array(D)));
    for (let d = 0; d < D; d++) s[d] += src[n * D + d];
  }
  for (const [r, s] of sums) for (let d = 0; d < D; d++) table[r * D + d] = table[r * D + d] + s[d];
}
