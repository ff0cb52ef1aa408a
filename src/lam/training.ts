/**
 * One call from a preset name to a compiled training step on a backend.
 */
import { compile } from '../graph/compile.js';
import type { CompiledModel } from '../graph/compiled.js';
import { type Plan, plan } from '../graph/plan.js';
import { addTrainingStep, type OptimizerName } from './objective.js';
import { buildLam, getPreset, type LamGraph, type Preset } from './presets.js';

export interface PresetTrainingOptions {
  batch?: number;
  lr?: number;
  optimizer?: OptimizerName;
  /** Initialisation seed (default 0). */
  seed?: number;
  /** CHECK_FINITE on feeds and loss every step (default true). */
  checkFinite?: boolean;
}

/** The preset's training graph and plan (forward + backward + optimiser). */
export function planPreset(name: string | Preset, o: PresetTrainingOptions = {}): { lam: LamGraph; plan: Plan } {
  const p = typeof name === 'string' ? getPreset(name) : name;
  const lam = buildLam(p, { batch: o.batch, seed: o.seed });
  addTrainingStep(lam.builder, lam.recon, { optimizer: o.optimizer ?? 'adam', lr: o.lr ?? p.lr });
  return { lam, plan: plan(lam.builder.graph, { checkFinite: o.checkFinite ?? true }) };
}

/** planPreset + compile on the named (or best) backend. */
export async function compilePreset(name: string | Preset, o: PresetTrainingOptions & { backend?: string } = {}): Promise<{ lam: LamGraph; model: CompiledModel }> {
  const { lam, plan: pl } = planPreset(name, o);
  const model = await compile(pl, { backend: o.backend });
  return { lam, model };
}
