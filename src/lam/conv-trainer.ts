/**
 * Training loop of the conv LAM on the gridworld, on the graph engine: the whole step (forward,
 * objective, backward, Adam, EMA target encoder, VQ statistics) is one compiled tape
 * (conv-graph.ts) that runs `chunk` steps per call; the feeds come from a BatchSource filled by
 * the gridworld generator. Between chunks TypeScript does what has no op: the VQ codebook
 * division and dead-code reset (vq.ts). Logs the losses, codebook usage / perplexity and the
 * encoder-embedding variance (collapse detector), and times rendering apart from the steps.
 */
import { Gridworld, type GridworldBatch, type GridworldConfig } from '../data/gridworld.js';
import { Rng } from '../data/rng.js';
import { compile } from '../graph/compile.js';
import type { CompiledModel } from '../graph/compiled.js';
import { plan } from '../graph/plan.js';
import type { BatchSource } from './batches.js';
import { buildConvTrainGraph, N_ACTIONS, type Bottleneck } from './conv-graph.js';
import { convObjectiveLabel, type ConvObjective } from './conv-objectives.js';
import { PRESETS, type ConvSpec } from './presets.js';
import { VqMaintainer, type VqState } from './vq.js';

export type { Bottleneck };

export interface ConvTrainOptions {
  preset: 'grid32' | 'conv64';
  /** Gridworld knobs (strength etc.); the frame shape comes from the preset (or world.height). */
  world?: Partial<GridworldConfig>;
  objective: ConvObjective;
  bottleneck?: Bottleneck;
  steps: number;
  seed: number;
  /** Batch size (default: the preset's). */
  batch?: number;
  /** Latent size k (default: the preset's, 8 for grid32, 16 for conv64). */
  latentDim?: number;
  lr?: number;
  /** Backend (default: LAMKIT_BACKEND or the best available). */
  backend?: string;
  /** Steps per compiled run call (default 4 with VQ — the codebook refreshes between calls — else 25). */
  chunk?: number;
  /** Log every this many steps (default: steps/50, rounded to whole chunks). */
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
  /** Mean per-dim variance of z_e over the last batch (→ 0: the IDM stopped passing anything). */
  zVar: number;
}

export interface ConvTrainResult {
  preset: 'grid32' | 'conv64';
  spec: ConvSpec;
  batch: number;
  lr: number;
  world: Gridworld;
  /** Trained parameters by (preset) name, and their shapes. */
  params: Record<string, Float32Array>;
  paramShapes: Record<string, readonly number[]>;
  /** VQ codebook [K, k] (null for the continuous bottleneck). */
  codebook: Float32Array | null;
  objective: ConvObjective;
  bottleneck: Bottleneck;
  log: ConvLogEntry[];
  backend: string;
  /** Mean milliseconds per training step (forward + backward + update), excluding rendering. */
  msPerStep: number;
  /** Mean milliseconds spent rendering one step's batch. */
  renderMsPerStep: number;
  steps: number;
  seed: number;
}

/** Largest latent size accepted: wider than any frame's agent/distractor state needs. */
export const MAX_LATENT_DIM = 256;

/**
 * The conv spec of a preset at frame size `size` (any multiple of 16) and latent size `k`
 * (default the preset's): a k at the action's size is where supervision can remove leakage
 * (SCIENCE.md §5: with k > d_a the spare dims carry distractors whatever the objective).
 */
export function convSpec(preset: 'grid32' | 'conv64', size?: number, k?: number): ConvSpec {
  const p = PRESETS[preset];
  if (!p || p.spec.kind !== 'conv') throw new RangeError(`--preset: expected grid32 or conv64 for the gridworld, got '${preset}'`);
  const s = size ?? p.spec.h;
  if (!Number.isInteger(s) || s < 16 || s % 16 !== 0) throw new RangeError(`--frame: expected a multiple of 16 (the conv stack halves the frame 4 times): 16, 32, 48, 64, …; got ${s}`);
  const latent = k ?? p.spec.k;
  if (!Number.isInteger(latent) || latent < 1 || latent > MAX_LATENT_DIM) throw new RangeError(`--latent-dim: expected an integer in [1, ${MAX_LATENT_DIM}], got ${latent}`);
  return { ...p.spec, h: s, w: s, k: latent };
}

/** The labelled pool of `sup:λ:p:m`: o_t, o_t1 and the action of ⌈p·steps·batch⌉ transitions. */
interface LabelledPool {
  n: number;
  obs: Float32Array;
  next: Float32Array;
  action: Int32Array;
}

/** Renders the pool in blocks (only o_t, o_t1 and the action are kept). */
function labelledPool(world: Gridworld, n: number): LabelledPool {
  const F = world.cfg.channels * world.cfg.height * world.cfg.width;
  const pool = { n, obs: new Float32Array(n * F), next: new Float32Array(n * F), action: new Int32Array(n) };
  for (let r0 = 0; r0 < n; r0 += 256) {
    const b = world.sampleBatch(Math.min(256, n - r0));
    pool.obs.set(b.obs, r0 * F);
    pool.next.set(b.next, r0 * F);
    pool.action.set(b.action, r0);
  }
  return pool;
}

