/**
 * Objectives of the nonlinear LAM (SCIENCE.md §6), one training step each on the eager engine.
 *
 *   recon          L = Σ_pixels ‖o_{t+1} − FDM(o_t, z)‖² / N,  z = IDM(o_t, o_{t+1})
 *   oracle         representation space φ = agent-only view: the FDM reads φ(o_t) and predicts
 *                  φ(o_{t+1}); the IDM still sees the raw frames (as it would when deployed)
 *   latent-ema[:τ] latent-space FDM (LAOM-style): ĥ = F(h_t, z) predicts sg(E_ema(o_{t+1})),
 *                  h_t = E_θ(o_t), E_ema ← τE_ema + (1−τ)E_θ
 *   latent-nosg    the same with target E_θ(o_{t+1}) and its gradient: it collapses (shown, not used)
 *   sup:λ[:p]      recon + λ · Σ_labelled ‖onehot(a) − H z‖² / #labelled; each sample labelled
 *                  with probability p (λ_eff = λ: averaged over labelled samples only)
 *   cross          z from copy A of a counterfactual pair predicts copy B's next frame from B's o_t
 * Any of them combines with the VQ bottleneck (commitment loss + straight-through).
 */
import { UsageError } from '../cli/usage.js';
import { GRID_ACTIONS, type GridworldBatch } from '../data/gridworld.js';
import type { Rng } from '../data/rng.js';
import { nchwToCnhw, type ParamSet, Tape, Tensor } from './conv-eager.js';
import type { ConvLam } from './conv-lam.js';
import type { VqCodebook } from './vq.js';

export type ConvObjective =
  | { kind: 'recon' }
  | { kind: 'oracle' }
  | { kind: 'latent'; ema: true; tau: number }
  | { kind: 'latent'; ema: false }
  | { kind: 'sup'; lambda: number; p: number }
  | { kind: 'cross' };

export const CONV_OBJECTIVE_FORMS = 'recon | oracle | latent-ema[:<τ in [0,1)>] | latent-nosg | sup:<λ≥0>[:<p in (0,1]>] | cross';

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
      arity(1, 2);
      return { kind: 'latent', ema: true, tau: parts.length === 2 ? num(1, 'τ (EMA decay)', 0, 1, false, true) : 0.99 };
    case 'latent-nosg':
      arity(1, 1);
      return { kind: 'latent', ema: false };
    case 'sup':
      arity(2, 3);
      return { kind: 'sup', lambda: num(1, 'λ (supervision weight)', 0, Infinity, false, false), p: parts.length === 3 ? num(2, 'p (labelled fraction)', 0, 1, true, false) : 1 };
    default:
      throw new UsageError(`${flag}: unknown objective '${text}'; expected one of ${CONV_OBJECTIVE_FORMS}`);
  }
}

/** Short label for tables and plots. */
export function convObjectiveLabel(o: ConvObjective): string {
  switch (o.kind) {
    case 'latent':
      return o.ema ? 'latent-ema' : 'latent-nosg';
    case 'sup':
      return `sup:${o.lambda}${o.p !== 1 ? `:${o.p}` : ''}`;
    default:
      return o.kind;
  }
}

/** What one objective step needs besides the model. */
export interface StepContext {
  model: ConvLam;
  objective: ConvObjective;
  vq: VqCodebook | null;
  /** The EMA target encoder (latent-ema only). */
  emaEncoder: ParamSet | null;
  rng: Rng;
}

/** Frames of a batch as CNHW tensors (the eager engine's layout). */
export function frames(b: GridworldBatch, which: 'obs' | 'next' | 'oracleObs' | 'oracleNext'): Tensor {
  const [C, H, W] = b.frameShape;
  return new Tensor(nchwToCnhw(b[which], b.n, C, H * W), [C, b.n, H, W]);
}

/**
 * Records the objective of one step on `tape` (forward + loss seeds) and returns the latent
 * before quantisation with the codes chosen (for the VQ update after backward).
 * `pair` is the counterfactual copy B (cross only).
 */
export function objectiveStep(tape: Tape, ctx: StepContext, batch: GridworldBatch, pair?: GridworldBatch): { ze: Tensor; idx: Int32Array | null } {
  const { model, objective: obj, vq } = ctx;
  const N = batch.n;
  const ot = frames(batch, 'obs'), ot1 = frames(batch, 'next');
  const ze = model.idm(tape, ot, ot1);
  let z = ze;
  let idx: Int32Array | null = null;
  if (vq) {
    const r = vq.quantise(ze.data, N);
    idx = r.idx;
    z = tape.straightThrough(ze, r.q);
    tape.mse('commit', ze, r.q, { denom: N, weight: vq.beta });
  }
  switch (obj.kind) {
    case 'recon':
    case 'sup': {
      const pred = model.decode(tape, model.encode(tape, ot), z);
      tape.mse('rec', pred, ot1, { denom: N });
      if (obj.kind === 'sup') {
        const K = GRID_ACTIONS.length;
        const mask = new Float32Array(N), target = new Float32Array(N * K);
        let labelled = 0;
        for (let n = 0; n < N; n++) {
          if (batch.action[n] < 0) throw new RangeError('objective sup: needs discrete actions (--action-mode discrete)');
          target[n * K + batch.action[n]] = 1;
          if (ctx.rng.uniform() < obj.p) {
            mask[n] = 1;
            labelled++;
          }
        }
        tape.mse('sup', model.actionHead(tape, z), target, { mask, rows: N, denom: labelled, weight: obj.lambda });
      }
      break;
    }
    case 'oracle': {
      const pred = model.decode(tape, model.encode(tape, frames(batch, 'oracleObs')), z);
      tape.mse('rec', pred, frames(batch, 'oracleNext'), { denom: N });
      break;
    }
    case 'cross': {
      if (!pair) throw new RangeError('objective cross: needs the counterfactual copy of the batch');
      const pred = model.decode(tape, model.encode(tape, frames(pair, 'obs')), z);
      tape.mse('rec', pred, frames(pair, 'next'), { denom: N });
      break;
    }
    case 'latent': {
      const h = model.embed(tape, model.encode(tape, ot));
      const pred = model.latentFdm(tape, h, z);
      let target: Tensor;
      if (obj.ema) {
        if (!ctx.emaEncoder) throw new RangeError('objective latent-ema: no EMA target encoder');
        target = tape.stopGrad(model.embed(tape, model.encode(tape, ot1, ctx.emaEncoder)));
      } else {
        target = model.embed(tape, model.encode(tape, ot1)); // gradient flows into the target: collapse
      }
      tape.mse('latent', pred, target, { denom: N });
      break;
    }
  }
  return { ze, idx };
}
