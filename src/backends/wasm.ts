/**
 * The `wasm` backend: the C++ plan executor and kernels (native/runtime, native/kernels)
 * compiled to WebAssembly by wasm/build.mjs, in Node and in browsers.
 *
 * Variant choice (best first, each only when WebAssembly.validate accepts its features):
 *   relaxed-mt (relaxed SIMD FMA + threads) > simd-mt > simd > baseline.
 * Threads: shared memory + a worker per extra thread (default: cores, capped at 8; option
 * `threads` or LAMKIT_THREADS). LAMKIT_WASM_VARIANT forces a variant.
 *
 * A compiled plan lives in the wasm heap (tape, arena); run() copies feeds in and outputs out
 * once per call, however many steps. An arena that does not fit the heap is a RangeError with
 * the bytes requested and the limit.
 */
import { OP_IDS } from '../ops/opcodes.js';
import { checkArenaData, checkArenaRange, checkProgram, checkRun } from './program.js';
import type { Backend, BackendFactory, BackendInfo, Executable, TapeProgram } from './types.js';
import {
  type WasmFeatures,
  type WasmInstance,
  type WasmLocation,
  type WasmVariant,
  WASM_VARIANTS,
  defaultWasmLocation,
  instantiateVariant,
  probeWasmFeatures,
  readManifest,
  supportedVariants,
} from './wasm-loader.js';

export { WASM_VARIANTS, type WasmVariant, probeWasmFeatures } from './wasm-loader.js';

/** Default thread cap: more workers than this rarely pays for LAM-sized kernels. */
export const WASM_MAX_DEFAULT_THREADS = 8;

export interface WasmBackendOptions {
  /** Force a variant (default: LAMKIT_WASM_VARIANT, else the best this engine validates). */
  variant?: WasmVariant;
  /** Total threads incl. the caller, threaded variants only (default: cores, capped at 8). */
  threads?: number;
  /** Directory (Node) or URL of wasm/dist (default: found from this module / LAMKIT_WASM_DIR). */
  location?: WasmLocation;
}

const ERR_BYTES = 1024;

async function hardwareThreads(): Promise<number> {
  if (typeof process !== 'undefined' && process.versions?.node) {
    const os = await import('node:os');
    return os.availableParallelism?.() ?? os.cpus().length;
  }
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
}

/** LAMKIT_THREADS, else the core count capped at WASM_MAX_DEFAULT_THREADS. */
async function defaultThreads(): Promise<number> {
  const env = typeof process !== 'undefined' ? process.env?.LAMKIT_THREADS : undefined;
  if (env && Number.isInteger(Number(env)) && Number(env) > 0) return Number(env);
  return Math.max(1, Math.min(WASM_MAX_DEFAULT_THREADS, await hardwareThreads()));
}

/** The wasm backend over one instantiated module variant. */
export class WasmBackend implements Backend {
  readonly name: string;
  private readonly supported: Set<string>;
  private readonly live = new Set<number>();
  private broken?: string;

  constructor(
    readonly instance: WasmInstance,
    readonly features: WasmFeatures,
    name = 'wasm',
  ) {
    this.name = name;
    const missing = new Set(instance.missing);
    this.supported = new Set(OP_IDS.filter((op) => !missing.has(`lam_f32_${op}`)));
  }

  get variant(): WasmVariant {
    return this.instance.variant;
  }

  private get ex() {
    if (this.broken) throw new Error(`${this.name}: the module is unusable after an earlier failure (${this.broken})`);
    return this.instance.exports;
  }

  private cstr(ptr: number): string {
    const mem = new Uint8Array(this.instance.memory.buffer);
    let end = ptr;
    while (mem[end] !== 0) end++;
    return new TextDecoder().decode(mem.slice(ptr, end));
  }

  /** Threads a run uses (1 for the single-threaded variants). */
  get threads(): number {
    return this.ex.lam_get_num_threads();
  }

