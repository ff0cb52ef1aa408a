/** Reference gelu_backward: dx (= | +=) (Φ(x) + x·φ(x))·dy, float64. Arguments as lam_f32_gelu_backward. */
import { normCdf, normPdf } from './math.js';

export function gelu_backward(x: Float32Array, dy: Float32Array, dx: Float32Array, n: number, acc: number): void {
  for (let i = 0; i < n; i++) {
    const v = x[i];
    const g = (normCdf(v) + v * normPdf(v)) * dy[i];
    dx[i] = acc ? dx[i] + g : g;
  }
}
