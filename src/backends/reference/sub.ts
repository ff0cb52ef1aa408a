/** Reference sub: y (= | +=) a[i] - b[i] (y may alias a or b). Arguments as lam_f32_sub. */
export function sub(a: Float32Array, b: Float32Array, y: Float32Array, n: number, acc: number): void {
  for (let i = 0; i < n; i++) {
    const v = a[i] - b[i];
    y[i] = acc ? y[i] + v : v;
  }
}
