/** Reference EMA: target ← decay·target + (1 − decay)·source. Arguments as lam_f32_ema_update. */
export function ema_update(target: Float32Array, source: Float32Array, n: number, decay: number): void {
  for (let i = 0; i < n; i++) target[i] = decay * target[i] + (1 - decay) * source[i];
}
