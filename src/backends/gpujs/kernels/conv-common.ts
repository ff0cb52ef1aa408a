/**
 * Constants shared by the gpu.js conv family: the 15 geometry integers of the tape (operands
 * 3..17: N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW) and acc (operand 18).
 */
export function convConstants(a: readonly number[]): Record<string, number> {
  const [N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW, acc] = a.slice(3, 19);
  return { N, C, H, W, OC, KH, KW, sh, sw, ph, pw, dh, dw, OH, OW, acc };
}
