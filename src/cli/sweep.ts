/**
 * `lamkit sweep [--suite findings] [--quick] [--out DIR]` — the nonlinear findings of SCIENCE.md
 * §6 measured on the gridworld: distractor strength × objective × bottleneck, ≥ 3 seeds each,
 * probed on held-out data (conv-probes.ts → src/analysis/probes.ts), written as a report (HTML
 * with Vega-Lite plots, via src/report) whose results.json holds every run and the checks.
 *
 * Suite `findings`:
 *   leakage   recon, continuous, every strength          (R²(ξ|z̃), S_exo up; action quality down)
 *   remedies  oracle, latent-ema(-mse, -var), sup:λ:0.05:m, cross at the strongest setting (preset k)
 *   matched   recon and the same remedies at k = --matched-dim (the action's size), where
 *             SCIENCE.md §5 says supervision can push the distractors out of z
 *   vq        recon with vq:<codes> at every strength      (codebook usage / perplexity)
 *   vq-remedies  recon and the remedies with vq:<codes> at the strongest setting (opt-in)
 *   collapse  latent-nosg at the strongest setting         (embedding variance → 0)
 * conv64 runs are added only when a GPU backend is present (`--preset conv64` forces them).
 */
import { parseFlags, numberFlag, UsageError } from './usage.js';
import { parseConvObjective } from '../lam/conv-objectives.js';
import { mergeSweeps, REMEDY_NAMES, runSweep, SWEEP_DEFAULTS as D, SWEEP_GROUPS, supObjective, sweepReport, type SweepGroup, type SweepOptions, type SweepResult } from '../lam/conv-sweep.js';
import { MAX_LATENT_DIM } from '../lam/conv-trainer.js';
import { PRESETS } from '../lam/presets.js';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { ensureWritableDir } from '../util/make-dir.js';
import { join } from 'node:path';

