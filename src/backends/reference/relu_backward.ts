/** Reference relu_backward: dx (= | +=) (x > 0 ? dy : 0). Arguments as lam_f32_relu_backward. */
export function relu_backward(x: Float32Array, dy: Float32Array, dx: Float32Array, n: number, acc: number): void {
  for (let i = 0; i < n; i++) {
    const g = x[i] > 0 ? dy[i] : 0;
    dx[i] = acc ? dx[i] + g : g;
  }
}
