// The direct (im2col-free) conv backward kernels through the addon, against the TypeScript
// reference: conv2d_backward_filter, conv2d_backward_input and conv_transpose2d (which runs the
// backward-input kernel with roles swapped). LAMKIT_CONV_GRAD_DIRECT=1 makes them take every
// geometry they support (by default only calls with enough pixels), =0 forces the im2col path;
// the addon reads it per call. They support a geometry when the 16-lane dimension (OC for the
// filter, C for the input) wastes ≤ 25% of the lanes, so every case here has such channels.
// Geometries: strides 1–3, padding 0–3, dilation 2, C / OC not multiples of 16, N = 1, padding
// larger than the image, 1 and 2 threads, `=` and `+=`. Tolerance as in conv2d.test.ts.
import { afterAll, describe, expect, it } from 'vitest';
import type { NativeCpuBackend } from '../../src/backends/native-cpu.js';
import { type TensorData, runSingleOp } from '../../src/backends/single-op.js';
import { compare } from '../harness/compare.js';
import { testBackends } from '../harness/backends.js';
import { Rng, normal, testSeed } from '../harness/data.js';
import { type ConvGeomCase, convAttrs, convCase as g, outSize } from '../harness/conv-cases.js';

const CASES: ConvGeomCase[] = [
  g('conv64-like k4 s2 p1', 3, 16, 16, 16, 16, 4, 4, [2, 2], [1, 1]),
  g('k3 s1 p1 C29 OC30', 2, 29, 9, 11, 30, 3, 3, [1, 1], [1, 1]),
  g('k3×2 s3 p2×3 C13 OC14, N=1', 1, 13, 10, 7, 14, 3, 2, [3, 3], [2, 3]),
  g('k3 d2 s2×1 p3×0 C27 OC61', 2, 27, 12, 12, 61, 3, 3, [2, 1], [3, 0], [2, 2]),
  g('k4 s2 p1 C48 OC32, N=1 (4×4 → 2×2)', 1, 48, 4, 4, 32, 4, 4, [2, 2], [1, 1]),
  g('k3 p3 ≥ image (classes without taps)', 2, 16, 3, 3, 16, 3, 3, [1, 1], [3, 3]),
];

type Kind = 'conv2d_backward_filter' | 'conv2d_backward_input' | 'conv_transpose2d';
const KINDS: Kind[] = ['conv2d_backward_filter', 'conv2d_backward_input', 'conv_transpose2d'];

// Op shapes/attrs/tolerance K for one conv geometry. conv_transpose2d maps the conv's dy-sized
// image (IC = OC channels) to its x-sized one (C channels): exactly conv2d_backward_input.
function spec(kind: Kind, c: ConvGeomCase) {
  const [OH, OW] = outSize(c);
  if (kind === 'conv2d_backward_filter')
    return { inputShapes: [[c.N, c.C, c.H, c.W], [c.N, c.OC, OH, OW]], attrs: { ...convAttrs(c), kernelSize: [c.KH, c.KW] }, K: c.N * OH * OW, out: c.OC * c.C * c.KH * c.KW };
  if (kind === 'conv2d_backward_input')
    return { inputShapes: [[c.N, c.OC, OH, OW], [c.OC, c.C, c.KH, c.KW]], attrs: { ...convAttrs(c), inputSize: [c.H, c.W] }, K: c.OC * c.KH * c.KW, out: c.N * c.C * c.H * c.W };
  // Output padding recovers H, W exactly (the conv's rows/columns its stride skipped).
  const op: [number, number] = [
    c.H + 2 * c.padding[0] - c.dilation[0] * (c.KH - 1) - 1 - (OH - 1) * c.stride[0],
    c.W + 2 * c.padding[1] - c.dilation[1] * (c.KW - 1) - 1 - (OW - 1) * c.stride[1],
  ];
  return { inputShapes: [[c.N, c.OC, OH, OW], [c.OC, c.C, c.KH, c.KW]], attrs: { ...convAttrs(c), outputPadding: op }, K: c.OC * c.KH * c.KW, out: c.N * c.C * c.H * c.W };
}

