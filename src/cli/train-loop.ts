/**
 * The training loop shared by `lamkit train` commands (presets, own data): progress bar or JSON
 * Lines, DIR/metrics.jsonl, checkpoints every N steps / on Ctrl-C (SIGINT, SIGTERM) / at the
 * end, and --resume. A command builds the compiled model and a ResumableSource, then calls
 * trainLoop(); with --resume it first calls readResume() and takes its settings from the
 * checkpoint (resumeSetting) so that the plan and the data stream are rebuilt identically.
 *
 * Resume contract: model state (parameters, optimiser moments, step counter) and the source's
 * random state are restored, chunks end on checkpoint boundaries, so the losses after resume
 * equal the uninterrupted run's bit for bit on the same backend and thread count.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import cliProgress from 'cli-progress';
import type { CompiledModel } from '../graph/compiled.js';
import type { ResumableSource, SourceState } from '../lam/batches.js';
import { CHECKPOINT_FILE, type Checkpoint, checkpointOf, loadCheckpoint, restoreCheckpoint, saveCheckpoint, writeFileAtomic } from '../lam/checkpoint.js';
import { Trainer, type TrainResult } from '../lam/trainer.js';
import { makeDir } from '../util/make-dir.js';
import { UsageError, numberFlag } from './usage.js';

export interface TrainLoopOptions {
  model: CompiledModel;
  source: ResumableSource;
  /**
   * The run's configuration (JSON), saved in every checkpoint. `preset` names the graph for
   * `lamkit export`; `steps` is the run's total. On resume every key except the run-control
   * ones (steps, chunk, backend, threads, checkFinite) must equal the checkpoint's.
   */
  config: Record<string, unknown>;
  /** Total steps of the run (a resumed run continues up to this). */
  steps: number;
  /** Steps per backend call (default 50). */
  chunk?: number;
  /** metrics/JSON line every N steps (default 10; the last step is always logged). */
  logEvery?: number;
  /** JSON Lines on stdout instead of the progress bar on stderr. */
  json?: boolean;
  /** Run directory: DIR/metrics.jsonl and DIR/checkpoint.safetensors. */
  out?: string;
  /** Write the checkpoint every N steps as well as on stop and at the end (needs out). */
  checkpointEvery?: number;
  /** A checkpoint from readResume(): restored into model and source before training. */
  resume?: Checkpoint;
  /** Lines printed on stderr before training (without --json). */
  header?: string[];
  /** Extra fields of the JSON 'start' line. */
  startInfo?: Record<string, unknown>;
}

export interface TrainLoopResult {
  /** 0, or 130 when stopped by a signal. */
  exitCode: number;
  result: TrainResult;
  /** The 'done' summary (also printed with --json). */
  summary: Record<string, unknown>;
}

/** Config keys that may change between a checkpoint and its resumption. */
const RUN_CONTROL = new Set(['steps', 'chunk', 'backend', 'threads', 'checkFinite']);

/** Loads DIR/checkpoint.safetensors for `--resume DIR`; every problem is a UsageError naming the file. */
export function readResume(dir: string): Checkpoint {
  try {
    return loadCheckpoint(dir);
  } catch (e) {
    // loadCheckpoint's messages start with the directory or file they are about.
    throw new UsageError(`--resume: ${(e as Error).message}`);
  }
}

/**
 * A setting on resume: the checkpoint's value when the flag was not given; a given flag must
 * agree with it (a different lr, batch or seed would not continue the same run).
 */
export function resumeSetting<T>(ck: Checkpoint, key: string, flag: string, given: T | undefined): T | undefined {
  const saved = ck.config[key] as T | undefined;
  if (given === undefined) return saved;
  if (saved !== undefined && JSON.stringify(saved) !== JSON.stringify(given))
    throw new UsageError(`--resume: ${ck.file} was trained with ${flag} ${JSON.stringify(saved)}, got ${flag} ${JSON.stringify(given)}; leave ${flag} out to continue with the checkpoint's`);
  return given;
}