  /** Sets the thread count, 1 … workers + 1 (n ≤ 0 = all started workers + the caller). */
  setThreads(n: number): void {
    if (!Number.isInteger(n)) throw new TypeError(`${this.name}.setThreads: n must be an integer, got ${n}`);
    const max = this.instance.workers + 1;
    if (n > max) throw new RangeError(`${this.name}.setThreads: n = ${n} exceeds the ${max} thread(s) this instance started; create the backend with { threads: ${n} }`);
    this.ex.lam_set_num_threads(n);
  }

  /** Heap now in use by linear memory and its link-time limit, in bytes. */
  heap(): { bytes: number; limitBytes: number } {
    return { bytes: this.instance.memory.buffer.byteLength, limitBytes: this.instance.maxMemoryBytes };
  }

  info(): BackendInfo {
    const f = this.instance.exports.lam_wasm_features();
    const isa = this.cstr(this.instance.exports.lam_isa_name());
    // `lamkit doctor` prints isa on the backend's line: say which module runs and why a better
    // one does not (e.g. relaxed SIMD behind a Node flag, threads without cross-origin isolation).
    const why = this.features.notes.length ? ` (${this.features.notes.join('; ')})` : '';
    return {
      name: this.name,
      isa: `${isa} · module ${this.variant}${(f & 2) !== 0 ? ' · relaxed SIMD' : ''}${why}`,
      threads: this.broken ? 1 : this.threads,
      details: {
        variant: this.variant,
        simd: (f & 1) !== 0,
        relaxedSimd: (f & 2) !== 0,
        sharedMemoryThreads: (f & 4) !== 0,
        workers: this.instance.workers,
        heapLimitBytes: this.instance.maxMemoryBytes,
        engine: { simd: this.features.simd, relaxedSimd: this.features.relaxedSimd, threads: this.features.threads },
        notes: this.features.notes,
        missingKernels: this.instance.missing,
      },
    };
  }

  supports(op: string): boolean {
    return this.supported.has(op);
  }

  /** Forces the scalar GEMM twin (tests): 'scalar' or null for the best ISA. */
  forceIsa(isa: 'scalar' | 'wasm-simd128' | null): void {
    const ex = this.ex;
    if (isa === null) {
      ex.lam_force_isa(0);
      return;
    }
    const bytes = new TextEncoder().encode(`${isa}\0`);
    const p = this.malloc(bytes.length, 'an ISA name');
    new Uint8Array(this.instance.memory.buffer).set(bytes, p);
    ex.lam_force_isa(p);
    ex.lam_wasm_free(p);
  }

  private oom(bytes: number, what: string): RangeError {
    const h = this.heap();
    return new RangeError(
      `${this.name}: out of memory allocating ${bytes} bytes for ${what}: the wasm heap limit is ${h.limitBytes} bytes (${h.bytes} bytes of linear memory in use); use a smaller plan or the native backend`,
    );
  }

  private malloc(bytes: number, what: string): number {
    const limit = this.instance.maxMemoryBytes;
    if (bytes > limit) throw this.oom(bytes, what);
    const p = this.ex.lam_wasm_malloc(Math.max(bytes, 1)) >>> 0;
    if (p === 0) throw this.oom(bytes, what);
    return p;
  }

