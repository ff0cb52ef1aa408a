/** Reference gelu (exact erf form): y = x·Φ(x), float64. Arguments as lam_f32_gelu. */
import { normCdf } from './math.js';

export function gelu(x: Float32Array, y: Float32Array, n: number): void {
  for (let i = 0; i < n; i++) y[i] = x[i] * normCdf(x[i]);
}
