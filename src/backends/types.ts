/**
 * The backend interface every executor implements (reference, native-cpu, native-cuda, wasm,
 * gpujs). A backend compiles a TapeProgram (one training/inference step as a tape of int32
 * words, see native/include/lamkit/executor.h) into an Executable that runs many steps in one
 * call, keeping the arena (parameters, optimiser state) resident between runs.
 */

/** Known backend names, in priority order (highest first). */
export const BACKEND_NAMES = ['native-cuda', 'native-cpu', 'wasm', 'gpujs', 'reference'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number] | (string & {});

/** A compiled step: the tape and the sizes it was planned for (all in float32 elements). */
export interface TapeProgram {
  /** [opcode, nwords, operands…] repeated. */
  tape: Int32Array;
  /** Arena size in floats (params, optimiser state, grads, activations, feed slot, counters). */
  arenaFloats: number;
  /** Floats one step reads from the feed block (0 = the tape has no FEED). */
  feedFloatsPerStep: number;
  /** Floats one step writes to the output block (0 = the tape has no OUTPUT). */
  outFloatsPerStep: number;
}

/** What `lamkit doctor` prints about a backend. */
export interface BackendInfo {
  name: BackendName;
  /** e.g. "avx2", "wasm-simd128", "scalar". */
  isa?: string;
  threads?: number;
  /** GPU name / memory for device backends. */
  device?: { name: string; memoryBytes?: number; [k: string]: unknown };
  /** Anything else worth showing (compiler, build flags). */
  details?: Record<string, unknown>;
}

export interface RunOptions {
  /** Steps to run (default 1). Step i reads feeds[i·feedFloatsPerStep …]. */
  steps?: number;
}

/** A compiled program on one backend. */
export interface Executable {
  readonly program: TapeProgram;
  /**
   * Runs `steps` steps. `feeds` holds steps·feedFloatsPerStep floats (null when the program has
   * no FEED). Returns the outputs, steps·outFloatsPerStep floats, step i at i·outFloatsPerStep.
   * A failed CHECK_FINITE (or index check) throws a TapeRunError-like Error with `.step`.
   */
  run(feeds: Float32Array | null, opts?: RunOptions): Float32Array;
  /** A copy of arena[offset, offset+length). */
  readArena(offset: number, length: number): Float32Array;
  /** arena[offset …] = data. */
  writeArena(offset: number, data: Float32Array): void;
  /** Frees native memory now; the executable cannot be used afterwards. */
  dispose(): void;
  /** Per-instruction timers inside run(), where the backend can measure in place (native-cpu). */
  readonly profiler?: InstructionProfiler;
}

/**
 * Wall time of each tape instruction inside run(): start() zeroes the timers and starts them,
 * stop() stops them (values kept), read() returns seconds per instruction in tape order.
 */
export interface InstructionProfiler {
  start(): void;
  stop(): void;
  read(): Float64Array;
}

export interface Backend {
  readonly name: BackendName;
  /** Facts for doctor and benchmark headers. */
  info(): BackendInfo;
  /** Whether this backend has a kernel for op id `op`. */
  supports(op: string): boolean;
  /** Validates and compiles a program; throws naming the first unsupported op or bad instruction. */
  compile(program: TapeProgram): Executable;
}

/** How a backend is created. Throw (or reject) with the reason when it cannot run here. */
export interface BackendFactory {
  name: BackendName;
  /** Higher runs first. native-cuda 50, native-cpu 40, wasm 30, gpujs 20, reference 10. */
  priority: number;
  create(): Backend | Promise<Backend>;
}

/** The run failed at a step (CHECK_FINITE found NaN/Inf, an index was out of range). */
export interface StepError extends Error {
  step: number;
}