  // Any trap (a kernel abort, a dead worker) leaves the heap in an unknown state: mark broken.
  private guard<T>(what: string, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) {
        // A trap inside a tape run skips the executor's worker-hold release: park the workers.
        try {
          this.ex.lam_wasm_pool_unhold?.();
        } catch {
          /* the module is already unusable */
        }
        this.broken = `${what} trapped: ${e.message}${this.instance.failure ? `; ${this.instance.failure}` : ''}`;
        throw new Error(`${this.name}: ${this.broken}`);
      }
      throw e;
    }
  }

  compile(program: TapeProgram): Executable {
    checkProgram(program, this);
    const ex = this.ex;
    const arenaBytes = program.arenaFloats * 4;
    const tapeBytes = program.tape.length * 4;
    if (arenaBytes + tapeBytes > this.instance.maxMemoryBytes) throw this.oom(arenaBytes + tapeBytes, `a plan (arena ${program.arenaFloats} floats + tape ${program.tape.length} words)`);
    const tapePtr = this.malloc(tapeBytes, `the tape (${program.tape.length} words)`);
    const errPtr = this.malloc(ERR_BYTES, 'the error buffer');
    new Int32Array(this.instance.memory.buffer, tapePtr, program.tape.length).set(program.tape);
    const plan = this.guard('lam_plan_create', () => ex.lam_plan_create(tapePtr, BigInt(program.tape.length), BigInt(program.arenaFloats), errPtr, BigInt(ERR_BYTES))) >>> 0;
    ex.lam_wasm_free(tapePtr);
    if (plan === 0) {
      const msg = this.cstr(errPtr);
      ex.lam_wasm_free(errPtr);
      if (/memory|alloc/i.test(msg)) throw this.oom(arenaBytes, `the arena of ${program.arenaFloats} floats (${msg})`);
      throw new RangeError(`${this.name}.compile: ${msg}`);
    }
    this.live.add(plan);
    const arenaPtr = ex.lam_plan_arena(plan) >>> 0;
    const failedPtr = this.malloc(8, 'the failed-step slot');
    // Feed/output staging buffers, grown on demand and reused across run() calls.
    let feedPtr = 0,
      feedCap = 0,
      outPtr = 0,
      outCap = 0;
    let disposed = false;
    const self = this;
    const name = this.name;
    const alive = (what: string) => {
      if (disposed) throw new Error(`${name}.${what}: the executable was disposed`);
    };
    const arena = () => new Float32Array(self.instance.memory.buffer, arenaPtr, program.arenaFloats);
    return {
      program,
      run(feeds, opts) {
        alive('run');
        const steps = checkRun(name, program, feeds, opts?.steps);
        if (steps === 0) return new Float32Array(0); // nothing to run (the heap staging assumes ≥ 1 step)
        const nFeed = steps * program.feedFloatsPerStep,
          nOut = steps * program.outFloatsPerStep;
        if (nFeed > feedCap) {
          if (feedPtr) ex.lam_wasm_free(feedPtr);
          feedPtr = 0;
          feedPtr = self.malloc(nFeed * 4, `the feeds of ${steps} steps`);
          feedCap = nFeed;
        }
        if (nOut > outCap) {
          if (outPtr) ex.lam_wasm_free(outPtr);
          outPtr = 0;
          outPtr = self.malloc(nOut * 4, `the outputs of ${steps} steps`);
          outCap = nOut;
        }
        if (nFeed > 0) new Float32Array(self.instance.memory.buffer, feedPtr, nFeed).set(feeds!);
        const rc = self.guard('lam_plan_run', () =>
          self.ex.lam_plan_run(
            plan,
            nFeed > 0 ? feedPtr : 0,
            BigInt(program.feedFloatsPerStep),
            nOut > 0 ? outPtr : 0,
            BigInt(program.outFloatsPerStep),
            BigInt(steps),
            failedPtr,
            errPtr,
            BigInt(ERR_BYTES),
          ),
        );
        if (rc !== 0) {
          const step = Number(new BigInt64Array(self.instance.memory.buffer, failedPtr, 1)[0]);
          const err = new Error(`${name}.run: step ${step}: ${self.cstr(errPtr)}`) as Error & { step: number };
          err.step = step;
          throw err;
        }
        return nOut > 0 ? new Float32Array(self.instance.memory.buffer, outPtr, nOut).slice() : new Float32Array(0);
      },
      readArena(offset, length) {
        alive('readArena');
        checkArenaRange(`${name}.readArena`, program.arenaFloats, offset, length);
        return arena().slice(offset, offset + length);
      },
      writeArena(offset, data) {
        alive('writeArena');
        checkArenaData(`${name}.writeArena`, data);
        checkArenaRange(`${name}.writeArena`, program.arenaFloats, offset, data.length);
        arena().set(data, offset);
        // Tell the executor the arena changed (executor.h: lam_plan_arena renews its weight stamp).
        self.ex.lam_plan_arena(plan);
      },
      dispose() {
        if (disposed) return;
        disposed = true;
        if (self.broken) return; // the heap is not trusted any more; leak rather than trap
        self.live.delete(plan);
        ex.lam_plan_destroy(plan);
        for (const p of [feedPtr, outPtr, errPtr, failedPtr]) if (p) ex.lam_wasm_free(p);
      },
    };
  }

  /** Runs the register-only SIMD loop; returns GFLOP/s on the calling thread. */
  simdCeiling(mode: 'mul+add' | 'madd' = 'mul+add', iters = 20_000_000): number {
    const m = mode === 'madd' ? 1 : 0;
    const ex = this.ex;
    ex.lam_wasm_simd_ceiling(100_000, m); // warm up / tier up
    const t0 = performance.now();
    ex.lam_wasm_simd_ceiling(iters, m);
    const s = (performance.now() - t0) / 1000;
    return (iters * ex.lam_wasm_simd_ceiling_flops(m)) / s / 1e9;
  }

  /** Stops the worker threads; the backend cannot be used afterwards. */
  async terminate(): Promise<void> {
    this.broken ??= 'terminated';
    await this.instance.terminate();
  }
}

