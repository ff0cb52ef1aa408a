/**
 * The native-cuda backend: the CUDA plan executor (native/cuda/executor.cu) behind the addon's
 * CudaPlan (native/addon/cuda_binding.cpp). The arena stays on the GPU; the first run records a
 * step into a CUDA graph which every later step replays; feeds go up through pinned memory on a
 * second stream while the previous step computes.
 *
 * Availability is decided once, at create(): no addon, an addon built without nvcc, or any
 * device-discovery error (no driver, driver too old, no device) makes create() throw with the
 * reason, and the registry falls through to native-cpu. Out of GPU memory at compile() is an
 * Error naming the bytes requested and free; with `LAMKIT_CUDA_FALLBACK=cpu` (or
 * `new NativeCudaBackend(addon, { fallbackToCpu: true })`) the program is compiled on
 * native-cpu instead, with a warning.
 *
 * Environment (read by the native side): LAMKIT_CUDA_DEVICE, LAMKIT_CUDA_GRAPHS=0,
 * LAMKIT_CUDA_DEBUG=1 (eager + sync per op, errors name the op), LAMKIT_CUDA_GEMM=1|2|3.
 */
import { OP_IDS } from '../ops/opcodes.js';
import { type NativeAddon, loadNativeAddon } from './native.js';
import { NativeCpuBackend } from './native-cpu.js';
import { checkArenaData, checkArenaRange, checkProgram, checkRun } from './program.js';
import type { Backend, BackendFactory, BackendInfo, Executable, TapeProgram } from './types.js';

/** What the addon's cudaInfo() returns. */
export interface CudaDeviceStatus {
  available: boolean;
  /** Whether the addon was compiled with nvcc at all. */
  compiledIn: boolean;
  /** Why the device is unavailable (the discovery error), when it is. */
  reason?: string;
  name?: string;
  totalBytes?: number;
  freeBytes?: number;
  /** "9.0" */
  computeCapability?: string;
  multiprocessors?: number;
  /** CUDA version integers, e.g. 12040 = 12.4 (0 = no driver). */
  driverVersion?: number;
  runtimeVersion?: number;
  clockKHz?: number;
  memoryClockKHz?: number;
  memoryBusBits?: number;
  l2Bytes?: number;
  deviceCount?: number;
  ordinal?: number;
  gemmVersion?: number;
}

/** The addon's CUDA plan object. */
interface CudaPlanHandle {
  readonly arenaFloats: number;
  readonly feedFloats: number;
  readonly outFloats: number;
  readonly usesGraphs: boolean;
  readArena(offset: number, length: number): Float32Array;
  writeArena(offset: number, data: Float32Array): void;
  run(feeds: Float32Array | null, feedStride: number, outputs: Float32Array | null, outStride: number, steps: number): void;
  dispose(): void;
}

interface CudaAddon extends NativeAddon {
  cudaInfo(): CudaDeviceStatus;
  CudaPlan?: new (tape: Int32Array, arenaFloats: number) => CudaPlanHandle;
  cudaSetGemmVersion?: (v: number) => void;
  cudaGetGemmVersion?: () => number;
}

/** "12.4" from 12040. */
export function cudaVersionString(v: number | undefined): string {
  if (!v) return 'none';
  return `${Math.floor(v / 1000)}.${Math.floor((v % 1000) / 10)}`;
}

/**
 * The CUDA device as this process sees it; never throws. `available: false` comes with the
 * reason (no addon, no CUDA in the build, or the discovery error).
 */
export function cudaDeviceStatus(): CudaDeviceStatus {
  const r = loadNativeAddon();
  if (!r.addon) return { available: false, compiledIn: false, reason: r.reason };
  const addon = r.addon as CudaAddon;
  if (typeof addon.cudaInfo !== 'function')
    return { available: false, compiledIn: false, reason: 'the native addon has no CUDA binding (native/addon/cuda_binding.cpp not compiled in)' };
  try {
    const s = addon.cudaInfo();
    if (s.available && typeof addon.CudaPlan !== 'function')
      return { ...s, available: false, reason: 'a CUDA device is present but the addon lacks CudaPlan (stale build? rerun `npm run build:native`)' };
    return s;
  } catch (e) {
    return { available: false, compiledIn: true, reason: `cudaInfo() failed: ${(e as Error).message}` };
  }
}

