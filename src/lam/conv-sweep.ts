/**
 * The nonlinear findings sweep behind `lamkit sweep` (src/cli/sweep.ts) and the section that
 * `lamkit demo` appends: trains every configuration for every seed, probes it on held-out data,
 * aggregates mean ± std over seeds, evaluates the claims of SCIENCE.md §6 as pass/fail checks
 * with margins against the seed-to-seed spread, and builds the report section (Vega-Lite plots
 * with error bars, a table, and all runs in results.json).
 */
import type { ReportSection, Report } from '../report/report.js';
import { writeReport } from '../report/report.js';
import type { VegaLiteSpec } from '../report/vega.js';
import { convObjectiveLabel, parseConvObjective } from './conv-objectives.js';
import { ConvLamModel } from './conv-lam.js';
import { probeConvLam } from './conv-probes.js';
import { trainConvLam, type Bottleneck } from './conv-trainer.js';
import { saveGridworldRun } from './gridworld-run.js';
import { join } from 'node:path';

export interface SweepOptions {
  preset: 'grid32' | 'conv64';
  quick: boolean;
  seeds: number;
  steps: number;
  strengths: number[];
  codes: number;
  supLambda: number;
  /** Labelled rows per batch of the supervision remedy (sup:λ:0.05:m, a labelled pool of p = 5 %). */
  supRows: number;
  /**
   * Latent size of the `matched` group: recon and every remedy at a bottleneck at the action's
   * size, where SCIENCE.md §5 says supervision can remove leakage (at the preset's k the spare
   * dims carry distractors whatever the objective).
   */
  matchedDim: number;
  /** Adam learning rate (default: the preset's). */
  lr?: number;
  /** Probe sizes (default: 1200/600 quick, 3000/1500 full). */
  probeN?: number;
  probePairs?: number;
  /** Restrict the groups (tests use a subset). */
  groups?: SweepGroup[];
  /** Restrict the remedies (REMEDY_NAMES, e.g. ['oracle', 'cross']); default all. */
  remedies?: string[];
  /** Save every trained run here (run directories for `lamkit analyze --run`). */
  saveDir?: string;
  /** Training batch (default: the preset's). */
  batch?: number;
  /** Engine backend (default: LAMKIT_BACKEND or the best available). */
  backend?: string;
  onProgress?: (line: string) => void;
}

export type SweepGroup = 'leakage' | 'remedies' | 'matched' | 'vq' | 'vq-remedies' | 'collapse';
export const SWEEP_GROUPS: readonly SweepGroup[] = ['leakage', 'remedies', 'matched', 'vq', 'vq-remedies', 'collapse'];

/**
 * Defaults of `lamkit sweep` (and of the quick sweep `lamkit demo` appends).
 * steps 3000: the IDM output sits near a constant for 300–2500 steps (seed- and objective-
 * dependent) before it picks up the sprite; at 2000 steps one cross seed had not left it.
 * sup:50:0.05:4 (λ = 50, p = 5 % labelled pool, 4 pool rows per batch of 16): at k = 2 and S = 1,
 * λ = 5 and 20 with Bernoulli labels (< 1 label per batch) left the head at chance (sup loss
 * 0.75, chance 0.8) and z near constant; with every row labelled λ = 5 lowered S_exo only to
 * 0.31 (recon 0.41) while λ = 20 / 50 took it to 0.09 / 0.05 — the §5 threshold
 * λ > σ_ξ²/σ_a² − 1 lies between 5 and 20 here; the pool with 4 rows per batch at λ = 50 matches
 * full labels (S_exo 0.05, R²(ξ|z̃) ≈ 0; one seed, 3000 steps).
 */
export const SWEEP_DEFAULTS = { seeds: 3, steps: 3000, quickSteps: 150, strengths: [0, 0.5, 1], quickStrengths: [0, 1], codes: 16, matchedDim: 2, supLambda: 50, supRows: 4, quickGroups: ['leakage', 'remedies', 'matched'] as SweepGroup[] };

