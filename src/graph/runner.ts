/**
 * Adapters from a planned tape to a StepRunner on each backend, and `compile()`.
 * The reference runner is the TypeScript tape interpreter (src/backends/reference/executor.ts);
 * every other backend goes through the backend registry's compile(program).
 */
import { ReferencePlan } from '../backends/reference/executor.js';
import { CompiledModel, type StepRunner } from './compiled.js';
import type { Plan, TapeProgram } from './plan.js';

/** Runs a tape with the TypeScript reference interpreter. */
export function referenceRunner(p: TapeProgram): StepRunner {
  const rp = new ReferencePlan(p.tape, p.arenaFloats, p.feedFloatsPerStep, p.outFloatsPerStep);
  return {
    backend: 'reference',
    run(feeds, steps) {
      const out = new Float32Array(steps * p.outFloatsPerStep);
      rp.run(feeds, p.feedFloatsPerStep, out, p.outFloatsPerStep, steps);
      return out;
    },
    readArena: (offset, n) => rp.arena.slice(offset, offset + n),
    writeArena: (offset, data) => rp.arena.set(data, offset),
    dispose() {},
  };
}

/** Compiles a plan on the reference backend. */
export function compileReference(plan: Plan): CompiledModel {
  return new CompiledModel(plan, referenceRunner(plan.program));
}
