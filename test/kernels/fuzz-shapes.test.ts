// Seeded shape fuzzing: random odd sizes, size-1 dims, transposes, strides, paddings, dilations,
// kernel sizes, axes and channel offsets for the tiled / strided kernels, each run through a
// one-instruction tape (guard zones, random misalignment, `=` and `+=`) on every backend
// available here and compared with the float64 reference. The fixed tables in the per-op tests
// cover the edges we thought of; this covers the combinations we did not.
//
// Reproduce a failure with the seed it prints: LAMKIT_TEST_SEED=<seed> npx vitest run
// test/kernels/fuzz-shapes.test.ts. LAMKIT_FUZZ_CASES sets the cases per op (default 30). Node 20 runs
// the relaxed-SIMD wasm variant only with `--execArgv=--experimental-wasm-relaxed-simd` (else it is
// listed as skipped). This test found a wrong conv2d (N > 1, padding ≥ the dilated tap offset) in a
// stale wasm/dist build (seed 4, 100 cases).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SingleOpSpec, type TensorData, runSingleOp } from '../../src/backends/single-op.js';
import type { Backend } from '../../src/backends/types.js';
import type { Attrs, Shape } from '../../src/ops/contract.js';
import { getOp, numel } from '../../src/ops/index.js';
import { type Tolerance, bitEqual, compare } from '../harness/compare.js';
import { type TestBackend, testBackends } from '../harness/backends.js';
import { Rng, ints, normal, testSeed } from '../harness/data.js';

const SEED = testSeed();
const CASES = Number(process.env.LAMKIT_FUZZ_CASES) > 0 ? Math.floor(Number(process.env.LAMKIT_FUZZ_CASES)) : 30;
const TOL: Tolerance = { a0: 2e-6, rtol: 1e-5, nmse: 1e-10 };

interface FuzzCase {
  spec: SingleOpSpec;
  inputs: TensorData[];
  init?: (TensorData | undefined)[];
  /** Reduction length for the √K tolerance term. */
  K: number;
  tol?: Tolerance;
}

/** Small sizes biased towards 1, SIMD/tile edges ±1 and odd primes. */
function size(rng: Rng, hi: number): number {
  const r = rng.uniform();
  if (r < 0.15) return 1;
  if (r < 0.35) {
    const edges = [7, 8, 9, 15, 16, 17, 31, 33].filter((e) => e <= hi);
    if (edges.length) return edges[rng.int(edges.length)];
  }
  return 1 + rng.int(hi);
}
const pick = <T,>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];

interface ConvGeom { N: number; C: number; H: number; W: number; OC: number; KH: number; KW: number; s: [number, number]; p: [number, number]; d: [number, number] }

/** A conv geometry whose output is at least 1×1 (padding up to the dilated kernel span). */
function convGeom(rng: Rng): ConvGeom {
  const KH = 1 + rng.int(5);
  const KW = pick(rng, [KH, 1 + rng.int(5)]);
  const d: [number, number] = [pick(rng, [1, 1, 2, 3]), pick(rng, [1, 1, 2])];
  const s: [number, number] = [pick(rng, [1, 1, 2, 3]), pick(rng, [1, 2])];
  const p: [number, number] = [rng.int(d[0] * (KH - 1) + 1), rng.int(d[1] * (KW - 1) + 1)];
  const minH = Math.max(1, d[0] * (KH - 1) + 1 - 2 * p[0]);
  const minW = Math.max(1, d[1] * (KW - 1) + 1 - 2 * p[1]);
  return { N: 1 + rng.int(3), C: size(rng, 18), H: minH + rng.int(10), W: minW + rng.int(10), OC: size(rng, 18), KH, KW, s, p, d };
}
const outLen = (n: number, k: number, s: number, p: number, d: number) => Math.floor((n + 2 * p - d * (k - 1) - 1) / s) + 1;
const convAttrs = (g: ConvGeom): Attrs => ({ stride: g.s, padding: g.p, dilation: g.d });