/** Creates a wasm backend (a fresh instance: its own heap and workers). */
export async function createWasmBackend(opts: WasmBackendOptions = {}): Promise<WasmBackend> {
  // Arguments first, so a bad option is reported as such even where nothing is built.
  const env = typeof process !== 'undefined' ? process.env?.LAMKIT_WASM_VARIANT : undefined;
  const forced = opts.variant ?? (env ? (env as WasmVariant) : undefined);
  if (forced !== undefined && !WASM_VARIANTS.includes(forced))
    throw new RangeError(`wasm: variant must be one of ${WASM_VARIANTS.join(', ')}, got '${String(forced)}'${opts.variant ? '' : ' (from LAMKIT_WASM_VARIANT)'}`);
  if (opts.threads !== undefined && (!Number.isInteger(opts.threads) || opts.threads < 1))
    throw new RangeError(`wasm: threads must be an integer ≥ 1, got ${String(opts.threads)}`);
  const features = probeWasmFeatures();
  if (!features.webAssembly) throw new Error(features.notes.join('; '));
  const loc = opts.location ?? (await defaultWasmLocation());
  const { manifest, reason } = await readManifest(loc);
  if (!manifest) throw new Error(reason);
  const usable = supportedVariants(features).filter((v) => manifest.variants[v]);
  if (forced && !usable.includes(forced)) {
    const built = manifest.variants[forced] ? '' : ' (not built)';
    throw new Error(`wasm variant '${forced}' cannot run here${built}: ${features.notes.join('; ') || 'not in the manifest'}`);
  }
  const variant = forced ?? usable[0];
  if (!variant) throw new Error(`no wasm variant can run here: built ${Object.keys(manifest.variants).join(', ') || 'none'}; ${features.notes.join('; ')}`);
  const threads = manifest.variants[variant]!.threads ? (opts.threads ?? (await defaultThreads())) : 1;
  const inst = await instantiateVariant(loc, manifest, variant, threads);
  return new WasmBackend(inst, features);
}

/** One entry per variant for tests and benchmarks: a backend, or why it cannot run here. */
export async function wasmVariantBackends(opts: Omit<WasmBackendOptions, 'variant'> = {}): Promise<{ variant: WasmVariant; backend?: WasmBackend; reason?: string }[]> {
  const out: { variant: WasmVariant; backend?: WasmBackend; reason?: string }[] = [];
  for (const variant of WASM_VARIANTS) {
    try {
      const b = await createWasmBackend({ ...opts, variant });
      out.push({ variant, backend: b });
    } catch (e) {
      out.push({ variant, reason: (e as Error).message });
    }
  }
  return out;
}

/** Registry entry (src/backends/registry.ts imports this module lazily). */
export const backendFactory: BackendFactory = {
  name: 'wasm',
  priority: 30,
  create: () => createWasmBackend(),
};