/** The quick sweep (a few minutes on a 2-core CPU): leakage and remedies at strengths 0 and 1. */
export function quickSweepOptions(o: { backend?: string; onProgress?: (line: string) => void } = {}): SweepOptions {
  return { preset: 'grid32', quick: true, seeds: SWEEP_DEFAULTS.seeds, steps: SWEEP_DEFAULTS.quickSteps, strengths: SWEEP_DEFAULTS.quickStrengths, codes: SWEEP_DEFAULTS.codes, matchedDim: SWEEP_DEFAULTS.matchedDim, supLambda: SWEEP_DEFAULTS.supLambda, supRows: SWEEP_DEFAULTS.supRows, groups: SWEEP_DEFAULTS.quickGroups, ...o };
}

const METRICS = ['condAccAction', 'condR2Action', 'r2Action', 'accAction', 'r2Xi', 'r2X', 'sExo', 'r2ActionRaw', 'accActionRaw', 'r2XiRaw', 'finalLoss', 'usage', 'perplexity', 'embedVar', 'zVar', 'msPerStep', 'renderMsPerStep'] as const;
type Metric = (typeof METRICS)[number];

export interface SweepRun {
  group: SweepGroup;
  preset: string;
  objective: string;
  bottleneck: string;
  /** "objective / bottleneck": the series name in plots. */
  config: string;
  /** Latent size k of the run (absent in results written before --latent-dim: the preset's). */
  latentDim?: number;
  strength: number;
  seed: number;
  /** State-conditional linear probe of the action (the headline action quality, see conv-probes.ts). */
  condAccAction: number;
  condR2Action: number;
  r2Action: number;
  accAction: number;
  r2Xi: number;
  r2X: number;
  sExo: number;
  r2ActionRaw: number;
  accActionRaw: number;
  r2XiRaw: number;
  chance: number;
  finalLoss: number;
  usage?: number;
  perplexity?: number;
  embedVar?: number;
  /** Final per-dim variance of z_e: ≲1e-3 means the IDM never left its near-constant start. */
  zVar?: number;
  msPerStep: number;
  renderMsPerStep: number;
  curve: { step: number; loss: number; usage?: number; perplexity?: number; embedVar?: number; zVar?: number }[];
}

export interface SweepSummary {
  group: SweepGroup;
  config: string;
  objective: string;
  bottleneck: string;
  strength: number;
  latentDim?: number;
  n: number;
  mean: Partial<Record<Metric, number>>;
  std: Partial<Record<Metric, number>>;
}

export interface SweepCheck {
  claim: string;
  pass: boolean;
  detail: string;
}

export interface SweepResult {
  runs: SweepRun[];
  summary: SweepSummary[];
  checks: SweepCheck[];
}

interface Config {
  group: SweepGroup;
  objective: string;
  bottleneck: Bottleneck;
  strength: number;
  /** Latent size (default: the preset's). */
  latentDim?: number;
}

/** Remedy names (for --remedies) and their objectives. */
export const REMEDY_NAMES = ['oracle', 'latent-ema', 'latent-ema-mse', 'latent-ema-var', 'sup', 'cross'] as const;
/** The supervision remedy's objective: p = 0.05 as a labelled pool, `supRows` of its rows per batch. */
export function supObjective(o: Pick<SweepOptions, 'supLambda' | 'supRows'>): string {
  return `sup:${o.supLambda}:0.05:${o.supRows}`;
}

function remedyObjectives(o: Pick<SweepOptions, 'supLambda' | 'supRows'>): [string, string][] {
  // latent-ema: BYOL's cosine loss on L2-normalised rows of the encoder's stage-2 map;
  // latent-ema-mse: the first form (MSE to the raw EMA target, for the record); latent-ema-var:
  // that plus the variance term (μ = 1) that keeps its embedding from shrinking.
  return [['oracle', 'oracle'], ['latent-ema', 'latent-ema'], ['latent-ema-mse', 'latent-ema-mse'], ['latent-ema-var', 'latent-ema-mse:0.99:1'], ['sup', supObjective(o)], ['cross', 'cross']];
}

