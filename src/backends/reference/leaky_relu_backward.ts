/** Reference leaky_relu_backward: dx (= | +=) (x > 0 ? 1 : slope)·dy. Arguments as lam_f32_leaky_relu_backward. */
export function leaky_relu_backward(x: Float32Array, dy: Float32Array, dx: Float32Array, n: number, slope: number, acc: number): void {
  for (let i = 0; i < n; i++) {
    const g = (x[i] > 0 ? 1 : slope) * dy[i];
    dx[i] = acc ? dx[i] + g : g;
  }
}
