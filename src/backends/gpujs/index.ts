/**
 * The gpu.js backend: runs a compiled tape (GpujsPlan) with GEMM, the conv family and the
 * elementwise ops as gpu.js kernels (precision 'single', one compiled kernel cached per op and
 * shape) and every other op on the reference kernels. In Node gpu.js runs its WebAssembly mode
 * (no GL there); in a browser with WebGL it runs on the GPU. Priority 20 (below wasm).
 *
 * Precision: float32 throughout (GL floats / wasm f32), reductions accumulate in float32 in
 * order — kernel tests hold it to the same float32 tolerances as the native backends
 * (matmul/conv |err| ≤ 2e-6·√K + 1e-5·|ref|), test/gpujs/gpujs.test.ts states its own
 * tolerance for whole training tapes.
 */
import { OP_IDS } from '../../ops/opcodes.js';
import { checkProgram } from '../program.js';
import { arenaPlanExecutable } from '../reference-backend.js';
import type { Backend, BackendFactory, BackendInfo, Executable, TapeProgram } from '../types.js';
import { type LoadedGpu, loadGpu } from './gpu.js';
import { GPU_KERNELS } from './kernels/index.js';
import type { GpuKernelDef } from './kernels/types.js';
import { type CompiledKernel, GpujsPlan } from './plan.js';

const SUPPORTED = new Set<string>(OP_IDS);

export class GpujsBackend implements Backend {
  readonly name = 'gpujs';
  private readonly cache = new Map<string, CompiledKernel>();
  /** Kernels compiled so far (each gpu.js compile costs milliseconds to seconds). */
  compiled = 0;
  /** Ops whose gpu.js kernel failed here and run on the reference kernel instead (shown by info()). */
  readonly fallbacks: { op: string; reason: string }[] = [];

  constructor(private readonly loaded: LoadedGpu) {}

  /** The gpu.js mode in use ('webasm' in Node, 'webgl2'/'webgl' in browsers). */
  get mode(): string {
    return this.loaded.mode;
  }

  info(): BackendInfo {
    return {
      name: this.name,
      isa: `gpujs-${this.loaded.mode}`,
      threads: 1,
      details: {
        mode: this.loaded.mode,
        precision: 'single',
        gpuKernels: Object.keys(GPU_KERNELS).join(','),
        otherOps: 'reference kernels',
        ...(this.fallbacks.length ? { fallbacks: this.fallbacks.map((f) => `${f.op}: ${f.reason}`).join('; ') } : {}),
        ...this.loaded.features,
      },
    };
  }

  supports(op: string): boolean {
    return SUPPORTED.has(op);
  }

  /** Whether op `op` runs as a gpu.js kernel (rather than the reference kernel). */
  onGpu(op: string): boolean {
    return op in GPU_KERNELS;
  }

  private kernel(def: GpuKernelDef, args: readonly number[]): CompiledKernel {
    const constants = def.constants(args);
    const n = def.size(args);
    const key = `${def.id}|${n}|${Object.entries(constants).map(([k, v]) => `${k}=${v}`).join(',')}`;
    let k = this.cache.get(key);
    if (!k) {
      const built = this.loaded.gpu.createKernel(def.source as never, {
        output: [n],
        constants,
        precision: 'single',
        tactic: 'precision',
        // Results are copied into the arena at once; no texture pipelines between kernels.
        pipeline: false,
        dynamicOutput: false,
      });
      k = built as unknown as CompiledKernel;
      this.cache.set(key, k);
      this.compiled++;
    }
    return k;
  }

  compile(program: TapeProgram): Executable {
    checkProgram(program, this);
    const plan = new GpujsPlan(program.tape, program.arenaFloats, program.feedFloatsPerStep, program.outFloatsPerStep, (d, a) => this.kernel(d, a), (op, reason) => {
      if (!this.fallbacks.some((f) => f.op === op)) this.fallbacks.push({ op, reason });
    });
    return arenaPlanExecutable('gpujs', program, plan);
  }
}

/** Creates the backend; `mode` forces a gpu.js mode (default: LAMKIT_GPUJS_MODE, else gpu.js's choice). */
export async function createGpujsBackend(mode?: string): Promise<GpujsBackend> {
  const env = typeof process !== 'undefined' ? process.env?.LAMKIT_GPUJS_MODE : undefined;
  return new GpujsBackend(await loadGpu(mode ?? (env || undefined)));
}

export const backendFactory: BackendFactory = { name: 'gpujs', priority: 20, create: () => createGpujsBackend() };
