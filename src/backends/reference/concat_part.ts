/** Reference concat_part: whole[:, c0:c0+Cp] = part; the rest of whole untouched. Arguments as lam_f32_concat_part. */
export function concat_part(part: Float32Array, whole: Float32Array, N: number, Cp: number, Ct: number, c0: number, S: number): void {
  for (let n = 0; n < N; n++)
    for (let c = 0; c < Cp; c++)
      for (let s = 0; s < S; s++) whole[(n * Ct + c0 + c) * S + s] = part[(n * Cp + c) * S + s];
}
