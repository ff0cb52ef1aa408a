/** Reference fill: y = value. Arguments as lam_f32_fill. */
export function fill(y: Float32Array, n: number, value: number): void {
  for (let i = 0; i < n; i++) y[i] = value;
}