/** The flags every train command shares (run control, optimiser, backend), for parseFlags. */
export const TRAIN_LOOP_FLAGS = {
  steps: { type: 'string' },
  batch: { type: 'string' },
  lr: { type: 'string' },
  optimizer: { type: 'string' },
  backend: { type: 'string' },
  threads: { type: 'string' },
  seed: { type: 'string' },
  out: { type: 'string' },
  'checkpoint-every': { type: 'string' },
  resume: { type: 'string' },
  chunk: { type: 'string' },
  'log-every': { type: 'string' },
  json: { type: 'boolean' },
  'check-finite': { type: 'boolean' },
  'no-check-finite': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** What parseFlags returns for TRAIN_LOOP_FLAGS' run-control flags. */
export interface LoopFlagValues {
  steps?: string;
  chunk?: string;
  'log-every'?: string;
  'checkpoint-every'?: string;
  out?: string;
  resume?: string;
  threads?: string;
  json?: boolean;
  'no-check-finite'?: boolean;
}

/** Run-control settings: --steps defaults to the checkpoint's total (else 1000), --out to --resume's DIR. */
export function loopSettings(values: LoopFlagValues, ck?: Checkpoint) {
  const checkpointEvery = values['checkpoint-every'] === undefined ? undefined : numberFlag('checkpoint-every', values['checkpoint-every'], 0, { min: 1, integer: true });
  const out = values.out ?? values.resume;
  if (checkpointEvery !== undefined && !out) throw new UsageError('train: --checkpoint-every needs --out DIR (where the checkpoint goes)');
  return {
    steps: numberFlag('steps', values.steps, (ck?.config.steps as number | undefined) ?? 1000, { min: 1, integer: true }),
    chunk: numberFlag('chunk', values.chunk, 50, { min: 1, integer: true }),
    logEvery: numberFlag('log-every', values['log-every'], 10, { min: 1, integer: true }),
    checkpointEvery,
    out,
    threads: values.threads === undefined ? undefined : numberFlag('threads', values.threads, 0, { min: 1, integer: true }),
    checkFinite: !values['no-check-finite'],
    json: values.json === true,
  };
}

/** Applies --threads to the model's backend (native-cpu only); returns the thread count the run uses. */
export async function applyThreads(model: CompiledModel, threads: number | undefined): Promise<number> {
  const be = (await (await import('../backends/registry.js')).resolveBackend({ name: model.backend })).backend as {
    setThreads?: (n: number) => void;
    info(): { threads?: number };
  };
  if (threads !== undefined) {
    if (!be.setThreads) throw new UsageError(`train: --threads applies to native-cpu, not ${model.backend}`);
    be.setThreads(threads);
  }
  return be.info().threads ?? 1;
}

function checkCompatible(ck: Checkpoint, config: Record<string, unknown>): void {
  const keys = new Set([...Object.keys(config), ...Object.keys(ck.config)]);
  for (const k of keys) {
    if (RUN_CONTROL.has(k)) continue;
    if (JSON.stringify(config[k]) !== JSON.stringify(ck.config[k]))
      throw new UsageError(`--resume: ${ck.file} is incompatible with this run: its ${k} is ${JSON.stringify(ck.config[k])}, this run's is ${JSON.stringify(config[k])}`);
  }
}

/** Drops metrics lines past the checkpoint's step (logged after it, before a crash), keeps the rest. */
function trimMetrics(path: string, step: number): void {
  if (!existsSync(path)) return;
  const lines = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '');
  const keep = lines.filter((l) => {
    try {
      const s = (JSON.parse(l) as { step?: unknown }).step;
      return typeof s !== 'number' || s <= step;
    } catch {
      return true;
    }
  });
  if (keep.length !== lines.length) writeFileAtomic(path, keep.map((l) => l + '\n').join(''));
}

