/**
 * The native-cpu backend: the C++ plan executor (native/runtime/executor.cpp) and kernels
 * (native/kernels, SIMD + thread pool) through the addon. Arguments are checked here first so
 * errors name the JS argument; the addon checks again before touching memory.
 */
import { OP_IDS } from '../ops/opcodes.js';
import { type NativeAddon, loadNativeAddon } from './native.js';
import { checkArenaData, checkArenaRange, checkProgram, checkRun } from './program.js';
import type { Backend, BackendFactory, BackendInfo, Executable, TapeProgram } from './types.js';

const SUPPORTED = new Set<string>(OP_IDS);

export class NativeCpuBackend implements Backend {
  readonly name = 'native-cpu';
  constructor(readonly addon: NativeAddon) {}

  info(): BackendInfo {
    const i = this.addon.info();
    return { name: this.name, isa: i.isa, threads: i.threads, details: { hardwareThreads: i.hardwareThreads, compiler: i.compiler, napiVersion: i.napiVersion, cudaCompiledIn: i.cuda } };
  }

  supports(op: string): boolean {
    return SUPPORTED.has(op);
  }

  /** Kernel threads (n ≤ 0 = default: LAMKIT_THREADS or the core count). */
  setThreads(n: number): void {
    if (!Number.isInteger(n)) throw new TypeError(`native-cpu.setThreads: n must be an integer, got ${n}`);
    this.addon.setThreads(n);
  }

  compile(program: TapeProgram): Executable {
    checkProgram(program, this);
    const plan = new this.addon.Plan(program.tape, program.arenaFloats);
    return {
      program,
      run(feeds, opts) {
        const steps = checkRun('native-cpu', program, feeds, opts?.steps);
        if (steps === 0) return new Float32Array(0); // nothing to run; the addon wants at least one step
        const out = new Float32Array(steps * program.outFloatsPerStep);
        plan.run(program.feedFloatsPerStep > 0 ? feeds : null, program.feedFloatsPerStep, program.outFloatsPerStep > 0 ? out : null, program.outFloatsPerStep, steps);
        return out;
      },
      readArena(offset, length) {
        checkArenaRange('native-cpu.readArena', program.arenaFloats, offset, length);
        return plan.readArena(offset, length);
      },
      writeArena(offset, data) {
        checkArenaData('native-cpu.writeArena', data);
        checkArenaRange('native-cpu.writeArena', program.arenaFloats, offset, data.length);
        plan.writeArena(offset, data);
      },
      dispose() {
        plan.dispose();
      },
      profiler: {
        start: () => plan.profile(true),
        stop: () => plan.profile(false),
        read: () => plan.readProfile(),
      },
    };
  }
}

export const nativeCpuFactory: BackendFactory = {
  name: 'native-cpu',
  priority: 40,
  create() {
    const r = loadNativeAddon();
    if (!r.addon) throw new Error(r.reason);
    return new NativeCpuBackend(r.addon);
  },
};
