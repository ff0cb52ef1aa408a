/**
 * How one tape op maps onto a gpu.js kernel: which pointer arguments it reads (arena views, in
 * the kernel function's parameter order), which pointer it writes and how many floats, and the
 * shape integers baked in as constants. gpu.js compiles a kernel per constant set, so the
 * backend caches one compiled kernel per `key` (op + constants).
 *
 * Every kernel writes a flat 1-D output (thread.x = element index): that is what the arena
 * needs, and gpu.js folds 1-D outputs onto a 2-D texture under WebGL by itself. Indices are
 * decomposed with floor((i + 0.5) / d), which stays exact under GL float division.
 */
import type { OpId } from '../../../ops/opcodes.js';

/** `this` inside a gpu.js kernel function (the fields lamkit's kernels use). */
export interface KernelThis {
  thread: { x: number; y: number; z: number };
  constants: Record<string, number>;
}

/** A kernel body in gpu.js's JavaScript subset. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type KernelSource = (this: KernelThis, ...args: any[]) => number;

export interface GpuKernelDef {
  id: OpId;
  source: KernelSource;
  /** Pointer-argument indices (tape operand order) passed to `source`, in its parameter order. */
  reads(a: readonly number[]): number[];
  /** Operand index of the output pointer. */
  out: number;
  /** Output floats. */
  size(a: readonly number[]): number;
  /** Shape integers / floats baked into the compiled kernel. */
  constants(a: readonly number[]): Record<string, number>;
}