/** The configurations of the findings suite. */
export function findingsConfigs(o: SweepOptions): Config[] {
  // vq-remedies (every remedy with the VQ bottleneck) is opt-in: --groups vq-remedies.
  const groups = new Set(o.groups ?? ['leakage', 'remedies', 'matched', 'vq', 'collapse']);
  const smax = Math.max(...o.strengths);
  const cont: Bottleneck = { kind: 'continuous' };
  const out: Config[] = [];
  if (groups.has('leakage')) for (const s of o.strengths) out.push({ group: 'leakage', objective: 'recon', bottleneck: cont, strength: s });
  // The chosen remedies' objectives; matched and vq-remedies add their own recon baseline.
  const remedies = remedyObjectives(o).filter(([n]) => !o.remedies || o.remedies.includes(n)).map(([, obj]) => obj);
  if (groups.has('remedies')) for (const obj of remedies) out.push({ group: 'remedies', objective: obj, bottleneck: cont, strength: smax });
  if (groups.has('matched')) for (const obj of ['recon', ...remedies]) out.push({ group: 'matched', objective: obj, bottleneck: cont, strength: smax, latentDim: o.matchedDim });
  if (groups.has('vq')) for (const s of o.strengths) out.push({ group: 'vq', objective: 'recon', bottleneck: { kind: 'vq', codes: o.codes }, strength: s });
  if (groups.has('vq-remedies')) for (const obj of ['recon', ...remedies]) out.push({ group: 'vq-remedies', objective: obj, bottleneck: { kind: 'vq', codes: o.codes }, strength: smax });
  if (groups.has('collapse')) out.push({ group: 'collapse', objective: 'latent-nosg', bottleneck: cont, strength: smax });
  return out;
}

/** Bottleneck label; a latent size other than the preset's is part of it ("continuous k=2"). */
function bnLabel(b: Bottleneck, k?: number): string {
  return (b.kind === 'vq' ? `vq:${b.codes}` : 'continuous') + (k !== undefined ? ` k=${k}` : '');
}

