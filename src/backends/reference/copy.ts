/** Reference copy: y (= | +=) x. Arguments as lam_f32_copy. */
export function copy(x: Float32Array, y: Float32Array, n: number, acc: number): void {
  for (let i = 0; i < n; i++) y[i] = acc ? y[i] + x[i] : x[i];
}
