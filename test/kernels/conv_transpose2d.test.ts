// conv_transpose2d on every backend vs the reference; the reference against finite differences
// of itself through the gradient rules the graph uses: dx = conv2d(dy, w), dw =
// conv2d_backward_filter(dy, x) (roles swapped), and the adjoint identity with conv2d_backward_input.
import { describe, expect, it } from 'vitest';
import { conv2d } from '../../src/backends/reference/conv2d.js';
import { conv2d_backward_filter } from '../../src/backends/reference/conv2d_backward_filter.js';
import { conv2d_backward_input } from '../../src/backends/reference/conv2d_backward_input.js';
import { conv_transpose2d } from '../../src/backends/reference/conv_transpose2d.js';
import { conv_transpose2d as contract } from '../../src/ops/conv_transpose2d.js';
import { Rng, testSeed } from '../harness/data.js';
import { checkGradient, dot, f64 } from '../harness/fd.js';
import { type KernelCase, defineKernelTests } from '../harness/kernel-suite.js';

interface T { name: string; N: number; IC: number; H: number; W: number; OC: number; KH: number; KW: number; s: [number, number]; p: [number, number]; d: [number, number]; op: [number, number] }
const T_CASES: T[] = [
  { name: '1×1 k1', N: 1, IC: 1, H: 1, W: 1, OC: 1, KH: 1, KW: 1, s: [1, 1], p: [0, 0], d: [1, 1], op: [0, 0] },
  { name: 'k4 s2 p1 (decoder)', N: 2, IC: 5, H: 4, W: 3, OC: 3, KH: 4, KW: 4, s: [2, 2], p: [1, 1], d: [1, 1], op: [0, 0] },
  { name: 'k3 s2 p1 outpad1', N: 1, IC: 3, H: 5, W: 5, OC: 4, KH: 3, KW: 3, s: [2, 2], p: [1, 1], d: [1, 1], op: [1, 1] },
  { name: 'k3×2 s3×1 dil2', N: 2, IC: 2, H: 3, W: 4, OC: 5, KH: 3, KW: 2, s: [3, 1], p: [0, 1], d: [2, 2], op: [0, 0] },
  { name: 'IC17 OC16 k3 p1', N: 2, IC: 17, H: 6, W: 5, OC: 16, KH: 3, KW: 3, s: [1, 1], p: [1, 1], d: [1, 1], op: [0, 0] },
  { name: 'conv64-like k4 s2 p1', N: 2, IC: 16, H: 8, W: 8, OC: 15, KH: 4, KW: 4, s: [2, 2], p: [1, 1], d: [1, 1], op: [0, 0] },
];
const attrsOf = (t: T) => ({ stride: t.s, padding: t.p, dilation: t.d, outputPadding: t.op });

const cases: KernelCase[] = T_CASES.map((t) => ({
  name: t.name,
  inputShapes: [[t.N, t.IC, t.H, t.W], [t.IC, t.OC, t.KH, t.KW]],
  attrs: attrsOf(t),
  K: t.IC * t.KH * t.KW,
}));

await defineKernelTests({
  op: 'conv_transpose2d',
  cases,
  tol: { a0: 2e-6, rtol: 1e-5, nmse: 1e-10 },
  bad: [
    { name: 'IC mismatch', inputShapes: [[1, 3, 4, 4], [2, 5, 3, 3]], error: /w has shape \[2,5,3,3\], expected \[3,OC,KH,KW\]/ },
    { name: 'outputPadding ≥ stride', inputShapes: [[1, 1, 4, 4], [1, 1, 3, 3]], attrs: { stride: 2, outputPadding: 2 }, error: /outputPadding \[2,2\] must be smaller than stride/ },
  ],
});

describe('conv_transpose2d reference: gradients through conv2d and conv2d_backward_filter', () => {
  for (const t of T_CASES.slice(1, 5))
    it(t.name, () => {
      const rng = new Rng(testSeed() + 29);
      const [[, , OH, OW]] = contract.shape([[t.N, t.IC, t.H, t.W], [t.IC, t.OC, t.KH, t.KW]], attrsOf(t));
      const x = f64(rng, t.N * t.IC * t.H * t.W);
      const w = f64(rng, t.IC * t.OC * t.KH * t.KW);
      const dy = f64(rng, t.N * t.OC * OH * OW);
      const y = new Float64Array(dy.length);
      // conv_transpose geometry, and the conv2d geometry with (C, OC) = (OC_t, IC_t), input = y-space.
      const tg = [t.N, t.IC, t.H, t.W, t.OC, t.KH, t.KW, t.s[0], t.s[1], t.p[0], t.p[1], t.d[0], t.d[1], OH, OW] as const;
      const cg = [t.N, t.OC, OH, OW, t.IC, t.KH, t.KW, t.s[0], t.s[1], t.p[0], t.p[1], t.d[0], t.d[1], t.H, t.W] as const;
      const L = () => {
        conv_transpose2d(x as never, w as never, y as never, ...tg, 0);
        return dot(y, dy);
      };
      const dx = new Float64Array(x.length);
      conv2d(dy as never, w as never, dx as never, ...cg, 0);
      const rx = checkGradient(x, L, dx, { rng });
      const dw = new Float64Array(w.length);
      conv2d_backward_filter(dy as never, x as never, dw as never, ...cg, 0);
      const rw = checkGradient(w, L, dw, { rng });
      console.log(`conv_transpose2d ${t.name}: dx ${rx.summary}; dw ${rw.summary}`);
      expect(rx.ok, rx.summary).toBe(true);
      expect(rw.ok, rw.summary).toBe(true);
      // It is conv2d_backward_input with the roles of (C, OC) swapped.
      const viaBwd = new Float64Array(y.length);
      conv2d_backward_input(x as never, w as never, viaBwd as never, ...cg, 0);
      conv_transpose2d(x as never, w as never, y as never, ...tg, 0);
      let maxd = 0;
      for (let i = 0; i < y.length; i++) maxd = Math.max(maxd, Math.abs(y[i] - viaBwd[i]));
      expect(maxd).toBeLessThan(1e-12);
    });
});
