/**
 * The shape of an op contract. One file per op in src/ops exports one `OpContract`; the op id
 * (snake_case) is the same in src/ops, src/backends/reference, native/kernels, the tape opcode,
 * test/kernels and the benchmarks.
 *
 * All shape logic lives here, above the kernels: kernels receive pointers and integers only.
 *
 * Tape encoding (see native/include/lamkit/executor.h): a contract's `encode()` lists the
 * kernel's arguments in kernels.h order as operands; the planner resolves `in`/`out` pointer
 * slots to arena offsets and turns floats into IEEE bits (src/ops/tape.ts does both).
 * `signature` describes the same argument list by kind so that generic code (the reference
 * interpreter, tape validation, the single-op helper) can decode a tape without per-op code.
 */

/** A tensor shape, row-major, NCHW for images. */
export type Shape = readonly number[];

/** Attributes of an op: plain numbers, booleans and number arrays only (they go on the tape). */
export type Attrs = Record<string, number | boolean | readonly number[] | undefined>;

/** Element type of a tensor in the arena: float32, or int32 stored bit-for-bit in a float slot. */
export type DType = 'f32' | 'i32';

/** One tape operand before resolution, in kernel-argument order. */
export type Operand =
  | { kind: 'in'; index: number }
  | { kind: 'out'; index: number }
  | { kind: 'int'; value: number }
  | { kind: 'float'; value: number }
  /** A NULL pointer slot (e.g. mse's absent mask): encoded as −1. */
  | { kind: 'null' };

/**
 * Kind of one kernel argument on the tape:
 * `f32*` / `i32*` a pointer (arena offset), `f32*?` a pointer that may be NULL (−1),
 * `int` an integer (int or int64_t in C), `float` a float (IEEE bits on the tape).
 */
export type ArgKind = 'f32*' | 'f32*?' | 'i32*' | 'int' | 'float';

/**
 * How an op writes its outputs:
 * - `overwrite`: `=` only (no acc argument);
 * - `either`: `=` or `+=` chosen by the trailing `acc` argument;
 * - `accumulate`: always `+=` (scatter_add_rows);
 * - `partial`: writes only part of its output and leaves the rest untouched (concat_part);
 * - `inplace`: no outputs; updates the inputs listed in `mutates` (optimisers).
 */
export type WriteMode = 'overwrite' | 'either' | 'accumulate' | 'partial' | 'inplace';

export interface OpContract<A extends Attrs = Attrs> {
  /** snake_case op id. */
  readonly id: string;
  /** Tape opcode (src/ops/opcodes.ts, native/include/lamkit/opcodes.h). */
  readonly opcode: number;
  /** Names of the inputs, in kernel argument order. */
  readonly inputs: readonly string[];
  /** Inputs that may be left out (trailing ones only, e.g. mse's mask). */
  readonly optionalInputs?: number;
  /** Names of the outputs. */
  readonly outputs: readonly string[];
  /** Element types of the inputs / outputs (default all f32). */
  readonly inputTypes?: readonly DType[];
  readonly outputTypes?: readonly DType[];
  /** Whether the kernel can accumulate into its output (`+=`) as well as overwrite (`=`). */
  readonly accumulates: boolean;
  /** How the outputs are written (see WriteMode). */
  readonly mode: WriteMode;
  /** For `inplace` ops: indices of the inputs the kernel updates. */
  readonly mutates?: readonly number[];
  /** Whether an output may share its buffer with the first input (y = f(x) in place). */
  readonly aliasOk?: boolean;
  /** Kernel arguments by kind, in kernels.h order (tape form: adam's `t` is an `i32*`). */
  readonly signature: readonly ArgKind[];
  /**
   * Element extent of each pointer argument given the decoded argument values (`args[i]` is the
   * integer or float value of argument i; pointer slots hold their offsets). Returns one entry per
   * argument; non-pointer entries are 0. Used to validate a tape against the arena.
   */
  extents(args: readonly number[]): number[];
  /**
   * Extra checks of decoded argument values beyond kinds and extents (e.g. a stride that must be
   * ≥ 1, an enum code): a message saying what is wrong, or null. The C executor checks the same.
   */
  checkArgs?(args: readonly number[]): string | null;
  /**
   * Output shapes from input shapes and attributes. Throws a RangeError naming the op, the
   * argument, the shape seen and the shape expected when the inputs do not fit.
   */
  shape(inputs: readonly Shape[], attrs: A): Shape[];
  /**
   * The kernel's arguments in kernels.h order for these shapes (validated by `shape`).
   * `acc` selects `+=` for ops with mode `either` and is ignored otherwise.
   */
  encode(inputs: readonly Shape[], attrs: A, acc: boolean): Operand[];
  /** Floating-point operations for one call. */
  flops(inputs: readonly Shape[], attrs: A): number;
  /** Bytes moved (inputs read + outputs written, float32) for one call, ignoring caches. */
  bytes(inputs: readonly Shape[], attrs: A): number;
}

/** Number of elements of a shape. */
export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** "[2,3,4]" — how shapes appear in error messages. */
export function fmtShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

// ---- helpers for the op files ------------------------------------------------------------

/** Largest size a tape integer may hold. */
export const MAX_SIZE = 2 ** 31 - 1;

