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
    ...(exe.profiler ? { profiler: exe.profiler } : {}),
  };
}

/** This machine's memory in bytes under Node (undefined in a browser: no such check there). */
function hostMemoryBytes(): number | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const os = proc?.getBuiltinModule?.('node:os') as { totalmem(): number } | undefined;
  return os?.totalmem();
}

/** Compiles a plan on a backend instance (throws naming an unsupported op). */
export function compileOn(plan: Plan, backend: Backend): CompiledModel {
  const ops = new Set(plan.ops.map((o) => o.op).filter((o) => !/^[A-Z_]+$/.test(o)));
  const missing = [...ops].filter((op) => !backend.supports(op));
  if (missing.length) throw new RangeError(`backend ${backend.name} does not support op(s) ${missing.join(', ')} used by this plan`);
  // Backends zero-fill the whole arena up front: an arena bigger than the machine's memory is an
  // OOM kill later, not an error, so refuse it here.
  const mem = hostMemoryBytes();
  const peak = plan.memory.peakBytes;
  if (mem !== undefined && peak > mem)
    throw new RangeError(`${backend.name}: the plan needs an arena of ${(peak / 2 ** 30).toFixed(1)} GiB but this machine has ${(mem / 2 ** 30).toFixed(1)} GiB of memory; lower the batch size`);
  return new CompiledModel(plan, runnerOf(backend.name, backend.compile(plan.program)));
}

/** Compiles a plan on the TypeScript reference backend (always available). */
export function compileReference(plan: Plan): CompiledModel {
  return compileOn(plan, new ReferenceBackend());
}
