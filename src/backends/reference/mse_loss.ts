/**
 * Reference mse_loss: loss[0] = Σ_b mask_b Σ_d (p − t)² / denom, float64; rows with mask 0 are
 * skipped (so a NaN in an ignored row does not leak). Arguments as lam_f32_mse_loss.
 */
export function mse_loss(pred: Float32Array, target: Float32Array, mask: Float32Array | null, loss: Float32Array, B: number, D: number, denom: number): void {
  let s = 0;
  for (let b = 0; b < B; b++) {
    const m = mask ? mask[b] : 1;
    if (m === 0) continue;
    let r = 0;
    for (let d = 0; d < D; d++) {
      const e = pred[b * D + d] - target[b * D + d];
      r += e * e;
    }
    s += m * r;
  }
  loss[0] = s / denom;
}
