/**
 * Trained linear LAMs for every objective of SCIENCE.md §2, built as graphs with the engine's
 * GraphBuilder and trained by the compiled step (CompiledModel.run: many steps per call, no JS
 * between ops). Data come from a linear-exo generator.
 *
 *   IDM z = W1 u_t + W2 u_{t+1},  FDM û = C u_t + D z,  u = o (or φ(o) = E o for repr)
 *   recon   mse(û, o_{t+1})                          (sum over dims, mean over the batch)
 *   repr    fixed E (graph constant), or a learned E with an EMA target Ē (stop-gradient);
 *           'naive' learns E against its own output and collapses (E → 0, loss → 0)
 *   sup     + λ · masked mse(H z, a): per batch exactly round(pB) labelled rows; the term is
 *           divided by that count ('labelled', λ_eff = λ) or by B ('batch', λ_eff = pλ)
 *   cross   IDM on copy 1, FDM input and target from copy 2 (same s_t, a_t)
 *   aug     one n ~ N(0, κ²I) added to o_t and o_{t+1} of a sample (data side): IDM inputs,
 *           FDM input and target all carry it (the target's copy is the residual correction)
 */
import { Matrix } from 'ml-matrix';
import type { LinearExo } from '../data/linear-exo.js';
import { Rng } from '../data/rng.js';
import type { LinearLatent } from '../analysis/closed-form.js';
import { representationMap } from '../analysis/closed-form.js';
import { fromRowMajor, toFloat32 } from '../analysis/linalg.js';
import type { Objective } from '../analysis/objective.js';
import type { LossTerm } from '../graph/autodiff.js';
import { GraphBuilder } from '../graph/builder.js';
import type { Value } from '../graph/ir.js';
import type { CompiledModel } from '../graph/compiled.js';
import { plan } from '../graph/plan.js';
import { compile } from '../graph/compile.js';
import { kaimingUniform } from '../nn/init.js';
import { addTrainingStep, type OptimizerName } from './objective.js';

/** How a representation-space encoder is obtained. */
export type EncoderMode = 'fixed' | 'ema' | 'naive';

export interface LinearTrainOptions {
  /** Latent dim k. */
  k: number;
  /** Training steps (default 600). */
  steps?: number;
  /** Batch size (default 128). */
  batch?: number;
  /** Peak Adam learning rate (default 1e-2). */
  lr?: number;
  /**
   * Step schedule as [fraction of steps, lr multiplier] phases (default 60% at lr, 30% at lr/10,
   * 10% at lr/100): the decay takes Adam's noise floor below the 1% loss tolerance.
   */
  schedule?: [number, number][];
  optimizer?: OptimizerName;
  /** Parameter-init and data seed (default: the generator's seed). */
  seed?: number;
  /** Backend id for compile (default: best available; 'reference' always works). */
  backend?: string;
  /** For repr: 'fixed' (E_γ, default), 'ema' (learned E, EMA target) or 'naive' (learned E, own target). */
  encoder?: EncoderMode;
  /** EMA decay of the target encoder (default 0.99). */
  emaDecay?: number;
  /** Steps per compiled run() call (default 100). */
  chunk?: number;
  /** Called after each chunk with (steps done, mean loss of the chunk). */
  onProgress?: (step: number, loss: number) => void;
}

/** A trained linear LAM: weights in raw observation coordinates plus its training record. */
export interface TrainedLinearLam extends LinearLatent {
  /** FDM in the (representation) space: û = C u_t + D z. */
  C: Matrix;
  D: Matrix;
  /** Supervision head (sup only), d_a × k. */
  H?: Matrix;
  /** Encoder (repr only): fixed E_γ or the learned one; W1, W2 above already include it. */
  E?: Matrix;
  /** Mean training loss of each chunk. */
  lossCurve: { step: number; loss: number }[];
  backend: string;
  steps: number;
  seconds: number;
}

interface Built {
  builder: GraphBuilder;
  feedNames: string[];
  /** Writes one step's feeds into `block` at `offset` (floats). */
  fill: (block: Float32Array, offset: number) => void;
}

/** Plans and compiles on the named backend (default: the best available, see src/graph/compile.ts). */
async function compileWith(builder: GraphBuilder, backend: string | undefined): Promise<CompiledModel> {
  const p = plan(builder.graph);
  try {
    return await compile(p, backend ? { backend } : {});
  } catch (e) {
    // Name the flag: the registry's message lists the known backends and why each was skipped.
    if (backend !== undefined) throw new RangeError(`--backend: ${(e as Error).message}`);
    throw e;
  }
}

