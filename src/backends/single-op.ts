/**
 * Single-op programs: a one-instruction tape for one op, with its inputs and outputs laid out in
 * an arena between guard zones. Kernel tests and `lamkit bench kernels` run ops this way, so
 * every backend is exercised through the same executor (tape decode + dispatch) it uses for
 * training, and guard zones catch any write outside a tensor.
 *
 * Layout: [guard][in0][guard][in1]…[out0][guard]…, each tensor aligned to `align` floats
 * (default 16 = 64 bytes; `misalign` shifts every tensor by that many floats to test unaligned
 * paths). Guards hold a fixed bit pattern that is checked bit-exactly after the run.
 */
import { type Attrs, type DType, type Shape, fmtShape, numel } from '../ops/contract.js';
import { getOp } from '../ops/index.js';
import { encodeInstruction } from '../ops/tape.js';
import type { Backend, Executable, TapeProgram } from './types.js';

/** Bits of one guard float: a normal float (≈1.43e7) so no engine canonicalises it like a NaN. */
export const GUARD_BITS = 0x4b5a5a5a;
/** Poison for int32 `=` outputs. */
export const POISON_I32 = -1234567;

export type TensorData = Float32Array | Int32Array;

export interface SingleOpSpec {
  op: string;
  inputShapes: readonly Shape[];
  attrs?: Attrs;
  /** `+=` for ops with mode `either`. */
  acc?: boolean;
  /** Guard floats around every tensor (default 16). */
  guard?: number;
  /** Tensor alignment in floats (default 16). */
  align?: number;
  /** Extra float offset added to every tensor (tests unaligned kernels), default 0. */
  misalign?: number;
  /**
   * Place output 0 on input 0 (in-place y = f(x, …)); only for ops whose contract says
   * `aliasOk` and whose output 0 has input 0's size. Input 0 then reads back as the output.
   */
  aliasOutput?: boolean;
}

export interface SingleOpLayout {
  program: TapeProgram;
  inputOffsets: number[];
  outputOffsets: number[];
  inputTypes: DType[];
  outputShapes: Shape[];
  outputTypes: DType[];
  /** [offset, length] of every guard zone. */
  guards: [number, number][];
}

function typeOk(t: DType, d: unknown): boolean {
  return t === 'i32' ? d instanceof Int32Array : d instanceof Float32Array;
}

function typeName(t: DType): string {
  return t === 'i32' ? 'Int32Array' : 'Float32Array';
}

/** Plans the arena and the one-instruction tape (throws the contract's shape errors). */
export function planSingleOp(spec: SingleOpSpec): SingleOpLayout {
  const c = getOp(spec.op);
  const attrs = spec.attrs ?? {};
  const outputShapes = c.shape(spec.inputShapes, attrs);
  const operands = c.encode(spec.inputShapes, attrs, spec.acc ?? false);
  const guard = spec.guard ?? 16;
  const align = spec.align ?? 16;
  const mis = spec.misalign ?? 0;
  if (!Number.isInteger(guard) || guard < 0) throw new RangeError(`single-op: guard must be an integer ≥ 0, got ${guard}`);
  if (!Number.isInteger(align) || align < 1) throw new RangeError(`single-op: align must be an integer ≥ 1, got ${align}`);
  const guards: [number, number][] = [];
  let at = 0;
  const place = (n: number): number => {
    const start = Math.ceil((at + guard) / align) * align + mis;
    guards.push([at, start - at]);
    at = start + n;
    return start;
  };
  const inputOffsets = spec.inputShapes.map((s) => place(numel(s)));
  if (spec.aliasOutput) {
    if (!c.aliasOk) throw new RangeError(`single-op: ${spec.op} does not allow its output to alias an input`);
    if (numel(outputShapes[0]) !== numel(spec.inputShapes[0]))
      throw new RangeError(`single-op: ${spec.op} output ${fmtShape(outputShapes[0])} cannot alias input ${fmtShape(spec.inputShapes[0])}`);
  }
  const outputOffsets = outputShapes.map((s, i) => (spec.aliasOutput && i === 0 ? inputOffsets[0] : place(numel(s))));
  guards.push([at, guard]);
  at += guard;
  const tape = Int32Array.from(encodeInstruction(c.opcode, operands, inputOffsets, outputOffsets));
  return {
    program: { tape, arenaFloats: Math.max(at, 1), feedFloatsPerStep: 0, outFloatsPerStep: 0 },
    inputOffsets,
    outputOffsets,
    inputTypes: spec.inputShapes.map((_, i) => c.inputTypes?.[i] ?? 'f32'),
    outputShapes,
    outputTypes: outputShapes.map((_, i) => c.outputTypes?.[i] ?? 'f32'),
    guards: guards.filter(([, n]) => n > 0),
  };
}

const asF32 = (d: TensorData): Float32Array => (d instanceof Float32Array ? d : new Float32Array(d.buffer, d.byteOffset, d.length));

