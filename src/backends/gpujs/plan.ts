/**
 * The gpu.js tape interpreter, modelled on ReferencePlan (src/backends/reference/executor.ts):
 * the tape is decoded and validated once (decodeTape), each instruction is bound to a closure,
 * and run() executes N steps over one Float32Array arena that persists between runs.
 *
 * Ops with a gpu.js kernel (./kernels) call a compiled kernel (cached per op + shape by the
 * backend) on arena views and copy its flat result into the output range — the copy makes
 * in-place ops (y aliasing x) safe. Every other op (reductions, optimisers, losses, VQ,
 * gather/scatter, fill) runs the reference kernel on the same arena: those are small,
 * data-dependent or sequential, and not worth a GPU round trip.
 */
import { opByOpcode } from '../../ops/index.js';
import { SPECIAL_OPCODES } from '../../ops/opcodes.js';
import { type Instruction, decodeTape } from '../../ops/tape.js';
import { TapeRunError } from '../reference/executor.js';
import { REFERENCE_KERNELS, type RefKernel } from '../reference/index.js';
import { GPU_KERNELS } from './kernels/index.js';
import type { GpuKernelDef } from './kernels/types.js';

/** A compiled gpu.js kernel as the plan calls it. */
export type CompiledKernel = (...args: Float32Array[]) => unknown;

/** Returns the compiled kernel for a definition and its operands (cached by the caller). */
export type KernelProvider = (def: GpuKernelDef, args: readonly number[]) => CompiledKernel;

type Bound = (step: number, feeds: Float32Array | null, feedStride: number, outputs: Float32Array | null, outStride: number) => void;

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
  readonly arena: Float32Array;
  private readonly ints: Int32Array;
  private readonly program: Bound[];
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
    if (!Number.isInteger(arenaFloats) || arenaFloats < 1) throw new RangeError(`arenaFloats must be a positive integer, got ${arenaFloats}`);
    const list = decodeTape(tape, arenaFloats, feedFloatsPerStep, outFloatsPerStep);
    this.arena = new Float32Array(arenaFloats);
    this.ints = new Int32Array(this.arena.buffer);
    this.program = list.map((ins) => this.bind(ins));
  }

  /** Runs `steps` steps (see Executable.run); throws TapeRunError with .step on a failed check. */
  run(feeds: Float32Array | null, feedStride: number, outputs: Float32Array | null, outStride: number, steps: number): void {
    for (let s = 0; s < steps; s++) for (const f of this.program) f(s, feeds, feedStride, outputs, outStride);
  }

  private bind(ins: Instruction): Bound {
    const a = ins.args;
    const arena = this.arena;
    const ints = this.ints;
    switch (ins.opcode) {
      case SPECIAL_OPCODES.FEED: {
        const [dst, off, n] = a;
        return (step, feeds, fs) => {
          if (!feeds) throw new TapeRunError(`step ${step}: the tape feeds ${n} floats but no feeds were given`, step);
          arena.set(feeds.subarray(step * fs + off, step * fs + off + n), dst);
        };
      }
      case SPECIAL_OPCODES.OUTPUT: {
        const [src, off, n] = a;
        return (step, _f, _fs, outputs, os) => {
          if (!outputs) throw new TapeRunError(`step ${step}: the tape outputs ${n} floats but no output buffer was given`, step);
          outputs.set(arena.subarray(src, src + n), step * os + off);
        };
      }
      case SPECIAL_OPCODES.STEP_INCREMENT: {
        const [ptr] = a;
        return () => {
          ints[ptr] = ints[ptr] + 1;
        };
      }
      case SPECIAL_OPCODES.CHECK_FINITE: {
        const [ptr, n, tag] = a;
        return (step) => {
          for (let i = 0; i < n; i++) {
            const v = arena[ptr + i];
            if (!Number.isFinite(v)) throw new TapeRunError(`step ${step}: non-finite value ${v} in tensor tag ${tag} at element ${i} (arena offset ${ptr + i})`, step);
          }
        };
      }
    }
    const c = opByOpcode(ins.opcode)!;
    const ext = c.extents(a);
    const def = GPU_KERNELS[c.id as keyof typeof GPU_KERNELS];
    const refKernel: RefKernel = REFERENCE_KERNELS[c.id as keyof typeof REFERENCE_KERNELS];
    const args: unknown[] = a.map((v, i) => {
      switch (ins.kinds[i]) {
        case 'f32*':
          return arena.subarray(v, v + ext[i]);
        case 'f32*?':
          return v === -1 ? null : arena.subarray(v, v + ext[i]);
        case 'i32*':
          return ints.subarray(v, v + ext[i]);
        default:
          return v;
      }
    });
    const kernel = refKernel;
    if (def) {
      this.counts.gpu++;
      const views = def.reads(a).map((i) => arena.subarray(a[i], a[i] + ext[i]));
      const at = a[def.out];
      const n = def.size(a);
      let gpu: CompiledKernel | undefined;
      try {
        gpu = this.kernels(def, a);
      } catch (e) {
        this.fallback(c.id, e);
      }
      // gpu.js compiles GL shaders on the first call: a driver that rejects one (or a kernel
      // that throws) moves this instruction to the reference kernel, recorded in `fallbacks`,
      // before any output is written, so the step's result is still right.
      return () => {
        if (gpu) {
          try {
            store(arena, at, n, gpu(...views));
            return;
          } catch (e) {
            gpu = undefined;
            this.fallback(c.id, e);
          }
        }
        refKernel(...args);
      };
    }
    this.counts.reference++;
    if (c.id === 'adam_update') {
      const counter = a[11];
      const head = args.slice(0, 11);
      return (step) => {
        const t = ints[counter];
        if (t < 1) throw new TapeRunError(`step ${step}: adam_update step counter is ${t}; a STEP_INCREMENT must run first`, step);
        kernel(...head, t);
      };
    }
    if (c.id === 'gather_rows' || c.id === 'scatter_add_rows') {
      const idx = args[1] as Int32Array;
      const K = a[5];
      const kargs = args.slice(0, 5);
      return (step) => {
        for (let i = 0; i < idx.length; i++)
          if (idx[i] < 0 || idx[i] >= K) throw new TapeRunError(`step ${step}: ${c.id} index ${idx[i]} at row ${i} is outside [0, ${K})`, step);
        kernel(...kargs);
      };
    }
    return () => kernel(...args);
  }
}
