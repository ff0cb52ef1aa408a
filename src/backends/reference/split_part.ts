/** Reference split_part: part (= | +=) whole[:, c0:c0+Cp]. Arguments as lam_f32_split_part. */
export function split_part(whole: Float32Array, part: Float32Array, N: number, Cp: number, Ct: number, c0: number, S: number, acc: number): void {
  for (let n = 0; n < N; n++)
    for (let c = 0; c < Cp; c++)
      for (let s = 0; s < S; s++) {
        const o = (n * Cp + c) * S + s;
        const v = whole[(n * Ct + c0 + c) * S + s];
        part[o] = acc ? part[o] + v : v;
      }
}