/** Trains `opts.steps` steps (from the checkpoint's step when resuming); see the file comment. */
export async function trainLoop(o: TrainLoopOptions): Promise<TrainLoopResult> {
  const { model, source } = o;
  const json = o.json === true;
  const chunk = o.chunk ?? 50;
  const logEvery = o.logEvery ?? 10;
  const total = o.steps;
  if (o.checkpointEvery !== undefined && !o.out) throw new UsageError('train: --checkpoint-every needs --out DIR (where the checkpoint goes)');
  const config: Record<string, unknown> = { ...o.config, steps: total };

  let first = 0;
  if (o.resume) {
    const ck = o.resume;
    checkCompatible(ck, config);
    if (ck.step >= total) throw new UsageError(`--resume: ${ck.file} is already at step ${ck.step} of --steps ${total}; pass a larger --steps to train further`);
    const data = ck.rng.data as SourceState | undefined;
    if (!data) throw new UsageError(`--resume: ${ck.file} has no data-source state (rng.data) to continue from`);
    try {
      restoreCheckpoint(model, ck);
      source.setState(data);
    } catch (e) {
      throw new UsageError(`--resume: cannot restore ${ck.file}: ${(e as Error).message}`);
    }
    if (model.step !== ck.step) throw new Error(`--resume: the model's step counter is ${model.step} after restoring step ${ck.step}`);
    first = ck.step;
    for (const k of ['backend', 'threads'])
      if (ck.config[k] !== undefined && config[k] !== undefined && ck.config[k] !== config[k] && !json)
        console.error(`note: ${ck.file} was written with ${k} ${String(ck.config[k])}, this run uses ${String(config[k])}: losses will not be bit-identical to an uninterrupted run`);
  }

  const out = o.out;
  const metrics = out ? join(out, 'metrics.jsonl') : null;
  if (out) {
    try {
      makeDir(out); // not mkdirSync({recursive}): it spins forever under /proc
      if (o.resume) trimMetrics(metrics!, first);
      else writeFileSync(metrics!, '');
    } catch (e) {
      throw new UsageError(`--out ${out}: cannot write the run directory (${(e as Error).message})`);
    }
  }
  // kind stays first and stays 'start' even if the config has a 'kind' of its own.
  if (json) console.log(JSON.stringify(Object.assign({ kind: 'start' }, config, o.startInfo ?? {}, o.resume ? { resumed_from: o.resume.file, first_step: first } : {}, { kind: 'start' })));
  else {
    for (const l of o.header ?? []) console.error(l);
    if (o.resume) console.error(`resuming from ${o.resume.file} at step ${first}`);
  }

  const trainer = new Trainer(model, source);
  const onSignal = (): void => {
    trainer.stop();
    if (!json) console.error('\nstopping after the current chunk…');
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const bar = json ? null : new cliProgress.SingleBar(
    { format: 'train [{bar}] {percentage}% | step {value}/{total} | loss {loss} | {rate} steps/s | ETA {eta_formatted}', stream: process.stderr, hideCursor: true, etaBuffer: 200 },
    cliProgress.Presets.shades_classic,
  );
  bar?.start(total, first, { loss: '-', rate: '-' });
  let lines: string[] = [];
  const flush = (): void => {
    if (metrics && lines.length) appendFileSync(metrics, lines.join('\n') + '\n');
    lines = [];
  };
  let saved = -1;
  const save = (step: number): void => {
    flush();
    saveCheckpoint(out!, checkpointOf(model, config, { data: source.getState() }));
    saved = step;
  };
  let result: TrainResult;
  try {
    result = await trainer.train({
      steps: total - first,
      chunk,
      firstStep: first,
      alignChunksTo: o.checkpointEvery,
      onStep(e) {
        if (e.step % logEvery === 0 || e.step === total) {
          const line = JSON.stringify({ kind: 'step', step: e.step, loss: e.loss, steps_per_s: +e.stepsPerSec.toFixed(2), eta_s: +e.etaSec.toFixed(1), elapsed_s: +e.elapsedSec.toFixed(3) });
          lines.push(line);
          if (json) console.log(line);
        }
        if (bar && (e.step % chunk === 0 || e.step === total)) bar.update(e.step, { loss: e.loss.toPrecision(5), rate: e.stepsPerSec.toFixed(1) });
      },
      afterChunk(done) {
        if (o.checkpointEvery && done % o.checkpointEvery === 0 && done < total) save(done);
        else flush();
      },
    });
  } catch (e) {
    bar?.stop();
    // No checkpoint after a failed chunk (a NaN step may have touched the parameters): the last good one stays.
    flush();
    throw e;
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  bar?.stop();
  const done = first + result.steps;
  if (out && saved !== done) save(done);
  const final = result.losses.length ? result.losses[result.losses.length - 1] : NaN;
  const summary: Record<string, unknown> = {
    kind: 'done',
    preset: config.preset ?? null,
    backend: model.backend,
    steps: done,
    first_step: first,
    stopped: result.stopped,
    final_loss: final,
    first_loss: result.losses[0],
    seconds: +result.seconds.toFixed(3),
    steps_per_s: +(result.steps / result.seconds).toFixed(2),
    compute_steps_per_s: +(result.steps / result.computeSeconds).toFixed(2),
    out: out ?? null,
  };
  if (json) console.log(JSON.stringify(summary));
  else {
    console.error(`${result.stopped ? 'stopped' : 'done'}: ${result.steps} steps in ${result.seconds.toFixed(2)} s (${summary.steps_per_s} steps/s, ${summary.compute_steps_per_s} in the backend); loss ${result.losses[0]?.toPrecision(5)} → ${final.toPrecision(5)}`);
    if (out) console.error(`wrote ${join(out, 'metrics.jsonl')} and ${join(out, CHECKPOINT_FILE)} (step ${done})`);
  }
  return { exitCode: result.stopped ? 130 : 0, result, summary };
}