/** A compiled single-op program with its data written; `run` can be called repeatedly (benchmarks). */
export interface PreparedOp {
  layout: SingleOpLayout;
  exe: Executable;
  /** Runs the instruction `steps` times (default 1). */
  run(steps?: number): void;
  /** Outputs, in their element types. */
  outputs(): TensorData[];
  /** Inputs as they are now (in-place ops update some). */
  inputs(): TensorData[];
  /** Guard zones that changed: "guard [a,b) word i: 0x… ≠ 0x…" (empty = intact). */
  guardErrors(): string[];
  dispose(): void;
}

/**
 * Compiles the op on `backend`, writes guards, inputs and the initial outputs (`outputInit[i]`,
 * else NaN / POISON_I32 so an `=` kernel that reads its output shows up).
 */
export function prepareSingleOp(backend: Backend, spec: SingleOpSpec, inputs: readonly TensorData[], outputInit?: readonly (TensorData | undefined)[]): PreparedOp {
  const layout = planSingleOp(spec);
  const op = spec.op;
  if (!Array.isArray(inputs) || inputs.length !== spec.inputShapes.length)
    throw new RangeError(`${op}: expected ${spec.inputShapes.length} input arrays, got ${Array.isArray(inputs) ? inputs.length : typeof inputs}`);
  inputs.forEach((d, i) => {
    const t = layout.inputTypes[i];
    if (!typeOk(t, d)) throw new TypeError(`${op}: input ${i} must be a ${typeName(t)}, got ${Object.prototype.toString.call(d)}`);
    const n = numel(spec.inputShapes[i]);
    if (d.length !== n) throw new RangeError(`${op}: input ${i} has ${d.length} elements, expected ${n} for shape ${fmtShape(spec.inputShapes[i])}`);
  });
  outputInit?.forEach((d, i) => {
    if (d === undefined) return;
    const t = layout.outputTypes[i];
    if (!typeOk(t, d)) throw new TypeError(`${op}: outputInit ${i} must be a ${typeName(t)}, got ${Object.prototype.toString.call(d)}`);
    const n = numel(layout.outputShapes[i]);
    if (d.length !== n) throw new RangeError(`${op}: outputInit ${i} has ${d.length} elements, expected ${n} for shape ${fmtShape(layout.outputShapes[i])}`);
  });
  const exe = backend.compile(layout.program);
  const arena = new Float32Array(layout.program.arenaFloats);
  const bits = new Uint32Array(arena.buffer);
  for (const [o, n] of layout.guards) bits.fill(GUARD_BITS, o, o + n);
  inputs.forEach((d, i) => arena.set(asF32(d), layout.inputOffsets[i]));
  layout.outputShapes.forEach((s, i) => {
    if (spec.aliasOutput && i === 0) return; // it is input 0
    const init = outputInit?.[i];
    const o = layout.outputOffsets[i];
    if (init) arena.set(asF32(init), o);
    else if (layout.outputTypes[i] === 'i32') new Int32Array(arena.buffer).fill(POISON_I32, o, o + numel(s));
    else arena.fill(NaN, o, o + numel(s));
  });
  exe.writeArena(0, arena);
  const read = (offs: number[], shapes: readonly Shape[], types: DType[]): TensorData[] =>
    offs.map((o, i) => {
      const f = exe.readArena(o, numel(shapes[i]));
      return types[i] === 'i32' ? new Int32Array(f.buffer, f.byteOffset, f.length) : f;
    });
  return {
    layout,
    exe,
    run(steps = 1) {
      exe.run(null, { steps });
    },
    outputs: () => read(layout.outputOffsets, layout.outputShapes, layout.outputTypes),
    inputs: () => read(layout.inputOffsets, spec.inputShapes, layout.inputTypes),
    guardErrors() {
      const errs: string[] = [];
      for (const [o, n] of layout.guards) {
        const g = new Uint32Array(exe.readArena(o, n).buffer);
        for (let i = 0; i < n; i++)
          if (g[i] !== GUARD_BITS) {
            errs.push(`guard [${o},${o + n}) word ${i}: 0x${g[i].toString(16)} ≠ 0x${GUARD_BITS.toString(16)}`);
            break;
          }
      }
      return errs;
    },
    dispose: () => exe.dispose(),
  };
}

export interface SingleOpResult {
  outputs: TensorData[];
  /** Inputs after the run (in-place ops update param/state; others must be unchanged). */
  inputsAfter: TensorData[];
  guardErrors: string[];
  layout: SingleOpLayout;
}

/** Runs one op once on `backend` and reads everything back. */
export function runSingleOp(backend: Backend, spec: SingleOpSpec, inputs: readonly TensorData[], outputInit?: readonly (TensorData | undefined)[]): SingleOpResult {
  const p = prepareSingleOp(backend, spec, inputs, outputInit);
  try {
    p.run(1);
    return { outputs: p.outputs(), inputsAfter: p.inputs(), guardErrors: p.guardErrors(), layout: p.layout };
  } finally {
    p.dispose();
  }
}