/** Random inputs (i32 inputs from `idx`), random-prefilled outputs for `+=`/partial/accumulate. */
function makeCase(rng: Rng, op: string, inputShapes: Shape[], attrs: Attrs, K: number, opts: { idxHi?: number; tol?: Tolerance } = {}): FuzzCase {
  const c = getOp(op);
  const acc = c.mode === 'either' ? rng.uniform() < 0.5 : false;
  const spec: SingleOpSpec = { op, inputShapes, attrs, acc, misalign: rng.int(4) };
  const inputs = inputShapes.map((s, i) => ((c.inputTypes?.[i] ?? 'f32') === 'i32' ? ints(rng, numel(s), opts.idxHi ?? 1) : normal(rng, numel(s))));
  const prefill = acc || c.mode === 'accumulate' || c.mode === 'partial';
  const outShapes = c.shape(inputShapes, attrs);
  const init = prefill ? outShapes.map((s, i) => ((c.outputTypes?.[i] ?? 'f32') === 'i32' ? undefined : normal(rng, numel(s)))) : undefined;
  return { spec, inputs, init, K, tol: opts.tol };
}

const GENERATORS: Record<string, (rng: Rng) => FuzzCase> = {
  matmul(rng) {
    // One case in five spans several GEMM cache blocks (kc/mc of the native micro-kernels).
    const hi = rng.uniform() < 0.2 ? 300 : 70;
    const [M, N, K] = [size(rng, hi), size(rng, hi), size(rng, hi)];
    const ta = rng.uniform() < 0.5;
    const tb = rng.uniform() < 0.5;
    return makeCase(rng, 'matmul', [ta ? [K, M] : [M, K], tb ? [N, K] : [K, N]], { ta, tb }, K);
  },
  conv2d(rng) {
    const g = convGeom(rng);
    return makeCase(rng, 'conv2d', [[g.N, g.C, g.H, g.W], [g.OC, g.C, g.KH, g.KW]], convAttrs(g), g.C * g.KH * g.KW);
  },
  conv2d_backward_input(rng) {
    const g = convGeom(rng);
    const [OH, OW] = [outLen(g.H, g.KH, g.s[0], g.p[0], g.d[0]), outLen(g.W, g.KW, g.s[1], g.p[1], g.d[1])];
    return makeCase(rng, 'conv2d_backward_input', [[g.N, g.OC, OH, OW], [g.OC, g.C, g.KH, g.KW]], { ...convAttrs(g), inputSize: [g.H, g.W] }, g.OC * g.KH * g.KW);
  },
  conv2d_backward_filter(rng) {
    const g = convGeom(rng);
    const [OH, OW] = [outLen(g.H, g.KH, g.s[0], g.p[0], g.d[0]), outLen(g.W, g.KW, g.s[1], g.p[1], g.d[1])];
    return makeCase(rng, 'conv2d_backward_filter', [[g.N, g.C, g.H, g.W], [g.N, g.OC, OH, OW]], { ...convAttrs(g), kernelSize: [g.KH, g.KW] }, g.N * OH * OW);
  },
  conv_transpose2d(rng) {
    // Redraw until the output is positive (large padding can cancel a small input).
    for (;;) {
      const g = convGeom(rng);
      const op: [number, number] = [rng.int(Math.max(g.s[0], g.d[0])), rng.int(Math.max(g.s[1], g.d[1]))];
      const H = 1 + rng.int(8);
      const W = 1 + rng.int(8);
      const OH = (H - 1) * g.s[0] - 2 * g.p[0] + g.d[0] * (g.KH - 1) + op[0] + 1;
      const OW = (W - 1) * g.s[1] - 2 * g.p[1] + g.d[1] * (g.KW - 1) + op[1] + 1;
      if (OH < 1 || OW < 1) continue;
      return makeCase(rng, 'conv_transpose2d', [[g.N, g.C, H, W], [g.C, g.OC, g.KH, g.KW]], { ...convAttrs(g), outputPadding: op }, g.C * g.KH * g.KW);
    }
  },
  sum_axis(rng) {
    const shape = Array.from({ length: 1 + rng.int(4) }, () => size(rng, 20));
    const axis = rng.int(shape.length) - (rng.uniform() < 0.3 ? shape.length : 0);
    return makeCase(rng, 'sum_axis', [shape], { axis, keepDims: rng.uniform() < 0.5 }, shape.at(axis)!);
  },
  mean_axis(rng) {
    const shape = Array.from({ length: 1 + rng.int(4) }, () => size(rng, 20));
    const axis = rng.int(shape.length);
    return makeCase(rng, 'mean_axis', [shape], { axis }, shape[axis]);
  },
  bias_add(rng) {
    const shape = Array.from({ length: 2 + rng.int(3) }, () => size(rng, 17));
    return makeCase(rng, 'bias_add', [shape, [shape[1]]], {}, 1);
  },
  bias_grad(rng) {
    const shape = Array.from({ length: 2 + rng.int(3) }, () => size(rng, 17));
    return makeCase(rng, 'bias_grad', [shape], {}, numel(shape) / shape[1]);
  },
  gather_rows(rng) {
    const [N, K, D] = [size(rng, 70), size(rng, 40), size(rng, 40)];
    return makeCase(rng, 'gather_rows', [[K, D], [N]], {}, 1, { idxHi: K, tol: { a0: 0, rtol: 0 } });
  },
  scatter_add_rows(rng) {
    const [N, K, D] = [size(rng, 70), size(rng, 40), size(rng, 40)];
    return makeCase(rng, 'scatter_add_rows', [[N, D], [N]], { rows: K }, Math.ceil(N / K), { idxHi: K, tol: { a0: 1e-6, rtol: 1e-5 } });
  },
  concat_part(rng) {
    const p = [size(rng, 9), size(rng, 17), ...Array.from({ length: rng.int(3) }, () => size(rng, 9))];
    const c0 = rng.int(12);
    return makeCase(rng, 'concat_part', [p], { channels: c0 + p[1] + rng.int(5), offset: c0 }, 1, { tol: { a0: 0, rtol: 0 } });
  },
  split_part(rng) {
    const Cp = size(rng, 17);
    const c0 = rng.int(12);
    const whole = [size(rng, 9), c0 + Cp + rng.int(5), ...Array.from({ length: rng.int(3) }, () => size(rng, 9))];
    return makeCase(rng, 'split_part', [whole], { channels: Cp, offset: c0 }, 1, { tol: { a0: 0, rtol: 1.2e-7 } });
  },
};

