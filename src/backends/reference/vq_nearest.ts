/**
 * Reference vq_nearest: idx[n] = argmin_k Σ_d (z − c)², float64 distances, lowest k on ties.
 * Arguments as lam_f32_vq_nearest.
 */
export function vq_nearest(z: Float32Array, codebook: Float32Array, idx: Int32Array, N: number, K: number, D: number): void {
  for (let n = 0; n < N; n++) {
    let best = Infinity;
    let bi = 0;
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let d = 0; d < D; d++) {
        const e = z[n * D + d] - codebook[k * D + d];
        s += e * e;
      }
      if (s < best) {
        best = s;
        bi = k;
      }
    }
    idx[n] = bi;
  }
}
