/**
 * Reference Adam / AdamW step (PyTorch semantics), float64 arithmetic, in place on param, m, v.
 * decoupled=1: p ← p·(1 − lr·wd) first (AdamW); decoupled=0: g ← g + wd·p (Adam + L2).
 * Arguments as lam_f32_adam_update (t = step number ≥ 1).
 */
export function adam_update(param: Float32Array, grad: Float32Array, m: Float32Array, v: Float32Array, n: number,
  lr: number, beta1: number, beta2: number, eps: number, weightDecay: number, decoupled: number, t: number): void {
  const bc1 = 1 - Math.pow(beta1, t);
  const bc2 = 1 - Math.pow(beta2, t);
  for (let i = 0; i < n; i++) {
    let p = param[i];
    let g = grad[i];
    if (weightDecay !== 0) {
      if (decoupled) p -= lr * weightDecay * p;
      else g += weightDecay * p;
    }
    const mi = beta1 * m[i] + (1 - beta1) * g;
    const vi = beta2 * v[i] + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    param[i] = p - (lr * (mi / bc1)) / (Math.sqrt(vi / bc2) + eps);
  }
}
