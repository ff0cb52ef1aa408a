// Shared conv geometries for the conv2d family tests: 1×1, padding, stride, dilation,
// asymmetric kernels/strides, channel counts around the GEMM tile (16 ± 1), a conv64-like layer.
export interface ConvGeomCase {
  name: string;
  N: number; C: number; H: number; W: number; OC: number; KH: number; KW: number;
  stride: [number, number]; padding: [number, number]; dilation: [number, number];
}

/** One geometry: stride s, padding p, dilation d as [h, w] (also used by the direct-kernel tests). */
export const convCase = (name: string, N: number, C: number, H: number, W: number, OC: number, KH: number, KW: number, s: [number, number] = [1, 1], p: [number, number] = [0, 0], d: [number, number] = [1, 1]): ConvGeomCase => ({
  name, N, C, H, W, OC, KH, KW, stride: s, padding: p, dilation: d,
});
const g = convCase;

export const CONV_CASES: ConvGeomCase[] = [
  g('1×1×1×1 k1', 1, 1, 1, 1, 1, 1, 1),
  g('k3 pad1', 2, 3, 7, 5, 4, 3, 3, [1, 1], [1, 1]),
  g('k3 stride2 pad1', 1, 2, 9, 9, 3, 3, 3, [2, 2], [1, 1]),
  g('k3 dilation2 pad2', 2, 3, 11, 8, 5, 3, 3, [1, 1], [2, 2], [2, 2]),
  g('k5×3 stride3×2 pad2×1', 1, 4, 17, 13, 6, 5, 3, [3, 2], [2, 1]),
  g('1×1 C33 OC16', 3, 33, 5, 5, 16, 1, 1),
  g('k3 OC17 C15', 2, 15, 6, 7, 17, 3, 3, [1, 1], [1, 1]),
  g('conv64-like k4 s2 p1', 2, 16, 16, 16, 17, 4, 4, [2, 2], [1, 1]),
];

export const convOut = (size: number, k: number, s: number, p: number, d: number) => Math.floor((size + 2 * p - d * (k - 1) - 1) / s) + 1;

export function outSize(c: ConvGeomCase): [number, number] {
  return [convOut(c.H, c.KH, c.stride[0], c.padding[0], c.dilation[0]), convOut(c.W, c.KW, c.stride[1], c.padding[1], c.dilation[1])];
}

export const convAttrs = (c: ConvGeomCase) => ({ stride: c.stride, padding: c.padding, dilation: c.dilation });
