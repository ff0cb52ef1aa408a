/**
 * The shape of an op contract. One file per op in src/ops exports one `OpContract`; the op id
 * (snake_case) is the same in src/ops, src/backends/reference, native/kernels, the tape opcode,
 * test/kernels and the benchmarks.
 *
 * All shape logic lives here, above the kernels: kernels receive pointers and integers only.
 */

/** A tensor shape, row-major, NCHW for images. */
export type Shape = readonly number[];

/** Attributes of an op: plain numbers, booleans and number arrays only (they go on the tape). */
export type Attrs = Record<string, number | boolean | readonly number[] | undefined>;

export interface OpContract<A extends Attrs = Attrs> {
  /** snake_case op id. */
  readonly id: string;
  /** Names of the inputs, in kernel argument order. */
  readonly inputs: readonly string[];
  /** Names of the outputs. */
  readonly outputs: readonly string[];
  /** Whether the kernel can accumulate into its output (`+=`) as well as overwrite (`=`). */
  readonly accumulates: boolean;
  /**
   * Output shapes from input shapes and attributes. Throws a RangeError naming the op, the
   * argument, the shape seen and the shape expected when the inputs do not fit.
   */
  shape(inputs: readonly Shape[], attrs: A): Shape[];
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
