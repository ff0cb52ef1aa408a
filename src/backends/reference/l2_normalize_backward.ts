/**
 * Reference l2_normalize_backward: dx (= | +=) (dy − y·Σ y·dy) / n, n = sqrt(Σ x² + eps), y = x/n,
 * per row of len, float64. Arguments as lam_f32_l2_normalize_backward.
 */
export function l2_normalize_backward(x: Float32Array, dy: Float32Array, dx: Float32Array, rows: number, len: number, eps: number, acc: number): void {
  for (let r = 0; r < rows; r++) {
    const o = r * len;
    let s = 0;
    for (let l = 0; l < len; l++) s += x[o + l] * x[o + l];
    const k = 1 / Math.sqrt(s + eps);
    let dot = 0;
    for (let l = 0; l < len; l++) dot += x[o + l] * k * dy[o + l];
    for (let l = 0; l < len; l++) {
      const g = (dy[o + l] - x[o + l] * k * dot) * k;
      dx[o + l] = acc ? dx[o + l] + g : g;
    }
  }
}
