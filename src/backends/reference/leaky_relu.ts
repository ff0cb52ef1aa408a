/** Reference leaky_relu: y = x > 0 ? x : slope·x. Arguments as lam_f32_leaky_relu. */
export function leaky_relu(x: Float32Array, y: Float32Array, n: number, slope: number): void {
  for (let i = 0; i < n; i++) y[i] = x[i] > 0 ? x[i] : slope * x[i];
}