/** Trains and probes every configuration × seed. */
export async function runSweep(o: SweepOptions): Promise<SweepResult> {
  const configs = findingsConfigs(o);
  const runs: SweepRun[] = [];
  const total = configs.length * o.seeds;
  let i = 0;
  for (const c of configs)
    for (let seed = 0; seed < o.seeds; seed++) {
      i++;
      const objective = parseConvObjective(c.objective);
      const t0 = Date.now();
      const r = await trainConvLam({ preset: o.preset, objective, bottleneck: c.bottleneck, latentDim: c.latentDim, steps: o.steps, lr: o.lr, batch: o.batch, backend: o.backend, seed: 1000 + seed, world: { strength: c.strength }, logEvery: Math.max(1, Math.floor(o.steps / 25)) });
      const kTag = c.latentDim !== undefined ? `-k${c.latentDim}` : '';
      if (o.saveDir)
        saveGridworldRun(join(o.saveDir, `${c.group}-${c.objective.replace(/:/g, '_')}-${bnLabel(c.bottleneck).replace(':', '')}${kTag}-s${c.strength}-seed${seed}`), { preset: o.preset, world: { strength: c.strength }, objectiveText: c.objective, bottleneckText: bnLabel(c.bottleneck), steps: o.steps, seed: 1000 + seed, lr: o.lr, batch: o.batch, latentDim: c.latentDim, backend: o.backend }, r);
      const lam = await ConvLamModel.load(r.spec, r.params, r.codebook, { backend: o.backend });
      let p;
      try {
        p = probeConvLam(lam, r.world, { n: o.probeN ?? (o.quick ? 1000 : 2000), pairs: o.probePairs ?? (o.quick ? 400 : 800), projDims: 16, seed: 50 + seed });
      } finally {
        lam.dispose();
      }
      const last = r.log[r.log.length - 1];
      const run: SweepRun = {
        group: c.group,
        preset: o.preset,
        objective: convObjectiveLabel(objective),
        bottleneck: bnLabel(c.bottleneck, c.latentDim),
        config: `${convObjectiveLabel(objective)} / ${bnLabel(c.bottleneck, c.latentDim)}`,
        latentDim: r.spec.k,
        strength: c.strength,
        seed,
        condAccAction: p.condAccAction,
        condR2Action: p.condR2Action,
        r2Action: p.r2Action,
        accAction: p.accAction,
        r2Xi: p.r2Xi,
        r2X: p.r2X,
        sExo: p.sExo,
        r2ActionRaw: p.r2ActionRaw,
        accActionRaw: p.accActionRaw,
        r2XiRaw: p.r2XiRaw,
        chance: p.chance,
        finalLoss: last.loss,
        usage: last.usage,
        perplexity: last.perplexity,
        embedVar: last.embedVar,
        zVar: last.zVar,
        msPerStep: r.msPerStep,
        renderMsPerStep: r.renderMsPerStep,
        curve: r.log.map((e) => ({ step: e.step, loss: e.loss, usage: e.usage, perplexity: e.perplexity, embedVar: e.embedVar, zVar: e.zVar })),
      };
      runs.push(run);
      o.onProgress?.(
        `[${i}/${total}] ${run.config} S=${c.strength} seed ${seed}: acc(a|z̃,s) ${p.condAccAction.toFixed(3)} acc(a|z̃) ${p.accAction.toFixed(3)} R²(ξ|z̃) ${p.r2Xi.toFixed(3)} S_exo ${p.sExo.toFixed(3)} loss ${last.loss.toFixed(3)}` +
          (last.usage !== undefined ? ` usage ${(100 * last.usage).toFixed(0)}%` : '') +
          ` (${((Date.now() - t0) / 1000).toFixed(0)} s, ${r.backend} ${r.msPerStep.toFixed(1)} ms/step, render ${r.renderMsPerStep.toFixed(1)} ms/step)`,
      );
      await new Promise((res) => setImmediate(res));
    }
  const summary = summarise(runs);
  return { runs, summary, checks: evaluateChecks(summary, o) };
}

/** Mean and sample std over seeds per (group, config, strength). */
export function summarise(runs: SweepRun[]): SweepSummary[] {
  const keyOf = (r: SweepRun) => `${r.group}|${r.config}|${r.strength}`;
  const groups = new Map<string, SweepRun[]>();
  for (const r of runs) groups.set(keyOf(r), [...(groups.get(keyOf(r)) ?? []), r]);
  const out: SweepSummary[] = [];
  for (const rs of groups.values()) {
    const mean: Partial<Record<Metric, number>> = {}, std: Partial<Record<Metric, number>> = {};
    for (const m of METRICS) {
      const v = rs.map((r) => r[m]).filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
      if (!v.length) continue;
      const mu = v.reduce((a, b) => a + b, 0) / v.length;
      mean[m] = mu;
      std[m] = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mu) ** 2, 0) / (v.length - 1)) : 0;
    }
    const r0 = rs[0];
    out.push({ group: r0.group, config: r0.config, objective: r0.objective, bottleneck: r0.bottleneck, strength: r0.strength, latentDim: r0.latentDim, n: rs.length, mean, std });
  }
  return out;
}

/**
 * The claims of SCIENCE.md §6 as checks. A difference counts only when it exceeds the larger
 * seed-to-seed std of the two groups compared (the "margin larger than the seed spread").
 */
