/**
 * Training loop of the conv LAM on the gridworld: sample (or counterfactual-pair) batches, run
 * one objective step, Adam, then the between-step updates that are not gradients (EMA codebook +
 * dead-code reset, EMA target encoder). Logs the losses, codebook usage and perplexity, and
 * times rendering separately from the step so the report can say which dominates.
 */
import { Gridworld, type GridworldBatch, type GridworldConfig } from '../data/gridworld.js';
import { Rng } from '../data/rng.js';
import { Tape } from './conv-eager.js';
import { CONV_PRESETS, ConvLam, emaUpdate, type ConvLamSpec } from './conv-lam.js';
import { convObjectiveLabel, frames, objectiveStep, type ConvObjective, type StepContext } from './conv-objectives.js';
import { VqCodebook } from './vq.js';

export type Bottleneck = { kind: 'continuous' } | { kind: 'vq'; codes: number };

export interface ConvTrainOptions {
  preset: 'grid32' | 'conv64';
  /** Gridworld knobs (strength etc.); the frame shape comes from the preset. */
  world?: Partial<GridworldConfig>;
  objective: ConvObjective;
  bottleneck?: Bottleneck;
  steps: number;
  seed: number;
  /** Batch size (default: the preset's). */
  batch?: number;
  lr?: number;
  /** Log every this many steps (default: steps/50). */
  logEvery?: number;
  /** Called at each log point (progress output). */
  onLog?: (e: ConvLogEntry) => void;
}

export interface ConvLogEntry {
  step: number;
  /** Mean total objective over the interval (weighted sum of the parts). */
  loss: number;
  /** Mean of each named loss part over the interval (unweighted). */
  parts: Record<string, number>;
  /** VQ codebook usage (fraction of codes used) and perplexity over the interval. */
  usage?: number;
  perplexity?: number;
  /** Variance of the encoder embedding (latent objectives: → 0 means collapse). */
  embedVar?: number;
}

export interface ConvTrainResult {
  model: ConvLam;
  spec: ConvLamSpec;
  world: Gridworld;
  vq: VqCodebook | null;
  objective: ConvObjective;
  bottleneck: Bottleneck;
  log: ConvLogEntry[];
  /** Mean milliseconds per training step (forward + backward + update), excluding rendering. */
  msPerStep: number;
  /** Mean milliseconds spent rendering one step's batch. */
  renderMsPerStep: number;
  steps: number;
  seed: number;
}

/** Trains one conv LAM; deterministic given the options. */
export function trainConvLam(opts: ConvTrainOptions): ConvTrainResult {
  const spec0 = CONV_PRESETS[opts.preset];
  if (!spec0) throw new RangeError(`--preset: expected grid32 or conv64 for the gridworld, got '${opts.preset}'`);
  // The frame size may differ from the preset's (any multiple of 16; ConvLam checks it).
  const size = opts.world?.height ?? spec0.size;
  if (opts.world?.width !== undefined && opts.world.width !== size) throw new RangeError(`--frame: frames must be square for the conv presets, got ${size}×${opts.world.width}`);
  const spec: ConvLamSpec = { ...spec0, size, batch: opts.batch ?? spec0.batch, lr: opts.lr ?? spec0.lr };
  if (!Number.isInteger(opts.steps) || opts.steps < 1) throw new RangeError(`--steps: expected an integer ≥ 1, got ${opts.steps}`);
  const bottleneck = opts.bottleneck ?? { kind: 'continuous' };
  const world = new Gridworld({ ...opts.world, channels: spec.channels as 1 | 3, height: spec.size, width: spec.size, seed: opts.world?.seed ?? opts.seed }, opts.seed * 7919 + 1);
  const root = new Rng(opts.seed);
  const obj = opts.objective;
  const model = new ConvLam(spec, root.fork(), { actions: obj.kind === 'sup' ? 5 : undefined, latent: obj.kind === 'latent' });
  const vq = bottleneck.kind === 'vq' ? new VqCodebook({ codes: bottleneck.codes, dim: spec.k }, root.fork()) : null;
  const ctx: StepContext = { model, objective: obj, vq, emaEncoder: obj.kind === 'latent' && obj.ema ? model.cloneEncoder() : null, rng: root.fork() };
  const logEvery = opts.logEvery ?? Math.max(1, Math.floor(opts.steps / 50));
  const log: ConvLogEntry[] = [];
  let acc: Record<string, number> = {};
  let accTotal = 0, accN = 0, stepMs = 0, renderMs = 0;
  const weights: Record<string, number> = { commit: vq?.beta ?? 0, sup: obj.kind === 'sup' ? obj.lambda : 0 };
  for (let step = 1; step <= opts.steps; step++) {
    const r0 = performance.now();
    let batch, pair;
    if (obj.kind === 'cross') {
      const cf = world.counterfactualBatch(spec.batch);
      batch = cf.a;
      pair = cf.b;
    } else batch = world.sampleBatch(spec.batch);
    const t0 = performance.now();
    renderMs += t0 - r0;
    const tape = new Tape();
    model.params.zeroGrad();
    const { ze, idx } = objectiveStep(tape, ctx, batch, pair);
    tape.backward();
    model.params.adam(spec.lr);
    if (vq && idx) vq.update(ze.data, idx, spec.batch);
    if (ctx.emaEncoder && obj.kind === 'latent' && obj.ema) emaUpdate(ctx.emaEncoder, model.params, obj.tau);
    stepMs += performance.now() - t0;
    for (const [k, v] of Object.entries(tape.losses)) {
      acc[k] = (acc[k] ?? 0) + v;
      accTotal += (weights[k] ?? 1) * v;
    }
    accN++;
    if (step % logEvery === 0 || step === opts.steps) {
      const parts: Record<string, number> = {};
      for (const [k, v] of Object.entries(acc)) parts[k] = v / accN;
      const e: ConvLogEntry = { step, loss: accTotal / accN, parts };
      if (vq) {
        const m = vq.metrics();
        e.usage = m.usage;
        e.perplexity = m.perplexity;
      }
      if (obj.kind === 'latent') e.embedVar = embedVariance(model, batch);
      log.push(e);
      opts.onLog?.(e);
      acc = {};
      accTotal = 0;
      accN = 0;
    }
  }
  return { model, spec, world, vq, objective: obj, bottleneck, log, msPerStep: stepMs / opts.steps, renderMsPerStep: renderMs / opts.steps, steps: opts.steps, seed: opts.seed };
}

/** Mean per-dim variance of the encoder embedding over a batch (collapse detector). */
function embedVariance(model: ConvLam, batch: GridworldBatch): number {
  const t = new Tape(false);
  const h = model.embed(t, model.encode(t, frames(batch, 'obs')));
  const [N, D] = h.shape;
  let v = 0;
  for (let d = 0; d < D; d++) {
    let m = 0, s = 0;
    for (let n = 0; n < N; n++) m += h.data[n * D + d];
    m /= N;
    for (let n = 0; n < N; n++) s += (h.data[n * D + d] - m) ** 2;
    v += s / N;
  }
  return v / D;
}

/** A one-line description of a run for logs and reports. */
export function describeRun(r: Pick<ConvTrainResult, 'spec' | 'objective' | 'bottleneck' | 'world'>): string {
  const b = r.bottleneck.kind === 'vq' ? `vq:${r.bottleneck.codes}` : 'continuous';
  return `${r.spec.name} objective=${convObjectiveLabel(r.objective)} bottleneck=${b} distractors=${r.world.cfg.strength}`;
}
