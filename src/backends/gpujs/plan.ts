/**
 * The gpu.js tape interpreter: ReferencePlan (src/backends/reference/executor.ts) with the ops
 * that have a gpu.js kernel rebound to it, so decoding, validation, the special opcodes and the
 * run loop are the reference interpreter's own.
 *
 * Ops with a gpu.js kernel (./kernels) call a compiled kernel (cached per op + shape by the
 * backend) on arena views and copy its flat result into the output range — the copy makes
 * in-place ops (y aliasing x) safe. Every other op (reductions, optimisers, losses, VQ,
 * gather/scatter, fill) runs the reference kernel on the same arena: those are small,
 * data-dependent or sequential, and not worth a GPU round trip.
 */
import { type Instruction, decodeTape } from '../../ops/tape.js';
import { type Bound, ReferencePlan } from '../reference/executor.js';
import { GPU_KERNELS } from './kernels/index.js';
import type { GpuKernelDef } from './kernels/types.js';
import { unfuseConvBiasAct } from './unfuse.js';

/** A compiled gpu.js kernel as the plan calls it. */
export type CompiledKernel = (...args: Float32Array[]) => unknown;

/** Returns the compiled kernel for a definition and its operands (cached by the caller). */
export type KernelProvider = (def: GpuKernelDef, args: readonly number[]) => CompiledKernel;

/** Copies a gpu.js result (flat typed array, or nested rows) into arena[at …]. */
function store(arena: Float32Array, at: number, n: number, r: unknown): void {
  if (r instanceof Float32Array) {
    if (r.length < n) throw new Error(`gpujs: kernel returned ${r.length} floats, expected ${n}`);
    arena.set(r.length === n ? r : r.subarray(0, n), at);
    return;
  }
  if (Array.isArray(r) || ArrayBuffer.isView(r)) {
    const a = Array.from(r as ArrayLike<number>);
    if (a.length < n) throw new Error(`gpujs: kernel returned ${a.length} values, expected ${n}`);
    for (let i = 0; i < n; i++) arena[at + i] = a[i];
    return;
  }
  throw new Error(`gpujs: kernel returned ${Object.prototype.toString.call(r)}, expected a Float32Array`);
}

export class GpujsPlan {
  private readonly plan: ReferencePlan;
  /** Instructions run by a gpu.js kernel / by a reference kernel (for info and tests). */
  readonly counts = { gpu: 0, reference: 0 };
  /** Ops whose gpu.js kernel failed to build or run and now use the reference kernel, with why. */
  readonly fallbacks: { op: string; reason: string }[] = [];

  private fallback(op: string, e: unknown): void {
    this.fallbacks.push({ op, reason: (e as Error)?.message ?? String(e) });
    this.onFallback?.(op, (e as Error)?.message ?? String(e));
  }

  constructor(
    tape: Int32Array,
    arenaFloats: number,
    feedFloatsPerStep: number,
    outFloatsPerStep: number,
    private readonly kernels: KernelProvider,
    private readonly onFallback?: (op: string, reason: string) => void,
  ) {
    // Validate the tape as given (errors name its own words), then run the fused conv as its parts.
    decodeTape(tape, arenaFloats, feedFloatsPerStep, outFloatsPerStep);
    this.plan = new ReferencePlan(unfuseConvBiasAct(tape), arenaFloats, feedFloatsPerStep, outFloatsPerStep, (op, ins, ext, arena, reference) =>
      this.bindGpu(op, ins, ext, arena, reference),
    );
  }

  /** The resident arena (parameters, optimiser state). */
  get arena(): Float32Array {
    return this.plan.arena;
  }

  /** Runs `steps` steps (see Executable.run); throws TapeRunError with .step on a failed check. */
  run(feeds: Float32Array | null, feedStride: number, outputs: Float32Array | null, outStride: number, steps: number): void {
    this.plan.run(feeds, feedStride, outputs, outStride, steps);
  }

  private bindGpu(op: string, ins: Instruction, ext: readonly number[], arena: Float32Array, reference: Bound): Bound | undefined {
    const def = GPU_KERNELS[op as keyof typeof GPU_KERNELS];
    if (!def) {
      this.counts.reference++;
      return undefined;
    }
    this.counts.gpu++;
    const a = ins.args;
    const views = def.reads(a).map((i) => arena.subarray(a[i], a[i] + ext[i]));
    const at = a[def.out];
    const n = def.size(a);
    let gpu: CompiledKernel | undefined;
    try {
      gpu = this.kernels(def, a);
    } catch (e) {
      this.fallback(op, e);
    }
    // gpu.js compiles GL shaders on the first call: a driver that rejects one (or a kernel
    // that throws) moves this instruction to the reference kernel, recorded in `fallbacks`,
    // before any output is written, so the step's result is still right.
    return (step, feeds, fs, outputs, os) => {
      if (gpu) {
        try {
          store(arena, at, n, gpu(...views));
          return;
        } catch (e) {
          gpu = undefined;
          this.fallback(op, e);
        }
      }
      reference(step, feeds, fs, outputs, os);
    };
  }
}
