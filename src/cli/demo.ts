/**
 * `lamkit demo`: reproduces the paper's three findings on the linear-exo generator — closed form
 * beside linear LAMs trained on the compiled graph engine — prints the tables and writes
 * `lamkit-report/` (index.html, Vega-Lite plots as .svg + .vl.json, results.json).
 * Then (unless --no-train / --no-sweep) the quick nonlinear sweep of `lamkit sweep --quick`
 * (src/lam/conv-sweep.ts) on the gridworld is appended as its own section.
 */
import { resolve } from 'node:path';
import { type FindingRow, runFindings } from '../analysis/findings.js';
import { LAMKIT_VERSION } from '../version.js';
import { loadReport, type Report, tableToText, upsertSection, writeReport } from '../report/report.js';
import { ensureWritableDir } from '../util/make-dir.js';
import { quickSweepOptions, runSweep, sweepSection } from '../lam/conv-sweep.js';
import { UsageError, numberFlag, parseFlags } from './usage.js';

const HELP = `usage: lamkit demo [options]

Reproduces the three findings of "Why Latent Actions Fail, and How to Prevent It" on the
linear-exo generator: σ_ξ sweep, k sweep, representation-space γ sweep, action-supervision λ
sweep and cross-exogenous reconstruction, closed form beside trained linear LAMs.

  --out DIR       report directory (lamkit-report)
  --steps N       training steps per trained point (600; ×2.5 for sup and cross)
  --backend ID    engine backend for training (default: best available)
  --no-train      closed form only (seconds; no nonlinear sweep)
  --no-sweep      skip the quick nonlinear gridworld sweep (lamkit sweep --quick, a few minutes)
  --seed N        generator seed (0)
  --json          print results as JSON instead of tables
`;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseFlags('demo', argv, {
    out: { type: 'string' },
    steps: { type: 'string' },
    backend: { type: 'string' },
    'no-train': { type: 'boolean' },
    'no-sweep': { type: 'boolean' },
    seed: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const out = resolve(values.out ?? 'lamkit-report');
  if (values.out !== undefined && values.out.trim() === '') throw new UsageError(`--out: expected a directory, got ''`);
  const steps = numberFlag('steps', values.steps, 600, { integer: true, min: 1 });
  const seed = numberFlag('seed', values.seed, 0, { integer: true, min: 0 });
  ensureWritableDir(out, '--out'); // before the demo's minutes of work, not after them
  const t0 = performance.now();
  const log = values.json ? () => {} : (s: string) => process.stderr.write(s);
  let nTrained = 0;
  let backend = 'none (--no-train)';
  const res = await runFindings({
    train: !values['no-train'],
    base: { seed },
    train_opts: { steps, backend: values.backend },
    onRow: (r: FindingRow) => {
      if (r.kind === 'trained') {
        nTrained++;
        backend = r.backend ?? backend;
        log(`  trained ${r.objective.padEnd(10)} ${r.sweep}=${r.x}  R²(a|z̃)=${r.r2_action.toFixed(3)} R²(ξ|z̃)=${r.r2_xi.toFixed(3)}  (${r.backend}, ${r.seconds?.toFixed(1)} s)\n`);
      }
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  let sweep: ReturnType<typeof sweepSection> | null = null;
  if (!values['no-train'] && !values['no-sweep']) {
    log('nonlinear quick sweep (grid32 gridworld; lamkit sweep --quick):\n');
    const t1 = performance.now();
    const so = quickSweepOptions({ backend: values.backend, onProgress: (l) => log(`  ${l}\n`) });
    sweep = sweepSection(await runSweep(so), so, (performance.now() - t1) / 1000);
  }
  const report: Report = (await loadReport(out)) ?? { title: 'lamkit report — why latent actions fail, and how to prevent it', sections: [] };
  report.meta = { ...(report.meta ?? {}), lamkit: LAMKIT_VERSION, 'linear demo seconds': Number(seconds.toFixed(1)), 'trained points': nTrained, 'training steps': steps, 'training backend': backend };
  for (const s of res.sections) upsertSection(report, s);
  if (sweep) upsertSection(report, sweep);
  // Keep the linear sections first, in order, whatever else the report holds.
  const ids = res.sections.map((s) => s.id);
  report.sections.sort((a, b) => (ids.includes(a.id) ? ids.indexOf(a.id) : 1e9) - (ids.includes(b.id) ? ids.indexOf(b.id) : 1e9));
  const files = await writeReport(out, report);
  if (values.json) {
    console.log(JSON.stringify({ out, seconds, all_within_tolerance: res.allWithinTolerance, summary: res.summary, rows: res.rows, nonlinear_checks: sweep ? (sweep.data as { checks: unknown }).checks : null }, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
  } else {
    for (const s of res.sections) {
      console.log(`\n== ${s.title}`);
      if (s.table) console.log(tableToText(s.table));
    }
    if (res.encoders.length) {
      console.log('\nlearned encoder for the representation space (σ_ξ = 2σ_a):');
      for (const e of res.encoders)
        console.log(`  ${e.encoder.padEnd(5)}  loss ${e.first_loss.toFixed(2)} → ${e.final_loss.toFixed(3)}   data variance kept by E ${(100 * e.kept_variance).toFixed(0)}%   ${e.encoder === 'naive' ? '(collapses)' : '(no collapse)'}`);
    }
    if (sweep) {
      console.log(`\n== ${sweep.title}`);
      if (sweep.table) console.log(tableToText(sweep.table));
    }
    const trained = res.rows.filter((r) => r.kind === 'trained');
    console.log(
      `\n${trained.length ? `${trained.filter((r) => r.within_tol).length}/${trained.length} trained points within ±0.05 of the closed form (residualised held-out probes). ` : ''}` +
        `${seconds.toFixed(1)} s. Report: ${out}/index.html (${files.length} files)`,
    );
  }
  return res.allWithinTolerance ? 0 : 1;
}
