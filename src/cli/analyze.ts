/**
 * `lamkit analyze`: closed-form or trained analysis of exogenous leakage for one linear-exo
 * configuration and one objective. `--json` prints one object; otherwise a compact table.
 */
import { FLAG_OF, type LinearExoConfig, parseSigma } from '../data/linear-exo.js';
import { defaultTrainSteps, type Mode, type RunResult, runExperiment } from '../analysis/experiment.js';
import { parseObjective, type SupNorm } from '../analysis/objective.js';
import { UsageError, numberFlag, parseFlags } from './usage.js';

const HELP = `usage: lamkit analyze [options]

Closed-form or trained linear LAM on the linear-exo generator (SCIENCE.md §1–§4).

generator:
  --d-obs N          observation dim d_o (64; must be ≥ d_s + d_x)
  --d-state N        endogenous state dim d_s (8)
  --d-action N       action dim d_a (4; ≤ d_s)
  --d-exo N          exogenous dim d_x = d_ξ (8)
  --sigma-a S        action-noise std: a number or a list "1,1,0.5,2" (1)
  --sigma-xi S       exogenous-innovation std: number or list (1)
  --rho-s R          endogenous dynamics ρ_s, |ρ| < 1 (0.9)
  --rho-x R          exogenous dynamics ρ_x, |ρ| < 1 (0.95)
  --mixing M         cosine of G_x columns with span(G_s), [0, 1) (0)
  --policy-gain G    a_t = G·Bᵀ s_t + ε_t (0)
  --process-noise S  std of η_t on s_{t+1} (0)
  --sensor-noise S   std of sensor noise on o (0)
  --seed N           generator seed (0)
model:
  --k N              latent dim (default d_a)
  --objective O      recon | repr:<γ> | sup:<λ>[:<p>] | cross | aug:<κ>   (recon)
  --sup-norm N       labelled (λ_eff = λ, default) | batch (λ_eff = pλ)
  --encoder E        repr only: fixed (E_γ, default) | ema | naive (learned encoder)
  --mode M           closed-form | trained   (closed-form)
  --steps N          training steps (600; 1500 for sup, cross, aug)   --batch N   batch size (128)
  --lr X             peak Adam learning rate (1e-2)
  --backend ID       engine backend for training (default: best available)
output:
  --json             one JSON object: r2, r2_raw, s_exo, floor, loss, angles_deg, …
`;

const OPTIONS = {
  'd-obs': { type: 'string' },
  'd-state': { type: 'string' },
  'd-action': { type: 'string' },
  'd-exo': { type: 'string' },
  k: { type: 'string' },
  'sigma-a': { type: 'string' },
  'sigma-xi': { type: 'string' },
  'rho-s': { type: 'string' },
  'rho-x': { type: 'string' },
  mixing: { type: 'string' },
  'policy-gain': { type: 'string' },
  'process-noise': { type: 'string' },
  'sensor-noise': { type: 'string' },
  seed: { type: 'string' },
  objective: { type: 'string' },
  'sup-norm': { type: 'string' },
  encoder: { type: 'string' },
  mode: { type: 'string' },
  steps: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  backend: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

type Values = Partial<Record<keyof typeof OPTIONS, string | boolean>>;

/** Generator config from flags (validation of ranges happens in the generator, naming the flag). */
export function configFromFlags(v: Values): Partial<LinearExoConfig> {
  const c: Partial<LinearExoConfig> = {};
  const str = (k: keyof typeof OPTIONS) => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
  const int = (flag: keyof typeof OPTIONS, field: keyof LinearExoConfig) => {
    const s = str(flag);
    if (s !== undefined) (c as Record<string, unknown>)[field] = numberFlag(flag, s, 0, { integer: true, min: 1 });
  };
  const num = (flag: keyof typeof OPTIONS, field: keyof LinearExoConfig) => {
    const s = str(flag);
    if (s !== undefined) (c as Record<string, unknown>)[field] = numberFlag(flag, s, 0);
  };
  int('d-obs', 'dObs');
  int('d-state', 'dState');
  int('d-action', 'dAction');
  int('d-exo', 'dExo');
  num('rho-s', 'rhoS');
  num('rho-x', 'rhoX');
  num('mixing', 'mixing');
  num('policy-gain', 'policyGain');
  num('process-noise', 'processNoise');
  num('sensor-noise', 'sensorNoise');
  const seed = str('seed');
  if (seed !== undefined) c.seed = numberFlag('seed', seed, 0, { integer: true, min: 0 });
  const sa = str('sigma-a');
  if (sa !== undefined) c.sigmaA = wrapUsage(() => parseSigma(FLAG_OF.sigmaA, sa));
  const sx = str('sigma-xi');
  if (sx !== undefined) c.sigmaXi = wrapUsage(() => parseSigma(FLAG_OF.sigmaXi, sx));
  return c;
}

function wrapUsage<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof RangeError || e instanceof TypeError) throw new UsageError(e.message);
    throw e;
  }
}

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '  —  ');

