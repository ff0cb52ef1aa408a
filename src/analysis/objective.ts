/**
 * The linear-LAM objectives of SCIENCE.md §2, one parsed value shared by `lamkit analyze`,
 * the closed form and the trained linear LAMs.
 *
 *   recon        L_rec = E‖o_{t+1} − ô_{t+1}‖²
 *   repr:γ       the same in the representation space φ(o) = E_γ o, E_γ = G_sG_s⁺ + γ G_xG_x⁺
 *   sup:λ[:p]    L_rec + λ E_labelled‖a − Hz‖², labelled fraction p
 *   cross        latent from copy 1 predicts copy 2's next frame (shared s_t, a_t)
 *   aug:κ        one noise n ~ N(0, κ²I) added to both IDM inputs, to the FDM input and (residual
 *                correction) to the target: the model is trained on (o_t + n, o_{t+1} + n)
 */
import { UsageError } from '../cli/usage.js';

/**
 * How the masked supervision term is averaged. 'labelled': mean over labelled samples only, so
 * λ_eff = λ (the default); 'batch': sum over labelled samples / batch size, so λ_eff = pλ.
 */
export type SupNorm = 'labelled' | 'batch';

export type Objective =
  | { kind: 'recon' }
  | { kind: 'repr'; gamma: number }
  | { kind: 'sup'; lambda: number; p: number; norm: SupNorm }
  | { kind: 'cross' }
  | { kind: 'aug'; kappa: number };

const FORMS = 'recon | repr:<γ≥0> | sup:<λ≥0>[:<p in (0,1]>] | cross | aug:<κ≥0>';

/** Parses `--objective`; errors name the flag, the text and the accepted forms. */
export function parseObjective(text: string, norm: SupNorm = 'labelled', flag = '--objective'): Objective {
  const parts = text.trim().split(':');
  const num = (i: number, what: string, lo: number, hi = Infinity, loOpen = false): number => {
    const raw = parts[i];
    const v = Number(raw);
    const range = `${loOpen ? '(' : '['}${lo}, ${hi === Infinity ? '∞)' : `${hi}]`}`;
    if (raw === undefined || raw.trim() === '' || !Number.isFinite(v) || (loOpen ? v <= lo : v < lo) || v > hi)
      throw new UsageError(`${flag}: ${what} must be a number in ${range}, got '${raw ?? ''}' in '${text}'`);
    return v;
  };
  const arity = (min: number, max: number) => {
    if (parts.length < min || parts.length > max) throw new UsageError(`${flag}: malformed objective '${text}'; expected one of ${FORMS}`);
  };
  switch (parts[0]) {
    case 'recon':
      arity(1, 1);
      return { kind: 'recon' };
    case 'repr':
      arity(2, 2);
      return { kind: 'repr', gamma: num(1, 'γ (exogenous gain)', 0) };
    case 'sup':
      arity(2, 3);
      return { kind: 'sup', lambda: num(1, 'λ (supervision weight)', 0), p: parts.length === 3 ? num(2, 'p (labelled fraction)', 0, 1, true) : 1, norm };
    case 'cross':
      arity(1, 1);
      return { kind: 'cross' };
    case 'aug':
      arity(2, 2);
      return { kind: 'aug', kappa: num(1, 'κ (augmentation noise std)', 0) };
    default:
      throw new UsageError(`${flag}: unknown objective '${text}'; expected one of ${FORMS}`);
  }
}

/** The weight the supervision term effectively has in expectation (λ or pλ, see SupNorm). */
export function lambdaEff(obj: Objective): number {
  if (obj.kind !== 'sup') return 0;
  return obj.norm === 'batch' ? obj.p * obj.lambda : obj.lambda;
}

/** A short label for tables: `recon`, `repr:0.5`, `sup:3.2:p=0.5`, … */
export function objectiveLabel(obj: Objective): string {
  switch (obj.kind) {
    case 'recon':
    case 'cross':
      return obj.kind;
    case 'repr':
      return `repr:${obj.gamma}`;
    case 'sup':
      return `sup:${obj.lambda}${obj.p !== 1 ? `:${obj.p}` : ''}`;
    case 'aug':
      return `aug:${obj.kappa}`;
  }
}

/** One sentence stating the supervision normalisation (printed with every sup result). */
export function supervisionNote(obj: Objective): string | undefined {
  if (obj.kind !== 'sup') return undefined;
  return obj.norm === 'labelled'
    ? `supervision averaged over labelled samples only (p=${obj.p}): λ_eff = λ = ${lambdaEff(obj)}`
    : `supervision summed over labelled samples / batch size (p=${obj.p}): λ_eff = pλ = ${lambdaEff(obj)}`;
}