/**
 * Feeds of one gridworld training step: o_t, o_t1 always; oracle_t/_t1 (agent-only views),
 * pair_t/_t1 (counterfactual copy B, cross) or a/mask (action one-hot, labelled with
 * probability p — or, for sup:λ:p:m, m rows drawn from a labelled pool of p·steps·batch
 * transitions) by objective.
 */
export function gridworldSource(world: Gridworld, batch: number, objective: ConvObjective, rng: Rng, steps = 1): BatchSource & { last: GridworldBatch | null } {
  const m = objective.kind === 'sup' ? objective.perBatch : undefined;
  if (m !== undefined && m > batch) throw new RangeError(`--objective sup:…:${m}: m (labelled rows per batch) must be ≤ the batch size ${batch}, got ${m}`);
  const pool = m !== undefined && objective.kind === 'sup' ? labelledPool(world, Math.max(m, Math.ceil(objective.p * steps * batch))) : null;
  const F = world.cfg.channels * world.cfg.height * world.cfg.width;
  const feeds = ['o_t', 'o_t1'];
  if (objective.kind === 'oracle') feeds.push('oracle_t', 'oracle_t1');
  if (objective.kind === 'cross') feeds.push('pair_t', 'pair_t1');
  if (objective.kind === 'sup') feeds.push('a', 'mask');
  const src = {
    feeds,
    last: null as GridworldBatch | null,
    next(v: Record<string, Float32Array>) {
      let b: GridworldBatch;
      if (objective.kind === 'cross') {
        const cf = world.counterfactualBatch(batch);
        b = cf.a;
        v.pair_t.set(cf.b.obs);
        v.pair_t1.set(cf.b.next);
      } else b = world.sampleBatch(batch);
      v.o_t.set(b.obs);
      v.o_t1.set(b.next);
      if (objective.kind === 'oracle') {
        v.oracle_t.set(b.oracleObs);
        v.oracle_t1.set(b.oracleNext);
      }
      if (objective.kind === 'sup') {
        v.a.fill(0);
        for (let n = 0; n < batch; n++) {
          let action = b.action[n];
          if (pool && n < m!) {
            // Rows 0…m−1 come from the labelled pool (the rest of the batch stays unlabelled).
            const j = rng.int(pool.n);
            v.o_t.set(pool.obs.subarray(j * F, (j + 1) * F), n * F);
            v.o_t1.set(pool.next.subarray(j * F, (j + 1) * F), n * F);
            action = pool.action[j];
          }
          if (action < 0) throw new RangeError(`--objective sup: needs discrete actions (--action-mode discrete), got action ${action}`);
          v.a[n * N_ACTIONS + action] = 1;
          v.mask[n] = pool ? (n < m! ? 1 : 0) : rng.uniform() < objective.p ? 1 : 0;
        }
      }
      src.last = b;
    },
  };
  return src;
}

/** Reads / writes the VQ state of a compiled model by slot name. */
function vqState(m: CompiledModel): { read: () => VqState; write: (s: VqState) => void } {
  const slot = (name: string) => {
    const s = m.plan.state.find((x) => x.name === name);
    if (!s) throw new RangeError(`VQ: the compiled model has no state '${name}'`);
    return s;
  };
  const [c, n, s] = [slot('vq.codebook'), slot('vq.ema_count'), slot('vq.ema_sum')];
  return {
    read: () => ({ codebook: m.runner.readArena(c.offset, c.size).slice(), emaCount: m.runner.readArena(n.offset, n.size).slice(), emaSum: m.runner.readArena(s.offset, s.size).slice() }),
    write: (st) => {
      m.runner.writeArena(c.offset, st.codebook);
      m.runner.writeArena(n.offset, st.emaCount);
      m.runner.writeArena(s.offset, st.emaSum);
    },
  };
}

