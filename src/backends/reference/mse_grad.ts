/**
 * Reference mse_grad: dpred (= | +=) scale·2(p − t)·mask_b/denom; masked rows give 0.
 * Arguments as lam_f32_mse_grad.
 */
export function mse_grad(pred: Float32Array, target: Float32Array, mask: Float32Array | null, dpred: Float32Array, B: number, D: number, denom: number, scale: number, acc: number): void {
  for (let b = 0; b < B; b++) {
    const m = mask ? mask[b] : 1;
    const k = (scale * 2 * m) / denom;
    for (let d = 0; d < D; d++) {
      const i = b * D + d;
      const g = m === 0 ? 0 : k * (pred[i] - target[i]);
      dpred[i] = acc ? dpred[i] + g : g;
    }
  }
}
