/**
 * `compile(plan)`: the one entry point from a plan to a running model on the best available
 * (or the named) backend that supports every op of the plan.
 */
import { resolveBackend } from '../backends/registry.js';
import type { CompiledModel } from './compiled.js';
import type { Plan } from './plan.js';
import { compileOn } from './runner.js';

export interface CompileOptions {
  /** Backend name (default: LAMKIT_BACKEND or the best available). */
  backend?: string;
}

/**
 * Compiles a plan. The returned model's `skipped` lists better backends that were not used and
 * why (no addon, no GPU, a missing op).
 */
export async function compile(plan: Plan, opts: CompileOptions = {}): Promise<CompiledModel> {
  const requiredOps = [...new Set(plan.ops.map((o) => o.op).filter((o) => !/^[A-Z_]+$/.test(o)))];
  const resolved = await resolveBackend({ name: opts.backend, requiredOps });
  const model = compileOn(plan, resolved.backend);
  model.skipped = resolved.skipped.map((s) => ({ name: String(s.name), reason: s.reason }));
  return model;
}
