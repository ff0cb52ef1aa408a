/**
 * Objectives of the nonlinear LAM (SCIENCE.md §6): the `--objective` parser and labels. The
 * graphs that train them are built in conv-graph.ts.
 *
 *   recon          L = Σ_pixels ‖o_{t+1} − FDM(o_t, z)‖² / N,  z = IDM(o_t, o_{t+1})
 *   oracle         representation space φ = agent-only view: the FDM reads φ(o_t) and predicts
 *                  φ(o_{t+1}); the IDM still sees the raw frames (as it would when deployed)
 *   latent-ema[:τ[:μ[:L]]]  latent-space FDM (LAOM/BYOL-style): ĥ = F(h_t, z) predicts
 *                  sg(E_ema(o_{t+1})), h_t = E_θ(o_t) = the map after encoder stage L (default 2,
 *                  the 8×8 map at grid32), E_ema ← τE_ema + (1−τ)E_θ (default τ 0.99), loss
 *                  ‖ĥ/‖ĥ‖ − t/‖t‖‖² = 2 − 2cos (op l2_normalize), F = the predictor MLP.
 *                  Why cosine: the loss is scale-free, so the embedding cannot shrink to a
 *                  near-constant as it does under MSE; z carries the part of the target's change
 *                  that h_t cannot predict. Why it can be endogenous: with a small z (k = 2, the
 *                  action's size) z cannot carry the distractors' innovation, so the target's
 *                  exogenous content is unpredictable loss and the EMA encoder drops it —
 *                  grid32, strength 1, 3000 steps, 3 seeds, k = 2: S_exo 0.08 ± 0.02 vs recon
 *                  0.46 ± 0.04, R²(ξ|z̃) −0.00 vs 0.09, acc(a|z̃,s) 0.43 vs 0.30. With k = 8, z has
 *                  room for both and the remedy fails (S_exo 0.26 ± 0.05 vs 0.18 ± 0.01).
 *                  L = 4 (2×2 map) collapses to one direction (loss ~1e-3, z unused) at k = 8.
 *                  μ > 0 adds μ·mean_d (Var_batch(h_t,d) − 1)² (VICReg-style variance term)
 *   latent-ema-mse[:τ[:μ[:L]]]  the first form (default L = 4), kept for the record: MSE to the raw
 *                  target; the embedding shrinks to a near-constant (variance ~1e-5) and z with it
 *                  (k = 2: S_exo 0.78 ± 0.10); μ = 1 stops the shrinking but z then codes the
 *                  distractors (k = 8: S_exo 0.62)
 *   latent-ema-ctr[:τ[:μ[:L]]]  cosine after subtracting each side's batch mean (DINO-style
 *                  centring): the predictor then matches the target from h_t alone and z is
 *                  nearly unused (z variance ~1e-2; measured, not used)
 *   latent-ema-cos  earlier name of latent-ema (cosine)
 *   latent-nosg    the same with target E_θ(o_{t+1}) and its gradient: it collapses (shown, not used)
 *   sup:λ[:p]      recon + λ · Σ_labelled ‖onehot(a) − H z‖² / #labelled; each sample labelled
 *                  with probability p (λ_eff = λ: averaged over labelled samples only)
 *   sup:λ:p:m      the same labelled fraction p as a fixed pool (p · steps · batch labelled
 *                  transitions drawn before training) with m rows of every batch taken from it:
 *                  at p·batch < 1 Bernoulli labels leave most batches unlabelled and the rare
 *                  labelled step's gradient spikes; oversampling the pool gives every step m labels
 *   cross          z from copy A of a counterfactual pair predicts copy B's next frame from B's o_t
 * Any of them combines with the VQ bottleneck (commitment loss + straight-through).
 * Action labels are discrete: sup needs `--action-mode discrete` (the default).
 */
import { UsageError } from '../cli/usage.js';

export type ConvObjective =
  | { kind: 'recon' }
  | { kind: 'oracle' }
  | { kind: 'latent'; ema: true; tau: number; variance: number; loss: LatentLoss; level: number }
  | { kind: 'latent'; ema: false }
  | { kind: 'sup'; lambda: number; p: number; perBatch?: number }
  | { kind: 'cross' };

/**
 * How the latent FDM's prediction is compared with the EMA target: BYOL cosine on L2-normalised
 * rows (`latent-ema`), plain MSE (`latent-ema-mse`, the first form, kept for the record), or
 * cosine after subtracting each side's batch mean (`latent-ema-ctr`, DINO-style centring).
 */
export type LatentLoss = 'mse' | 'cosine' | 'centered';