const SUPPORTED = new Set<string>(OP_IDS);

export interface NativeCudaOptions {
  /** Compile on native-cpu when the GPU plan cannot be created (out of memory). */
  fallbackToCpu?: boolean;
}

export class NativeCudaBackend implements Backend {
  readonly name = 'native-cuda';
  private readonly fallbackToCpu: boolean;

  constructor(
    readonly addon: CudaAddon,
    readonly device: CudaDeviceStatus,
    opts: NativeCudaOptions = {},
  ) {
    this.fallbackToCpu = opts.fallbackToCpu ?? process.env.LAMKIT_CUDA_FALLBACK === 'cpu';
  }

  info(): BackendInfo {
    const d = this.device;
    return {
      name: this.name,
      device: {
        name: d.name ?? 'unknown',
        memoryBytes: d.totalBytes,
        freeBytes: d.freeBytes,
        computeCapability: d.computeCapability,
        multiprocessors: d.multiprocessors,
        driver: cudaVersionString(d.driverVersion),
        runtime: cudaVersionString(d.runtimeVersion),
        clockMHz: d.clockKHz ? Math.round(d.clockKHz / 1000) : undefined,
        memoryClockMHz: d.memoryClockKHz ? Math.round(d.memoryClockKHz / 1000) : undefined,
      },
      details: { gemmVersion: this.addon.cudaGetGemmVersion?.(), fallbackToCpu: this.fallbackToCpu },
    };
  }

  supports(op: string): boolean {
    return SUPPORTED.has(op);
  }

  /** SGEMM version: 0 auto, 1 naive, 2 shared-memory tiles, 3 register-blocked (bisecting). */
  setGemmVersion(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 3) throw new RangeError(`native-cuda.setGemmVersion: version must be 0, 1, 2 or 3, got ${v}`);
    this.addon.cudaSetGemmVersion?.(v);
  }

  compile(program: TapeProgram): Executable {
    checkProgram(program, this);
    const Plan = this.addon.CudaPlan;
    if (!Plan) throw new Error('native-cuda.compile: the addon lacks CudaPlan');
    let plan: CudaPlanHandle;
    try {
      plan = new Plan(program.tape, program.arenaFloats);
    } catch (e) {
      const msg = (e as Error).message;
      if (this.fallbackToCpu) {
        console.warn(`lamkit: native-cuda could not compile the plan (${msg}); falling back to native-cpu`);
        return new NativeCpuBackend(this.addon).compile(program);
      }
      throw new Error(`native-cuda.compile: ${msg}${/out of memory/i.test(msg) ? ' (set LAMKIT_CUDA_FALLBACK=cpu to run on the CPU instead)' : ''}`);
    }
    return {
      program,
      run(feeds, opts) {
        const steps = checkRun('native-cuda', program, feeds, opts?.steps);
        if (steps === 0) return new Float32Array(0); // nothing to run; the addon wants at least one step
        const out = new Float32Array(steps * program.outFloatsPerStep);
        plan.run(program.feedFloatsPerStep > 0 ? feeds : null, program.feedFloatsPerStep, program.outFloatsPerStep > 0 ? out : null, program.outFloatsPerStep, steps);
        return out;
      },
      readArena(offset, length) {
        checkArenaRange('native-cuda.readArena', program.arenaFloats, offset, length);
        return plan.readArena(offset, length);
      },
      writeArena(offset, data) {
        checkArenaData('native-cuda.writeArena', data);
        checkArenaRange('native-cuda.writeArena', program.arenaFloats, offset, data.length);
        plan.writeArena(offset, data);
      },
      dispose() {
        plan.dispose();
      },
    };
  }
}

/** Registry entry (src/backends/registry.ts imports this module lazily). */
export const backendFactory: BackendFactory = {
  name: 'native-cuda',
  priority: 50,
  create() {
    const s = cudaDeviceStatus();
    if (!s.available) throw new Error(s.reason ?? 'no CUDA device');
    const r = loadNativeAddon();
    return new NativeCudaBackend(r.addon as CudaAddon, s);
  },
};
