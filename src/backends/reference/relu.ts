/** Reference relu: y = max(x, 0); NaN propagates. Arguments as lam_f32_relu. */
export function relu(x: Float32Array, y: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : x[i] !== x[i] ? x[i] : 0;
}
