/** Reference sum_axis: y[o,i] (= | +=) Σ_l x[o,l,i], float64. Arguments as lam_f32_sum_axis. */
export function sum_axis(x: Float32Array, y: Float32Array, outer: number, len: number, inner: number, acc: number): void {
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      let s = 0;
      for (let l = 0; l < len; l++) s += x[(o * len + l) * inner + i];
      y[o * inner + i] = acc ? y[o * inner + i] + s : s;
    }
}