const clone = (d: TensorData): TensorData => (d instanceof Int32Array ? new Int32Array(d) : new Float32Array(d));
const describeCase = (f: FuzzCase): string =>
  `${f.spec.op} inputs ${f.spec.inputShapes.map((s) => `[${s.join(',')}]`).join(' ')} attrs ${JSON.stringify(f.spec.attrs)}${f.spec.acc ? ' +=' : ''} misalign ${f.spec.misalign}`;

/** Empty when the backend matches the reference on this case; else one line per problem. */
function check(f: FuzzCase, ref: ReturnType<typeof runSingleOp>, got: ReturnType<typeof runSingleOp>): string[] {
  const c = getOp(f.spec.op);
  const base = f.tol ?? TOL;
  // The NMSE bound is a statistic: over a handful of outputs one cancelled dot product (|ref| ≪
  // its terms) dominates it, so it applies from 64 outputs on; the per-element bound always does.
  const few = got.outputs.every((o) => o.length < 64);
  const tol: Tolerance = { ...base, K: f.K, nmse: few ? undefined : base.nmse };
  const errs: string[] = [...got.guardErrors];
  const mutated = new Set(c.mutates ?? []);
  f.inputs.forEach((d, i) => {
    if (mutated.has(i)) return;
    const at = bitEqual(got.inputsAfter[i], d);
    if (at >= 0) errs.push(`input ${c.inputs[i]} changed at element ${at}`);
  });
  got.outputs.forEach((o, i) => {
    const r = compare(o, ref.outputs[i], tol);
    if (!r.ok) errs.push(`${c.outputs[i]}: ${r.summary}`);
  });
  return errs;
}

