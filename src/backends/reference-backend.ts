/**
 * The reference backend: the TypeScript tape interpreter over the plain-loop float64-accumulating
 * kernels in ./reference. Always available; the oracle every other backend is tested against.
 */
import { OP_IDS } from '../ops/opcodes.js';
import { checkArenaData, checkArenaRange, checkProgram, checkRun } from './program.js';
import { ReferencePlan } from './reference/executor.js';
import type { Backend, BackendFactory, BackendInfo, Executable, TapeProgram } from './types.js';

const SUPPORTED = new Set<string>(OP_IDS);

export class ReferenceBackend implements Backend {
  readonly name = 'reference';

  info(): BackendInfo {
    return { name: this.name, isa: 'js-float64', threads: 1 };
  }

  supports(op: string): boolean {
    return SUPPORTED.has(op);
  }

  compile(program: TapeProgram): Executable {
    checkProgram(program, this);
    const plan = new ReferencePlan(program.tape, program.arenaFloats, program.feedFloatsPerStep, program.outFloatsPerStep);
    return arenaPlanExecutable('reference', program, plan);
  }
}

/** A tape interpreter that runs in JS over a Float32Array arena (ReferencePlan, GpujsPlan). */
export interface ArenaPlan {
  readonly arena: Float32Array;
  run(feeds: Float32Array | null, feedStride: number, outputs: Float32Array | null, outStride: number, steps: number): void;
}

/** The Executable of a JS-arena plan: argument checks, run, arena access, use-after-dispose errors. */
export function arenaPlanExecutable(name: string, program: TapeProgram, plan: ArenaPlan): Executable {
  let live = true;
  const alive = (what: string) => {
    if (!live) throw new Error(`${name}.${what}: executable used after dispose()`);
  };
  return {
    program,
    run(feeds, opts) {
      alive('run');
      const steps = checkRun(name, program, feeds, opts?.steps);
      const out = new Float32Array(steps * program.outFloatsPerStep);
      plan.run(feeds, program.feedFloatsPerStep, out, program.outFloatsPerStep, steps);
      return out;
    },
    readArena(offset, length) {
      alive('readArena');
      checkArenaRange(`${name}.readArena`, program.arenaFloats, offset, length);
      return plan.arena.slice(offset, offset + length);
    },
    writeArena(offset, data) {
      alive('writeArena');
      checkArenaData(`${name}.writeArena`, data);
      checkArenaRange(`${name}.writeArena`, program.arenaFloats, offset, data.length);
      plan.arena.set(data, offset);
    },
    dispose() {
      live = false;
    },
  };
}

export const referenceFactory: BackendFactory = { name: 'reference', priority: 10, create: () => new ReferenceBackend() };
