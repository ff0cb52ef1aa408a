/**
 * From a plan to a CompiledModel on a backend: `backend.compile(program)` gives an Executable
 * (src/backends/types.ts) that runs whole steps; the engine wraps it as a StepRunner.
 */
import { ReferenceBackend } from '../backends/reference-backend.js';
import type { Backend, Executable } from '../backends/types.js';
import { CompiledModel, type StepRunner } from './compiled.js';
import type { Plan } from './plan.js';

/** Wraps a backend Executable as the engine's StepRunner. */
export function runnerOf(backend: string, exe: Executable): StepRunner {
  return {
    backend,
    run: (feeds, steps) => exe.run(feeds, { steps }),
    readArena: (offset, n) => exe.readArena(offset, n),
    writeArena: (offset, data) => exe.writeArena(offset, data),
    dispose: () => exe.dispose(),
  };
}

/** Compiles a plan on a backend instance (throws naming an unsupported op). */
export function compileOn(plan: Plan, backend: Backend): CompiledModel {
  const ops = new Set(plan.ops.map((o) => o.op).filter((o) => !/^[A-Z_]+$/.test(o)));
  const missing = [...ops].filter((op) => !backend.supports(op));
  if (missing.length) throw new RangeError(`backend ${backend.name} does not support op(s) ${missing.join(', ')} used by this plan`);
  return new CompiledModel(plan, runnerOf(backend.name, backend.compile(plan.program)));
}

/** Compiles a plan on the TypeScript reference backend (always available). */
export function compileReference(plan: Plan): CompiledModel {
  return compileOn(plan, new ReferenceBackend());
}
