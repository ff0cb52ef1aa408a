/**
 * The table-driven kernel test every test/kernels/<op>.test.ts uses: for each case and each
 * output mode (`=` with NaN-poisoned outputs, `+=` / partial / accumulate with random-prefilled
 * outputs) it runs the op through a one-instruction tape on the reference backend (the oracle)
 * and on every other available backend, then checks
 *   - outputs within |got − ref| ≤ a0·√K + rtol·|ref| and the NMSE bound (max errors printed),
 *   - guard zones around every tensor bit-exact,
 *   - inputs bit-exact unchanged (in-place ops: the mutated inputs compared like outputs).
 * Odd-numbered cases place every tensor one float off alignment. Unavailable backends and
 * unsupported ops are reported with it.skip and the reason.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { type SingleOpResult, type SingleOpSpec, type TensorData, planSingleOp, runSingleOp } from '../../src/backends/single-op.js';
import type { Attrs, Shape } from '../../src/ops/contract.js';
import { getOp, numel } from '../../src/ops/index.js';
import { type Tolerance, bitEqual, compare } from './compare.js';
import { testBackends } from './backends.js';
import { Rng, normal, testSeed } from './data.js';

export interface KernelCase {
  name: string;
  inputShapes: Shape[];
  attrs?: Attrs;
  /** Reduction length for the √K tolerance term (default 1). */
  K?: number;
  /** Inputs (default: N(0,1) for every f32 input; i32 inputs need a generator). */
  gen?: (rng: Rng, shapes: Shape[]) => TensorData[];
  /** Per-case tolerance override. */
  tol?: Partial<Tolerance>;
}

export interface BadCase {
  name: string;
  inputShapes: Shape[];
  attrs?: Attrs;
  error: RegExp;
  type?: typeof RangeError | typeof TypeError;
}

export interface KernelSpec {
  op: string;
  cases: KernelCase[];
  tol: Tolerance;
  /** Custom comparison of one output (e.g. vq_nearest: equal index or equal distance). */
  compareOutput?: (got: TensorData, ref: TensorData, inputs: TensorData[], c: KernelCase) => { ok: boolean; summary: string };
  /** Shape errors the contract must raise (plus generic bad-input checks run for every op). */
  bad?: BadCase[];
}

function outputInits(spec: SingleOpSpec, rng: Rng, acc: boolean): (TensorData | undefined)[] | undefined {
  const c = getOp(spec.op);
  const prefill = acc || c.mode === 'accumulate' || c.mode === 'partial';
  if (!prefill) return undefined;
  const layout = planSingleOp(spec);
  return layout.outputShapes.map((s, i) => (layout.outputTypes[i] === 'i32' ? undefined : normal(rng, numel(s))));
}

function defaultGen(op: string) {
  const c = getOp(op);
  return (rng: Rng, shapes: Shape[]): TensorData[] =>
    shapes.map((s, i) => {
      if ((c.inputTypes?.[i] ?? 'f32') === 'i32') throw new Error(`${op}: case needs a generator for int32 input ${c.inputs[i]}`);
      return normal(rng, numel(s));
    });
}

const clone = (d: TensorData): TensorData => (d instanceof Int32Array ? new Int32Array(d) : new Float32Array(d));