function build(gen: LinearExo, obj: Objective, o: Required<Pick<LinearTrainOptions, 'k' | 'batch' | 'emaDecay'>> & { encoder: EncoderMode; rng: Rng; dataRng: Rng }): Built {
  const d = gen.dObs;
  const { k, batch: B, rng, dataRng } = o;
  const b = new GraphBuilder();
  const feedNames: string[] = [];
  const input = (name: string, shape: number[]) => {
    feedNames.push(name);
    return b.input(name, shape);
  };
  const oT = input('o_t', [B, d]);
  const oT1 = input('o_t1', [B, d]);
  let uT: Value = oT;
  let uT1: Value = oT1;
  let target: Value = oT1;
  if (obj.kind === 'repr') {
    if (o.encoder === 'fixed') {
      const E = b.constant('repr.E', [d, d], toFloat32(representationMap(gen, obj.gamma)));
      uT = b.linear(oT, E, null, 'phi_t');
      uT1 = b.linear(oT1, E, null, 'phi_t1');
      target = uT1;
    } else {
      const init = toFloat32(Matrix.eye(d, d));
      const E = b.param('enc.E', [d, d], init);
      uT = b.linear(oT, E, null, 'phi_t');
      uT1 = b.linear(oT1, E, null, 'phi_t1');
      if (o.encoder === 'ema') {
        const Ebar = b.state('enc.E_target', [d, d], init.slice());
        target = b.stopGradient(b.linear(oT1, Ebar, null, 'phi_t1_target'));
      } else target = uT1; // naive: the target moves with E, so E → 0 is a perfect fit
    }
  }
  const W1 = b.param('idm.W1', [k, d], kaimingUniform(rng, [k, d]));
  const W2 = b.param('idm.W2', [k, d], kaimingUniform(rng, [k, d]));
  const z = b.linear([[uT, W1], [uT1, W2]], undefined, null, 'z');
  const C = b.param('fdm.C', [d, d], kaimingUniform(rng, [d, d]));
  const D = b.param('fdm.D', [d, k], kaimingUniform(rng, [d, k]));
  let fdmIn = uT;
  if (obj.kind === 'cross') {
    fdmIn = input('o_t_b', [B, d]);
    target = input('o_t1_b', [B, d]);
  }
  const pred = b.linear([[fdmIn, C], [z, D]], undefined, null, 'pred');
  const terms: LossTerm[] = [{ value: b.mseLoss(pred, target, { name: 'recon' }) }];
  let nLab = 0;
  if (obj.kind === 'sup') {
    const a = input('a', [B, gen.dAction]);
    const mask = input('mask', [B]);
    nLab = Math.max(1, Math.round(obj.p * B));
    const H = b.param('head.H', [gen.dAction, k], kaimingUniform(rng, [gen.dAction, k]));
    const ah = b.linear(z, H, null, 'a_hat');
    const denom = obj.norm === 'labelled' ? nLab : B;
    terms.push({ value: b.mseLoss(ah, a, { mask, denom, name: 'sup' }), weight: obj.lambda });
  }
  addTrainingStep(b, terms, { optimizer: 'adam', lr: 1e-3, termNames: terms.length > 1 ? ['recon', 'sup'] : undefined });
  if (obj.kind === 'repr' && o.encoder === 'ema') {
    const Ebar = b.graph.state.get('enc.E_target')!;
    const E = b.graph.params.get('enc.E')!;
    b.op('ema_update', [Ebar, E], { decay: o.emaDecay }, { name: 'ema_target', phase: 'update' });
  }

  const fill = (block: Float32Array, off: number) => {
    let p = off;
    const put = (arr: Float32Array) => {
      block.set(arr, p);
      p += arr.length;
    };
    if (obj.kind === 'cross') {
      const [c1, c2] = gen.pairs(B, dataRng);
      put(c1.oT);
      put(c1.oT1);
      put(c2.oT);
      put(c2.oT1);
      return;
    }
    const bt = gen.sample(B, dataRng);
    if (obj.kind === 'aug' && obj.kappa > 0) {
      for (let i = 0; i < B; i++)
        for (let j = 0; j < d; j++) {
          const n = obj.kappa * dataRng.normal();
          bt.oT[i * d + j] += n;
          bt.oT1[i * d + j] += n;
        }
    }
    put(bt.oT);
    put(bt.oT1);
    if (obj.kind === 'sup') {
      put(bt.a);
      const mask = new Float32Array(B);
      const idx = Array.from({ length: B }, (_, i) => i);
      dataRng.shuffle(idx);
      for (let i = 0; i < nLab; i++) mask[idx[i]] = 1;
      put(mask);
    }
  };
  return { builder: b, feedNames, fill };
}

