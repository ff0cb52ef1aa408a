/**
 * Reference SGD with momentum (PyTorch, dampening 0): g ← g + wd·p; buf ← μ·buf + g; p ← p − lr·buf.
 * Arguments as lam_f32_sgd_update.
 */
export function sgd_update(param: Float32Array, grad: Float32Array, buf: Float32Array, n: number, lr: number, momentum: number, weightDecay: number): void {
  for (let i = 0; i < n; i++) {
    const g = grad[i] + weightDecay * param[i];
    const b = momentum * buf[i] + g;
    buf[i] = b;
    param[i] = param[i] - lr * b;
  }
}
