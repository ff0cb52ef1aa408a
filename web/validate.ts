/**
 * Playground input validation with the same rules (and messages) as `lamkit analyze`:
 * σ_ξ via parseSigma (a positive number), k via validateLatentDim (1 ≤ k ≤ d_o), γ and λ via
 * parseObjective (numbers ≥ 0). Returns the parsed values or the messages to show.
 */
import { parseObjective } from '../src/analysis/objective.js';
import { parseSigma, validateLatentDim } from '../src/data/linear-exo.js';

export interface PlaygroundInputs {
  sigmaXi: string;
  k: string;
  gamma: string;
  lambda: string;
  objective: string;
  steps: string;
}

export interface Validated {
  sigmaXi: number;
  k: number;
  /** 'recon' | 'repr:<γ>' | 'sup:<λ>' */
  objective: string;
  steps: number;
}

/** d_o of the linear-exo generator the page trains (LINEAR_EXO_DEFAULTS). */
export const D_OBS = 64;
/** Steps bounds: at least one chunk, at most what a tab trains in reasonable time. */
export const STEPS_RANGE: [number, number] = [20, 20000];

export function validateInputs(v: PlaygroundInputs): { ok: true; value: Validated } | { ok: false; errors: string[] } {
  const errors: string[] = [];
  const attempt = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (e) {
      errors.push((e as Error).message);
      return undefined;
    }
  };
  const s = attempt(() => {
    const x = parseSigma('--sigma-xi', v.sigmaXi.trim());
    if (typeof x !== 'number') throw new RangeError(`--sigma-xi: the playground takes one number, got '${v.sigmaXi}'`);
    return x;
  });
  const k = attempt(() => validateLatentDim(v.k.trim() === '' ? NaN : Number(v.k), D_OBS));
  let objective: string | undefined;
  if (v.objective === 'recon') objective = 'recon';
  else if (v.objective === 'repr') objective = `repr:${v.gamma.trim()}`;
  else if (v.objective === 'sup') objective = `sup:${v.lambda.trim()}`;
  else errors.push(`objective: expected recon, repr or sup, got '${v.objective}'`);
  if (objective) attempt(() => parseObjective(objective!));
  const steps = Number(v.steps);
  if (!Number.isInteger(steps) || steps < STEPS_RANGE[0] || steps > STEPS_RANGE[1])
    errors.push(`--steps: expected an integer in [${STEPS_RANGE[0]}, ${STEPS_RANGE[1]}], got '${v.steps}'`);
  if (errors.length) return { ok: false, errors };
  return { ok: true, value: { sigmaXi: s!, k: k!, objective: objective!, steps } };
}