/** Trains one conv LAM; deterministic given the options and the backend. */
export async function trainConvLam(opts: ConvTrainOptions): Promise<ConvTrainResult> {
  if (opts.world?.width !== undefined && opts.world.height !== undefined && opts.world.width !== opts.world.height)
    throw new RangeError(`--frame: frames must be square for the conv presets, got ${opts.world.height}×${opts.world.width}`);
  const spec = convSpec(opts.preset, opts.world?.height ?? opts.world?.width, opts.latentDim);
  const preset = PRESETS[opts.preset];
  const batch = opts.batch ?? preset.batch;
  const lr = opts.lr ?? preset.lr;
  if (!Number.isInteger(opts.steps) || opts.steps < 1) throw new RangeError(`--steps: expected an integer ≥ 1, got ${opts.steps}`);
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`--batch: expected an integer ≥ 1, got ${batch}`);
  const bottleneck = opts.bottleneck ?? { kind: 'continuous' };
  const obj = opts.objective;
  const world = new Gridworld({ ...opts.world, channels: spec.c as 1 | 3, height: spec.h, width: spec.w, seed: opts.world?.seed ?? opts.seed }, opts.seed * 7919 + 1);
  const root = new Rng(opts.seed);
  const g = buildConvTrainGraph({ spec, batch, seed: root.int(2 ** 30), objective: obj, bottleneck, lr });
  const model = await compile(plan(g.builder.graph, { checkFinite: true }), { backend: opts.backend });
  try {
    const source = gridworldSource(world, batch, obj, root.fork(), opts.steps);
    const vq = bottleneck.kind === 'vq' ? new VqMaintainer({ codes: bottleneck.codes, dim: spec.k }, root.fork()) : null;
    const vqIo = vq ? vqState(model) : null;
    const chunk = Math.max(1, Math.min(opts.chunk ?? (vq ? 4 : 25), opts.steps));
    const logEvery = opts.logEvery ?? Math.max(1, Math.floor(opts.steps / 50));
    const per = model.feedFloatsPerStep;
    const block = new Float32Array(chunk * per);
    const log: ConvLogEntry[] = [];
    let acc: Record<string, number> = {};
    let accTotal = 0, accN = 0, stepMs = 0, renderMs = 0, nextLog = logEvery;
    let done = 0;
    while (done < opts.steps) {
      // The first VQ call is one step: its encoder outputs initialise the codebook.
      const n = vq && !vq.initialised ? 1 : Math.min(chunk, opts.steps - done);
      const r0 = performance.now();
      for (let s = 0; s < n; s++) {
        const views: Record<string, Float32Array> = {};
        for (const f of model.plan.feeds) views[f.name] = block.subarray(s * per + f.offset, s * per + f.offset + f.size);
        source.next(views);
      }
      const t0 = performance.now();
      renderMs += t0 - r0;
      const out = model.run(n === chunk ? block : block.subarray(0, n * per), n);
      const zAll = model.output(out, 'z_e');
      const zLast = zAll.subarray(zAll.length - batch * spec.k);
      if (vq && vqIo) {
        vq.observe(model.output(out, 'vq.count'));
        const st = vqIo.read();
        if (!vq.initialised) vq.init(st, zLast);
        else vq.refresh(st, zLast);
        vqIo.write(st);
      }
      stepMs += performance.now() - t0;
      const total = model.output(out, 'loss');
      const parts = Object.fromEntries(g.terms.map((t) => [t, g.terms.length > 1 ? model.output(out, t) : total]));
      for (let s = 0; s < n; s++) {
        for (const t of g.terms) acc[t] = (acc[t] ?? 0) + parts[t][s];
        accTotal += total[s];
        accN++;
      }
      done += n;
      if (done >= nextLog || done === opts.steps) {
        const e: ConvLogEntry = { step: done, loss: accTotal / accN, parts: Object.fromEntries(Object.entries(acc).map(([k, v]) => [k, v / accN])), zVar: meanVariance(zLast, batch) };
        if (vq) {
          const m = vq.metrics();
          e.usage = m.usage;
          e.perplexity = m.perplexity;
        }
        if (g.extraOutputs.includes('embed')) {
          const emb = model.output(out, 'embed');
          e.embedVar = meanVariance(emb.subarray(emb.length - emb.length / n), batch);
        }
        log.push(e);
        opts.onLog?.(e);
        acc = {};
        accTotal = 0;
        accN = 0;
        while (nextLog <= done) nextLog += logEvery;
      }
    }
    return {
      preset: opts.preset,
      spec,
      batch,
      lr,
      world,
      params: model.getParams(),
      paramShapes: model.paramShapes(),
      codebook: vqIo ? vqIo.read().codebook : null,
      objective: obj,
      bottleneck,
      log,
      backend: model.backend,
      msPerStep: stepMs / opts.steps,
      renderMsPerStep: renderMs / opts.steps,
      steps: opts.steps,
      seed: opts.seed,
    };
  } finally {
    model.dispose();
  }
}

/** Mean per-dimension variance over the rows of a row-major [rows, D] block (collapse detector). */
export function meanVariance(x: Float32Array, rows: number): number {
  const D = x.length / rows;
  let v = 0;
  for (let d = 0; d < D; d++) {
    let m = 0, s = 0;
    for (let n = 0; n < rows; n++) m += x[n * D + d];
    m /= rows;
    for (let n = 0; n < rows; n++) s += (x[n * D + d] - m) ** 2;
    v += s / rows;
  }
  return v / D;
}

/** A one-line description of a run for logs and reports. */
export function describeRun(r: Pick<ConvTrainResult, 'preset' | 'spec' | 'objective' | 'bottleneck' | 'world' | 'backend'>): string {
  const b = r.bottleneck.kind === 'vq' ? `vq:${r.bottleneck.codes}` : 'continuous';
  return `${r.preset} objective=${convObjectiveLabel(r.objective)} bottleneck=${b} k=${r.spec.k} distractors=${r.world.cfg.strength} (${r.backend})`;
}