/**
 * Trains a linear LAM for `obj` on data from `gen` and returns its weights in raw observation
 * coordinates (E folded into W1, W2 for repr), ready for src/analysis metrics.
 */
export async function trainLinearLam(gen: LinearExo, obj: Objective, opts: LinearTrainOptions): Promise<TrainedLinearLam> {
  const k = opts.k;
  const steps = opts.steps ?? 600;
  const batch = opts.batch ?? 128;
  const lr = opts.lr ?? 1e-2;
  const schedule = opts.schedule ?? [
    [0.6, 1],
    [0.3, 0.1],
    [0.1, 0.01],
  ];
  const chunk = opts.chunk ?? 100;
  const encoder: EncoderMode = obj.kind === 'repr' ? (opts.encoder ?? 'fixed') : 'fixed';
  if (!Number.isInteger(steps) || steps < 1) throw new RangeError(`--steps: expected an integer ≥ 1, got ${steps}`);
  if (!Number.isInteger(batch) || batch < 2) throw new RangeError(`batch: expected an integer ≥ 2, got ${batch}`);
  if (!(lr > 0)) throw new RangeError(`lr: expected a number > 0, got ${lr}`);
  const seed = opts.seed ?? gen.config.seed;
  const rng = new Rng(seed + 101);
  const dataRng = new Rng(seed + 202);
  const t0 = performance.now();
  const built = build(gen, obj, { k, batch, emaDecay: opts.emaDecay ?? 0.99, encoder, rng, dataRng });
  // The learning rate is a compile-time attribute: each phase recompiles with its lr and carries
  // the whole state (params, Adam moments, step counter) across.
  const setLr = (v: number) => {
    for (const n of built.builder.graph.nodes) if (n.op === 'adam_update') n.attrs.lr = v;
  };
  const total = schedule.reduce((a, [f]) => a + f, 0);
  if (!(total > 0) || schedule.some(([f, m]) => !(f >= 0) || !(m > 0)))
    throw new RangeError(`schedule: expected [fraction ≥ 0, lr multiplier > 0] phases, got ${JSON.stringify(schedule)}`);
  const ends: number[] = [];
  let acc = 0;
  for (const [f] of schedule) {
    acc += f;
    ends.push(Math.round((steps * acc) / total));
  }
  let model: CompiledModel | undefined;
  let per = 0;
  const curve: { step: number; loss: number }[] = [];
  let done = 0;
  for (let ph = 0; ph < schedule.length; ph++) {
    if (ends[ph] <= done) continue;
    setLr(lr * schedule[ph][1]);
    const next = await compileWith(built.builder, opts.backend);
    if (model) {
      next.setState(model.getState());
      model.runner.dispose();
    }
    model = next;
    per = model.feedFloatsPerStep;
    while (done < ends[ph]) {
      const n = Math.min(chunk, ends[ph] - done);
      const block = new Float32Array(n * per);
      for (let s = 0; s < n; s++) built.fill(block, s * per);
      const out = model.run(block, n);
      const losses = model.output(out, 'loss');
      let m = 0;
      for (const v of losses) m += v;
      done += n;
      curve.push({ step: done, loss: m / n });
      opts.onProgress?.(done, m / n);
    }
  }
  if (!model) throw new RangeError(`--steps: expected an integer ≥ 1, got ${steps}`);
  const P = model.getParams();
  const d = gen.dObs;
  const W1 = fromRowMajor(P['idm.W1'], k, d, 'idm.W1');
  const W2 = fromRowMajor(P['idm.W2'], k, d, 'idm.W2');
  const C = fromRowMajor(P['fdm.C'], d, d, 'fdm.C');
  const D = fromRowMajor(P['fdm.D'], d, k, 'fdm.D');
  let E: Matrix | undefined;
  if (obj.kind === 'repr') E = encoder === 'fixed' ? representationMap(gen, obj.gamma) : fromRowMajor(P['enc.E'], d, d, 'enc.E');
  const res: TrainedLinearLam = {
    W1: E ? W1.mmul(E) : W1,
    W2: E ? W2.mmul(E) : W2,
    C,
    D,
    lossCurve: curve,
    backend: model.backend,
    steps,
    seconds: (performance.now() - t0) / 1000,
  };
  if (E) res.E = E;
  if (obj.kind === 'sup') res.H = fromRowMajor(P['head.H'], gen.dAction, k, 'head.H');
  model.runner.dispose();
  return res;
}