export function evaluateChecks(summary: SweepSummary[], o: Pick<SweepOptions, 'strengths'>): SweepCheck[] {
  const checks: SweepCheck[] = [];
  const smin = Math.min(...o.strengths), smax = Math.max(...o.strengths);
  const find = (group: SweepGroup, objective: string, strength: number) => summary.find((s) => s.group === group && s.objective === objective && s.strength === strength);
  const cmp = (claim: string, a: SweepSummary | undefined, b: SweepSummary | undefined, m: Metric, dir: 'lower' | 'higher', what: string) => {
    if (!a || !b || a.mean[m] === undefined || b.mean[m] === undefined) return;
    const d = (a.mean[m] as number) - (b.mean[m] as number);
    const spread = Math.max(a.std[m] ?? 0, b.std[m] ?? 0);
    const pass = dir === 'higher' ? d > spread : -d > spread;
    checks.push({ claim, pass, detail: `${what}: ${fmt(a, m)} vs ${fmt(b, m)} (difference ${d.toFixed(3)}, seed spread ${spread.toFixed(3)})` });
  };
  const lo = find('leakage', 'recon', smin), hi = find('leakage', 'recon', smax);
  cmp(`recon: R²(ξ|z̃) rises from distractors ${smin} to ${smax}`, hi, lo, 'r2Xi', 'higher', 'R²(ξ|z̃)');
  cmp(`recon: S_exo rises from distractors ${smin} to ${smax}`, hi, lo, 'sExo', 'higher', 'S_exo');
  cmp(`recon: action accuracy falls from distractors ${smin} to ${smax}`, hi, lo, 'condAccAction', 'lower', 'acc(a|z̃,s)');
  cmp(`recon: action R² falls from distractors ${smin} to ${smax}`, hi, lo, 'condR2Action', 'lower', 'R²(a|z̃,s)');
  // Each remedy against plain reconstruction at the same latent size: the preset's k (remedies
  // vs leakage) and the action-sized k (matched, its own recon cell).
  const remedyChecks = (group: SweepGroup, base: SweepSummary | undefined) => {
    for (const s of summary.filter((x) => x.group === group && x.strength === smax && x.objective !== 'recon')) {
      const k = s.bottleneck.includes('k=') || s.latentDim === undefined ? '' : ` k=${s.latentDim}`;
      const at = `at distractors ${smax} (${s.bottleneck}${k})`;
      cmp(`${s.objective} lowers R²(ξ|z̃) vs recon ${at}`, s, base, 'r2Xi', 'lower', 'R²(ξ|z̃)');
      cmp(`${s.objective} lowers S_exo vs recon ${at}`, s, base, 'sExo', 'lower', 'S_exo');
      cmp(`${s.objective} raises action accuracy vs recon ${at}`, s, base, 'condAccAction', 'higher', 'acc(a|z̃,s)');
    }
  };
  remedyChecks('remedies', hi);
  remedyChecks('matched', find('matched', 'recon', smax));
  remedyChecks('vq-remedies', find('vq-remedies', 'recon', smax));
  const nosg = find('collapse', 'latent-nosg', smax), ema = find('remedies', 'latent-ema', smax);
  if (nosg && ema && nosg.mean.embedVar !== undefined && ema.mean.embedVar !== undefined)
    checks.push({
      claim: 'latent FDM without stop-gradient collapses (embedding variance ≪ EMA target)',
      pass: nosg.mean.embedVar < 0.1 * ema.mean.embedVar,
      detail: `embedding variance ${nosg.mean.embedVar.toExponential(2)} (no stop-gradient) vs ${ema.mean.embedVar.toExponential(2)} (EMA target)`,
    });
  return checks;
}

function fmt(s: SweepSummary, m: Metric): string {
  return `${(s.mean[m] as number).toFixed(3)} ± ${(s.std[m] ?? 0).toFixed(3)}`;
}

