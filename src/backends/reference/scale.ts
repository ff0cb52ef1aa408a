/** Reference scale: y (= | +=) alpha·x. Arguments as lam_f32_scale. */
export function scale(x: Float32Array, y: Float32Array, n: number, alpha: number, acc: number): void {
  for (let i = 0; i < n; i++) {
    const v = alpha * x[i];
    y[i] = acc ? y[i] + v : v;
  }
}