/** A compact human-readable table of one result. */
export function formatResult(r: RunResult): string {
  const lines: string[] = [];
  const c = r.config;
  lines.push(
    `linear-exo d_o=${c.dObs} d_s=${c.dState} d_a=${c.dAction} d_x=${c.dExo} σ_a=${String(c.sigmaA)} σ_ξ=${String(c.sigmaXi)} ` +
      `ρ_s=${c.rhoS} ρ_x=${c.rhoX} μ=${c.mixing} K=${String(c.policyGain)} seed=${c.seed}`,
  );
  lines.push(`objective ${r.objective}, k=${r.k}, ${r.mode}${r.train ? ` (${r.train.steps} steps, batch ${r.train.batch}, ${r.train.backend}, ${r.train.seconds.toFixed(1)} s)` : ''}`);
  if (r.note) lines.push(r.note);
  lines.push('');
  lines.push('probe (held-out R²)   action     ξ_t     x_t     s_t');
  lines.push(`residualised z̃        ${f3(r.r2.action)}   ${f3(r.r2.xi)}   ${f3(r.r2.x)}   ${f3(r.r2.s)}`);
  lines.push(`raw z                  ${f3(r.r2_raw.action)}   ${f3(r.r2_raw.xi)}   ${f3(r.r2_raw.x)}   ${f3(r.r2_raw.s)}`);
  lines.push(`exact (population) z̃  ${f3(r.r2_exact.action)}   ${f3(r.r2_exact.xi)}   ${f3(r.r2_exact.x)}   ${f3(r.r2_exact.s)}`);
  lines.push('');
  lines.push(`S_exo ${f3(r.s_exo)} (exact ${f3(r.s_exo_exact)})   leakage ${f3(r.leakage)}   angles to span(G_s B) [${r.angles_deg.map((a) => a.toFixed(1)).join(', ')}]°`);
  lines.push(`loss ${r.loss.toFixed(4)}   floor ${r.floor.toFixed(4)}   gap ${Number.isFinite(r.gap) ? r.gap.toExponential(2) : "—"}   (reconstruction floor ${r.recon_floor.toFixed(4)})`);
  lines.push(`spectrum ${r.spectrum.slice(0, Math.max(r.k + 4, 8)).map((v) => v.toFixed(3)).join(' ')}`);
  if (r.canonical_correlations) lines.push(`canonical correlations of the two copies' innovations ${r.canonical_correlations.slice(0, r.k + 4).map((v) => v.toFixed(3)).join(' ')}`);
  return lines.join('\n');
}

export async function run(argv: string[]): Promise<number> {
  // `--run DIR` analyses a trained nonlinear (gridworld) run instead of a linear configuration.
  const runAt = argv.findIndex((a) => a === '--run' || a.startsWith('--run='));
  if (runAt >= 0) {
    const dir = argv[runAt].startsWith('--run=') ? argv[runAt].slice(6) : argv[runAt + 1];
    const g = await import('../lam/gridworld-analyze.js');
    if (dir === undefined || !g.isGridworldRun(dir)) throw new UsageError(`--run: expected a gridworld run directory (with run.json of kind 'gridworld'), got '${dir ?? ''}'`);
    const a = await g.analyzeGridworldRun(dir);
    console.log(argv.includes('--json') ? JSON.stringify(a, null, 2) : g.formatGridworldAnalysis(a));
    return 0;
  }
  const { values } = parseFlags('analyze', argv, OPTIONS);
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const v = values as Values;
  const config = configFromFlags(v);
  const mode = (v.mode as string | undefined) ?? 'closed-form';
  if (mode !== 'closed-form' && mode !== 'trained') throw new UsageError(`--mode: expected closed-form or trained, got '${mode}'`);
  const norm = (v['sup-norm'] as string | undefined) ?? 'labelled';
  if (norm !== 'labelled' && norm !== 'batch') throw new UsageError(`--sup-norm: expected labelled or batch, got '${norm}'`);
  const objective = parseObjective((v.objective as string | undefined) ?? 'recon', norm as SupNorm);
  const encoder = (v.encoder as string | undefined) ?? 'fixed';
  if (!['fixed', 'ema', 'naive'].includes(encoder)) throw new UsageError(`--encoder: expected fixed, ema or naive, got '${encoder}'`);
  if (encoder !== 'fixed' && (objective.kind !== 'repr' || mode !== 'trained'))
    throw new UsageError(`--encoder ${encoder}: a learned encoder needs --objective repr:<γ> and --mode trained`);
  const k = v.k !== undefined ? numberFlag('k', v.k as string, 0, { integer: true, min: 1 }) : undefined;
  const train = {
    steps: v.steps === undefined ? defaultTrainSteps(objective) : numberFlag('steps', v.steps as string, 600, { integer: true, min: 1 }),
    batch: numberFlag('batch', v.batch as string | undefined, 128, { integer: true, min: 2 }),
    lr: numberFlag('lr', v.lr as string | undefined, 1e-2, { min: 0, minExclusive: true }),
    backend: v.backend as string | undefined,
    encoder: encoder as 'fixed' | 'ema' | 'naive',
  };
  const r = await wrapUsageAsync(() => runExperiment({ config, objective, k, mode: mode as Mode, train }));
  if (v.json) console.log(JSON.stringify(r, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? null : x)));
  else console.log(formatResult(r));
  return 0;
}

async function wrapUsageAsync<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    // Config errors from the generator already name the flag: show them as usage errors.
    if (e instanceof RangeError && /--[a-z-]+/.test(e.message)) throw new UsageError(e.message);
    throw e;
  }
}