function lineWithErrorBars(title: string, values: Record<string, unknown>[], y: string, yTitle: string, x = 'strength', xTitle = 'distractor strength'): VegaLiteSpec {
  const enc = { x: { field: x, type: 'quantitative', title: xTitle }, color: { field: 'config', type: 'nominal', title: null } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 300,
    height: 200,
    data: { values },
    layer: [
      { mark: { type: 'line', point: true }, encoding: { ...enc, y: { field: y, aggregate: 'mean', type: 'quantitative', title: yTitle } } },
      { mark: { type: 'errorbar', extent: 'stdev', ticks: true }, encoding: { ...enc, y: { field: y, type: 'quantitative', title: yTitle } } },
    ],
  } as unknown as VegaLiteSpec;
}

function barsWithErrorBars(title: string, values: Record<string, unknown>[], y: string, yTitle: string): VegaLiteSpec {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title,
    width: 220,
    height: 180,
    data: { values },
    layer: [
      { mark: 'bar', encoding: { x: { field: 'objective', type: 'nominal', title: null, sort: null }, y: { field: y, aggregate: 'mean', type: 'quantitative', title: yTitle }, color: { field: 'objective', type: 'nominal', legend: null } } },
      { mark: { type: 'errorbar', extent: 'stdev', ticks: true }, encoding: { x: { field: 'objective', type: 'nominal', sort: null }, y: { field: y, type: 'quantitative', title: yTitle } } },
    ],
  } as unknown as VegaLiteSpec;
}