/** Encoder stage whose map is the latent embedding, per loss (see the file comment). */
const LATENT_LEVEL_DEFAULT: Record<LatentLoss, number> = { mse: 4, cosine: 2, centered: 2 };
const LATENT_FORMS: Record<string, LatentLoss> = { 'latent-ema': 'cosine', 'latent-ema-mse': 'mse', 'latent-ema-ctr': 'centered' };
/** Earlier name of the cosine form (runs saved with it still load). */
const LATENT_ALIASES: Record<string, string> = { 'latent-ema-cos': 'latent-ema' };

export const CONV_OBJECTIVE_FORMS = 'recon | oracle | latent-ema[:<τ in [0,1)>[:<μ ≥ 0>[:<level 1..4>]]] | latent-ema-mse[:<τ>[:<μ>[:<level>]]] | latent-ema-ctr[:<τ>[:<μ>[:<level>]]] | latent-nosg | sup:<λ≥0>[:<p in (0,1]>[:<m ≥ 1>]] | cross';

/** Parses `--objective` for the conv LAMs; errors name the flag and the accepted forms. */
export function parseConvObjective(text: string, flag = '--objective'): ConvObjective {
  const parts = text.trim().split(':');
  const num = (i: number, what: string, lo: number, hi: number, loOpen: boolean, hiOpen: boolean): number => {
    const raw = parts[i];
    const v = Number(raw);
    const ok = raw !== undefined && raw.trim() !== '' && Number.isFinite(v) && (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi);
    if (!ok) throw new UsageError(`${flag}: ${what} must be in ${loOpen ? '(' : '['}${lo}, ${hi === Infinity ? '∞' : hi}${hiOpen ? ')' : ']'}, got '${raw ?? ''}' in '${text}'`);
    return v;
  };
  const integer = (i: number, what: string): number => {
    const v = num(i, what, 1, Infinity, false, false);
    if (!Number.isInteger(v)) throw new UsageError(`${flag}: ${what} must be an integer ≥ 1, got '${parts[i]}' in '${text}'`);
    return v;
  };
  const arity = (min: number, max: number) => {
    if (parts.length < min || parts.length > max) throw new UsageError(`${flag}: malformed objective '${text}'; expected one of ${CONV_OBJECTIVE_FORMS}`);
  };
  switch (parts[0]) {
    case 'recon':
    case 'oracle':
    case 'cross':
      arity(1, 1);
      return { kind: parts[0] };
    case 'latent-ema':
    case 'latent-ema-cos':
    case 'latent-ema-mse':
    case 'latent-ema-ctr': {
      arity(1, 4);
      const loss = LATENT_FORMS[LATENT_ALIASES[parts[0]] ?? parts[0]];
      const level = parts.length === 4 ? num(3, 'level (encoder stage of the embedding)', 1, 4, false, false) : LATENT_LEVEL_DEFAULT[loss];
      if (!Number.isInteger(level)) throw new UsageError(`${flag}: level (encoder stage of the embedding) must be an integer in [1, 4], got '${parts[3]}' in '${text}'`);
      return {
        kind: 'latent',
        ema: true,
        tau: parts.length >= 2 ? num(1, 'τ (EMA decay)', 0, 1, false, true) : 0.99,
        variance: parts.length >= 3 ? num(2, 'μ (variance-term weight)', 0, Infinity, false, false) : 0,
        loss,
        level,
      };
    }
    case 'latent-nosg':
      arity(1, 1);
      return { kind: 'latent', ema: false };
    case 'sup':
      arity(2, 4);
      return {
        kind: 'sup',
        lambda: num(1, 'λ (supervision weight)', 0, Infinity, false, false),
        p: parts.length >= 3 ? num(2, 'p (labelled fraction)', 0, 1, true, false) : 1,
        ...(parts.length === 4 ? { perBatch: integer(3, 'm (labelled rows per batch)') } : {}),
      };
    default:
      throw new UsageError(`${flag}: unknown objective '${text}'; expected one of ${CONV_OBJECTIVE_FORMS}`);
  }
}

/** Short label for tables and plots. */
export function convObjectiveLabel(o: ConvObjective): string {
  switch (o.kind) {
    case 'latent':
      if (!o.ema) return 'latent-nosg';
      if (o.loss === 'mse' && o.tau === 0.99 && o.level === 4) return o.variance > 0 ? `latent-ema-var:${o.variance}` : 'latent-ema-mse';
      {
        const base = Object.keys(LATENT_FORMS).find((k) => LATENT_FORMS[k] === o.loss)!;
        return o.tau === 0.99 && o.variance === 0 && o.level === LATENT_LEVEL_DEFAULT[o.loss] ? base : `${base}:${o.tau}:${o.variance}:${o.level}`;
      }
    case 'sup':
      return `sup:${o.lambda}${o.p !== 1 || o.perBatch !== undefined ? `:${o.p}` : ''}${o.perBatch !== undefined ? `:${o.perBatch}` : ''}`;
    default:
      return o.kind;
  }
}