/** Defines the tests for one op (call with top-level await in the test file). */
export async function defineKernelTests(spec: KernelSpec): Promise<void> {
  const { oracle, others } = await testBackends();
  const c = getOp(spec.op);
  const modes = c.mode === 'either' ? [false, true] : [false];
  const seed = testSeed();
  const report: string[] = [];

  // One fixed dataset per (case, mode), shared by every backend.
  interface Prepared {
    key: string;
    spec: SingleOpSpec;
    kc: KernelCase;
    inputs: TensorData[];
    init?: (TensorData | undefined)[];
    ref: SingleOpResult;
  }
  const prepared: Prepared[] = [];
  spec.cases.forEach((kc, ci) => {
    for (const acc of modes) {
      const rng = new Rng(seed + 7919 * ci + (acc ? 1 : 0));
      const sspec: SingleOpSpec = { op: spec.op, inputShapes: kc.inputShapes, attrs: kc.attrs, acc, misalign: ci % 2 };
      const inputs = (kc.gen ?? defaultGen(spec.op))(rng, kc.inputShapes);
      const init = outputInits(sspec, rng, acc);
      const key = `${kc.name}${c.mode === 'either' ? (acc ? ' +=' : ' =') : ''}${ci % 2 ? ' (misaligned)' : ''}`;
      prepared.push({ key, spec: sspec, kc, inputs, init, ref: undefined as unknown as SingleOpResult });
    }
  });
  // In place (y aliases x) for ops that allow it: first cases and the largest, both modes.
  if (c.aliasOk) {
    const picks = new Set([0, 1, 2, spec.cases.length - 1, spec.cases.length - 2]);
    spec.cases.forEach((kc, ci) => {
      if (!picks.has(ci) || ci < 0) return;
      for (const acc of modes) {
        const rng = new Rng(seed + 104729 * (ci + 1) + (acc ? 1 : 0));
        const sspec: SingleOpSpec = { op: spec.op, inputShapes: kc.inputShapes, attrs: kc.attrs, acc, aliasOutput: true };
        const inputs = (kc.gen ?? defaultGen(spec.op))(rng, kc.inputShapes);
        const key = `${kc.name}${c.mode === 'either' ? (acc ? ' +=' : ' =') : ''} (in place)`;
        prepared.push({ key, spec: sspec, kc, inputs, ref: undefined as unknown as SingleOpResult });
      }
    });
  }

  const refOf = (p: Prepared): SingleOpResult => {
    p.ref ??= runSingleOp(oracle, p.spec, p.inputs.map(clone), p.init?.map((d) => d && clone(d)));
    return p.ref;
  };

  const check = (p: Prepared, got: SingleOpResult, label: string) => {
    const ref = refOf(p);
    const tol: Tolerance = { ...spec.tol, ...p.kc.tol, K: p.kc.K ?? 1 };
    const msgs: string[] = [];
    expect(got.guardErrors, `${label} ${p.key}: guard zones (seed ${seed})`).toEqual([]);
    const mutated = new Set(c.mutates ?? []);
    p.inputs.forEach((d, i) => {
      if (p.spec.aliasOutput && i === 0) return; // overwritten by the output on purpose
      if (mutated.has(i)) {
        const r = compare(got.inputsAfter[i], ref.inputsAfter[i], tol);
        msgs.push(`${c.inputs[i]}: ${r.summary}`);
        expect(r.ok, `${label} ${p.key}: in-place ${c.inputs[i]} ${r.summary} (seed ${seed})`).toBe(true);
      } else {
        const at = bitEqual(got.inputsAfter[i], d);
        expect(at, `${label} ${p.key}: input ${c.inputs[i]} changed at element ${at} (seed ${seed})`).toBe(-1);
      }
    });
    got.outputs.forEach((o, i) => {
      const r = spec.compareOutput ? spec.compareOutput(o, ref.outputs[i], p.inputs, p.kc) : compare(o, ref.outputs[i], tol);
      msgs.push(`${c.outputs[i]}: ${r.summary}`);
      expect(r.ok, `${label} ${p.key}: ${c.outputs[i]} ${r.summary} (seed ${seed})`).toBe(true);
    });
    report.push(`  ${label.padEnd(20)} ${p.key.padEnd(34)} ${msgs.join(' | ')}`);
  };

  describe(`${spec.op} (seed ${seed})`, () => {
    afterAll(() => {
      if (report.length) console.log(`${spec.op}: max errors vs reference\n${report.join('\n')}`);
    });

    describe('reference', () => {
      for (const p of prepared)
        it(`${p.key}: writes every output, keeps guards and inputs`, () => {
          const ref = refOf(p);
          expect(ref.guardErrors).toEqual([]);
          const mutated = new Set(c.mutates ?? []);
          p.inputs.forEach((d, i) => {
            if (!mutated.has(i) && !(p.spec.aliasOutput && i === 0)) expect(bitEqual(ref.inputsAfter[i], d), `input ${c.inputs[i]}`).toBe(-1);
          });
          for (const o of ref.outputs) for (let i = 0; i < o.length; i++) if (!Number.isFinite(o[i])) throw new Error(`reference ${spec.op} ${p.key}: output element ${i} is ${o[i]} (poison not overwritten?)`);
        });
    });

    for (const tb of others) {
      if (!tb.backend) {
        it.skip(`${tb.label}: unavailable — ${tb.reason}`, () => {});
        continue;
      }
      if (!tb.backend.supports(spec.op)) {
        it.skip(`${tb.label}: does not support ${spec.op}`, () => {});
        continue;
      }
      const backend = tb.backend;
      describe(tb.label, () => {
        for (const p of prepared)
          it(p.key, () => {
            const run = () => runSingleOp(backend, p.spec, p.inputs.map(clone), p.init?.map((d) => d && clone(d)));
            const got = tb.around ? tb.around(run) : run();
            check(p, got, tb.label);
          });
      });
    }

    describe('bad input', () => {
      const good = spec.cases[0];
      it('zero and negative sizes → RangeError naming the dimension', () => {
        if (good.inputShapes.length === 0) return;
        const zero = good.inputShapes.map((s, i) => (i === 0 ? s.map((d, j) => (j === 0 ? 0 : d)) : s));
        expect(() => c.shape(zero, good.attrs ?? {})).toThrow(RangeError);
        expect(() => c.shape(zero, good.attrs ?? {})).toThrow(/bad dimension 0/);
        const neg = good.inputShapes.map((s, i) => (i === 0 ? s.map((d, j) => (j === 0 ? -3 : d)) : s));
        expect(() => c.shape(neg, good.attrs ?? {})).toThrow(/bad dimension -3/);
        const frac = good.inputShapes.map((s, i) => (i === 0 ? s.map((d, j) => (j === 0 ? 1.5 : d)) : s));
        expect(() => c.shape(frac, good.attrs ?? {})).toThrow(RangeError);
      });
      it('wrong number of inputs → RangeError', () => {
        expect(() => c.shape([...good.inputShapes, [1]], good.attrs ?? {})).toThrow(RangeError);
        expect(() => c.shape([...good.inputShapes, [1]], good.attrs ?? {})).toThrow(new RegExp(`${spec.op}: expected`));
      });
      it('wrong typed array type or length → TypeError / RangeError before any kernel runs', () => {
        const rng = new Rng(seed);
        const inputs = (good.gen ?? defaultGen(spec.op))(rng, good.inputShapes);
        if (inputs.length === 0) return;
        const sspec: SingleOpSpec = { op: spec.op, inputShapes: good.inputShapes, attrs: good.attrs };
        const wrongType = inputs.map((d, i) => (i === 0 ? (d instanceof Int32Array ? new Float32Array(d.length) : new Float64Array(d.length)) : d));
        expect(() => runSingleOp(oracle, sspec, wrongType as TensorData[])).toThrow(TypeError);
        expect(() => runSingleOp(oracle, sspec, wrongType as TensorData[])).toThrow(/input 0 must be a/);
        const short = inputs.map((d, i) => (i === 0 ? d.slice(0, Math.max(0, d.length - 1)) : d));
        if (inputs[0].length > 0) expect(() => runSingleOp(oracle, sspec, short)).toThrow(/input 0 has \d+ elements, expected/);
      });
      for (const b of spec.bad ?? [])
        it(`${b.name} → ${(b.type ?? RangeError).name}`, () => {
          expect(() => c.shape(b.inputShapes, b.attrs ?? {})).toThrow(b.type ?? RangeError);
          expect(() => c.shape(b.inputShapes, b.attrs ?? {})).toThrow(b.error);
        });
    });
  });
}