/** The report section of a sweep (plots, summary table, checks; all runs under `data`). */
export function sweepSection(res: SweepResult, o: SweepOptions, seconds: number): ReportSection {
  const smax = Math.max(...o.strengths);
  const rows = res.runs.map(({ curve: _c, ...r }) => r as unknown as Record<string, unknown>);
  const leak = rows.filter((r) => r.group === 'leakage' || r.group === 'vq');
  const atMax = rows.filter((r) => (r.group === 'leakage' || r.group === 'remedies') && r.strength === smax);
  const curves: Record<string, unknown>[] = [];
  for (const r of res.runs) for (const c of r.curve) curves.push({ config: `${r.config} S=${r.strength}`, group: r.group, seed: r.seed, step: c.step, loss: c.loss, usage: c.usage, perplexity: c.perplexity });
  const vqRows = rows.filter((r) => r.group === 'vq');
  const plots = [
    { id: 'sweep-r2-action', spec: lineWithErrorBars('R²(a | z̃, s) vs distractor strength', leak, 'condR2Action', 'R²(a|z̃,s)') },
    { id: 'sweep-acc-action', spec: lineWithErrorBars('action accuracy (state-conditional linear probe on z̃)', leak, 'condAccAction', 'accuracy') },
    { id: 'sweep-acc-action-linear', spec: lineWithErrorBars('action accuracy (plain linear probe on z̃)', leak, 'accAction', 'accuracy') },
    { id: 'sweep-r2-xi', spec: lineWithErrorBars('R²(ξ | z̃): future exogenous leakage', leak, 'r2Xi', 'R²(ξ|z̃)') },
    { id: 'sweep-s-exo', spec: lineWithErrorBars('S_exo: counterfactual exogenous sensitivity', leak, 'sExo', 'S_exo') },
    { id: 'sweep-remedies-xi', spec: barsWithErrorBars(`remedies at distractors ${smax}: R²(ξ|z̃)`, atMax, 'r2Xi', 'R²(ξ|z̃)') },
    { id: 'sweep-remedies-sexo', spec: barsWithErrorBars(`remedies at distractors ${smax}: S_exo`, atMax, 'sExo', 'S_exo') },
    { id: 'sweep-remedies-acc', spec: barsWithErrorBars(`remedies at distractors ${smax}: action accuracy`, atMax, 'condAccAction', 'acc(a|z̃,s)') },
    // Recon vs every remedy at one bottleneck: continuous k = matchedDim, and vq:codes.
    ...([['matched', `k = ${o.matchedDim}`], ['vq-remedies', `vq:${o.codes}`]] as const).flatMap(([group, what]) => {
      const rs = rows.filter((r) => r.group === group);
      return rs.length
        ? [
            { id: `sweep-${group}-xi`, spec: barsWithErrorBars(`${what}, distractors ${smax}: R²(ξ|z̃)`, rs, 'r2Xi', 'R²(ξ|z̃)') },
            { id: `sweep-${group}-sexo`, spec: barsWithErrorBars(`${what}, distractors ${smax}: S_exo`, rs, 'sExo', 'S_exo') },
            { id: `sweep-${group}-acc`, spec: barsWithErrorBars(`${what}, distractors ${smax}: action accuracy`, rs, 'condAccAction', 'acc(a|z̃,s)') },
          ]
        : [];
    }),
    {
      id: 'sweep-loss-curves',
      spec: {
        $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
        title: 'training loss (mean over seeds, ± std band)',
        width: 420,
        height: 240,
        data: { values: curves },
        layer: [
          { mark: 'line', encoding: { x: { field: 'step', type: 'quantitative' }, y: { field: 'loss', aggregate: 'mean', type: 'quantitative', scale: { type: 'log' }, title: 'loss' }, color: { field: 'config', type: 'nominal', title: null } } },
          { mark: { type: 'errorband', extent: 'stdev', opacity: 0.2 }, encoding: { x: { field: 'step', type: 'quantitative' }, y: { field: 'loss', type: 'quantitative', scale: { type: 'log' } }, color: { field: 'config', type: 'nominal', title: null } } },
        ],
      } as unknown as VegaLiteSpec,
    },
  ];
  if (vqRows.length) {
    plots.push({ id: 'sweep-codebook-usage', spec: lineWithErrorBars(`VQ codebook usage (${o.codes} codes) vs distractor strength`, vqRows, 'usage', 'fraction of codes used') });
    plots.push({ id: 'sweep-codebook-perplexity', spec: lineWithErrorBars('VQ codebook perplexity vs distractor strength', vqRows, 'perplexity', 'perplexity') });
  }
  const f = (s: SweepSummary, m: Metric) => (s.mean[m] === undefined ? null : `${(s.mean[m] as number).toFixed(3)} ± ${(s.std[m] ?? 0).toFixed(3)}`);
  const ms = res.runs.reduce((a, r) => a + r.msPerStep, 0) / Math.max(res.runs.length, 1);
  const rms = res.runs.reduce((a, r) => a + r.renderMsPerStep, 0) / Math.max(res.runs.length, 1);
  const passed = res.checks.filter((c) => c.pass).length;
  return {
    id: 'nonlinear-sweep',
    title: `Nonlinear LAM on the distracting gridworld (${o.preset}${o.quick ? ', quick' : ''})`,
    paragraphs: [
      `Conv U-Net LAM (${o.preset}, PRESETS.md) trained ${o.steps} steps per run, ${o.seeds} seeds per configuration, distractor strengths ${o.strengths.join(', ')}. ` +
        `Probes on held-out data: z is residualised on an embedding of o_t (a seeded random projection of the frame, the FDM encoder's bottom map averaged per channel, a 4×4 pool of the agent-only view), then linear probes (src/analysis/probes.ts); mean ± std over seeds. ` +
          `Action quality is the state-conditional linear probe (z̃ ⊗ one-hot of the agent's cell in a 2×2 partition): the conv IDM codes the action differently per image region, which one global linear map cannot read; the plain linear probe is shown beside it.`,
      `Remedies at distractors ${smax}: oracle agent-only representation, latent FDM against an EMA target encoder (latent-ema: BYOL's cosine loss on L2-normalised rows of the encoder's 8×8 stage-2 map — it passes at k = ${o.matchedDim} and fails at the preset's k, where z has room for the distractors' innovation too; latent-ema-mse: MSE to the raw EMA embedding, which shrinks to a near-constant; latent-ema-var adds a variance term μ = 1 that keeps its per-dim batch variance at 1), action supervision (${supObjective(o)}: λ = ${o.supLambda}, p = 0.05 of the run's transitions labelled, kept as a pool from which ${o.supRows} rows of every batch are drawn; the loss is averaged over labelled rows), cross-exogenous reconstruction on counterfactual pairs. latent-nosg is the same latent FDM without stop-gradient (it collapses).`,
      `Latent size. The remedies group uses the preset's k (${o.preset === 'grid32' ? 8 : 16}); the agent's move is 2-D (5 discrete actions), so most of z is spare. SCIENCE.md §5 predicts for the linear LAM: with k > d_a the extra dims carry the exogenous innovation whatever the objective (supervision only adds the action; R²(ξ|z̃) stays (k − d_a)/d_ξ), and with k = d_a supervision removes the leakage iff λ > σ_ξ²/σ_a² − 1. The matched group (k = ${o.matchedDim}) therefore compares plain reconstruction and every remedy at a bottleneck at the action's size, where reconstruction at strong distractors spends z on them and a remedy has to displace them.`,
      `Checks: ${passed}/${res.checks.length} pass. ` + res.checks.map((c) => `${c.pass ? 'PASS' : 'FAIL'} ${c.claim} — ${c.detail}.`).join(' '),
      `Timing: ${ms.toFixed(1)} ms per training step (forward + backward + Adam) vs ${rms.toFixed(2)} ms rendering one batch (${((100 * rms) / (ms + rms)).toFixed(1)}% of a step); sweep ${seconds.toFixed(0)} s.`,
    ],
    table: {
      columns: ['group', 'objective / bottleneck', 'distractors', 'acc(a|z̃,s)', 'R²(a|z̃,s)', 'acc(a|z̃)', 'R²(a|z̃)', 'R²(ξ|z̃)', 'R²(x|z̃)', 'S_exo', 'final loss', 'codebook usage', 'perplexity', 'z variance'],
      rows: res.summary.map((s) => [s.group, s.config, s.strength, f(s, 'condAccAction'), f(s, 'condR2Action'), f(s, 'accAction'), f(s, 'r2Action'), f(s, 'r2Xi'), f(s, 'r2X'), f(s, 'sExo'), f(s, 'finalLoss'), f(s, 'usage'), f(s, 'perplexity'), s.mean.zVar === undefined ? null : `${s.mean.zVar.toExponential(1)} ± ${(s.std.zVar ?? 0).toExponential(1)}`]),
    },
    plots,
    data: { options: { ...o, onProgress: undefined }, summary: res.summary, checks: res.checks, runs: res.runs },
  };
}

/** Combines sweeps run in parallel (e.g. `--groups leakage,vq` and `--groups remedies,collapse`). */
export function mergeSweeps(parts: SweepResult[], o: Pick<SweepOptions, 'strengths'>): SweepResult {
  // A cell run by two parts (e.g. the matched group's recon baseline) counts once per seed.
  const seen = new Set<string>();
  const runs = parts.flatMap((p) => p.runs).filter((r) => {
    const key = `${r.group}|${r.config}|${r.strength}|${r.seed}`;
    return !seen.has(key) && seen.add(key) !== undefined;
  });
  const summary = summarise(runs);
  return { runs, summary, checks: evaluateChecks(summary, o) };
}

/** Writes the sweep report (index.html, plots, results.json) into `dir`. */
export async function sweepReport(dir: string, res: SweepResult, o: SweepOptions, seconds: number): Promise<string[]> {
  const report: Report = { title: 'lamkit sweep: exogenous leakage in nonlinear LAMs', meta: { preset: o.preset, seeds: o.seeds, steps: o.steps, seconds: Math.round(seconds) }, sections: [sweepSection(res, o, seconds)] };
  return writeReport(dir, report);
}
