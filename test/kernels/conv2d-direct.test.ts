// The direct (im2col-free) conv2d forward kernel through the addon, against the TypeScript
// reference. LAMKIT_CONV_DIRECT=1 makes lam_f32_conv2d take the direct kernel for every
// geometry (not only where it is faster), =0 forces the im2col path; the addon reads it per call.
// Geometries: strides 1–3, padding 0–3, dilation 2, C / OC not multiples of 8 / 16, OW < 6,
// N = 1 (channel-block and tile splits) and N ≥ threads, taps > 256 (partial sums), 1 and 2
// threads, `=` and `+=`; 32–63 taps with OW % 8 == 0 take the pixel-vector kernel (its rule holds
// under =1 too). Tolerance |got − ref| ≤ 2e-6·√(C·KH·KW) + 1e-5·|ref| (fp32 sums in
// another order than the reference), as in conv2d.test.ts.
import { afterAll, describe, expect, it } from 'vitest';
import type { NativeCpuBackend } from '../../src/backends/native-cpu.js';
import { type TensorData, runSingleOp } from '../../src/backends/single-op.js';
import { compare } from '../harness/compare.js';
import { testBackends } from '../harness/backends.js';
import { Rng, normal, testSeed } from '../harness/data.js';
import { type ConvGeomCase, convAttrs, convCase, outSize } from '../harness/conv-cases.js';

const g = convCase;

const CASES: ConvGeomCase[] = [
  g('k1 s1 p0 OW<6', 2, 3, 5, 3, 4, 1, 1, [1, 1], [0, 0]),
  g('k3 s1 p1 C5 OC7', 1, 5, 9, 11, 7, 3, 3, [1, 1], [1, 1]),
  g('k3×2 s2×3 p1×0', 4, 3, 13, 10, 5, 3, 2, [2, 3], [1, 0]),
  g('k3 d2 p2', 2, 4, 12, 12, 3, 3, 3, [1, 1], [2, 2], [2, 2]),
  g('k5 s3 p2', 3, 2, 7, 7, 3, 5, 5, [3, 3], [2, 2]),
  g('k2 p3 (taps outside)', 2, 2, 3, 4, 9, 2, 2, [1, 1], [3, 3]),
  g('k4 s2 p1 OC33 C32 (chunks)', 2, 32, 8, 8, 33, 4, 4, [2, 2], [1, 1]),
  g('conv64 layer 1, N=1', 1, 6, 32, 32, 32, 4, 4, [2, 2], [1, 1]),
  g('k4 s2 p1 C64 OC40, N=1', 1, 64, 8, 8, 40, 4, 4, [2, 2], [1, 1]),
  g('k4 s2 p1 OC16, N=1 (tile split)', 1, 8, 16, 16, 16, 4, 4, [2, 2], [1, 1]),
  g('k4 s2 p1 C3 OC32 (pixel kernel)', 3, 3, 32, 32, 32, 4, 4, [2, 2], [1, 1]),
  g('k4 s2 p1 C3 OC7, N=1 (pixel kernel, OC tail)', 1, 3, 16, 16, 7, 4, 4, [2, 2], [1, 1]),
];

const { oracle, others } = await testBackends();
const native = others.find((b) => b.label === 'native-cpu');
const nb = native?.backend as NativeCpuBackend | undefined;
const isa = nb?.info().isa ?? '';
const direct = isa === 'avx2' || isa === 'avx512';
const reason = !nb ? `native-cpu unavailable: ${native?.reason}` : `ISA ${isa} has no direct conv kernel`;
const seed = testSeed();
const saved = process.env.LAMKIT_CONV_DIRECT;

function run(mode: '0' | '1', c: ConvGeomCase, inputs: TensorData[], acc: boolean, init: TensorData | undefined, threads: number) {
  process.env.LAMKIT_CONV_DIRECT = mode;
  const t = nb!.addon.getThreads();
  nb!.addon.setThreads(threads);
  try {
    return runSingleOp(nb!, { op: 'conv2d', inputShapes: [[c.N, c.C, c.H, c.W], [c.OC, c.C, c.KH, c.KW]], attrs: convAttrs(c), acc }, inputs, [init]);
  } finally {
    nb!.addon.setThreads(t);
  }
}

describe.skipIf(!direct)(`conv2d direct kernel (native-cpu ${isa}) vs reference`, () => {
  afterAll(() => {
    if (saved === undefined) delete process.env.LAMKIT_CONV_DIRECT;
    else process.env.LAMKIT_CONV_DIRECT = saved;
  });
  let differsFromIm2col = 0;
  CASES.forEach((c, ci) => {
    for (const acc of [false, true]) {
      it(`${c.name} ${acc ? '+=' : '='}`, () => {
        const rng = new Rng(seed + 31 * ci + (acc ? 1 : 0));
        const inputs = [normal(rng, c.N * c.C * c.H * c.W), normal(rng, c.OC * c.C * c.KH * c.KW)];
        const [OH, OW] = outSize(c);
        const init = acc ? normal(rng, c.N * c.OC * OH * OW) : undefined;
        const ref = runSingleOp(oracle, { op: 'conv2d', inputShapes: [[c.N, c.C, c.H, c.W], [c.OC, c.C, c.KH, c.KW]], attrs: convAttrs(c), acc }, inputs, [init]);
        const tol = { a0: 2e-6, rtol: 1e-5, nmse: 1e-10, K: c.C * c.KH * c.KW };
        const got1 = run('1', c, inputs, acc, init, 1);
        const got2 = run('1', c, inputs, acc, init, 2);
        for (const got of [got1, got2]) {
          expect(got.guardErrors, `${c.name}: guard zones (seed ${seed})`).toEqual([]);
          const r = compare(got.outputs[0], ref.outputs[0], tol);
          expect(r.ok, `${c.name}: y ${r.summary} (seed ${seed})`).toBe(true);
        }
        // Each output is summed by one thread in a fixed order: thread count changes nothing.
        expect(Buffer.from(got2.outputs[0].buffer, got2.outputs[0].byteOffset, got2.outputs[0].byteLength)
          .equals(Buffer.from(got1.outputs[0].buffer, got1.outputs[0].byteOffset, got1.outputs[0].byteLength)),
          `${c.name}: 1 and 2 threads differ`).toBe(true);
        const im2col = run('0', c, inputs, acc, init, 2);
        if (im2col.outputs[0].some((v, i) => v !== got1.outputs[0][i])) differsFromIm2col++;
      });
    }
  });
  // Where the im2col SGEMM blocks or orders its sums differently (12 of these 20 cases today)
  // the two paths round differently; no difference at all would mean the direct kernel never
  // ran (LAMKIT_CONV_DIRECT not reaching the addon).
  it('LAMKIT_CONV_DIRECT switches the kernel', () => {
    expect(differsFromIm2col).toBeGreaterThan(0);
  });
});

describe.skipIf(direct)('conv2d direct kernel', () => {
  it.skip(reason, () => {});
});