// Backends: the harness set (native-cpu and its scalar / 1-thread variants, the default wasm,
// gpujs, cuda when present) plus every wasm variant this Node can run.
const { oracle, others } = await testBackends();
const extra: TestBackend[] = [];
const toTerminate: { terminate(): Promise<void> }[] = [];
try {
  const { wasmVariantBackends } = await import('../../src/backends/wasm.js');
  for (const v of await wasmVariantBackends({ threads: 2 })) {
    if (!v.backend) extra.push({ label: `wasm/${v.variant}`, reason: v.reason });
    else {
      toTerminate.push(v.backend);
      extra.push({ label: `wasm/${v.variant}`, backend: v.backend });
    }
  }
} catch (e) {
  extra.push({ label: 'wasm/*', reason: `wasm variants could not be created: ${(e as Error).message}` });
}
const backends = [...others, ...extra];

// One fixed list of cases per op (same for every backend), with the reference results.
const PREPARED = Object.entries(GENERATORS).map(([op, gen], oi) => {
  const rng = new Rng(SEED + 1000003 * (oi + 1));
  const cases = Array.from({ length: CASES }, () => gen(rng));
  return { op, cases, refs: [] as ReturnType<typeof runSingleOp>[] };
});

describe(`kernel shape fuzz (seed ${SEED}, ${CASES} cases per op)`, () => {
  beforeAll(() => {
    for (const p of PREPARED) p.refs = p.cases.map((f) => runSingleOp(oracle, f.spec, f.inputs.map(clone), f.init?.map((d) => d && clone(d))));
  });
  afterAll(async () => {
    await Promise.all(toTerminate.map((b) => b.terminate()));
  });

  it('the reference writes every output and keeps its guards', () => {
    for (const p of PREPARED)
      p.refs.forEach((r, i) => {
        expect(r.guardErrors, `${describeCase(p.cases[i])} (seed ${SEED})`).toEqual([]);
        for (const o of r.outputs) expect(o.every(Number.isFinite), `${describeCase(p.cases[i])}: non-finite reference output (seed ${SEED})`).toBe(true);
      });
  });

  for (const tb of backends) {
    if (!tb.backend) {
      it.skip(`${tb.label}: unavailable — ${tb.reason}`, () => {});
      continue;
    }
    const backend: Backend = tb.backend;
    const ops = PREPARED.filter((p) => backend.supports(p.op));
    const missing = PREPARED.filter((p) => !backend.supports(p.op)).map((p) => p.op);
    if (missing.length) it.skip(`${tb.label}: does not support ${missing.join(', ')}`, () => {});
    it(`${tb.label}: ${ops.length} ops × ${CASES} random shapes match the reference`, () => {
      const failures: string[] = [];
      for (const p of ops)
        p.cases.forEach((f, i) => {
          const run = () => runSingleOp(backend, f.spec, f.inputs.map(clone), f.init?.map((d) => d && clone(d)));
          let errs: string[];
          try {
            errs = check(f, p.refs[i], tb.around ? tb.around(run) : run());
          } catch (e) {
            errs = [`threw ${(e as Error).message}`];
          }
          if (errs.length) failures.push(`case ${i}: ${describeCase(f)}\n      ${errs.join('\n      ')}`);
        });
      expect(failures, `${tb.label}: ${failures.length} failing cases (LAMKIT_TEST_SEED=${SEED})\n  ${failures.join('\n  ')}`).toEqual([]);
    }, 60_000);
  }
});
