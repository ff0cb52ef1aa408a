/**
 * Reference tape interpreter: runs a tape (native/include/lamkit/executor.h) over a Float32Array
 * arena for N steps, calling the TypeScript reference kernels. Same semantics as the C++ executor:
 *   - the tape is validated once at creation (src/ops/tape.ts decodeTape),
 *   - step i reads feeds[i·feedStride …] (FEED) and writes outputs[i·outStride …] (OUTPUT),
 *   - STEP_INCREMENT bumps an int32 counter in the arena; adam_update reads it as t,
 *   - CHECK_FINITE stops the run with a TapeRunError naming the step and tag,
 *   - gather_rows / scatter_add_rows check every index against K before running.
 * The arena persists between runs (parameters and optimiser state stay resident).
 */
import { opByOpcode } from '../../ops/index.js';
import { SPECIAL_OPCODES } from '../../ops/opcodes.js';
import { type Instruction, decodeTape } from '../../ops/tape.js';
import { REFERENCE_KERNELS, type RefKernel } from './index.js';

/** A run failed at a step (CHECK_FINITE, an index out of range). */
export class TapeRunError extends Error {
  override name = 'TapeRunError';
  constructor(
    message: string,
    /** 0-based step of the run that failed. */
    readonly step: number,
  ) {
    super(message);
  }
}

/** One bound instruction: runs it for step `step` of a run. */
export type Bound = (step: number, feeds: Float32Array | null, feedStride: number, outputs: Float32Array | null, outStride: number) => void;

/**
 * Lets another interpreter (gpu.js) reuse this one and replace how some ops run: called once per
 * op instruction with the reference binding; return a replacement, or undefined to keep it.
 */
export type OpOverride = (op: string, ins: Instruction, extents: readonly number[], arena: Float32Array, reference: Bound) => Bound | undefined;

export class ReferencePlan {
  readonly arena: Float32Array;
  private readonly ints: Int32Array;
  private readonly program: Bound[];

  /**
   * @param tape int32 words; validated here (throws RangeError naming the bad instruction).
   * @param arenaFloats arena size in floats (zero-filled).
   * @param feedFloatsPerStep / outFloatsPerStep bounds for FEED / OUTPUT ranges.
   * @param override replaces how chosen ops run (special opcodes always run here).
   */
  constructor(
    tape: Int32Array,
    arenaFloats: number,
    feedFloatsPerStep = Infinity,
    outFloatsPerStep = Infinity,
    private readonly override?: OpOverride,
  ) {
    if (!Number.isInteger(arenaFloats) || arenaFloats < 1) throw new RangeError(`arenaFloats must be a positive integer, got ${arenaFloats}`);
    const list = decodeTape(tape, arenaFloats, feedFloatsPerStep, outFloatsPerStep);
    this.arena = new Float32Array(arenaFloats);
    this.ints = new Int32Array(this.arena.buffer);
    this.program = list.map((ins) => this.bind(ins));
  }

  /**
   * Runs `steps` steps. feeds holds ≥ steps·feedStride floats (or null when the tape has no
   * FEED), outputs ≥ steps·outStride. Throws TapeRunError (with .step) on a failed check.
   */
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
    const kernel: RefKernel = REFERENCE_KERNELS[c.id as keyof typeof REFERENCE_KERNELS];
    const ext = c.extents(a);
    // Pointer arguments become typed-array views over the arena; built once per plan.
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
    const reference = this.bindReference(c.id, a, args, kernel);
    return this.override?.(c.id, ins, ext, arena, reference) ?? reference;
  }

  private bindReference(op: string, a: readonly number[], args: unknown[], kernel: RefKernel): Bound {
    const ints = this.ints;
    if (op === 'adam_update') {
      const counter = a[11];
      const head = args.slice(0, 11);
      return (step) => {
        const t = ints[counter];
        if (t < 1) throw new TapeRunError(`step ${step}: adam_update step counter is ${t}; a STEP_INCREMENT must run first`, step);
        kernel(...head, t);
      };
    }
    if (op === 'gather_rows' || op === 'scatter_add_rows') {
      const idx = args[1] as Int32Array;
      const K = a[5];
      const kargs = args.slice(0, 5);
      return (step) => {
        for (let i = 0; i < idx.length; i++)
          if (idx[i] < 0 || idx[i] >= K) throw new TapeRunError(`step ${step}: ${op} index ${idx[i]} at row ${i} is outside [0, ${K})`, step);
        kernel(...kargs);
      };
    }
    return () => kernel(...args);
  }
}