const USAGE = `usage: lamkit sweep [--suite findings] [--quick] [--out DIR] [options]
  --suite findings     the paper's findings on the gridworld (the only suite)
  --quick              a few minutes on an idle 2-core CPU: strengths 0 and 1, the leakage,
                       remedies and matched groups, 150 steps, smaller probe sets (a smoke run:
                       at 150 steps most IDMs have not left their near-constant start)
  --out DIR            report directory (default lamkit-sweep/)
  --seeds N            seeds per configuration (≥ 3; default 3)
  --steps N            training steps per run (default ${D.steps}, --quick ${D.quickSteps})
  --strengths a,b,…    distractor strengths in [0, 1] (default 0,0.5,1; --quick 0,1)
  --codes K            VQ codebook size (default 16)
  --matched-dim K      latent size of the matched group (default ${D.matchedDim}: the agent's move is 2-D)
  --sup-lambda λ       weight of the action-supervision remedy (default ${D.supLambda}; p = 0.05)
  --sup-rows m         labelled rows per batch of that remedy, drawn from a pool of 5 % of the
                       run's transitions (default ${D.supRows}; objective sup:λ:0.05:m)
  --lr X               Adam learning rate (default: the preset's, 0.001; at 0.003 the IDM's
                       output collapses early and the cross / sup remedies rarely recover)
  --groups a,b         ${SWEEP_GROUPS.join(',')} (default all but vq-remedies, every remedy
                       with the VQ bottleneck; run groups in parallel, then --merge)
  --remedies a,b       subset of ${REMEDY_NAMES.join(',')} (default all)
  --probe-n N, --probe-pairs N   held-out probe transitions / counterfactual pairs
  --save-runs DIR      keep every trained model as a run directory (for lamkit analyze --run)
  --merge D1,D2        combine the results.json of sweeps run in parallel into --out
  --preset grid32      (conv64 runs are added when a GPU backend is present)
  --backend NAME       engine backend for training and probes (default: LAMKIT_BACKEND or the best)`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('sweep', argv, {
    suite: { type: 'string' },
    quick: { type: 'boolean' },
    out: { type: 'string' },
    seeds: { type: 'string' },
    steps: { type: 'string' },
    strengths: { type: 'string' },
    codes: { type: 'string' },
    'matched-dim': { type: 'string' },
    'sup-lambda': { type: 'string' },
    'sup-rows': { type: 'string' },
    preset: { type: 'string' },
    lr: { type: 'string' },
    groups: { type: 'string' },
    merge: { type: 'string' },
    remedies: { type: 'string' },
    'save-runs': { type: 'string' },
    'probe-n': { type: 'string' },
    'probe-pairs': { type: 'string' },
    backend: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const suite = values.suite ?? 'findings';
  if (suite !== 'findings') throw new UsageError(`--suite: unknown suite '${suite}'; expected findings`);
  const preset = values.preset ?? 'grid32';
  if (preset !== 'grid32' && preset !== 'conv64') throw new UsageError(`--preset: expected grid32 or conv64, got '${preset}'`);
  const quick = values.quick === true;
  const strengths = (values.strengths ?? (quick ? D.quickStrengths : D.strengths).join(',')).split(',').map((s) => numberFlag('strengths', s, 0, { min: 0, max: 1 }));
  if (strengths.length < 2) throw new UsageError(`--strengths: expected at least two strengths in [0, 1], got '${values.strengths}'`);
  const codes = numberFlag('codes', values.codes, D.codes, { min: 2, integer: true });
  const opts: SweepOptions = {
    preset,
    quick,
    seeds: numberFlag('seeds', values.seeds, D.seeds, { min: 3, integer: true }),
    steps: numberFlag('steps', values.steps, quick ? D.quickSteps : D.steps, { min: 1, integer: true }),
    strengths: [...new Set(strengths)].sort((a, b) => a - b),
    codes,
    matchedDim: numberFlag('matched-dim', values['matched-dim'], D.matchedDim, { min: 1, max: MAX_LATENT_DIM, integer: true }),
    supLambda: numberFlag('sup-lambda', values['sup-lambda'], D.supLambda, { min: 0 }),
    supRows: numberFlag('sup-rows', values['sup-rows'], D.supRows, { min: 1, integer: true }),
    lr: values.lr !== undefined ? numberFlag('lr', values.lr, 0.001, { min: 0, minExclusive: true }) : undefined,
    remedies: values.remedies ? values.remedies.split(',').map((r) => {
      if (!(REMEDY_NAMES as readonly string[]).includes(r)) throw new UsageError(`--remedies: unknown remedy '${r}'; expected ${REMEDY_NAMES.join(', ')}`);
      return r;
    }) : undefined,
    probeN: values['probe-n'] !== undefined ? numberFlag('probe-n', values['probe-n'], 2000, { min: 20, integer: true }) : undefined,
    probePairs: values['probe-pairs'] !== undefined ? numberFlag('probe-pairs', values['probe-pairs'], 800, { min: 20, integer: true }) : undefined,
    groups: values.groups ? values.groups.split(',').map((g) => {
      if (!(SWEEP_GROUPS as readonly string[]).includes(g)) throw new UsageError(`--groups: unknown group '${g}'; expected ${SWEEP_GROUPS.join(', ')}`);
      return g as SweepGroup;
    }) : quick ? D.quickGroups : undefined,
    onProgress: (line) => console.log(line),
    saveDir: values['save-runs'],
    backend: values.backend,
  };
  parseConvObjective(supObjective(opts));
  const batch = PRESETS[preset].batch;
  if (opts.supRows > batch) throw new UsageError(`--sup-rows: expected at most the ${preset} batch size ${batch}, got ${opts.supRows}`);
  const out = values.out ?? 'lamkit-sweep';
  ensureWritableDir(out, '--out'); // before the sweep, not after it
  const t0 = Date.now();
  let res: SweepResult;
  if (values.merge) {
    const parts = values.merge.split(',').map((d) => {
      if (existsSync(join(d, 'sweep-runs.json'))) return JSON.parse(readFileSync(join(d, 'sweep-runs.json'), 'utf8')) as SweepResult;
      const r = JSON.parse(readFileSync(join(d, 'results.json'), 'utf8')) as { sections: { id: string; data?: SweepResult }[] };
      const sec = r.sections.find((x) => x.id === 'nonlinear-sweep');
      if (!sec?.data) throw new UsageError(`--merge: ${join(d, 'results.json')} has no nonlinear-sweep section`);
      return sec.data;
    });
    res = mergeSweeps(parts, opts);
  } else res = await runSweep(opts);
  // The raw runs first, so a failure while rendering the report never loses a long sweep.
  writeFileSync(join(out, 'sweep-runs.json'), JSON.stringify(res));
  const files = await sweepReport(out, res, opts, (Date.now() - t0) / 1000);
  for (const c of res.checks) console.log(`${c.pass ? 'PASS' : 'FAIL'}  ${c.claim}: ${c.detail}`);
  console.log(`wrote ${files.map((f) => `${out}/${f}`).join(', ')} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  return 0;
}