/** Operand shorthands for encode(). */
export const inp = (index: number): Operand => ({ kind: 'in', index });
export const out = (index: number): Operand => ({ kind: 'out', index });
export const int = (value: number): Operand => ({ kind: 'int', value });
export const flt = (value: number): Operand => ({ kind: 'float', value });
export const accOp = (acc: boolean): Operand => ({ kind: 'int', value: acc ? 1 : 0 });

/**
 * Checks the number of inputs and that every input shape is a list of positive integers.
 * Throws RangeError/TypeError naming the op and the argument.
 */
export function checkInputs(op: string, names: readonly string[], inputs: readonly Shape[], optional = 0): void {
  if (!Array.isArray(inputs)) throw new TypeError(`${op}: inputs must be an array of shapes, got ${typeof inputs}`);
  const min = names.length - optional;
  if (inputs.length < min || inputs.length > names.length) {
    const exp = optional ? `${min}..${names.length}` : `${names.length}`;
    throw new RangeError(`${op}: expected ${exp} inputs (${names.join(', ')}), got ${inputs.length}`);
  }
  inputs.forEach((s, i) => checkShape(op, names[i], s));
}

/** Checks one shape: an array of positive integers below 2^31, total below 2^31. */
export function checkShape(op: string, name: string, s: Shape): void {
  if (!Array.isArray(s)) throw new TypeError(`${op}: ${name} shape must be an array of integers, got ${String(s)}`);
  for (const d of s) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > MAX_SIZE)
      throw new RangeError(`${op}: ${name} shape ${fmtShape(s)} has a bad dimension ${String(d)}; expected positive integers ≤ 2^31−1`);
  }
  if (numel(s) > MAX_SIZE) throw new RangeError(`${op}: ${name} shape ${fmtShape(s)} has ${numel(s)} elements; expected at most 2^31−1`);
}

/** Checks the rank of an input. */
export function checkRank(op: string, name: string, s: Shape, rank: number, layout: string): void {
  if (s.length !== rank)
    throw new RangeError(`${op}: ${name} must be rank ${rank} ${layout}, got ${fmtShape(s)}`);
}

/** Checks that an input has exactly the expected shape. */
export function checkSame(op: string, name: string, s: Shape, expected: Shape): void {
  if (s.length !== expected.length || s.some((d, i) => d !== expected[i]))
    throw new RangeError(`${op}: ${name} has shape ${fmtShape(s)}, expected ${fmtShape(expected)}`);
}

/** Reads a numeric attribute (with default), checking it is a finite number (integer if asked). */
export function numAttr(op: string, attrs: Attrs, name: string, fallback: number | undefined, opts: { integer?: boolean; min?: number } = {}): number {
  const v = attrs?.[name];
  if (v === undefined) {
    if (fallback === undefined) throw new RangeError(`${op}: attribute ${name} is required`);
    return fallback;
  }
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${op}: attribute ${name} must be a finite number, got ${String(v)}`);
  if (opts.integer && !Number.isInteger(v)) throw new RangeError(`${op}: attribute ${name} must be an integer, got ${v}`);
  if (opts.min !== undefined && v < opts.min) throw new RangeError(`${op}: attribute ${name} must be ≥ ${opts.min}, got ${v}`);
  return v;
}

/** Reads a boolean attribute (numbers 0/1 accepted). */
export function boolAttr(op: string, attrs: Attrs, name: string, fallback: boolean): boolean {
  const v = attrs?.[name];
  if (v === undefined) return fallback;
  if (typeof v === 'boolean') return v;
  if (v === 0 || v === 1) return v === 1;
  throw new TypeError(`${op}: attribute ${name} must be a boolean, got ${String(v)}`);
}

/** Reads a pair attribute (number → [v,v], or [a,b]) of integers ≥ min. */
export function pairAttr(op: string, attrs: Attrs, name: string, fallback: number, min: number): [number, number] {
  const v = attrs?.[name];
  let p: [number, number];
  if (v === undefined) p = [fallback, fallback];
  else if (typeof v === 'number') p = [v, v];
  else if (Array.isArray(v) && v.length === 2) p = [v[0] as number, v[1] as number];
  else throw new TypeError(`${op}: attribute ${name} must be a number or [h, w], got ${JSON.stringify(v)}`);
  for (const x of p)
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min)
      throw new RangeError(`${op}: attribute ${name} must hold integers ≥ ${min}, got ${JSON.stringify(v)}`);
  return p;
}

/** Reads an integer-list attribute (a shape). */
export function shapeAttr(op: string, attrs: Attrs, name: string): number[] {
  const v = attrs?.[name];
  if (!Array.isArray(v)) throw new RangeError(`${op}: attribute ${name} (a shape) is required, got ${JSON.stringify(v)}`);
  checkShape(op, name, v as number[]);
  return [...(v as number[])];
}

/** Product of the dims from `from` on (the spatial size S of [N, C, ...S]). */
export function tailSize(s: Shape, from: number): number {
  let n = 1;
  for (let i = from; i < s.length; i++) n *= s[i];
  return n;
}

/** Extents helper: zero for non-pointers. */
export function ext(n: number, entries: Record<number, number>): number[] {
  const e = new Array<number>(n).fill(0);
  for (const [k, v] of Object.entries(entries)) e[Number(k)] = v;
  return e;
}
