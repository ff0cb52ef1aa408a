/** Reference l2_normalize: y = x / sqrt(Σ_l x² + eps) per row of len, float64. Arguments as lam_f32_l2_normalize. */
export function l2_normalize(x: Float32Array, y: Float32Array, rows: number, len: number, eps: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * len;
    let s = 0;
    for (let l = 0; l < len; l++) s += x[o + l] * x[o + l];
    const k = 1 / Math.sqrt(s + eps);
    for (let l = 0; l < len; l++) y[o + l] = x[o + l] * k;
  }
}