const { oracle, others } = await testBackends();
const native = others.find((b) => b.label === 'native-cpu');
const nb = native?.backend as NativeCpuBackend | undefined;
const isa = nb?.info().isa ?? '';
const direct = isa === 'avx2' || isa === 'avx512';
const reason = !nb ? `native-cpu unavailable: ${native?.reason}` : `ISA ${isa} has no direct conv backward kernels`;
const seed = testSeed();
const saved = process.env.LAMKIT_CONV_GRAD_DIRECT;
const bytes = (t: TensorData) => Buffer.from(t.buffer, t.byteOffset, t.byteLength);

function run(mode: '0' | '1', kind: Kind, c: ConvGeomCase, inputs: TensorData[], acc: boolean, init: TensorData | undefined, threads: number) {
  process.env.LAMKIT_CONV_GRAD_DIRECT = mode;
  const t = nb!.addon.getThreads();
  nb!.addon.setThreads(threads);
  try {
    const s = spec(kind, c);
    return runSingleOp(nb!, { op: kind, inputShapes: s.inputShapes, attrs: s.attrs, acc }, inputs, [init]);
  } finally {
    nb!.addon.setThreads(t);
  }
}

describe.skipIf(!direct)(`conv backward direct kernels (native-cpu ${isa}) vs reference`, () => {
  afterAll(() => {
    if (saved === undefined) delete process.env.LAMKIT_CONV_GRAD_DIRECT;
    else process.env.LAMKIT_CONV_GRAD_DIRECT = saved;
  });
  const differs: Record<Kind, number> = { conv2d_backward_filter: 0, conv2d_backward_input: 0, conv_transpose2d: 0 };
  KINDS.forEach((kind, ki) =>
    CASES.forEach((c, ci) => {
      for (const acc of [false, true]) {
        it(`${kind} ${c.name} ${acc ? '+=' : '='}`, () => {
          const rng = new Rng(seed + 101 * ki + 31 * ci + (acc ? 1 : 0));
          const s = spec(kind, c);
          const inputs = s.inputShapes.map((sh) => normal(rng, sh.reduce((a, b) => a * b, 1)));
          const init = acc ? normal(rng, s.out) : undefined;
          const ref = runSingleOp(oracle, { op: kind, inputShapes: s.inputShapes, attrs: s.attrs, acc }, inputs, [init]);
          const tol = { a0: 2e-6, rtol: 1e-5, nmse: 1e-10, K: s.K };
          const got1 = run('1', kind, c, inputs, acc, init, 1);
          const got2 = run('1', kind, c, inputs, acc, init, 2);
          for (const got of [got1, got2]) {
            expect(got.guardErrors, `${kind} ${c.name}: guard zones (seed ${seed})`).toEqual([]);
            const r = compare(got.outputs[0], ref.outputs[0], tol);
            expect(r.ok, `${kind} ${c.name}: ${r.summary} (seed ${seed})`).toBe(true);
          }
          // Threads split whole tiles (filter) or images (input): the thread count changes no bit.
          expect(bytes(got2.outputs[0]).equals(bytes(got1.outputs[0])), `${kind} ${c.name}: 1 and 2 threads differ`).toBe(true);
          const im2col = run('0', kind, c, inputs, acc, init, 1);
          const r = compare(im2col.outputs[0], ref.outputs[0], tol);
          expect(r.ok, `${kind} ${c.name} (im2col path): ${r.summary}`).toBe(true);
          if (!bytes(im2col.outputs[0]).equals(bytes(got1.outputs[0]))) differs[kind]++;
        });
      }
    }),
  );
  // The two paths sum in different orders, so they round differently somewhere; no difference
  // at all would mean the direct kernels never ran (LAMKIT_CONV_GRAD_DIRECT not reaching the addon).
  for (const kind of KINDS)
    it(`LAMKIT_CONV_GRAD_DIRECT switches ${kind}`, () => {
      expect(differs[kind]).toBeGreaterThan(0);
    });
});

describe.skipIf(direct)('conv backward direct kernels', () => {
  it.skip(reason, () => {});
});
