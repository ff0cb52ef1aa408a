/**
 * `lamkit train --preset NAME [--steps N] [--batch B] [--lr LR] [--optimizer adam|adamw|sgd]
 *  [--backend NAME] [--threads N] [--seed S] [--out DIR] [--chunk N] [--log-every N] [--json]
 *  [--no-check-finite]`
 *
 * Builds the preset's training step, compiles it on a backend and trains, N steps per backend
 * call. Shows a progress bar (loss, steps/s, ETA) on stderr, or JSON Lines on stdout with
 * --json. With --out: DIR/metrics.jsonl (one line per logged step) and, at the end (also after
 * Ctrl-C, which stops after the chunk in flight), the parameters and optimiser state.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import { memorySummary } from '../graph/plan.js';
import { compile } from '../graph/compile.js';
import { defaultSource } from '../lam/batches.js';
import { saveCheckpoint } from '../lam/checkpoint.js';
import type { OptimizerName } from '../lam/objective.js';
import { PRESETS, getPreset } from '../lam/presets.js';
import { Trainer } from '../lam/trainer.js';
import { planPreset } from '../lam/training.js';
import { UsageError, numberFlag, parseFlags } from './usage.js';

const HELP = `usage: lamkit train --preset NAME [options]

Trains a preset (${Object.keys(PRESETS).join(', ')}) with a compiled step.
  --preset NAME        ${Object.values(PRESETS).map((p) => `${p.name}: ${p.summary}`).join('\n                       ')}
  --steps N            training steps (default 1000)
  --batch B            batch size (default: the preset's)
  --lr LR              learning rate (default 1e-3)
  --optimizer O        adam | adamw | sgd (default adam)
  --backend NAME       native-cuda | native-cpu | wasm | gpujs | reference (default: best available)
  --threads N          kernel threads for native-cpu (default: LAMKIT_THREADS or all cores)
  --seed S             initialisation and data seed (default 0)
  --out DIR            write DIR/metrics.jsonl, DIR/run.json, DIR/params.{json,bin}, DIR/state.{json,bin}
  --chunk N            steps per backend call (default 50)
  --log-every N        metrics/JSON line every N steps (default 10; the last step is always logged)
  --json               JSON Lines on stdout instead of a progress bar
  --no-check-finite    skip the per-step NaN/Inf checks on feeds and loss (on by default)`;

export async function run(argv: string[]): Promise<number> {
  // Gridworld video trains the conv LAM with its own objectives and bottlenecks (issue 5).
  const dataAt = argv.findIndex((a) => a === '--data' || a.startsWith('--data='));
  const data = dataAt < 0 ? undefined : argv[dataAt].startsWith('--data=') ? argv[dataAt].slice(7) : argv[dataAt + 1];
  if (data === 'gridworld') {
    const { gridworldTrainCommand } = await import('../lam/gridworld-run.js');
    return gridworldTrainCommand(argv);
  }
  const { values } = parseFlags('train', argv, {
    preset: { type: 'string' },
    steps: { type: 'string' },
    batch: { type: 'string' },
    lr: { type: 'string' },
    optimizer: { type: 'string' },
    backend: { type: 'string' },
    threads: { type: 'string' },
    seed: { type: 'string' },
    out: { type: 'string' },
    chunk: { type: 'string' },
    'log-every': { type: 'string' },
    json: { type: 'boolean' },
    'check-finite': { type: 'boolean' },
    'no-check-finite': { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  if (!values.preset) throw new UsageError(`train: --preset is required (one of ${Object.keys(PRESETS).join(', ')})`);
  let preset;
  try {
    preset = getPreset(values.preset);
  } catch (e) {
    throw new UsageError(`train: --preset: ${(e as Error).message}`);
  }
  const steps = numberFlag('steps', values.steps, 1000, { min: 1, integer: true });
  const batch = numberFlag('batch', values.batch, preset.batch, { min: 1, integer: true });
  const lr = numberFlag('lr', values.lr, preset.lr, { min: 0, minExclusive: true });
  const seed = numberFlag('seed', values.seed, 0, { min: 0, integer: true });
  const chunk = numberFlag('chunk', values.chunk, 50, { min: 1, integer: true });
  const logEvery = numberFlag('log-every', values['log-every'], 10, { min: 1, integer: true });
  const optimizer = (values.optimizer ?? 'adam') as OptimizerName;
  if (!['adam', 'adamw', 'sgd'].includes(optimizer)) throw new UsageError(`train: --optimizer must be adam, adamw or sgd, got '${optimizer}'`);
  const checkFinite = !values['no-check-finite'];
  const json = values.json === true;

  const { lam, plan } = planPreset(preset, { batch, lr, seed, optimizer, checkFinite });
  const model = await compile(plan, { backend: values.backend });
  if (values.threads !== undefined) {
    const threads = numberFlag('threads', values.threads, 0, { min: 1, integer: true });
    const b = (await import('../backends/registry.js')).resolveBackend({ name: model.backend });
    const be = (await b).backend as { setThreads?: (n: number) => void };
    if (!be.setThreads) throw new UsageError(`train: --threads applies to native-cpu, not ${model.backend}`);
    be.setThreads(threads);
  }
  const config = { preset: preset.name, steps, batch, lr, optimizer, seed, backend: model.backend, chunk, checkFinite };
  const header = `${preset.name}: batch ${batch}, ${steps} steps, ${optimizer} lr ${lr}, seed ${seed} on ${model.backend}` +
    (model.skipped.length ? ` (skipped ${model.skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')})` : '');
  if (json) console.log(JSON.stringify({ kind: 'start', ...config, peak_bytes: plan.memory.peakBytes, tape_ops: plan.ops.length }));
  else {
    console.error(header);
    console.error(`plan: ${plan.ops.length} tape instructions, ${memorySummary(plan)}`);
  }

  const out = values.out;
  const metrics = out ? join(out, 'metrics.jsonl') : null;
  if (out) {
    mkdirSync(out, { recursive: true });
    writeFileSync(metrics!, '');
  }
  const trainer = new Trainer(model, defaultSource(lam.preset, batch, seed + 1));
  const onSigint = (): void => {
    trainer.stop();
    if (!json) console.error('\nstopping after the current chunk…');
  };
  process.once('SIGINT', onSigint);
  const bar = json ? null : new cliProgress.SingleBar(
    { format: 'train [{bar}] {percentage}% | step {value}/{total} | loss {loss} | {rate} steps/s | ETA {eta_formatted}', stream: process.stderr, hideCursor: true, etaBuffer: 200 },
    cliProgress.Presets.shades_classic,
  );
  bar?.start(steps, 0, { loss: '-', rate: '-' });
  let lines: string[] = [];
  let result;
  try {
    result = await trainer.train({
      steps,
      chunk,
      onStep(e) {
        if (e.step % logEvery === 0 || e.step === steps) {
          const line = JSON.stringify({ kind: 'step', step: e.step, loss: e.loss, steps_per_s: +e.stepsPerSec.toFixed(2), eta_s: +e.etaSec.toFixed(1), elapsed_s: +e.elapsedSec.toFixed(3) });
          lines.push(line);
          if (json) console.log(line);
        }
        if (bar && (e.step % chunk === 0 || e.step === steps)) bar.update(e.step, { loss: e.loss.toPrecision(5), rate: e.stepsPerSec.toFixed(1) });
      },
    });
  } catch (e) {
    bar?.stop();
    process.removeListener('SIGINT', onSigint);
    // No parameters are written after a failed chunk: a NaN step may already have touched them.
    throw e;
  } finally {
    if (metrics && lines.length) {
      appendFileSync(metrics, lines.join('\n') + '\n');
      lines = [];
    }
  }
  bar?.stop();
  process.removeListener('SIGINT', onSigint);
  const final = result.losses.length ? result.losses[result.losses.length - 1] : NaN;
  const summary = {
    kind: 'done',
    preset: preset.name,
    backend: model.backend,
    steps: result.steps,
    stopped: result.stopped,
    final_loss: final,
    first_loss: result.losses[0],
    seconds: +result.seconds.toFixed(3),
    steps_per_s: +(result.steps / result.seconds).toFixed(2),
    compute_steps_per_s: +(result.steps / result.computeSeconds).toFixed(2),
    out: out ?? null,
  };
  if (out) saveCheckpoint(out, model, { ...config, stopped: result.stopped, final_loss: final });
  if (json) console.log(JSON.stringify(summary));
  else {
    console.error(`${result.stopped ? 'stopped' : 'done'}: ${result.steps} steps in ${result.seconds.toFixed(2)} s (${summary.steps_per_s} steps/s, ${summary.compute_steps_per_s} in the backend); loss ${result.losses[0]?.toPrecision(5)} → ${final.toPrecision(5)}`);
    if (out) console.error(`wrote ${out}/metrics.jsonl, run.json, params.{json,bin}, state.{json,bin}`);
  }
  model.dispose();
  return result.stopped ? 130 : 0;
}
